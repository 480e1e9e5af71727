//! Reconciling a short receipt, `POST /api/v1/shipments/{id}/reconciliation`:
//! a shipment whose receiving closed short waits under "received short" (the
//! listing's `receivedShort` and the attention count) until its seller
//! records asking the marketplace for a reconciliation; a shipment not
//! closed short is refused with what it is, in en and zh.

use reqwest::Method;
use serde_json::{Value, json};
use tracklane_core::Shipment;

use crate::receipts::{receipt, two_skus};
use crate::support::TestHub;
use crate::webhooks::problem;

async fn reconcile(hub: &TestHub, key: &str, s: &Shipment, lang: &str) -> (u16, Value) {
    let path = format!("/api/v1/shipments/{}/reconciliation", s.confirmation_id);
    hub.send_in(Method::POST, key, &path, json!({}), lang).await
}

async fn received_short(hub: &TestHub, key: &str) -> (u64, Vec<String>) {
    let (status, attention) = hub.get(key, "/api/v1/shipments/attention").await;
    assert_eq!(status, 200, "{attention}");
    let (status, list) = hub.get(key, "/api/v1/shipments?receivedShort=true").await;
    assert_eq!(status, 200, "{list}");
    let ids = list["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["shipmentId"].as_str().unwrap().to_owned())
        .collect();
    (attention["receivedShort"].as_u64().unwrap(), ids)
}

#[tokio::test]
async fn a_short_close_waits_under_received_short_until_the_seller_records_a_reconciliation() {
    let hub = TestHub::start().await;
    let short = hub.create(two_skus(1)).await;
    let full = hub.create(two_skus(2)).await;
    let open = hub.create(two_skus(3)).await;

    // Nothing has closed: there is nothing to reconcile, and the refusal
    // says what the shipment is, in either language.
    let (status, body) = reconcile(&hub, &hub.seller_a, &short, "en").await;
    assert_eq!(status, 409, "{body}");
    let (code, field, message) = problem(&body);
    assert_eq!((code, field), ("shipment.not_received_short", "shipmentId"));
    assert!(
        message.contains("is WORKING with 0 of 58 units counted"),
        "{message}"
    );
    let (_, body) = reconcile(&hub, &hub.seller_a, &short, "zh-CN").await;
    assert!(problem(&body).2.contains("已清点 0 / 58 件"), "{body}");

    // Receiving closes two units of A short on the first, in full on the
    // second, and goes on for the third.
    for (s, n, a_units, closes) in [
        (&short, 1, 46, true),
        (&full, 2, 48, true),
        (&open, 3, 40, false),
    ] {
        let body = json!({
            "items": [
                { "sku": format!("A-{n}"), "unitsReceived": a_units },
                { "sku": format!("B-{n}"), "unitsReceived": 10 },
            ],
            "receivingComplete": closes,
        });
        let (status, answer) = receipt(&hub, &hub.operator, s, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, body) = reconcile(&hub, &hub.seller_a, &open, "en").await;
    assert_eq!(status, 409, "still receiving: {body}");
    let (status, body) = reconcile(&hub, &hub.seller_a, &full, "en").await;
    assert_eq!(status, 409, "closed in full: {body}");
    assert!(
        problem(&body)
            .2
            .contains("closed with 58 of 58 units counted: nothing is short"),
        "{body}"
    );

    // Only the short close waits, for its seller and for the operator.
    assert_eq!(
        received_short(&hub, &hub.seller_a).await,
        (1, vec![short.id.to_string()])
    );
    assert_eq!(received_short(&hub, &hub.operator).await.0, 1);
    assert_eq!(received_short(&hub, &hub.seller_b).await, (0, vec![]));

    // Neither the carrier nor another seller may record it.
    let (status, _) = reconcile(&hub, &hub.carrier_x, &short, "en").await;
    assert_eq!(status, 403);
    let (status, _) = reconcile(&hub, &hub.seller_b, &short, "en").await;
    assert_eq!(status, 404);

    let (status, first) = reconcile(&hub, &hub.seller_a, &short, "en").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["requestedBy"], "seller:A1SELLERA");
    // Again: nothing changes, and the answer is the first record.
    let (status, again) = reconcile(&hub, &hub.operator, &short, "en").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, first);

    assert_eq!(received_short(&hub, &hub.seller_a).await, (0, vec![]));
    assert_eq!(received_short(&hub, &hub.operator).await.0, 0);
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", short.id))
        .await;
    assert_eq!(
        detail["receiving"]["reconciliation"],
        json!({ "at": first["requestedAt"], "by": "seller:A1SELLERA" })
    );
    assert_eq!(
        detail["updatedAt"], first["requestedAt"],
        "recording it is an update"
    );
}

#[tokio::test]
async fn a_received_short_flag_that_is_not_a_boolean_is_named() {
    let hub = TestHub::start().await;
    let (status, body) = hub
        .get(&hub.seller_a, "/api/v1/shipments?receivedShort=maybe")
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(problem(&body).1, "receivedShort");
}
