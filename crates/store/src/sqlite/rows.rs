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
