//! `tracklane import`: send a CSV file of tracking numbers to a running hub's
//! import route, so bulk uploads go through the same validation, authorisation
//! and single writer as every other entry.

use std::io::{Read, Write};

use anyhow::Context;
use serde::Deserialize;

/// The hub's answer, as `POST /api/v1/tracking/import` sends it.
#[derive(Debug, Deserialize)]
pub struct ImportAnswer {
    /// Data rows read.
    pub rows: usize,
    /// Rows attached.
    pub accepted: usize,
    /// Rows already attached before.
    pub duplicates: usize,
    /// Rows refused.
    pub rejected: Vec<RejectedRow>,
}

/// One refused row.
#[derive(Debug, Deserialize)]
pub struct RejectedRow {
    /// Line in the file.
    pub line: usize,
    /// Stable problem code.
    pub code: String,
    /// Column at fault.
    pub field: String,
    /// What to do, in the language asked for.
    pub message: String,
}

/// Reads `file` (`-` for stdin), posts it to `hub_url` with `key`, and writes a
/// readable report (or the hub's JSON with `json`). Returns how many rows were
/// rejected.
///
/// # Errors
/// When the file cannot be read, the hub cannot be reached, or the hub refuses
/// the file as a whole (its message is passed on).
pub async fn run(
    file: &str,
    hub_url: &str,
    key: &str,
    zh: bool,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let mut body = Vec::new();
    if file == "-" {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("reading the CSV from stdin")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    }
    let url = format!("{}/api/v1/tracking/import", hub_url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(key)
        .header("content-type", "text/csv; charset=utf-8")
        .header("accept-language", if zh { "zh-CN" } else { "en" })
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending {file} to {url}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["errors"][0]["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        anyhow::bail!("{url} refused {file} ({status}): {message}");
    }
    let answer: ImportAnswer =
        serde_json::from_str(&text).with_context(|| format!("reading the answer of {url}"))?;
    if json {
        writeln!(out, "{text}")?;
    } else {
        writeln!(
            out,
            "{file}: {} rows, {} accepted, {} already there, {} rejected",
            answer.rows,
            answer.accepted,
            answer.duplicates,
            answer.rejected.len()
        )?;
        for row in &answer.rejected {
            writeln!(
                out,
                "line {}\t{}\t{}\t{}",
                row.line, row.field, row.code, row.message
            )?;
        }
    }
    Ok(answer.rejected.len())
}
