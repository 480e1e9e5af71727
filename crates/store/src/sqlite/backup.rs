//! A consistent copy of an SQLite store, taken while the hub keeps running.
//!
//! `VACUUM INTO` reads the database in one read transaction and writes what
//! that snapshot holds, compacted, to a new file. In WAL mode a reader and
//! the writer do not wait for each other, so `serve` goes on taking pushes
//! while the copy is made, and the copy has every write committed before it
//! started and none after. The copy is then opened on its own and checked,
//! so a backup that says it succeeded can be restored; [`restore`] checks it
//! again and puts it in place of a stopped hub's store.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

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

/// What a finished restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// What the restored store holds.
    pub copy: Backup,
    /// Where the store it replaced was moved, if there was one.
    pub previous: Option<PathBuf>,
}

/// Why a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// There is no file to restore from.
    #[error("there is no backup at {0}")]
    NoBackup(PathBuf),
    /// The file is not a store this build can open.
    #[error("{path} is not a tracklane store: {why}")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        why: String,
    },
    /// A newer tracklane wrote it.
    #[error("{path} was written by a newer tracklane (schema {found}, this one knows {known})")]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A hub holds a lease in the store to be replaced: it is running.
    #[error("a hub holds the lease `{lease}` of {path} until {until}")]
    InUse {
        /// The store.
        path: PathBuf,
        /// The lease.
        lease: String,
        /// Until when.
        until: Timestamp,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Puts the backup at `from` in place of the store at `to`. The backup is
/// checked first (SQLite's `quick_check`, a schema this build knows); a
/// store at `to` that a running hub holds a lease in (engine passes,
/// polling) is left alone unless `force`; otherwise it is moved aside with
/// its `-wal` and `-shm` files, to `TO.before-restore-STAMP`, so that nothing
/// it held is lost, and the backup is copied in under a temporary name and
/// renamed, so `to` is never half written.
///
/// # Errors
/// A [`RestoreError`] saying which check failed; [`RestoreError::Store`]
/// when a file cannot be read, moved or written.
pub fn restore(
    from: &Path,
    to: &Path,
    now: Timestamp,
    force: bool,
) -> Result<Restored, RestoreError> {
    if !from.is_file() {
        return Err(RestoreError::NoBackup(from.to_owned()));
    }
    let copy = check(from).map_err(|e| RestoreError::NotAStore {
        path: from.to_owned(),
        why: e.to_string(),
    })?;
    let found: i64 = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(unavailable("reading the backup's schema version"))?;
    let known = super::schema::MIGRATIONS.len() as i64;
    if found > known {
        return Err(RestoreError::Newer {
            path: from.to_owned(),
            found,
            known,
        });
    }
    let previous = if to.exists() {
        if !force && let Some((lease, until)) = held_lease(to, now)? {
            return Err(RestoreError::InUse {
                path: to.to_owned(),
                lease,
                until,
            });
        }
        let aside = companion(
            to,
            &format!(".before-restore-{}", now.strftime("%Y%m%dT%H%M%SZ")),
        );
        for suffix in ["-wal", "-shm", ""] {
            let file = companion(to, suffix);
            if file.exists() {
                rename(&file, &companion(&aside, suffix))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    let partial = companion(to, ".restoring");
    std::fs::copy(from, &partial).map_err(io("copying the backup", &partial))?;
    rename(&partial, to)?;
    Ok(Restored { copy, previous })
}

/// The newest lease in the store at `path` still held at `now`, if any.
fn held_lease(path: &Path, now: Timestamp) -> StoreResult<Option<(String, Timestamp)>> {
    let store = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(unavailable("opening the store to replace"))?;
    let has_leases: bool = store
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'lease')",
            [],
            |r| r.get(0),
        )
        .map_err(unavailable("reading the store to replace"))?;
    if !has_leases {
        return Ok(None);
    }
    let held: Option<(String, i64)> = store
        .query_row(
            "SELECT name, until FROM lease WHERE until > ?1 ORDER BY until DESC LIMIT 1",
            [now.as_microsecond()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(unavailable("reading the store's leases"))?;
    held.map(|(name, until)| Ok((name, crate::codec::timestamp(until)?)))
        .transpose()
}

/// `path` with `suffix` appended to its file name, as SQLite names a
/// database's `-wal` and `-shm` files.
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn rename(from: &Path, to: &Path) -> StoreResult<()> {
    std::fs::rename(from, to).map_err(io("moving", from))
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |e| StoreError::Unavailable {
        context: format!("{what} {}", path.display()),
        source: Box::new(e),
    }
}
