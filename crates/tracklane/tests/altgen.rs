//! Replay judged on a stream it was not built beside: `tests/data/altgen-160.ndjson`,
//! written by the independent generator `tools/altgen/altgen.py` from
//! `docs/simulation-format.md` alone (regenerate it with
//! `python3 tools/altgen/altgen.py --seed 5 --shipments 160 --days 40
//! --warmup-days 10 --max-boxes 3 --backlog-days 2 --invalid-rate 0.003
//! --out crates/tracklane/tests/data/altgen-160.ndjson`).
//!
//! The clean stream must play without a skipped line, with exactly the items the
//! generator broke on purpose rejected, every item and tracking number accounted
//! for, and every shipment's scans reaching it. A mutated copy (a broken record,
//! a repeated shipment, numbers spelled loosely, numbers known only from items
//! naming their shipment, an unknown carrier, a bare header, a byte-order mark)
//! must play to the same arrivals, every defect counted rather than fatal.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tracklane::replay::{ReplayOptions, ReplayReport, replay_file};

fn stream_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/altgen-160.ndjson")
}

fn stream_lines() -> Vec<Value> {
    std::fs::read_to_string(stream_path())
        .expect("the altgen stream is committed")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

async fn replay(path: &Path) -> ReplayReport {
    replay_file(
        path,
        ReplayOptions {
            with_shipments: true,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// Arrival per shipment, as replay measured it.
fn arrivals(report: &ReplayReport) -> HashMap<String, Option<jiff::Timestamp>> {
    report
        .shipment_histories
        .as_ref()
        .expect("histories")
        .iter()
        .map(|s| (s.shipment_id.clone(), s.arrived_at))
        .collect()
}

fn of_type<'a>(lines: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    lines.iter().filter(move |l| l["type"] == kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_from_the_independent_generator_replays_cleanly() {
    let lines = stream_lines();
    let header = &lines[0];
    assert_eq!(header["type"], "header");
    let broken_on_purpose = header["altgenInvalidItems"].as_u64().expect("count");
    assert!(broken_on_purpose > 0, "the stream should test rejection");
    let items: u64 = of_type(&lines, "milestones")
        .map(|l| l["milestones"].as_array().map_or(0, Vec::len) as u64)
        .sum();
    let numbers: u64 = of_type(&lines, "tracking")
        .map(|l| l["items"].as_array().map_or(0, Vec::len) as u64)
        .sum();

    let report = replay(&stream_path()).await;
    let value = serde_json::to_value(&report).expect("json");
    let ingest = &report.ingest;
    let context = format!("{:#}", value["ingest"]);
    assert_eq!(
        report.generator.as_deref(),
        Some("altgen (tools/altgen, python)")
    );
    assert_eq!(ingest.skipped_lines, 0, "{context}");
    assert_eq!(ingest.out_of_order_lines, 0, "{context}");
    assert_eq!(ingest.rejected, broken_on_purpose, "{context}");
    assert_eq!(
        ingest.accepted + ingest.duplicates + ingest.rejected,
        items,
        "every milestone item is accepted, a duplicate or rejected: {context}"
    );
    assert_eq!(ingest.tracking_attached, numbers, "{context}");

    // Every shipment's scans reach it: replay's arrival is the true one (small
    // parcels: the first box delivered, up to 3 h after the truth's first).
    let truth: HashMap<&str, Option<jiff::Timestamp>> = of_type(&lines, "truth")
        .map(|t| {
            (
                t["shipmentId"].as_str().expect("id"),
                t["arrivedAt"].as_str().map(|a| a.parse().expect("time")),
            )
        })
        .collect();
    let histories = report.shipment_histories.as_ref().expect("histories");
    assert_eq!(histories.len(), 160);
    let mut unreported = 0;
    for s in histories {
        let truth = truth[s.shipment_id.as_str()];
        match (s.arrived_at, truth) {
            (Some(got), Some(real)) => {
                let late = got.duration_since(real).as_secs_f64();
                assert!(
                    (0.0..=3.0 * 3600.0).contains(&late),
                    "{}: arrived {got}, truth {real}",
                    s.shipment_id
                );
            }
            (Some(got), None) => panic!("{}: arrived {got} but never did", s.shipment_id),
            (None, Some(_)) => unreported += 1,
            (None, None) => {}
        }
    }
    assert!(unreported <= 4, "{unreported} deliveries lost");

    let measured: Vec<_> = histories.iter().filter(|s| s.measured).collect();
    assert_eq!(measured.len() as u64, report.measured_shipments);
    assert!(measured.len() >= 100, "{} measured", measured.len());
    for s in &measured {
        assert!(!s.eta_history.is_empty(), "{}: no ETA", s.shipment_id);
    }
    assert!(report.arrived_measured_shipments as f64 >= 0.95 * measured.len() as f64);

    // KPIs: finite and in range, the learned ETA ahead once the freight is in
    // the destination country, and exception scoring that saw truth.
    let k = &report.kpis;
    let context = format!("{:#}", value["kpis"]);
    for rate in [
        k.dw_hit_rate_7d,
        k.dw_hit_rate_7d_static,
        k.dw_hit_rate_7d_all,
        k.dw_hit_rate_7d_all_static,
        k.exception_precision,
        k.exception_recall,
    ] {
        assert!((0.0..=1.0).contains(&rate), "{context}");
    }
    assert!(k.dw_hit_shipments > 0, "{context}");
    for e in [
        &k.eta_mae_days_at_pickup,
        &k.eta_mae_days_at_departure,
        &k.eta_mae_days_at_arrival_in_country,
    ] {
        assert!(e.engine.is_finite() && e.engine >= 0.0, "{context}");
        assert!(e.static_baseline.is_finite() && e.static_baseline >= 0.0);
        assert!(e.nominal_baseline.is_finite() && e.nominal_baseline >= 0.0);
        assert!(
            e.shipments as f64 >= 0.9 * measured.len() as f64,
            "{context}"
        );
    }
    assert!(
        k.eta_mae_days_at_arrival_in_country.engine
            < 0.6 * k.eta_mae_days_at_arrival_in_country.static_baseline,
        "{context}"
    );
    for w in [&k.wait_days_mean, &k.wait_days_mean_all_carriers] {
        assert!(w.reroute_on.is_finite() && w.reroute_off.is_finite() && w.cut.is_finite());
        assert!(w.reroute_on >= 0.0 && w.cut <= 1.0, "{context}");
    }
    assert!(k.window_changes_per_shipment.is_finite() && k.window_changes_per_shipment >= 0.0);
    assert_eq!(k.capacity_violations, 0, "{context}");
    let truth_lines: usize = of_type(&lines, "truth")
        .map(|t| t["exceptions"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(truth_lines > 0);
    assert!(
        k.exceptions.truth > 0 && k.exceptions.raised > 0,
        "{context}"
    );
    for (kind, precision, recall, _, truth) in &k.exceptions.per_kind {
        if matches!(kind.as_str(), "customs_hold" | "missing_tracking") {
            assert!(*truth > 0, "{kind}: no truth: {context}");
            assert!(*precision >= 0.9 && *recall >= 0.85, "{kind}: {context}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defects_in_a_stream_are_counted_not_fatal() {
    let lines = stream_lines();
    let clean = replay(&stream_path()).await;

    let naming = [
        "HAIXIN_LOGISTICS",
        "PEARL_RIVER_FWD",
        "EURASIA_RAIL",
        "NIPPON_BRIDGE",
    ];
    let mut out: Vec<Value> = Vec::with_capacity(lines.len() + 4);
    let mut seen_numbers = HashSet::new();
    let mut ghost_items = 0;
    let mut first_shipment = true;
    for line in &lines {
        let mut line = line.clone();
        match line["type"].as_str() {
            // A bare header: replay needs none of its fields.
            Some("header") => {
                let map = line.as_object_mut().expect("object");
                map.remove("generator");
                map.remove("format");
            }
            Some("shipment") if first_shipment => {
                first_shipment = false;
                // The same shipment twice, then a record missing its origin.
                out.push(line.clone());
                let mut broken = line.clone();
                broken["shipmentId"] = "sh00000000-0000-4000-8000-000000000001".into();
                broken["confirmationId"] = "FBAZZZZZZZZZ".into();
                broken.as_object_mut().expect("object").remove("origin");
                out.push(broken);
            }
            // Carriers that name the shipment upload no numbers: the first item
            // naming the shipment attaches the number, later items give only it.
            Some("tracking") if naming.contains(&line["carrier"].as_str().unwrap_or("")) => {
                let mut ghost = line.clone();
                ghost["carrier"] = "GHOST_FWD".into();
                ghost_items += ghost["items"].as_array().map_or(0, Vec::len) as u64;
                line = ghost;
            }
            // Numbers spelled as people type them.
            Some("tracking") => {
                for item in line["items"].as_array_mut().expect("items") {
                    let n = item["trackingNumber"].as_str().expect("number");
                    let loose = format!("{}-{}", &n[..3], &n[3..]).to_lowercase();
                    item["trackingNumber"] = loose.into();
                }
            }
            Some("milestones") if naming.contains(&line["carrier"].as_str().unwrap_or("")) => {
                for item in line["milestones"].as_array_mut().expect("items") {
                    let number = item["trackingNumber"].as_str().expect("n").to_owned();
                    let valid = item["occurredAt"]
                        .as_str()
                        .is_some_and(|t| t.ends_with('Z'));
                    if valid && !seen_numbers.insert(number) {
                        let map = item.as_object_mut().expect("object");
                        map.remove("shipmentId");
                        map.remove("boxId");
                    }
                }
            }
            _ => {}
        }
        out.push(line);
    }
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let mut text = String::from("\u{feff}");
    for line in &out {
        text.push_str(&serde_json::to_string(line).expect("json"));
        text.push('\n');
    }
    std::fs::write(file.path(), text).expect("write");

    let report = replay(file.path()).await;
    let context = format!("{:#}", serde_json::to_value(&report.ingest).expect("json"));
    assert_eq!(report.generator, None);
    assert_eq!(report.ingest.skipped_lines, 2, "{context}");
    assert!(ghost_items > 0);
    assert_eq!(
        report.ingest.rejected,
        clean.ingest.rejected + ghost_items,
        "{context}"
    );
    assert_eq!(report.shipments, clean.shipments);
    let (got, want) = (arrivals(&report), arrivals(&clean));
    let differ: Vec<_> = want
        .iter()
        .filter(|(id, at)| got.get(*id) != Some(at))
        .map(|(id, _)| id)
        .collect();
    assert!(differ.is_empty(), "arrivals differ: {differ:?}");
}
