//! The counts behind "needs attention": one statement for both backends,
//! read from the open exceptions (by kind) and the missing-tracking index, so
//! that its cost follows what needs attention rather than how many shipments
//! the viewer has.

use std::collections::BTreeMap;

use crate::filter::{RECEIVED_SHORT, viewer_scope};
use crate::{ATTENTION_COUNT_MAX, Attention, Principal};

/// The row label for shipments with any open exception.
const ANY_EXCEPTION: &str = "*";
/// The row label for shipments missing tracking.
const MISSING_TRACKING: &str = "";
/// The row label for shipments received short, not yet reconciled.
const RECEIVED_SHORT_LABEL: &str = "-";

/// The counting statement for `viewer` and the exception `kinds`, with
/// `sigil` starting its placeholders (`?` or `$`), and the values they
/// stand for in order. `missing` is the backend's spelling of "missing
/// tracking" that its partial index matches. Rows are (label, count): an
/// exception kind, or [`ANY_EXCEPTION`], [`MISSING_TRACKING`] or
/// [`RECEIVED_SHORT_LABEL`].
///
/// Each count stops at [`ATTENTION_COUNT_MAX`], so that the start page
/// costs the same however much is waiting. The exception counts read only
/// the open exceptions' indexes: a seller's by the seller kept on each
/// exception (`exception_open_by_seller`), a carrier's by kind with a look
/// at the carrier's legs, the operator's by kind.
pub(crate) fn statement(
    viewer: &Principal,
    kinds: &[&str],
    sigil: char,
    missing: &str,
) -> (String, Vec<String>) {
    let p = format!("{sigil}1");
    let (scope, value) = match viewer {
        Principal::Operator => (String::new(), None),
        Principal::Seller(seller) => (format!(" AND x.seller_id = {p}"), Some(seller.to_string())),
        Principal::Carrier(carrier) => (
            format!(
                " AND EXISTS (SELECT 1 FROM leg WHERE leg.carrier = {p} AND leg.shipment_seq = x.shipment_seq)"
            ),
            Some(carrier.to_string()),
        ),
    };
    let shipments = viewer_scope(viewer)
        .map(|(clause, _)| format!(" AND {}", clause.replace('?', &p)))
        .unwrap_or_default();
    let mut values: Vec<String> = value.into_iter().collect();
    let cap = ATTENTION_COUNT_MAX;
    let mut parts = Vec::with_capacity(kinds.len() + 3);
    for kind in kinds {
        values.push((*kind).to_owned());
        let k = format!("{sigil}{}", values.len());
        parts.push(format!(
            "SELECT CAST({k} AS TEXT), COUNT(*) FROM (SELECT DISTINCT x.shipment_seq FROM exception x
                 WHERE x.kind = {k} AND x.resolved_at IS NULL{scope} LIMIT {cap}) AS c"
        ));
    }
    parts.push(format!(
        "SELECT '{ANY_EXCEPTION}', COUNT(*) FROM (SELECT DISTINCT x.shipment_seq FROM exception x
             WHERE x.resolved_at IS NULL{scope} LIMIT {cap}) AS c"
    ));
    for (label, clause) in [
        (MISSING_TRACKING, missing),
        (RECEIVED_SHORT_LABEL, RECEIVED_SHORT),
    ] {
        parts.push(format!(
            "SELECT '{label}', COUNT(*) FROM (SELECT 1 FROM shipment
                 WHERE {clause}{shipments} LIMIT {cap}) AS c"
        ));
    }
    (parts.join("\nUNION ALL\n"), values)
}

/// The counts from the statement's rows.
pub(crate) fn collect(rows: impl IntoIterator<Item = (String, i64)>) -> Attention {
    let mut attention = Attention {
        by_kind: BTreeMap::new(),
        ..Attention::default()
    };
    for (label, count) in rows {
        // A count is never negative.
        let count = u64::try_from(count).unwrap_or_default();
        match label.as_str() {
            ANY_EXCEPTION => attention.with_exceptions = count,
            MISSING_TRACKING => attention.missing_tracking = count,
            RECEIVED_SHORT_LABEL => attention.received_short = count,
            _ if count > 0 => {
                attention.by_kind.insert(label, count);
            }
            _ => {}
        }
    }
    attention
}
