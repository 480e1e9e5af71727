//! Reads in PostgreSQL: the shipment listing and detail, tracking lookups and
//! the hub's figures. Rows become domain values through [`crate::read_rows`],
//! as in SQLite.

use std::collections::HashMap;
use std::sync::LazyLock;

use deadpool_postgres::{ClientWrapper, Object};
use jiff::Timestamp;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use tracklane_core::{BoxId, CarrierCode, ShipmentStatus, TrackingNumber};

use super::{cached, pg};
use crate::codec;
use crate::filter::{
    CARRIED_BY, RECEIVED_SHORT, WITH_OPEN_EXCEPTION_OF_KIND, after_cursor, assert_cursor_fits,
    order_by, sort_key, viewer_scope,
};
use crate::read_rows::{
    self, DetailParts, EXCEPTION_COLUMNS, ExceptionRow, FactReader, LegRow, MilestoneRow,
    PackageParts, REROUTE_COLUMNS, RerouteRow, STATS_COLUMNS, SUMMARY_COLUMN_COUNT,
    SUMMARY_COLUMNS, StatsRow, SummaryRow, WindowChangeRow, parse_id,
};
use crate::{
    Attention, Estimate, ExceptionDraft, HubStats, PAGE_SIZE_MAX, Page, Principal, Reroute,
    ShipmentDetail, ShipmentException, ShipmentKey, ShipmentQuery, ShipmentSummary, StoreResult,
    StoredMilestone, TrackedBox,
};

/// A parameter of a query.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A query's `WHERE` part with PostgreSQL's `$n` placeholders.
pub(crate) type Filter = crate::filter::Filter<Param>;

impl Default for Filter {
    fn default() -> Self {
        Self::new('$')
    }
}

impl Filter {
    /// Adds `clause`, every `?` of which stands for `value`.
    pub(crate) fn bind_param(&mut self, clause: &str, value: impl ToSql + Sync + Send + 'static) {
        self.bind(clause, Box::new(value));
    }

    /// The parameters, in order, as the driver takes them.
    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values()
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

fn code(r: &Row, i: usize) -> i64 {
    i64::from(r.get::<_, i32>(i))
}

fn code_opt(r: &Row, i: usize) -> Option<i64> {
    r.get::<_, Option<i32>>(i).map(i64::from)
}

fn summary(r: &Row) -> StoreResult<ShipmentSummary> {
    SummaryRow {
        seq: r.get(0),
        id: r.get(1),
        confirmation: r.get(2),
        body: r.get(3),
        name: r.get(4),
        seller: r.get(5),
        warehouse: r.get(6),
        codes: [code(r, 7), code(r, 8), code(r, 9), code(r, 10)],
        carriers: r.get(11),
        latest: [code_opt(r, 12), code_opt(r, 13), r.get(14), r.get(15)],
        missing: r.get(16),
        window: (r.get(17), r.get(18), code_opt(r, 19)),
        counts: [
            r.get(20),
            r.get(21),
            r.get(22),
            r.get(23),
            r.get(24),
            r.get(25),
            r.get(26),
        ],
        reconciliation: (r.get(27), r.get(28)),
    }
    .into_summary()
}

/// An exception row of [`EXCEPTION_COLUMNS`].
pub(crate) fn exception(r: &Row) -> StoreResult<ShipmentException> {
    ExceptionRow {
        seq: r.get(0),
        shipment_id: r.get(1),
        shipment_name: r.get(2),
        seller_id: r.get(3),
        kind: r.get(4),
        severity: r.get(5),
        since: r.get(6),
        evidence: r.get(7),
        next_step_en: r.get(8),
        next_step_zh: r.get(9),
        opened_at: r.get(10),
        resolved_at: r.get(11),
    }
    .into_exception()
}

/// A reroute row of [`REROUTE_COLUMNS`].
pub(crate) fn reroute(r: &Row) -> StoreResult<Reroute> {
    let units: i64 = r.get(5);
    RerouteRow {
        seq: r.get(0),
        shipment_id: r.get(1),
        carrier: r.get(2),
        from: r.get(3),
        to: r.get(4),
        units: u32::try_from(units)
            .map_err(|_| crate::StoreError::Corrupt(format!("reroute units {units}")))?,
        stay_days: r.get(6),
        move_days: r.get(7),
        extra_km: r.get(8),
        reason: r.get(9),
        status: code(r, 10),
        offered_at: r.get(11),
        decided_at: r.get(12),
        appointment: r.get(13),
    }
    .into_reroute()
}

/// One page of the listing, in the same order and with the same filters as
/// SQLite's.
pub(crate) async fn list(
    client: &tokio_postgres::Client,
    query: &ShipmentQuery,
) -> StoreResult<Page> {
    assert_cursor_fits(query);
    let mut filter = Filter::default();
    if let Some((clause, value)) = viewer_scope(&query.viewer) {
        filter.bind_param(clause, value);
    }
    if query.with_exceptions {
        filter.push("open_exceptions > 0");
    }
    if let Some(kind) = &query.exception_kind {
        filter.bind_param(WITH_OPEN_EXCEPTION_OF_KIND, kind.clone());
    }
    if query.missing_tracking {
        filter.push("missing_tracking");
    }
    if query.received_short {
        filter.push(RECEIVED_SHORT);
    }
    if let Some(status) = query.status {
        filter.bind_param("status = ?", i32::from(status.number()));
    }
    if let Some(warehouse) = &query.warehouse {
        filter.bind_param("warehouse = ?", warehouse.to_string());
    }
    if let Some(carrier) = &query.carrier {
        filter.bind_param(CARRIED_BY, carrier.to_string());
    }
    if let Some(marketplace) = query.marketplace {
        filter.bind_param("marketplace = ?", i32::from(marketplace.number()));
    }
    if let Some(mode) = query.freight_mode {
        filter.bind_param("freight_mode = ?", i32::from(mode.number()));
    }
    if let Some(mode) = query.shipping_mode {
        filter.bind_param("shipping_mode = ?", i32::from(mode.number()));
    }
    if let Some(since) = query.updated_since {
        filter.bind_param("updated_at >= ?", since.as_microsecond());
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let number = TrackingNumber::normalize(text)
            .map(String::from)
            .unwrap_or_default();
        // SQLite's LIKE ignores ASCII case; ILIKE does here.
        filter.bind_all(
            "(id = ?1 OR confirmation_id = ?2 OR seq IN (SELECT shipment_seq FROM leg WHERE tracking_number = ?3)
              OR seq IN (SELECT shipment_seq FROM package WHERE box_id = ?2)
              OR seq IN (SELECT shipment_seq FROM shipment_sku WHERE sku IN (?1, ?2)) OR name ILIKE ?4)",
            vec![
                Box::new(text.to_owned()),
                Box::new(text.to_uppercase()),
                Box::new(number),
                Box::new(format!("%{}%", text.replace(['%', '_', '\\'], ""))),
            ],
        );
    }
    if let Some(cursor) = query.cursor {
        filter.bind_all(
            &after_cursor(query.sort, "seq"),
            vec![Box::new(cursor.key), Box::new(cursor.seq)],
        );
    }
    let limit = query.limit.clamp(1, PAGE_SIZE_MAX);
    // The sort key comes last, after the summary's columns, for the cursor.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {} FROM shipment {} {} LIMIT {}",
        sort_key(query.sort),
        filter.sql(),
        order_by(query.sort, "seq"),
        limit + 1
    );
    let rows = client
        .query(&sql, &filter.params())
        .await
        .map_err(pg("listing shipments"))?;
    let shipments = rows.iter().map(summary).collect::<StoreResult<Vec<_>>>()?;
    let keys: Vec<i64> = rows.iter().map(|r| r.get(SUMMARY_COLUMN_COUNT)).collect();
    Ok(crate::read_rows::page(query.sort, shipments, &keys, limit))
}

/// The texts of a detail's nine reads: its row, by the shipment's id or
/// confirmation id (`$1`), then by its `seq` (`$1`) its legs, milestones,
/// packages, window history, estimate, exceptions, reroutes and receipts.
static DETAIL_SQL: LazyLock<[String; 9]> = LazyLock::new(|| {
    [
        format!(
            "SELECT {SUMMARY_COLUMNS}, selected_carrier, allows_window_automation, is_cancelled
             FROM shipment WHERE id = $1 OR confirmation_id = $1 ORDER BY seq LIMIT 1"
        ),
        "SELECT package_seq, carrier, tracking_number, mode, source, detected_by, added_at
             FROM leg WHERE shipment_seq = $1 ORDER BY added_at, tracking_number, carrier"
            .to_owned(),
        "SELECT package_seq, code, sub_code, raw_code, description, city, region, country_code,
                    occurred_at, received_at, carrier, tracking_number, event_id
             FROM milestone WHERE shipment_seq = $1 ORDER BY seq"
            .to_owned(),
        "SELECT seq, box_id, body FROM package WHERE shipment_seq = $1 ORDER BY seq".to_owned(),
        "SELECT at, actor, from_start, from_end, to_start, to_end, source, reason
             FROM window_change WHERE shipment_seq = $1 ORDER BY seq"
            .to_owned(),
        "SELECT p10, p50, p90, basis, assessed_at FROM estimate WHERE shipment_seq = $1".to_owned(),
        format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exception e JOIN shipment s ON s.seq = e.shipment_seq
             WHERE e.shipment_seq = $1
             ORDER BY e.resolved_at IS NOT NULL, e.opened_at DESC, e.seq DESC"
        ),
        format!(
            "SELECT {REROUTE_COLUMNS} FROM reroute r JOIN shipment s ON s.seq = r.shipment_seq
             WHERE r.shipment_seq = $1 ORDER BY r.seq"
        ),
        "SELECT at, actor, changes, closes FROM receipt WHERE shipment_seq = $1 ORDER BY seq"
            .to_owned(),
    ]
});

/// The detail of one shipment, or `None`.
///
/// Its nine reads run in one read-only transaction, so a write committed
/// meanwhile shows in all its parts or in none. The connection pipelines
/// what is sent together: `BEGIN` with the shipment's row, then its eight
/// parts with `COMMIT`, so a detail costs two round trips once the
/// connection has prepared the statements, as it did outside a transaction.
pub(crate) async fn shipment_detail(
    client: Object,
    key: &ShipmentKey,
) -> StoreResult<Option<ShipmentDetail>> {
    let read = detail_in_snapshot(&client, key).await;
    if read.is_err() {
        // A failed read may have left its transaction open; a connection
        // that cannot say it has not is closed rather than pooled.
        if client.batch_execute("ROLLBACK").await.is_err() {
            drop(Object::take(client));
        }
    }
    read
}

async fn detail_in_snapshot(
    client: &ClientWrapper,
    key: &ShipmentKey,
) -> StoreResult<Option<ShipmentDetail>> {
    let sql = &*DETAIL_SQL;
    let prepare = |i: usize| async move {
        client
            .prepare_cached(&sql[i])
            .await
            .map_err(pg("preparing a shipment's reads"))
    };
    let statements = tokio::try_join!(
        prepare(0),
        prepare(1),
        prepare(2),
        prepare(3),
        prepare(4),
        prepare(5),
        prepare(6),
        prepare(7),
        prepare(8),
    )?;
    // `biased` polls in the order written, and each call sends its request
    // when first polled: BEGIN goes out with the shipment's row, COMMIT with
    // its parts, so the transaction costs no round trip of its own.
    let ((), row) = tokio::try_join!(
        biased;
        async {
            client
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await
                .map_err(pg("starting a read"))
        },
        async {
            client
                .query(&statements.0, &[&key.0])
                .await
                .map_err(pg("reading a shipment"))
        },
    )?;
    let Some(row) = row.into_iter().next() else {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(pg("ending a read"))?;
        return Ok(None);
    };
    let seq: i64 = row.get(0);
    let read = |statement: Statement, context: &'static str| async move {
        client.query(&statement, &[&seq]).await.map_err(pg(context))
    };
    let (legs, milestones, packages, window_history, estimate, exceptions, reroutes, receipts, ()) =
        tokio::try_join!(
            biased;
            read(statements.1, "reading legs"),
            read(statements.2, "reading milestones"),
            read(statements.3, "reading packages"),
            read(statements.4, "reading window history"),
            read(statements.5, "reading an estimate"),
            read(statements.6, "reading exceptions"),
            read(statements.7, "reading reroutes"),
            read(statements.8, "reading receipts"),
            async {
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(pg("ending a read"))
            },
        )?;
    let mut legs = legs_by_package(&legs)?;
    let mut histories = milestones_by_package(&milestones)?;
    let packages = packages
        .iter()
        .map(|r| {
            let package_seq: i64 = r.get(0);
            PackageParts {
                box_id: r.get(1),
                body: r.get(2),
                legs: legs.remove(&package_seq).unwrap_or_default(),
                history: histories.remove(&package_seq).unwrap_or_default(),
            }
        })
        .collect();
    DetailParts {
        body: row.get(3),
        selected_carrier: row.get(SUMMARY_COLUMN_COUNT),
        allows_window_automation: row.get(SUMMARY_COLUMN_COUNT + 1),
        is_cancelled: row.get(SUMMARY_COLUMN_COUNT + 2),
        packages,
        window_history: window_history
            .iter()
            .map(window_change)
            .collect::<StoreResult<_>>()?,
        estimate: estimate.first().map(estimate_of).transpose()?,
        exceptions: exceptions
            .iter()
            .map(exception)
            .collect::<StoreResult<_>>()?,
        reroutes: reroutes.iter().map(reroute).collect::<StoreResult<_>>()?,
        receipts: receipts
            .iter()
            .map(|r| read_rows::receipt(r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect::<StoreResult<_>>()?,
        summary: summary(&row)?,
    }
    .into_detail()
    .map(Some)
}

/// A shipment's legs, by package, oldest first.
fn legs_by_package(rows: &[Row]) -> StoreResult<HashMap<i64, Vec<tracklane_core::Leg>>> {
    let mut out: HashMap<i64, Vec<tracklane_core::Leg>> = HashMap::new();
    for r in rows {
        let leg = LegRow {
            carrier: r.get(1),
            tracking_number: r.get(2),
            mode: code(r, 3),
            source: code(r, 4),
            detected_by: code(r, 5),
            added_at: r.get(6),
        }
        .into_leg()?;
        out.entry(r.get(0)).or_default().push(leg);
    }
    Ok(out)
}

/// A shipment's milestones, by package.
fn milestones_by_package(rows: &[Row]) -> StoreResult<HashMap<i64, Vec<StoredMilestone>>> {
    let mut out: HashMap<i64, Vec<StoredMilestone>> = HashMap::new();
    for r in rows {
        let stored = MilestoneRow {
            code: code(r, 1),
            sub_code: code_opt(r, 2),
            raw_code: r.get(3),
            description: r.get(4),
            city: r.get(5),
            region: r.get(6),
            country_code: r.get(7),
            occurred_at: r.get(8),
            received_at: r.get(9),
            carrier: r.get(10),
            tracking_number: r.get(11),
            event_id: r.get(12),
        }
        .into_stored()?;
        out.entry(r.get(0)).or_default().push(stored);
    }
    Ok(out)
}

fn window_change(r: &Row) -> StoreResult<crate::WindowChange> {
    WindowChangeRow {
        at: r.get(0),
        actor: r.get(1),
        from: (r.get(2), r.get(3)),
        to: (r.get(4), r.get(5)),
        source: code(r, 6),
        reason: r.get(7),
    }
    .into_change()
}

/// The estimates of some shipments: see [`crate::Store::estimates_of`].
pub(crate) async fn estimates_of(
    client: &ClientWrapper,
    shipments: &[i64],
) -> StoreResult<Vec<(i64, Estimate)>> {
    cached(
        client,
        "SELECT p10, p50, p90, basis, assessed_at, shipment_seq FROM estimate
         WHERE shipment_seq = ANY($1) ORDER BY shipment_seq",
        &[&shipments],
    )
    .await
    .map_err(pg("reading estimates"))?
    .iter()
    .map(|r| Ok((r.get(5), estimate_of(r)?)))
    .collect()
}

/// The open exceptions of some shipments: see
/// [`crate::Store::open_exceptions_of`].
pub(crate) async fn open_exceptions_of(
    client: &ClientWrapper,
    shipments: &[i64],
) -> StoreResult<Vec<(i64, ExceptionDraft)>> {
    cached(
        client,
        "SELECT shipment_seq, kind, severity, since, evidence, next_step_en, next_step_zh
         FROM exception WHERE shipment_seq = ANY($1) AND resolved_at IS NULL
         ORDER BY shipment_seq, seq",
        &[&shipments],
    )
    .await
    .map_err(pg("reading open exceptions"))?
    .iter()
    .map(|r| {
        Ok((
            r.get(0),
            ExceptionDraft {
                kind: r.get(1),
                severity: r.get(2),
                since: codec::timestamp(r.get(3))?,
                evidence: r.get(4),
                next_step_en: r.get(5),
                next_step_zh: r.get(6),
            },
        ))
    })
    .collect()
}

/// Reads `p10, p50, p90, basis, assessed_at`, the first columns of `r`.
fn estimate_of(r: &Row) -> StoreResult<Estimate> {
    Ok(Estimate {
        p10: codec::timestamp(r.get(0))?,
        p50: codec::timestamp(r.get(1))?,
        p90: codec::timestamp(r.get(2))?,
        basis: r.get(3),
        assessed_at: codec::timestamp(r.get(4))?,
    })
}

/// The tracking numbers of some shipments: see [`crate::Store::tracking_of`].
pub(crate) async fn tracking_of(
    client: &ClientWrapper,
    shipments: &[i64],
) -> StoreResult<Vec<crate::ShipmentNumber>> {
    cached(
        client,
        "SELECT shipment_seq, carrier, tracking_number FROM leg
         WHERE shipment_seq = ANY($1)
         GROUP BY shipment_seq, carrier, tracking_number
         ORDER BY shipment_seq, min(added_at), tracking_number",
        &[&shipments],
    )
    .await
    .map_err(pg("listing tracking numbers"))?
    .iter()
    .map(|r| {
        Ok((
            r.get(0),
            parse_id(r.get(1), CarrierCode::parse)?,
            parse_id(r.get(2), TrackingNumber::normalize)?,
        ))
    })
    .collect()
}

pub(crate) async fn open_tracking(
    client: &ClientWrapper,
    carrier: &CarrierCode,
    since: Timestamp,
    limit: usize,
) -> StoreResult<Vec<TrackingNumber>> {
    cached(
        client,
        "SELECT leg.tracking_number FROM leg JOIN shipment s ON s.seq = leg.shipment_seq
         WHERE leg.carrier = $1 AND leg.added_at >= $2 AND NOT s.is_cancelled AND s.status < $3
         GROUP BY leg.tracking_number ORDER BY min(leg.added_at), leg.tracking_number LIMIT $4",
        &[
            &carrier.as_str(),
            &since.as_microsecond(),
            &i32::from(ShipmentStatus::Delivered.number()),
            &(limit as i64),
        ],
    )
    .await
    .map_err(pg("listing open tracking numbers"))?
    .iter()
    .map(|r| parse_id(r.get(0), TrackingNumber::normalize))
    .collect()
}

/// Every box carrying `number`.
pub(crate) async fn find_tracking(
    client: &ClientWrapper,
    number: &TrackingNumber,
) -> StoreResult<Vec<TrackedBox>> {
    cached(
        client,
        "SELECT shipment.id, package.box_id, min(package.seq) FROM leg
         JOIN package ON package.seq = leg.package_seq
         JOIN shipment ON shipment.seq = leg.shipment_seq
         WHERE leg.tracking_number = $1
         GROUP BY shipment.id, package.box_id ORDER BY min(package.seq)",
        &[&number.as_str()],
    )
    .await
    .map_err(pg("finding a tracking number"))?
    .iter()
    .map(|r| {
        Ok(TrackedBox {
            shipment_id: r.get(0),
            box_id: parse_id(r.get(1), BoxId::parse)?,
        })
    })
    .collect()
}

/// How many of the shipments `viewer` may see need attention, as SQLite
/// counts them. The statement has one text per kind of viewer, so it is
/// prepared once per pooled connection.
pub(crate) async fn attention(
    client: &ClientWrapper,
    viewer: &Principal,
    kinds: &[&str],
) -> StoreResult<Attention> {
    let (sql, values) = crate::attention::statement(viewer, kinds, '$', "missing_tracking");
    let params: Vec<&(dyn ToSql + Sync)> =
        values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    let rows = cached(client, &sql, &params)
        .await
        .map_err(pg("counting what needs attention"))?;
    Ok(crate::attention::collect(
        rows.iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1))),
    ))
}

/// Folds every shipment row `viewer` may see into the hub's figures.
pub(crate) async fn hub_stats(
    client: &tokio_postgres::Client,
    viewer: &Principal,
) -> StoreResult<HubStats> {
    let mut filter = Filter::default();
    if let Some((clause, value)) = viewer_scope(viewer) {
        filter.bind_param(clause, value);
    }
    let sql = format!("SELECT {STATS_COLUMNS} FROM shipment {}", filter.sql());
    let rows = client
        .query(&sql, &filter.params())
        .await
        .map_err(pg("measuring shipments"))?;
    let mut builder = crate::stats::StatsBuilder::default();
    let mut reader = FactReader::default();
    for r in &rows {
        builder.add(&reader.fact(StatsRow {
            carriers: r.get(0),
            warehouse: r.get(1),
            codes: [code(r, 2), code(r, 3), code(r, 4), r.get(5)],
            latest: (code_opt(r, 6), r.get(7)),
            window: (r.get(8), r.get(9)),
            missing: r.get(10),
            units: r.get(11),
            received: (r.get(12), r.get(13), r.get(14)),
        })?);
    }
    Ok(builder.finish())
}
