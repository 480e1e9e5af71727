//! Measures how many tracking numbers `check` handles per second on one core.
//!
//! Run with `cargo run --release -p tracklane-ids --example bench`. It checks
//! the deterministic mix from `bench_mix` (UPS, FedEx, USPS, S10 and DHL
//! numbers, about 10% mistyped, some lower-case or spaced) for about two
//! seconds after a warm-up and prints one JSON object:
//! `{"checks_per_sec": N, "clock": "thread_cpu", "numbers": …, "valid": …}`.
//! An optional argument sets the measuring time in milliseconds.
//!
//! On Linux the rate is per second of CPU time the benchmark thread actually
//! ran (from `/proc/thread-self/schedstat`), so that other work on a shared
//! machine does not skew it; elsewhere it falls back to wall-clock time and
//! says so in `clock`.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Distinct numbers in the mix: a batch of this size stays in cache, as a
/// real batch being validated would, and is far too varied for the branch
/// predictor to learn.
const MIX_LEN: usize = 10_000;
const WARM_UP: Duration = Duration::from_millis(300);
const MEASURE_MS_DEFAULT: u64 = 2_000;

fn main() {
    let measure_ms = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(MEASURE_MS_DEFAULT);
    let mix = tracklane_ids::bench_mix(MIX_LEN);
    let valid = mix
        .iter()
        .filter(|number| tracklane_ids::check(number).valid)
        .count();

    run(&mix, WARM_UP);
    let cpu_start_ns = thread_cpu_ns();
    let (checks, wall) = run(&mix, Duration::from_millis(measure_ms));
    let cpu_ns = cpu_start_ns
        .zip(thread_cpu_ns())
        .map(|(start, end)| end.saturating_sub(start));
    let (seconds, clock) = match cpu_ns {
        Some(ns) if ns > 0 => (ns as f64 / 1e9, "thread_cpu"),
        _ => (wall.as_secs_f64(), "wall"),
    };
    let checks_per_sec = (checks as f64 / seconds).round() as u64;
    println!(
        "{{\"checks_per_sec\": {checks_per_sec}, \"clock\": \"{clock}\", \"numbers\": {MIX_LEN}, \"valid\": {valid}}}"
    );
}

/// Checks the mix round after round until `budget` has passed; returns the
/// number of checks and the wall-clock time they took.
fn run(mix: &[String], budget: Duration) -> (u64, Duration) {
    let start = Instant::now();
    let mut checks = 0u64;
    while start.elapsed() < budget {
        for number in mix {
            black_box(tracklane_ids::check(black_box(number)));
        }
        checks += mix.len() as u64;
    }
    (checks, start.elapsed())
}

/// Nanoseconds this thread has spent on a CPU (Linux only).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
