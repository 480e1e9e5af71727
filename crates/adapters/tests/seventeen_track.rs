//! The 17TRACK adapter against a local server that answers as 17TRACK's
//! Tracking API v2.2 does: it checks the key header and the JSON body of
//! every request, keeps the numbers of each, and answers with the bodies in
//! `data/17track/`. Those were written in the shape 17TRACK documents, not
//! captured: a YunExpress parcel from Shenzhen that USPS delivers, a number
//! 17TRACK does not follow yet, and the refusals of an account out of quota
//! or over its daily limit. A request about several numbers gets one answer
//! listing what each number's body lists, taken numbers first and refused
//! ones after, as 17TRACK answers.

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
/// Another parcel 17TRACK follows, delivered: the delivered body, about it.
const DELIVERED_TOO: &str = "YT2412345678903333";
/// Another number 17TRACK does not follow until it is registered.
const NEW_TOO: &str = "YT2412345678904444";
/// A number registered, of whose carrier 17TRACK has heard nothing yet.
const NOTHING_YET: &str = "YT2412345678906666";
/// A number 17TRACK cannot tell the carrier of.
const NO_CARRIER: &str = "YT2412345678907777";

const DELIVERED_BODY: &str = include_str!("data/17track/delivered.json");
const NOT_REGISTERED_BODY: &str = include_str!("data/17track/not-registered.json");
const REGISTERED_BODY: &str = include_str!("data/17track/registered.json");
const WAITING_BODY: &str = include_str!("data/17track/waiting.json");
const NO_QUOTA_BODY: &str = include_str!("data/17track/no-quota.json");
const DAILY_LIMIT_BODY: &str = include_str!("data/17track/daily-limit.json");
const UNAUTHORIZED_BODY: &str = include_str!("data/17track/unauthorized.json");

/// The local API's memory: what was registered, every number asked to be
/// registered, and the numbers of each request.
#[derive(Default)]
struct Account {
    registered: Mutex<Vec<String>>,
    registrations: Mutex<Vec<String>>,
    gettrackinfo_requests: Mutex<Vec<Vec<String>>>,
    register_requests: Mutex<Vec<Vec<String>>>,
}

impl Account {
    /// The numbers of each `gettrackinfo` request so far.
    fn gettrackinfo_requests(&self) -> Vec<Vec<String>> {
        self.gettrackinfo_requests.lock().unwrap().clone()
    }

    /// The numbers of each `register` request so far.
    fn register_requests(&self) -> Vec<Vec<String>> {
        self.register_requests.lock().unwrap().clone()
    }
}

/// The numbers a request is about, when it has the key and a body of 1 to
/// 40 `{"number": …}` (no carrier: 17TRACK is to tell it); the status and
/// body of the refusal otherwise.
fn asked(headers: &HeaderMap, body: &str) -> Result<Vec<String>, (StatusCode, &'static str)> {
    if header(headers, "17token") != Some(KEY) {
        return Err((StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY));
    }
    let bad = |why| (StatusCode::BAD_REQUEST, why);
    if !header(headers, "content-type").is_some_and(|v| v.starts_with("application/json")) {
        return Err(bad("{\"why\":\"content-type\"}"));
    }
    let parsed: serde_json::Value =
        serde_json::from_str(body).map_err(|_| bad("{\"why\":\"json\"}"))?;
    let entries = parsed
        .as_array()
        .filter(|entries| (1..=40).contains(&entries.len()))
        .ok_or(bad("{\"why\":\"body\"}"))?;
    entries
        .iter()
        .map(|entry| {
            entry
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o["number"].as_str())
                .map(str::to_owned)
                .ok_or(bad("{\"why\":\"number\"}"))
        })
        .collect()
}

/// What 17TRACK answers about one number.
enum Part {
    /// Its entries in the `accepted` and `rejected` lists.
    Listed {
        accepted: Vec<serde_json::Value>,
        rejected: Vec<serde_json::Value>,
    },
    /// The answer to the whole request.
    Whole(Response),
}

/// `number`'s entries in a recorded `body`, which is about `about`.
fn part(body: &str, about: &str, number: &str) -> Part {
    let answer: serde_json::Value = serde_json::from_str(&body.replace(about, number)).unwrap();
    let list = |name: &str| answer["data"][name].as_array().cloned().unwrap_or_default();
    Part::Listed {
        accepted: list("accepted"),
        rejected: list("rejected"),
    }
}

/// `number` refused with `code` and `message`.
fn refused(number: &str, code: i64, message: &str) -> Part {
    let entry =
        serde_json::json!({ "number": number, "error": { "code": code, "message": message } });
    Part::Listed {
        accepted: Vec::new(),
        rejected: vec![entry],
    }
}

/// One answer about every number asked: each number's part, taken numbers
/// first, or the first answer to a whole request.
fn answer(numbers: &[String], part: impl Fn(&str) -> Part) -> Response {
    let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
    for number in numbers {
        match part(number) {
            Part::Listed {
                accepted: taken,
                rejected: refused,
            } => {
                accepted.extend(taken);
                rejected.extend(refused);
            }
            Part::Whole(whole) => return whole,
        }
    }
    let body =
        serde_json::json!({ "code": 0, "data": { "accepted": accepted, "rejected": rejected } });
    json_body(StatusCode::OK, &body.to_string())
}

/// What `gettrackinfo` has for `number`.
fn tracking(account: &Account, number: &str) -> Part {
    let is_registered = account
        .registered
        .lock()
        .unwrap()
        .iter()
        .any(|n| n == number);
    match number {
        DELIVERED | DELIVERED_TOO => part(DELIVERED_BODY, DELIVERED, number),
        NEW | NEW_TOO if is_registered => part(WAITING_BODY, NEW, number),
        NEW | NEW_TOO | NO_QUOTA | NO_CARRIER => part(NOT_REGISTERED_BODY, NEW, number),
        NOTHING_YET => refused(number, -18_019_909, "No tracking information at this time."),
        OVER_LIMIT => Part::Whole(json_body(StatusCode::OK, DAILY_LIMIT_BODY)),
        TOO_FAST => Part::Whole(too_many_requests()),
        // Neither taken nor refused.
        _ => Part::Listed {
            accepted: Vec::new(),
            rejected: Vec::new(),
        },
    }
}

/// What `register` makes of `number`.
fn registering(account: &Account, number: &str) -> Part {
    account
        .registrations
        .lock()
        .unwrap()
        .push(number.to_owned());
    match number {
        NEW | NEW_TOO => {
            account.registered.lock().unwrap().push(number.to_owned());
            part(REGISTERED_BODY, NEW, number)
        }
        NO_QUOTA => part(NO_QUOTA_BODY, NO_QUOTA, number),
        NO_CARRIER => refused(number, -18_019_903, "The carrier cannot be detected."),
        _ => Part::Whole((StatusCode::BAD_REQUEST, "unexpected registration").into_response()),
    }
}

async fn gettrackinfo(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    call(&headers, &body, &account.gettrackinfo_requests, |number| {
        tracking(&account, number)
    })
}

async fn register(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    call(&headers, &body, &account.register_requests, |number| {
        registering(&account, number)
    })
}

/// One call: the numbers asked, kept in `log`, each answered by `part`.
fn call(
    headers: &HeaderMap,
    body: &str,
    log: &Mutex<Vec<Vec<String>>>,
    part: impl Fn(&str) -> Part,
) -> Response {
    let numbers = match asked(headers, body) {
        Ok(numbers) => numbers,
        Err((status, body)) => return json_body(status, body),
    };
    log.lock().unwrap().push(numbers.clone());
    answer(&numbers, part)
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

#[tokio::test]
async fn a_batch_is_one_lookup_and_one_registration_answered_in_the_order_asked() {
    let (client, account) = seventeen_track(KEY).await;
    assert_eq!(client.batch_size(), 40);
    let numbers = [
        NEW,
        DELIVERED,
        NO_QUOTA,
        "YT2412345678902222",
        NOTHING_YET,
        NEW_TOO,
        NO_CARRIER,
        DELIVERED_TOO,
    ];
    let lookups = client.track_many(&numbers).await.unwrap();
    assert_eq!(lookups.len(), numbers.len());

    // One request for the lot, and one registration of exactly the numbers
    // 17TRACK does not follow, in the order asked.
    let owned = |numbers: &[&str]| numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(account.gettrackinfo_requests(), [owned(&numbers)]);
    assert_eq!(
        account.register_requests(),
        [owned(&[NEW, NO_QUOTA, NEW_TOO, NO_CARRIER])]
    );

    let events = |i: usize| match &lookups[i] {
        Ok(items) => items,
        Err(e) => panic!("{}: {e}", numbers[i]),
    };
    // Registered now: nothing to read until the next round.
    assert!(events(0).is_empty());
    assert!(events(5).is_empty());
    // Each delivered parcel's own events, about it.
    for (i, number) in [(1, DELIVERED), (7, DELIVERED_TOO)] {
        assert_eq!(events(i).len(), 14, "{number}");
        assert!(
            events(i)
                .iter()
                .all(|item| item["trackingNumber"] == number)
        );
        assert_eq!(codes(events(i)).last(), Some(&"DELIVERED"));
    }
    assert!(
        events(4).is_empty(),
        "registered, nothing from the carrier yet"
    );
    // Each refusal is its number's alone.
    assert!(matches!(
        &lookups[2],
        Err(PullError::NumberRefused { number, code: -18_019_908, .. }) if number == NO_QUOTA
    ));
    assert!(matches!(&lookups[3], Err(PullError::Format(_))));
    match &lookups[6] {
        Err(PullError::NumberRefused {
            number,
            code,
            message,
        }) => {
            assert_eq!((number.as_str(), *code), (NO_CARRIER, -18_019_903));
            assert!(message.contains("cannot tell the carrier"), "{message}");
        }
        other => panic!("expected the number refused, got {other:?}"),
    }

    // The next round reads the registered numbers, and registers none.
    let again = client.track_many(&[NEW, NEW_TOO, DELIVERED]).await.unwrap();
    assert!(again[0].as_ref().is_ok_and(Vec::is_empty));
    assert!(again[1].as_ref().is_ok_and(Vec::is_empty));
    assert!(again[2].as_ref().is_ok_and(|items| items.len() == 14));
    assert_eq!(account.gettrackinfo_requests().len(), 2);
    assert_eq!(account.register_requests().len(), 1);
}

#[tokio::test]
async fn numbers_past_forty_go_in_a_second_request() {
    let (client, account) = seventeen_track(KEY).await;
    let numbers: Vec<&str> = [DELIVERED, DELIVERED_TOO].repeat(21);
    let lookups = client.track_many(&numbers).await.unwrap();
    assert_eq!(lookups.len(), 42);
    assert!(
        lookups
            .iter()
            .all(|l| l.as_ref().is_ok_and(|items| items.len() == 14))
    );
    let sizes: Vec<usize> = account
        .gettrackinfo_requests()
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, [40, 2]);
    assert!(account.register_requests().is_empty());
}

#[tokio::test]
async fn a_refusal_of_the_request_refuses_the_whole_batch() {
    let (client, account) = seventeen_track(KEY).await;
    assert!(matches!(
        client.track_many(&[DELIVERED, OVER_LIMIT, NEW]).await,
        Err(PullError::Refused {
            code: -18_019_907,
            ..
        })
    ));
    assert!(matches!(
        client.track_many(&[NEW, TOO_FAST]).await,
        Err(PullError::RateLimited { .. })
    ));
    // Nothing is registered on the strength of a refused lookup.
    assert!(account.register_requests().is_empty());
}
