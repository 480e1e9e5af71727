//! SQLite-specific row helpers: listing filters, the milestone chain, and
//! driver errors. The stored forms shared with other backends are in
//! [`crate::codec`], re-exported here.

pub(crate) use crate::codec::*;
use crate::{StoreError, StoreResult};

/// A listing's `WHERE` part with SQLite's `?n` placeholders.
pub(crate) type Filter = crate::filter::Filter<rusqlite::types::Value>;

impl Default for Filter {
    fn default() -> Self {
        Self::new('?')
    }
}

/// The packages a milestone row applies to: its own and those of its
/// `also_packages` column.
pub(crate) fn milestone_packages(package_seq: i64, also: Option<&str>) -> StoreResult<Vec<i64>> {
    let mut out = vec![package_seq];
    for part in also.unwrap_or_default().split_ascii_whitespace() {
        out.push(
            part.parse().map_err(|_| {
                StoreError::Corrupt(format!("package list {also:?} of a milestone"))
            })?,
        );
    }
    Ok(out)
}

/// The `also_packages` column for a milestone new to `packages` (first one
/// aside): `None` when it is new to one package only.
pub(crate) fn also_packages(packages: &[i64]) -> Option<String> {
    let rest = packages.get(1..).filter(|r| !r.is_empty())?;
    Some(
        rest.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Walks a shipment's milestone chain from `head` back to its first milestone,
/// mapping each row with `map`, whose first value must be the row's `prev_seq`.
/// `count` is the shipment's milestone count: the walk is bounded by it, so a
/// damaged file that loops is reported instead of followed for ever.
pub(crate) fn walk_chain<T>(
    conn: &rusqlite::Connection,
    head: Option<i64>,
    count: i64,
    columns: &str,
    map: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<(Option<i64>, T)>,
) -> StoreResult<Vec<T>> {
    let sql = format!("SELECT prev_seq, {columns} FROM milestone WHERE seq = ?1");
    let mut statement = conn
        .prepare_cached(&sql)
        .map_err(unavailable("reading a milestone chain"))?;
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut next = head;
    while let Some(seq) = next {
        if out.len() as i64 > count {
            return Err(StoreError::Corrupt(format!(
                "the milestone chain through {seq} is longer than its count {count}"
            )));
        }
        let (prev, item) = statement
            .query_row([seq], &map)
            .map_err(unavailable("reading a milestone chain"))?;
        out.push(item);
        next = prev;
    }
    Ok(out)
}

/// Maps a driver error to the store's vocabulary.
pub(crate) fn unavailable(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::Unavailable {
        context: context.to_owned(),
        source: Box::new(e),
    }
}
