//! The FedEx adapter against a local server that answers as FedEx's OAuth and
//! Track APIs do, with the bodies in `data/fedex/` (written in the shape of
//! FedEx's published Track API specification). A request about several
//! numbers gets one answer listing each number's complete result, last
//! number first: FedEx does not promise its answer's order.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tracklane_adapters::fedex::Fedex;
use tracklane_adapters::{Adapter, PullError};

use support::{Tokens, codes, form_fields, json_body, too_many_requests};

const CLIENT_ID: &str = "l7tracklane-test-client";
/// With characters the form body must encode.
const CLIENT_SECRET: &str = "s3cret+/with=signs&more";

const DELIVERED: &str = include_str!("data/fedex/delivered.json");
const RETURNED: &str = include_str!("data/fedex/returned.json");
const NOT_FOUND: &str = include_str!("data/fedex/not-found.json");
const REFUSED: &str = include_str!("data/fedex/refused.json");

/// International Priority from Shenzhen to Chicago, held in customs at
/// Memphis on the way.
const DELIVERED_NUMBER: &str = "775512340016";
/// Three failed deliveries in Naperville, then on its way back.
const RETURNED_NUMBER: &str = "775512340032";
/// A number FedEx has no record of.
const UNKNOWN_NUMBER: &str = "775512340024";
/// The Track API answers 429 for this one.
const BUSY_NUMBER: &str = "775512340040";
/// The Track API refuses every token for this one.
const FORBIDDEN_NUMBER: &str = "775512340059";

/// What the local FedEx has seen and issued.
#[derive(Default)]
struct LocalFedex {
    track_requests: AtomicUsize,
    /// The numbers of each Track API request it answered.
    numbers_asked: Mutex<Vec<Vec<String>>>,
    tokens: Tokens,
}

impl LocalFedex {
    fn track_requests(&self) -> usize {
        self.track_requests.load(Ordering::SeqCst)
    }

    fn numbers_asked(&self) -> Vec<Vec<String>> {
        self.numbers_asked.lock().unwrap().clone()
    }
}

async fn token(State(fedex): State<Arc<LocalFedex>>, headers: HeaderMap, body: String) -> Response {
    let n = fedex.tokens.requested();
    let Some(fields) = form_fields(&headers, &body) else {
        return json_body(StatusCode::BAD_REQUEST, "{}");
    };
    let field = |name: &str| fields.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return json_body(StatusCode::BAD_REQUEST, "{}");
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return json_body(StatusCode::UNAUTHORIZED, REFUSED);
    }
    let access_token = fedex.tokens.issue(n);
    let answer = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "CXS",
    });
    json_body(StatusCode::OK, &answer.to_string())
}

async fn track(State(fedex): State<Arc<LocalFedex>>, headers: HeaderMap, body: String) -> Response {
    fedex.track_requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| support::header(&headers, name);
    let is_valid = fedex.tokens.accepts(&headers);
    if !is_valid {
        return json_body(StatusCode::UNAUTHORIZED, REFUSED);
    }
    if header("x-locale") != Some("en_US")
        || !header("content-type").is_some_and(|v| v.starts_with("application/json"))
    {
        return json_body(StatusCode::BAD_REQUEST, "{\"missing\":\"headers\"}");
    }
    let request: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let Some(numbers) = asked(&request) else {
        return json_body(StatusCode::BAD_REQUEST, "{\"bad\":\"body\"}");
    };
    fedex.numbers_asked.lock().unwrap().push(numbers.clone());
    let mut results = Vec::new();
    for number in numbers.iter().rev() {
        let recorded = match number.as_str() {
            FORBIDDEN_NUMBER => return json_body(StatusCode::UNAUTHORIZED, REFUSED),
            BUSY_NUMBER => return too_many_requests(),
            DELIVERED_NUMBER => DELIVERED,
            RETURNED_NUMBER => RETURNED,
            UNKNOWN_NUMBER => NOT_FOUND,
            _ => return json_body(StatusCode::BAD_REQUEST, "{\"bad\":\"number\"}"),
        };
        let recorded: serde_json::Value = serde_json::from_str(recorded).unwrap();
        results.extend(
            recorded["output"]["completeTrackResults"]
                .as_array()
                .unwrap()
                .clone(),
        );
    }
    let answer = json!({
        "transactionId": "5e0f3a7c-2b61-4d8e-9f14-c7a0d9b2e853",
        "output": { "completeTrackResults": results },
    });
    json_body(StatusCode::OK, &answer.to_string())
}

/// The numbers of a Track API request asking for detailed scans about 1 to
/// 30 numbers.
fn asked(request: &serde_json::Value) -> Option<Vec<String>> {
    if request["includeDetailedScans"] != true {
        return None;
    }
    let tracking_info = request["trackingInfo"]
        .as_array()
        .filter(|info| (1..=30).contains(&info.len()))?;
    tracking_info
        .iter()
        .map(|info| {
            info["trackingNumberInfo"]["trackingNumber"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

/// A local FedEx and an adapter pointed at it with `secret`.
async fn fedex(secret: &str) -> (Fedex, Arc<LocalFedex>) {
    let state = Arc::new(LocalFedex::default());
    let app = axum::Router::new()
        .route("/oauth/token", axum::routing::post(token))
        .route("/track/v1/trackingnumbers", axum::routing::post(track))
        .with_state(state.clone());
    let base = support::serve(app).await;
    let adapter = Fedex::new(reqwest::Client::builder(), &base, CLIENT_ID, secret).unwrap();
    (adapter, state)
}

#[tokio::test]
async fn a_delivered_international_parcel_becomes_push_items_oldest_first() {
    let (fedex, _) = fedex(CLIENT_SECRET).await;
    assert_eq!(fedex.name(), "FedEx tracking");
    let items = fedex.track(DELIVERED_NUMBER).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "ARRIVED_AT_TERMINAL",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "CUSTOMS_DELAY",
            "CUSTOMS_CLEARED",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "OUT_FOR_DELIVERY",
            "DELIVERED",
        ]
    );
    let first = &items[0];
    assert_eq!(first["trackingNumber"], DELIVERED_NUMBER);
    assert_eq!(first["occurredAt"], "2026-03-02T01:12:40Z");
    assert_eq!(first["status"]["rawCode"], "OC");
    assert_eq!(
        first["status"]["description"],
        "Shipment information sent to FedEx"
    );
    assert_eq!(
        first["location"],
        json!({ "address": { "countryCode": "CN" } })
    );

    // Left Guangzhou at 06:45 local (+08:00), the evening before in UTC, and
    // reached Anchorage at 22:45 local (-09:00) on what is there still the
    // day before.
    assert_eq!(items[5]["occurredAt"], "2026-03-02T22:45:00Z");
    assert_eq!(
        items[5]["location"],
        json!({ "address": { "city": "GUANGZHOU", "countryCode": "CN" } })
    );
    assert_eq!(items[6]["occurredAt"], "2026-03-03T07:45:00Z");
    assert_eq!(items[6]["location"]["address"]["region"], "AK");

    let held = &items[9];
    assert_eq!(held["status"]["rawCode"], "CD");
    assert_eq!(
        held["status"]["description"],
        "Clearance delay - Import; Package available for clearance"
    );
    assert_eq!(items[10]["status"]["rawCode"], "IT");

    let delivered = &items[14];
    assert_eq!(delivered["occurredAt"], "2026-03-04T19:47:00Z");
    assert_eq!(delivered["status"]["rawCode"], "DL");
    assert_eq!(delivered["status"]["description"], "Delivered");
    assert_eq!(
        delivered["location"],
        json!({ "address": { "city": "CHICAGO", "region": "IL", "countryCode": "US" } })
    );
}

#[tokio::test]
async fn failed_deliveries_are_told_apart_until_the_parcel_goes_back() {
    let (fedex, _) = fedex(CLIENT_SECRET).await;
    let items = fedex.track(RETURNED_NUMBER).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "OUT_FOR_DELIVERY",
            "DELIVERY_ATTEMPTED",
            "INCORRECT_ADDRESS",
            "RECIPIENT_REFUSED_DELIVERY",
            "UNDELIVERABLE",
        ]
    );
    assert_eq!(
        items[5]["status"]["description"],
        "Delivery exception; Customer not available or business closed"
    );
    assert_eq!(items[8]["status"]["rawCode"], "RS");
}

#[tokio::test]
async fn unknown_numbers_refused_secrets_and_rate_limits_are_told_apart() {
    let (fedex, _) = fedex(CLIENT_SECRET).await;
    assert!(fedex.track(UNKNOWN_NUMBER).await.unwrap().is_empty());
    match fedex.track(BUSY_NUMBER).await {
        Err(PullError::RateLimited {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, Some(30)),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    // A request FedEx cannot read is neither "unknown" nor the key's fault.
    assert!(matches!(
        fedex.track("not a number FedEx takes").await,
        Err(PullError::Status(400))
    ));

    let (wrong, server) = self::fedex("not-the-secret").await;
    assert!(matches!(
        wrong.track(DELIVERED_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    // A refused secret never reached the Track API.
    assert_eq!(server.tokens.requests(), 1);
    assert_eq!(server.track_requests(), 0);
}

#[tokio::test]
async fn the_token_is_kept_across_numbers_and_fetched_again_when_refused() {
    let (fedex, server) = fedex(CLIENT_SECRET).await;
    for number in [DELIVERED_NUMBER, RETURNED_NUMBER, UNKNOWN_NUMBER] {
        fedex.track(number).await.unwrap();
    }
    assert_eq!(server.tokens.requests(), 1);
    assert_eq!(server.track_requests(), 3);

    // FedEx expires the token early: the 401 costs one more token and the
    // number is asked for again.
    server.tokens.expire_all();
    assert_eq!(fedex.track(DELIVERED_NUMBER).await.unwrap().len(), 15);
    assert_eq!(server.tokens.requests(), 2);
    assert_eq!(server.track_requests(), 5);
    fedex.track(RETURNED_NUMBER).await.unwrap();
    assert_eq!(server.tokens.requests(), 2);

    // A Track API that refuses even a new token is not asked a third time.
    assert!(matches!(
        fedex.track(FORBIDDEN_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    assert_eq!(server.tokens.requests(), 3);
    assert_eq!(server.track_requests(), 8);
}

#[test]
fn a_recorded_body_in_another_shape_is_a_format_error() {
    let unreadable = DELIVERED.replace("\"2026-03-04T13:47:00-06:00\"", "\"after lunch\"");
    assert_ne!(unreadable, DELIVERED);
    assert!(matches!(
        tracklane_adapters::fedex::events(DELIVERED_NUMBER, unreadable.as_bytes()),
        Err(PullError::Format(_))
    ));
    assert!(matches!(
        tracklane_adapters::fedex::events(DELIVERED_NUMBER, REFUSED.as_bytes()),
        Err(PullError::Format(_))
    ));
}

#[tokio::test]
async fn a_batch_is_one_request_answered_in_the_order_asked() {
    let (fedex, server) = fedex(CLIENT_SECRET).await;
    assert_eq!(fedex.batch_size(), 30);
    let numbers = [RETURNED_NUMBER, UNKNOWN_NUMBER, DELIVERED_NUMBER];
    let lookups = fedex.track_many(&numbers).await.unwrap();
    assert_eq!(server.numbers_asked(), [numbers.map(str::to_owned)]);
    let events: Vec<_> = lookups
        .iter()
        .zip(numbers)
        .map(|(lookup, number)| match lookup {
            Ok(items) => items,
            Err(e) => panic!("{number}: {e}"),
        })
        .collect();
    assert_eq!(codes(events[0]).last(), Some(&"UNDELIVERABLE"));
    assert_eq!(events[0].len(), 9);
    // Not found: no events, and no failure.
    assert!(events[1].is_empty());
    assert_eq!(codes(events[2]).last(), Some(&"DELIVERED"));
    assert_eq!(events[2].len(), 15);
    for (items, number) in events.iter().zip(numbers) {
        assert!(items.iter().all(|item| item["trackingNumber"] == number));
    }
}

#[tokio::test]
async fn numbers_past_thirty_go_in_a_second_request_and_refusals_refuse_the_batch() {
    let (fedex, server) = fedex(CLIENT_SECRET).await;
    let numbers = [DELIVERED_NUMBER, UNKNOWN_NUMBER].repeat(16);
    let lookups = fedex.track_many(&numbers).await.unwrap();
    assert_eq!(lookups.len(), 32);
    for (lookup, number) in lookups.iter().zip(&numbers) {
        let expected = if *number == DELIVERED_NUMBER { 15 } else { 0 };
        assert!(lookup.as_ref().is_ok_and(|items| items.len() == expected));
    }
    let sizes: Vec<usize> = server.numbers_asked().iter().map(Vec::len).collect();
    assert_eq!(sizes, [30, 2]);
    assert_eq!(server.tokens.requests(), 1);

    assert!(matches!(
        fedex.track_many(&[DELIVERED_NUMBER, BUSY_NUMBER]).await,
        Err(PullError::RateLimited { .. })
    ));
}
