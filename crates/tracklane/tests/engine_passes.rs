//! Engine passes over a running hub: the model learns from finished journeys,
//! open shipments get an estimate, an opted-in shipment of a dw_automation
//! carrier gets its window moved (audited, invariant 4), and an exception opens
//! with its cause and resolves when the cause clears.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tracklane::engine_pass::Engine;
use tracklane_core::{DeliveryWindow, WindowSource};

use crate::support::{TestHub, milestone, now, shipment};

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn at(t: Timestamp) -> String {
    t.to_string()
}

/// Creates shipment `n` of seller A on `carrier`, created `days_ago`, with one
/// box tracked as `CXH…n`, and pushes `scans` (code, instant) for it.
async fn journey(
    hub: &TestHub,
    key: &str,
    carrier: &str,
    n: u64,
    days_ago: i64,
    window: Option<DeliveryWindow>,
    scans: &[(&str, Timestamp)],
) -> String {
    let mut s = shipment(n, "A1SELLERA", Some(carrier), 1);
    s.created_at = now() - days(days_ago);
    s.delivery_window = window.map(|w| (w, WindowSource::Seller));
    let s = hub.create(s).await;
    let number = format!("CXH{n:09}");
    hub.upload(key, &s, &[number.as_str()]).await;
    let items: Vec<Value> = scans
        .iter()
        .map(|(code, t)| milestone(&number, code, &at(*t)))
        .collect();
    let report = hub.push(key, items).await;
    assert_eq!(report["rejected"], serde_json::json!([]), "{report}");
    s.id.to_string()
}

#[tokio::test]
async fn passes_estimate_move_windows_and_open_and_resolve_exceptions() {
    let hub = TestHub::start().await;
    // Twenty-four finished ocean journeys Shenzhen → TEB9 of about 30 days:
    // automation acts only on an estimate resting on at least 20.
    for n in 0..24u64 {
        let start = now() - days(80) + SignedDuration::from_hours(12 * n as i64);
        journey(
            &hub,
            &hub.carrier_x,
            "CARRIER_X",
            100 + n,
            81 - n as i64,
            None,
            &[
                ("PICKED_UP", start),
                ("DEPARTED", start + days(3)),
                (
                    "ARRIVED_IN_DESTINATION_COUNTRY",
                    start + days(24 + n as i64 % 3),
                ),
                ("DELIVERED", start + days(29 + n as i64 % 4)),
            ],
        )
        .await;
    }
    // Open, opted in, carrier X has dw_automation; the seller's window is this
    // week, far too early for a journey that departed four days ago.
    let pickup = now() - days(7);
    let this_week = DeliveryWindow::week_of(now().to_zoned(jiff::tz::TimeZone::UTC).date());
    let moving = journey(
        &hub,
        &hub.carrier_x,
        "CARRIER_X",
        200,
        8,
        Some(this_week),
        &[("PICKED_UP", pickup), ("DEPARTED", pickup + days(3))],
    )
    .await;
    // Open on carrier Y, held by customs.
    let held = journey(
        &hub,
        &hub.carrier_y,
        "CARRIER_Y",
        201,
        30,
        None,
        &[
            ("PICKED_UP", now() - days(28)),
            ("DEPARTED", now() - days(25)),
            ("ARRIVED_IN_DESTINATION_COUNTRY", now() - days(3)),
            ("CUSTOMS_HOLD", now() - days(2)),
        ],
    )
    .await;

    let mut engine = Engine::new();
    let report = engine.pass(hub.store(), now()).await.unwrap();
    assert_eq!(report.journeys_learned, 24, "{report:?}");
    assert_eq!(report.judged, 2, "{report:?}");
    assert_eq!(report.windows_moved, 1, "{report:?}");

    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{moving}"))
        .await;
    let estimate = &detail["estimate"];
    let p = |k: &str| estimate[k].as_str().unwrap().parse::<Timestamp>().unwrap();
    assert!(p("p10") <= p("p50") && p("p50") <= p("p90"), "{estimate}");
    let expected = pickup + days(30);
    assert!(
        p("p50").duration_since(expected).as_hours().abs() <= 72,
        "p50 {} should be near {expected}",
        p("p50")
    );
    assert_eq!(
        detail["deliveryWindow"]["source"], "CARRIER_AUTOMATION",
        "{detail}"
    );
    let audit = detail["windowHistory"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(audit["actor"], "carrier:CARRIER_X (automation)");
    assert!(
        audit["reason"].as_str().unwrap().contains("ETA p50"),
        "{audit}"
    );
    let moved_to: jiff::civil::Date = detail["deliveryWindow"]["startDate"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(moved_to > this_week.start_date);

    let (_, listed) = hub
        .get(
            &hub.seller_a,
            "/api/v1/exceptions?kind=customs_hold&lang=zh-CN",
        )
        .await;
    let open = listed["exceptions"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{listed}");
    assert_eq!(open[0]["shipmentId"], held.as_str());
    assert!(
        !open[0]["nextStep"].as_str().unwrap().is_ascii(),
        "next step in Chinese: {listed}"
    );
    let (_, flagged) = hub
        .get(&hub.seller_a, "/api/v1/shipments?withExceptions=true")
        .await;
    let flagged = flagged["shipments"].as_array().unwrap();
    assert!(
        flagged.iter().any(|s| s["shipmentId"] == held.as_str()),
        "{flagged:?}"
    );
    assert!(
        flagged
            .iter()
            .all(|s| s["openExceptions"].as_u64() > Some(0)),
        "{flagged:?}"
    );
    let (_, other) = hub.get(&hub.seller_b, "/api/v1/exceptions").await;
    assert_eq!(
        other["exceptions"],
        serde_json::json!([]),
        "seller B sees none"
    );
    let (status, _) = hub
        .get(&hub.seller_a, "/api/v1/exceptions?kind=bogus")
        .await;
    assert_eq!(status, 400);

    // The hold clears: the next pass resolves the exception.
    let report = hub
        .push(
            &hub.carrier_y,
            vec![milestone(
                "CXH000000201",
                "CUSTOMS_CLEARED",
                &at(now() - jiff::SignedDuration::from_hours(1)),
            )],
        )
        .await;
    assert_eq!(report["accepted"], 1, "{report}");
    engine.pass(hub.store(), now()).await.unwrap();
    let (_, listed) = hub
        .get(&hub.seller_a, "/api/v1/exceptions?kind=customs_hold")
        .await;
    assert_eq!(listed["exceptions"], serde_json::json!([]), "{listed}");
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{held}"))
        .await;
    let hold = detail["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "customs_hold")
        .unwrap();
    assert!(hold["resolvedAt"].is_string(), "{hold}");
}

#[tokio::test]
async fn a_finished_shipment_gets_a_last_verdict_and_is_not_read_again() {
    let hub = TestHub::start().await;
    let held = journey(
        &hub,
        &hub.carrier_y,
        "CARRIER_Y",
        300,
        30,
        None,
        &[
            ("PICKED_UP", now() - days(28)),
            ("DEPARTED", now() - days(25)),
            ("CUSTOMS_HOLD", now() - days(2)),
        ],
    )
    .await;
    let mut engine = Engine::new();
    let report = engine.pass(hub.store(), now()).await.unwrap();
    assert_eq!((report.read, report.judged), (1, 1), "{report:?}");
    let open = |detail: &Value| {
        detail["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["resolvedAt"].is_null())
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let path = format!("/api/v1/shipments/{held}");
    let (_, detail) = hub.get(&hub.seller_a, &path).await;
    assert_eq!(open(&detail), ["customs_hold"], "{detail}");
    // Nothing new: the same verdict is not written again.
    let report = engine.pass(hub.store(), now()).await.unwrap();
    assert_eq!((report.judged, report.written), (1, 0), "{report:?}");

    // Delivered while still on hold as far as the hub knew: the pass that
    // sees it finished learns from it and resolves what no longer holds.
    let number = "CXH000000300";
    hub.push(
        &hub.carrier_y,
        vec![milestone(number, "DELIVERED", &at(now() - days(1)))],
    )
    .await;
    let report = engine.pass(hub.store(), now()).await.unwrap();
    assert_eq!(
        (report.read, report.judged, report.journeys_learned),
        (1, 0, 1),
        "{report:?}"
    );
    let (_, detail) = hub.get(&hub.seller_a, &path).await;
    assert_eq!(open(&detail), Vec::<String>::new(), "{detail}");

    // Nothing about it changes any more: later passes do not read it.
    let report = engine.pass(hub.store(), now() + days(1)).await.unwrap();
    assert_eq!((report.read, report.judged), (0, 0), "{report:?}");
}

/// Smart Reroute end to end: the operator reports congestion, a pass offers the
/// delayed shipment of a smart_reroute carrier a nearby warehouse, only that
/// carrier sees the offer, and its confirmation moves the shipment with a new
/// appointment and an audited window.
#[tokio::test]
async fn congestion_leads_to_an_offer_the_carrier_confirms() {
    let hub = TestHub::start().await;
    let mut abe8 = crate::support::warehouse("ABE8", tracklane_core::Marketplace::Us);
    abe8.latitude = 40.6;
    abe8.longitude = -75.5;
    hub.store().put_warehouse(abe8).await.unwrap();
    for n in 0..24u64 {
        let start = now() - days(80) + SignedDuration::from_hours(12 * n as i64);
        journey(
            &hub,
            &hub.carrier_x,
            "CARRIER_X",
            400 + n,
            81 - n as i64,
            None,
            &[
                ("PICKED_UP", start),
                ("DEPARTED", start + days(3)),
                ("ARRIVED_IN_DESTINATION_COUNTRY", start + days(25)),
                ("DELIVERED", start + days(30)),
            ],
        )
        .await;
    }
    let late = journey(
        &hub,
        &hub.carrier_x,
        "CARRIER_X",
        500,
        27,
        None,
        &[
            ("PICKED_UP", now() - days(26)),
            ("DEPARTED", now() - days(23)),
            ("ARRIVED_IN_DESTINATION_COUNTRY", now() - days(1)),
        ],
    )
    .await;
    let (status, body) = hub
        .send(
            reqwest::Method::PUT,
            &hub.operator,
            "/api/v1/warehouses/TEB9/congestion",
            serde_json::json!({ "backlogUnits": 500_000 }),
        )
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");

    let report = Engine::new().pass(hub.store(), now()).await.unwrap();
    assert_eq!(report.reroutes_offered, 1, "{report:?}");
    let (_, none) = hub.get(&hub.carrier_y, "/api/v1/carrier/reroutes").await;
    assert_eq!(
        none["reroutes"],
        serde_json::json!([]),
        "other carriers see no offer"
    );
    let (_, offers) = hub.get(&hub.carrier_x, "/api/v1/carrier/reroutes").await;
    let offer = &offers["reroutes"][0];
    assert_eq!(
        (
            offer["shipment"].as_str(),
            offer["from"].as_str(),
            offer["to"].as_str()
        ),
        (Some(late.as_str()), Some("TEB9"), Some("ABE8")),
        "{offers}"
    );
    assert!(offer["moveDays"].as_f64().unwrap() < offer["stayDays"].as_f64().unwrap());
    let id = offer["id"].as_i64().unwrap();
    let path = format!("/api/v1/carrier/reroutes/{id}/confirm");
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_y,
            &path,
            serde_json::json!({ "appointmentDate": "2026-03-13" }),
        )
        .await;
    assert_eq!(status, 404, "another carrier cannot confirm");
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_x,
            &path,
            serde_json::json!({ "appointmentDate": "2026-03-13" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_x,
            &format!("/api/v1/carrier/reroutes/{id}/decline"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 409, "a decision is final");
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{late}"))
        .await;
    assert_eq!(detail["warehouse"], "ABE8", "{detail}");
    assert_eq!(detail["reroutes"][0]["status"], "CONFIRMED");
    assert_eq!(detail["reroutes"][0]["appointment"], "2026-03-13");
    assert_eq!(detail["deliveryWindow"]["source"], "REROUTE");
    assert_eq!(detail["deliveryWindow"]["startDate"], "2026-03-08");
}

/// Of two processes on one store, one holds the engine lease at a time; the
/// other takes over once it runs out, and the first cannot renew it then.
#[tokio::test]
async fn one_process_at_a_time_holds_a_lease() {
    let hub = TestHub::start().await;
    let store = hub.store();
    let minutes = |m: i64| now() + SignedDuration::from_mins(m);
    assert!(store.lease("engine", "a", now(), minutes(3)).await.unwrap());
    assert!(
        !store
            .lease("engine", "b", minutes(1), minutes(4))
            .await
            .unwrap()
    );
    assert!(
        store
            .lease("engine", "a", minutes(2), minutes(5))
            .await
            .unwrap(),
        "renewed"
    );
    assert!(
        !store
            .lease("engine", "b", minutes(4), minutes(7))
            .await
            .unwrap()
    );
    assert!(
        store
            .lease("engine", "b", minutes(5), minutes(8))
            .await
            .unwrap(),
        "taken over"
    );
    assert!(
        !store
            .lease("engine", "a", minutes(6), minutes(9))
            .await
            .unwrap()
    );
    assert!(
        store
            .lease("pull:DHL", "a", minutes(6), minutes(9))
            .await
            .unwrap(),
        "leases are by name"
    );
}
