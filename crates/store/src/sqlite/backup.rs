//! A consistent copy of an SQLite store, taken while the hub keeps running.
//!
//! `VACUUM INTO` reads the database in one read transaction and writes what
//! that snapshot holds, compacted, to a new file. In WAL mode a reader and
//! the writer do not wait for each other, so `serve` goes on taking pushes
//! while the copy is made, and the copy has every write committed before it
//! started and none after. The copy is then opened on its own and checked,
//! so a backup that says it succeeded can be restored.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::rows::unavailable;
use crate::{StoreError, StoreResult};

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// Size of the copy.
    pub bytes: u64,
    /// Shipments in it.
    pub shipments: u64,
    /// Milestones in it.
    pub milestones: u64,
}

/// Copies the store at `from` to the new file `to`, then checks the copy.
///
/// # Errors
/// - [`StoreError::NotFound`] when there is no file at `from`;
/// - [`StoreError::Conflict`] when `to` exists already: a backup never
///   overwrites a file;
/// - [`StoreError::Unavailable`] when `from` is not an SQLite store or the
///   copy cannot be written (a full disk, a directory that is not there);
/// - [`StoreError::Corrupt`] when the copy fails SQLite's check.
pub fn backup(from: &Path, to: &Path) -> StoreResult<Backup> {
    if !from.is_file() {
        return Err(StoreError::NotFound {
            what: "SQLite store",
            key: from.display().to_string(),
        });
    }
    if to.exists() {
        return Err(StoreError::Conflict {
            what: "file",
            key: to.display().to_string(),
        });
    }
    // SQLite takes the name as text; a path that is not UTF-8 cannot be
    // written there.
    let to_text = to.to_str().ok_or_else(|| StoreError::NotFound {
        what: "UTF-8 path",
        key: to.display().to_string(),
    })?;
    // Read-only: a mistyped path fails here instead of making an empty store.
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(unavailable("opening the store to copy"))?;
    source
        .execute("VACUUM INTO ?1", [to_text])
        .map_err(unavailable("writing the copy"))?;
    drop(source);
    check(to)
}

/// Opens the copy at `path` on its own and checks it: SQLite's
/// `quick_check` (every page and index entry readable and well formed) and
/// the counts the report gives.
fn check(path: &Path) -> StoreResult<Backup> {
    let copy = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(unavailable("opening the copy"))?;
    let verdict: String = copy
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(unavailable("checking the copy"))?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the copy at {} failed SQLite's check: {verdict}",
            path.display()
        )));
    }
    let (shipments, milestones): (i64, i64) = copy
        .query_row(
            "SELECT count(*), coalesce(sum(milestone_count), 0) FROM shipment",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(unavailable("counting the copy's shipments"))?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| StoreError::Unavailable {
            context: format!("reading the size of {}", path.display()),
            source: Box::new(e),
        })?
        .len();
    Ok(Backup {
        bytes,
        shipments: u64::try_from(shipments).unwrap_or(0),
        milestones: u64::try_from(milestones).unwrap_or(0),
    })
}
