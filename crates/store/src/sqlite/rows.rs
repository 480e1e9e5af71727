//! Conversions between SQLite rows and domain values: the JSON bodies of the
//! parts that are never filtered on, and the stored numbers of coded enums.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracklane_core::projection::LatestMilestone;
use tracklane_core::{
    Address, DeliveryWindow, Fingerprint, InboundPlanId, Item, MilestoneCode, ShipmentKind, SubCode,
};

use crate::{StoreError, StoreResult};

/// The parts of a shipment kept as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShipmentBody {
    pub inbound_plan_id: InboundPlanId,
    pub kind: ShipmentKind,
    pub source_address: Address,
}

/// The parts of a package kept as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageBody {
    pub weight_grams: u32,
    pub dimensions_mm: [u32; 3],
    pub items: Vec<Item>,
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// `value` as a JSON tree, for an event's payload.
pub(crate) fn to_value<T: Serialize>(value: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("cannot decode `{text}`: {e}")))
}

pub(crate) fn timestamp(us: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("timestamp {us}: {e}")))
}

pub(crate) fn code(number: i64) -> StoreResult<MilestoneCode> {
    u16::try_from(number)
        .ok()
        .and_then(MilestoneCode::from_number)
        .ok_or_else(|| StoreError::Corrupt(format!("milestone code {number}")))
}

pub(crate) fn sub_code(number: Option<i64>) -> StoreResult<Option<SubCode>> {
    number
        .map(|n| {
            u16::try_from(n)
                .ok()
                .and_then(SubCode::from_number)
                .ok_or_else(|| StoreError::Corrupt(format!("sub-code {n}")))
        })
        .transpose()
}

/// Reads enum `T` from its stored number.
pub(crate) fn coded<T>(number: i64, from: fn(u16) -> Option<T>, what: &str) -> StoreResult<T> {
    u16::try_from(number)
        .ok()
        .and_then(from)
        .ok_or_else(|| StoreError::Corrupt(format!("{what} {number}")))
}

pub(crate) fn latest(
    code_n: Option<i64>,
    sub: Option<i64>,
    at: Option<i64>,
    fingerprint: Option<i64>,
) -> StoreResult<Option<LatestMilestone>> {
    match (code_n, at) {
        (Some(c), Some(at)) => Ok(Some(LatestMilestone {
            code: code(c)?,
            sub_code: sub_code(sub)?,
            occurred_at: timestamp(at)?,
            // Stored as the signed twin of the u64 fingerprint.
            fingerprint: Fingerprint(fingerprint.unwrap_or(0) as u64),
        })),
        _ => Ok(None),
    }
}

pub(crate) fn window(
    start: Option<String>,
    end: Option<String>,
) -> StoreResult<Option<DeliveryWindow>> {
    match (start, end) {
        (Some(s), Some(e)) => Ok(Some(DeliveryWindow {
            start_date: s
                .parse()
                .map_err(|err| StoreError::Corrupt(format!("window start {s}: {err}")))?,
            end_date: e
                .parse()
                .map_err(|err| StoreError::Corrupt(format!("window end {e}: {err}")))?,
        })),
        _ => Ok(None),
    }
}

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
