//! Webhooks end to end: subscriptions through the API, deliveries left in the
//! store with each change, the sender posting them signed to a real receiver
//! on loopback, retrying on its schedule, and deliveries resent on request.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tracklane::hub::{self, FixedClock};
use tracklane::outbound::Trust;
use tracklane::webhooks::{RETRY_AFTER, Sender};
use tracklane_core::{SellerId, Shipment};
use tracklane_server::AppState;
use tracklane_server::webhooks::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify};
use tracklane_store::{Assessment, ExceptionDraft, Principal};

use crate::support::tls::{TestCa, TlsListener};
use crate::support::{TestHub, UPS, milestone, now, reroute_offer, shipment};

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A receiver on loopback that answers with `statuses` in turn (the last one
/// for ever after), or as [`Receiver::answer`] says, and keeps what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    mended: Arc<Mutex<Option<u16>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (app, got, mended) = Receiver::app(statuses);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got, mended }
    }

    /// A receiver over HTTPS at `https://localhost:…`, with a certificate from `ca`.
    async fn start_tls(statuses: &[u16], ca: &TestCa) -> Receiver {
        let listener = TlsListener::bind(ca.server(&["localhost"])).await;
        let port = axum::serve::Listener::local_addr(&listener).unwrap().port();
        let url = format!("https://localhost:{port}/hook");
        let (app, got, mended) = Receiver::app(statuses);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got, mended }
    }

    /// The receiving app, what it keeps, and the status it answers with
    /// from [`Receiver::answer`] on.
    #[allow(clippy::type_complexity)] // Three handles, each used once.
    fn app(
        statuses: &[u16],
    ) -> (
        axum::Router,
        Arc<Mutex<Vec<Received>>>,
        Arc<Mutex<Option<u16>>>,
    ) {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let mended: Arc<Mutex<Option<u16>>> = Arc::default();
        let statuses = statuses.to_vec();
        let (kept, answer) = (got.clone(), mended.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (kept, answer) = (kept.clone(), answer.clone());
                let statuses = statuses.clone();
                async move {
                    let mut got = kept.lock().unwrap();
                    got.push(Received { headers, body });
                    let status = answer
                        .lock()
                        .unwrap()
                        .unwrap_or_else(|| statuses[(got.len() - 1).min(statuses.len() - 1)]);
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        (app, got, mended)
    }

    /// Answers every request from now on with `status`: the receiver is mended.
    fn answer(&self, status: u16) {
        *self.mended.lock().unwrap() = Some(status);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Subscribes `key` to `events` (all when `None`) at `url`; returns the id and secret.
async fn subscribe(
    hub: &TestHub,
    key: &str,
    url: &str,
    events: Option<&[&str]>,
) -> (String, String) {
    let mut body = json!({ "url": url });
    if let Some(events) = events {
        body["events"] = json!(events);
    }
    let (status, created) = hub
        .send(reqwest::Method::POST, key, "/api/v1/webhooks", body)
        .await;
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// The hub's state with its clock at `at`: the sender reads due times from it.
pub(crate) fn at(hub: &TestHub, at: Timestamp) -> AppState {
    AppState::new(
        hub.running.state.store.clone(),
        Arc::new(FixedClock(at)),
        hub::seeded_random(1),
    )
}

async fn deliveries(hub: &TestHub, key: &str, id: &str) -> Vec<Value> {
    let (status, body) = hub
        .get(key, &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_milestone_reaches_the_sellers_receiver_signed_in_the_sp_api_shape() {
    let hub = TestHub::start().await;
    let seller_a = Receiver::start(&[200]).await;
    let seller_b = Receiver::start(&[200]).await;
    let carrier_y = Receiver::start(&[200]).await;
    let (a_id, a_secret) = subscribe(&hub, &hub.seller_a, &seller_a.url, None).await;
    let (b_id, _) = subscribe(&hub, &hub.seller_b, &seller_b.url, None).await;
    subscribe(&hub, &hub.carrier_y, &carrier_y.url, None).await;

    let s = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &[UPS[0]]).await;
    // Two milestones in one batch: the receiver hears once, of the newest.
    let pushed = hub
        .push(
            &hub.carrier_x,
            vec![
                milestone(UPS[0], "PICKED_UP", "2026-03-08T02:00:00Z"),
                milestone(UPS[0], "DEPARTED", "2026-03-09T02:00:00Z"),
            ],
        )
        .await;
    assert_eq!(pushed["accepted"], 2, "{pushed}");

    let sender = Sender::new(reqwest::Client::builder(), &hub.running.url()).unwrap();
    let report = sender.send_due(&hub.running.state).await.unwrap();
    assert_eq!(
        (report.delivered, report.retrying, report.given_up),
        (1, 0, 0)
    );
    assert!(
        seller_b.got().is_empty(),
        "seller B does not see seller A's shipment"
    );
    assert!(carrier_y.got().is_empty(), "carrier Y carries none of it");

    let got = seller_a.got();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert!(verify(
        &a_secret,
        request.header(SIGNATURE_HEADER),
        &request.body,
        now(),
        300
    ));
    assert!(!verify(
        "whsec_wrong",
        request.header(SIGNATURE_HEADER),
        &request.body,
        now(),
        300
    ));
    assert_eq!(
        request.header(EVENT_HEADER),
        "SHIPMENT_TRACKING_MILESTONE_CHANGED"
    );
    let body = request.json();
    assert_eq!(
        body["notificationType"],
        "SHIPMENT_TRACKING_MILESTONE_CHANGED"
    );
    assert_eq!(body["payloadVersion"], "2026-01-30");
    assert_eq!(
        body["notificationMetadata"]["subscriptionId"],
        a_id.as_str()
    );
    assert_eq!(
        body["notificationMetadata"]["notificationId"],
        request.header(DELIVERY_HEADER)
    );
    let detail = &body["payload"]["shipmentTrackingMilestoneChangedNotification"]["trackingDetail"];
    assert_eq!(
        detail["identifier"]["carrierTracking"]["trackingNumber"],
        UPS[0]
    );
    assert_eq!(
        detail["identifier"]["carrierTracking"]["carrierCode"],
        "CARRIER_X"
    );
    assert_eq!(detail["latestMilestone"]["status"]["code"], "DEPARTED");
    let history: Vec<&str> = detail["milestoneHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["DEPARTED", "PICKED_UP"]);

    let listed = deliveries(&hub, &hub.seller_a, &a_id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            &listed[0]["state"],
            &listed[0]["attempts"],
            &listed[0]["lastStatus"]
        ),
        (&json!("DELIVERED"), &json!(1), &json!(200))
    );
    assert!(deliveries(&hub, &hub.seller_b, &b_id).await.is_empty());
    let (status, _) = hub
        .get(
            &hub.seller_b,
            &format!("/api/v1/webhooks/{a_id}/deliveries"),
        )
        .await;
    assert_eq!(status, 404, "one key cannot read another's subscription");

    // Nothing is left to send, and a repeated push sends nothing new.
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "DEPARTED", "2026-03-09T02:00:00Z")],
    )
    .await;
    let again = sender.send_due(&hub.running.state).await.unwrap();
    assert_eq!(again.delivered, 0);
}

#[tokio::test]
async fn engine_events_reach_the_seller_and_reroute_offers_only_their_carrier() {
    let hub = TestHub::start().await;
    let seller = Receiver::start(&[200]).await;
    let carrier_x = Receiver::start(&[200]).await;
    let carrier_y = Receiver::start(&[200]).await;
    subscribe(
        &hub,
        &hub.seller_a,
        &seller.url,
        Some(&["EXCEPTION_OPENED", "EXCEPTION_RESOLVED", "REROUTE_OFFERED"]),
    )
    .await;
    subscribe(
        &hub,
        &hub.carrier_x,
        &carrier_x.url,
        Some(&["REROUTE_OFFERED"]),
    )
    .await;
    subscribe(&hub, &hub.carrier_y, &carrier_y.url, None).await;
    let s = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &[UPS[1]]).await;
    let store = hub.store();
    let hold = ExceptionDraft {
        kind: "customs_hold".into(),
        severity: "high".into(),
        since: now(),
        evidence: "CUSTOMS_HOLD at Los Angeles".into(),
        next_step_en: "Send the broker the invoice.".into(),
        next_step_zh: "把发票发给报关行。".into(),
    };
    let verdict = |exceptions: Vec<ExceptionDraft>| Assessment {
        shipment: s.id.clone(),
        estimate: None,
        exceptions,
        handled: Vec::new(),
    };
    store
        .put_assessments(vec![verdict(vec![hold.clone()])], now())
        .await
        .unwrap();
    // The same verdict again refreshes the exception: no second event.
    store
        .put_assessments(vec![verdict(vec![hold])], now())
        .await
        .unwrap();
    store
        .put_assessments(vec![verdict(Vec::new())], now())
        .await
        .unwrap();
    store
        .offer_reroutes(vec![reroute_offer(&s)], now())
        .await
        .unwrap();

    let report = hub.send_webhooks().await;
    assert_eq!(report.delivered, 4, "{report:?}");
    let kinds: Vec<String> = seller
        .got()
        .iter()
        .map(|r| r.header(EVENT_HEADER).to_owned())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["EXCEPTION_OPENED", "EXCEPTION_RESOLVED", "REROUTE_OFFERED"]
    );
    let opened = seller
        .got()
        .into_iter()
        .find(|r| r.header(EVENT_HEADER) == "EXCEPTION_OPENED")
        .unwrap()
        .json();
    assert_eq!(opened["payload"]["exception"]["kind"], "customs_hold");
    assert_eq!(opened["payload"]["exception"]["shipmentId"], s.id.as_str());
    assert_eq!(
        opened["payload"]["exception"]["nextStepZh"],
        "把发票发给报关行。"
    );
    let offered = carrier_x.got();
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].json()["payload"]["reroute"]["to"], "ABE8");
    assert!(
        carrier_y.got().is_empty(),
        "another carrier's offer is not sent to Y"
    );
}

/// A warehouse receipt is told to the shipment's seller and its carrier,
/// with the counts and the status after it; a receipt that changes nothing
/// is not told again, and another seller hears nothing.
#[tokio::test]
async fn a_warehouse_receipt_reaches_the_seller_and_the_carrier_with_its_counts() {
    let hub = TestHub::start().await;
    let seller = Receiver::start(&[200]).await;
    let carrier = Receiver::start(&[200]).await;
    let other = Receiver::start(&[200]).await;
    subscribe(
        &hub,
        &hub.seller_a,
        &seller.url,
        Some(&["RECEIPT_RECORDED"]),
    )
    .await;
    subscribe(&hub, &hub.carrier_x, &carrier.url, None).await;
    subscribe(&hub, &hub.seller_b, &other.url, None).await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &[UPS[1]]).await;
    let close =
        json!({ "items": [{ "sku": "SKU-3", "unitsReceived": 22 }], "receivingComplete": true });
    let path = format!("/api/v1/shipments/{}/receipts", s.id);
    for _ in 0..2 {
        let (status, body) = hub
            .send(reqwest::Method::POST, &hub.operator, &path, close.clone())
            .await;
        assert_eq!(status, 200, "{body}");
    }
    hub.send_webhooks().await;

    let got = seller.got();
    assert_eq!(got.len(), 1, "one receipt changed something");
    assert_eq!(got[0].header(EVENT_HEADER), "RECEIPT_RECORDED");
    let payload = &got[0].json()["payload"];
    assert_eq!(payload["shipmentId"], s.id.as_str());
    assert_eq!(
        payload["receipt"]["changes"],
        json!([{ "sku": "SKU-3", "from": 0, "to": 22 }])
    );
    assert_eq!(
        (
            &payload["receipt"]["status"],
            &payload["receipt"]["unitsReceived"],
            &payload["receipt"]["unitsExpected"],
            &payload["receipt"]["closes"],
        ),
        (&json!("CLOSED"), &json!(22), &json!(24), &json!(true))
    );
    let kinds: Vec<String> = carrier
        .got()
        .iter()
        .map(|r| r.header(EVENT_HEADER).to_owned())
        .collect();
    assert!(
        kinds.iter().any(|k| k == "RECEIPT_RECORDED"),
        "the carrier of the shipment is told: {kinds:?}"
    );
    assert!(other.got().is_empty(), "another seller hears nothing");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_schedule_and_a_dead_one_given_up_and_switched_off() {
    let hub = TestHub::start().await;
    let flaky = Receiver::start(&[500, 503, 200]).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let (flaky_id, _) = subscribe(
        &hub,
        &hub.operator,
        &flaky.url,
        Some(&["DELIVERY_WINDOW_CHANGED"]),
    )
    .await;
    let (dead_id, _) = subscribe(
        &hub,
        &hub.operator,
        &dead,
        Some(&["DELIVERY_WINDOW_CHANGED"]),
    )
    .await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let move_window = |start: &'static str, end: &'static str| {
        let (hub, id) = (&hub, s.id.clone());
        async move {
            let (status, body) = hub
                .send(
                    reqwest::Method::PUT,
                    &hub.seller_a,
                    &format!("/api/v1/shipments/{id}/delivery-window"),
                    json!({ "startDate": start, "endDate": end }),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    move_window("2026-03-22", "2026-03-28").await;

    let sender = Sender::new(reqwest::Client::builder(), &hub.running.url()).unwrap();
    let minutes = |m: i64| now() + SignedDuration::from_mins(m);
    let first = sender.send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((first.delivered, first.retrying), (0, 2));
    // Nothing is due again until a minute has passed.
    let early = sender.send_due(&at(&hub, minutes(0))).await.unwrap();
    assert_eq!((early.delivered, early.retrying), (0, 0));
    let second = sender.send_due(&at(&hub, minutes(1))).await.unwrap();
    assert_eq!((second.delivered, second.retrying), (0, 2));
    let third = sender.send_due(&at(&hub, minutes(6))).await.unwrap();
    assert_eq!((third.delivered, third.retrying), (1, 1));

    let got = flaky.got();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header(DELIVERY_HEADER) == got[0].header(DELIVERY_HEADER))
    );
    let body = got[2].json();
    assert_eq!(body["payload"]["shipmentId"], s.id.as_str());
    assert_eq!(
        body["payload"]["deliveryWindowChange"]["to"]["startDate"],
        "2026-03-22"
    );
    let listed = deliveries(&hub, &hub.operator, &flaky_id).await;
    assert_eq!(
        (
            &listed[0]["state"],
            &listed[0]["attempts"],
            &listed[0]["lastStatus"]
        ),
        (&json!("DELIVERED"), &json!(3), &json!(200))
    );

    // The dead receiver: five more attempts, each when due, then no more.
    // Before the last, a second change leaves each subscription another.
    let mut t = 6;
    for pause in [30, 120, 360, 720, 1440] {
        if pause == 1440 {
            move_window("2026-03-29", "2026-04-04").await;
        }
        t += pause;
        let round = sender.send_due(&at(&hub, minutes(t))).await.unwrap();
        assert_eq!(round.delivered, usize::from(pause == 1440));
        assert_eq!(round.switched_off, usize::from(pause == 1440));
    }
    // Given up after 8 attempts with nothing delivered since: the
    // subscription is switched off, and its other pending delivery fails.
    let listed = deliveries(&hub, &hub.operator, &dead_id).await;
    assert_eq!(
        (&listed[1]["state"], &listed[1]["attempts"]),
        (&json!("FAILED"), &json!(8)),
        "{listed:?}"
    );
    assert!(
        listed[1]["lastError"]
            .as_str()
            .unwrap()
            .contains("error sending request"),
        "{listed:?}"
    );
    assert_eq!(
        (&listed[0]["state"], &listed[0]["lastError"]),
        (
            &json!("FAILED"),
            &json!("the subscription was switched off")
        ),
        "{listed:?}"
    );
    let (status, body) = hub.get(&hub.operator, "/api/v1/webhooks").await;
    assert_eq!(status, 200, "{body}");
    let listed = body["webhooks"].as_array().unwrap();
    let dead_view = listed.iter().find(|w| w["id"] == dead_id.as_str()).unwrap();
    assert!(dead_view["disabledAt"].is_string(), "{dead_view}");
    let reason = dead_view["disabledReason"].as_str().unwrap();
    assert!(
        reason.starts_with("all 8 attempts") && reason.contains("error sending request"),
        "{reason}"
    );
    let flaky_view = listed
        .iter()
        .find(|w| w["id"] == flaky_id.as_str())
        .unwrap();
    assert!(flaky_view["disabledAt"].is_null(), "{flaky_view}");

    // Switched off, it is left nothing; the other still hears.
    move_window("2026-04-05", "2026-04-11").await;
    assert_eq!(deliveries(&hub, &hub.operator, &dead_id).await.len(), 2);
    let later = sender
        .send_due(&at(&hub, minutes(t + 10_000)))
        .await
        .unwrap();
    assert_eq!((later.delivered, later.retrying, later.given_up), (1, 0, 0));

    // Its owner switches it back on: the next change is queued for it.
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.operator,
            &format!("/api/v1/webhooks/{dead_id}/enable"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["disabledAt"].is_null(), "{body}");
    move_window("2026-03-22", "2026-03-28").await;
    let listed = deliveries(&hub, &hub.operator, &dead_id).await;
    assert_eq!((listed.len(), &listed[0]["state"]), (3, &json!("PENDING")));
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            &format!("/api/v1/webhooks/{dead_id}/enable"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "another key's subscription is not found");
}

#[tokio::test]
async fn bad_subscriptions_name_the_field_in_both_languages_and_deletion_stops_deliveries() {
    let hub = TestHub::start().await;
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            "/api/v1/webhooks",
            json!({ "url": "example.com/hook" }),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("url")),
        "{body}"
    );
    let zh = hub
        .client
        .post(hub.url("/api/v1/webhooks"))
        .bearer_auth(&hub.seller_a)
        .header("accept-language", "zh-CN")
        .json(&json!({ "url": "https://example.com/hook", "events": ["DELIVERED"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(zh.status().as_u16(), 400);
    let zh: Value = zh.json().await.unwrap();
    assert_eq!(zh["errors"][0]["field"], "events[0]", "{zh}");
    assert!(
        zh["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("可选"),
        "{zh}"
    );

    let receiver = Receiver::start(&[200]).await;
    let (id, _) = subscribe(&hub, &hub.seller_a, &receiver.url, None).await;
    let (_, listed) = hub.get(&hub.seller_a, "/api/v1/webhooks").await;
    assert_eq!(listed["webhooks"][0]["id"], id.as_str());
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "the secret is shown only once"
    );
    let (status, _) = hub
        .send(
            reqwest::Method::DELETE,
            &hub.seller_b,
            &format!("/api/v1/webhooks/{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 404, "seller B cannot delete A's subscription");
    let (status, _) = hub
        .send(
            reqwest::Method::DELETE,
            &hub.seller_a,
            &format!("/api/v1/webhooks/{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    hub.picked_up(4, UPS[2]).await;
    let report = hub.send_webhooks().await;
    assert_eq!(report.delivered, 0);
    assert!(receiver.got().is_empty());
}

/// A finished delivery stays in the listing for a week: a delivered one a
/// week after delivery, a failed one a week after its last attempt.
#[tokio::test]
async fn finished_deliveries_are_kept_for_a_week() {
    let hub = TestHub::start().await;
    let receiver = Receiver::start(&[200]).await;
    let (id, _) = subscribe(&hub, &hub.seller_a, &receiver.url, None).await;
    let store = hub.store();
    let days = |d: i64| now() + SignedDuration::from_hours(24 * d);
    hub.picked_up(5, UPS[0]).await;
    hub.picked_up(6, UPS[1]).await;
    hub.picked_up(7, UPS[2]).await;
    let due = store.due_deliveries(now(), 10).await.unwrap();
    assert_eq!(due.len(), 3);
    let delivered = |at| tracklane_store::Attempt::Delivered { status: 200, at };
    let given_up = |at| tracklane_store::Attempt::Failed {
        status: Some(500),
        error: "the receiver answered 500".into(),
        at,
        retry_at: None,
    };
    store
        .record_attempt(due[0].1.id, delivered(now()))
        .await
        .unwrap();
    store
        .record_attempt(due[1].1.id, given_up(days(2)))
        .await
        .unwrap();
    assert_eq!(deliveries(&hub, &hub.seller_a, &id).await.len(), 3);
    // Eight days on, the delivered one is dropped; the failed one is not yet.
    store
        .record_attempt(due[2].1.id, delivered(days(8)))
        .await
        .unwrap();
    let states: Vec<String> = deliveries(&hub, &hub.seller_a, &id)
        .await
        .iter()
        .map(|d| d["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["DELIVERED", "FAILED"]);
    // Ten days on, the failed one goes too.
    hub.picked_up(8, UPS[3]).await;
    let last = store.due_deliveries(days(10), 10).await.unwrap();
    store
        .record_attempt(last[0].1.id, delivered(days(10)))
        .await
        .unwrap();
    assert_eq!(deliveries(&hub, &hub.seller_a, &id).await.len(), 2);
}

#[tokio::test]
async fn https_receivers_are_reached_when_their_authority_is_trusted_and_only_then() {
    let hub = TestHub::start().await;
    let ca = TestCa::new();
    let receiver = Receiver::start_tls(&[200], &ca).await;
    let (id, secret) = subscribe(&hub, &hub.seller_a, &receiver.url, None).await;
    hub.picked_up(1, UPS[0]).await;

    // The system's and Mozilla's roots do not know this authority: the
    // certificate is refused and the delivery waits for its retry.
    let untrusting = Sender::new(Trust::default().client(), &hub.running.url()).unwrap();
    let report = untrusting.send_due(&hub.running.state).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1));
    assert!(receiver.got().is_empty());
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    let error = listed[0]["lastError"].as_str().unwrap();
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );

    // The operator's --ca-file adds it.
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let trusting = Sender::new(
        Trust::with_pem_file(&ca_file).unwrap().client(),
        &hub.running.url(),
    )
    .unwrap();
    let report = trusting
        .send_due(&at(&hub, now() + SignedDuration::from_mins(2)))
        .await
        .unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0));
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    assert!(verify(
        &secret,
        got[0].header(SIGNATURE_HEADER),
        &got[0].body,
        now() + SignedDuration::from_mins(2),
        300
    ));

    // A file with no certificate in it is refused at start, naming the option.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let refused = Trust::with_pem_file(&empty).err().unwrap().to_string();
    assert!(refused.contains("--ca-file"), "{refused}");
}

/// The minutes, from the first, at which the sender makes each attempt at a
/// delivery whose receiver keeps failing: the first, then one after each
/// pause of the schedule, the eighth being the last.
pub(crate) fn attempt_minutes() -> Vec<i64> {
    let mut at = vec![0];
    for pause in RETRY_AFTER {
        at.push(at[at.len() - 1] + pause.as_mins());
    }
    at
}

pub(crate) fn minutes(m: i64) -> Timestamp {
    now() + SignedDuration::from_mins(m)
}

/// POSTs `body` to `path` with `key`, asking for answers in `lang`.
async fn post_in(hub: &TestHub, key: &str, path: &str, body: Value, lang: &str) -> (u16, Value) {
    hub.send_in(reqwest::Method::POST, key, path, body, lang)
        .await
}

/// The first problem of an error body: its code, field and message.
pub(crate) fn problem(body: &Value) -> (&str, &str, &str) {
    let first = &body["errors"][0];
    (
        first["code"].as_str().unwrap_or_default(),
        first["field"].as_str().unwrap_or_default(),
        first["message"].as_str().unwrap_or_default(),
    )
}

/// Seller A moves the delivery window of `s`: a change subscriptions hear of.
pub(crate) async fn move_window(hub: &TestHub, s: &Shipment, start: &str, end: &str) {
    let (status, body) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/delivery-window", s.id),
            json!({ "startDate": start, "endDate": end }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A delivery whose receiver failed all eight attempts is resent when its
/// owner asks: back in the queue with no attempts, and delivered with the
/// notification id it had, carrying the tracking as it stands when sent.
#[tokio::test]
async fn a_delivery_that_failed_every_attempt_is_resent_with_the_same_notification_id() {
    let hub = TestHub::start().await;
    let receiver = Receiver::start(&[500]).await;
    let (id, _) = subscribe(
        &hub,
        &hub.seller_a,
        &receiver.url,
        Some(&["SHIPMENT_TRACKING_MILESTONE_CHANGED"]),
    )
    .await;
    hub.picked_up(1, UPS[0]).await;
    let sender = Sender::new(reqwest::Client::builder(), &hub.running.url()).unwrap();
    let rounds = attempt_minutes();
    for (i, m) in rounds.iter().enumerate() {
        let is_last = i + 1 == rounds.len();
        let round = sender.send_due(&at(&hub, minutes(*m))).await.unwrap();
        assert_eq!(
            (round.retrying, round.given_up),
            (usize::from(!is_last), usize::from(is_last)),
            "attempt {}",
            i + 1
        );
    }
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    assert_eq!(
        (
            listed.len(),
            &listed[0]["state"],
            &listed[0]["attempts"],
            &listed[0]["lastStatus"]
        ),
        (1, &json!("FAILED"), &json!(8), &json!(500)),
        "{listed:?}"
    );
    let failed = listed[0]["id"].as_i64().unwrap();
    let notification = format!("{id}-{failed}");
    assert!(
        receiver
            .got()
            .iter()
            .all(|r| r.header(DELIVERY_HEADER) == notification)
    );
    let resend = format!("/api/v1/webhooks/{id}/deliveries/{failed}/resend");

    // Nothing was ever delivered to it, so it was switched off, and a
    // resend waits until it is on: the answer says how, in both languages.
    let (status, body) = post_in(&hub, &hub.seller_a, &resend, Value::Null, "en").await;
    let (code, field, message) = problem(&body);
    assert_eq!((status, code, field), (409, "webhook.switched_off", "id"));
    assert!(
        message.contains(&format!("/api/v1/webhooks/{id}/enable"))
            && message.contains("resendFailed"),
        "{message}"
    );
    let (status, body) = post_in(&hub, &hub.seller_a, &resend, Value::Null, "zh-CN").await;
    assert_eq!(status, 409);
    assert!(problem(&body).2.contains("已停用"), "{body}");

    // Switched on without asking for more, nothing missed is resent.
    let enable = format!("/api/v1/webhooks/{id}/enable");
    let (status, body) = hub
        .send(reqwest::Method::POST, &hub.seller_a, &enable, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("resent").is_none(), "{body}");
    assert_eq!(
        deliveries(&hub, &hub.seller_a, &id).await[0]["state"],
        "FAILED"
    );

    receiver.answer(200);
    let (status, body) = post_in(&hub, &hub.seller_a, &resend, Value::Null, "en").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (
            &body["id"],
            &body["state"],
            &body["attempts"],
            &body["nextAttemptAt"]
        ),
        (&json!(failed), &json!("PENDING"), &json!(0), &json!(now())),
        "{body}"
    );
    // Pending, it is sent anyway: asking again is refused.
    let (status, body) = post_in(&hub, &hub.seller_a, &resend, Value::Null, "en").await;
    let (code, field, message) = problem(&body);
    assert_eq!(
        (status, code, field),
        (409, "webhook.delivery_pending", "deliveryId")
    );
    assert!(message.contains("DELIVERED or FAILED"), "{message}");

    // A newer scan of the number is not folded into the resent delivery
    // (its receiver may have handled that id and would drop it): it gets
    // one of its own.
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "DEPARTED", "2026-03-09T02:00:00Z")],
    )
    .await;
    assert_eq!(deliveries(&hub, &hub.seller_a, &id).await.len(), 2);

    let t = rounds[rounds.len() - 1] + 10;
    let round = sender.send_due(&at(&hub, minutes(t))).await.unwrap();
    assert_eq!((round.delivered, round.retrying), (2, 0), "{round:?}");
    let got = receiver.got();
    let same_id: Vec<&Received> = got
        .iter()
        .filter(|r| r.header(DELIVERY_HEADER) == notification)
        .collect();
    assert_eq!(same_id.len(), 9, "eight failed attempts and the resent one");
    let body = same_id[8].json();
    assert_eq!(
        body["notificationMetadata"]["notificationId"],
        notification.as_str()
    );
    // A milestone change is read when it is sent: the newest one.
    let detail = &body["payload"]["shipmentTrackingMilestoneChangedNotification"]["trackingDetail"];
    assert_eq!(detail["latestMilestone"]["status"]["code"], "DEPARTED");
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    let resent = listed.iter().find(|d| d["id"] == failed).unwrap();
    assert_eq!(
        (&resent["state"], &resent["attempts"], &resent["lastStatus"]),
        (&json!("DELIVERED"), &json!(1), &json!(200)),
        "{resent}"
    );

    // A delivered one may be asked for again, by a receiver that lost it.
    let (status, body) = post_in(&hub, &hub.seller_a, &resend, Value::Null, "en").await;
    assert_eq!(status, 202, "{body}");
    let round = sender.send_due(&at(&hub, minutes(t + 1))).await.unwrap();
    assert_eq!(round.delivered, 1);
    let last = receiver.got().pop().unwrap();
    assert_eq!(last.header(DELIVERY_HEADER), notification);

    // Not found: for another key, through another subscription of the same
    // key, or a delivery never made.
    let (status, _) = post_in(&hub, &hub.seller_b, &resend, Value::Null, "en").await;
    assert_eq!(status, 404, "another key's subscription is not found");
    let other = Receiver::start(&[200]).await;
    let (other_id, _) = subscribe(&hub, &hub.seller_a, &other.url, None).await;
    for path in [
        format!("/api/v1/webhooks/{other_id}/deliveries/{failed}/resend"),
        format!("/api/v1/webhooks/{id}/deliveries/{}/resend", failed + 1000),
    ] {
        let (status, body) = post_in(&hub, &hub.seller_a, &path, Value::Null, "en").await;
        let (code, field, _) = problem(&body);
        assert_eq!(
            (status, code, field),
            (404, "webhook.delivery_not_found", "deliveryId"),
            "{path}"
        );
    }
}

/// A subscription switched off after its receiver kept failing is switched
/// back on with `resendFailed`: what it missed (the delivery given up, and
/// the one failed by the switch-off) is queued again oldest first, in the
/// switch-on's transaction, and delivered with the ids it had.
#[tokio::test]
async fn switching_on_with_resend_failed_delivers_what_was_missed_oldest_first() {
    let hub = TestHub::start().await;
    let receiver = Receiver::start(&[500]).await;
    let (id, _) = subscribe(
        &hub,
        &hub.seller_a,
        &receiver.url,
        Some(&["DELIVERY_WINDOW_CHANGED"]),
    )
    .await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    move_window(&hub, &s, "2026-03-22", "2026-03-28").await;
    let sender = Sender::new(reqwest::Client::builder(), &hub.running.url()).unwrap();
    let rounds = attempt_minutes();
    for (i, m) in rounds.iter().enumerate() {
        let is_last = i + 1 == rounds.len();
        if is_last {
            move_window(&hub, &s, "2026-03-29", "2026-04-04").await;
        }
        let round = sender.send_due(&at(&hub, minutes(*m))).await.unwrap();
        assert_eq!(
            round.switched_off,
            usize::from(is_last),
            "attempt {}",
            i + 1
        );
    }
    // While it is off, changes leave it nothing.
    move_window(&hub, &s, "2026-04-05", "2026-04-11").await;
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|d| d["state"] == "FAILED"), "{listed:?}");
    assert_eq!(listed[0]["lastError"], "the subscription was switched off");
    let missed: Vec<i64> = listed
        .iter()
        .rev()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();

    receiver.answer(200);
    let enable = format!("/api/v1/webhooks/{id}/enable");
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            &enable,
            json!({ "resendFailed": true }),
        )
        .await;
    assert_eq!(
        (status, &body["resent"], &body["disabledAt"]),
        (200, &json!(2), &Value::Null),
        "{body}"
    );
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    assert!(
        listed
            .iter()
            .all(|d| d["state"] == "PENDING" && d["attempts"] == 0),
        "{listed:?}"
    );

    // The sender takes them oldest first. (On PostgreSQL this claims them
    // for five minutes; the round below comes after that.)
    let t = rounds[rounds.len() - 1] + 10;
    let due = hub.store().due_deliveries(minutes(t), 10).await.unwrap();
    let order: Vec<i64> = due.iter().map(|(_, d)| d.id).collect();
    assert_eq!(order, missed);
    let round = sender.send_due(&at(&hub, minutes(t + 6))).await.unwrap();
    assert_eq!(round.delivered, 2, "{round:?}");
    let got = receiver.got();
    let resent = &got[got.len() - 2..];
    for (delivery, start) in missed.iter().zip(["2026-03-22", "2026-03-29"]) {
        let notification = format!("{id}-{delivery}");
        let sent = resent
            .iter()
            .find(|r| r.header(DELIVERY_HEADER) == notification)
            .unwrap_or_else(|| panic!("{notification} was not resent"));
        let body = sent.json();
        assert_eq!(
            body["payload"]["deliveryWindowChange"]["to"]["startDate"],
            start
        );
        assert_eq!(body["eventTime"], json!(now()), "the event's own time");
    }
    assert_eq!(
        got[0].header(DELIVERY_HEADER),
        format!("{id}-{}", missed[0]),
        "the same id as its first attempts"
    );
    let listed = deliveries(&hub, &hub.seller_a, &id).await;
    assert!(
        listed.iter().all(|d| d["state"] == "DELIVERED"),
        "{listed:?}"
    );

    // Nothing has failed now: asking again queues nothing.
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            &enable,
            json!({ "resendFailed": true }),
        )
        .await;
    assert_eq!((status, &body["resent"]), (200, &json!(0)), "{body}");
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            &enable,
            json!({ "resendFailed": "yes" }),
        )
        .await;
    assert_eq!((status, problem(&body).1), (400, "resendFailed"), "{body}");

    // Both routes are described.
    let (_, doc) = hub.get(&hub.seller_a, "/openapi.json").await;
    let resend = &doc["paths"]["/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend"]["post"];
    assert!(resend["responses"]["409"].is_object(), "{resend}");
    let enable_body = &doc["paths"]["/api/v1/webhooks/{id}/enable"]["post"]["requestBody"];
    assert!(
        enable_body["content"]["application/json"].is_object()
            && enable_body["required"] != json!(true),
        "{enable_body}"
    );
}

/// The /webhooks page offers, by a switched-off subscription's Switch on
/// button, to resend the deliveries it missed; the form carries the CSRF
/// token, and checked, it queues them again.
#[tokio::test]
async fn the_switch_on_form_offers_to_resend_the_deliveries_that_failed() {
    let hub = TestHub::start().await;
    let receiver = Receiver::start(&[200]).await;
    let (id, _) = subscribe(
        &hub,
        &hub.seller_a,
        &receiver.url,
        Some(&["SHIPMENT_TRACKING_MILESTONE_CHANGED"]),
    )
    .await;
    hub.picked_up(1, UPS[0]).await;
    hub.picked_up(2, UPS[1]).await;
    let reason = "all 8 attempts at a delivery made 2026-03-08T00:00:00Z failed; the last: the receiver answered 502 Bad Gateway";
    assert!(
        hub.store()
            .switch_off_webhook(&id, now(), now(), reason)
            .await
            .unwrap()
    );
    let owner = Principal::Seller(SellerId::parse("A1SELLERA").unwrap());
    let token = tracklane_server::start_session(&hub.running.state, owner)
        .await
        .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("tl_session={token}");
    let get = |path: &'static str, lang: &'static str| {
        let request = browser
            .get(hub.url(path))
            .header(reqwest::header::COOKIE, &cookie)
            .header("accept-language", lang);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    let action = format!("action=\"/webhooks/{id}/enable\"");
    let switch_on_form = |html: &str| -> String {
        let start = html.find(&action).expect("a switch-on form");
        let end = start + html[start..].find("</form>").unwrap();
        html[start..end].to_owned()
    };
    let form = switch_on_form(&get("/webhooks", "en").await);
    assert!(
        form.contains("type=\"checkbox\" name=\"resend_failed\"")
            && form.contains("also resend the 2 deliveries that failed"),
        "{form}"
    );
    let csrf_at = form.find("name=\"csrf\" value=\"").expect("the CSRF token") + 19;
    let csrf = form[csrf_at..].split('"').next().unwrap().to_owned();
    let form_zh = switch_on_form(&get("/webhooks", "zh-CN").await);
    assert!(form_zh.contains("同时重新发送 2 条失败的投递"), "{form_zh}");

    let post = |fields: Vec<(&'static str, String)>| {
        let request = browser
            .post(hub.url(&format!("/webhooks/{id}/enable")))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&fields);
        async move { request.send().await.unwrap() }
    };
    let forged = post(vec![
        ("csrf", "forged".into()),
        ("resend_failed", "yes".into()),
    ])
    .await;
    assert_eq!(forged.status(), 403);
    assert!(
        deliveries(&hub, &hub.seller_a, &id)
            .await
            .iter()
            .all(|d| d["state"] == "FAILED")
    );
    let done = post(vec![("csrf", csrf), ("resend_failed", "yes".into())]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()[reqwest::header::LOCATION],
        "/webhooks?saved=enabled&resent=2"
    );
    let html = get("/webhooks?saved=enabled&resent=2", "en").await;
    assert!(
        html.contains("Queued again: 2 deliveries that failed.") && !html.contains(&action),
        "switched on, it offers no switch-on form: {html}"
    );
    assert!(
        deliveries(&hub, &hub.seller_a, &id)
            .await
            .iter()
            .all(|d| d["state"] == "PENDING")
    );
    let report = hub.send_webhooks().await;
    assert_eq!(report.delivered, 2, "{report:?}");
    assert_eq!(receiver.got().len(), 2);

    // Each delivered one now has a Resend button, in its own form with the
    // session's token; pressing it sends that one again, id unchanged.
    let html = get("/webhooks", "en").await;
    let first = deliveries(&hub, &hub.seller_a, &id).await[0]["id"]
        .as_i64()
        .unwrap();
    let resend_action = format!("action=\"/webhooks/{id}/deliveries/{first}/resend\"");
    let start = html.find(&resend_action).expect("a resend form");
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    assert!(form.contains(">Resend</button>"), "{form}");
    let csrf_at = form.find("name=\"csrf\" value=\"").expect("the CSRF token") + 19;
    let csrf = form[csrf_at..].split('"').next().unwrap().to_owned();
    let resend = |csrf: String| {
        let request = browser
            .post(hub.url(&format!("/webhooks/{id}/deliveries/{first}/resend")))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", csrf)]);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(resend("forged".into()).await.status(), 403);
    let done = resend(csrf.clone()).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()[reqwest::header::LOCATION],
        format!("/webhooks?saved=resent#deliveries-{id}").as_str()
    );
    let html = get("/webhooks?saved=resent", "zh-CN").await;
    assert!(html.contains("投递已重新排队，通知编号不变"), "{html}");
    // Pending again, it offers no button, and a second press changes nothing.
    assert!(!html.contains(&resend_action), "{html}");
    let again = resend(csrf).await;
    assert_eq!(
        again.headers()[reqwest::header::LOCATION],
        format!("/webhooks?saved=pending#deliveries-{id}").as_str()
    );
    let before = receiver.got();
    let report = hub.send_webhooks().await;
    assert_eq!(report.delivered, 1, "{report:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    let delivery_id = |r: &Received| r.headers["x-tracklane-delivery"].clone();
    assert!(
        before
            .iter()
            .any(|b| delivery_id(b) == delivery_id(&got[2])),
        "resent with an id already delivered once"
    );
}
