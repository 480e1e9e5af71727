//! How values are stored, whatever the backend: the JSON bodies of the parts
//! that are never filtered on, times as microseconds since the epoch, and
//! coded enums as their stable numbers.

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
