//! Engine passes over a running hub: the model learns from finished journeys,
//! open shipments get an estimate, an opted-in shipment of a dw_automation
//! carrier gets its window moved (audited, invariant 4), and an exception opens
//! with its cause and resolves when the cause clears. A pass reads only the
//! shipments that changed since the one before, yet sees every change, and
//! judges every open shipment at its own time.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tracklane::engine_pass::{Engine, FULL_READ_EVERY_PASSES, PassReport};
use tracklane_core::{Capability, DeliveryWindow, Shipment, WindowSource};
use tracklane_store::ShipmentKey;

use crate::support::{
    ManualClock, TestHub, carrier, milestone, now, open_exception_kinds, shipment,
};

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
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
    journey_of(hub, key, n, s, scans).await
}

/// Creates `s`, shipment `n` of one box, tracks its box as `CXH…n` as the
/// carrier of `key`, and pushes `scans` for it.
async fn journey_of(
    hub: &TestHub,
    key: &str,
    n: u64,
    s: Shipment,
    scans: &[(&str, Timestamp)],
) -> String {
    let s = hub.create(s).await;
    let number = format!("CXH{n:09}");
    hub.upload(key, &s, &[number.as_str()]).await;
    let items: Vec<Value> = scans
        .iter()
        .map(|(code, t)| milestone(&number, code, &at(*t)))
        .collect();
    if !items.is_empty() {
        let report = hub.push(key, items).await;
        assert_eq!(report["rejected"], serde_json::json!([]), "{report}");
    }
    s.id.to_string()
}

/// Twenty-four finished ocean journeys Shenzhen → TEB9 of carrier X, of
/// about 30 days each, numbered from `first`: automation and window
/// warnings act only on an estimate resting on at least 20.
async fn history(hub: &TestHub, first: u64) {
    for n in 0..24u64 {
        let start = now() - days(80) + SignedDuration::from_hours(12 * n as i64);
        journey(
            hub,
            &hub.carrier_x,
            "CARRIER_X",
            first + n,
            81 - n as i64,
            None,
            &[
                ("PICKED_UP", start),
                ("DEPARTED", start + days(3)),
                ("ARRIVED_IN_DESTINATION_COUNTRY", start + days(25)),
                ("DELIVERED", start + days(29 + n as i64 % 4)),
            ],
        )
        .await;
    }
}

/// A hub whose clock the test moves, and an engine whose passes run at the
/// clock's time, as `serve`'s do: the hub stamps each write with the time
/// the clock stands at.
struct Clocked {
    hub: TestHub,
    clock: Arc<ManualClock>,
    engine: Engine,
}

impl Clocked {
    /// A hub at [`now`] and an engine that has run no pass.
    async fn start() -> Clocked {
        let clock = ManualClock::at(now());
        let hub_clock = clock.clone();
        let hub = TestHub::start_with(move |mut state| {
            state.clock = hub_clock;
            state
        })
        .await;
        Clocked {
            hub,
            clock,
            engine: Engine::new(),
        }
    }

    /// Moves the clock to `at` and runs a pass there.
    async fn pass_at(&mut self, at: Timestamp) -> PassReport {
        self.clock.set(at);
        self.engine.pass(self.hub.store(), at).await.unwrap()
    }

    /// The kinds of the open exceptions of shipment `id`.
    async fn open_exceptions(&self, id: &str) -> Vec<String> {
        let (status, detail) = self
            .hub
            .get(&self.hub.seller_a, &format!("/api/v1/shipments/{id}"))
            .await;
        assert_eq!(status, 200, "{detail}");
        open_exception_kinds(&detail)
    }

    /// Shipment `id` as seller A reads it.
    async fn detail(&self, id: &str) -> Value {
        let (status, detail) = self
            .hub
            .get(&self.hub.seller_a, &format!("/api/v1/shipments/{id}"))
            .await;
        assert_eq!(status, 200, "{detail}");
        detail
    }
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
    let open = open_exception_kinds;
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
/// appointment and an audited window, which the next pass reads (and judges
/// the shipment by its new warehouse).
#[tokio::test]
async fn congestion_leads_to_an_offer_the_carrier_confirms() {
    let mut t = Clocked::start().await;
    let mut abe8 = crate::support::warehouse("ABE8", tracklane_core::Marketplace::Us);
    abe8.latitude = 40.6;
    abe8.longitude = -75.5;
    t.hub.store().put_warehouse(abe8).await.unwrap();
    for n in 0..24u64 {
        let start = now() - days(80) + SignedDuration::from_hours(12 * n as i64);
        journey(
            &t.hub,
            &t.hub.carrier_x,
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
        &t.hub,
        &t.hub.carrier_x,
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
    let (status, body) = t
        .hub
        .send(
            reqwest::Method::PUT,
            &t.hub.operator,
            "/api/v1/warehouses/TEB9/congestion",
            serde_json::json!({ "backlogUnits": 500_000 }),
        )
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");

    let report = t.pass_at(now()).await;
    assert_eq!(report.reroutes_offered, 1, "{report:?}");
    // Settled: what the first pass's time stamped is behind the margin.
    for hour in 1..=2 {
        t.pass_at(now() + hours(hour)).await;
    }
    let report = t.pass_at(now() + hours(3)).await;
    assert_eq!(report.read, 0, "{report:?}");
    let basis = |detail: &Value| detail["estimate"]["basis"].as_str().unwrap().to_owned();
    let before = basis(&t.detail(&late).await);
    t.clock
        .set(now() + hours(3) + SignedDuration::from_mins(30));
    let (_, none) = t
        .hub
        .get(&t.hub.carrier_y, "/api/v1/carrier/reroutes")
        .await;
    assert_eq!(
        none["reroutes"],
        serde_json::json!([]),
        "other carriers see no offer"
    );
    let (_, offers) = t
        .hub
        .get(&t.hub.carrier_x, "/api/v1/carrier/reroutes")
        .await;
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
    let (status, _) = t
        .hub
        .send(
            reqwest::Method::POST,
            &t.hub.carrier_y,
            &path,
            serde_json::json!({ "appointmentDate": "2026-03-13" }),
        )
        .await;
    assert_eq!(status, 404, "another carrier cannot confirm");
    let (status, body) = t
        .hub
        .send(
            reqwest::Method::POST,
            &t.hub.carrier_x,
            &path,
            serde_json::json!({ "appointmentDate": "2026-03-13" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = t
        .hub
        .send(
            reqwest::Method::POST,
            &t.hub.carrier_x,
            &format!("/api/v1/carrier/reroutes/{id}/decline"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 409, "a decision is final");
    let (_, detail) = t
        .hub
        .get(&t.hub.seller_a, &format!("/api/v1/shipments/{late}"))
        .await;
    assert_eq!(detail["warehouse"], "ABE8", "{detail}");
    assert_eq!(detail["reroutes"][0]["status"], "CONFIRMED");
    assert_eq!(detail["reroutes"][0]["appointment"], "2026-03-13");
    assert_eq!(detail["deliveryWindow"]["source"], "REROUTE");
    assert_eq!(detail["deliveryWindow"]["startDate"], "2026-03-08");

    // The confirmation stamped the shipment: the next pass reads it and
    // estimates its arrival at ABE8, where carrier X has no history.
    let report = t.pass_at(now() + hours(4)).await;
    assert_eq!(report.read, 1, "{report:?}");
    let after = basis(&t.detail(&late).await);
    assert!(
        before.starts_with("same carrier and lane history"),
        "{before}"
    );
    assert!(after.starts_with("same corridor history"), "{after}");
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

/// A pass after nothing changed reads nothing, yet judges every open
/// shipment at its own time: what time alone opens (here missing tracking,
/// five days after creation) still opens.
#[tokio::test]
async fn a_pass_after_nothing_changed_reads_nothing_yet_sees_time_pass() {
    let mut t = Clocked::start().await;
    let untracked = t
        .hub
        .create(shipment(600, "A1SELLERA", Some("CARRIER_Y"), 1))
        .await
        .id
        .to_string();
    journey(
        &t.hub,
        &t.hub.carrier_y,
        "CARRIER_Y",
        601,
        10,
        None,
        &[("PICKED_UP", now() - days(9))],
    )
    .await;
    let report = t.pass_at(now()).await;
    assert_eq!(
        (report.is_full_read, report.read, report.judged),
        (true, 2, 2),
        "{report:?}"
    );
    assert_eq!(t.open_exceptions(&untracked).await, Vec::<String>::new());
    // What was written at the first pass's time is read again by the two
    // passes after it (the margin is at least the time between passes, an
    // hour here); the third reads nothing.
    for (hour, read) in [(1, 2), (2, 2), (3, 0)] {
        let report = t.pass_at(now() + hours(hour)).await;
        assert_eq!(
            (report.is_full_read, report.read, report.judged),
            (false, read, 2),
            "hour {hour}: {report:?}"
        );
    }
    // Six days later, with nothing written since: nothing is read, both are
    // judged, and the missing tracking number is now an exception.
    let report = t.pass_at(now() + days(6)).await;
    assert_eq!(
        (report.is_full_read, report.read, report.judged),
        (false, 0, 2),
        "{report:?}"
    );
    assert_eq!(t.open_exceptions(&untracked).await, ["missing_tracking"]);
}

/// Each kind of change made between two passes (a milestone, a window the
/// seller sets, the automation switch, a tracking number, a new shipment,
/// one stored with an old creation time, a carrier's capabilities) is seen
/// by the next pass, which reads only the shipments changed. Each change is
/// the only one to its shipment, so a kind of change the listing missed
/// would leave its shipment's verdict as it was.
#[tokio::test]
async fn every_change_between_passes_is_seen_by_the_next_pass() {
    let mut t = Clocked::start().await;
    history(&t.hub, 700).await;
    // Arrived in the destination country: customs will hold it.
    let held = journey(
        &t.hub,
        &t.hub.carrier_y,
        "CARRIER_Y",
        800,
        30,
        None,
        &[
            ("PICKED_UP", now() - days(28)),
            ("DEPARTED", now() - days(25)),
            ("ARRIVED_IN_DESTINATION_COUNTRY", now() - days(3)),
        ],
    )
    .await;
    let departed = [
        ("PICKED_UP", now() - days(7)),
        ("DEPARTED", now() - days(4)),
    ];
    // Departed four days ago, about 26 days to go: the seller will set this
    // week as its window. Carrier Z has no dw_automation (yet), so that is a
    // warning.
    let windowed = journey(
        &t.hub,
        &t.hub.carrier_z,
        "CARRIER_Z",
        801,
        8,
        None,
        &departed,
    )
    .await;
    // Carrier X has dw_automation, but the seller has not allowed it yet.
    let mut s = shipment(802, "A1SELLERA", Some("CARRIER_X"), 1);
    s.created_at = now() - days(8);
    s.allows_window_automation = false;
    let switched = journey_of(&t.hub, &t.hub.carrier_x, 802, s, &departed).await;
    // No tracking number six days after creation.
    let mut s = shipment(803, "A1SELLERA", Some("CARRIER_Y"), 1);
    s.created_at = now() - days(6);
    let untracked = t.hub.create(s).await;

    let report = t.pass_at(now()).await;
    assert_eq!(
        (report.is_full_read, report.judged, report.windows_moved),
        (true, 4, 0),
        "{report:?}"
    );
    assert_eq!(t.open_exceptions(&held).await, Vec::<String>::new());
    assert_eq!(t.open_exceptions(&windowed).await, Vec::<String>::new());
    assert_eq!(
        t.open_exceptions(untracked.id.as_str()).await,
        ["missing_tracking"]
    );
    for hour in 1..=3 {
        t.pass_at(now() + hours(hour)).await;
    }
    let report = t.pass_at(now() + hours(4)).await;
    assert_eq!((report.read, report.judged), (0, 4), "{report:?}");

    // The changes, each stamped at the hub's time, between two passes.
    let changed_at = now() + hours(4) + SignedDuration::from_mins(30);
    t.clock.set(changed_at);
    let pushed = t
        .hub
        .push(
            &t.hub.carrier_y,
            vec![milestone(
                "CXH000000800",
                "CUSTOMS_HOLD",
                &at(now() + hours(2)),
            )],
        )
        .await;
    assert_eq!(pushed["accepted"], 1, "{pushed}");
    let this_week = DeliveryWindow::week_of(now().to_zoned(jiff::tz::TimeZone::UTC).date());
    let (status, body) = t
        .hub
        .send(
            reqwest::Method::PUT,
            &t.hub.seller_a,
            &format!("/api/v1/shipments/{windowed}/delivery-window"),
            json!({ "startDate": this_week.start_date, "endDate": this_week.end_date }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = t
        .hub
        .send(
            reqwest::Method::PUT,
            &t.hub.seller_a,
            &format!("/api/v1/shipments/{switched}/delivery-window/automation"),
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    t.hub
        .upload(&t.hub.carrier_y, &untracked, &["CXH000000803"])
        .await;
    // Created now, as the seller API does.
    let mut s = shipment(804, "A1SELLERA", Some("CARRIER_Y"), 1);
    s.created_at = changed_at;
    let created = t.hub.create(s).await;
    // Stored now, but created ten days ago by its own account (an import):
    // its creation stamps it with that time, before the margin.
    let mut s = shipment(805, "A1SELLERA", Some("CARRIER_Y"), 1);
    s.created_at = now() - days(10);
    let backdated = t.hub.create(s).await;

    let report = t.pass_at(now() + hours(5)).await;
    assert_eq!(
        (
            report.is_full_read,
            report.read,
            report.judged,
            report.windows_moved
        ),
        (false, 6, 6, 1),
        "{report:?}"
    );
    assert_eq!(t.open_exceptions(&held).await, ["customs_hold"]);
    assert_eq!(t.open_exceptions(&windowed).await, ["window_at_risk"]);
    let detail = t.detail(&switched).await;
    assert_eq!(
        detail["deliveryWindow"]["source"], "CARRIER_AUTOMATION",
        "{detail}"
    );
    let open = t.open_exceptions(untracked.id.as_str()).await;
    assert!(
        !open.iter().any(|kind| kind == "missing_tracking"),
        "tracked now: {open:?}"
    );
    assert!(
        t.detail(created.id.as_str()).await["estimate"].is_object(),
        "a new shipment is judged"
    );
    assert_eq!(
        t.open_exceptions(backdated.id.as_str()).await,
        ["missing_tracking"]
    );

    // Carrier Z gains dw_automation. That stamps no shipment: the pass reads
    // none, yet moves the window the seller set, which it now may.
    for hour in 6..=7 {
        t.pass_at(now() + hours(hour)).await;
    }
    let report = t.pass_at(now() + hours(8)).await;
    assert_eq!(
        (report.read, report.windows_moved),
        (0, 0),
        "settled: {report:?}"
    );
    let z = carrier(
        "CARRIER_Z",
        &[Capability::ShipTrack, Capability::DwAutomation],
    );
    let (status, body) = t
        .hub
        .send(
            reqwest::Method::PUT,
            &t.hub.operator,
            "/api/v1/carriers/CARRIER_Z",
            serde_json::to_value(&z).unwrap(),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let report = t.pass_at(now() + hours(9)).await;
    assert_eq!((report.read, report.windows_moved), (0, 1), "{report:?}");
    let detail = t.detail(&windowed).await;
    assert_eq!(
        detail["deliveryWindow"]["source"], "CARRIER_AUTOMATION",
        "{detail}"
    );
}

/// A change stamped by a clock further behind than the margin (another
/// process's, say) escapes the listing; the periodic full read sees it. And
/// after `resync` (the engine lease taken back from another process) a pass
/// reads every open shipment and stores every verdict again.
#[tokio::test]
async fn the_full_read_catches_what_the_listing_missed() {
    let mut t = Clocked::start().await;
    let mut s = shipment(900, "A1SELLERA", Some("CARRIER_X"), 1);
    s.allows_window_automation = false;
    let switched = journey_of(
        &t.hub,
        &t.hub.carrier_x,
        900,
        s,
        &[("PICKED_UP", now() - days(2))],
    )
    .await;
    journey(
        &t.hub,
        &t.hub.carrier_y,
        "CARRIER_Y",
        901,
        3,
        None,
        &[("PICKED_UP", now() - days(2))],
    )
    .await;
    let report = t.pass_at(now()).await;
    assert_eq!((report.is_full_read, report.read), (true, 2), "{report:?}");

    // Switched on by a process whose clock is a day behind.
    t.hub
        .store()
        .set_window_automation(&ShipmentKey::new(&switched), true, now() - days(1))
        .await
        .unwrap();
    for pass in 1..FULL_READ_EVERY_PASSES {
        let report = t.pass_at(now() + hours(pass as i64)).await;
        assert!(
            !report.is_full_read && report.windows_moved == 0,
            "pass {pass}: {report:?}"
        );
    }
    let report = t
        .pass_at(now() + hours(FULL_READ_EVERY_PASSES as i64))
        .await;
    assert_eq!(
        (report.is_full_read, report.read, report.windows_moved),
        (true, 2, 1),
        "{report:?}"
    );
    let detail = t.detail(&switched).await;
    assert_eq!(
        detail["deliveryWindow"]["source"], "CARRIER_AUTOMATION",
        "{detail}"
    );

    t.engine.resync();
    let report = t
        .pass_at(now() + hours(FULL_READ_EVERY_PASSES as i64 + 1))
        .await;
    assert_eq!(
        (report.is_full_read, report.read, report.written),
        (true, 2, 2),
        "{report:?}"
    );
}
