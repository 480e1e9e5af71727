//! Invariant 2: the same fact twice is stored once. And tracking closes at the
//! warehouse: later facts are kept but change nothing.

use tracklane_core::{DeliveryWindow, ShippingMode, WindowSource};
use tracklane_store::{ShipmentKey, WindowChangeRequest};

use crate::support::{TestHub, UPS, milestone, now, shipment};

#[tokio::test]
async fn the_same_batch_twice_is_stored_once() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..2]).await;
    let batch = vec![
        milestone(UPS[0], "PICKED_UP", "2026-03-01T08:00:00Z"),
        milestone(UPS[1], "PICKED_UP", "2026-03-01T08:05:00Z"),
        milestone(UPS[0], "PICKED_UP", "2026-03-01T08:00:00Z"),
    ];
    let first = hub.push(&hub.carrier_x, batch.clone()).await;
    assert_eq!(
        (first["accepted"].as_u64(), first["duplicates"].as_u64()),
        (Some(2), Some(1)),
        "{first}"
    );
    let before = hub.store().counts().await.unwrap();
    let second = hub.push(&hub.carrier_x, batch).await;
    assert_eq!(
        (second["accepted"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(3)),
        "{second}"
    );
    assert_eq!(hub.store().counts().await.unwrap(), before);
}

#[tokio::test]
async fn tracking_closes_at_the_warehouse() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(4, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "DELIVERED", "2026-03-05T08:00:00Z")],
    )
    .await;
    let late = hub
        .push(
            &hub.carrier_x,
            vec![milestone(UPS[0], "DELAYED", "2026-03-06T08:00:00Z")],
        )
        .await;
    assert_eq!(late["accepted"], 1, "kept");
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(detail["status"], "DELIVERED", "{detail}");
    let package = &detail["packages"][0];
    assert_eq!(package["trackingClosed"], true);
    assert_eq!(package["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(package["timeline"][1]["afterClose"], true);
}

#[tokio::test]
async fn a_freight_number_s_milestones_are_stored_once_for_every_box() {
    let hub = TestHub::start().await;
    let mut ltl = shipment(5, "A1SELLERA", Some("CARRIER_X"), 3);
    ltl.shipping_mode = ShippingMode::Ltl;
    let s = hub.create(ltl).await;
    // Named by shipment and no box: the number covers every freight unit.
    let batch: Vec<_> = [
        ("PICKED_UP", "2026-03-01T08:00:00Z"),
        ("DEPARTED", "2026-03-02T08:00:00Z"),
    ]
    .iter()
    .map(|(code, at)| {
        let mut m = milestone(UPS[0], code, at);
        m["shipmentId"] = s.confirmation_id.as_str().into();
        m
    })
    .collect();
    let first = hub.push(&hub.carrier_x, batch.clone()).await;
    assert_eq!(first["accepted"], 2, "{first}");
    assert_eq!(hub.store().counts().await.unwrap().milestones, 2);
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    for package in detail["packages"].as_array().unwrap() {
        let codes: Vec<&str> = package["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["milestone"]["code"].as_str().unwrap_or("?"))
            .collect();
        assert_eq!(codes, ["PICKED_UP", "DEPARTED"], "{package}");
    }
    // A failed write makes the writer forget what it knew; what it learns
    // again from the stored rows still knows every box has both facts.
    let missing = hub
        .store()
        .set_delivery_window(
            &ShipmentKey::new("FBA15NOSUCHONE"),
            WindowChangeRequest {
                window: DeliveryWindow::week_of(jiff::civil::date(2026, 3, 20)),
                source: WindowSource::Seller,
                actor: "seller:A1SELLERA".into(),
                reason: "test".into(),
                now: now(),
            },
        )
        .await;
    assert!(missing.is_err());
    let again = hub.push(&hub.carrier_x, batch).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(hub.store().counts().await.unwrap().milestones, 2);
}
