//! The baseline for the ingest benchmark: the same milestone rows inserted into
//! the same table with the same statement and settings, and nothing else — no
//! HTTP, no parsing, no dedup, no projection.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tracklane_core::Milestone;

use super::rows::unavailable;
use super::schema;
use crate::StoreResult;

/// One milestone row as the log stores it.
pub struct RawRow {
    /// The package's internal sequence.
    pub package_seq: i64,
    /// The reporting carrier.
    pub carrier: String,
    /// The tracking number.
    pub tracking_number: String,
    /// The fact.
    pub milestone: Milestone,
}

/// Inserts `rows` into a fresh store file at `path`, `batch` rows per
/// transaction, and returns the time the inserts took.
///
/// # Errors
/// When the file cannot be created or written.
pub fn raw_insert(path: &Path, rows: &[RawRow], batch: usize) -> StoreResult<Duration> {
    let mut conn = Connection::open(path).map_err(unavailable("opening the baseline database"))?;
    conn.execute_batch(schema::CONNECTION_PRAGMAS)
        .map_err(unavailable("configuring the baseline database"))?;
    schema::migrate(&mut conn).map_err(unavailable("migrating the baseline database"))?;
    let started = Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let tx = conn
            .transaction()
            .map_err(unavailable("baseline transaction"))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO milestone (package_seq, prev_seq, code, sub_code, raw_code, description, city, region,
                         country_code, occurred_at, received_at, carrier, tracking_number, event_id, fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )
                .map_err(unavailable("baseline insert"))?;
            for r in chunk {
                let m = &r.milestone;
                insert
                    .execute(params![
                        r.package_seq,
                        Option::<i64>::None,
                        m.code.number(),
                        m.sub_code.map(|s| s.number()),
                        m.raw_code,
                        m.description,
                        m.location.city,
                        m.location.region,
                        m.location.country_code,
                        m.occurred_at.as_microsecond(),
                        m.occurred_at.as_microsecond(),
                        r.carrier,
                        r.tracking_number,
                        m.event_id,
                        m.fingerprint().0 as i64,
                    ])
                    .map_err(unavailable("baseline insert"))?;
            }
        }
        tx.commit().map_err(unavailable("baseline commit"))?;
    }
    Ok(started.elapsed())
}
