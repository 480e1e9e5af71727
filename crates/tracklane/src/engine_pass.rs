//! Engine passes in a running hub: load every shipment from the store, let the
//! pure engine learn from the finished ones and judge the open ones, and write
//! its verdicts back — estimates, exceptions, automated delivery-window moves
//! (audited, acting for the carrier) and Smart Reroute offers.
//!
//! A pass reads every open shipment, and a finished one once more only: the
//! pass that sees it finished learns from it and stores its last verdict
//! (resolving what no longer holds), and later passes skip it. The replay path
//! (`tracklane replay`) keeps snapshots in memory instead.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::Timestamp;
use tracklane_core::{Carrier, CarrierCode, ShipmentId, WarehouseCode};
use tracklane_engine::reroute::{self, RerouteCandidate, RerouteCostModel, WarehouseLoad};
use tracklane_engine::{
    EtaModel, Exception, Scan, ShipmentSnapshot, Verdict, WindowDecision, WindowPolicy, assess,
};
use tracklane_server::Clock;
use tracklane_store::{
    Assessment, Estimate, ExceptionDraft, RerouteDraft, RerouteQuery, RerouteStatus,
    ShipmentDetail, ShipmentKey, Store, WindowChangeRequest,
};

/// Shipment reads a pass keeps in flight.
const READS_IN_FLIGHT: usize = 8;

/// What one pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    /// Shipments read from the store: the open ones and those that finished
    /// since the last pass.
    pub read: usize,
    /// Shipments judged (open ones).
    pub judged: usize,
    /// Verdicts stored: those that differ from the one stored before.
    pub written: usize,
    /// Finished journeys the model has learned from so far.
    pub journeys_learned: u64,
    /// Shipments with an estimate.
    pub estimated: usize,
    /// Exceptions open on the shipments read.
    pub open_exceptions: usize,
    /// Delivery windows moved by automation.
    pub windows_moved: usize,
    /// New reroute offers.
    pub reroutes_offered: usize,
}

/// The engine's memory between passes: the learned model and which journeys it
/// has already learned from.
#[derive(Default)]
pub struct Engine {
    model: EtaModel,
    /// Finished shipments the model has learned from.
    learned: HashSet<ShipmentId>,
    /// Finished shipments whose final verdict is stored.
    settled: HashSet<ShipmentId>,
    /// The verdict last stored for each open shipment.
    stored: HashMap<ShipmentId, Assessment>,
    policy: WindowPolicy,
    costs: RerouteCostModel,
}

impl Engine {
    /// An engine that has learned nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One pass at `now`.
    ///
    /// # Errors
    /// When the store fails; what was written before stays written, and the next
    /// pass starts over.
    pub async fn pass(&mut self, store: &dyn Store, now: Timestamp) -> anyhow::Result<PassReport> {
        let carriers: HashMap<CarrierCode, Carrier> = store
            .carriers()
            .await?
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        let mut open = Vec::new();
        let mut finished = Vec::new();
        // A finished shipment's last verdict is stored: nothing about it
        // changes any more, so it is not read again.
        let ids = store
            .shipment_ids()
            .await?
            .into_iter()
            .filter(|id| !self.settled.contains(id));
        // Several reads are in flight at once (PostgreSQL runs them on as
        // many pooled connections), and they come back in order, so a pass
        // sees the shipments as a one-by-one read would.
        let mut details = futures_util::stream::iter(ids)
            .map(|id| async move { store.shipment(&ShipmentKey::new(id.as_str())).await })
            .buffered(READS_IN_FLIGHT);
        while let Some(detail) = details.next().await {
            let Some(detail) = detail? else {
                continue;
            };
            let snapshot = snapshot_of(&detail, &carriers);
            if snapshot.is_finished() {
                if self.learned.insert(snapshot.id.clone()) {
                    self.model.learn(&snapshot);
                }
                finished.push(snapshot);
            } else {
                open.push(snapshot);
            }
        }
        drop(details);
        self.model.refresh();

        let mut report = PassReport {
            read: open.len() + finished.len(),
            judged: open.len(),
            journeys_learned: self.model.journeys(),
            ..PassReport::default()
        };
        let mut assessments = Vec::with_capacity(open.len() + finished.len());
        let mut etas = Vec::with_capacity(open.len());
        // Open shipments, then those that finished since the last pass: their
        // verdict resolves what no longer holds (a lost one stays lost).
        let open_count = open.len();
        for (index, snapshot) in open.iter_mut().chain(finished.iter_mut()).enumerate() {
            let Verdict {
                eta,
                decision,
                exceptions,
                handled,
                ..
            } = assess(snapshot, &self.model, now, &self.policy);
            if let WindowDecision::Move(m) = decision {
                store
                    .set_delivery_window(
                        &ShipmentKey::new(snapshot.id.as_str()),
                        WindowChangeRequest {
                            window: m.to,
                            source: m.source,
                            actor: m.actor,
                            reason: m.reason,
                            now,
                        },
                    )
                    .await?;
                snapshot.window = Some((m.to, m.source));
                report.windows_moved += 1;
            }
            let exceptions: Vec<ExceptionDraft> = exceptions.into_iter().map(draft).collect();
            report.open_exceptions += exceptions.len();
            report.estimated += usize::from(eta.is_some());
            let assessment = Assessment {
                shipment: snapshot.id.clone(),
                estimate: eta.as_ref().map(|e| Estimate {
                    p10: e.p10,
                    p50: e.p50,
                    p90: e.p90,
                    basis: format!(
                        "{} history, {} journeys, after {}",
                        level_name(e.basis.level),
                        e.basis.journeys,
                        e.basis
                            .stage
                            .map_or_else(|| "no scan yet".to_owned(), |s| s.as_str().to_owned())
                    ),
                    assessed_at: now,
                }),
                exceptions,
                handled: handled.into_iter().map(draft).collect(),
            };
            // A verdict the store already holds is not written again.
            if !self
                .stored
                .get(&snapshot.id)
                .is_some_and(|last| is_same_verdict(&assessment, last))
            {
                assessments.push(assessment);
            }
            if index < open_count {
                etas.push(eta);
            }
        }
        report.written = assessments.len();
        store.put_assessments(assessments.clone(), now).await?;
        for a in assessments {
            self.stored.insert(a.shipment.clone(), a);
        }
        for snapshot in &finished {
            self.stored.remove(&snapshot.id);
            self.settled.insert(snapshot.id.clone());
        }
        report.reroutes_offered = self.offer_reroutes(store, &open, &etas, now).await?;
        Ok(report)
    }

    /// Plans Smart Reroute over the delayed shipments of `smart_reroute`
    /// carriers and stores the offers.
    async fn offer_reroutes(
        &self,
        store: &dyn Store,
        open: &[ShipmentSnapshot],
        etas: &[Option<tracklane_engine::Eta>],
        now: Timestamp,
    ) -> anyhow::Result<usize> {
        // Units already sent by confirmed reroutes and not yet received count
        // against the new warehouse's room (invariant 5).
        let confirmed = store
            .reroutes(&RerouteQuery {
                status: Some(RerouteStatus::Confirmed),
                limit: tracklane_store::PAGE_SIZE_MAX,
                ..RerouteQuery::default()
            })
            .await?;
        let open_ids: HashSet<&ShipmentId> = open.iter().map(|s| &s.id).collect();
        let mut inbound: HashMap<WarehouseCode, u32> = HashMap::new();
        for r in confirmed
            .iter()
            .filter(|r| open_ids.contains(&r.draft.shipment))
        {
            *inbound.entry(r.draft.to.clone()).or_default() += r.draft.units;
        }
        let loads: Vec<WarehouseLoad> = store
            .warehouses()
            .await?
            .into_iter()
            .map(|w| WarehouseLoad {
                inbound_units: inbound.get(&w.code).copied().unwrap_or(0),
                code: w.code,
                marketplace: w.marketplace,
                latitude: w.latitude,
                longitude: w.longitude,
                capacity_units_per_day: w.receiving_capacity_units_per_day,
                backlog_units: w.backlog_units,
            })
            .collect();
        let mut candidates = Vec::new();
        for (snapshot, eta) in open.iter().zip(etas) {
            let Some(home) = loads.iter().find(|l| l.code == snapshot.lane.warehouse) else {
                continue;
            };
            if reroute::is_candidate(snapshot, eta.as_ref(), home, now) {
                candidates.push(RerouteCandidate::of(snapshot));
            }
        }
        let plan = reroute::plan(&candidates, &loads, &self.costs);
        let carriers: HashMap<&ShipmentId, &CarrierCode> = open
            .iter()
            .filter_map(|s| s.carrier.as_ref().map(|c| (&s.id, c)))
            .collect();
        let drafts: Vec<RerouteDraft> = plan
            .offers
            .into_iter()
            .filter_map(|o| {
                let carrier = (*carriers.get(&o.shipment)?).clone();
                Some(RerouteDraft {
                    shipment: o.shipment,
                    carrier,
                    from: o.from,
                    to: o.to,
                    units: o.units,
                    stay_days: o.stay_days,
                    move_days: o.move_days,
                    extra_km: o.extra_km,
                    reason: o.reason,
                })
            })
            .collect();
        Ok(store.offer_reroutes(drafts, now).await?.len())
    }
}

/// The engine's view of a stored shipment.
pub fn snapshot_of(
    detail: &ShipmentDetail,
    carriers: &HashMap<CarrierCode, Carrier>,
) -> ShipmentSnapshot {
    let scans = detail
        .timelines
        .iter()
        .flatten()
        .map(|m| Scan::of(&m.milestone, m.received_at));
    let carrier = detail
        .shipment
        .packages
        .iter()
        .flat_map(|p| p.legs.first())
        .map(|l| &l.carrier)
        .next()
        .or(detail.shipment.selected_carrier.as_ref())
        .and_then(|c| carriers.get(c));
    ShipmentSnapshot::from_shipment(&detail.shipment, scans, carrier, None)
}

fn level_name(level: tracklane_engine::Level) -> &'static str {
    use tracklane_engine::Level;
    match level {
        Level::CarrierLane => "same carrier and lane",
        Level::Lane => "same lane",
        Level::Destination => "same warehouse, mode and service",
        Level::Warehouse => "same warehouse and mode",
        Level::Corridor => "same corridor",
        Level::MarketplaceMode => "same marketplace and mode",
        Level::Mode => "same mode",
        Level::Nominal => "no",
        Level::Extrapolated => "beyond all",
        Level::Arrived => "arrived",
    }
}

/// Runs a pass every `period` of real time until the process ends, logging
/// each pass and any failure (a failed pass is retried at the next tick).
///
/// Each pass first takes the `engine` lease as `holder`: of several processes
/// on one store, one runs the passes at a time (the others take over when
/// its lease runs out).
pub async fn run_forever(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    period: Duration,
    holder: String,
) {
    let mut engine = Engine::new();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !crate::hub::hold_lease(store.as_ref(), "engine", &holder, clock.now(), period).await {
            continue;
        }
        let started = std::time::Instant::now();
        match engine.pass(store.as_ref(), clock.now()).await {
            Ok(report) => tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                read = report.read,
                judged = report.judged,
                written = report.written,
                journeys = report.journeys_learned,
                exceptions = report.open_exceptions,
                windows_moved = report.windows_moved,
                reroutes = report.reroutes_offered,
                "engine pass"
            ),
            Err(error) => {
                tracing::warn!(error = %error, "engine pass failed; retrying at the next tick")
            }
        }
    }
}

/// Whether verdict `a` says what `b` said: the same estimate and the same
/// exceptions, whenever each was made, and no risk handled just now.
fn is_same_verdict(a: &Assessment, b: &Assessment) -> bool {
    let estimate = |x: &Assessment| {
        x.estimate
            .as_ref()
            .map(|e| (e.p10, e.p50, e.p90, e.basis.clone()))
    };
    let exceptions = |x: &Assessment| {
        x.exceptions
            .iter()
            .map(|d| (d.kind.clone(), d.severity.clone(), d.evidence.clone()))
            .collect::<Vec<_>>()
    };
    a.handled.is_empty() && estimate(a) == estimate(b) && exceptions(a) == exceptions(b)
}

/// The store's form of an exception.
fn draft(e: Exception) -> ExceptionDraft {
    ExceptionDraft {
        kind: e.kind.as_str().to_owned(),
        severity: e.severity.as_str().to_owned(),
        since: e.since,
        evidence: e.evidence,
        next_step_en: e.next_step.en.to_owned(),
        next_step_zh: e.next_step.zh.to_owned(),
    }
}
