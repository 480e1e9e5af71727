//! The 17TRACK adapter against a local server that answers as 17TRACK's
//! Tracking API v2.2 does: it checks the key header and the JSON body of
//! every request, and answers with the bodies in `data/17track/`. Those were
//! written in the shape 17TRACK documents, not captured: a YunExpress parcel
//! from Shenzhen that USPS delivers, a number 17TRACK does not follow yet,
//! and the refusals of an account out of quota or over its daily limit.

mod support;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracklane_adapters::seventeen_track::SeventeenTrack;
use tracklane_adapters::{Adapter, PullError};

use support::{codes, header, json_body, too_many_requests};

const KEY: &str = "test-17token";
/// Where the API sits on the local server, as on 17TRACK's host.
const PREFIX: &str = "track/v2.2";

/// A parcel 17TRACK follows, delivered.
const DELIVERED: &str = "YT2412345678901234";
/// A number 17TRACK does not follow until it is registered.
const NEW: &str = "YT2412345678905678";
/// A number the account has no quota left to register.
const NO_QUOTA: &str = "YT2412345678909999";
/// A number asked about once the account's daily limit is used up.
const OVER_LIMIT: &str = "YT2412345678900000";
/// A number asked about too fast.
const TOO_FAST: &str = "YT2412345678901111";

const DELIVERED_BODY: &str = include_str!("data/17track/delivered.json");
const NOT_REGISTERED_BODY: &str = include_str!("data/17track/not-registered.json");
const REGISTERED_BODY: &str = include_str!("data/17track/registered.json");
const WAITING_BODY: &str = include_str!("data/17track/waiting.json");
const NO_QUOTA_BODY: &str = include_str!("data/17track/no-quota.json");
const DAILY_LIMIT_BODY: &str = include_str!("data/17track/daily-limit.json");
const UNAUTHORIZED_BODY: &str = include_str!("data/17track/unauthorized.json");

/// The local API's memory: what was registered, and every registration
/// asked for.
#[derive(Default)]
struct Account {
    registered: Mutex<Vec<String>>,
    registrations: Mutex<Vec<String>>,
}

/// The one number a request is about, when it has the key and a body of
/// one `{"number": …}` (no carrier: 17TRACK is to tell it); the status and
/// body of the refusal otherwise.
fn asked(headers: &HeaderMap, body: &str) -> Result<String, (StatusCode, &'static str)> {
    if header(headers, "17token") != Some(KEY) {
        return Err((StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY));
    }
    let bad = |why| (StatusCode::BAD_REQUEST, why);
    if !header(headers, "content-type").is_some_and(|v| v.starts_with("application/json")) {
        return Err(bad("{\"why\":\"content-type\"}"));
    }
    let parsed: serde_json::Value =
        serde_json::from_str(body).map_err(|_| bad("{\"why\":\"json\"}"))?;
    match parsed.as_array().map(Vec::as_slice) {
        Some([one]) if one.as_object().is_some_and(|o| o.len() == 1) => one["number"]
            .as_str()
            .map(str::to_owned)
            .ok_or(bad("{\"why\":\"number\"}")),
        _ => Err(bad("{\"why\":\"body\"}")),
    }
}

async fn gettrackinfo(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let number = match asked(&headers, &body) {
        Ok(number) => number,
        Err((status, body)) => return json_body(status, body),
    };
    let is_registered = account.registered.lock().unwrap().contains(&number);
    match number.as_str() {
        DELIVERED => json_body(StatusCode::OK, DELIVERED_BODY),
        NEW if is_registered => json_body(StatusCode::OK, WAITING_BODY),
        NEW => json_body(StatusCode::OK, NOT_REGISTERED_BODY),
        NO_QUOTA => json_body(StatusCode::OK, &NOT_REGISTERED_BODY.replace(NEW, NO_QUOTA)),
        OVER_LIMIT => json_body(StatusCode::OK, DAILY_LIMIT_BODY),
        TOO_FAST => too_many_requests(),
        // An answer about no number at all.
        _ => json_body(
            StatusCode::OK,
            r#"{"code":0,"data":{"accepted":[],"rejected":[]}}"#,
        ),
    }
}

async fn register(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let number = match asked(&headers, &body) {
        Ok(number) => number,
        Err((status, body)) => return json_body(status, body),
    };
    account.registrations.lock().unwrap().push(number.clone());
    match number.as_str() {
        NEW => {
            account.registered.lock().unwrap().push(number);
            json_body(StatusCode::OK, REGISTERED_BODY)
        }
        NO_QUOTA => json_body(StatusCode::OK, NO_QUOTA_BODY),
        _ => (StatusCode::BAD_REQUEST, "unexpected registration").into_response(),
    }
}

/// A client with `key` of a fresh local API, and that API's memory.
async fn seventeen_track(key: &str) -> (SeventeenTrack, Arc<Account>) {
    let account = Arc::new(Account::default());
    let app = axum::Router::new()
        .route(
            &format!("/{PREFIX}/gettrackinfo"),
            axum::routing::post(gettrackinfo),
        )
        .route(
            &format!("/{PREFIX}/register"),
            axum::routing::post(register),
        )
        .with_state(account.clone());
    let base = support::serve(app).await;
    let client =
        SeventeenTrack::new(reqwest::Client::builder(), &format!("{base}{PREFIX}"), key).unwrap();
    (client, account)
}

#[tokio::test]
async fn both_providers_events_come_oldest_first_each_once() {
    let (client, account) = seventeen_track(KEY).await;
    let items = client.track(DELIVERED).await.unwrap();
    assert_eq!(
        codes(&items),
        [
            "BOOKING_RECEIVED",
            "PICKED_UP",
            "ARRIVED_AT_TERMINAL",
            "DEPARTED_TERMINAL",
            "CUSTOMS_CLEARED",
            "DEPARTED",
            "ARRIVED_IN_DESTINATION_COUNTRY",
            "CUSTOMS_HOLD",
            "CUSTOMS_CLEARED",
            // Reported by YunExpress and by USPS alike: once.
            "CARRIER_TRANSFER",
            "ARRIVED_AT_TERMINAL",
            "DEPARTED_TERMINAL",
            "OUT_FOR_DELIVERY",
            "DELIVERED",
        ]
    );
    let first = &items[0];
    assert_eq!(first["trackingNumber"], DELIVERED);
    assert_eq!(first["occurredAt"], "2026-03-02T02:15:00Z");
    assert_eq!(first["status"]["rawCode"], "InfoReceived");
    assert_eq!(
        first["status"]["description"],
        "Shipment information received"
    );
    assert_eq!(first["location"]["address"]["countryCode"], "CN");

    let hold = &items[7];
    assert_eq!(hold["status"]["rawCode"], "InTransit_CustomsProcessing");
    assert_eq!(hold["occurredAt"], "2026-03-05T19:00:00Z");
    // Without `time_utc`, the local time at its offset.
    assert_eq!(items[12]["occurredAt"], "2026-03-07T15:55:00Z");
    let delivered = &items[13];
    assert_eq!(delivered["occurredAt"], "2026-03-07T21:20:00Z");
    assert_eq!(delivered["status"]["rawCode"], "Delivered_Other");
    assert_eq!(
        delivered["location"],
        serde_json::json!({ "address": { "city": "PASADENA", "region": "CA", "countryCode": "US" } })
    );
    assert!(account.registrations.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_number_is_registered_once_and_read_from_then_on() {
    let (client, account) = seventeen_track(KEY).await;
    assert!(client.track(NEW).await.unwrap().is_empty());
    assert_eq!(*account.registrations.lock().unwrap(), [NEW]);
    // Registered, and 17TRACK has not heard from the carrier yet.
    assert!(client.track(NEW).await.unwrap().is_empty());
    assert_eq!(*account.registrations.lock().unwrap(), [NEW]);
}

#[tokio::test]
async fn refusals_of_the_account_the_number_and_the_key_are_told_apart() {
    let (client, account) = seventeen_track(KEY).await;
    match client.track(NO_QUOTA).await {
        Err(PullError::NumberRefused {
            number,
            code,
            message,
        }) => {
            assert_eq!((number.as_str(), code), (NO_QUOTA, -18_019_908));
            assert!(message.contains("quota"), "{message}");
        }
        other => panic!("expected the number refused, got {other:?}"),
    }
    assert_eq!(*account.registrations.lock().unwrap(), [NO_QUOTA]);
    match client.track(OVER_LIMIT).await {
        Err(PullError::Refused { code, message }) => {
            assert_eq!(code, -18_019_907);
            assert!(message.contains("daily limit"), "{message}");
        }
        other => panic!("expected the request refused, got {other:?}"),
    }
    match client.track(TOO_FAST).await {
        Err(PullError::RateLimited {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, Some(30)),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert!(matches!(
        client.track("YT2412345678902222").await,
        Err(PullError::Format(_))
    ));
    let (wrong, account) = seventeen_track("wrong-key").await;
    assert!(matches!(
        wrong.track(NEW).await,
        Err(PullError::Unauthorized { status: 401 })
    ));
    assert!(account.registrations.lock().unwrap().is_empty());
}
