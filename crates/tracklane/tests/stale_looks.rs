//! Replay looks at a shipment again the moment its tracking turns stale, as a
//! hub that passes all day would: a silence that begins and ends between two
//! midnights is raised when it begins and resolved when the scan comes.

use serde_json::{Value, json};
use tracklane::replay::{ReplayOptions, replay_file};

const CARRIER: &str = "SZ_FASTLINK";

fn shipment(n: u32, at: &str, ship_date: &str) -> Value {
    json!({
        "type": "shipment", "at": at,
        "shipmentId": format!("sh0000000{n}-0000-4000-8000-000000000000"),
        "inboundPlanId": format!("wf0000000{n}-0000-4000-8000-000000000000"),
        "confirmationId": format!("FBA15XYZ000{n}"),
        "seller": "A2SZANKOHOME",
        "origin": {"name": "Anko", "addressLine1": "1 Road", "city": "Shenzhen",
                   "postalCode": "518110", "countryCode": "CN"},
        "warehouse": "ONT8", "marketplace": "US", "shippingMode": "SMALL_PARCEL",
        "freightMode": "EXPRESS", "service": "EXPRESS", "carrier": CARRIER,
        "boxes": [{"boxId": format!("FBA15XYZ000{n}U000001"), "units": 10}],
        "shipDate": ship_date,
    })
}

fn scan(n: u32, code: &str, country: &str, occurred: &str) -> Value {
    json!({
        "type": "milestones", "at": occurred, "carrier": CARRIER,
        "milestones": [{
            "trackingNumber": format!("SZF00000000{n}"),
            "shipmentId": format!("FBA15XYZ000{n}"),
            "boxId": format!("FBA15XYZ000{n}U000001"),
            "status": {"code": code},
            "location": {"address": {"city": "Somewhere", "countryCode": country}},
            "occurredAt": occurred,
        }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_between_two_midnights_is_raised_when_it_begins() {
    let mut lines = vec![
        json!({"type": "header", "measureFrom": "2026-01-01T00:00:00Z"}),
        json!({"type": "warehouse", "code": "ONT8", "name": "Moreno Valley", "marketplace": "US",
               "address": {"name": "Amazon ONT8", "addressLine1": "1 Dock", "city": "Moreno Valley",
                           "stateOrProvinceCode": "CA", "postalCode": "92551", "countryCode": "US"},
               "timeZone": "America/Los_Angeles", "latitude": 33.9, "longitude": -117.2,
               "receivingCapacityUnitsPerDay": 100000, "backlogUnits": 0}),
        json!({"type": "carrier", "code": CARRIER, "name": "Shenzhen Fastlink",
               "website": "https://fastlink.example", "marketplaces": ["US"], "modes": ["EXPRESS"],
               "capabilities": ["ship_track"]}),
    ];
    // Eight journeys, the fewest a silence limit rests on, teach the lane:
    // after pickup the next scan comes in a day.
    let day = |d: u32| format!("2026-01-{d:02}");
    for n in 1..=8 {
        lines.push(shipment(n, &format!("{}T01:00:00Z", day(n)), &day(n)));
        lines.push(scan(n, "PICKED_UP", "CN", &format!("{}T10:00:00Z", day(n))));
        lines.push(scan(
            n,
            "DEPARTED",
            "CN",
            &format!("{}T10:00:00Z", day(n + 1)),
        ));
        lines.push(scan(
            n,
            "DELIVERED",
            "US",
            &format!("{}T12:00:00Z", day(n + 5)),
        ));
    }
    // Picked up at 10:00 on the 16th: stale after the 36-hour floor, at 22:00
    // on the 17th; the next scan comes an hour later, before midnight.
    lines.push(shipment(9, "2026-01-16T01:00:00Z", "2026-01-16"));
    lines.push(scan(9, "PICKED_UP", "CN", "2026-01-16T10:00:00Z"));
    lines.push(scan(9, "DEPARTED", "CN", "2026-01-17T23:00:00Z"));
    lines.push(scan(9, "DELIVERED", "US", "2026-01-19T12:00:00Z"));
    lines.sort_by_key(|l| l["at"].as_str().unwrap_or("").to_owned());

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stream.ndjson");
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, text.join("\n")).expect("write the stream");
    let report = replay_file(
        &path,
        ReplayOptions {
            with_shipments: true,
        },
    )
    .await
    .expect("replays");
    assert_eq!(report.ingest.rejected, 0, "{:?}", report.ingest);
    let histories = report.shipment_histories.expect("histories");
    let last = histories.last().expect("nine shipments");
    assert_eq!(
        last.arrived_at.map(|t| t.to_string()).as_deref(),
        Some("2026-01-19T12:00:00Z")
    );
    let stale: Vec<(String, Option<String>)> = last
        .exceptions
        .iter()
        .filter(|e| e.kind.as_str() == "stale_tracking")
        .map(|e| (e.from.to_string(), e.to.map(|t| t.to_string())))
        .collect();
    assert_eq!(
        stale,
        [(
            "2026-01-17T22:00:00Z".to_owned(),
            Some("2026-01-17T23:00:00Z".to_owned())
        )],
        "{:#?}",
        last.exceptions
    );
    for teacher in &histories[..8] {
        assert!(
            teacher.exceptions.is_empty(),
            "{}: {:#?}",
            teacher.shipment_id,
            teacher.exceptions
        );
    }
}
