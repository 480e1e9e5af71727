//! The SP-API-compatible routes, by plain HTTP. `tests/spapi/` drives them with
//! Amazon's own SP-API client library as well.

use serde_json::json;

use crate::support::{TestHub, UPS, milestone, shipment};

async fn access_token(hub: &TestHub, key: &str) -> String {
    let r = hub.token_exchange(key).await;
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn tracking_reads_and_updates_through_the_sp_api_shapes() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(30, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    hub.push(
        &hub.carrier_x,
        vec![
            milestone(UPS[0], "PICKED_UP", "2026-03-01T08:00:00Z"),
            milestone(UPS[0], "DEPARTED", "2026-03-02T08:00:00Z"),
        ],
    )
    .await;
    let token = access_token(&hub, &hub.seller_a).await;

    let r = hub
        .client
        .get(hub.url(&format!(
            "/tracking/2026-01-30/shipments/track?carrierTracking.trackingNumber={}",
            UPS[0]
        )))
        .header("x-amz-access-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let tracking: serde_json::Value = r.json().await.unwrap();
    let detail = &tracking["trackingDetail"];
    assert_eq!(detail["latestMilestone"]["status"]["code"], "DEPARTED");
    assert_eq!(
        detail["milestoneHistory"][1]["status"]["code"], "PICKED_UP",
        "most recent first"
    );
    assert_eq!(
        detail["milestoneHistory"][0]["occurredAt"],
        "2026-03-02T08:00:00Z"
    );
    assert_eq!(
        detail["trackingUrl"].as_str(),
        Some(format!("{}/track/{}", hub.url(""), UPS[0]).as_str()),
        "the buyer's page on this hub"
    );

    let base = format!(
        "/inbound/fba/2024-03-20/inboundPlans/{}/shipments/{}",
        s.inbound_plan_id, s.id
    );
    let update = json!({ "trackingDetails": { "spdTrackingDetail": { "spdTrackingItems": [
        { "boxId": s.packages[1].box_id.as_str(), "trackingId": UPS[1] }
    ] } } });
    let r = hub
        .client
        .put(hub.url(&format!("{base}/trackingDetails")))
        .header("x-amz-access-token", &token)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let r = hub
        .client
        .get(hub.url(&base))
        .header("x-amz-access-token", &token)
        .send()
        .await
        .unwrap();
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        got["trackingDetails"]["spdTrackingDetail"]["spdTrackingItems"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{got}"
    );
    assert_eq!(got["placementOptionId"].as_str().unwrap().len(), 38);

    let r = hub
        .client
        .get(hub.url(&base))
        .header("x-amz-access-token", "Atza|forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let other = access_token(&hub, &hub.seller_b).await;
    let r = hub
        .client
        .get(hub.url(&base))
        .header("x-amz-access-token", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        404,
        "another seller's shipment is not found"
    );
}
