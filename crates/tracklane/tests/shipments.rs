//! The seller's API: create, list with filters and cursors, the carrier
//! directory, warehouses, and the OpenAPI document.

use serde_json::json;

use crate::support::{TestHub, UPS, milestone, shipment};

#[tokio::test]
async fn a_seller_creates_a_shipment_and_field_errors_name_the_field() {
    let hub = TestHub::start().await;
    let good = json!({
        "name": "Lamps for spring",
        "warehouse": "TEB9",
        "marketplace": "US",
        "shippingMode": "SMALL_PARCEL",
        "freightMode": "AIR",
        "carrier": "CARRIER_X",
        "sourceAddress": { "name": "Anko", "addressLine1": "88 Keyuan Road", "city": "Shenzhen", "postalCode": "518057", "countryCode": "CN" },
        "deliveryWindow": { "startDate": "2026-03-22", "endDate": "2026-03-28" },
        "boxes": [ { "weightGrams": 9000, "dimensionsMm": [500, 400, 300], "items": [ { "sku": "LAMP-01", "units": 20 } ] } ]
    });
    let (status, created) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            "/api/v1/shipments",
            good.clone(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "WORKING");
    assert_eq!(created["missingTracking"], true);
    assert!(
        created["confirmationId"]
            .as_str()
            .unwrap()
            .starts_with("FBA15")
    );
    assert_eq!(created["shipmentId"].as_str().unwrap().len(), 38);

    let mut bad = good.clone();
    bad["warehouse"] = json!("XXX9");
    bad["boxes"][0]["items"][0]["units"] = json!(0);
    let (status, errors) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            "/api/v1/shipments",
            bad,
        )
        .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["warehouse", "boxes[0].items[0]"], "{errors}");
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_x,
            "/api/v1/shipments",
            good,
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_listing_filters_missing_tracking_and_pages_by_cursor() {
    let hub = TestHub::start().await;
    for n in 20..25 {
        hub.create(shipment(n, "A1SELLERA", Some("CARRIER_X"), 1))
            .await;
    }
    let tracked = hub
        .create(shipment(25, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &tracked, &UPS[..1]).await;
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "DEPARTED", "2026-03-01T08:00:00Z")],
    )
    .await;

    let (_, missing) = hub
        .get(&hub.seller_a, "/api/v1/shipments?missingTracking=true")
        .await;
    assert_eq!(missing["shipments"].as_array().unwrap().len(), 5);
    let (_, first) = hub.get(&hub.seller_a, "/api/v1/shipments?limit=4").await;
    assert_eq!(
        first["shipments"][0]["confirmationId"],
        tracked.confirmation_id.as_str(),
        "newest update first"
    );
    assert_eq!(first["shipments"][0]["status"], "IN_TRANSIT");
    let cursor = first["nextCursor"].as_str().unwrap();
    let (_, second) = hub
        .get(
            &hub.seller_a,
            &format!("/api/v1/shipments?limit=4&cursor={cursor}"),
        )
        .await;
    assert_eq!(second["shipments"].as_array().unwrap().len(), 2);
    assert!(second.get("nextCursor").is_none());
    let (_, by_number) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments?q={}", UPS[0]))
        .await;
    assert_eq!(by_number["shipments"].as_array().unwrap().len(), 1);
    let (status, bad) = hub
        .get(&hub.seller_a, "/api/v1/shipments?status=SAILING")
        .await;
    assert_eq!(
        (status, bad["errors"][0]["field"].as_str()),
        (400, Some("status"))
    );
}

#[tokio::test]
async fn the_carrier_directory_filters_by_capability_and_name() {
    let hub = TestHub::start().await;
    let (_, all) = hub.get(&hub.seller_a, "/api/v1/carriers").await;
    assert_eq!(all["carriers"].as_array().unwrap().len(), 3);
    let (_, dw) = hub
        .get(&hub.seller_a, "/api/v1/carriers?capability=dw_automation")
        .await;
    let codes: Vec<&str> = dw["carriers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["CARRIER_X"]);
    let (_, named) = hub.get(&hub.seller_a, "/api/v1/carriers?q=y%20log").await;
    assert_eq!(
        named["carriers"][0]["code"], "CARRIER_Y",
        "a phrase of the name, any case"
    );
    let (_, none) = hub
        .get(&hub.seller_a, "/api/v1/carriers?q=ocean%20star")
        .await;
    assert_eq!(none["carriers"].as_array().unwrap().len(), 0);
    let (_, named) = hub.get(&hub.seller_a, "/api/v1/carriers?q=carrier_y").await;
    assert_eq!(named["carriers"][0]["code"], "CARRIER_Y");
    let (status, _) = hub
        .get(&hub.seller_a, "/api/v1/carriers?capability=teleport")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_operator_reports_congestion() {
    let hub = TestHub::start().await;
    let (status, _) = hub
        .send(
            reqwest::Method::PUT,
            &hub.operator,
            "/api/v1/warehouses/TEB9/congestion",
            json!({ "backlogUnits": 120000 }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = hub.get(&hub.seller_a, "/api/v1/warehouses").await;
    assert_eq!(list["warehouses"][0]["backlogUnits"], 120000);
    let (status, _) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            "/api/v1/warehouses/TEB9/congestion",
            json!({ "backlogUnits": 1 }),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let hub = TestHub::start().await;
    let doc: serde_json::Value = hub
        .client
        .get(hub.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/carrier/milestones",
        "/api/v1/carrier/shipments/{shipmentId}/tracking",
        "/api/v1/carrier/shipments/{shipmentId}/delivery-window",
        "/api/v1/shipments",
        "/api/v1/shipments/{shipmentId}",
        "/api/v1/carriers",
        "/api/v1/warehouses",
        "/tracking/2026-01-30/shipments/track",
        "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}",
        "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/trackingDetails",
    ] {
        assert!(paths.contains_key(path), "{path} is not described");
    }
    let metrics = hub.metrics().await;
    assert!(
        metrics.contains("tracklane_milestones_accepted_total 0"),
        "{metrics}"
    );
}

/// The operator registers a carrier; its key can then push. Other keys may
/// not, and a bad field is named.
#[tokio::test]
async fn the_operator_registers_a_carrier_that_can_then_push() {
    let hub = TestHub::start().await;
    let body = json!({
        "code": "SZ_FASTLINK",
        "name": "Shenzhen Fastlink",
        "website": "https://fastlink.example",
        "marketplaces": ["US", "DE"],
        "modes": ["OCEAN", "AIR"],
        "capabilities": ["ship_track", "dw_automation"]
    });
    let path = "/api/v1/carriers/SZ_FASTLINK";
    let (status, _) = hub
        .send(reqwest::Method::PUT, &hub.seller_a, path, body.clone())
        .await;
    assert_eq!(status, 403, "only the operator edits the directory");
    let mut bad = body.clone();
    bad["website"] = json!("fastlink");
    let (status, refused) = hub
        .send(reqwest::Method::PUT, &hub.operator, path, bad)
        .await;
    assert_eq!(
        (status, refused["errors"][0]["field"].as_str()),
        (400, Some("website")),
        "{refused}"
    );
    let mut bad = body.clone();
    bad["capabilities"] = json!(["ship_track", "teleport"]);
    let (status, refused) = hub
        .send(reqwest::Method::PUT, &hub.operator, path, bad)
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("capabilities"),
        "{refused}"
    );
    let (status, _) = hub
        .send(reqwest::Method::PUT, &hub.operator, path, body)
        .await;
    assert_eq!(status, 204);
    let (_, listed) = hub
        .get(
            &hub.seller_a,
            "/api/v1/carriers?capability=dw_automation&q=fastlink",
        )
        .await;
    assert_eq!(listed["carriers"][0]["code"], "SZ_FASTLINK", "{listed}");

    let key = tracklane::keys::issue(
        hub.store(),
        tracklane_store::Principal::Carrier(
            tracklane_core::CarrierCode::parse("SZ_FASTLINK").unwrap(),
        ),
        [9; 16],
    )
    .await
    .unwrap();
    let s = hub
        .create(shipment(12, "A1SELLERA", Some("SZ_FASTLINK"), 1))
        .await;
    hub.upload(&key, &s, &[UPS[0]]).await;
    let pushed = hub
        .push(
            &key,
            vec![milestone(UPS[0], "PICKED_UP", "2026-03-08T02:00:00Z")],
        )
        .await;
    assert_eq!(pushed["accepted"], 1, "{pushed}");
}
