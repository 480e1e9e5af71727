//! Warehouse receipts, `POST /api/v1/shipments/{id}/receipts`: the
//! warehouse's counts move a shipment through CHECKED_IN, RECEIVING and
//! CLOSED (closed short when receiving ends before every unit is counted),
//! each count is a total so a receipt sent again changes nothing, a bad line
//! is refused by index while the others are kept, every change is audited,
//! and a received shipment leaves the engine's watch.

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use tracklane::engine_pass::Engine;
use tracklane_core::{Item, Shipment};

use crate::support::{TestHub, milestone, now, open_exception_kinds, shipment};
use crate::webhooks::problem;

/// Shipment `n` of seller A on carrier X: box 1 holds 24 of `A-n` and 10
/// of `B-n`, box 2 another 24 of `A-n`.
pub(crate) fn two_skus(n: u64) -> Shipment {
    let mut s = shipment(n, "A1SELLERA", Some("CARRIER_X"), 2);
    let (a, b) = (format!("A-{n}"), format!("B-{n}"));
    s.packages[0].items = vec![
        Item {
            sku: a.clone(),
            units_expected: 24,
            units_received: 0,
        },
        Item {
            sku: b,
            units_expected: 10,
            units_received: 0,
        },
    ];
    s.packages[1].items = vec![Item {
        sku: a,
        units_expected: 24,
        units_received: 0,
    }];
    s
}

pub(crate) async fn receipt(hub: &TestHub, key: &str, s: &Shipment, body: Value) -> (u16, Value) {
    let path = format!("/api/v1/shipments/{}/receipts", s.confirmation_id);
    hub.send(Method::POST, key, &path, body).await
}

async fn detail(hub: &TestHub, s: &Shipment) -> Value {
    let (status, body) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn counts_check_in_receive_and_close_a_shipment_short_with_every_change_audited() {
    let hub = TestHub::start().await;
    let s = hub.create(two_skus(1)).await;

    // The seller reports what its Amazon account shows: 30 of A so far.
    let (status, answer) = receipt(
        &hub,
        &hub.seller_a,
        &s,
        json!({ "items": [{ "sku": "A-1", "unitsReceived": 30 }] }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(statuses(&answer), ["ACCEPTED"]);
    assert_eq!(answer["status"], "RECEIVING");
    assert_eq!(
        (&answer["unitsReceived"], &answer["unitsExpected"]),
        (&json!(30), &json!(58))
    );
    let d = detail(&hub, &s).await;
    assert_eq!(d["status"], "RECEIVING");
    assert_eq!(
        d["receiving"]["skus"],
        json!([
            { "sku": "A-1", "unitsExpected": 48, "unitsReceived": 30 },
            { "sku": "B-1", "unitsExpected": 10, "unitsReceived": 0 },
        ])
    );
    // Spread in box order, each box filled up to what was packed in it.
    assert_eq!(d["packages"][0]["items"][0]["unitsReceived"], 24);
    assert_eq!(d["packages"][1]["items"][0]["unitsReceived"], 6);

    // The operator's receipt: A again (unchanged), a SKU the shipment does
    // not hold, B, and B a second time. The bad lines are refused by index;
    // B is kept.
    let (status, answer) = receipt(
        &hub,
        &hub.operator,
        &s,
        json!({ "items": [
            { "sku": "A-1", "unitsReceived": 30 },
            { "sku": "NOT-PACKED", "unitsReceived": 3 },
            { "sku": "B-1", "unitsReceived": 10 },
            { "sku": "B-1", "unitsReceived": 9 },
        ] }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        statuses(&answer),
        ["DUPLICATE", "REJECTED", "ACCEPTED", "REJECTED"]
    );
    let unknown = &answer["items"][1];
    assert_eq!(unknown["code"], "receipt.sku_not_in_shipment");
    assert_eq!(unknown["field"], "items[1].sku");
    let message = unknown["message"].as_str().unwrap();
    assert!(message.contains("A-1, B-1"), "{message}");
    assert_eq!(answer["items"][3]["code"], "receipt.sku_repeated");
    assert_eq!(answer["items"][3]["field"], "items[3].sku");
    assert_eq!(answer["unitsReceived"], 40);

    // Receiving ends two units of A short: the shipment closes anyway.
    let close =
        json!({ "items": [{ "sku": "A-1", "unitsReceived": 46 }], "receivingComplete": true });
    let (status, answer) = receipt(&hub, &hub.operator, &s, close.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "CLOSED");
    assert_eq!(answer["unitsReceived"], 56);
    let closed = detail(&hub, &s).await;
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(closed["unitsReceived"], 56);
    let receipts = closed["receiving"]["receipts"].as_array().unwrap();
    let audit: Vec<(&str, Value, bool)> = receipts
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["changes"].clone(),
                r["closes"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        audit,
        [
            (
                "seller:A1SELLERA",
                json!([{ "sku": "A-1", "from": 0, "to": 30 }]),
                false
            ),
            (
                "operator",
                json!([{ "sku": "B-1", "from": 0, "to": 10 }]),
                false
            ),
            (
                "operator",
                json!([{ "sku": "A-1", "from": 30, "to": 46 }]),
                true
            ),
        ]
    );

    // The same receipt again changes nothing: no audit entry, no new stamp.
    let (status, answer) = receipt(&hub, &hub.operator, &s, close).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(statuses(&answer), ["DUPLICATE"]);
    let again = detail(&hub, &s).await;
    assert_eq!(again["receiving"]["receipts"].as_array().unwrap().len(), 3);
    assert_eq!(again["updatedAt"], closed["updatedAt"]);

    // The listing shows the counts and the status.
    let (_, page) = hub
        .get(&hub.seller_a, "/api/v1/shipments?status=CLOSED")
        .await;
    let rows = page["shipments"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(
        (&rows[0]["unitsReceived"], &rows[0]["unitsExpected"]),
        (&json!(56), &json!(58))
    );
}

#[tokio::test]
async fn a_check_in_with_nothing_counted_yet_and_an_answer_in_chinese() {
    let hub = TestHub::start().await;
    let s = hub.create(two_skus(2)).await;
    let (status, answer) = receipt(
        &hub,
        &hub.operator,
        &s,
        json!({ "items": [{ "sku": "B-2", "unitsReceived": 0 }] }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(statuses(&answer), ["DUPLICATE"]);
    assert_eq!(answer["status"], "CHECKED_IN");
    assert_eq!(
        detail(&hub, &s).await["receiving"]["receipts"][0]["changes"],
        json!([])
    );

    let path = format!("/api/v1/shipments/{}/receipts", s.id);
    let (_, answer) = hub
        .send_in(
            Method::POST,
            &hub.seller_a,
            &path,
            json!({ "items": [{ "sku": "C-2", "unitsReceived": 1 }] }),
            "zh-CN",
        )
        .await;
    let message = answer["items"][0]["message"].as_str().unwrap();
    assert!(message.contains("此货件没有 SKU C-2"), "{message}");
    assert_eq!(answer["status"], "CHECKED_IN");
}

#[tokio::test]
async fn receipts_are_refused_to_carriers_other_sellers_and_malformed_bodies() {
    let hub = TestHub::start().await;
    let s = hub.create(two_skus(3)).await;
    let one = json!({ "items": [{ "sku": "A-3", "unitsReceived": 1 }] });

    let (status, body) = receipt(&hub, &hub.carrier_x, &s, one.clone()).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = receipt(&hub, &hub.seller_b, &s, one).await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = receipt(&hub, &hub.operator, &s, json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (code, field, message) = problem(&body);
    assert_eq!((code, field), ("receipt.empty", "items"), "{message}");
    assert!(message.contains("receivingComplete"), "{message}");

    let (status, body) = receipt(
        &hub,
        &hub.operator,
        &s,
        json!({ "items": [{ "sku": "A-3", "unitsReceived": -4 }] }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (_, field, _) = problem(&body);
    assert_eq!(field, "items[0].unitsReceived", "{body}");

    let (status, body) = receipt(
        &hub,
        &hub.operator,
        &s,
        json!({ "items": [{ "sku": "A-3", "units": 4 }] }),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Nothing of the refused requests was kept.
    let d = detail(&hub, &s).await;
    assert_eq!(d["status"], "WORKING");
    assert_eq!(d["receiving"]["receipts"], json!([]));
}

/// A shipment the warehouse checked in is finished for the engine even if
/// the carrier never scanned it delivered: its open exceptions resolve and
/// later passes leave it alone.
#[tokio::test]
async fn a_received_shipment_leaves_the_engine_s_watch() {
    let hub = TestHub::start().await;
    let days = |n: i64| SignedDuration::from_hours(24 * n);
    let mut s = two_skus(4);
    s.created_at = now() - days(30);
    let s = hub.create(s).await;
    hub.upload(&hub.carrier_x, &s, &["CXH000000041", "CXH000000042"])
        .await;
    let scans = |number: &str| {
        vec![
            milestone(number, "PICKED_UP", &(now() - days(28)).to_string()),
            milestone(number, "DEPARTED", &(now() - days(25)).to_string()),
            milestone(number, "CUSTOMS_HOLD", &(now() - days(2)).to_string()),
        ]
    };
    let mut items = scans("CXH000000041");
    items.extend(scans("CXH000000042"));
    hub.push(&hub.carrier_x, items).await;

    let mut engine = Engine::new();
    engine.pass(hub.store(), now()).await.unwrap();
    let open = open_exception_kinds;
    assert_eq!(open(&detail(&hub, &s).await), ["customs_hold"]);

    let (status, answer) = receipt(
        &hub,
        &hub.operator,
        &s,
        json!({ "items": [{ "sku": "A-4", "unitsReceived": 12 }] }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let report = engine.pass(hub.store(), now()).await.unwrap();
    assert_eq!((report.read, report.judged), (1, 0), "{report:?}");
    let d = detail(&hub, &s).await;
    assert_eq!(d["status"], "RECEIVING");
    assert_eq!(open(&d), Vec::<String>::new(), "{d}");
}
