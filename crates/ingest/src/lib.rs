//! Ingest: the path from what a carrier or seller sends to what the store keeps.
//!
//! It parses each item of a batch on its own, so one malformed item never costs
//! the others (DESIGN.md invariant 7); validates tracking numbers with
//! `tracklane-ids`, milestone codes against the SP-API model and times against the
//! injected `now`; then hands the valid items to the store, which resolves,
//! authorises, deduplicates and commits them in one transaction. Every rejection
//! is a [`Problem`] naming the item's index, the field and the fix.

pub mod import;
pub mod milestones;
pub mod tracking;

use tracklane_core::{Capability, CarrierCode, Problem};
use tracklane_store::{Store, StoreError};

pub use import::{IMPORT_ROWS_MAX, ImportReport, RowRejection, import_tracking};
pub use milestones::{BATCH_SIZE_MAX, BatchReport, Rejection, push_milestones};
pub use tracking::{
    Checked, TrackingItem, assign_tracking, check_tracking, in_batch_order, tracking_number,
};

/// Why a whole request was refused (as opposed to one item of it).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The request body as a whole is unusable.
    #[error("{}", .0.en)]
    Body(Problem),
    /// The batch is larger than [`BATCH_SIZE_MAX`].
    #[error("a batch holds at most {max} items; this one has {got}")]
    TooLarge {
        /// Items sent.
        got: usize,
        /// Items allowed.
        max: usize,
    },
    /// An imported file has more than [`IMPORT_ROWS_MAX`] rows.
    #[error("a file holds at most {max} rows")]
    TooManyRows {
        /// Rows allowed.
        max: usize,
    },
    /// The carrier account lacks the capability the request needs.
    #[error("carrier {carrier} does not have the {} capability", .capability.as_str())]
    CapabilityMissing {
        /// The carrier sending.
        carrier: CarrierCode,
        /// What it would need.
        capability: Capability,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refuses a carrier that lacks `capability`. Tracking IDs and milestones are
/// taken from carriers with `ship_track` only: that is what makes a number
/// carrier-sourced, and carrier-sourced numbers are exempt from the seller's
/// inbound defects, so an account without it must not earn the exemption.
///
/// # Errors
/// [`IngestError::CapabilityMissing`], also when the carrier is not on the hub;
/// [`IngestError::Store`] when the carriers cannot be read.
pub async fn require_capability(
    store: &dyn Store,
    carrier: &CarrierCode,
    capability: Capability,
) -> Result<(), IngestError> {
    let carriers = store.carriers().await?;
    if carriers
        .iter()
        .any(|c| &c.code == carrier && c.has(capability))
    {
        Ok(())
    } else {
        Err(IngestError::CapabilityMissing {
            carrier: carrier.clone(),
            capability,
        })
    }
}

impl IngestError {
    /// The problem to show the caller.
    pub fn problem(&self) -> Problem {
        match self {
            IngestError::Body(p) => p.clone(),
            IngestError::TooLarge { got, max } => Problem::new(
                "batch.too_large",
                "milestones",
                format!(
                    "a batch holds at most {max} items and this one has {got}: split it into batches of {max} or fewer"
                ),
                format!("每批最多 {max} 条，此批有 {got} 条：请拆分为每批不超过 {max} 条"),
            ),
            IngestError::TooManyRows { max } => Problem::new(
                "csv.too_many_rows",
                "",
                format!(
                    "a file holds at most {max} rows and this one has more: split it into files of {max} rows or fewer"
                ),
                format!("每个文件最多 {max} 行，此文件超出：请拆分为每个不超过 {max} 行的文件"),
            ),
            IngestError::CapabilityMissing {
                carrier,
                capability,
            } => Problem::new(
                "carrier.capability_missing",
                "",
                format!(
                    "carrier account {carrier} does not have the {} capability ({}): ask the hub operator to enable it",
                    capability.as_str(),
                    capability.description()
                ),
                format!(
                    "承运商账户 {carrier} 未开通 {} 功能：请联系平台运营方开通",
                    capability.as_str()
                ),
            ),
            IngestError::Store(StoreError::NotFound { what, key }) => Problem::new(
                "not_found",
                "",
                format!("{what} {key} was not found: check the id"),
                format!("找不到 {what} {key}：请核对编号"),
            ),
            IngestError::Store(e) => Problem::new(
                "store.unavailable",
                "",
                format!(
                    "the hub could not store this right now ({e}); nothing was stored: retry the same request"
                ),
                "系统暂时无法保存（未保存任何内容）：请重试同一请求".to_owned(),
            ),
        }
    }
}

/// Deserialises JSON, naming the field at fault when it fails. Tracking the
/// path costs on every value, so only a failed parse is read again to find
/// it: the result, success or problem, is the tracked parse's.
///
/// # Errors
/// A `json.invalid` problem naming the field and the fix, in en and zh-CN.
pub fn parse_json<'de, T: serde::Deserialize<'de>>(json: &'de [u8]) -> Result<T, Problem> {
    if let Ok(value) = serde_json::from_slice(json) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| parse_problem(&e))
}

/// Turns a `serde_path_to_error` failure into a problem naming the field.
pub(crate) fn parse_problem(error: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = error.path().to_string();
    let field = if path == "." { String::new() } else { path };
    let inner = error.inner();
    Problem::new(
        "json.invalid",
        field.clone(),
        format!(
            "{}: {inner}; send the field with the type the API reference gives",
            if field.is_empty() { "body" } else { &field }
        ),
        format!(
            "{}：JSON 格式错误（{inner}）；请按接口文档的类型发送该字段",
            if field.is_empty() {
                "请求体"
            } else {
                &field
            }
        ),
    )
}

/// A problem for a required field that is missing.
pub(crate) fn missing(field: &str, example: &str) -> Problem {
    Problem::new(
        "field.required",
        field,
        format!("{field} is required: add it, for example {example}"),
        format!("缺少必填字段 {field}：请添加，例如 {example}"),
    )
}
