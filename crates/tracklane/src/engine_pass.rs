//! Engine passes in a running hub: read from the store what changed, let the
//! pure engine learn from the finished shipments and judge the open ones, and
//! write its verdicts back — estimates, exceptions, automated delivery-window
//! moves (audited, acting for the carrier) and Smart Reroute offers.
//!
//! The [`Engine`] keeps each open shipment's snapshot between passes. A pass
//! asks the store which shipments changed since a margin before the previous
//! pass started ([`Store::changed_shipments`], [`CHANGES_MARGIN`]), reads
//! only those (and new ones), and judges every open shipment from its kept
//! snapshot: a verdict depends on `now` (stale tracking, a window at risk,
//! probably lost), so all are judged each pass; only the reads are saved. A
//! carrier's capabilities are read each pass and handed to the kept
//! snapshots when they change. A finished shipment is read once more only:
//! the pass that sees it finished learns from it and stores its last verdict
//! (resolving what no longer holds), and the engine forgets it.
//!
//! The first pass, every [`FULL_READ_EVERY_PASSES`]th, and the first after
//! the engine lease comes back to this process read every open shipment
//! again: a safety net for a change stamped by a clock further behind than
//! the margin. The replay path (`tracklane replay`) keeps snapshots in memory
//! from its own stream instead.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use tracklane_core::{Capability, CarrierCode, ShipmentId, WarehouseCode};
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

/// How long before the previous pass started a pass asks for changes from,
/// at least, on the injected clock. A write is stamped with its process's
/// clock before it commits, and processes sharing a PostgreSQL store each
/// stamp with their own clock: five minutes covers commit delays and clocks
/// kept by NTP many times over. The margin is also at least the time between
/// the previous two passes. Passes come at a period of real time, so on a
/// clock that runs fast it grows with the clock: the demo's runs 600 times
/// real time, 30 clock minutes between its 3-second passes, where five clock
/// minutes would be half a real second. A write that commits up to a pass
/// period (real time) after it was stamped is still seen.
pub const CHANGES_MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// Every this many passes, a pass reads every open shipment again instead of
/// what changed: the safety net for a change the listing missed (stamped by
/// a clock further behind than [`CHANGES_MARGIN`], or a shipment stored with
/// an old `created_at` whose `seq` committed after a newer one's). An hour of
/// `serve`'s one-minute passes.
pub const FULL_READ_EVERY_PASSES: u64 = 60;

/// What one pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    /// Whether the pass read every open shipment (see
    /// [`FULL_READ_EVERY_PASSES`]) rather than those that changed.
    pub is_full_read: bool,
    /// Shipments read from the store: on a full read every open one;
    /// otherwise those changed since a margin before the previous pass
    /// started, and new ones. Either way, also those that finished since the
    /// last pass.
    pub read: usize,
    /// Shipments judged (open ones, read or kept).
    pub judged: usize,
    /// Verdicts stored: those that differ from the one stored before.
    pub written: usize,
    /// Finished journeys the model has learned from so far.
    pub journeys_learned: u64,
    /// Shipments with an estimate.
    pub estimated: usize,
    /// Exceptions open on the shipments judged.
    pub open_exceptions: usize,
    /// Delivery windows moved by automation.
    pub windows_moved: usize,
    /// New reroute offers.
    pub reroutes_offered: usize,
}

/// The engine's memory between passes: the learned model, which journeys it
/// has learned from, and the snapshot of every open shipment.
#[derive(Default)]
pub struct Engine {
    model: EtaModel,
    /// Finished shipments the model has learned from.
    learned: HashSet<ShipmentId>,
    /// Finished shipments whose final verdict is stored.
    settled: HashSet<ShipmentId>,
    /// The verdict last stored for each open shipment.
    stored: HashMap<ShipmentId, Stored>,
    policy: WindowPolicy,
    costs: RerouteCostModel,
    /// Each open shipment's snapshot as last read, with the engine's own
    /// window moves applied, by the shipment's `seq`: passes judge the oldest
    /// first, as when they read every shipment.
    open: BTreeMap<i64, ShipmentSnapshot>,
    /// Each carrier's capabilities, as the kept snapshots hold them.
    capabilities: HashMap<CarrierCode, Vec<Capability>>,
    /// Where the next pass asks for changes from; `None` when it reads
    /// every open shipment.
    changes_since: Option<Timestamp>,
    /// When the last pass that succeeded started.
    last_started: Option<Timestamp>,
    /// The newest shipment `seq` listed so far: later ones are new.
    seq_max: i64,
    /// Passes that succeeded since the last full read.
    passes_since_full_read: u64,
}

impl Engine {
    /// An engine that has learned nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next pass read every open shipment again and store every
    /// verdict, as the first pass does; the model keeps what it learned.
    /// For a process that takes the engine lease back: meanwhile another
    /// may have run passes, moved windows and stored verdicts of its own.
    pub fn resync(&mut self) {
        self.changes_since = None;
        self.stored.clear();
    }

    /// Makes the next pass read every open shipment again, as every
    /// [`FULL_READ_EVERY_PASSES`]th does, storing only verdicts that
    /// changed: a pass as they all were before passes read what changed,
    /// for `tracklane bench engine`'s baseline.
    pub fn read_all_next_pass(&mut self) {
        self.changes_since = None;
    }

    /// One pass at `now`.
    ///
    /// # Errors
    /// When the store fails; what was written before stays written, and the
    /// next pass asks for changes from where this one did.
    pub async fn pass(&mut self, store: &dyn Store, now: Timestamp) -> anyhow::Result<PassReport> {
        let capabilities: HashMap<CarrierCode, Vec<Capability>> = store
            .carriers()
            .await?
            .into_iter()
            .map(|c| (c.code, c.capabilities))
            .collect();
        if capabilities != self.capabilities {
            // Carriers do not stamp shipments: the kept snapshots take the
            // new capabilities on without being read again.
            for snapshot in self.open.values_mut() {
                snapshot.capabilities = capabilities_of(snapshot.carrier.as_ref(), &capabilities);
            }
            self.capabilities = capabilities;
        }
        let since = self
            .changes_since
            .filter(|_| self.passes_since_full_read + 1 < FULL_READ_EVERY_PASSES);
        let is_full_read = since.is_none();
        let listed = match since {
            Some(since) => store.changed_shipments(since, self.seq_max).await?,
            None => store.changed_shipments(Timestamp::MIN, 0).await?,
        };
        let seq_max = listed
            .iter()
            .map(|(seq, _)| *seq)
            .fold(self.seq_max, i64::max);
        if is_full_read {
            // Rebuilt from what is read; if the pass fails, the next one
            // reads everything again.
            self.open.clear();
        }
        let mut finished = Vec::new();
        let mut read = 0;
        // A finished shipment's last verdict is stored: nothing about it
        // changes any more, so it is not read again.
        let settled = &self.settled;
        let to_read = listed.into_iter().filter(|(_, id)| !settled.contains(id));
        // Several reads are in flight at once (PostgreSQL runs them on as
        // many pooled connections), and they come back in order, so a pass
        // sees the shipments as a one-by-one read would.
        let mut details =
            futures_util::stream::iter(to_read)
                .map(|(seq, id)| async move {
                    (seq, store.shipment(&ShipmentKey::new(id.as_str())).await)
                })
                .buffered(READS_IN_FLIGHT);
        while let Some((seq, detail)) = details.next().await {
            let Some(detail) = detail? else {
                self.open.remove(&seq);
                continue;
            };
            read += 1;
            let snapshot = snapshot_of(&detail, &self.capabilities);
            if snapshot.is_finished() {
                self.open.remove(&seq);
                if self.learned.insert(snapshot.id.clone()) {
                    self.model.learn(&snapshot);
                }
                finished.push(snapshot);
            } else {
                self.open.insert(seq, snapshot);
            }
        }
        drop(details);
        self.model.refresh();

        let mut report = PassReport {
            is_full_read,
            read,
            judged: self.open.len(),
            journeys_learned: self.model.journeys(),
            ..PassReport::default()
        };
        let mut assessments = Vec::with_capacity(self.open.len() + finished.len());
        let mut bases = Vec::with_capacity(self.open.len() + finished.len());
        let mut etas = Vec::with_capacity(self.open.len());
        // Open shipments, then those that finished since the last pass: their
        // verdict resolves what no longer holds (a lost one stays lost).
        let open_count = self.open.len();
        for (index, snapshot) in self
            .open
            .values_mut()
            .chain(finished.iter_mut())
            .enumerate()
        {
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
                // The kept snapshot moves with it; the move also stamps the
                // shipment, so the next pass reads it back anyway.
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
            let basis = eta.as_ref().map(|e| (e.basis.level, e.basis.stage));
            if !self.stored.get(&snapshot.id).is_some_and(|last| {
                last.basis == basis && is_same_verdict(&assessment, &last.verdict)
            }) {
                assessments.push(assessment);
                bases.push(basis);
            }
            if index < open_count {
                etas.push(eta);
            }
        }
        report.written = assessments.len();
        store.put_assessments(assessments.clone(), now).await?;
        for (verdict, basis) in assessments.into_iter().zip(bases) {
            self.stored
                .insert(verdict.shipment.clone(), Stored { verdict, basis });
        }
        for snapshot in &finished {
            self.stored.remove(&snapshot.id);
            self.settled.insert(snapshot.id.clone());
        }
        report.reroutes_offered = self.offer_reroutes(store, &etas, now).await?;

        // The next pass asks for what changed since a margin before this one
        // started: at least CHANGES_MARGIN, and at least the time since the
        // previous pass.
        let margin_start = now.checked_sub(CHANGES_MARGIN).unwrap_or(Timestamp::MIN);
        self.changes_since = Some(
            self.last_started
                .map_or(margin_start, |last| last.min(margin_start)),
        );
        self.last_started = Some(now);
        self.seq_max = seq_max;
        self.passes_since_full_read = if is_full_read {
            0
        } else {
            self.passes_since_full_read + 1
        };
        Ok(report)
    }

    /// Plans Smart Reroute over the delayed shipments of `smart_reroute`
    /// carriers and stores the offers.
    /// `etas` are the open shipments' ETAs, in the order of `self.open`.
    async fn offer_reroutes(
        &self,
        store: &dyn Store,
        etas: &[Option<tracklane_engine::Eta>],
        now: Timestamp,
    ) -> anyhow::Result<usize> {
        let open = &self.open;
        // Units already sent by confirmed reroutes and not yet received count
        // against the new warehouse's room (invariant 5).
        let confirmed = store
            .reroutes(&RerouteQuery {
                status: Some(RerouteStatus::Confirmed),
                limit: tracklane_store::PAGE_SIZE_MAX,
                ..RerouteQuery::default()
            })
            .await?;
        let open_ids: HashSet<&ShipmentId> = open.values().map(|s| &s.id).collect();
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
        for (snapshot, eta) in open.values().zip(etas) {
            let Some(home) = loads.iter().find(|l| l.code == snapshot.lane.warehouse) else {
                continue;
            };
            if reroute::is_candidate(snapshot, eta.as_ref(), home, now) {
                candidates.push(RerouteCandidate::of(snapshot));
            }
        }
        let plan = reroute::plan(&candidates, &loads, &self.costs);
        let carriers: HashMap<&ShipmentId, &CarrierCode> = open
            .values()
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

/// The engine's view of a stored shipment, its carrier's capabilities taken
/// from `capabilities` (by carrier code).
pub fn snapshot_of(
    detail: &ShipmentDetail,
    capabilities: &HashMap<CarrierCode, Vec<Capability>>,
) -> ShipmentSnapshot {
    let scans = detail
        .timelines
        .iter()
        .flatten()
        .map(|m| Scan::of(&m.milestone, m.received_at));
    let mut snapshot = ShipmentSnapshot::from_shipment(&detail.shipment, scans, None, None);
    snapshot.capabilities = capabilities_of(snapshot.carrier.as_ref(), capabilities);
    snapshot.is_received = !detail.receipts.is_empty();
    snapshot
}

/// The capabilities of the carrier a snapshot names (its first leg's, else
/// the one selected): none for no carrier or one not in the directory.
fn capabilities_of(
    carrier: Option<&CarrierCode>,
    capabilities: &HashMap<CarrierCode, Vec<Capability>>,
) -> Vec<Capability> {
    carrier
        .and_then(|c| capabilities.get(c))
        .cloned()
        .unwrap_or_default()
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
/// its lease runs out). The first pass after taking the lease reads every
/// open shipment and stores every verdict ([`Engine::resync`]).
pub async fn run_forever(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    period: Duration,
    holder: String,
) {
    let mut engine = Engine::new();
    let mut is_holding = false;
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !crate::hub::hold_lease(store.as_ref(), "engine", &holder, clock.now(), period).await {
            is_holding = false;
            continue;
        }
        if !is_holding {
            // Another process may have run passes since this one last did:
            // what this engine kept may be behind the store.
            engine.resync();
            is_holding = true;
        }
        let started = std::time::Instant::now();
        match engine.pass(store.as_ref(), clock.now()).await {
            Ok(report) => tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                full = report.is_full_read,
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

/// A verdict as last stored, with what its estimate rested on (the history's
/// level and the milestone conditioned on, not the count of journeys).
struct Stored {
    verdict: Assessment,
    basis: Option<(
        tracklane_engine::Level,
        Option<tracklane_core::MilestoneCode>,
    )>,
}

/// How far each quantile of an estimate may move before the stored one is
/// rewritten. An estimate conditioned on the time since the last scan moves
/// with the clock: with no tolerance, each pass rewrote a fifth to two fifths
/// of the open shipments' verdicts in the demo, every one a write that locks
/// its shipment on PostgreSQL. The ETA is shown as a day, with an interval
/// days wide; a stored estimate up to two hours behind the engine's says the
/// same, and `assessedAt` tells when it was made.
pub const ESTIMATE_REWRITE_TOLERANCE: SignedDuration = SignedDuration::from_hours(2);

/// Whether verdict `a` says what `b` said: estimates within
/// [`ESTIMATE_REWRITE_TOLERANCE`] of each other, quantile by quantile, the
/// same exceptions, whenever each was made, and no risk handled just now.
/// (The estimates' bases are compared by the caller, without the count of
/// journeys in their text, which grows with every journey learned.)
fn is_same_verdict(a: &Assessment, b: &Assessment) -> bool {
    let close =
        |x: Timestamp, y: Timestamp| x.duration_since(y).abs() <= ESTIMATE_REWRITE_TOLERANCE;
    let same_estimate = match (&a.estimate, &b.estimate) {
        (None, None) => true,
        (Some(x), Some(y)) => close(x.p10, y.p10) && close(x.p50, y.p50) && close(x.p90, y.p90),
        _ => false,
    };
    let exceptions = |x: &Assessment| {
        x.exceptions
            .iter()
            .map(|d| (d.kind.clone(), d.severity.clone(), d.evidence.clone()))
            .collect::<Vec<_>>()
    };
    a.handled.is_empty() && same_estimate && exceptions(a) == exceptions(b)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(p50: &str) -> Assessment {
        let p50: Timestamp = p50.parse().unwrap();
        Assessment {
            shipment: ShipmentId::from_random([7; 16]),
            estimate: Some(Estimate {
                p10: p50 - SignedDuration::from_hours(48),
                p50,
                p90: p50 + SignedDuration::from_hours(72),
                basis: "lane history, 40 journeys, after DEPARTED".to_owned(),
                assessed_at: p50 - SignedDuration::from_hours(240),
            }),
            exceptions: Vec::new(),
            handled: Vec::new(),
        }
    }

    #[test]
    fn an_estimate_is_rewritten_only_once_it_moves_past_the_tolerance() {
        let stored = verdict("2026-03-20T12:00:00Z");
        let mut near = verdict("2026-03-20T13:59:00Z");
        near.estimate.as_mut().unwrap().basis = "lane history, 41 journeys, after DEPARTED".into();
        assert!(is_same_verdict(&near, &stored), "within two hours");
        assert!(!is_same_verdict(&verdict("2026-03-20T14:01:00Z"), &stored));
        let mut gone = stored.clone();
        gone.estimate = None;
        assert!(!is_same_verdict(&gone, &stored));
        let mut raised = stored.clone();
        raised.exceptions.push(ExceptionDraft {
            kind: "customs_hold".into(),
            severity: "high".into(),
            since: stored.estimate.as_ref().unwrap().p10,
            evidence: "held".into(),
            next_step_en: String::new(),
            next_step_zh: String::new(),
        });
        assert!(
            !is_same_verdict(&raised, &stored),
            "a new exception is written"
        );
    }
}
