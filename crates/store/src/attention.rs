//! The counts behind "needs attention": one statement for both backends,
//! read from the open exceptions (by kind) and the missing-tracking index, so
//! that its cost follows what needs attention rather than how many shipments
//! the viewer has.

use std::collections::BTreeMap;

use crate::filter::viewer_scope;
use crate::{Attention, Principal};

/// The row label for shipments with any open exception.
const ANY_EXCEPTION: &str = "*";
/// The row label for shipments missing tracking.
const MISSING_TRACKING: &str = "";

/// The counting statement for `viewer`, with `sigil` starting its one
/// placeholder (`?` or `$`), and the text that placeholder stands for.
/// `missing` is the backend's spelling of "missing tracking" that its
/// partial index matches. Rows are (label, count): an exception kind, or
/// [`ANY_EXCEPTION`], or [`MISSING_TRACKING`].
pub(crate) fn statement(
    viewer: &Principal,
    sigil: char,
    missing: &str,
) -> (String, Option<String>) {
    let (shipments, exceptions, value) = match viewer_scope(viewer) {
        Some((clause, value)) => {
            let clause = clause.replace('?', &format!("{sigil}1"));
            let exceptions =
                format!(" AND shipment_seq IN (SELECT seq FROM shipment WHERE {clause})");
            (format!(" AND {clause}"), exceptions, Some(value))
        }
        None => (String::new(), String::new(), None),
    };
    let sql = format!(
        "SELECT kind, COUNT(DISTINCT shipment_seq) FROM exception
             WHERE resolved_at IS NULL{exceptions} GROUP BY kind
         UNION ALL
         SELECT '{ANY_EXCEPTION}', COUNT(DISTINCT shipment_seq) FROM exception
             WHERE resolved_at IS NULL{exceptions}
         UNION ALL
         SELECT '{MISSING_TRACKING}', COUNT(*) FROM shipment WHERE {missing}{shipments}"
    );
    (sql, value)
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
            _ if count > 0 => {
                attention.by_kind.insert(label, count);
            }
            _ => {}
        }
    }
    attention
}
