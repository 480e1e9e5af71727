//! Tracking numbers at the door: every one that enters, from a carrier push, a
//! seller's entry, an import or the SP-API route, passes through
//! [`tracking_number`], and tracking uploads through [`assign_tracking`].

use jiff::Timestamp;
use tracklane_core::{
    BoxId, Capability, CarrierCode, LegMode, Problem, TrackingNumber, TrackingSource,
};
use tracklane_ids::{Lang, Reason};
use tracklane_store::{ItemOutcome, Principal, ShipmentKey, Store, TrackingAssignment};

use crate::IngestError;

/// Validates and normalises a tracking number. `carrier` is the carrier the
/// caller says issued it (`UPS`, or a forwarder's own code), if any; `pusher` is
/// the carrier account sending it, if a carrier is sending.
///
/// A number in no known format is accepted when nothing contradicts it: many
/// forwarders issue numbers of their own. A number that has a known format's shape
/// but a wrong check digit, bad characters, or does not fit the named carrier is
/// rejected with the fix. One exception: a forwarder the library has no formats
/// for may send bare digit runs (LTL PRO numbers) that happen to have the shape
/// of a check-digit format such as DHL's ten digits; those are accepted, while a
/// distinctive number (1Z…, S10) with a wrong check digit is still refused.
///
/// # Errors
/// A [`Problem`] on `field` with the reason and, for a likely typo, the correction.
pub fn tracking_number(
    input: &str,
    carrier: Option<&str>,
    pusher: Option<&str>,
    field: &str,
) -> Result<TrackingNumber, Problem> {
    let verdict = tracklane_ids::check_for(input, carrier);
    let is_forwarder =
        carrier.is_none() && pusher.is_some_and(|p| !tracklane_ids::knows_carrier(p));
    let acceptable = match &verdict.reason {
        None | Some(Reason::UnknownFormat) => true,
        // A carrier the library has no format for cannot be contradicted.
        Some(Reason::CarrierMismatch { named, .. }) => !tracklane_ids::knows_carrier(named),
        Some(Reason::CheckDigit { .. }) => {
            is_forwarder && verdict.normalized.bytes().all(|b| b.is_ascii_digit())
        }
        Some(_) => false,
    };
    if acceptable && let Ok(number) = TrackingNumber::parse(&verdict.normalized) {
        return Ok(number);
    }
    let code = verdict
        .reason
        .as_ref()
        .map_or("tracking_number.invalid", Reason::code);
    let en = verdict.message(Lang::En).unwrap_or_else(|| {
        format!("{input} is not a tracking number: use 1 to 64 letters and digits")
    });
    let zh = verdict
        .message(Lang::ZhCn)
        .unwrap_or_else(|| format!("{input} 不是有效的追踪编码：请使用 1 到 64 位字母和数字"));
    Err(Problem::new(code, field, en, zh))
}

/// One tracking number to attach, as a caller sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingItem {
    /// The box, or `None` for every freight unit (PRO / bill of lading).
    pub box_id: Option<String>,
    /// The number as typed.
    pub tracking_number: String,
    /// The carrier of the leg: the caller itself for a carrier, the named one for a seller.
    pub carrier: CarrierCode,
    /// The leg's mode, if the caller said.
    pub mode: Option<LegMode>,
    /// The field path prefix for problems (`spdTrackingItems[2]`).
    pub field: String,
}

/// Validates each item and attaches the valid ones in one transaction. Items come
/// back in the order sent, each accepted or rejected with its problem.
///
/// # Errors
/// [`IngestError::Store`] when the shipment does not exist (for this actor) or the
/// store fails; [`IngestError::CapabilityMissing`] when a carrier without
/// `ship_track` uploads: then nothing was attached.
pub async fn assign_tracking(
    store: &dyn Store,
    actor: &Principal,
    shipment: &ShipmentKey,
    items: Vec<TrackingItem>,
    source: TrackingSource,
    now: Timestamp,
) -> Result<Vec<ItemOutcome>, IngestError> {
    let Checked {
        mut outcomes,
        valid,
    } = check_tracking(store, actor, items, source).await?;
    if !valid.is_empty() {
        outcomes.extend(store.assign_tracking(actor, shipment, valid, now).await?);
    }
    Ok(in_batch_order(outcomes))
}

/// A tracking upload after validation: what may be attached, and the items
/// already refused.
#[derive(Debug)]
pub struct Checked {
    /// The refused items, with their problems.
    pub outcomes: Vec<ItemOutcome>,
    /// The items to attach, with their batch index.
    pub valid: Vec<TrackingAssignment>,
}

/// The checks of [`assign_tracking`] without the write: the capability gate and
/// every item's box id and number. For callers that queue the write themselves
/// ([`Store::apply`]); merge the outcomes with [`in_batch_order`].
///
/// # Errors
/// [`IngestError::CapabilityMissing`] when a carrier without `ship_track` uploads.
pub async fn check_tracking(
    store: &dyn Store,
    actor: &Principal,
    items: Vec<TrackingItem>,
    source: TrackingSource,
) -> Result<Checked, IngestError> {
    if let (TrackingSource::Carrier, Principal::Carrier(carrier)) = (source, actor) {
        crate::require_capability(store, carrier, Capability::ShipTrack).await?;
    }
    let mut outcomes = Vec::with_capacity(items.len());
    let mut valid = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let box_id = match item.box_id.as_deref().map(BoxId::parse).transpose() {
            Ok(b) => b,
            Err(e) => {
                outcomes.push(ItemOutcome::Rejected {
                    index,
                    problem: Problem::new(
                        "box_id.invalid",
                        format!("{}.boxId", item.field),
                        format!("{}: {e}", item.field),
                        format!("{}：箱号格式不正确，应为货件编号加 U 和六位数字，例如 FBA15XYZ1234U000001", item.field),
                    ),
                });
                continue;
            }
        };
        // A carrier uploading its own numbers is checked by detection (a
        // forwarder prints its partners' formats); a seller names the issuer.
        let (named, pusher) = match source {
            TrackingSource::Carrier => (None, Some(item.carrier.as_str())),
            _ => (Some(item.carrier.as_str()), None),
        };
        match tracking_number(
            &item.tracking_number,
            named,
            pusher,
            &format!("{}.trackingId", item.field),
        ) {
            Ok(number) => valid.push(TrackingAssignment {
                index,
                box_id,
                tracking_number: number,
                mode: item.mode.unwrap_or(LegMode::SmallParcel),
                source,
                carrier: item.carrier,
            }),
            Err(problem) => outcomes.push(ItemOutcome::Rejected { index, problem }),
        }
    }
    Ok(Checked { outcomes, valid })
}

/// Outcomes sorted back into the order the items were sent.
#[must_use]
pub fn in_batch_order(mut outcomes: Vec<ItemOutcome>) -> Vec<ItemOutcome> {
    outcomes.sort_by_key(|o| match o {
        ItemOutcome::Accepted { index, .. }
        | ItemOutcome::Duplicate { index }
        | ItemOutcome::Rejected { index, .. } => *index,
    });
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, carrier: Option<&str>, expected: Result<&str, &str>) {
        let got = tracking_number(input, carrier, None, "trackingNumber");
        match (got, expected) {
            (Ok(n), Ok(want)) => assert_eq!(n.as_str(), want),
            (Err(p), Err(code)) => assert_eq!(p.code, code, "{}", p.en),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn known_formats_are_checked_and_others_pass() {
        check("1z 999 aa1 01 2345 6784", None, Ok("1Z999AA10123456784"));
        check(
            "1Z999AA10123456785",
            None,
            Err("tracking_number.check_digit"),
        );
        check(
            "SZFL20260301000123",
            Some("SZ_FASTLINK"),
            Ok("SZFL20260301000123"),
        );
        check("1Z#99", None, Err("tracking_number.characters"));
    }

    #[test]
    fn placeholders_are_refused_even_for_carriers_without_a_format() {
        check("0000000000", None, Err("tracking_number.placeholder"));
        check(
            "96 0000 0000 0000 0000 0000",
            Some("FEDEX"),
            Err("tracking_number.placeholder"),
        );
        check(
            "SZ00000000",
            Some("SZ_FASTLINK"),
            Err("tracking_number.placeholder"),
        );
        let problem = tracking_number("0000000000", None, Some("SZ_FASTLINK"), "n").unwrap_err();
        assert!(problem.zh.contains("占位符"), "{}", problem.zh);
    }

    #[test]
    fn forwarders_may_send_bare_digit_runs() {
        let pro = "4812345678";
        assert!(
            tracking_number(pro, None, Some("UPS"), "n").is_err()
                || tracklane_ids::check(pro).valid
        );
        assert!(tracking_number(pro, None, Some("SZ_FASTLINK"), "n").is_ok());
        assert!(tracking_number("1Z999AA10123456785", None, Some("SZ_FASTLINK"), "n").is_err());
    }
}
