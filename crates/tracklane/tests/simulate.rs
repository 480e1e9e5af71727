//! The simulator as the end-to-end test: a small world replayed twice through
//! the real ingest, store and engine. The two reports must be the same bytes,
//! and the invariants and the KPI targets the world can show at this size must
//! hold. A failure names the seed to replay it with
//! `tracklane simulate --seed N --shipments N --days N`.

use tracklane::replay::ReplayOptions;
use tracklane::simulate;
use tracklane_sim::simulation::SimConfig;

const SEED: u64 = 11;

async fn report(config: SimConfig) -> String {
    let (report, _) = simulate::run(config, None, ReplayOptions::default())
        .await
        .unwrap_or_else(|e| panic!("seed {}: {e:#}", config.seed));
    serde_json::to_string(&report).expect("a report serialises")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_world_replays_deterministically_and_meets_its_invariants() {
    let config = SimConfig {
        seed: SEED,
        shipments: 700,
        days: 40,
    };
    let first = report(config).await;
    let second = report(config).await;
    assert!(first == second, "seed {SEED}: two runs differ");
    let value: serde_json::Value = serde_json::from_str(&first).expect("json");
    let k = &value["kpis"];
    let f = |key: &str| k[key].as_f64().unwrap_or(f64::NAN);
    let nested = |a: &str, b: &str| k[a][b].as_f64().unwrap_or(f64::NAN);
    let context = format!("seed {SEED}: {k:#}");
    // Invariant 5: reroutes never exceed remaining capacity.
    assert_eq!(k["capacity_violations"], 0, "{context}");
    assert_eq!(value["ingest"]["rejected"], 0, "{context}");
    // The world is as variable as real lanes: seller windows hit under 70 %.
    assert!(f("dw_hit_rate_7d_static") < 0.70, "{context}");
    assert!(
        f("dw_hit_rate_7d") > f("dw_hit_rate_7d_static"),
        "{context}"
    );
    // The learned ETA beats the static baseline once the freight is moving
    // (by more at scale: about 0.4 of its error at 100 000 shipments, where
    // every lane has history).
    assert!(
        nested("eta_mae_days_at_arrival_in_country", "engine")
            < 0.7 * nested("eta_mae_days_at_arrival_in_country", "static_baseline"),
        "{context}"
    );
    assert!(
        nested("eta_mae_days_at_departure", "engine")
            < nested("eta_mae_days_at_departure", "static_baseline"),
        "{context}"
    );
    // Smart Reroute cuts the receiving wait during congestion by at least 30 %.
    assert!(nested("wait_days_mean", "cut") >= 0.30, "{context}");
    // Rule-based exceptions are exact against the truth.
    for row in k["exceptions"]["per_kind"].as_array().expect("per kind") {
        let kind = row[0].as_str().unwrap_or("");
        if matches!(
            kind,
            "customs_hold" | "missing_tracking" | "delivery_failed"
        ) && row[3].as_u64() > Some(0)
        {
            assert!(row[1].as_f64() >= Some(0.9), "{kind}: {context}");
            assert!(row[2].as_f64() >= Some(0.85), "{kind}: {context}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulate_benchmark_times_a_whole_run_and_sets_the_target_only_for_its_size() {
    let b = tracklane::bench::simulate(SEED, 300, 10)
        .await
        .unwrap_or_else(|e| panic!("seed {SEED}: {e:#}"));
    assert!(b.lines > 300, "{b:?}");
    assert!(b.generate_seconds > 0.0 && b.replay_seconds > 0.0, "{b:?}");
    assert!(
        b.generate_seconds + b.replay_seconds <= b.total_seconds,
        "{b:?}"
    );
    // 60 s is the target for 100 000 shipments over 90 days, not for this.
    assert_eq!((b.target_seconds, b.within_target), (None, None), "{b:?}");
}
