//! SQLite-specific row helpers: listing filters, the milestone chain, and
//! driver errors. The stored forms shared with other backends are in
//! [`crate::codec`], re-exported here.

pub(crate) use crate::codec::*;
use crate::{StoreError, StoreResult};

/// The `WHERE` part of a listing query, built clause by clause with numbered
/// parameters so that the statement text stays the same for the same filters
/// (and `prepare_cached` can reuse it).
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    values: Vec<rusqlite::types::Value>,
}

impl Filter {
    /// Adds `clause`, every `?` of which stands for `value`.
    pub(crate) fn bind(&mut self, clause: &str, value: rusqlite::types::Value) {
        self.values.push(value);
        self.clauses
            .push(clause.replace('?', &format!("?{}", self.values.len())));
    }

    /// Adds `clause`, whose `?1`, `?2`, … stand for `values` in order.
    pub(crate) fn bind_all(&mut self, clause: &str, values: Vec<rusqlite::types::Value>) {
        let base = self.values.len();
        let mut numbered = String::with_capacity(clause.len() + 8);
        let mut rest = clause;
        while let Some(at) = rest.find('?') {
            numbered.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = rest[..digits].parse().unwrap_or(0);
            numbered.push_str(&(base + n).to_string());
            rest = &rest[digits..];
        }
        numbered.push_str(rest);
        self.values.extend(values);
        self.clauses.push(numbered);
    }

    /// Adds a clause without parameters.
    pub(crate) fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// `WHERE a AND b …`, or nothing.
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The parameters, in order.
    pub(crate) fn values(self) -> Vec<rusqlite::types::Value> {
        self.values
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

#[cfg(test)]
mod tests {
    use rusqlite::types::Value;

    use super::Filter;

    #[test]
    fn filters_number_their_parameters_in_order() {
        let mut filter = Filter::default();
        for n in 0..9 {
            filter.bind("x = ?", Value::Integer(n));
        }
        filter.bind_all(
            "(a = ?1 OR b = ?2 OR c = ?1)",
            vec![Value::Integer(10), Value::Integer(11)],
        );
        filter.push("d = 1");
        assert!(
            filter
                .sql()
                .ends_with("x = ?9 AND (a = ?10 OR b = ?11 OR c = ?10) AND d = 1"),
            "{}",
            filter.sql()
        );
        assert_eq!(filter.values().len(), 11);
        assert_eq!(Filter::default().sql(), "");
    }
}
