//! `tracklane backup`: a checked copy of the embedded store, taken while
//! `serve` keeps running (see `tracklane_store::sqlite::backup`), and
//! `tracklane restore`, which puts one back in place of a stopped hub's
//! store. A PostgreSQL store is PostgreSQL's to copy, with `pg_dump`, and to
//! restore, with `pg_restore`.

use std::path::Path;

use anyhow::bail;
use jiff::Timestamp;
use tracklane_store::StoreError;
use tracklane_store::sqlite::{self, Backup, RestoreError, Restored};

/// Copies the store `db` names (`sqlite://PATH`) to the new file `to`.
///
/// # Errors
/// When `db` is not an SQLite store, `to` exists, or the copy cannot be
/// written or fails its check; each message says what to do.
pub fn run(db: &str, to: &Path) -> anyhow::Result<Backup> {
    let path = sqlite_path(db)?;
    sqlite::backup(Path::new(path), to).map_err(|e| match e {
        StoreError::NotFound {
            what: "SQLite store",
            ..
        } => anyhow::anyhow!(
            "there is no store at {path}: give --db sqlite://PATH as `serve` is given it"
        ),
        StoreError::Conflict { .. } => anyhow::anyhow!(
            "{} exists already: a backup never overwrites a file, so name a new one \
             (with the date, say)",
            to.display()
        ),
        other => anyhow::Error::new(other).context(format!("copying {path} to {}", to.display())),
    })
}

/// The file of the SQLite store `db` names; a PostgreSQL URL is sent to
/// PostgreSQL's own tools.
fn sqlite_path(db: &str) -> anyhow::Result<&str> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        bail!(
            "a PostgreSQL store is copied by PostgreSQL, while the hub runs: \
             pg_dump --format=custom --file=tracklane.dump '{db}', and restored with pg_restore"
        );
    }
    match db.strip_prefix("sqlite://") {
        Some(path) => Ok(path),
        None => bail!("--db takes sqlite://PATH, the store `serve` is given, not `{db}`"),
    }
}

/// Puts the backup `from` in place of the store `db` names, at `now`; a
/// store a running hub holds is left alone unless `force`.
///
/// # Errors
/// When `db` is not an SQLite store, the backup fails its checks, a hub
/// holds the store, or a file cannot be moved or written; each message
/// says what to do.
pub fn restore(db: &str, from: &Path, now: Timestamp, force: bool) -> anyhow::Result<Restored> {
    let path = sqlite_path(db)?;
    sqlite::restore(from, Path::new(path), now, force).map_err(|e| match e {
        RestoreError::NoBackup(from) => anyhow::anyhow!(
            "there is no backup at {}: give --from the file `tracklane backup --to` wrote",
            from.display()
        ),
        RestoreError::NotAStore { path, why } => anyhow::anyhow!(
            "{} is not a backup this hub can restore ({why}): choose another, such as an older one",
            path.display()
        ),
        RestoreError::Newer { path, found, known } => anyhow::anyhow!(
            "{} was written by a newer tracklane (schema {found}; this one knows up to {known}): \
             restore it with that version",
            path.display()
        ),
        RestoreError::InUse { path, lease, until } => anyhow::anyhow!(
            "a running hub holds {} (its `{lease}` lease runs until {until}): stop `serve` first, \
             or, if it has crashed, wait until then or pass --force",
            path.display()
        ),
        RestoreError::Store(e) => {
            anyhow::Error::new(e).context(format!("restoring {} to {path}", from.display()))
        }
    })
}
