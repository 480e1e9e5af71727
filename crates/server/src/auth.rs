//! Who is calling. API keys arrive as `Authorization: Bearer <key>`; SP-API
//! clients first trade a key (as their refresh token) for a short-lived access
//! token at `/auth/o2/token` and send it as `x-amz-access-token`. Keys are stored
//! only as SHA-256 hashes: they are long random strings, so a slow password hash
//! would add nothing but latency.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tracklane_store::Principal;

use crate::AppState;
use crate::error::{ApiError, Lang};

/// How long an SP-API access token lives, as Login with Amazon's do.
pub const SPAPI_TOKEN_TTL_SECONDS: i64 = 3600;
/// Access tokens kept at most; the oldest are dropped beyond it.
const TOKENS_MAX: usize = 100_000;

/// The stored form of a key.
pub fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Access tokens handed out to SP-API clients, by hash.
#[derive(Default)]
pub struct TokenTable {
    tokens: Mutex<HashMap<String, (Principal, Timestamp)>>,
}

impl TokenTable {
    pub(crate) fn insert(
        &self,
        token: &str,
        principal: Principal,
        expires: Timestamp,
        now: Timestamp,
    ) {
        if let Ok(mut tokens) = self.tokens.lock() {
            if tokens.len() >= TOKENS_MAX {
                tokens.retain(|_, (_, until)| *until > now);
            }
            tokens.insert(hash_key(token), (principal, expires));
        }
    }

    /// The principal `token` was issued to, while it lives.
    pub(crate) fn get(&self, token: &str, now: Timestamp) -> Option<Principal> {
        let tokens = self.tokens.lock().ok()?;
        tokens
            .get(&hash_key(token))
            .filter(|(_, until)| *until > now)
            .map(|(p, _)| p.clone())
    }
}

/// The credential a request carries: an SP-API access token when it sends
/// `x-amz-access-token` at all, otherwise a non-empty bearer key.
pub(crate) enum Credential<'a> {
    /// `x-amz-access-token`, trimmed.
    AccessToken(&'a str),
    /// `Authorization: Bearer <key>`, trimmed.
    Key(&'a str),
}

/// The credential in `headers`, if any.
pub(crate) fn credential(headers: &HeaderMap) -> Option<Credential<'_>> {
    if let Some(token) = headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(Credential::AccessToken(token.trim()));
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(Credential::Key)
}

/// The principal a request's credential was already resolved to, left in
/// the request's extensions by the rate limits (`limits.rs`) so that
/// [`Caller`] does not look the key up a second time.
#[derive(Clone)]
pub(crate) struct Authenticated(pub Principal);

/// The authenticated caller.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(Authenticated(principal)) = parts.extensions.get::<Authenticated>() {
            return Ok(Caller(principal.clone()));
        }
        let lang = Lang::pick(
            parts.uri.query(),
            parts
                .headers
                .get("accept-language")
                .and_then(|v| v.to_str().ok()),
        );
        match credential(&parts.headers) {
            Some(Credential::AccessToken(token)) => state
                .tokens
                .get(token, state.clock.now())
                .map(Caller)
                .ok_or_else(|| ApiError::unauthorized(lang)),
            Some(Credential::Key(key)) => principal_for_key(state, key, lang).await.map(Caller),
            None => Err(ApiError::unauthorized(lang)),
        }
    }
}

/// The principal a raw key belongs to.
pub(crate) async fn principal_for_key(
    state: &AppState,
    key: &str,
    lang: Lang,
) -> Result<Principal, ApiError> {
    state
        .store
        .principal(&hash_key(key))
        .await
        .map_err(|e| ApiError::store(lang, e))?
        .ok_or_else(|| ApiError::unauthorized(lang))
}
