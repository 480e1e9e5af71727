//! Prints what a demo world holds and how long it took to build:
//! `cargo run --release -p tracklane-sim --example demo_stats -- [SHIPMENTS] [SEED]`.
//!
//! The one place in this crate that reads the clock: to time the build and to
//! pick `now`, as the binary does.

use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let now: jiff::Timestamp = "2026-03-10T06:30:00Z".parse().expect("a valid timestamp");

    let started = Instant::now();
    let world = tracklane_sim::demo_world(seed, now, count);
    let elapsed = started.elapsed();

    let history = world.feed.iter().filter(|e| e.at <= now).count();
    println!(
        "demo_world(seed {seed}, {count} shipments) in {:.3} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  {} shipments, {} packages, {} feed events ({history} up to now, {} after), {} uploads",
        world.shipments.len(),
        world
            .shipments
            .iter()
            .map(|s| s.packages.len())
            .sum::<usize>(),
        world.feed.len(),
        world.feed.len() - history,
        world.uploads.len(),
    );
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &world.feed {
        *by_code.entry(e.milestone.code.as_str()).or_default() += 1;
    }
    for (code, n) in by_code {
        println!("  {code:<40} {n}");
    }
    let started = Instant::now();
    drop(world);
    println!("dropped in {:.3} s", started.elapsed().as_secs_f64());
}
