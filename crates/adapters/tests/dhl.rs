//! The DHL adapter against a local server that answers as DHL's unified
//! tracking API does, with the bodies in `data/dhl/` (written in the shape of
//! DHL's published reference).

mod support;

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracklane_adapters::dhl::Dhl;
use tracklane_adapters::{Adapter, PullError};

use support::{codes, too_many_requests};

const KEY: &str = "test-key";
const TRANSIT: &str = include_str!("data/dhl/transit.json");
const DELIVERED: &str = include_str!("data/dhl/delivered.json");
const NOT_FOUND: &str = include_str!("data/dhl/not-found.json");

async fn answer(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if headers.get("DHL-API-Key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        return (StatusCode::UNAUTHORIZED, "{\"title\":\"Unauthorized\"}").into_response();
    }
    if q.get("language").map(String::as_str) != Some("en") {
        return (StatusCode::BAD_REQUEST, "language").into_response();
    }
    let json = [("content-type", "application/json")];
    match q.get("trackingNumber").map(String::as_str) {
        Some("1234567891") => (json, TRANSIT).into_response(),
        Some("1234567902") => (json, DELIVERED).into_response(),
        Some("9999999999") => too_many_requests(),
        _ => (
            StatusCode::NOT_FOUND,
            [("content-type", "application/problem+json")],
            NOT_FOUND,
        )
            .into_response(),
    }
}

async fn dhl(key: &str) -> Dhl {
    let app = axum::Router::new().route("/track/shipments", axum::routing::get(answer));
    let base = support::serve(app).await;
    Dhl::new(reqwest::Client::builder(), &base, key).unwrap()
}

#[tokio::test]
async fn a_recorded_answer_becomes_push_items_oldest_first() {
    let dhl = dhl(KEY).await;
    let items = dhl.track("1234567891").await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "ARRIVED_AT_TERMINAL",
            "SORTED",
            "DEPARTED_TERMINAL"
        ]
    );
    let first = &items[0];
    assert_eq!(first["trackingNumber"], "1234567891");
    assert_eq!(first["occurredAt"], "2026-03-08T01:00:00Z");
    assert_eq!(first["status"]["rawCode"], "pre-transit");
    assert_eq!(
        first["status"]["description"],
        "Shipment information received"
    );
    assert_eq!(
        first["location"]["address"]["city"],
        "SHENZHEN - CHINA MAINLAND"
    );
    assert_eq!(first["location"]["address"]["countryCode"], "CN");

    let delivered = dhl.track("1234567902").await.unwrap();
    assert_eq!(
        codes(&delivered)[5..],
        [
            "ARRIVED_AT_TERMINAL",
            "CUSTOMS_DELAY",
            "CUSTOMS_CLEARED",
            "OUT_FOR_DELIVERY",
            "DELIVERED"
        ]
    );
    assert_eq!(delivered[9]["occurredAt"], "2026-03-10T19:32:00Z");
}

#[tokio::test]
async fn unknown_numbers_bad_keys_and_rate_limits_are_told_apart() {
    let dhl = dhl(KEY).await;
    assert!(dhl.track("1234567913").await.unwrap().is_empty());
    match dhl.track("9999999999").await {
        Err(PullError::RateLimited {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, Some(30)),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    let wrong = self::dhl("wrong-key").await;
    assert!(matches!(
        wrong.track("1234567891").await,
        Err(PullError::Unauthorized { status: 401 })
    ));
}

#[test]
fn a_body_in_another_shape_is_a_format_error() {
    assert!(matches!(
        tracklane_adapters::dhl::events("1234567891", b"{\"results\":[]}"),
        Err(PullError::Format(_))
    ));
    let bad_time = TRANSIT.replace("2026-03-08T09:00:00+08:00", "8 March");
    assert!(matches!(
        tracklane_adapters::dhl::events("1234567891", bad_time.as_bytes()),
        Err(PullError::Format(_))
    ));
}
