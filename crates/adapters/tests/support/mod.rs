//! What the adapters' tests share: a carrier API served on loopback, its
//! JSON answers, the form bodies it reads, and the bearer tokens it issues.

// Each test binary uses the part of this its carrier needs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Serves `app` on a loopback port; its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A JSON answer with `status`.
pub fn json_body(status: StatusCode, body: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_owned(),
    )
        .into_response()
}

/// A 429 asking to wait 30 s.
pub fn too_many_requests() -> Response {
    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], "{}").into_response()
}

/// A request header's text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A form body's fields, when the request says it sends one; decoded as a
/// query string is (the encoding is the same).
pub fn form_fields(headers: &HeaderMap, body: &str) -> Option<HashMap<String, String>> {
    header(headers, "content-type")
        .filter(|v| v.starts_with("application/x-www-form-urlencoded"))?;
    let uri: Uri = format!("/?{body}").parse().ok()?;
    Query::<HashMap<String, String>>::try_from_uri(&uri)
        .ok()
        .map(|q| q.0)
}

/// The SP-API codes of push items.
pub fn codes(items: &[serde_json::Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["status"]["code"].as_str().unwrap())
        .collect()
}

/// The bearer tokens a local API has issued and still accepts.
#[derive(Default)]
pub struct Tokens {
    requests: AtomicUsize,
    valid: Mutex<Vec<String>>,
}

impl Tokens {
    /// Counts a token request; its number, from 1.
    pub fn requested(&self) -> usize {
        self.requests.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Issues the token of request `n`.
    pub fn issue(&self, n: usize) -> String {
        let token = format!("token-{n}");
        self.valid.lock().unwrap().push(token.clone());
        token
    }

    /// Whether the request carries a token still accepted.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        header(headers, "authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|b| self.valid.lock().unwrap().iter().any(|v| v == b))
    }

    /// Every token issued so far lapses.
    pub fn expire_all(&self) {
        self.valid.lock().unwrap().clear();
    }

    /// Token requests so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}
