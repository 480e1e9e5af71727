//! The engine's results in PostgreSQL: estimates, exceptions with their open and
//! resolved times, and reroute offers; and the list of shipments changed since
//! an instant, which engine passes read. As in SQLite, none of this moves a
//! shipment's `updated_at`, so the listing order stays the order of tracking
//! facts, not of engine passes.
//!
//! Replicas may run passes at once. A write here first locks the rows it
//! decides on: the shipment (`FOR UPDATE`) before reading its open exceptions
//! or waiting offers, and the reroute row before applying a decision. Locks
//! are taken reroute first, then shipment, in every path.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use tokio_postgres::Row;
use tracklane_core::ShipmentId;

use super::read::{self, Filter};
use super::{Tx, pg, write};
use crate::codec::{self, to_value};
use crate::read_rows::{EXCEPTION_COLUMNS, REROUTE_COLUMNS};
use crate::{
    Assessment, EventKind, ExceptionDraft, ExceptionQuery, PAGE_SIZE_MAX, Principal, Reroute,
    RerouteDecision, RerouteDraft, RerouteQuery, RerouteStatus, ShipmentException, StoreError,
    StoreResult,
};

/// The shipments changed at or after `since` or stored after `seq`
/// `after_seq`, as (`seq`, id), oldest first: see
/// [`crate::Store::changed_shipments`]. Each half is one range of an index,
/// `shipment_by_update` and the primary key.
pub(crate) async fn changed_shipments(
    client: &tokio_postgres::Client,
    since: Timestamp,
    after_seq: i64,
) -> StoreResult<Vec<(i64, ShipmentId)>> {
    let rows = client
        .query(
            "SELECT seq, id FROM shipment WHERE updated_at >= $1
             UNION
             SELECT seq, id FROM shipment WHERE seq > $2
             ORDER BY 1",
            &[&since.as_microsecond(), &after_seq],
        )
        .await
        .map_err(pg("listing changed shipments"))?;
    rows.iter()
        .map(|r| {
            let id: &str = r.get(1);
            ShipmentId::parse(id)
                .map(|parsed| (r.get(0), parsed))
                .map_err(|e| StoreError::Corrupt(format!("shipment id {id}: {e}")))
        })
        .collect()
}

/// Writes one pass's assessments: replaces estimates, opens new exceptions,
/// refreshes the evidence of those still open, and resolves the rest.
///
/// # Errors
/// [`StoreError::NotFound`] when an assessment names a shipment not stored.
pub(crate) async fn put_assessments(
    t: &mut Tx<'_>,
    assessments: &[Assessment],
    now: Timestamp,
) -> StoreResult<()> {
    let now_us = now.as_microsecond();
    for a in assessments {
        let seq = lock_shipment(t, a.shipment.as_str()).await?;
        put_estimate(t, seq, a).await?;
        super::write::refresh_arrival(t, seq).await?;
        let open = open_exceptions(t, seq).await?;
        for d in &a.exceptions {
            match open.get(&d.kind) {
                Some(&exception_seq) => refresh_exception(t, exception_seq, d).await?,
                None => {
                    let id = insert_exception(t, seq, d, now_us, None).await?;
                    if t.wants(EventKind::ExceptionOpened).await? {
                        let payload =
                            crate::webhook::exception_payload(&a.shipment, id, d, now_us, None)?;
                        t.emit(EventKind::ExceptionOpened, seq, "", None, &payload, now_us)
                            .await?;
                    }
                }
            }
        }
        for d in a.handled.iter().filter(|d| !open.contains_key(&d.kind)) {
            insert_exception(t, seq, d, now_us, Some(now_us)).await?;
        }
        for (kind, &exception_seq) in &open {
            if !a.exceptions.iter().any(|d| &d.kind == kind) {
                resolve_exception(t, seq, &a.shipment, kind, exception_seq, now_us).await?;
            }
        }
        t.execute(
            "UPDATE shipment SET open_exceptions = $2 WHERE seq = $1 AND open_exceptions <> $2",
            &[&seq, &(a.exceptions.len() as i64)],
        )
        .await
        .map_err(pg("counting open exceptions"))?;
    }
    Ok(())
}

/// The row number of shipment `key` (id or confirmation id), locked for the
/// rest of the transaction.
async fn lock_shipment(t: &Tx<'_>, key: &str) -> StoreResult<i64> {
    t.query_opt(
        "SELECT seq FROM shipment WHERE id = $1 OR confirmation_id = $1 FOR UPDATE",
        &[&key],
    )
    .await
    .map_err(pg("finding a shipment"))?
    .map(|r| r.get(0))
    .ok_or_else(|| StoreError::NotFound {
        what: "shipment",
        key: key.to_owned(),
    })
}

/// Replaces shipment `seq`'s estimate with the assessment's, or clears it.
async fn put_estimate(t: &Tx<'_>, seq: i64, a: &Assessment) -> StoreResult<()> {
    match &a.estimate {
        Some(e) => t
            .execute(
                "INSERT INTO estimate (shipment_seq, p10, p50, p90, basis, assessed_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (shipment_seq) DO UPDATE SET p10 = EXCLUDED.p10, p50 = EXCLUDED.p50, p90 = EXCLUDED.p90,
                     basis = EXCLUDED.basis, assessed_at = EXCLUDED.assessed_at",
                &[
                    &seq,
                    &e.p10.as_microsecond(),
                    &e.p50.as_microsecond(),
                    &e.p90.as_microsecond(),
                    &e.basis,
                    &e.assessed_at.as_microsecond(),
                ],
            )
            .await
            .map_err(pg("storing an estimate"))?,
        None => t
            .execute("DELETE FROM estimate WHERE shipment_seq = $1", &[&seq])
            .await
            .map_err(pg("clearing an estimate"))?,
    };
    Ok(())
}

/// Shipment `seq`'s open exceptions: their row numbers by kind. Ordered, so
/// that resolutions (and their events) come in the same order on every run.
async fn open_exceptions(t: &Tx<'_>, seq: i64) -> StoreResult<BTreeMap<String, i64>> {
    let rows = t
        .query(
            "SELECT kind, seq FROM exception WHERE shipment_seq = $1 AND resolved_at IS NULL ORDER BY seq",
            &[&seq],
        )
        .await
        .map_err(pg("reading open exceptions"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Updates open exception `exception_seq` with what the pass sees now.
async fn refresh_exception(t: &Tx<'_>, exception_seq: i64, d: &ExceptionDraft) -> StoreResult<()> {
    t.execute(
        "UPDATE exception SET severity = $2, since = $3, evidence = $4, next_step_en = $5, next_step_zh = $6 WHERE seq = $1",
        &[
            &exception_seq,
            &d.severity,
            &d.since.as_microsecond(),
            &d.evidence,
            &d.next_step_en,
            &d.next_step_zh,
        ],
    )
    .await
    .map_err(pg("refreshing an exception"))?;
    Ok(())
}

/// Records a new exception of shipment `seq`, opened at `now_us` and, for one
/// raised and resolved in the same pass, resolved at `resolved_us`. Returns
/// its number.
async fn insert_exception(
    t: &Tx<'_>,
    seq: i64,
    d: &ExceptionDraft,
    now_us: i64,
    resolved_us: Option<i64>,
) -> StoreResult<i64> {
    let row = t
        .query_one(
            "INSERT INTO exception (shipment_seq, kind, severity, since, evidence, next_step_en, next_step_zh, opened_at, resolved_at, seller_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT seller_id FROM shipment WHERE seq = $1)) RETURNING seq",
            &[
                &seq,
                &d.kind,
                &d.severity,
                &d.since.as_microsecond(),
                &d.evidence,
                &d.next_step_en,
                &d.next_step_zh,
                &now_us,
                &resolved_us,
            ],
        )
        .await
        .map_err(pg("recording an exception"))?;
    Ok(row.get(0))
}

/// Resolves open exception `exception_seq` of kind `kind` and tells the
/// subscriptions.
async fn resolve_exception(
    t: &mut Tx<'_>,
    seq: i64,
    shipment: &ShipmentId,
    kind: &str,
    exception_seq: i64,
    now_us: i64,
) -> StoreResult<()> {
    t.execute(
        "UPDATE exception SET resolved_at = $2 WHERE seq = $1",
        &[&exception_seq, &now_us],
    )
    .await
    .map_err(pg("resolving an exception"))?;
    if t.wants(EventKind::ExceptionResolved).await? {
        let payload = serde_json::json!({
            "id": exception_seq,
            "shipmentId": shipment,
            "kind": kind,
            "resolvedAt": codec::timestamp(now_us)?,
        });
        t.emit(
            EventKind::ExceptionResolved,
            seq,
            "",
            None,
            &payload,
            now_us,
        )
        .await?;
    }
    Ok(())
}

/// Tells the subscriptions of a reroute offer or decision: the carrier it is
/// for, the seller and the operator. The same as SQLite's.
async fn emit_reroute(
    t: &mut Tx<'_>,
    kind: EventKind,
    shipment_seq: i64,
    reroute: &Reroute,
    now_us: i64,
) -> StoreResult<()> {
    if !t.wants(kind).await? {
        return Ok(());
    }
    let payload = to_value(reroute)?;
    t.emit(
        kind,
        shipment_seq,
        "",
        Some(reroute.draft.carrier.as_str()),
        &payload,
        now_us,
    )
    .await
}

/// Exceptions matching `query`, newest first.
pub(crate) async fn exceptions(
    client: &tokio_postgres::Client,
    query: &ExceptionQuery,
) -> StoreResult<Vec<ShipmentException>> {
    let mut filter = Filter::default();
    if !query.include_resolved {
        filter.push("e.resolved_at IS NULL");
    }
    if let Some(seller) = &query.seller {
        filter.bind_param("s.seller_id = ?", seller.as_str().to_owned());
    }
    if let Some(shipment) = &query.shipment {
        filter.bind_param("(s.id = ? OR s.confirmation_id = ?)", shipment.0.clone());
    }
    if let Some(carrier) = &query.carrier {
        filter.bind_param(
            "EXISTS (SELECT 1 FROM leg l WHERE l.shipment_seq = s.seq AND l.carrier = ?)",
            carrier.as_str().to_owned(),
        );
    }
    if let Some(kind) = &query.kind {
        filter.bind_param("e.kind = ?", kind.clone());
    }
    if let Some(severity) = &query.severity {
        filter.bind_param("e.severity = ?", severity.clone());
    }
    let order = format!(
        "ORDER BY e.opened_at DESC, e.seq DESC LIMIT {}",
        query.limit.clamp(1, PAGE_SIZE_MAX)
    );
    select_exceptions(client, &filter, &order).await
}

async fn select_exceptions(
    client: &tokio_postgres::Client,
    filter: &Filter,
    order: &str,
) -> StoreResult<Vec<ShipmentException>> {
    let sql = format!(
        "SELECT {EXCEPTION_COLUMNS} FROM exception e JOIN shipment s ON s.seq = e.shipment_seq {} {order}",
        filter.sql()
    );
    let rows = client
        .query(&sql, &filter.params())
        .await
        .map_err(pg("reading exceptions"))?;
    rows.iter().map(read::exception).collect()
}

/// Withdraws waiting offers of shipments not in `offers` (they arrived, or
/// stopped being delayed), then stores the new ones. A shipment with an offer
/// still waiting gets no second one; the offers stored come back with their
/// numbers.
///
/// # Errors
/// [`StoreError::NotFound`] when an offer names a shipment not stored.
pub(crate) async fn offer_reroutes(
    t: &mut Tx<'_>,
    offers: &[RerouteDraft],
    now: Timestamp,
) -> StoreResult<Vec<Reroute>> {
    let now_us = now.as_microsecond();
    let keep: Vec<String> = offers
        .iter()
        .map(|o| o.shipment.as_str().to_owned())
        .collect();
    withdraw_reroutes(t, &keep, now_us).await?;
    let mut stored = Vec::new();
    for draft in offers {
        let seq = lock_shipment(t, draft.shipment.as_str()).await?;
        let waiting = t
            .query_opt(
                "SELECT 1 FROM reroute WHERE shipment_seq = $1 AND status = $2",
                &[&seq, &status_number(RerouteStatus::Offered)],
            )
            .await
            .map_err(pg("reading reroute offers"))?;
        if waiting.is_some() {
            continue;
        }
        let reroute = insert_reroute(t, seq, draft.clone(), now_us).await?;
        emit_reroute(t, EventKind::RerouteOffered, seq, &reroute, now_us).await?;
        stored.push(reroute);
    }
    Ok(stored)
}

/// Stores `draft` as a new offer to shipment `seq`.
async fn insert_reroute(
    t: &Tx<'_>,
    seq: i64,
    draft: RerouteDraft,
    now_us: i64,
) -> StoreResult<Reroute> {
    let row = t
        .query_one(
            "INSERT INTO reroute (shipment_seq, carrier, from_warehouse, to_warehouse, units, stay_days, move_days, extra_km, reason, status, offered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq",
            &[
                &seq,
                &draft.carrier.as_str(),
                &draft.from.as_str(),
                &draft.to.as_str(),
                &i64::from(draft.units),
                &draft.stay_days,
                &draft.move_days,
                &draft.extra_km,
                &draft.reason,
                &status_number(RerouteStatus::Offered),
                &now_us,
            ],
        )
        .await
        .map_err(pg("storing a reroute offer"))?;
    Ok(Reroute {
        id: row.get(0),
        draft,
        status: RerouteStatus::Offered,
        offered_at: codec::timestamp(now_us)?,
        decided_at: None,
        appointment: None,
    })
}

/// Withdraws waiting offers for shipments whose ids are not in `keep`, and
/// tells the subscriptions, oldest offer first.
async fn withdraw_reroutes(t: &mut Tx<'_>, keep: &[String], now_us: i64) -> StoreResult<()> {
    let sql = format!(
        "UPDATE reroute r SET status = $2, decided_at = $3 FROM shipment s
         WHERE s.seq = r.shipment_seq AND r.status = $1 AND s.id <> ALL($4)
         RETURNING {REROUTE_COLUMNS}, r.shipment_seq"
    );
    let rows = t
        .query(
            &sql,
            &[
                &status_number(RerouteStatus::Offered),
                &status_number(RerouteStatus::Withdrawn),
                &now_us,
                &keep,
            ],
        )
        .await
        .map_err(pg("withdrawing reroute offers"))?;
    let mut withdrawn = rows
        .iter()
        .map(reroute_with_shipment)
        .collect::<StoreResult<Vec<_>>>()?;
    // RETURNING has no order; offers are told of in the order they were made.
    withdrawn.sort_by_key(|(_, r)| r.id);
    for (shipment_seq, reroute) in &withdrawn {
        emit_reroute(t, EventKind::RerouteDecided, *shipment_seq, reroute, now_us).await?;
    }
    Ok(())
}

/// A reroute status as stored (`reroute.status` is INTEGER).
fn status_number(status: RerouteStatus) -> i32 {
    i32::from(status.number())
}

/// A row of [`REROUTE_COLUMNS`] and `r.shipment_seq`: the shipment's row
/// number and the reroute.
fn reroute_with_shipment(r: &Row) -> StoreResult<(i64, Reroute)> {
    Ok((r.get("shipment_seq"), read::reroute(r)?))
}

/// Reroutes matching `query`, newest first.
pub(crate) async fn reroutes(
    client: &tokio_postgres::Client,
    query: &RerouteQuery,
) -> StoreResult<Vec<Reroute>> {
    let mut filter = Filter::default();
    if let Some(carrier) = &query.carrier {
        filter.bind_param("r.carrier = ?", carrier.as_str().to_owned());
    }
    if let Some(status) = query.status {
        filter.bind_param("r.status = ?", status_number(status));
    }
    let order = format!(
        "ORDER BY r.seq DESC LIMIT {}",
        query.limit.clamp(1, PAGE_SIZE_MAX)
    );
    select_reroutes(client, &filter, &order).await
}

async fn select_reroutes(
    client: &tokio_postgres::Client,
    filter: &Filter,
    order: &str,
) -> StoreResult<Vec<Reroute>> {
    let sql = format!(
        "SELECT {REROUTE_COLUMNS} FROM reroute r JOIN shipment s ON s.seq = r.shipment_seq {} {order}",
        filter.sql()
    );
    let rows = client
        .query(&sql, &filter.params())
        .await
        .map_err(pg("reading reroutes"))?;
    rows.iter().map(read::reroute).collect()
}

/// Applies a carrier's decision on offer `id`. A confirmation moves the shipment
/// to the new warehouse and sets the delivery window to the appointment's week,
/// audited as a reroute.
///
/// # Errors
/// [`StoreError::NotFound`] when there is no offer `id` or `actor` may not
/// decide it (a seller, or another carrier); [`StoreError::Conflict`] when it
/// is already decided.
pub(crate) async fn decide_reroute(
    t: &mut Tx<'_>,
    actor: &Principal,
    id: i64,
    decision: RerouteDecision,
    now: Timestamp,
) -> StoreResult<Reroute> {
    let now_us = now.as_microsecond();
    let (seq, mut reroute) = lock_reroute(t, actor, id).await?;
    let (status, appointment) = crate::rules::decided(decision);
    if let Some(day) = appointment {
        move_shipment(t, seq, &reroute, day, now).await?;
    }
    t.execute(
        "UPDATE reroute SET status = $2, decided_at = $3, appointment = $4 WHERE seq = $1",
        &[
            &id,
            &status_number(status),
            &now_us,
            &appointment.map(|d| d.to_string()),
        ],
    )
    .await
    .map_err(pg("recording a reroute decision"))?;
    reroute.status = status;
    reroute.decided_at = Some(codec::timestamp(now_us)?);
    reroute.appointment = appointment;
    emit_reroute(t, EventKind::RerouteDecided, seq, &reroute, now_us).await?;
    Ok(reroute)
}

/// Offer `id`, locked, with its shipment's row number, if `actor` may decide
/// it and it is still waiting.
async fn lock_reroute(t: &Tx<'_>, actor: &Principal, id: i64) -> StoreResult<(i64, Reroute)> {
    let not_found = || StoreError::NotFound {
        what: "reroute offer",
        key: id.to_string(),
    };
    let sql = format!(
        "SELECT {REROUTE_COLUMNS}, r.shipment_seq FROM reroute r JOIN shipment s ON s.seq = r.shipment_seq
         WHERE r.seq = $1 FOR UPDATE OF r"
    );
    let row = t
        .query_opt(&sql, &[&id])
        .await
        .map_err(pg("reading a reroute offer"))?
        .ok_or_else(not_found)?;
    let (seq, reroute) = reroute_with_shipment(&row)?;
    crate::rules::may_decide(actor, id, &reroute)?;
    Ok((seq, reroute))
}

/// Moves shipment `seq` to the reroute's warehouse and sets its window to the
/// week of appointment `day`, through the one audited path.
async fn move_shipment(
    t: &mut Tx<'_>,
    seq: i64,
    reroute: &Reroute,
    day: Date,
    now: Timestamp,
) -> StoreResult<()> {
    // The window change below stamps `updated_at`, so the next engine pass
    // reads the new warehouse (`changed_shipments`).
    t.execute(
        "UPDATE shipment SET warehouse = $2 WHERE seq = $1",
        &[&seq, &reroute.draft.to.as_str()],
    )
    .await
    .map_err(pg("moving a shipment to its new warehouse"))?;
    write::change_window(t, seq, &crate::rules::reroute_window(reroute, day, now)).await?;
    Ok(())
}
