//! Reads: the shipment listing and the shipment detail. Both run on read
//! connections beside the writer.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter, types::Value};
use tracklane_core::{BoxId, CarrierCode, Leg, ShipmentStatus, TrackingNumber};

use super::rows::{self, unavailable};
use crate::filter::{
    CARRIED_BY, RECEIVED_SHORT, WITH_OPEN_EXCEPTION_OF_KIND, after_cursor, assert_cursor_fits,
    order_by, sort_key, viewer_scope,
};
use crate::read_rows::{
    self, DetailParts, FactReader, LegRow, MilestoneRow, PackageParts, STATS_COLUMNS,
    SUMMARY_COLUMN_COUNT, SUMMARY_COLUMNS, StatsRow, SummaryRow, WindowChangeRow, parse_id,
};
use crate::{
    Attention, PAGE_SIZE_MAX, Page, Principal, Receipt, ShipmentDetail, ShipmentKey, ShipmentQuery,
    ShipmentSummary, StoreResult, StoredMilestone, WindowChange,
};

fn summary(r: &Row<'_>) -> StoreResult<ShipmentSummary> {
    let get_i = |i: usize| r.get::<_, i64>(i);
    let get_o = |i: usize| r.get::<_, Option<i64>>(i);
    let get_s = |i: usize| r.get::<_, String>(i);
    let row = (|| -> rusqlite::Result<_> {
        Ok(SummaryRow {
            seq: get_i(0)?,
            id: get_s(1)?,
            confirmation: get_s(2)?,
            body: get_s(3)?,
            name: get_s(4)?,
            seller: get_s(5)?,
            warehouse: get_s(6)?,
            codes: [get_i(7)?, get_i(8)?, get_i(9)?, get_i(10)?],
            carriers: get_s(11)?,
            latest: [get_o(12)?, get_o(13)?, get_o(14)?, get_o(15)?],
            missing: get_i(16)? != 0,
            window: (r.get(17)?, r.get(18)?, get_o(19)?),
            counts: [
                get_i(20)?,
                get_i(21)?,
                get_i(22)?,
                get_i(23)?,
                get_i(24)?,
                get_i(25)?,
                get_i(26)?,
            ],
            reconciliation: (get_o(27)?, r.get(28)?),
        })
    })()
    .map_err(unavailable("reading a shipment row"))?;
    row.into_summary()
}

/// One page of the listing. The filters become one SQL query whose ORDER BY
/// matches an index, so a page costs the same at the millionth shipment as at the
/// first.
pub(crate) fn list(conn: &Connection, query: &ShipmentQuery) -> StoreResult<Page> {
    assert_cursor_fits(query);
    let limit = query.limit.clamp(1, PAGE_SIZE_MAX);
    let (sql, filter) = list_statement(query, limit);
    let mut statement = conn
        .prepare_cached(&sql)
        .map_err(unavailable("listing shipments"))?;
    let mut rows = statement
        .query(params_from_iter(filter.values()))
        .map_err(unavailable("listing shipments"))?;
    let mut shipments = Vec::with_capacity(limit + 1);
    let mut keys = Vec::with_capacity(limit + 1);
    while let Some(row) = rows.next().map_err(unavailable("listing shipments"))? {
        shipments.push(summary(row)?);
        keys.push(
            row.get::<_, i64>(SUMMARY_COLUMN_COUNT)
                .map_err(unavailable("listing shipments"))?,
        );
    }
    Ok(crate::read_rows::page(query.sort, shipments, &keys, limit))
}

/// The listing's statement for `query`, reading up to `limit + 1` rows,
/// and its parameters.
pub(crate) fn list_statement(query: &ShipmentQuery, limit: usize) -> (String, rows::Filter) {
    let mut filter = rows::Filter::default();
    if let Some((clause, value)) = viewer_scope(&query.viewer) {
        filter.bind(clause, Value::Text(value));
    }
    if query.with_exceptions {
        filter.push("open_exceptions > 0");
    }
    if let Some(kind) = &query.exception_kind {
        filter.bind(WITH_OPEN_EXCEPTION_OF_KIND, Value::Text(kind.clone()));
    }
    if query.missing_tracking {
        // Spelled as a literal so SQLite can use the partial index.
        filter.push("missing_tracking = 1");
    }
    if query.received_short {
        filter.push(RECEIVED_SHORT);
    }
    if let Some(status) = query.status {
        filter.bind("status = ?", Value::Integer(status.number().into()));
    }
    if let Some(warehouse) = &query.warehouse {
        filter.bind("warehouse = ?", Value::Text(warehouse.to_string()));
    }
    if let Some(carrier) = &query.carrier {
        filter.bind(CARRIED_BY, Value::Text(carrier.to_string()));
    }
    if let Some(marketplace) = query.marketplace {
        filter.bind(
            "marketplace = ?",
            Value::Integer(marketplace.number().into()),
        );
    }
    if let Some(mode) = query.freight_mode {
        filter.bind("freight_mode = ?", Value::Integer(mode.number().into()));
    }
    if let Some(mode) = query.shipping_mode {
        filter.bind("shipping_mode = ?", Value::Integer(mode.number().into()));
    }
    if let Some(since) = query.updated_since {
        filter.bind("updated_at >= ?", Value::Integer(since.as_microsecond()));
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let number = tracklane_core::TrackingNumber::normalize(text)
            .map(String::from)
            .unwrap_or_default();
        let upper = text.to_uppercase();
        filter.bind_all(
            "(id = ?1 OR confirmation_id = ?2 OR seq IN (SELECT shipment_seq FROM leg WHERE tracking_number = ?3)
              OR seq IN (SELECT shipment_seq FROM package WHERE box_id = ?2)
              OR seq IN (SELECT shipment_seq FROM shipment_sku WHERE sku IN (?1, ?2)) OR name LIKE ?4)",
            vec![
                Value::Text(text.to_owned()),
                Value::Text(upper),
                Value::Text(number),
                Value::Text(format!("%{}%", text.replace(['%', '_'], ""))),
            ],
        );
    }
    if let Some(cursor) = query.cursor {
        filter.bind_all(
            &after_cursor(query.sort, super::schema::ARRIVAL_TIE_BREAK),
            vec![Value::Integer(cursor.key), Value::Integer(cursor.seq)],
        );
    }
    // The sort key comes last, after the summary's columns, for the cursor.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {} FROM shipment {} {} LIMIT {}",
        sort_key(query.sort),
        filter.sql(),
        order_by(query.sort, super::schema::ARRIVAL_TIE_BREAK),
        limit + 1
    );
    (sql, filter)
}

/// The detail of one shipment, or `None`.
pub(crate) fn shipment_detail(
    conn: &Connection,
    key: &ShipmentKey,
) -> StoreResult<Option<ShipmentDetail>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, selected_carrier, allows_window_automation, is_cancelled, head_milestone, milestone_count
         FROM shipment WHERE id = ?1 OR confirmation_id = ?1"
    );
    let mut statement = conn
        .prepare_cached(&sql)
        .map_err(unavailable("reading a shipment"))?;
    let found = statement
        .query_row([&key.0], |r| {
            Ok((
                summary(r),
                r.get::<_, Option<String>>(SUMMARY_COLUMN_COUNT)?,
                r.get::<_, bool>(SUMMARY_COLUMN_COUNT + 1)?,
                r.get::<_, bool>(SUMMARY_COLUMN_COUNT + 2)?,
                r.get::<_, String>(3)?,
                (
                    r.get::<_, Option<i64>>(SUMMARY_COLUMN_COUNT + 3)?,
                    r.get::<_, i64>(SUMMARY_COLUMN_COUNT + 4)?,
                ),
            ))
        })
        .optional()
        .map_err(unavailable("reading a shipment"))?;
    let Some((summary, selected, automation, cancelled, body, (head, count))) = found else {
        return Ok(None);
    };
    let summary = summary?;
    let package_rows: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT seq, box_id, body FROM package WHERE shipment_seq = ?1 ORDER BY seq",
        )
        .and_then(|mut st| {
            st.query_map([summary.seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(unavailable("reading packages"))?;
    let mut by_package = timelines(conn, head, count)?;
    let mut packages = Vec::with_capacity(package_rows.len());
    for (seq, box_id, body) in package_rows {
        packages.push(PackageParts {
            box_id,
            body,
            legs: legs(conn, seq)?,
            history: by_package.remove(&seq).unwrap_or_default(),
        });
    }
    DetailParts {
        window_history: window_history(conn, summary.seq)?,
        estimate: super::engine::estimate(conn, summary.seq)?,
        exceptions: super::engine::shipment_exceptions(conn, summary.seq)?,
        reroutes: super::engine::shipment_reroutes(conn, summary.seq)?,
        receipts: receipts(conn, summary.seq)?,
        summary,
        body,
        selected_carrier: selected,
        allows_window_automation: automation,
        is_cancelled: cancelled,
        packages,
    }
    .into_detail()
    .map(Some)
}

fn legs(conn: &Connection, package_seq: i64) -> StoreResult<Vec<Leg>> {
    let mut statement = conn
        .prepare_cached("SELECT carrier, tracking_number, mode, source, detected_by, added_at FROM leg WHERE package_seq = ?1 ORDER BY added_at")
        .map_err(unavailable("reading legs"))?;
    let raw: Vec<(String, String, i64, i64, i64, i64)> = statement
        .query_map([package_seq], |r| r.try_into())
        .and_then(|rows| rows.collect())
        .map_err(unavailable("reading legs"))?;
    raw.into_iter()
        .map(
            |(carrier, tracking_number, mode, source, detected_by, added_at)| {
                LegRow {
                    carrier,
                    tracking_number,
                    mode,
                    source,
                    detected_by,
                    added_at,
                }
                .into_leg()
            },
        )
        .collect()
}

/// A shipment's milestones, by package, read down its chain.
fn timelines(
    conn: &Connection,
    head: Option<i64>,
    count: i64,
) -> StoreResult<HashMap<i64, Vec<StoredMilestone>>> {
    type Raw = (
        i64,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        [Option<String>; 3],
        [i64; 2],
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let raw: Vec<Raw> = rows::walk_chain(
        conn,
        head,
        count,
        "package_seq, code, sub_code, raw_code, description, city, region, country_code, occurred_at, received_at,
         carrier, tracking_number, event_id, also_packages",
        |r| {
            Ok((
                r.get(0)?,
                (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    [r.get(6)?, r.get(7)?, r.get(8)?],
                    [r.get(9)?, r.get(10)?],
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                ),
            ))
        },
    )?;
    let mut out: HashMap<i64, Vec<StoredMilestone>> = HashMap::new();
    for (
        package_seq,
        code,
        sub_code,
        raw_code,
        description,
        [city, region, country_code],
        [occurred_at, received_at],
        carrier,
        tracking_number,
        event_id,
        also,
    ) in raw
    {
        let stored = MilestoneRow {
            code,
            sub_code,
            raw_code,
            description,
            city,
            region,
            country_code,
            occurred_at,
            received_at,
            carrier,
            tracking_number,
            event_id,
        }
        .into_stored()?;
        for package_seq in rows::milestone_packages(package_seq, also.as_deref())? {
            out.entry(package_seq).or_default().push(stored.clone());
        }
    }
    Ok(out)
}

fn receipts(conn: &Connection, shipment_seq: i64) -> StoreResult<Vec<Receipt>> {
    let raw: Vec<(i64, String, String, bool)> = conn
        .prepare_cached(
            "SELECT at, actor, changes, closes FROM receipt WHERE shipment_seq = ?1 ORDER BY seq",
        )
        .and_then(|mut s| s.query_map([shipment_seq], |r| r.try_into())?.collect())
        .map_err(unavailable("reading receipts"))?;
    raw.into_iter()
        .map(|(at, actor, changes, closes)| read_rows::receipt(at, actor, &changes, closes))
        .collect()
}

fn window_history(conn: &Connection, shipment_seq: i64) -> StoreResult<Vec<WindowChange>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT at, actor, from_start, from_end, to_start, to_end, source, reason FROM window_change WHERE shipment_seq = ?1 ORDER BY seq",
        )
        .map_err(unavailable("reading window history"))?;
    type Raw = (
        i64,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        i64,
        String,
    );
    let raw: Vec<Raw> = statement
        .query_map([shipment_seq], |r| r.try_into())
        .and_then(|rows| rows.collect())
        .map_err(unavailable("reading window history"))?;
    raw.into_iter()
        .map(|(at, actor, fs, fe, ts, te, source, reason)| {
            WindowChangeRow {
                at,
                actor,
                from: (fs, fe),
                to: (ts, te),
                source,
                reason,
            }
            .into_change()
        })
        .collect()
}

/// The tracking numbers of some shipments: see [`crate::Store::tracking_of`].
pub(crate) fn tracking_of(
    conn: &Connection,
    shipments: &[i64],
) -> StoreResult<Vec<crate::ShipmentNumber>> {
    let seqs = json_array(shipments);
    let rows: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT p.shipment_seq, l.carrier, l.tracking_number
             FROM json_each(?1) AS wanted
             JOIN package p ON p.shipment_seq = wanted.value
             JOIN leg l ON l.package_seq = p.seq
             GROUP BY p.shipment_seq, l.carrier, l.tracking_number
             ORDER BY p.shipment_seq, min(l.added_at), l.tracking_number",
        )
        .and_then(|mut s| {
            s.query_map(params![seqs], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(unavailable("listing tracking numbers"))?;
    rows.into_iter()
        .map(|(seq, carrier, number)| {
            Ok((
                seq,
                parse_id(carrier, CarrierCode::parse)?,
                parse_id(number, TrackingNumber::normalize)?,
            ))
        })
        .collect()
}

/// `seqs` as one JSON array, which `json_each` takes apart: one statement
/// for any number of shipments, and one cached plan.
pub(crate) fn json_array(seqs: &[i64]) -> String {
    let mut text = String::with_capacity(seqs.len() * 8 + 2);
    text.push('[');
    for (i, seq) in seqs.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&seq.to_string());
    }
    text.push(']');
    text
}

pub(crate) fn open_tracking(
    conn: &Connection,
    carrier: &str,
    since_us: i64,
    limit: usize,
) -> StoreResult<Vec<TrackingNumber>> {
    let numbers: Vec<String> = conn
        .prepare_cached(
            "SELECT leg.tracking_number FROM leg JOIN shipment s ON s.seq = leg.shipment_seq
             WHERE leg.carrier = ?1 AND leg.added_at >= ?2 AND s.is_cancelled = 0 AND s.status < ?3
             GROUP BY leg.tracking_number ORDER BY min(leg.added_at), leg.tracking_number LIMIT ?4",
        )
        .and_then(|mut s| {
            s.query_map(
                params![
                    carrier,
                    since_us,
                    ShipmentStatus::Delivered.number(),
                    limit as i64
                ],
                |r| r.get(0),
            )?
            .collect()
        })
        .map_err(unavailable("listing open tracking numbers"))?;
    numbers
        .into_iter()
        .map(|n| parse_id(n, TrackingNumber::normalize))
        .collect()
}

/// Every box carrying `number`.
pub(crate) fn find_tracking(
    conn: &Connection,
    number: &str,
) -> StoreResult<Vec<crate::TrackedBox>> {
    let raw: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT DISTINCT shipment.id, package.box_id FROM leg
             JOIN package ON package.seq = leg.package_seq
             JOIN shipment ON shipment.seq = leg.shipment_seq
             WHERE leg.tracking_number = ?1 ORDER BY package.seq",
        )
        .and_then(|mut st| {
            st.query_map([number], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(unavailable("finding a tracking number"))?;
    raw.into_iter()
        .map(|(shipment_id, box_id)| {
            Ok(crate::TrackedBox {
                shipment_id,
                box_id: parse_id(box_id, BoxId::parse)?,
            })
        })
        .collect()
}

/// Folds every shipment row `viewer` may see into the hub's figures.
pub(crate) fn hub_stats(conn: &Connection, viewer: &Principal) -> StoreResult<crate::HubStats> {
    let mut filter = rows::Filter::default();
    if let Some((clause, value)) = viewer_scope(viewer) {
        filter.bind(clause, Value::Text(value));
    }
    let sql = format!("SELECT {STATS_COLUMNS} FROM shipment {}", filter.sql());
    let e = || unavailable("measuring shipments");
    let mut statement = conn.prepare_cached(&sql).map_err(e())?;
    let mut rows = statement
        .query(params_from_iter(filter.values()))
        .map_err(e())?;
    let mut builder = crate::stats::StatsBuilder::default();
    let mut reader = FactReader::default();
    while let Some(r) = rows.next().map_err(e())? {
        let row = (|| -> rusqlite::Result<_> {
            Ok(StatsRow {
                carriers: r.get(0)?,
                warehouse: r.get(1)?,
                codes: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                latest: (r.get(6)?, r.get(7)?),
                window: (r.get(8)?, r.get(9)?),
                missing: r.get(10)?,
                units: r.get(11)?,
                received: (r.get(12)?, r.get(13)?, r.get(14)?),
            })
        })()
        .map_err(e())?;
        builder.add(&reader.fact(row)?);
    }
    Ok(builder.finish())
}

/// How many of the shipments `viewer` may see need attention.
pub(crate) fn attention(
    conn: &Connection,
    viewer: &Principal,
    kinds: &[&str],
) -> StoreResult<Attention> {
    // Spelled as a literal so SQLite can use the partial index.
    let (sql, values) = crate::attention::statement(viewer, kinds, '?', "missing_tracking = 1");
    let e = || unavailable("counting what needs attention");
    let mut statement = conn.prepare_cached(&sql).map_err(e())?;
    let rows: Vec<(String, i64)> = statement
        .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(e())?;
    Ok(crate::attention::collect(rows))
}

/// The session a token hash names, if it is still valid at `now_us`.
pub(crate) fn session(
    conn: &Connection,
    token_hash: &str,
    now_us: i64,
) -> StoreResult<Option<crate::Session>> {
    let found: Option<(String, String, i64, i64)> = conn
        .prepare_cached(
            "SELECT principal, csrf, created_at, expires_at FROM session WHERE token_hash = ?1 AND expires_at > ?2",
        )
        .and_then(|mut st| {
            st.query_row(rusqlite::params![token_hash, now_us], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })
        .map_err(unavailable("reading a session"))?;
    found
        .map(|(principal, csrf, created, expires)| {
            Ok(crate::Session {
                token_hash: token_hash.to_owned(),
                principal: rows::from_json(&principal)?,
                csrf,
                created_at: rows::timestamp(created)?,
                expires_at: rows::timestamp(expires)?,
            })
        })
        .transpose()
}
