//! `tracklane simulate`: builds a simulated world (`tracklane_sim::simulation`),
//! writes it as a stream (to `--emit FILE`, else a scratch file), and replays
//! that stream through the real ingest, store and engine (`replay.rs`). The
//! report is the replay's: the same seed gives the same bytes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use tracklane_sim::simulation::{SimConfig, simulate};

use crate::replay::{ReplayOptions, ReplayReport, replay_file};
use crate::stream::write_simulation;

/// Wall-clock seconds of each phase, reported on stderr (not in the report,
/// which must be the same bytes in every run).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Building the world and its events.
    pub generate_seconds: f64,
    /// Writing the stream.
    pub write_seconds: f64,
    /// Replaying it.
    pub replay_seconds: f64,
}

/// Runs a simulation and replays it.
///
/// # Errors
/// When the stream cannot be written or replayed.
pub async fn run(
    config: SimConfig,
    emit: Option<&Path>,
    options: ReplayOptions,
) -> anyhow::Result<(ReplayReport, Timings)> {
    let mut timings = Timings::default();
    let started = Instant::now();
    let sim = simulate(config);
    timings.generate_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (path, is_scratch) = match emit {
        Some(path) => (path.to_owned(), false),
        None => (scratch_path(config.seed), true),
    };
    {
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        write_simulation(&sim, &mut out).with_context(|| format!("writing {}", path.display()))?;
    }
    drop(sim);
    timings.write_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let report = replay_file(&path, options).await;
    timings.replay_seconds = started.elapsed().as_secs_f64();
    if is_scratch {
        let _ = std::fs::remove_file(&path);
    }
    Ok((report?, timings))
}

fn scratch_path(seed: u64) -> PathBuf {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_owned()
    } else {
        std::env::temp_dir()
    };
    base.join(format!(
        "tracklane-sim-{}-{seed}.ndjson",
        std::process::id()
    ))
}
