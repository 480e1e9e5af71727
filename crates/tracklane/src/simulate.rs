//! `tracklane simulate`: builds a simulated world (`tracklane_sim::simulation`),
//! writes it as a stream (to `--emit FILE` if asked), and replays that stream
//! through the real ingest, store and engine (`replay.rs`). The stream reaches
//! the replay through a pipe, so writing it and replaying it overlap. The report
//! is the replay's: the same seed gives the same bytes.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use tracklane_sim::simulation::{SimConfig, simulate};

use crate::replay::{ReplayOptions, ReplayReport, replay_reader};
use crate::stream::write_simulation;

/// Wall-clock seconds of each phase, reported on stderr (not in the report,
/// which must be the same bytes in every run).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Building the world and its events.
    pub generate_seconds: f64,
    /// Writing the stream and replaying it, which overlap.
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
    let copy = match emit {
        Some(path) => Some(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => None,
    };
    let (reader, writer) = std::io::pipe().context("opening a pipe for the stream")?;
    let writing = std::thread::Builder::new()
        .name("tracklane-stream".into())
        .spawn(move || -> anyhow::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 20, Tee { pipe: writer, copy });
            write_simulation(&sim, &mut out)?;
            out.flush()?;
            Ok(())
        })
        .context("starting the stream writer")?;
    let source = emit.map_or_else(|| "the simulation".to_owned(), |p| p.display().to_string());
    let report = replay_reader(BufReader::with_capacity(1 << 20, reader), &source, options).await;
    let written = writing
        .join()
        .map_err(|_| anyhow::anyhow!("the stream writer panicked"))?;
    timings.replay_seconds = started.elapsed().as_secs_f64();
    // A replay that failed may have stopped reading, which fails the writer
    // too: its own error says more.
    let report = report?;
    written.context("writing the stream")?;
    Ok((report, timings))
}

/// Writes to the pipe the replay reads, and to the `--emit` file if any.
struct Tee {
    pipe: std::io::PipeWriter,
    copy: Option<std::fs::File>,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(copy) = &mut self.copy {
            copy.write_all(buf)?;
        }
        self.pipe.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(copy) = &mut self.copy {
            copy.flush()?;
        }
        self.pipe.flush()
    }
}
