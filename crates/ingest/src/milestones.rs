//! The milestone push: `POST /api/v1/carrier/milestones`. The body is parsed in
//! two steps, first into raw items and then each item on its own, so that an
//! item with a wrong type is rejected by its index while the rest go through.

use std::borrow::Cow;

use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tracklane_core::{
    BoxId, Capability, CarrierCode, Location, Milestone, MilestoneCode, Problem, SubCode,
};
use tracklane_store::{ItemOutcome, MilestoneDraft, ShipmentKey, Store};

use crate::{IngestError, missing, parse_json, tracking_number};

/// The most milestones one request may carry.
pub const BATCH_SIZE_MAX: usize = 10_000;
/// How far in the future a milestone may claim to have happened (clock skew).
const FUTURE_SKEW_HOURS_MAX: i64 = 24;
/// Longest free-text field accepted.
const TEXT_LENGTH_MAX: usize = 512;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    milestones: Option<Vec<&'a RawValue>>,
}

/// One milestone as carriers send it. Required fields are `Option` here so that
/// a missing one gets a problem naming it rather than a parser message.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input<'a> {
    #[serde(borrow)]
    tracking_number: Option<Cow<'a, str>>,
    #[serde(borrow)]
    carrier_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    shipment_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    box_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<StatusInput<'a>>,
    #[serde(borrow)]
    location: Option<LocationInput<'a>>,
    #[serde(borrow)]
    occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusInput<'a> {
    #[serde(borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sub_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    raw_code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LocationInput<'a> {
    #[serde(borrow)]
    address: Option<AddressInput<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddressInput<'a> {
    #[serde(borrow)]
    city: Option<Cow<'a, str>>,
    #[serde(borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    country_code: Option<Cow<'a, str>>,
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// Items stored.
    pub accepted: usize,
    /// Items that repeated stored facts.
    pub duplicates: usize,
    /// Items refused, each with its problem.
    pub rejected: Vec<Rejection>,
    /// Items that attached their carrier to a shipment by auto-recognition.
    pub detected: usize,
}

/// One refused item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// Its index in the batch.
    pub index: usize,
    /// What was wrong.
    pub problem: Problem,
}

/// Parses, validates and stores a batch pushed by `carrier`. Returns only after
/// the accepted items are committed (invariant 1).
///
/// # Errors
/// [`IngestError::Body`] when the body is not a JSON object with a `milestones`
/// array, [`IngestError::TooLarge`] over [`BATCH_SIZE_MAX`] items, and
/// [`IngestError::Store`] when the store fails (nothing is then stored),
/// [`IngestError::CapabilityMissing`] for a carrier without `ship_track`.
pub async fn push_milestones(
    store: &dyn Store,
    carrier: &CarrierCode,
    body: &[u8],
    now: Timestamp,
) -> Result<BatchReport, IngestError> {
    crate::require_capability(store, carrier, Capability::ShipTrack).await?;
    let (drafts, mut report) = parse_batch(body, Some(carrier.as_str()), now)?;
    if !drafts.is_empty() {
        for outcome in store.append_milestones(carrier, drafts, now).await? {
            match outcome {
                ItemOutcome::Accepted { detected, .. } => {
                    report.accepted += 1;
                    report.detected += usize::from(detected);
                }
                ItemOutcome::Duplicate { .. } => report.duplicates += 1,
                ItemOutcome::Rejected { index, problem } => {
                    report.rejected.push(Rejection { index, problem })
                }
            }
        }
    }
    report.rejected.sort_by_key(|r| r.index);
    Ok(report)
}

/// Parses a batch into drafts and the problems of the items that failed.
///
/// # Errors
/// As [`push_milestones`], for the body as a whole.
pub fn parse_batch(
    body: &[u8],
    pusher: Option<&str>,
    now: Timestamp,
) -> Result<(Vec<MilestoneDraft>, BatchReport), IngestError> {
    let parsed: Body<'_> = parse_json(body).map_err(IngestError::Body)?;
    let Some(items) = parsed.milestones else {
        return Err(IngestError::Body(missing(
            "milestones",
            r#"{"milestones":[{"trackingNumber":"…","status":{"code":"DEPARTED"},"occurredAt":"2026-03-01T08:00:00Z"}]}"#,
        )));
    };
    parse_items(&items, pusher, now)
}

/// [`parse_batch`] for the items of a body already split out of it: the
/// batch's size limit, then each item's checks.
///
/// # Errors
/// [`IngestError::TooLarge`] past [`BATCH_SIZE_MAX`] items.
pub fn parse_items(
    items: &[&RawValue],
    pusher: Option<&str>,
    now: Timestamp,
) -> Result<(Vec<MilestoneDraft>, BatchReport), IngestError> {
    if items.len() > BATCH_SIZE_MAX {
        return Err(IngestError::TooLarge {
            got: items.len(),
            max: BATCH_SIZE_MAX,
        });
    }
    let mut report = BatchReport::default();
    let mut drafts = Vec::with_capacity(items.len());
    for (index, raw) in items.iter().enumerate() {
        match parse_item(index, raw, pusher, now) {
            Ok(draft) => drafts.push(draft),
            Err(problem) => report.rejected.push(Rejection {
                index,
                problem: problem.under(&format!("milestones[{index}]")),
            }),
        }
    }
    Ok((drafts, report))
}

fn parse_item(
    index: usize,
    raw: &RawValue,
    pusher: Option<&str>,
    now: Timestamp,
) -> Result<MilestoneDraft, Problem> {
    let input: Input<'_> = parse_json(raw.get().as_bytes())?;
    let number = input
        .tracking_number
        .as_deref()
        .ok_or_else(|| missing("trackingNumber", "\"1Z999AA10123456784\""))?;
    let tracking_number = tracking_number(
        number,
        input.carrier_code.as_deref(),
        pusher,
        "trackingNumber",
    )?;
    let status = input
        .status
        .as_ref()
        .ok_or_else(|| missing("status", r#"{"code":"DEPARTED"}"#))?;
    let code_text = status
        .code
        .as_deref()
        .ok_or_else(|| missing("status.code", "\"DEPARTED\""))?;
    let code = MilestoneCode::parse(code_text).ok_or_else(|| unknown_code(code_text))?;
    let sub_code = status
        .sub_code
        .as_deref()
        .map(|s| SubCode::parse(s).ok_or_else(|| unknown_sub_code(s)))
        .transpose()?;
    let occurred_text = input
        .occurred_at
        .as_deref()
        .ok_or_else(|| missing("occurredAt", "\"2026-03-01T08:00:00Z\""))?;
    let occurred_at = parse_instant(occurred_text)?;
    if occurred_at
        > now
            .saturating_add(Span::new().hours(FUTURE_SKEW_HOURS_MAX))
            .unwrap_or(now)
    {
        return Err(Problem::new(
            "occurred_at.future",
            "occurredAt",
            format!(
                "occurredAt {occurred_text} is more than {FUTURE_SKEW_HOURS_MAX} hours ahead of the hub's clock ({now}): send when the event happened, in UTC"
            ),
            format!(
                "occurredAt {occurred_text} 比系统时间（{now}）晚超过 {FUTURE_SKEW_HOURS_MAX} 小时：请发送事件实际发生的 UTC 时间"
            ),
        ));
    }
    let location = match input.location.and_then(|l| l.address) {
        Some(a) => Location {
            city: text(a.city, "location.address.city")?,
            region: text(a.region, "location.address.region")?,
            country_code: a
                .country_code
                .map(|c| {
                    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                        Ok(c.into_owned())
                    } else {
                        Err(Problem::new(
                            "country_code.invalid",
                            "location.address.countryCode",
                            format!("countryCode `{c}` must be two capital letters (ISO 3166), such as CN or US"),
                            format!("countryCode `{c}` 必须是两位大写字母（ISO 3166），例如 CN 或 US"),
                        ))
                    }
                })
                .transpose()?,
        },
        None => Location::default(),
    };
    let box_id = input
        .box_id
        .as_deref()
        .map(|b| {
            BoxId::parse(b).map_err(|e| {
                Problem::new(
                    "box_id.invalid",
                    "boxId",
                    format!("{e}"),
                    format!("boxId `{b}` 格式不正确：应为货件编号加 U 和六位数字，例如 FBA15XYZ1234U000001"),
                )
            })
        })
        .transpose()?;
    Ok(MilestoneDraft {
        index,
        tracking_number,
        shipment: input.shipment_id.map(|s| ShipmentKey::new(s.into_owned())),
        box_id,
        milestone: Milestone {
            code,
            sub_code,
            raw_code: text(status.raw_code.clone(), "status.rawCode")?,
            description: text(status.description.clone(), "status.description")?,
            location,
            occurred_at,
            event_id: text(input.event_id, "eventId")?,
        },
    })
}

/// Parses an SP-API `Instant`: RFC 3339 in UTC with a `Z`.
fn parse_instant(text: &str) -> Result<Timestamp, Problem> {
    let problem = || {
        Problem::new(
            "occurred_at.format",
            "occurredAt",
            format!(
                "occurredAt `{text}` is not an RFC 3339 UTC time: write it like 2026-03-01T08:00:00Z"
            ),
            format!(
                "occurredAt `{text}` 不是 RFC 3339 UTC 时间：请写成 2026-03-01T08:00:00Z 的形式"
            ),
        )
    };
    if !text.ends_with('Z') {
        return Err(problem());
    }
    text.parse::<Timestamp>().map_err(|_| problem())
}

fn text(value: Option<Cow<'_, str>>, field: &str) -> Result<Option<String>, Problem> {
    match value {
        Some(v) if v.chars().count() > TEXT_LENGTH_MAX => Err(Problem::new(
            "text.too_long",
            field,
            format!("{field} is longer than {TEXT_LENGTH_MAX} characters: shorten it"),
            format!("{field} 超过 {TEXT_LENGTH_MAX} 个字符：请缩短"),
        )),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(v.into_owned())),
        None => Ok(None),
    }
}

fn unknown_code(code: &str) -> Problem {
    let upper = code.trim().to_uppercase().replace([' ', '-'], "_");
    let hint = MilestoneCode::parse(&upper).map_or_else(
        || "an SP-API TrackingMilestoneStatus code such as PICKED_UP, DEPARTED or DELIVERED; put your own code in status.rawCode".to_owned(),
        |c| format!("{c} (codes are upper case with underscores)"),
    );
    Problem::new(
        "status.code.unknown",
        "status.code",
        format!("status.code `{code}` is not an SP-API milestone code: use {hint}"),
        format!("status.code `{code}` 不是 SP-API 节点代码：请使用 {hint}"),
    )
}

fn unknown_sub_code(sub: &str) -> Problem {
    Problem::new(
        "status.sub_code.unknown",
        "status.subCode",
        format!(
            "status.subCode `{sub}` is not an SP-API milestone sub-code: leave it out, or use one such as PORCH or CUSTOMS_FEES"
        ),
        format!(
            "status.subCode `{sub}` 不是 SP-API 节点子代码：请省略，或使用例如 PORCH、CUSTOMS_FEES"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-10T00:00:00Z".parse().unwrap()
    }

    fn check(body: &str, accepted: usize, rejected: &[(usize, &str, &str)]) {
        let (drafts, report) = parse_batch(body.as_bytes(), None, now()).unwrap();
        assert_eq!(drafts.len(), accepted, "{report:?}");
        let got: Vec<(usize, &str, &str)> = report
            .rejected
            .iter()
            .map(|r| (r.index, r.problem.code, r.problem.field.as_str()))
            .collect();
        assert_eq!(got, rejected);
    }

    #[test]
    fn bad_items_are_rejected_by_index_and_the_rest_kept() {
        check(
            r#"{"milestones":[
                {"trackingNumber":"1Z999AA10123456784","status":{"code":"DEPARTED"},"occurredAt":"2026-03-01T08:00:00Z"},
                {"trackingNumber":"1Z999AA10123456785","status":{"code":"DEPARTED"},"occurredAt":"2026-03-01T08:00:00Z"},
                {"trackingNumber":"1Z999AA10123456784","status":{"code":"departed"},"occurredAt":"2026-03-01T08:00:00Z"},
                {"trackingNumber":"1Z999AA10123456784","status":{"code":"DEPARTED"},"occurredAt":"2026-03-01 08:00"},
                {"trackingNumber":42,"status":{"code":"DEPARTED"},"occurredAt":"2026-03-01T08:00:00Z"},
                {"status":{"code":"DEPARTED"},"occurredAt":"2026-03-01T08:00:00Z"},
                {"trackingNumber":"1Z999AA10123456784","status":{"code":"DELIVERED"},"occurredAt":"2026-04-01T08:00:00Z"}
            ]}"#,
            1,
            &[
                (
                    1,
                    "tracking_number.check_digit",
                    "milestones[1].trackingNumber",
                ),
                (2, "status.code.unknown", "milestones[2].status.code"),
                (3, "occurred_at.format", "milestones[3].occurredAt"),
                (4, "json.invalid", "milestones[4].trackingNumber"),
                (5, "field.required", "milestones[5].trackingNumber"),
                (6, "occurred_at.future", "milestones[6].occurredAt"),
            ],
        );
    }

    #[test]
    fn a_body_without_milestones_is_refused_whole() {
        assert!(
            matches!(parse_batch(b"{}", None, now()), Err(IngestError::Body(p)) if p.field == "milestones")
        );
        assert!(matches!(
            parse_batch(b"[1,2", None, now()),
            Err(IngestError::Body(_))
        ));
    }
}
