//! The USPS adapter against a local server that answers as USPS's OAuth and
//! Tracking APIs do, with the bodies in `data/usps/` (written in the shape of
//! USPS's published Tracking 3.0 specification and the examples in its
//! `api-examples` repository).
//!
//! USPS gives the code of an event abroad or in customs in a table of its
//! international scans that was not at hand when these bodies were written,
//! so those events carry no code here: the adapter reads them from their
//! words, as it does any event whose code it does not know.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tracklane_adapters::usps::Usps;
use tracklane_adapters::{Adapter, PullError};

use support::{Tokens, codes, form_fields, json_body, too_many_requests};

const CLIENT_ID: &str = "tracklane-test-consumer-key";
/// With characters the form body must encode.
const CLIENT_SECRET: &str = "s3cret+/with=signs&more";

const DELIVERED: &str = include_str!("data/usps/delivered.json");
const RETURNED: &str = include_str!("data/usps/returned.json");
const NOT_FOUND: &str = include_str!("data/usps/not-found.json");
const REFUSED: &str = include_str!("data/usps/refused.json");
const UNAUTHORIZED: &str = include_str!("data/usps/unauthorized.json");

/// A parcel from Guangzhou handed to USPS at its Los Angeles International
/// Service Center, held in customs there, and delivered in Chicago.
const DELIVERED_NUMBER: &str = "LZ503817463CN";
/// Left unclaimed at the post office in Naperville and delivered back to the
/// sender in Columbus.
const RETURNED_NUMBER: &str = "9400111899562539127468";
/// A number USPS has no tracking for.
const UNKNOWN_NUMBER: &str = "9400111899562539127475";
/// The Tracking API answers 429 for this one.
const BUSY_NUMBER: &str = "9400111899562539127482";
/// The Tracking API refuses every token for this one.
const FORBIDDEN_NUMBER: &str = "9400111899562539127499";

/// What the local USPS has seen and issued.
#[derive(Default)]
struct LocalUsps {
    tracking_requests: AtomicUsize,
    tokens: Tokens,
    /// The numbers the Tracking API was asked about, as it decoded them.
    numbers: Mutex<Vec<String>>,
}

impl LocalUsps {
    fn tracking_requests(&self) -> usize {
        self.tracking_requests.load(Ordering::SeqCst)
    }
}

async fn token(State(usps): State<Arc<LocalUsps>>, headers: HeaderMap, body: String) -> Response {
    let n = usps.tokens.requested();
    let Some(fields) = form_fields(&headers, &body) else {
        return json_body(StatusCode::BAD_REQUEST, "{}");
    };
    let field = |name: &str| fields.get(name).map(String::as_str);
    if field("grant_type") != Some("client_credentials") {
        return json_body(
            StatusCode::BAD_REQUEST,
            "{\"error\":\"unsupported_grant_type\"}",
        );
    }
    if !field("scope").is_some_and(|s| s.split(' ').any(|s| s == "tracking")) {
        return json_body(StatusCode::BAD_REQUEST, "{\"error\":\"invalid_scope\"}");
    }
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return json_body(StatusCode::UNAUTHORIZED, REFUSED);
    }
    let access_token = usps.tokens.issue(n);
    // USPS's example answer writes the lifetime as a string; eight hours
    // less a second.
    let answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "issued_at": "1772755200000",
        "expires_in": "28799",
        "status": "approved",
        "scope": "tracking",
        "issuer": "api.usps.com",
        "client_id": CLIENT_ID,
    });
    json_body(StatusCode::OK, &answer.to_string())
}

async fn tracking(
    State(usps): State<Arc<LocalUsps>>,
    Path(number): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    usps.tracking_requests.fetch_add(1, Ordering::SeqCst);
    usps.numbers.lock().unwrap().push(number.clone());
    let header = |name: &str| support::header(&headers, name);
    let is_valid = usps.tokens.accepts(&headers);
    if !is_valid || number == FORBIDDEN_NUMBER {
        return json_body(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    if q.get("expand").map(String::as_str) != Some("DETAIL") {
        return json_body(StatusCode::BAD_REQUEST, "{\"query\":\"expand\"}");
    }
    if header("accept") != Some("application/json") {
        return json_body(StatusCode::NOT_ACCEPTABLE, "{\"header\":\"accept\"}");
    }
    match number.as_str() {
        DELIVERED_NUMBER => json_body(StatusCode::OK, DELIVERED),
        RETURNED_NUMBER => json_body(StatusCode::OK, RETURNED),
        BUSY_NUMBER => too_many_requests(),
        _ => json_body(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// A local USPS and an adapter pointed at it with `secret`.
async fn usps(secret: &str) -> (Usps, Arc<LocalUsps>) {
    let state = Arc::new(LocalUsps::default());
    let app = axum::Router::new()
        .route("/oauth2/v3/token", axum::routing::post(token))
        .route(
            "/tracking/v3/tracking/{number}",
            axum::routing::get(tracking),
        )
        .with_state(state.clone());
    let base = support::serve(app).await;
    let adapter = Usps::new(reqwest::Client::builder(), &base, CLIENT_ID, secret).unwrap();
    (adapter, state)
}

#[tokio::test]
async fn a_delivered_international_parcel_becomes_push_items_oldest_first() {
    let (usps, _) = usps(CLIENT_SECRET).await;
    assert_eq!(usps.name(), "USPS tracking");
    let items = usps.track(DELIVERED_NUMBER).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "RECEIVED_AT_ORIGIN",
            "SORTED",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "CUSTOMS_PROCESSING",
            "CUSTOMS_HOLD",
            "CUSTOMS_CLEARED",
            "SORTED",
            "DEPARTED_TERMINAL",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "OUT_FOR_DELIVERY",
            "DELIVERED",
        ]
    );
    let first = &items[0];
    assert_eq!(first["trackingNumber"], DELIVERED_NUMBER);
    assert_eq!(first["occurredAt"], "2026-03-04T02:14:00Z");
    assert_eq!(first["status"]["rawCode"], "MA");
    assert_eq!(
        first["status"]["description"],
        "Pre-Shipment Info Sent to USPS, USPS Awaiting Item"
    );
    assert!(first.get("location").is_none(), "{first}");

    // Abroad there is no instant in UTC: the local time at its offset, even
    // where the local time is written with a `Z`. USPS names the country,
    // which the push format does not take.
    let sorted = &items[2];
    assert_eq!(sorted["occurredAt"], "2026-03-05T14:40:00Z");
    assert_eq!(sorted["status"]["rawCode"], "Processed Through Facility");
    assert_eq!(
        sorted["location"],
        json!({ "address": { "city": "GUANGZHOU" } })
    );
    // Left Guangzhou in the night of the 6th there, and reached Los Angeles
    // on the evening of the 5th there, thirteen and a half hours later.
    assert_eq!(items[3]["occurredAt"], "2026-03-05T17:30:00Z");
    assert_eq!(items[4]["occurredAt"], "2026-03-06T07:05:00Z");
    assert_eq!(
        items[4]["location"],
        json!({ "address": { "city": "ISC LOS ANGELES CA (USPS)" } })
    );

    let held = &items[6];
    assert_eq!(held["status"]["rawCode"], "Held in Customs");
    assert_eq!(
        held["location"],
        json!({ "address": { "city": "LOS ANGELES", "region": "CA" } })
    );
    assert_eq!(items[8]["status"]["rawCode"], "10");
    // Daylight saving time began in Los Angeles that night.
    assert_eq!(items[9]["occurredAt"], "2026-03-08T10:47:00Z");
    assert_eq!(
        items[12]["location"],
        json!({ "address": { "city": "CHICAGO", "region": "IL", "countryCode": "US" } })
    );

    let delivered = &items[14];
    assert_eq!(delivered["occurredAt"], "2026-03-10T18:58:40Z");
    assert_eq!(delivered["status"]["rawCode"], "01");
    assert_eq!(
        delivered["status"]["description"],
        "Delivered, In/At Mailbox"
    );
    assert_eq!(
        delivered["location"],
        json!({ "address": { "city": "CHICAGO", "region": "IL" } })
    );
}

#[tokio::test]
async fn an_unclaimed_package_is_followed_back_to_its_sender() {
    let (usps, _) = usps(CLIENT_SECRET).await;
    let items = usps.track(RETURNED_NUMBER).await.unwrap();
    // "In Transit, Arriving On Time" tells nothing and is left out.
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "DEPARTED_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "ARRIVED_AT_TERMINAL",
            "OUT_FOR_DELIVERY",
            "DELIVERY_ATTEMPTED",
            "READY_FOR_CUSTOMER_PICKUP",
            "UNDELIVERABLE",
            "DEPARTED_TERMINAL",
            "RETURNED",
        ]
    );
    // The notice and the pickup notice have the same minute and keep the
    // order they happened in.
    assert_eq!(items[7]["occurredAt"], items[8]["occurredAt"]);
    assert_eq!(items[7]["status"]["rawCode"], "52");
    assert_eq!(items[8]["status"]["rawCode"], "16");
    assert_eq!(items[9]["status"]["rawCode"], "27");
    let back = &items[11];
    assert_eq!(back["occurredAt"], "2026-03-23T15:12:00Z");
    assert_eq!(
        back["status"]["description"],
        "Delivered, To Original Sender"
    );
    assert_eq!(
        back["location"],
        json!({ "address": { "city": "COLUMBUS", "region": "OH" } })
    );
}

#[tokio::test]
async fn unknown_numbers_refused_secrets_and_rate_limits_are_told_apart() {
    let (usps, server) = usps(CLIENT_SECRET).await;
    assert!(usps.track(UNKNOWN_NUMBER).await.unwrap().is_empty());
    match usps.track(BUSY_NUMBER).await {
        Err(PullError::RateLimited {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, Some(30)),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    // A number with characters that mean something in a URL reaches USPS
    // whole, as one path segment.
    let odd = "9400 1118/99?expand=SUMMARY#x";
    assert!(usps.track(odd).await.unwrap().is_empty());
    assert_eq!(
        server.numbers.lock().unwrap().as_slice(),
        [UNKNOWN_NUMBER, BUSY_NUMBER, odd]
    );

    let (wrong, server) = self::usps("not-the-secret").await;
    assert!(matches!(
        wrong.track(DELIVERED_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    // A refused secret never reached the Tracking API.
    assert_eq!(server.tokens.requests(), 1);
    assert_eq!(server.tracking_requests(), 0);
}

#[tokio::test]
async fn the_token_is_kept_across_numbers_and_fetched_again_when_refused() {
    let (usps, server) = usps(CLIENT_SECRET).await;
    for number in [DELIVERED_NUMBER, RETURNED_NUMBER, UNKNOWN_NUMBER] {
        usps.track(number).await.unwrap();
    }
    assert_eq!(server.tokens.requests(), 1);
    assert_eq!(server.tracking_requests(), 3);

    // USPS revokes the token early: the 401 costs one more token and the
    // number is asked for again.
    server.tokens.expire_all();
    assert_eq!(usps.track(DELIVERED_NUMBER).await.unwrap().len(), 15);
    assert_eq!(server.tokens.requests(), 2);
    assert_eq!(server.tracking_requests(), 5);
    usps.track(RETURNED_NUMBER).await.unwrap();
    assert_eq!(server.tokens.requests(), 2);

    // A Tracking API that refuses even a new token is not asked a third time.
    assert!(matches!(
        usps.track(FORBIDDEN_NUMBER).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    assert_eq!(server.tokens.requests(), 3);
    assert_eq!(server.tracking_requests(), 8);
}

#[test]
fn a_recorded_body_in_another_shape_is_a_format_error() {
    let unreadable = DELIVERED.replace("\"2026-03-05T22:40:00Z\"", "\"after lunch\"");
    assert_ne!(unreadable, DELIVERED);
    assert!(matches!(
        tracklane_adapters::usps::events(DELIVERED_NUMBER, unreadable.as_bytes()),
        Err(PullError::Format(message)) if message.contains("after lunch")
    ));
    for body in [NOT_FOUND, UNAUTHORIZED, REFUSED] {
        assert!(matches!(
            tracklane_adapters::usps::events(DELIVERED_NUMBER, body.as_bytes()),
            Err(PullError::Format(_))
        ));
    }
}
