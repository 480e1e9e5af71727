//! Carriers that do not push: the hub polls DHL's tracking API, and 17TRACK's
//! for a Chinese line (local servers answering with the adapters' test
//! bodies), for their open numbers and stores what comes back through the
//! push path, once. 17TRACK is asked about 40 numbers per request.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Query;
use axum::response::IntoResponse;
use serde_json::json;
use tracklane::pull::Poller;
use tracklane_adapters::dhl::Dhl;
use tracklane_adapters::seventeen_track::SeventeenTrack;
use tracklane_core::{CarrierCode, Shipment};

use crate::support::{TestHub, UPS, carrier, now, shipment};

const TRANSIT: &str = include_str!("../../adapters/tests/data/dhl/transit.json");
const DELIVERED: &str = include_str!("../../adapters/tests/data/dhl/delivered.json");
const TRACK17_NOT_REGISTERED: &str =
    include_str!("../../adapters/tests/data/17track/not-registered.json");
const TRACK17_REGISTERED: &str = include_str!("../../adapters/tests/data/17track/registered.json");
const TRACK17_DELIVERED: &str = include_str!("../../adapters/tests/data/17track/delivered.json");
/// The number the 17TRACK bodies for a new number are about.
const TRACK17_NEW: &str = "YT2412345678905678";
/// The YunExpress number of the delivered 17TRACK body.
const YUNEXPRESS_NUMBER: &str = "YT2412345678901234";

/// Serves `app` on loopback; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// DHL's API as a local server: the first answer is the recorded one in
/// transit, later ones the recorded delivery. Keeps the numbers asked for.
async fn dhl_replay() -> (String, Arc<Mutex<Vec<String>>>) {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let kept = asked.clone();
    let app = axum::Router::new().route(
        "/track/shipments",
        axum::routing::get(
            move |Query(q): Query<std::collections::HashMap<String, String>>| {
                let (kept, calls) = (kept.clone(), calls.clone());
                async move {
                    kept.lock()
                        .unwrap()
                        .push(q.get("trackingNumber").cloned().unwrap_or_default());
                    let body = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        TRANSIT
                    } else {
                        DELIVERED
                    };
                    ([("content-type", "application/json")], body).into_response()
                }
            },
        ),
    );
    (serve(app).await, asked)
}

#[tokio::test]
async fn open_dhl_numbers_are_polled_and_stored_once_until_delivered() {
    let hub = TestHub::start().await;
    hub.store().put_carrier(carrier("DHL", &[])).await.unwrap();
    let s = hub.create(shipment(5, "A1SELLERA", Some("DHL"), 1)).await;
    let (status, body) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/tracking", s.id),
            json!({ "carrierCode": "DHL", "boxes": [{ "boxId": s.packages[0].box_id.as_str(), "trackingNumber": "1234567891" }] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Another carrier's number is not DHL's to answer for.
    let other = hub
        .create(shipment(6, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &other, &[UPS[0]]).await;

    let (base, asked) = dhl_replay().await;
    let poller = Poller::new(
        Dhl::new(reqwest::Client::builder(), &base, "test-key").unwrap(),
        vec![CarrierCode::parse("DHL").unwrap()],
        Duration::ZERO,
    );
    let first = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (
            first.numbers,
            first.accepted,
            first.duplicates,
            first.rejected
        ),
        (1, 5, 0, 0),
        "{first:?}"
    );
    let path = format!("/api/v1/shipments/{}", s.id);
    let (_, detail) = hub.get(&hub.seller_a, &path).await;
    assert_eq!(detail["status"], "IN_TRANSIT", "{detail}");

    let second = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (second.accepted, second.duplicates),
        (5, 5),
        "the recorded history again is stored once: {second:?}"
    );
    let (_, detail) = hub.get(&hub.seller_a, &path).await;
    assert_eq!(detail["status"], "DELIVERED", "{detail}");
    let timeline = detail["packages"][0]["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 10, "{detail}");

    let third = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(third.numbers, 0, "a delivered shipment is not polled");
    assert_eq!(*asked.lock().unwrap(), ["1234567891", "1234567891"]);
}

/// 17TRACK's API as a local server: it follows no number until it is
/// registered, and then answers with the recorded delivery. Keeps the paths
/// asked for.
async fn seventeen_track_replay() -> (String, Arc<Mutex<Vec<String>>>) {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = asked.clone();
    let app = axum::Router::new().route(
        "/{call}",
        axum::routing::post(
            move |axum::extract::Path(call): axum::extract::Path<String>| {
                let kept = kept.clone();
                async move {
                    let mut asked = kept.lock().unwrap();
                    let is_registered = asked.iter().any(|c| c == "register");
                    asked.push(call.clone());
                    let body = match (call.as_str(), is_registered) {
                        ("gettrackinfo", false) => TRACK17_NOT_REGISTERED,
                        ("register", _) => TRACK17_REGISTERED,
                        _ => TRACK17_DELIVERED,
                    };
                    let body = body.replace(TRACK17_NEW, YUNEXPRESS_NUMBER);
                    ([("content-type", "application/json")], body).into_response()
                }
            },
        ),
    );
    (serve(app).await, asked)
}

/// A YunExpress shipment `n` of seller A with one box per number of
/// `numbers`, the numbers attached by the seller, on a hub that knows
/// YunExpress.
async fn yunexpress_shipment(hub: &TestHub, n: u64, numbers: &[String]) -> Shipment {
    hub.store()
        .put_carrier(carrier("YUNEXPRESS", &[]))
        .await
        .unwrap();
    let s = hub
        .create(shipment(
            n,
            "A1SELLERA",
            Some("YUNEXPRESS"),
            numbers.len() as u32,
        ))
        .await;
    let boxes: Vec<_> = s
        .packages
        .iter()
        .zip(numbers)
        .map(|(p, number)| json!({ "boxId": p.box_id.as_str(), "trackingNumber": number }))
        .collect();
    let (status, body) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/tracking", s.id),
            json!({ "carrierCode": "YUNEXPRESS", "boxes": boxes }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s
}

/// A poller of YunExpress numbers through a 17TRACK at `base`, without pauses.
fn seventeen_track_poller(base: &str) -> Poller<SeventeenTrack> {
    Poller::new(
        SeventeenTrack::new(reqwest::Client::builder(), base, "test-key").unwrap(),
        vec![CarrierCode::parse("YUNEXPRESS").unwrap()],
        Duration::ZERO,
    )
}

#[tokio::test]
async fn a_chinese_line_is_registered_at_17track_then_read_until_delivered() {
    let hub = TestHub::start().await;
    let s = yunexpress_shipment(&hub, 7, &[YUNEXPRESS_NUMBER.to_owned()]).await;

    let (base, asked) = seventeen_track_replay().await;
    let poller = seventeen_track_poller(&base);
    let first = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (first.numbers, first.accepted, first.failed),
        (1, 0, 0),
        "registered, nothing to read yet: {first:?}"
    );
    let second = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (second.accepted, second.duplicates, second.rejected),
        (14, 0, 0),
        "{second:?}"
    );
    let path = format!("/api/v1/shipments/{}", s.id);
    let (_, detail) = hub.get(&hub.seller_a, &path).await;
    assert_eq!(detail["status"], "DELIVERED", "{detail}");
    let third = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(third.numbers, 0, "a delivered shipment is not polled");
    assert_eq!(
        *asked.lock().unwrap(),
        ["gettrackinfo", "register", "gettrackinfo"]
    );

    // What a serving hub adds up after each round, the operator reads in
    // /metrics by adapter.
    let metrics = &hub.running.state.metrics;
    for round in [first, second, third] {
        metrics.add_poll("17TRACK tracking", round.totals());
    }
    let text = hub.metrics().await;
    for line in [
        "tracklane_poll_lookups_total{adapter=\"17TRACK tracking\"} 2",
        "tracklane_poll_lookups_failed_total{adapter=\"17TRACK tracking\"} 0",
        "tracklane_poll_milestones_stored_total{adapter=\"17TRACK tracking\"} 14",
        "tracklane_poll_rounds_stopped_total{adapter=\"17TRACK tracking\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}

/// A YunExpress number of the batched round: `YT` and 16 digits.
fn yunexpress_number(i: usize) -> String {
    format!("YT24000000000000{i:02}")
}

/// What the batching 17TRACK server has registered, and each request it
/// answered: the call and the numbers in its body.
#[derive(Default)]
struct Batches {
    registered: Mutex<HashSet<String>>,
    requests: Mutex<Vec<(String, Vec<String>)>>,
}

impl Batches {
    /// The size of each request of `call`, in the order they came.
    fn sizes(&self, call: &str) -> Vec<usize> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .filter(|(c, _)| c == call)
            .map(|(_, numbers)| numbers.len())
            .collect()
    }

    /// Every number asked of `call`, in the order asked.
    fn numbers(&self, call: &str) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .filter(|(c, _)| c == call)
            .flat_map(|(_, numbers)| numbers.clone())
            .collect()
    }
}

/// What the batching 17TRACK server answers about `number` for `call`:
/// its entry in the `accepted` list, or in the `rejected` one.
fn seventeen_track_entry(batches: &Batches, call: &str, number: &str) -> (bool, serde_json::Value) {
    let mut registered = batches.registered.lock().unwrap();
    match call {
        "register" => {
            registered.insert(number.to_owned());
            (
                true,
                json!({ "number": number, "carrier": 190008, "origin": 1 }),
            )
        }
        _ if registered.contains(number) => {
            let delivered: serde_json::Value =
                serde_json::from_str(&TRACK17_DELIVERED.replace(YUNEXPRESS_NUMBER, number))
                    .unwrap();
            (true, delivered["data"]["accepted"][0].clone())
        }
        _ => {
            let error = json!({ "code": -18_019_902, "message": "The tracking number does not register, please register first." });
            (false, json!({ "number": number, "error": error }))
        }
    }
}

/// 17TRACK's API as a local server that reads the numbers of each request
/// and answers about each: it follows no number until it is registered, and
/// then answers with the recorded delivery, about that number.
async fn seventeen_track_batches() -> (String, Arc<Batches>) {
    let batches = Arc::new(Batches::default());
    let kept = batches.clone();
    let app = axum::Router::new().route(
        "/{call}",
        axum::routing::post(
            move |axum::extract::Path(call): axum::extract::Path<String>, body: String| {
                let batches = kept.clone();
                async move {
                    let asked: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
                    let numbers: Vec<String> = asked
                        .iter()
                        .map(|entry| entry["number"].as_str().unwrap().to_owned())
                        .collect();
                    let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
                    for number in &numbers {
                        match seventeen_track_entry(&batches, &call, number) {
                            (true, entry) => accepted.push(entry),
                            (false, entry) => rejected.push(entry),
                        }
                    }
                    batches.requests.lock().unwrap().push((call, numbers));
                    let body = json!({ "code": 0, "data": { "accepted": accepted, "rejected": rejected } });
                    ([("content-type", "application/json")], body.to_string()).into_response()
                }
            },
        ),
    );
    (serve(app).await, batches)
}

#[tokio::test]
async fn seventeen_track_is_asked_about_forty_numbers_per_request() {
    const NUMBERS: usize = 45;
    let hub = TestHub::start().await;
    let numbers: Vec<String> = (0..NUMBERS).map(yunexpress_number).collect();
    let s = yunexpress_shipment(&hub, 8, &numbers).await;

    let (base, batches) = seventeen_track_batches().await;
    let poller = seventeen_track_poller(&base);
    let requests_per_round = NUMBERS.div_ceil(40);
    let first = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (first.numbers, first.accepted, first.failed, first.stopped),
        (NUMBERS, 0, 0, false),
        "registered, nothing to read yet: {first:?}"
    );
    // A lookup of each batch, then one registration of its numbers.
    assert_eq!(batches.sizes("gettrackinfo"), [40, 5]);
    assert_eq!(batches.sizes("register"), [40, 5]);
    assert_eq!(batches.sizes("gettrackinfo").len(), requests_per_round);
    let mut all: Vec<String> = (0..NUMBERS).map(yunexpress_number).collect();
    all.sort();
    for call in ["gettrackinfo", "register"] {
        let mut asked = batches.numbers(call);
        asked.sort();
        assert_eq!(asked, all, "each number once in the {call} requests");
    }

    let second = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(
        (
            second.numbers,
            second.accepted,
            second.duplicates,
            second.failed
        ),
        (NUMBERS, NUMBERS * 14, 0, 0),
        "each number's own delivery, stored: {second:?}"
    );
    assert_eq!(batches.sizes("gettrackinfo"), [40, 5, 40, 5]);
    assert_eq!(batches.sizes("register").len(), requests_per_round);
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(detail["status"], "DELIVERED", "{detail}");
    let third = poller.poll_once(hub.store(), now()).await.unwrap();
    assert_eq!(third.numbers, 0, "a delivered shipment is not polled");
}
