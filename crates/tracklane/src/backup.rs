//! `tracklane backup`: a checked copy of the embedded store, taken while
//! `serve` keeps running (see `tracklane_store::sqlite::backup`). A
//! PostgreSQL store is PostgreSQL's to copy, with `pg_dump`.

use std::path::Path;

use anyhow::bail;
use tracklane_store::StoreError;
use tracklane_store::sqlite::{self, Backup};

/// Copies the store `db` names (`sqlite://PATH`) to the new file `to`.
///
/// # Errors
/// When `db` is not an SQLite store, `to` exists, or the copy cannot be
/// written or fails its check; each message says what to do.
pub fn run(db: &str, to: &Path) -> anyhow::Result<Backup> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        bail!(
            "a PostgreSQL store is copied by PostgreSQL, while the hub runs: \
             pg_dump --format=custom --file=tracklane.dump '{db}', and restored with pg_restore"
        );
    }
    let Some(path) = db.strip_prefix("sqlite://") else {
        bail!("--db takes sqlite://PATH, the store `serve` is given, not `{db}`");
    };
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
