//! Invariant 6: a carrier reads and writes only packages it carries; a seller
//! only its own shipments. And FIST's auto-recognition: a carrier the seller did
//! not select is attached when it pushes for the shipment, and recorded.

use crate::support::{TestHub, UPS, carrier, milestone, shipment};
use serde_json::json;

#[tokio::test]
async fn sellers_see_only_their_own_shipments() {
    let hub = TestHub::start().await;
    let a = hub
        .create(shipment(10, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.create(shipment(11, "A1SELLERB", Some("CARRIER_X"), 1))
        .await;
    let (status, _) = hub
        .get(&hub.seller_b, &format!("/api/v1/shipments/{}", a.id))
        .await;
    assert_eq!(status, 404);
    let (status, _) = hub
        .get(
            &hub.seller_a,
            &format!("/api/v1/shipments/{}", a.confirmation_id),
        )
        .await;
    assert_eq!(status, 200);
    let (_, page) = hub.get(&hub.seller_b, "/api/v1/shipments").await;
    let sellers: Vec<&str> = page["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sellerId"].as_str().unwrap())
        .collect();
    assert_eq!(sellers, vec!["A1SELLERB"]);
    let (status, _) = hub.get("tls_not_a_key", "/api/v1/shipments").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn carriers_touch_only_what_they_carry() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(12, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    let report = hub
        .push(
            &hub.carrier_y,
            vec![milestone(UPS[0], "LOST", "2026-03-01T08:00:00Z")],
        )
        .await;
    assert_eq!(
        report["rejected"][0]["code"], "tracking_number.not_yours",
        "{report}"
    );
    let (status, _) = hub
        .get(&hub.carrier_y, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(status, 404);
    let (status, _) = hub
        .get(&hub.carrier_x, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(status, 200);
    let (_, page) = hub.get(&hub.carrier_y, "/api/v1/shipments").await;
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            "/api/v1/carrier/milestones",
            json!({ "milestones": [] }),
        )
        .await;
    assert_eq!(status, 403, "sellers cannot push as carriers");
}

#[tokio::test]
async fn an_unselected_carrier_is_recognised_when_it_pushes() {
    let hub = TestHub::start().await;
    let s = hub.create(shipment(13, "A1SELLERA", None, 2)).await;
    let mut item = milestone(UPS[2], "PICKED_UP", "2026-03-01T08:00:00Z");
    item["shipmentId"] = json!(s.confirmation_id.as_str());
    item["boxId"] = json!(s.packages[1].box_id.as_str());
    let report = hub.push(&hub.carrier_z, vec![item]).await;
    assert_eq!(
        (report["accepted"].as_u64(), report["detected"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    let leg = &detail["packages"][1]["legs"][0];
    assert_eq!(
        (
            leg["carrier"].as_str(),
            leg["detectedBy"].as_str(),
            leg["source"].as_str()
        ),
        (Some("CARRIER_Z"), Some("CARRIER_PUSH"), Some("CARRIER"))
    );
    assert_eq!(detail["missingTracking"], true, "box 1 still has no number");
    let (status, _) = hub
        .get(&hub.carrier_z, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(status, 200, "now it carries the shipment");
}

#[tokio::test]
async fn only_opted_in_shipments_of_dw_automation_carriers_change_window_by_carrier() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(14, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    let path = format!(
        "/api/v1/carrier/shipments/{}/delivery-window",
        s.confirmation_id
    );
    let body =
        json!({ "startDate": "2026-03-22", "endDate": "2026-03-28", "reason": "vessel delayed" });
    let (status, change) = hub
        .send(reqwest::Method::PUT, &hub.carrier_x, &path, body.clone())
        .await;
    assert_eq!(status, 200, "{change}");
    assert_eq!(change["actor"], "carrier:CARRIER_X");
    let (status, _) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/delivery-window/automation", s.id),
            json!({ "enabled": false }),
        )
        .await;
    assert_eq!(status, 204);
    let (status, refused) = hub
        .send(reqwest::Method::PUT, &hub.carrier_x, &path, body)
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, bad) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}/delivery-window", s.id),
            json!({ "startDate": "2026-03-23", "endDate": "2026-03-29" }),
        )
        .await;
    assert_eq!(
        (status, bad["errors"][0]["field"].as_str()),
        (400, Some("startDate")),
        "{bad}"
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(
        detail["windowHistory"].as_array().unwrap().len(),
        1,
        "{detail}"
    );
    assert_eq!(detail["deliveryWindow"]["source"], "CARRIER");
}

/// Carrier-sourced tracking IDs exempt the seller from inbound defects, so only
/// a carrier with `ship_track` may push them; any other account is refused whole
/// and nothing it sent is kept.
#[tokio::test]
async fn only_ship_track_carriers_push_tracking() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(14, "A1SELLERA", Some("CARRIER_Z"), 1))
        .await;
    // Read first, so the store's carrier cache must notice the change.
    assert!(
        hub.store()
            .carriers()
            .await
            .unwrap()
            .iter()
            .any(|c| c.code.as_str() == "CARRIER_Z")
    );
    hub.store()
        .put_carrier(carrier("CARRIER_Z", &[]))
        .await
        .unwrap();
    let path = format!("/api/v1/carrier/shipments/{}/tracking", s.confirmation_id);
    let boxes =
        json!({ "boxes": [{ "boxId": s.packages[0].box_id.as_str(), "trackingNumber": UPS[0] }] });
    let (status, body) = hub
        .send(reqwest::Method::PUT, &hub.carrier_z, &path, boxes)
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"][0]["code"], "carrier.capability_missing");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ship_track"),
        "{body}"
    );
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_z,
            "/api/v1/carrier/milestones?lang=zh-CN",
            json!({ "milestones": [milestone(UPS[0], "PICKED_UP", "2026-03-01T08:00:00Z")] }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("未开通"),
        "{body}"
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(
        detail["packages"][0]["legs"].as_array().map(Vec::len),
        Some(0),
        "{detail}"
    );
}
