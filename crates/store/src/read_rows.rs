//! Stored rows as every backend reads them, before they become domain values:
//! each backend fills these plain structs from its driver's rows, and the
//! conversion (codes, ids, JSON bodies, the per-package timeline) is done
//! once, here.

use std::collections::HashMap;

use tracklane_core::projection::LatestMilestone;
use tracklane_core::{
    BoxId, CarrierCode, ConfirmationId, DetectedBy, FreightMode, Leg, LegMode, Location,
    Marketplace, Milestone, Package, PackageTrack, SellerId, Shipment, ShipmentId, ShipmentStatus,
    ShippingMode, TrackingNumber, TrackingSource, WarehouseCode, WindowSource,
};

use crate::codec::{self, PackageBody, ShipmentBody};
use crate::stats::ShipmentFact;
use crate::{
    Cursor, Delivery, DeliveryState, Estimate, EventKind, ExceptionDraft, Page, Receipt, Reroute,
    RerouteDraft, RerouteStatus, ShipmentDetail, ShipmentException, ShipmentSort, ShipmentSummary,
    StoreError, StoreResult, StoredMilestone, Webhook, WindowChange,
};

/// The listing's columns, in the order [`SummaryRow`] reads them.
pub(crate) const SUMMARY_COLUMNS: &str = "seq, id, confirmation_id, body, name, seller_id, warehouse, marketplace, shipping_mode, freight_mode,
    status, carriers, latest_code, latest_sub_code, latest_at, latest_fingerprint, missing_tracking, window_start, window_end,
    window_source, sku_count, box_count, units_expected, units_received, created_at, updated_at, open_exceptions,
    reconciliation_requested_at, reconciliation_requested_by";

/// How many columns [`SUMMARY_COLUMNS`] names: a column selected after them
/// has this index.
pub(crate) const SUMMARY_COLUMN_COUNT: usize = 29;

/// A listing page from up to `limit + 1` rows in `sort` and each row's sort
/// key: a row past `limit` means there is a next page, which starts after
/// the last row kept.
pub(crate) fn page(
    sort: ShipmentSort,
    mut shipments: Vec<ShipmentSummary>,
    keys: &[i64],
    limit: usize,
) -> Page {
    debug_assert_eq!(shipments.len(), keys.len());
    let next = if shipments.len() > limit {
        shipments.truncate(limit);
        shipments
            .last()
            .zip(keys.get(limit - 1))
            .map(|(s, &key)| Cursor {
                sort,
                key,
                seq: s.seq,
            })
    } else {
        None
    };
    Page { shipments, next }
}

/// An identifier read back from the store.
pub(crate) fn parse_id<T>(
    text: String,
    parse: fn(&str) -> Result<T, tracklane_core::id::IdError>,
) -> StoreResult<T> {
    parse(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// One shipment row of [`SUMMARY_COLUMNS`].
pub(crate) struct SummaryRow {
    pub seq: i64,
    pub id: String,
    pub confirmation: String,
    pub body: String,
    pub name: String,
    pub seller: String,
    pub warehouse: String,
    /// marketplace, shipping mode, freight mode, status
    pub codes: [i64; 4],
    pub carriers: String,
    /// latest code, sub-code, time, fingerprint
    pub latest: [Option<i64>; 4],
    pub missing: bool,
    /// start, end, source
    pub window: (Option<String>, Option<String>, Option<i64>),
    /// skus, boxes, units expected, units received, created, updated, open exceptions
    pub counts: [i64; 7],
    /// reconciliation requested at, by
    pub reconciliation: (Option<i64>, Option<String>),
}

impl SummaryRow {
    pub(crate) fn into_summary(self) -> StoreResult<ShipmentSummary> {
        let Self {
            seq,
            id,
            confirmation,
            body,
            name,
            seller,
            warehouse,
            codes,
            carriers,
            latest,
            missing,
            window,
            counts,
            reconciliation,
        } = self;
        let body: ShipmentBody = codec::from_json(&body)?;
        let window = match (codec::window(window.0, window.1)?, window.2) {
            (Some(w), Some(s)) => Some((
                w,
                codec::coded(s, WindowSource::from_number, "window source")?,
            )),
            _ => None,
        };
        Ok(ShipmentSummary {
            shipment_id: id,
            confirmation_id: confirmation,
            inbound_plan_id: body.inbound_plan_id.to_string(),
            name,
            seller_id: parse_id(seller, SellerId::parse)?,
            warehouse: parse_id(warehouse, WarehouseCode::parse)?,
            marketplace: codec::coded(codes[0], Marketplace::from_number, "marketplace")?,
            shipping_mode: codec::coded(codes[1], ShippingMode::from_number, "shipping mode")?,
            freight_mode: codec::coded(codes[2], FreightMode::from_number, "freight mode")?,
            status: codec::coded(codes[3], ShipmentStatus::from_number, "shipment status")?,
            carriers: carriers
                .split_whitespace()
                .map(|c| parse_id(c.to_owned(), CarrierCode::parse))
                .collect::<StoreResult<_>>()?,
            latest_milestone: codec::latest(latest[0], latest[1], latest[2], latest[3])?,
            missing_tracking: missing,
            delivery_window: window,
            sku_count: counts[0] as u32,
            box_count: counts[1] as u32,
            units_expected: counts[2] as u32,
            units_received: counts[3] as u32,
            created_at: codec::timestamp(counts[4])?,
            updated_at: codec::timestamp(counts[5])?,
            open_exceptions: counts[6] as u32,
            reconciliation: match reconciliation {
                (Some(at), Some(by)) => Some(crate::ReconciliationRequest {
                    at: codec::timestamp(at)?,
                    by,
                }),
                _ => None,
            },
            seq,
        })
    }
}

/// One milestone row, for a timeline.
pub(crate) struct MilestoneRow {
    pub code: i64,
    pub sub_code: Option<i64>,
    pub raw_code: Option<String>,
    pub description: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country_code: Option<String>,
    pub occurred_at: i64,
    pub received_at: i64,
    pub carrier: String,
    pub tracking_number: String,
    pub event_id: Option<String>,
}

impl MilestoneRow {
    pub(crate) fn into_stored(self) -> StoreResult<StoredMilestone> {
        Ok(StoredMilestone {
            milestone: Milestone {
                code: codec::code(self.code)?,
                sub_code: codec::sub_code(self.sub_code)?,
                raw_code: self.raw_code,
                description: self.description,
                location: Location {
                    city: self.city,
                    region: self.region,
                    country_code: self.country_code,
                },
                occurred_at: codec::timestamp(self.occurred_at)?,
                event_id: self.event_id,
            },
            carrier: parse_id(self.carrier, CarrierCode::parse)?,
            tracking_number: parse_id(self.tracking_number, TrackingNumber::parse)?,
            received_at: codec::timestamp(self.received_at)?,
            after_close: false,
        })
    }
}

/// A package's timeline in time order, with what arrived after its tracking
/// closed marked, and the tracking state folded from it.
pub(crate) fn timeline(mut history: Vec<StoredMilestone>) -> (PackageTrack, Vec<StoredMilestone>) {
    let mut track = PackageTrack::default();
    for m in &history {
        track.apply(LatestMilestone::of(&m.milestone));
    }
    history.sort_by_key(|m| (m.milestone.occurred_at, m.milestone.fingerprint()));
    let closing = track
        .latest
        .as_ref()
        .filter(|_| track.is_closed)
        .map(|c| (c.occurred_at, c.fingerprint));
    for m in &mut history {
        m.after_close =
            closing.is_some_and(|c| (m.milestone.occurred_at, m.milestone.fingerprint()) > c);
    }
    (track, history)
}

/// One leg row.
pub(crate) struct LegRow {
    pub carrier: String,
    pub tracking_number: String,
    pub mode: i64,
    pub source: i64,
    pub detected_by: i64,
    pub added_at: i64,
}

impl LegRow {
    pub(crate) fn into_leg(self) -> StoreResult<Leg> {
        Ok(Leg {
            carrier: parse_id(self.carrier, CarrierCode::parse)?,
            tracking_number: parse_id(self.tracking_number, TrackingNumber::parse)?,
            mode: codec::coded(self.mode, LegMode::from_number, "leg mode")?,
            source: codec::coded(self.source, TrackingSource::from_number, "tracking source")?,
            detected_by: codec::coded(self.detected_by, DetectedBy::from_number, "detected by")?,
            added_at: codec::timestamp(self.added_at)?,
        })
    }
}

/// One window audit row.
pub(crate) struct WindowChangeRow {
    pub at: i64,
    pub actor: String,
    pub from: (Option<String>, Option<String>),
    pub to: (String, String),
    pub source: i64,
    pub reason: String,
}

impl WindowChangeRow {
    pub(crate) fn into_change(self) -> StoreResult<WindowChange> {
        Ok(WindowChange {
            at: codec::timestamp(self.at)?,
            actor: self.actor,
            from: codec::window(self.from.0, self.from.1)?,
            to: codec::window(Some(self.to.0), Some(self.to.1))?
                .ok_or_else(|| StoreError::Corrupt("window change without a window".into()))?,
            source: codec::coded(self.source, WindowSource::from_number, "window source")?,
            reason: self.reason,
        })
    }
}

/// One receipt audit row: `at`, actor, the changes' JSON and whether it closed.
pub(crate) fn receipt(at: i64, actor: String, changes: &str, closes: bool) -> StoreResult<Receipt> {
    Ok(Receipt {
        at: codec::timestamp(at)?,
        actor,
        changes: codec::from_json(changes)?,
        closes,
    })
}

/// One package of a detail: its row, its legs and its milestones.
pub(crate) struct PackageParts {
    pub box_id: String,
    pub body: String,
    pub legs: Vec<Leg>,
    pub history: Vec<StoredMilestone>,
}

/// Everything a detail is put together from.
pub(crate) struct DetailParts {
    pub summary: ShipmentSummary,
    /// The shipment's JSON body.
    pub body: String,
    pub selected_carrier: Option<String>,
    pub allows_window_automation: bool,
    pub is_cancelled: bool,
    /// In box order.
    pub packages: Vec<PackageParts>,
    pub window_history: Vec<WindowChange>,
    pub estimate: Option<Estimate>,
    pub exceptions: Vec<ShipmentException>,
    pub reroutes: Vec<Reroute>,
    pub receipts: Vec<Receipt>,
}

impl DetailParts {
    pub(crate) fn into_detail(self) -> StoreResult<ShipmentDetail> {
        let summary = self.summary;
        let body: ShipmentBody = codec::from_json(&self.body)?;
        let mut packages = Vec::with_capacity(self.packages.len());
        let mut timelines = Vec::with_capacity(self.packages.len());
        for part in self.packages {
            let package_body: PackageBody = codec::from_json(&part.body)?;
            let (track, history) = timeline(part.history);
            timelines.push(history);
            packages.push(Package {
                box_id: parse_id(part.box_id, BoxId::parse)?,
                weight_grams: package_body.weight_grams,
                dimensions_mm: package_body.dimensions_mm,
                items: package_body.items,
                legs: part.legs,
                track,
            });
        }
        let shipment = Shipment {
            id: parse_id(summary.shipment_id.clone(), ShipmentId::parse)?,
            inbound_plan_id: body.inbound_plan_id,
            confirmation_id: parse_id(summary.confirmation_id.clone(), ConfirmationId::parse)?,
            seller: summary.seller_id.clone(),
            name: summary.name.clone(),
            kind: body.kind,
            source_address: body.source_address,
            warehouse: summary.warehouse.clone(),
            marketplace: summary.marketplace,
            shipping_mode: summary.shipping_mode,
            freight_mode: summary.freight_mode,
            selected_carrier: self
                .selected_carrier
                .map(|c| parse_id(c, CarrierCode::parse))
                .transpose()?,
            delivery_window: summary.delivery_window,
            allows_window_automation: self.allows_window_automation,
            created_at: summary.created_at,
            is_cancelled: self.is_cancelled,
            packages,
        };
        Ok(ShipmentDetail {
            shipment,
            status: summary.status,
            updated_at: summary.updated_at,
            timelines,
            window_history: self.window_history,
            estimate: self.estimate,
            exceptions: self.exceptions,
            reroutes: self.reroutes,
            receipts: self.receipts,
            reconciliation: summary.reconciliation,
        })
    }
}

/// The columns of the figures, in the order [`StatsRow`] reads them.
pub(crate) const STATS_COLUMNS: &str =
    "carriers, warehouse, marketplace, freight_mode, status, created_at, latest_code, latest_at,
    window_start, window_end, missing_tracking, units_expected, units_received, checked_in_at,
    receiving_closed_at";

/// One shipment row of [`STATS_COLUMNS`].
pub(crate) struct StatsRow {
    pub carriers: String,
    pub warehouse: String,
    /// marketplace, freight mode, status, created
    pub codes: [i64; 4],
    /// latest code and time
    pub latest: (Option<i64>, Option<i64>),
    pub window: (Option<String>, Option<String>),
    pub missing: bool,
    pub units: i64,
    /// units received, checked in, receiving closed
    pub received: (i64, Option<i64>, Option<i64>),
}

/// Turns [`StatsRow`]s into facts, parsing each warehouse and carrier code
/// once however many rows repeat it.
#[derive(Default)]
pub(crate) struct FactReader {
    warehouses: HashMap<String, WarehouseCode>,
    carriers: HashMap<String, CarrierCode>,
}

impl FactReader {
    pub(crate) fn fact(&mut self, row: StatsRow) -> StoreResult<ShipmentFact> {
        let warehouse = match self.warehouses.get(&row.warehouse) {
            Some(w) => w.clone(),
            None => {
                let code = parse_id(row.warehouse.clone(), WarehouseCode::parse)?;
                self.warehouses.insert(row.warehouse, code.clone());
                code
            }
        };
        let mut carriers = Vec::new();
        for c in row.carriers.split_whitespace() {
            match self.carriers.get(c) {
                Some(code) => carriers.push(code.clone()),
                None => {
                    let code = parse_id(c.to_owned(), CarrierCode::parse)?;
                    self.carriers.insert(c.to_owned(), code.clone());
                    carriers.push(code);
                }
            }
        }
        let latest = match row.latest {
            (Some(code), Some(at)) => Some((codec::code(code)?, codec::timestamp(at)?)),
            _ => None,
        };
        Ok(ShipmentFact {
            carriers,
            warehouse,
            marketplace: codec::coded(row.codes[0], Marketplace::from_number, "marketplace")?,
            freight_mode: codec::coded(row.codes[1], FreightMode::from_number, "freight mode")?,
            status: codec::coded(row.codes[2], ShipmentStatus::from_number, "shipment status")?,
            created_at: codec::timestamp(row.codes[3])?,
            latest,
            window: codec::window(row.window.0, row.window.1)?,
            missing_tracking: row.missing,
            units_expected: row.units as u32,
            units_received: row.received.0 as u32,
            checked_in_at: row.received.1.map(codec::timestamp).transpose()?,
            receiving_closed_at: row.received.2.map(codec::timestamp).transpose()?,
        })
    }
}

/// The columns of [`ExceptionRow`], over `exception e JOIN shipment s`.
pub(crate) const EXCEPTION_COLUMNS: &str = "e.seq, s.id, s.name, s.seller_id, e.kind, e.severity, e.since, e.evidence, e.next_step_en, e.next_step_zh, e.opened_at, e.resolved_at";

/// One exception row of [`EXCEPTION_COLUMNS`].
pub(crate) struct ExceptionRow {
    pub seq: i64,
    pub shipment_id: String,
    pub shipment_name: String,
    pub seller_id: String,
    pub kind: String,
    pub severity: String,
    pub since: i64,
    pub evidence: String,
    pub next_step_en: String,
    pub next_step_zh: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
}

impl ExceptionRow {
    pub(crate) fn into_exception(self) -> StoreResult<ShipmentException> {
        Ok(ShipmentException {
            id: self.seq,
            shipment_id: parse_id(self.shipment_id, ShipmentId::parse)?,
            shipment_name: self.shipment_name,
            seller_id: parse_id(self.seller_id, SellerId::parse)?,
            draft: ExceptionDraft {
                kind: self.kind,
                severity: self.severity,
                since: codec::timestamp(self.since)?,
                evidence: self.evidence,
                next_step_en: self.next_step_en,
                next_step_zh: self.next_step_zh,
            },
            opened_at: codec::timestamp(self.opened_at)?,
            resolved_at: self.resolved_at.map(codec::timestamp).transpose()?,
        })
    }
}

/// The columns of [`RerouteRow`], over `reroute r JOIN shipment s`.
pub(crate) const REROUTE_COLUMNS: &str = "r.seq, s.id, r.carrier, r.from_warehouse, r.to_warehouse, r.units, r.stay_days, r.move_days, r.extra_km, r.reason, r.status, r.offered_at, r.decided_at, r.appointment";

/// One reroute row of [`REROUTE_COLUMNS`].
pub(crate) struct RerouteRow {
    pub seq: i64,
    pub shipment_id: String,
    pub carrier: String,
    pub from: String,
    pub to: String,
    pub units: u32,
    pub stay_days: f64,
    pub move_days: f64,
    pub extra_km: f64,
    pub reason: String,
    pub status: i64,
    pub offered_at: i64,
    pub decided_at: Option<i64>,
    pub appointment: Option<String>,
}

impl RerouteRow {
    pub(crate) fn into_reroute(self) -> StoreResult<Reroute> {
        Ok(Reroute {
            id: self.seq,
            draft: RerouteDraft {
                shipment: parse_id(self.shipment_id, ShipmentId::parse)?,
                carrier: parse_id(self.carrier, CarrierCode::parse)?,
                from: parse_id(self.from, WarehouseCode::parse)?,
                to: parse_id(self.to, WarehouseCode::parse)?,
                units: self.units,
                stay_days: self.stay_days,
                move_days: self.move_days,
                extra_km: self.extra_km,
                reason: self.reason,
            },
            status: codec::coded(self.status, RerouteStatus::from_number, "reroute status")?,
            offered_at: codec::timestamp(self.offered_at)?,
            decided_at: self.decided_at.map(codec::timestamp).transpose()?,
            appointment: self
                .appointment
                .map(|d| {
                    d.parse::<jiff::civil::Date>()
                        .map_err(|_| StoreError::Corrupt(format!("appointment {d}")))
                })
                .transpose()?,
        })
    }
}

/// The columns of [`WebhookRow`], over `webhook w`.
pub(crate) const WEBHOOK_COLUMNS: &str = "w.seq, w.id, w.owner, w.url, w.events, w.secret, w.created_at, w.disabled_at, w.disabled_reason";

/// One subscription row of [`WEBHOOK_COLUMNS`].
pub(crate) struct WebhookRow {
    pub seq: i64,
    pub id: String,
    pub owner: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
}

impl WebhookRow {
    /// The subscription with its row number.
    pub(crate) fn into_webhook(self) -> StoreResult<(i64, Webhook)> {
        let events = self
            .events
            .split_ascii_whitespace()
            .map(|e| {
                EventKind::parse(e).ok_or_else(|| {
                    StoreError::Corrupt(format!("event kind `{e}` of webhook {}", self.id))
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok((
            self.seq,
            Webhook {
                owner: codec::from_json(&self.owner)?,
                url: self.url,
                events,
                secret: self.secret,
                created_at: codec::timestamp(self.created_at)?,
                disabled_at: self.disabled_at.map(codec::timestamp).transpose()?,
                disabled_reason: self.disabled_reason,
                id: self.id,
            },
        ))
    }
}

/// The columns of [`DeliveryRow`], over `webhook_delivery d JOIN webhook w`.
pub(crate) const DELIVERY_COLUMNS: &str = "d.seq, w.id, d.kind, d.shipment_id, d.subject, d.payload, d.created_at, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.delivered_at";

/// One delivery row of [`DELIVERY_COLUMNS`].
pub(crate) struct DeliveryRow {
    pub seq: i64,
    pub webhook_id: String,
    pub kind: i64,
    pub shipment_id: String,
    pub subject: String,
    pub payload: Option<String>,
    pub created_at: i64,
    pub state: i64,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> StoreResult<Delivery> {
        Ok(Delivery {
            id: self.seq,
            webhook_id: self.webhook_id,
            kind: codec::coded(self.kind, EventKind::from_number, "event kind")?,
            shipment_id: self.shipment_id,
            subject: self.subject,
            payload: self
                .payload
                .as_deref()
                .map(codec::from_json)
                .transpose()?
                .unwrap_or(serde_json::Value::Null),
            created_at: codec::timestamp(self.created_at)?,
            state: codec::coded(self.state, DeliveryState::from_number, "delivery state")?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: self.next_attempt_at.map(codec::timestamp).transpose()?,
            last_status: self.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: self.last_error,
            delivered_at: self.delivered_at.map(codec::timestamp).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_column_count_counts_the_summary_columns() {
        assert_eq!(SUMMARY_COLUMNS.split(',').count(), SUMMARY_COLUMN_COUNT);
    }
}
