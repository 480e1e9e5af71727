//! The engine's results in SQLite: estimates, exceptions with their open and
//! resolved times, and reroute offers; and the list of shipments changed since
//! an instant, which engine passes read. Engine passes write through the single
//! writer like everything else; none of this moves a shipment's `updated_at`,
//! so the listing order stays the order of tracking facts, not of engine passes.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use tracklane_core::ShipmentId;

use super::rows::{self, Filter, unavailable};
use super::writer::Writer;
use crate::read_rows::{EXCEPTION_COLUMNS, ExceptionRow, REROUTE_COLUMNS, RerouteRow};
use crate::{
    Assessment, Estimate, EventKind, ExceptionDraft, ExceptionQuery, PAGE_SIZE_MAX, Principal,
    Reroute, RerouteDecision, RerouteDraft, RerouteQuery, RerouteStatus, ShipmentException,
    ShipmentKey, StoreError, StoreResult,
};

/// Writes one pass's assessments: replaces estimates, opens new exceptions,
/// refreshes the evidence of those still open, and resolves the rest.
pub(crate) fn put_assessments(
    w: &mut Writer,
    assessments: &[Assessment],
    now_us: i64,
) -> StoreResult<()> {
    for a in assessments {
        let key = ShipmentKey::new(a.shipment.as_str());
        let seq = w.stored_shipment_seq(&key)?;
        let conn = &w.conn;
        match &a.estimate {
            Some(e) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO estimate (shipment_seq, p10, p50, p90, basis, assessed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        seq,
                        e.p10.as_microsecond(),
                        e.p50.as_microsecond(),
                        e.p90.as_microsecond(),
                        e.basis,
                        e.assessed_at.as_microsecond()
                    ])
                })
                .map_err(unavailable("storing an estimate"))?,
            None => conn
                .prepare_cached("DELETE FROM estimate WHERE shipment_seq = ?1")
                .and_then(|mut s| s.execute([seq]))
                .map_err(unavailable("clearing an estimate"))?,
        };
        w.refresh_arrival(seq)?;
        let open: HashMap<String, i64> = conn
            .prepare_cached(
                "SELECT kind, seq FROM exception WHERE shipment_seq = ?1 AND resolved_at IS NULL",
            )
            .and_then(|mut s| {
                s.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(unavailable("reading open exceptions"))?;
        for d in &a.exceptions {
            match open.get(&d.kind) {
                Some(exception_seq) => w
                    .conn
                    .prepare_cached(
                        "UPDATE exception SET severity = ?2, since = ?3, evidence = ?4, next_step_en = ?5, next_step_zh = ?6 WHERE seq = ?1",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            exception_seq,
                            d.severity,
                            d.since.as_microsecond(),
                            d.evidence,
                            d.next_step_en,
                            d.next_step_zh
                        ])
                    })
                    .map(drop)
                    .map_err(unavailable("refreshing an exception"))?,
                None => {
                    insert_exception(&w.conn, seq, d, now_us, None)?;
                    if w.wants(EventKind::ExceptionOpened)? {
                        let payload = crate::webhook::exception_payload(&a.shipment, w.conn.last_insert_rowid(), d, now_us, None)?;
                        w.emit(EventKind::ExceptionOpened, seq, "", None, &payload, now_us)?;
                    }
                }
            };
        }
        for d in &a.handled {
            if open.contains_key(&d.kind) {
                continue;
            }
            insert_exception(&w.conn, seq, d, now_us, Some(now_us))?;
        }
        for (kind, exception_seq) in &open {
            if !a.exceptions.iter().any(|d| &d.kind == kind) {
                w.conn
                    .prepare_cached("UPDATE exception SET resolved_at = ?2 WHERE seq = ?1")
                    .and_then(|mut s| s.execute(params![exception_seq, now_us]))
                    .map_err(unavailable("resolving an exception"))?;
                if w.wants(EventKind::ExceptionResolved)? {
                    let payload = serde_json::json!({
                        "id": exception_seq,
                        "shipmentId": a.shipment,
                        "kind": kind,
                        "resolvedAt": rows::timestamp(now_us)?,
                    });
                    w.emit(
                        EventKind::ExceptionResolved,
                        seq,
                        "",
                        None,
                        &payload,
                        now_us,
                    )?;
                }
            }
        }
        w.conn
            .prepare_cached(
                "UPDATE shipment SET open_exceptions = ?2 WHERE seq = ?1 AND open_exceptions <> ?2",
            )
            .and_then(|mut s| s.execute(params![seq, a.exceptions.len() as i64]))
            .map_err(unavailable("counting open exceptions"))?;
    }
    Ok(())
}

/// Tells the subscriptions of a reroute offer or decision: the carrier it is
/// for, the seller and the operator.
fn emit_reroute(
    w: &mut Writer,
    kind: EventKind,
    shipment_seq: i64,
    reroute: &Reroute,
    now_us: i64,
) -> StoreResult<()> {
    if !w.wants(kind)? {
        return Ok(());
    }
    let payload = rows::to_value(reroute)?;
    w.emit(
        kind,
        shipment_seq,
        "",
        Some(reroute.draft.carrier.as_str()),
        &payload,
        now_us,
    )
}

/// Records a new exception of shipment `seq`, opened at `now_us` and, for one
/// raised and resolved in the same pass, resolved at `resolved_us`.
fn insert_exception(
    conn: &Connection,
    seq: i64,
    d: &ExceptionDraft,
    now_us: i64,
    resolved_us: Option<i64>,
) -> StoreResult<usize> {
    conn.prepare_cached(
        "INSERT INTO exception (shipment_seq, kind, severity, since, evidence, next_step_en, next_step_zh, opened_at, resolved_at, seller_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT seller_id FROM shipment WHERE seq = ?1))",
    )
    .and_then(|mut s| {
        s.execute(params![
            seq,
            d.kind,
            d.severity,
            d.since.as_microsecond(),
            d.evidence,
            d.next_step_en,
            d.next_step_zh,
            now_us,
            resolved_us
        ])
    })
    .map_err(unavailable("recording an exception"))
}

/// A shipment's estimate, if the engine has made one.
pub(crate) fn estimate(conn: &Connection, shipment_seq: i64) -> StoreResult<Option<Estimate>> {
    conn.prepare_cached(
        "SELECT p10, p50, p90, basis, assessed_at FROM estimate WHERE shipment_seq = ?1",
    )
    .and_then(|mut s| s.query_row([shipment_seq], estimate_row).optional())
    .map_err(unavailable("reading an estimate"))?
    .map(EstimateRow::into_estimate)
    .transpose()
}

/// The estimates of some shipments: see [`crate::Store::estimates_of`].
pub(crate) fn estimates_of(
    conn: &Connection,
    shipments: &[i64],
) -> StoreResult<Vec<(i64, Estimate)>> {
    let rows: Vec<(i64, EstimateRow)> = conn
        .prepare_cached(
            "SELECT e.p10, e.p50, e.p90, e.basis, e.assessed_at, e.shipment_seq
             FROM json_each(?1) AS wanted JOIN estimate e ON e.shipment_seq = wanted.value
             ORDER BY e.shipment_seq",
        )
        .and_then(|mut s| {
            s.query_map([super::read::json_array(shipments)], |r| {
                Ok((r.get(5)?, estimate_row(r)?))
            })?
            .collect()
        })
        .map_err(unavailable("reading estimates"))?;
    rows.into_iter()
        .map(|(seq, row)| Ok((seq, row.into_estimate()?)))
        .collect()
}

/// An estimate as stored: times in microseconds.
struct EstimateRow(i64, i64, i64, String, i64);

/// The open exceptions of some shipments: see
/// [`crate::Store::open_exceptions_of`].
pub(crate) fn open_exceptions_of(
    conn: &Connection,
    shipments: &[i64],
) -> StoreResult<Vec<(i64, ExceptionDraft)>> {
    type Row = (i64, String, String, i64, String, String, String);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT x.shipment_seq, x.kind, x.severity, x.since, x.evidence, x.next_step_en,
                 x.next_step_zh
             FROM json_each(?1) AS wanted JOIN exception x ON x.shipment_seq = wanted.value
             WHERE x.resolved_at IS NULL
             ORDER BY x.shipment_seq, x.seq",
        )
        .and_then(|mut s| {
            s.query_map([super::read::json_array(shipments)], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect()
        })
        .map_err(unavailable("reading open exceptions"))?;
    rows.into_iter()
        .map(
            |(seq, kind, severity, since, evidence, next_step_en, next_step_zh)| {
                Ok((
                    seq,
                    ExceptionDraft {
                        kind,
                        severity,
                        since: rows::timestamp(since)?,
                        evidence,
                        next_step_en,
                        next_step_zh,
                    },
                ))
            },
        )
        .collect()
}

/// Reads `p10, p50, p90, basis, assessed_at`, the first columns of `r`.
fn estimate_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EstimateRow> {
    Ok(EstimateRow(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
    ))
}

impl EstimateRow {
    fn into_estimate(self) -> StoreResult<Estimate> {
        let EstimateRow(p10, p50, p90, basis, at) = self;
        Ok(Estimate {
            p10: rows::timestamp(p10)?,
            p50: rows::timestamp(p50)?,
            p90: rows::timestamp(p90)?,
            basis,
            assessed_at: rows::timestamp(at)?,
        })
    }
}

fn exception_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExceptionRow> {
    Ok(ExceptionRow {
        seq: r.get(0)?,
        shipment_id: r.get(1)?,
        shipment_name: r.get(2)?,
        seller_id: r.get(3)?,
        kind: r.get(4)?,
        severity: r.get(5)?,
        since: r.get(6)?,
        evidence: r.get(7)?,
        next_step_en: r.get(8)?,
        next_step_zh: r.get(9)?,
        opened_at: r.get(10)?,
        resolved_at: r.get(11)?,
    })
}

/// Exceptions matching `query`, newest first.
pub(crate) fn exceptions(
    conn: &Connection,
    query: &ExceptionQuery,
) -> StoreResult<Vec<ShipmentException>> {
    let mut filter = Filter::default();
    if !query.include_resolved {
        filter.push("e.resolved_at IS NULL");
    }
    if let Some(seller) = &query.seller {
        filter.bind("s.seller_id = ?", Value::Text(seller.as_str().into()));
    }
    if let Some(shipment) = &query.shipment {
        filter.bind(
            "(s.id = ? OR s.confirmation_id = ?)",
            Value::Text(shipment.0.clone()),
        );
    }
    if let Some(carrier) = &query.carrier {
        filter.bind(
            "EXISTS (SELECT 1 FROM leg l WHERE l.shipment_seq = s.seq AND l.carrier = ?)",
            Value::Text(carrier.as_str().into()),
        );
    }
    if let Some(kind) = &query.kind {
        filter.bind("e.kind = ?", Value::Text(kind.clone()));
    }
    if let Some(severity) = &query.severity {
        filter.bind("e.severity = ?", Value::Text(severity.clone()));
    }
    select_exceptions(
        conn,
        filter,
        &format!(
            "ORDER BY e.opened_at DESC, e.seq DESC LIMIT {}",
            query.limit.clamp(1, PAGE_SIZE_MAX)
        ),
    )
}

/// A shipment's exceptions, open first, then resolved, newest first.
pub(crate) fn shipment_exceptions(
    conn: &Connection,
    shipment_seq: i64,
) -> StoreResult<Vec<ShipmentException>> {
    let mut filter = Filter::default();
    filter.bind("e.shipment_seq = ?", Value::Integer(shipment_seq));
    select_exceptions(
        conn,
        filter,
        "ORDER BY e.resolved_at IS NOT NULL, e.opened_at DESC, e.seq DESC",
    )
}

fn select_exceptions(
    conn: &Connection,
    filter: Filter,
    order: &str,
) -> StoreResult<Vec<ShipmentException>> {
    let sql = format!(
        "SELECT {EXCEPTION_COLUMNS} FROM exception e JOIN shipment s ON s.seq = e.shipment_seq {} {order}",
        filter.sql()
    );
    let found: Vec<ExceptionRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params_from_iter(filter.values()), exception_row)?
                .collect()
        })
        .map_err(unavailable("reading exceptions"))?;
    found
        .into_iter()
        .map(ExceptionRow::into_exception)
        .collect()
}

/// Stores new offers. A shipment with an offer still waiting gets no second one;
/// the offers stored come back with their numbers.
pub(crate) fn offer_reroutes(
    w: &mut Writer,
    drafts: Vec<RerouteDraft>,
    now_us: i64,
) -> StoreResult<Vec<Reroute>> {
    let mut stored = Vec::new();
    for draft in drafts {
        let key = ShipmentKey::new(draft.shipment.as_str());
        let seq = w.stored_shipment_seq(&key)?;
        let waiting = w
            .conn
            .prepare_cached("SELECT 1 FROM reroute WHERE shipment_seq = ?1 AND status = ?2")
            .and_then(|mut s| s.exists(params![seq, RerouteStatus::Offered.number()]))
            .map_err(unavailable("reading reroute offers"))?;
        if waiting {
            continue;
        }
        w.conn
            .prepare_cached(
                "INSERT INTO reroute (shipment_seq, carrier, from_warehouse, to_warehouse, units, stay_days, move_days, extra_km, reason, status, offered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    seq,
                    draft.carrier.as_str(),
                    draft.from.as_str(),
                    draft.to.as_str(),
                    draft.units,
                    draft.stay_days,
                    draft.move_days,
                    draft.extra_km,
                    draft.reason,
                    RerouteStatus::Offered.number(),
                    now_us
                ])
            })
            .map_err(unavailable("storing a reroute offer"))?;
        let reroute = Reroute {
            id: w.conn.last_insert_rowid(),
            draft,
            status: RerouteStatus::Offered,
            offered_at: rows::timestamp(now_us)?,
            decided_at: None,
            appointment: None,
        };
        emit_reroute(w, EventKind::RerouteOffered, seq, &reroute, now_us)?;
        stored.push(reroute);
    }
    Ok(stored)
}

/// Withdraws waiting offers for shipments no longer in `keep` (they arrived, or
/// stopped being delayed). Returns how many were withdrawn.
pub(crate) fn withdraw_reroutes(
    w: &mut Writer,
    keep: &[ShipmentId],
    now_us: i64,
) -> StoreResult<usize> {
    let waiting: Vec<(i64, String)> = w
        .conn
        .prepare_cached(
            "SELECT r.seq, s.id FROM reroute r JOIN shipment s ON s.seq = r.shipment_seq WHERE r.status = ?1",
        )
        .and_then(|mut s| {
            s.query_map([RerouteStatus::Offered.number()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(unavailable("reading reroute offers"))?;
    let mut withdrawn = 0;
    for (seq, id) in waiting {
        if !keep.iter().any(|k| k.as_str() == id) {
            w.conn
                .prepare_cached("UPDATE reroute SET status = ?2, decided_at = ?3 WHERE seq = ?1")
                .and_then(|mut s| {
                    s.execute(params![seq, RerouteStatus::Withdrawn.number(), now_us])
                })
                .map_err(unavailable("withdrawing a reroute offer"))?;
            withdrawn += 1;
            if w.wants(EventKind::RerouteDecided)? {
                let mut filter = Filter::default();
                filter.bind("r.seq = ?", Value::Integer(seq));
                if let Some(reroute) = select_reroutes(&w.conn, filter, "")?.pop() {
                    let key = ShipmentKey::new(reroute.draft.shipment.as_str());
                    if let Some(shipment_seq) = w.shipment_seq(&key)? {
                        emit_reroute(w, EventKind::RerouteDecided, shipment_seq, &reroute, now_us)?;
                    }
                }
            }
        }
    }
    Ok(withdrawn)
}

fn reroute_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RerouteRow> {
    Ok(RerouteRow {
        seq: r.get(0)?,
        shipment_id: r.get(1)?,
        carrier: r.get(2)?,
        from: r.get(3)?,
        to: r.get(4)?,
        units: r.get(5)?,
        stay_days: r.get(6)?,
        move_days: r.get(7)?,
        extra_km: r.get(8)?,
        reason: r.get(9)?,
        status: r.get(10)?,
        offered_at: r.get(11)?,
        decided_at: r.get(12)?,
        appointment: r.get(13)?,
    })
}

/// Reroutes matching `query`, newest first.
pub(crate) fn reroutes(conn: &Connection, query: &RerouteQuery) -> StoreResult<Vec<Reroute>> {
    let mut filter = Filter::default();
    if let Some(carrier) = &query.carrier {
        filter.bind("r.carrier = ?", Value::Text(carrier.as_str().into()));
    }
    if let Some(status) = query.status {
        filter.bind("r.status = ?", Value::Integer(i64::from(status.number())));
    }
    select_reroutes(
        conn,
        filter,
        &format!(
            "ORDER BY r.seq DESC LIMIT {}",
            query.limit.clamp(1, PAGE_SIZE_MAX)
        ),
    )
}

/// A shipment's reroutes, oldest first.
pub(crate) fn shipment_reroutes(conn: &Connection, shipment_seq: i64) -> StoreResult<Vec<Reroute>> {
    let mut filter = Filter::default();
    filter.bind("r.shipment_seq = ?", Value::Integer(shipment_seq));
    select_reroutes(conn, filter, "ORDER BY r.seq")
}

fn select_reroutes(conn: &Connection, filter: Filter, order: &str) -> StoreResult<Vec<Reroute>> {
    let sql = format!(
        "SELECT {REROUTE_COLUMNS} FROM reroute r JOIN shipment s ON s.seq = r.shipment_seq {} {order}",
        filter.sql()
    );
    let found: Vec<RerouteRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params_from_iter(filter.values()), reroute_row)?
                .collect()
        })
        .map_err(unavailable("reading reroutes"))?;
    found.into_iter().map(RerouteRow::into_reroute).collect()
}

/// Applies a carrier's decision on offer `id`. A confirmation moves the shipment
/// to the new warehouse and sets the delivery window to the appointment's week,
/// audited as a reroute.
pub(crate) fn decide_reroute(
    w: &mut Writer,
    actor: &Principal,
    id: i64,
    decision: RerouteDecision,
    now_us: i64,
) -> StoreResult<Reroute> {
    let not_found = || StoreError::NotFound {
        what: "reroute offer",
        key: id.to_string(),
    };
    let mut filter = Filter::default();
    filter.bind("r.seq = ?", Value::Integer(id));
    let mut reroute = select_reroutes(&w.conn, filter, "")?
        .pop()
        .ok_or_else(not_found)?;
    crate::rules::may_decide(actor, id, &reroute)?;
    let key = ShipmentKey::new(reroute.draft.shipment.as_str());
    let Some(seq) = w.shipment_seq(&key)? else {
        return Err(StoreError::Corrupt(format!(
            "reroute {id} names shipment {} which is not stored",
            key.0
        )));
    };
    let (status, appointment) = crate::rules::decided(decision);
    if let Some(day) = appointment {
        // The window change below stamps `updated_at`, so the next engine
        // pass reads the new warehouse (`changed_shipments`).
        w.conn
            .execute(
                "UPDATE shipment SET warehouse = ?2 WHERE seq = ?1",
                params![seq, reroute.draft.to.as_str()],
            )
            .map_err(unavailable("moving a shipment to its new warehouse"))?;
        w.change_window(
            seq,
            &crate::rules::reroute_window(&reroute, day, rows::timestamp(now_us)?),
        )?;
    }
    w.conn
        .execute(
            "UPDATE reroute SET status = ?2, decided_at = ?3, appointment = ?4 WHERE seq = ?1",
            params![
                id,
                status.number(),
                now_us,
                appointment.map(|d| d.to_string())
            ],
        )
        .map_err(unavailable("recording a reroute decision"))?;
    reroute.status = status;
    reroute.decided_at = Some(rows::timestamp(now_us)?);
    reroute.appointment = appointment;
    emit_reroute(w, EventKind::RerouteDecided, seq, &reroute, now_us)?;
    Ok(reroute)
}

/// The shipments changed at or after `?1` (microseconds) or stored after
/// `seq` `?2`, oldest first: see [`crate::Store::changed_shipments`].
///
/// No index holds `updated_at` first: every index holding it moves on each
/// projection write, and ingest pays for each one. The seller index
/// `(seller_id, updated_at, seq)` serves instead. The recursive part walks
/// the distinct sellers one index seek at a time (a loose index scan, since
/// SQLite does not skip through an index by itself without statistics), and
/// each seller's recent shipments are then one range of that index. The
/// shipments stored after `?2` are one range of the table's rowid. So a pass
/// after few changes costs a seek per seller and a row per change, not a
/// scan of every shipment.
pub(crate) const CHANGED_SHIPMENTS: &str = "
    WITH RECURSIVE owner (id) AS (
        SELECT min(seller_id) FROM shipment
        UNION ALL
        SELECT (SELECT min(seller_id) FROM shipment WHERE seller_id > owner.id)
        FROM owner WHERE owner.id IS NOT NULL
    )
    SELECT shipment.seq, shipment.id FROM owner
        JOIN shipment ON shipment.seller_id = owner.id AND shipment.updated_at >= ?1
    UNION
    SELECT seq, id FROM shipment WHERE seq > ?2
    ORDER BY 1";

/// The shipments changed at or after `since_us` or stored after `after_seq`,
/// as (`seq`, id), oldest first, for engine passes.
pub(crate) fn changed_shipments(
    conn: &Connection,
    since_us: i64,
    after_seq: i64,
) -> StoreResult<Vec<(i64, ShipmentId)>> {
    let rows: Vec<(i64, String)> = conn
        .prepare_cached(CHANGED_SHIPMENTS)
        .and_then(|mut s| {
            s.query_map(params![since_us, after_seq], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(unavailable("listing changed shipments"))?;
    rows.into_iter()
        .map(|(seq, id)| {
            ShipmentId::parse(&id)
                .map(|id| (seq, id))
                .map_err(|e| StoreError::Corrupt(format!("shipment id {id}: {e}")))
        })
        .collect()
}
