//! Cancelling a shipment, `POST /api/v1/shipments/{id}/cancel`: allowed to
//! its seller until the carrier picks it up, idempotent, refused with the
//! reason after pickup, and the engine's next pass closes what it had open.

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use tracklane::engine_pass::Engine;

use crate::attention::verdict;
use crate::support::{TestHub, UPS, milestone, now, open_exception_kinds, shipment};
use crate::webhooks::problem;

async fn cancel(hub: &TestHub, key: &str, id: &str) -> (u16, Value) {
    hub.send(
        Method::POST,
        key,
        &format!("/api/v1/shipments/{id}/cancel"),
        json!(null),
    )
    .await
}

#[tokio::test]
async fn a_seller_cancels_before_pickup_and_not_after() {
    let hub = TestHub::start().await;
    let waiting = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let moving = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &moving, &[UPS[1]]).await;
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[1], "PICKED_UP", "2026-03-08T02:00:00Z")],
    )
    .await;
    let id = waiting.confirmation_id.as_str();

    let (status, body) = cancel(&hub, &hub.carrier_x, id).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = cancel(&hub, &hub.seller_b, id).await;
    assert_eq!(status, 404, "{body}");
    let (_, missing) = hub
        .get(&hub.seller_a, "/api/v1/shipments?missingTracking=true")
        .await;
    assert_eq!(missing["shipments"].as_array().unwrap().len(), 1);

    let (status, body) = cancel(&hub, &hub.seller_a, id).await;
    assert_eq!((status, &body["status"]), (200, &json!("CANCELLED")));
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{id}"))
        .await;
    assert_eq!(detail["status"], "CANCELLED");
    let (_, missing) = hub
        .get(&hub.seller_a, "/api/v1/shipments?missingTracking=true")
        .await;
    assert_eq!(
        missing["shipments"],
        json!([]),
        "a cancelled shipment no longer misses tracking"
    );
    // Again: nothing changes, and it says so the same way.
    let (status, again) = cancel(&hub, &hub.seller_a, id).await;
    assert_eq!((status, &again["status"]), (200, &json!("CANCELLED")));

    let (status, body) = hub
        .send_in(
            Method::POST,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/cancel", moving.id),
            json!(null),
            "zh-CN",
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (code, field, message) = problem(&body);
    assert_eq!((code, field), ("shipment.not_cancellable", "shipmentId"));
    assert!(
        message.contains("IN_TRANSIT") && message.contains("联系承运商"),
        "{message}"
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", moving.id))
        .await;
    assert_eq!(detail["status"], "IN_TRANSIT", "nothing changed");
}

#[tokio::test]
async fn the_engine_closes_what_a_cancelled_shipment_had_open() {
    let hub = TestHub::start().await;
    // Carrier Y has no dw_automation: no window move stamps the shipment.
    let mut s = shipment(3, "A1SELLERA", Some("CARRIER_Y"), 1);
    s.created_at = now() - SignedDuration::from_hours(48);
    let s = hub.create(s).await;
    let hours = |n: i64| now() + SignedDuration::from_hours(n);
    let mut engine = Engine::new();
    for at in [hours(-2), hours(-1)] {
        let report = engine.pass(hub.store(), at).await.unwrap();
        assert_eq!(report.judged, 1, "{report:?}");
    }
    verdict(&hub, &s, &["missing_tracking"]).await;
    let open = |d: &Value| open_exception_kinds(d).len();
    let path = format!("/api/v1/shipments/{}", s.id);
    assert_eq!(open(&hub.get(&hub.seller_a, &path).await.1), 1);

    let (status, body) = cancel(&hub, &hub.seller_a, s.id.as_str()).await;
    assert_eq!(status, 200, "{body}");
    // The cancellation stamps the shipment: the next pass reads it, finds it
    // finished and judges it no more.
    let report = engine.pass(hub.store(), hours(1)).await.unwrap();
    assert_eq!((report.read, report.judged), (1, 0), "{report:?}");
    assert_eq!(open(&hub.get(&hub.seller_a, &path).await.1), 0);
}
