//! The UPS adapter against a local server that answers as UPS's OAuth and
//! Track APIs do, with the bodies in `data/ups/` (written in the shape of
//! UPS's published OpenAPI specifications).

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tracklane_adapters::ups::Ups;
use tracklane_adapters::{Adapter, PullError};

use support::{Tokens, codes, form_fields, json_body, too_many_requests};

const CLIENT_ID: &str = "tracklane-test-client";
const CLIENT_SECRET: &str = "tracklane-test-secret";
/// `Basic` and the base64 of `CLIENT_ID:CLIENT_SECRET`.
const BASIC: &str = "Basic dHJhY2tsYW5lLXRlc3QtY2xpZW50OnRyYWNrbGFuZS10ZXN0LXNlY3JldA==";

const DELIVERED: &str = include_str!("data/ups/delivered.json");
const RETURNED: &str = include_str!("data/ups/returned.json");
const NOT_FOUND: &str = include_str!("data/ups/not-found.json");
const NO_SUCH_NUMBER: &str = include_str!("data/ups/no-such-number.json");
const REFUSED: &str = include_str!("data/ups/refused.json");

/// Delivered from Shenzhen to Moreno Valley, through customs at Louisville.
const DELIVERED_NUMBER: &str = "1Z5R89390357567127";
/// Refused at its address in Chicago and returned to the shipper.
const RETURNED_NUMBER: &str = "1Z879E930346834440";
/// A number UPS answers with a warning instead of a package.
const UNSEEN_NUMBER: &str = "1Z999AA10123456784";
/// The Track API answers 429 for this one.
const BUSY_NUMBER: &str = "1Z999AA10000000009";
/// The Track API refuses every token for this one.
const FORBIDDEN_NUMBER: &str = "1Z999AA10000000017";

/// What the local UPS has seen and issued.
#[derive(Default)]
struct LocalUps {
    /// `expires_in` of the tokens it issues, as UPS sends it.
    expires_in: serde_json::Value,
    details_requests: AtomicUsize,
    tokens: Tokens,
    trans_ids: Mutex<HashSet<String>>,
}

impl LocalUps {}

async fn token(State(ups): State<Arc<LocalUps>>, headers: HeaderMap, body: String) -> Response {
    let n = ups.tokens.requested();
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(BASIC) {
        return json_body(StatusCode::UNAUTHORIZED, REFUSED);
    }
    if form_fields(&headers, &body).is_none() || body != "grant_type=client_credentials" {
        return json_body(StatusCode::BAD_REQUEST, "{}");
    }
    let access_token = ups.tokens.issue(n);
    let answer = json!({
        "token_type": "Bearer",
        "issued_at": "1772755200000",
        "client_id": CLIENT_ID,
        "access_token": access_token,
        "scope": "",
        "expires_in": ups.expires_in,
        "refresh_count": "0",
        "status": "approved",
    });
    json_body(StatusCode::OK, &answer.to_string())
}

async fn details(
    State(ups): State<Arc<LocalUps>>,
    Path(number): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    ups.details_requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| support::header(&headers, name);
    let is_valid = ups.tokens.accepts(&headers);
    if !is_valid || number == FORBIDDEN_NUMBER {
        return json_body(StatusCode::UNAUTHORIZED, REFUSED);
    }
    let Some(trans_id) = header("transId").filter(|t| !t.is_empty()) else {
        return json_body(StatusCode::BAD_REQUEST, "{\"missing\":\"transId\"}");
    };
    if !ups.trans_ids.lock().unwrap().insert(trans_id.to_owned()) {
        return json_body(StatusCode::BAD_REQUEST, "{\"repeated\":\"transId\"}");
    }
    if header("transactionSrc") != Some("tracklane") {
        return json_body(StatusCode::BAD_REQUEST, "{\"missing\":\"transactionSrc\"}");
    }
    if q.get("locale").map(String::as_str) != Some("en_US")
        || q.get("returnSignature").map(String::as_str) != Some("false")
    {
        return json_body(
            StatusCode::BAD_REQUEST,
            "{\"query\":\"locale, returnSignature\"}",
        );
    }
    match number.as_str() {
        DELIVERED_NUMBER => json_body(StatusCode::OK, DELIVERED),
        RETURNED_NUMBER => json_body(StatusCode::OK, RETURNED),
        UNSEEN_NUMBER => json_body(StatusCode::OK, NOT_FOUND),
        BUSY_NUMBER => too_many_requests(),
        _ => json_body(StatusCode::NOT_FOUND, NO_SUCH_NUMBER),
    }
}

/// A local UPS issuing tokens that expire in `expires_in` seconds, and an
/// adapter pointed at it with `secret`.
async fn ups(expires_in: serde_json::Value, secret: &str) -> (Ups, Arc<LocalUps>) {
    let state = Arc::new(LocalUps {
        expires_in,
        ..LocalUps::default()
    });
    let app = axum::Router::new()
        .route("/security/v1/oauth/token", axum::routing::post(token))
        .route(
            "/api/track/v1/details/{number}",
            axum::routing::get(details),
        )
        .with_state(state.clone());
    let base = support::serve(app).await;
    let adapter = Ups::new(reqwest::Client::builder(), &base, CLIENT_ID, secret).unwrap();
    (adapter, state)
}

/// UPS's usual lifetime, four hours less a second, as the string UPS sends.
fn four_hours() -> serde_json::Value {
    json!("14399")
}

#[tokio::test]
async fn a_delivered_parcel_becomes_push_items_oldest_first() {
    let (ups, _) = ups(four_hours(), CLIENT_SECRET).await;
    let items = ups.track(DELIVERED_NUMBER).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "RECEIVED_AT_ORIGIN",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "ARRIVED_IN_DESTINATION_COUNTRY",
            "CUSTOMS_HOLD",
            "CUSTOMS_CLEARED",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "SORTED",
            "OUT_FOR_DELIVERY",
            "DELIVERED",
        ]
    );
    let first = &items[0];
    assert_eq!(first["trackingNumber"], DELIVERED_NUMBER);
    assert_eq!(first["occurredAt"], "2026-03-06T02:05:00Z");
    assert_eq!(first["status"]["rawCode"], "MP");
    assert_eq!(
        first["status"]["description"],
        "Label created; UPS does not have the package yet"
    );
    assert_eq!(
        first["location"],
        json!({ "address": { "countryCode": "CN" } })
    );

    // Departed Hong Kong at 02:30 local (+08:00): the evening before in UTC.
    assert_eq!(items[3]["occurredAt"], "2026-03-06T18:30:00Z");
    assert_eq!(items[3]["location"]["address"]["city"], "Hong Kong");
    assert_eq!(items[3]["location"]["address"]["countryCode"], "HK");

    let delivered = &items[12];
    assert_eq!(delivered["occurredAt"], "2026-03-09T20:32:10Z");
    assert_eq!(delivered["status"]["rawCode"], "FS");
    assert_eq!(delivered["status"]["description"], "DELIVERED");
    assert_eq!(
        delivered["location"],
        json!({ "address": { "city": "Moreno Valley", "region": "CA", "countryCode": "US" } })
    );
}

#[tokio::test]
async fn a_refused_parcel_is_told_step_by_step_until_it_is_returned() {
    let (ups, _) = ups(four_hours(), CLIENT_SECRET).await;
    let items = ups.track(RETURNED_NUMBER).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "DELIVERY_ATTEMPTED",
            "INCORRECT_ADDRESS",
            "RECIPIENT_REFUSED_DELIVERY",
            "UNDELIVERABLE",
            "RETURNED",
        ]
    );
    let at: Vec<_> = items
        .iter()
        .map(|i| i["occurredAt"].as_str().unwrap())
        .collect();
    // `gmtTime` without its hour's leading zero; an activity with only its
    // local time, read as UTC; one with a local time and `gmtOffset`.
    assert_eq!(at[2], "2026-03-03T03:10:00Z");
    assert_eq!(at[7], "2026-03-07T08:15:00Z");
    assert_eq!(at[8], "2026-03-10T14:15:00Z");
}

#[tokio::test]
async fn unknown_numbers_refused_secrets_and_rate_limits_are_told_apart() {
    let (ups, _) = ups(four_hours(), CLIENT_SECRET).await;
    // A shipment with warnings and no package, and a 404.
    assert!(ups.track(UNSEEN_NUMBER).await.unwrap().is_empty());
    assert!(ups.track("1Z999AA10000000025").await.unwrap().is_empty());
    match ups.track(BUSY_NUMBER).await {
        Err(PullError::RateLimited {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, Some(30)),
        other => panic!("expected a rate limit, got {other:?}"),
    }

    let (wrong, server) = self::ups(four_hours(), "not-the-secret").await;
    assert!(matches!(
        wrong.track(DELIVERED_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    // A refused secret never reached the Track API.
    assert_eq!(server.details_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_token_is_kept_across_numbers_and_fetched_again_when_refused() {
    let (ups, server) = ups(four_hours(), CLIENT_SECRET).await;
    for number in [DELIVERED_NUMBER, RETURNED_NUMBER, UNSEEN_NUMBER] {
        ups.track(number).await.unwrap();
    }
    assert_eq!(server.tokens.requests(), 1);

    // UPS expires the token early: the 401 costs one more token and the
    // number is asked for again.
    server.tokens.expire_all();
    assert_eq!(codes(&ups.track(DELIVERED_NUMBER).await.unwrap()).len(), 13);
    assert_eq!(server.tokens.requests(), 2);
    assert_eq!(server.details_requests.load(Ordering::SeqCst), 5);
    ups.track(RETURNED_NUMBER).await.unwrap();
    assert_eq!(server.tokens.requests(), 2);

    // A Track API that refuses even a new token is not asked a third time.
    assert!(matches!(
        ups.track(FORBIDDEN_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    assert_eq!(server.tokens.requests(), 3);
    assert_eq!(server.details_requests.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn a_token_within_a_minute_of_expiry_is_renewed_before_use() {
    // A number, not UPS's usual string: both are read.
    let (ups, server) = ups(json!(45), CLIENT_SECRET).await;
    ups.track(DELIVERED_NUMBER).await.unwrap();
    ups.track(DELIVERED_NUMBER).await.unwrap();
    assert_eq!(server.tokens.requests(), 2);
}

#[test]
fn a_body_in_another_shape_is_a_format_error() {
    assert!(matches!(
        tracklane_adapters::ups::events(DELIVERED_NUMBER, b"{\"shipments\":[]}"),
        Err(PullError::Format(_))
    ));
    // An unreadable GMT time falls back to the local one; both unreadable
    // is an error.
    let bad_gmt = DELIVERED.replace("\"20:32:10\"", "\"half past one\"");
    assert_ne!(bad_gmt, DELIVERED);
    let items = tracklane_adapters::ups::events(DELIVERED_NUMBER, bad_gmt.as_bytes()).unwrap();
    assert_eq!(items[12]["occurredAt"], "2026-03-09T20:32:10Z");
    let bad_time = bad_gmt.replace("\"133210\"", "\"after lunch\"");
    assert!(matches!(
        tracklane_adapters::ups::events(DELIVERED_NUMBER, bad_time.as_bytes()),
        Err(PullError::Format(_))
    ));
}
