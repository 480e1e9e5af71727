//! Writes that change shipments in PostgreSQL: creating them, attaching
//! tracking numbers, appending milestones, delivery windows, automation and
//! warehouse receipts.
//!
//! They behave as the SQLite writer does (`sqlite/writer.rs`, whose module
//! docs give the semantics) and ask [`crate::rules`] for every decision. What
//! differs is how concurrent writers are kept apart. SQLite has one writer
//! thread and a cache; here a write locks each shipment it changes
//! (`SELECT … FOR UPDATE`) before it reads that shipment's packages, keeps
//! what it read in a [`Touched`] for the length of the call, and writes the
//! packages' tracks and the shipments' projections back once, at the end.
//! A batch of milestones takes its locks in `seq` order up front
//! ([`Batch::start`]), and writes that may attach a tracking number take
//! turns ([`lock_attaching`]). A repeated fact is dropped by the milestone
//! table's unique `(shipment_seq, package_seq, fingerprint)`, with no read
//! first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Row;
use tracklane_core::projection::{LatestMilestone, ShipmentFacts};
use tracklane_core::{
    CarrierCode, Fingerprint, LegMode, Package, PackageTrack, Problem, Shipment, ShipmentStatus,
    ShippingMode, TrackingSource,
};

use super::{Tx, is_unique_violation, pg};
use crate::codec::{self, PackageBody, to_json};
use crate::rules;
use crate::{
    Cancellation, Delivery, EventKind, ItemOutcome, MilestoneDraft, Principal, ReceiptRequest,
    Reconciliation, ReconciliationRequest, RecordedReceipt, ShipmentKey, StoreError, StoreResult,
    TrackingAssignment, WindowChange, WindowChangeRequest,
};

pub(crate) async fn create_shipment(t: &mut Tx<'_>, shipment: &Shipment) -> StoreResult<()> {
    let existing = t
        .query_opt(
            "SELECT 1 FROM shipment WHERE id = $1 OR confirmation_id = $2",
            &[&shipment.id.as_str(), &shipment.confirmation_id.as_str()],
        )
        .await
        .map_err(pg("checking a shipment id"))?;
    if existing.is_some() {
        return Err(shipment_taken(shipment));
    }
    let seq = insert_shipment_row(t, shipment).await?;
    for package in &shipment.packages {
        insert_package(t, seq, package).await?;
    }
    let skus: Vec<&str> = shipment
        .packages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.sku.as_str()))
        .collect();
    t.execute(
        "INSERT INTO shipment_sku (sku, shipment_seq)
         SELECT DISTINCT sku, $2::BIGINT FROM unnest($1::TEXT[]) AS sku
         ON CONFLICT DO NOTHING",
        &[&skus, &seq],
    )
    .await
    .map_err(pg("indexing a SKU"))?;
    Ok(())
}

fn shipment_taken(shipment: &Shipment) -> StoreError {
    StoreError::Conflict {
        what: "shipment",
        key: shipment.confirmation_id.to_string(),
    }
}

/// Maps an insert's driver error: a taken unique key becomes `taken`.
fn taken_or_pg(
    context: &str,
    taken: StoreError,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            taken
        } else {
            pg(context)(e)
        }
    }
}

/// Inserts the shipment row, with its projection over the packages' given
/// tracks; returns its `seq`. A replica creating the same shipment at the
/// same time gets past [`create_shipment`]'s check; the unique indexes stop
/// it here.
async fn insert_shipment_row(t: &mut Tx<'_>, shipment: &Shipment) -> StoreResult<i64> {
    let new = rules::NewShipment::of(shipment);
    let body = to_json(&new.body)?;
    let (latest_code, latest_sub_code, latest_at, latest_fingerprint) = latest_columns(new.latest);
    let window = shipment.delivery_window.map(|(w, _)| w);
    let window_source = shipment.delivery_window.map(|(_, s)| i32::from(s.number()));
    let created_us = shipment.created_at.as_microsecond();
    let row = t
        .query_one(
            "INSERT INTO shipment (id, confirmation_id, seller_id, name, warehouse, marketplace, shipping_mode,
                 freight_mode, selected_carrier, window_start, window_end, window_source,
                 allows_window_automation, is_cancelled, created_at, body, status, latest_code,
                 latest_sub_code, latest_at, latest_fingerprint, missing_tracking, carriers, sku_count,
                 box_count, units_expected, units_received, updated_at, arrival_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $24, $25, $26, $27, $15, $28)
             RETURNING seq",
            &[
                &shipment.id.as_str(),
                &shipment.confirmation_id.as_str(),
                &shipment.seller.as_str(),
                &shipment.name,
                &shipment.warehouse.as_str(),
                &i32::from(shipment.marketplace.number()),
                &i32::from(shipment.shipping_mode.number()),
                &i32::from(shipment.freight_mode.number()),
                &shipment.selected_carrier.as_ref().map(|c| c.as_str()),
                &window.map(|w| w.start_date.to_string()),
                &window.map(|w| w.end_date.to_string()),
                &window_source,
                &shipment.allows_window_automation,
                &shipment.is_cancelled,
                &created_us,
                &body,
                &i32::from(new.status.number()),
                &latest_code,
                &latest_sub_code,
                &latest_at,
                &latest_fingerprint,
                &new.missing_tracking,
                &new.carriers,
                &(shipment.sku_count() as i64),
                &(shipment.packages.len() as i64),
                &i64::from(new.facts.units_expected),
                &i64::from(new.facts.units_received),
                &crate::arrival::of_new(new.status, window),
            ],
        )
        .await
        .map_err(taken_or_pg("inserting a shipment", shipment_taken(shipment)))?;
    Ok(row.get(0))
}

/// Inserts a package of shipment `shipment_seq` with the legs it already has.
async fn insert_package(t: &mut Tx<'_>, shipment_seq: i64, package: &Package) -> StoreResult<()> {
    let body = to_json(&PackageBody {
        weight_grams: package.weight_grams,
        dimensions_mm: package.dimensions_mm,
        items: package.items.clone(),
    })?;
    let row = t
        .query_one(
            "INSERT INTO package (shipment_seq, box_id, body, track) VALUES ($1, $2, $3, $4) RETURNING seq",
            &[
                &shipment_seq,
                &package.box_id.as_str(),
                &body,
                &track_json(&package.track)?,
            ],
        )
        .await
        .map_err(taken_or_pg(
            "inserting a package",
            StoreError::Conflict {
                what: "box",
                key: package.box_id.to_string(),
            },
        ))?;
    let package_seq: i64 = row.get(0);
    for leg in &package.legs {
        t.execute(
            "INSERT INTO leg (package_seq, shipment_seq, carrier, tracking_number, mode, source, detected_by, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT DO NOTHING",
            &[
                &package_seq,
                &shipment_seq,
                &leg.carrier.as_str(),
                &leg.tracking_number.as_str(),
                &i32::from(leg.mode.number()),
                &i32::from(leg.source.number()),
                &i32::from(leg.detected_by.number()),
                &leg.added_at.as_microsecond(),
            ],
        )
        .await
        .map_err(pg("inserting a leg"))?;
    }
    Ok(())
}

pub(crate) async fn assign_tracking(
    t: &mut Tx<'_>,
    actor: &Principal,
    key: &ShipmentKey,
    assignments: &[TrackingAssignment],
    now: Timestamp,
) -> StoreResult<Vec<ItemOutcome>> {
    let not_found = || StoreError::NotFound {
        what: "shipment",
        key: key.0.clone(),
    };
    let row = t
        .query_opt(
            "SELECT seq, seller_id FROM shipment WHERE id = $1 OR confirmation_id = $1 LIMIT 1",
            &[&key.0],
        )
        .await
        .map_err(pg("finding a shipment"))?
        .ok_or_else(not_found)?;
    let (seq, owner): (i64, &str) = (row.get(0), row.get(1));
    // A seller may only touch its own shipments; carriers attach by knowing
    // the shipment, as FIST's auto-recognition does.
    if let Principal::Seller(seller) = actor
        && seller.as_str() != owner
    {
        return Err(not_found());
    }
    let now_us = now.as_microsecond();
    lock_attaching(t).await?;
    let mut touched = Touched::default();
    touched.get(t, seq).await?;
    let mut outcomes = Vec::with_capacity(assignments.len());
    for assignment in assignments {
        outcomes.push(assign_one(t, &mut touched, seq, assignment, now_us).await?);
    }
    touched.write_back(t).await?;
    Ok(outcomes)
}

/// Attaches one assignment to shipment `seq`, unless its number is another
/// carrier's or another shipment's.
async fn assign_one(
    t: &mut Tx<'_>,
    touched: &mut Touched,
    seq: i64,
    assignment: &TrackingAssignment,
    now_us: i64,
) -> StoreResult<ItemOutcome> {
    let index = assignment.index;
    let (carrier, number) = (
        assignment.carrier.as_str(),
        assignment.tracking_number.as_str(),
    );
    if is_other_carriers_number(t, carrier, number).await? {
        return Ok(ItemOutcome::Rejected {
            index,
            problem: rules::in_use_by_other_carrier(number),
        });
    }
    let known = packages_for(t, carrier, number).await?;
    if known.iter().any(|(_, shipment_seq)| *shipment_seq != seq) {
        return Ok(ItemOutcome::Rejected {
            index,
            problem: rules::in_use_by_other_shipment(number),
        });
    }
    let leg = NewLeg {
        carrier,
        number,
        box_id: assignment.box_id.as_ref().map(|b| b.as_str()),
        mode: Some(assignment.mode),
        source: assignment.source,
    };
    let known: Vec<i64> = known.into_iter().map(|(p, _)| p).collect();
    Ok(match attach(t, touched, seq, &leg, &known, now_us).await? {
        Ok(Attached {
            is_new: true,
            detected,
            ..
        }) => ItemOutcome::Accepted { index, detected },
        Ok(Attached { is_new: false, .. }) => ItemOutcome::Duplicate { index },
        Err(problem) => ItemOutcome::Rejected { index, problem },
    })
}

pub(crate) async fn append_milestones(
    t: &mut Tx<'_>,
    carrier: &CarrierCode,
    drafts: &[MilestoneDraft],
    now: Timestamp,
) -> StoreResult<Vec<ItemOutcome>> {
    let carrier = carrier.as_str();
    if may_attach(t, carrier, drafts).await? {
        lock_attaching(t).await?;
    }
    let mut batch = Batch::start(t, carrier, drafts, now).await?;
    // Resolve every item first (in order: one may attach a number a later
    // one uses), then store all their rows in one statement, then fold each
    // item in order: one round trip for the batch instead of one per item.
    let mut resolved = Vec::with_capacity(drafts.len());
    for draft in drafts {
        resolved.push(batch.resolve(t, draft).await?);
    }
    let mut fresh = batch.insert_all(t, drafts, &resolved).await?;
    let mut outcomes = Vec::with_capacity(drafts.len());
    for (draft, found) in drafts.iter().zip(resolved) {
        let index = draft.index;
        outcomes.push(match found {
            Err(problem) => ItemOutcome::Rejected { index, problem },
            Ok((packages, detected)) => {
                if batch.append(t, draft, &packages, &mut fresh).await? {
                    ItemOutcome::Accepted { index, detected }
                } else {
                    ItemOutcome::Duplicate { index }
                }
            }
        });
    }
    batch.touched.write_back(t).await?;
    Ok(outcomes)
}

/// A resolved item: its (package, shipment) pairs and whether its carrier was
/// detected, or why it is refused.
type Resolved = Result<(Vec<(i64, i64)>, bool), Problem>;

/// The advisory lock of writes that may attach a tracking number.
const ATTACH_LOCK: i64 = 0x7472_6163_6b61_7474; // "trackatt"

/// Makes writes that may attach a tracking number take turns, across
/// replicas. Attaching first checks that no other shipment or carrier has
/// the number; two writers attaching one new number to two shipments at
/// once would both pass that check, as there is no row yet to lock. Taken
/// before any shipment is locked, so it never closes a cycle of waits.
/// Appends to numbers already attached, the bulk of writes, never take it.
async fn lock_attaching(t: &mut Tx<'_>) -> StoreResult<()> {
    t.execute("SELECT pg_advisory_xact_lock($1)", &[&ATTACH_LOCK])
        .await
        .map_err(pg("waiting for other writers attaching tracking numbers"))?;
    Ok(())
}

/// Whether a batch may attach a number: whether one of its drafts names a
/// shipment and has a number `carrier` has no leg with yet. Legs are never
/// removed, so a batch that may not attach now never will.
async fn may_attach(t: &mut Tx<'_>, carrier: &str, drafts: &[MilestoneDraft]) -> StoreResult<bool> {
    let numbers: Vec<&str> = drafts
        .iter()
        .filter(|d| d.shipment.is_some())
        .map(|d| d.tracking_number.as_str())
        .collect();
    if numbers.is_empty() {
        return Ok(false);
    }
    let row = t
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM unnest($2::TEXT[]) AS n
                 WHERE NOT EXISTS (SELECT 1 FROM leg WHERE carrier = $1 AND tracking_number = n))",
            &[&carrier, &numbers],
        )
        .await
        .map_err(pg("looking for new tracking numbers"))?;
    Ok(row.get(0))
}

/// Stores the milestones of a batch: a row for each item and package, unless
/// the package has that fact already (from before, or from an earlier item of
/// the batch: rows go in in item order). Returns the (package, fingerprint)
/// pairs that got a row.
///
/// The conflict target is the table's dedupe key, which holds the partition
/// key `shipment_seq` as a partitioned table's unique keys must; a package is
/// on one shipment, so it is `(package_seq, fingerprint)` in effect.
pub(super) const INSERT_MILESTONES: &str = "
    INSERT INTO milestone (package_seq, shipment_seq, code, sub_code, raw_code, description, city,
        region, country_code, occurred_at, received_at, carrier, tracking_number, event_id, fingerprint)
    SELECT p, s, c, sc, rc, d, ci, re, co, o, $11, $12, n, e, f
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::INTEGER[], $4::INTEGER[], $5::TEXT[], $6::TEXT[],
        $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BIGINT[], $13::TEXT[], $14::TEXT[], $15::BIGINT[])
        AS m (p, s, c, sc, rc, d, ci, re, co, o, n, e, f)
    ON CONFLICT (shipment_seq, package_seq, fingerprint) DO NOTHING
    RETURNING package_seq, fingerprint";

/// A batch of one carrier's milestones on its way in.
struct Batch<'a> {
    carrier: &'a str,
    now_us: i64,
    /// The shipments it has locked, with their packages' state.
    touched: Touched,
    /// The packages each of its numbers is on for `carrier`, as (package,
    /// shipment) pairs grouped by shipment; a number it attaches is added.
    known: HashMap<String, Vec<(i64, i64)>>,
}

impl<'a> Batch<'a> {
    /// Locks, in `seq` order, every shipment the batch may change that
    /// exists: those with a leg of one of its numbers for `carrier`, and
    /// those it names. Two replicas appending overlapping batches then wait
    /// for each other instead of each holding a lock the other needs. The
    /// numbers are resolved once the locks are held, so that no other write
    /// adds a box to one of them in between.
    async fn start(
        t: &mut Tx<'_>,
        carrier: &'a str,
        drafts: &[MilestoneDraft],
        now: Timestamp,
    ) -> StoreResult<Self> {
        let numbers: Vec<&str> = drafts.iter().map(|d| d.tracking_number.as_str()).collect();
        let keys: Vec<&str> = drafts
            .iter()
            .filter_map(|d| d.shipment.as_ref().map(|k| k.0.as_str()))
            .collect();
        let seqs: Vec<i64> = t
            .query(
                "SELECT shipment_seq FROM leg WHERE carrier = $1 AND tracking_number = ANY($2)
                 UNION
                 SELECT seq FROM shipment WHERE id = ANY($3) OR confirmation_id = ANY($3)",
                &[&carrier, &numbers, &keys],
            )
            .await
            .map_err(pg("finding a batch's shipments"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut touched = Touched::default();
        touched.lock(t, &seqs).await?;
        let rows = t
            .query(
                "SELECT tracking_number, package_seq, shipment_seq FROM leg
                 WHERE carrier = $1 AND tracking_number = ANY($2)
                 ORDER BY shipment_seq, package_seq",
                &[&carrier, &numbers],
            )
            .await
            .map_err(pg("resolving tracking numbers"))?;
        let mut known: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for row in &rows {
            known
                .entry(row.get(0))
                .or_default()
                .push((row.get(1), row.get(2)));
        }
        Ok(Self {
            carrier,
            now_us: now.as_microsecond(),
            touched,
            known,
        })
    }

    /// Resolves one draft to the packages it is about, as (package,
    /// shipment) pairs, and whether its carrier was detected: attaches the
    /// number when the carrier named the shipment (auto-recognition).
    async fn resolve(&mut self, t: &mut Tx<'_>, draft: &MilestoneDraft) -> StoreResult<Resolved> {
        let (carrier, number) = (self.carrier, draft.tracking_number.as_str());
        if let Some(known) = self.known.get(number) {
            return Ok(Ok((known.clone(), false)));
        }
        let Some(key) = &draft.shipment else {
            return Ok(Err(
                if is_other_carriers_number(t, carrier, number).await? {
                    rules::not_yours(number)
                } else {
                    rules::unknown_number(number)
                },
            ));
        };
        let Some(seq) = shipment_seq(t, key).await? else {
            return Ok(Err(rules::shipment_not_found(&key.0, "shipmentId")));
        };
        let leg = NewLeg {
            carrier,
            number,
            box_id: draft.box_id.as_ref().map(|b| b.as_str()),
            mode: None,
            source: TrackingSource::Carrier,
        };
        let attached = match attach(t, &mut self.touched, seq, &leg, &[], self.now_us).await? {
            Ok(attached) => attached,
            Err(problem) => return Ok(Err(problem)),
        };
        let packages: Vec<(i64, i64)> = attached.packages.iter().map(|p| (*p, seq)).collect();
        if !packages.is_empty() {
            self.known.insert(number.to_owned(), packages.clone());
        }
        Ok(Ok((packages, attached.detected)))
    }

    /// Folds `draft`'s milestone into the tracks of those of `packages`
    /// (package, shipment) that got its row, taking each from `fresh`, so a
    /// later item with the same fact is a duplicate; tells webhooks when a
    /// package's latest milestone changed. Returns whether any package got it.
    async fn append(
        &mut self,
        t: &mut Tx<'_>,
        draft: &MilestoneDraft,
        packages: &[(i64, i64)],
        fresh: &mut HashSet<(i64, i64)>,
    ) -> StoreResult<bool> {
        // `packages` comes grouped by shipment.
        let mut shipment_seqs: Vec<i64> = packages.iter().map(|(_, s)| *s).collect();
        shipment_seqs.dedup();
        let fingerprint = draft.milestone.fingerprint().0 as i64;
        let fresh: Vec<i64> = packages
            .iter()
            .filter(|(p, _)| fresh.remove(&(*p, fingerprint)))
            .map(|(p, _)| *p)
            .collect();
        let milestone = LatestMilestone::of(&draft.milestone);
        for shipment_seq in shipment_seqs {
            let shipment = self.touched.get(t, shipment_seq).await?;
            let mut is_stored = false;
            let mut is_latest_changed = false;
            for package in shipment
                .packages
                .iter_mut()
                .filter(|p| fresh.contains(&p.seq))
            {
                is_latest_changed |= package.track.apply(milestone.clone());
                package.is_track_changed = true;
                is_stored = true;
            }
            if !is_stored {
                continue;
            }
            // One fact per item and shipment, however many of its boxes
            // share the number: SQLite's count.
            shipment.new_milestones += 1;
            shipment.changed_at = Some(self.now_us);
            if is_latest_changed {
                let subject =
                    Delivery::milestone_subject(self.carrier, draft.tracking_number.as_str());
                t.emit(
                    EventKind::MilestoneChanged,
                    shipment_seq,
                    &subject,
                    Some(self.carrier),
                    &Value::Null,
                    self.now_us,
                )
                .await?;
            }
        }
        Ok(!fresh.is_empty())
    }

    /// Stores the rows of every resolved item in one statement, after
    /// locking every shipment they touch (in `start`, but a number may have
    /// gained a shipment since), so that the tracks read hold every fact
    /// stored before these and none after. Returns the (package, stored
    /// fingerprint) pairs that got a row.
    async fn insert_all(
        &mut self,
        t: &mut Tx<'_>,
        drafts: &[MilestoneDraft],
        resolved: &[Resolved],
    ) -> StoreResult<HashSet<(i64, i64)>> {
        let mut shipment_seqs: Vec<i64> = resolved
            .iter()
            .flatten()
            .flat_map(|(packages, _)| packages.iter().map(|(_, s)| *s))
            .collect();
        shipment_seqs.sort_unstable();
        shipment_seqs.dedup();
        self.touched.lock(t, &shipment_seqs).await?;
        let mut rows = MilestoneColumns::default();
        for (draft, found) in drafts.iter().zip(resolved) {
            if let Ok((packages, _)) = found {
                for (package, shipment) in packages {
                    rows.push(*package, *shipment, draft);
                }
            }
        }
        if rows.package.is_empty() {
            return Ok(HashSet::new());
        }
        let stored = t
            .query(
                INSERT_MILESTONES,
                &[
                    &rows.package,
                    &rows.shipment,
                    &rows.code,
                    &rows.sub_code,
                    &rows.raw_code,
                    &rows.description,
                    &rows.city,
                    &rows.region,
                    &rows.country_code,
                    &rows.occurred_at,
                    &self.now_us,
                    &self.carrier,
                    &rows.tracking_number,
                    &rows.event_id,
                    &rows.fingerprint,
                ],
            )
            .await
            .map_err(pg("appending milestones"))?;
        Ok(stored.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// The columns of a batch's milestone rows, one array each, for `unnest`.
#[derive(Default)]
struct MilestoneColumns<'a> {
    package: Vec<i64>,
    shipment: Vec<i64>,
    code: Vec<i32>,
    sub_code: Vec<Option<i32>>,
    raw_code: Vec<Option<&'a str>>,
    description: Vec<Option<&'a str>>,
    city: Vec<Option<&'a str>>,
    region: Vec<Option<&'a str>>,
    country_code: Vec<Option<&'a str>>,
    occurred_at: Vec<i64>,
    tracking_number: Vec<&'a str>,
    event_id: Vec<Option<&'a str>>,
    fingerprint: Vec<i64>,
}

impl<'a> MilestoneColumns<'a> {
    fn push(&mut self, package: i64, shipment: i64, draft: &'a MilestoneDraft) {
        let m = &draft.milestone;
        self.package.push(package);
        self.shipment.push(shipment);
        self.code.push(i32::from(m.code.number()));
        self.sub_code
            .push(m.sub_code.map(|s| i32::from(s.number())));
        self.raw_code.push(m.raw_code.as_deref());
        self.description.push(m.description.as_deref());
        self.city.push(m.location.city.as_deref());
        self.region.push(m.location.region.as_deref());
        self.country_code.push(m.location.country_code.as_deref());
        self.occurred_at.push(m.occurred_at.as_microsecond());
        self.tracking_number.push(draft.tracking_number.as_str());
        self.event_id.push(m.event_id.as_deref());
        // Stored as the signed twin of the u64 fingerprint.
        self.fingerprint.push(m.fingerprint().0 as i64);
    }
}

/// A tracking number to attach to boxes of one shipment.
struct NewLeg<'a> {
    carrier: &'a str,
    number: &'a str,
    /// The box; `None` for every box of a freight or one-box shipment.
    box_id: Option<&'a str>,
    /// How the leg travels; `None` for the shipment's own mode.
    mode: Option<LegMode>,
    source: TrackingSource,
}

/// What attaching a tracking number did.
struct Attached {
    /// The packages the number now belongs to.
    packages: Vec<i64>,
    /// Whether the carrier was not the one the seller selected.
    detected: bool,
    /// False when the number was already on exactly these packages.
    is_new: bool,
}

/// Attaches `leg` to packages of shipment `seq`, given the packages `known`
/// to carry its number for its carrier already. Returns the packages, or
/// the problem that stopped it.
async fn attach(
    t: &mut Tx<'_>,
    touched: &mut Touched,
    seq: i64,
    leg: &NewLeg<'_>,
    known: &[i64],
    now_us: i64,
) -> StoreResult<Result<Attached, Problem>> {
    let shipment = touched.get(t, seq).await?;
    let shape = rules::Shape {
        shipping_mode: shipment.shipping_mode,
        selected_carrier: shipment.selected_carrier.as_deref(),
        boxes: shipment
            .packages
            .iter()
            .map(|p| (p.seq, p.box_id.as_str()))
            .collect(),
    };
    let targets = match shape.targets(leg.box_id) {
        Ok(targets) => targets,
        Err(problem) => return Ok(Err(problem)),
    };
    let (detected, detected_by) = shape.detection(leg.carrier, leg.source);
    let mode = leg.mode.unwrap_or_else(|| shape.default_leg_mode());
    // The same number on the same boxes again changes nothing: a resent
    // upload is a duplicate, not a new fact, and must not move `updatedAt`.
    if targets.iter().all(|p| known.contains(p)) {
        return Ok(Ok(Attached {
            packages: targets,
            detected,
            is_new: false,
        }));
    }
    t.execute(
        "INSERT INTO leg (package_seq, shipment_seq, carrier, tracking_number, mode, source, detected_by, added_at)
         SELECT p, $2::BIGINT, $3::TEXT, $4::TEXT, $5::INTEGER, $6::INTEGER, $7::INTEGER, $8::BIGINT
         FROM unnest($1::BIGINT[]) AS p
         ON CONFLICT DO NOTHING",
        &[
            &targets,
            &seq,
            &leg.carrier,
            &leg.number,
            &i32::from(mode.number()),
            &i32::from(leg.source.number()),
            &i32::from(detected_by.number()),
            &now_us,
        ],
    )
    .await
    .map_err(pg("attaching a tracking number"))?;
    for package in &mut shipment.packages {
        package.has_tracking |= targets.contains(&package.seq);
    }
    if !shipment.carriers.iter().any(|c| c == leg.carrier) {
        shipment.carriers.push(leg.carrier.to_owned());
    }
    shipment.changed_at = Some(now_us);
    Ok(Ok(Attached {
        packages: targets,
        detected,
        is_new: true,
    }))
}

/// The `seq` of the shipment `key` names.
async fn shipment_seq(t: &mut Tx<'_>, key: &ShipmentKey) -> StoreResult<Option<i64>> {
    let row = t
        .query_opt(
            "SELECT seq FROM shipment WHERE id = $1 OR confirmation_id = $1 LIMIT 1",
            &[&key.0],
        )
        .await
        .map_err(pg("finding a shipment"))?;
    Ok(row.map(|r| r.get(0)))
}

/// The packages carrying `number` for `carrier`, as (package, shipment)
/// pairs grouped by shipment.
/// The internal sequence of the shipment `key` names, which must exist.
///
/// # Errors
/// [`StoreError::NotFound`] when no shipment has that id.
async fn stored_shipment_seq(t: &mut Tx<'_>, key: &ShipmentKey) -> StoreResult<i64> {
    shipment_seq(t, key)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "shipment",
            key: key.0.clone(),
        })
}

async fn packages_for(t: &mut Tx<'_>, carrier: &str, number: &str) -> StoreResult<Vec<(i64, i64)>> {
    let rows = t
        .query(
            "SELECT package_seq, shipment_seq FROM leg WHERE tracking_number = $1 AND carrier = $2
             ORDER BY shipment_seq, package_seq",
            &[&number, &carrier],
        )
        .await
        .map_err(pg("resolving a tracking number"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Whether any carrier other than `carrier` has a leg with `number`.
async fn is_other_carriers_number(
    t: &mut Tx<'_>,
    carrier: &str,
    number: &str,
) -> StoreResult<bool> {
    let row = t
        .query_opt(
            "SELECT 1 FROM leg WHERE tracking_number = $1 AND carrier <> $2 LIMIT 1",
            &[&number, &carrier],
        )
        .await
        .map_err(pg("checking a tracking number's carrier"))?;
    Ok(row.is_some())
}

/// A package of a locked shipment, with its tracking state.
struct PackageState {
    seq: i64,
    box_id: String,
    track: PackageTrack,
    has_tracking: bool,
    /// Whether `track` changed in this write and must be written back.
    is_track_changed: bool,
}

/// A shipment this write has locked: what attaching and appending read,
/// and what they changed, written back by [`Touched::write_back`].
struct LockedShipment {
    selected_carrier: Option<String>,
    shipping_mode: ShippingMode,
    facts: ShipmentFacts,
    /// The carriers of its legs, in the order they were first attached.
    carriers: Vec<String>,
    /// Its packages, in box order.
    packages: Vec<PackageState>,
    /// Milestone facts stored for it by this write.
    new_milestones: i64,
    /// When its projection changed in this write, if it did.
    changed_at: Option<i64>,
}

impl LockedShipment {
    /// Its status as it stands in this write.
    fn status(&self) -> ShipmentStatus {
        let (status, _, _) = rules::projection(
            self.facts,
            self.packages.iter().map(|p| (&p.track, p.has_tracking)),
        );
        status
    }
}

/// The shipments a write has locked, by `seq`.
#[derive(Default)]
struct Touched(BTreeMap<i64, LockedShipment>);

impl Touched {
    /// Locks, in `seq` order, those of shipments `seqs` not locked yet, and
    /// reads what attaching and appending need of them.
    async fn lock(&mut self, t: &mut Tx<'_>, seqs: &[i64]) -> StoreResult<()> {
        let new: Vec<i64> = seqs
            .iter()
            .copied()
            .filter(|s| !self.0.contains_key(s))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let rows = t
            .query(
                "SELECT seq, selected_carrier, shipping_mode, is_cancelled, units_expected, units_received, carriers,
                     checked_in_at IS NOT NULL, receiving_closed_at IS NOT NULL
                 FROM shipment WHERE seq = ANY($1) ORDER BY seq FOR UPDATE",
                &[&new],
            )
            .await
            .map_err(pg("locking shipments"))?;
        for row in &rows {
            self.0.insert(row.get(0), locked_shipment(row)?);
        }
        let packages = t
            .query(
                "SELECT shipment_seq, seq, box_id, track,
                     EXISTS (SELECT 1 FROM leg WHERE leg.package_seq = package.seq)
                 FROM package WHERE shipment_seq = ANY($1) ORDER BY seq",
                &[&new],
            )
            .await
            .map_err(pg("reading shipments' packages"))?;
        for row in &packages {
            if let Some(shipment) = self.0.get_mut(&row.get::<_, i64>(0)) {
                shipment.packages.push(PackageState {
                    seq: row.get(1),
                    box_id: row.get(2),
                    track: track_from_json(row.get(3))?,
                    has_tracking: row.get(4),
                    is_track_changed: false,
                });
            }
        }
        Ok(())
    }

    /// Shipment `seq`, locked and read the first time it is asked for.
    async fn get(&mut self, t: &mut Tx<'_>, seq: i64) -> StoreResult<&mut LockedShipment> {
        self.lock(t, &[seq]).await?;
        self.0
            .get_mut(&seq)
            .ok_or_else(|| StoreError::Corrupt(format!("shipment {seq} has vanished")))
    }

    /// Writes the tracks of the packages that changed and the projection
    /// of every shipment that changed.
    async fn write_back(self, t: &mut Tx<'_>) -> StoreResult<()> {
        let mut package_seqs = Vec::new();
        let mut tracks = Vec::new();
        for package in self.0.values().flat_map(|s| &s.packages) {
            if package.is_track_changed {
                package_seqs.push(package.seq);
                tracks.push(track_json(&package.track)?);
            }
        }
        if !package_seqs.is_empty() {
            t.execute(
                "UPDATE package SET track = changed.track
                 FROM unnest($1::BIGINT[], $2::TEXT[]) AS changed (seq, track)
                 WHERE package.seq = changed.seq",
                &[&package_seqs, &tracks],
            )
            .await
            .map_err(pg("storing packages' tracks"))?;
        }
        let mut rows = ProjectionColumns::default();
        for (seq, shipment) in &self.0 {
            if let Some(changed_at) = shipment.changed_at {
                rows.push(*seq, shipment, changed_at);
            }
        }
        if rows.seq.is_empty() {
            return Ok(());
        }
        t.execute(
            UPDATE_PROJECTIONS,
            &[
                &rows.seq,
                &rows.status,
                &rows.latest_code,
                &rows.latest_sub_code,
                &rows.latest_at,
                &rows.latest_fingerprint,
                &rows.missing_tracking,
                &rows.carriers,
                &rows.new_milestones,
                &rows.changed_at,
                &rows.arrival_order,
            ],
        )
        .await
        .map_err(pg("updating shipments' projections"))?;
        Ok(())
    }
}

/// [`refresh_arrival`]'s statement.
static REFRESH_ARRIVAL: LazyLock<String> =
    LazyLock::new(|| crate::arrival::refresh_sql(super::schema::WINDOW_START_US, '$'));

/// Brings shipment `seq`'s arrival order up to date with its status,
/// estimate and window (see [`crate::arrival`]).
pub(crate) async fn refresh_arrival(t: &Tx<'_>, seq: i64) -> StoreResult<()> {
    t.execute(REFRESH_ARRIVAL.as_str(), &[&seq])
        .await
        .map(drop)
        .map_err(pg("ordering a shipment by arrival"))
}

/// A locked shipment from its row, without its packages yet.
fn locked_shipment(row: &Row) -> StoreResult<LockedShipment> {
    let seq: i64 = row.get(0);
    let units = |i: usize| {
        let n: i64 = row.get(i);
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("units {n} of shipment {seq}")))
    };
    let carriers: &str = row.get(6);
    Ok(LockedShipment {
        selected_carrier: row.get(1),
        shipping_mode: codec::coded(
            i64::from(row.get::<_, i32>(2)),
            ShippingMode::from_number,
            "shipping mode",
        )?,
        facts: ShipmentFacts {
            is_cancelled: row.get(3),
            units_expected: units(4)?,
            units_received: units(5)?,
            is_checked_in: row.get(7),
            is_receiving_closed: row.get(8),
        },
        carriers: carriers.split_whitespace().map(str::to_owned).collect(),
        packages: Vec::new(),
        new_milestones: 0,
        changed_at: None,
    })
}

/// Rewrites a shipment's projection columns; `updated_at` moves to the
/// time of the change unless it is later already.
/// Rewrites the projection columns of the shipments changed, one array per
/// column, for `unnest`. The arrival order changes only for a shipment that
/// is finished (see [`crate::arrival`]); NULL keeps the stored one.
const UPDATE_PROJECTIONS: &str = "
    UPDATE shipment SET status = p.status, latest_code = p.code, latest_sub_code = p.sub_code,
        latest_at = p.at, latest_fingerprint = p.fingerprint, missing_tracking = p.missing,
        carriers = p.carriers, milestone_count = milestone_count + p.added,
        updated_at = GREATEST(updated_at, p.changed_at),
        arrival_order = COALESCE(p.arrival_order, shipment.arrival_order)
    FROM unnest($1::BIGINT[], $2::INTEGER[], $3::INTEGER[], $4::INTEGER[], $5::BIGINT[], $6::BIGINT[],
        $7::BOOLEAN[], $8::TEXT[], $9::BIGINT[], $10::BIGINT[], $11::BIGINT[])
        AS p (seq, status, code, sub_code, at, fingerprint, missing, carriers, added, changed_at,
            arrival_order)
    WHERE shipment.seq = p.seq";

/// The projection columns of changed shipments, from their packages' tracks.
#[derive(Default)]
struct ProjectionColumns {
    seq: Vec<i64>,
    status: Vec<i32>,
    latest_code: Vec<Option<i32>>,
    latest_sub_code: Vec<Option<i32>>,
    latest_at: Vec<Option<i64>>,
    latest_fingerprint: Vec<Option<i64>>,
    missing_tracking: Vec<bool>,
    carriers: Vec<String>,
    new_milestones: Vec<i64>,
    changed_at: Vec<i64>,
    arrival_order: Vec<Option<i64>>,
}

impl ProjectionColumns {
    fn push(&mut self, seq: i64, shipment: &LockedShipment, changed_at: i64) {
        let (status, latest, missing_tracking) = rules::projection(
            shipment.facts,
            shipment.packages.iter().map(|p| (&p.track, p.has_tracking)),
        );
        let (code, sub_code, at, fingerprint) = latest_columns(latest);
        self.seq.push(seq);
        self.status.push(i32::from(status.number()));
        self.latest_code.push(code);
        self.latest_sub_code.push(sub_code);
        self.latest_at.push(at);
        self.latest_fingerprint.push(fingerprint);
        self.missing_tracking.push(missing_tracking);
        self.carriers.push(shipment.carriers.join(" "));
        self.new_milestones.push(shipment.new_milestones);
        self.changed_at.push(changed_at);
        self.arrival_order
            .push(crate::arrival::is_finished(status).then_some(crate::arrival::ARRIVAL_FINISHED));
    }
}

/// The stored forms of a shipment's latest milestone: code, sub-code, time
/// and fingerprint (the signed twin of the u64).
fn latest_columns(
    latest: Option<&LatestMilestone>,
) -> (Option<i32>, Option<i32>, Option<i64>, Option<i64>) {
    (
        latest.map(|l| i32::from(l.code.number())),
        latest.and_then(|l| l.sub_code.map(|s| i32::from(s.number()))),
        latest.map(|l| l.occurred_at.as_microsecond()),
        latest.map(|l| l.fingerprint.0 as i64),
    )
}

/// A package's `track` column: its [`PackageTrack`] as serde writes it,
/// plus the latest milestone's fingerprint, which that form skips but the
/// next append needs to order facts of the same instant as SQLite does.
/// A reader that decodes a plain `PackageTrack` ignores the extra field.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredTrack {
    #[serde(flatten)]
    track: PackageTrack,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latest_fingerprint: Option<u64>,
}

fn track_json(track: &PackageTrack) -> StoreResult<String> {
    to_json(&StoredTrack {
        track: track.clone(),
        latest_fingerprint: track.latest.as_ref().map(|l| l.fingerprint.0),
    })
}

fn track_from_json(text: &str) -> StoreResult<PackageTrack> {
    let StoredTrack {
        mut track,
        latest_fingerprint,
    } = codec::from_json(text)?;
    if let (Some(latest), Some(fingerprint)) = (track.latest.as_mut(), latest_fingerprint) {
        latest.fingerprint = Fingerprint(fingerprint);
    }
    Ok(track)
}

pub(crate) async fn set_delivery_window(
    t: &mut Tx<'_>,
    key: &ShipmentKey,
    change: &WindowChangeRequest,
) -> StoreResult<WindowChange> {
    let seq = stored_shipment_seq(t, key).await?;
    change_window(t, seq, change).await
}

/// Sets shipment `seq`'s window and audits it: the one path for sellers,
/// carriers, automation and reroutes (DESIGN.md invariant 4).
pub(crate) async fn change_window(
    t: &mut Tx<'_>,
    seq: i64,
    change: &WindowChangeRequest,
) -> StoreResult<WindowChange> {
    // Locked, so that the audit's `from` is the window this change replaces.
    let row = t
        .query_opt(
            "SELECT window_start, window_end FROM shipment WHERE seq = $1 FOR UPDATE",
            &[&seq],
        )
        .await
        .map_err(pg("reading a delivery window"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "shipment",
            key: seq.to_string(),
        })?;
    let from = codec::window(row.get(0), row.get(1))?;
    let to = change.window;
    let (to_start, to_end) = (to.start_date.to_string(), to.end_date.to_string());
    let source = i32::from(change.source.number());
    let now_us = change.now.as_microsecond();
    t.execute(
        "UPDATE shipment SET window_start = $2, window_end = $3, window_source = $4, updated_at = $5
         WHERE seq = $1",
        &[&seq, &to_start, &to_end, &source, &now_us],
    )
    .await
    .map_err(pg("setting a delivery window"))?;
    refresh_arrival(t, seq).await?;
    t.execute(
        "INSERT INTO window_change (shipment_seq, at, actor, from_start, from_end, to_start, to_end, source, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &seq,
            &now_us,
            &change.actor,
            &from.map(|f| f.start_date.to_string()),
            &from.map(|f| f.end_date.to_string()),
            &to_start,
            &to_end,
            &source,
            &change.reason,
        ],
    )
    .await
    .map_err(pg("auditing a delivery window"))?;
    let audited = WindowChange::of(change, from);
    if t.wants(EventKind::WindowChanged).await? {
        let payload = codec::to_value(&audited)?;
        t.emit(EventKind::WindowChanged, seq, "", None, &payload, now_us)
            .await?;
    }
    Ok(audited)
}

pub(crate) async fn set_window_automation(
    t: &mut Tx<'_>,
    key: &ShipmentKey,
    allowed: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let changed = t
        .execute(
            "UPDATE shipment SET allows_window_automation = $2, updated_at = $3
             WHERE id = $1 OR confirmation_id = $1",
            &[&key.0, &allowed, &now.as_microsecond()],
        )
        .await
        .map_err(pg("setting window automation"))?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "shipment",
            key: key.0.clone(),
        });
    }
    Ok(())
}

/// Records a warehouse receipt, as the SQLite writer's `record_receipt` does.
pub(crate) async fn record_receipt(
    t: &mut Tx<'_>,
    key: &ShipmentKey,
    request: &ReceiptRequest,
) -> StoreResult<RecordedReceipt> {
    let seq = stored_shipment_seq(t, key).await?;
    let mut touched = Touched::default();
    let shipment = touched.get(t, seq).await?;
    let boxes = t
        .query(
            "SELECT seq, body FROM package WHERE shipment_seq = $1 ORDER BY seq",
            &[&seq],
        )
        .await
        .map_err(pg("reading a shipment's boxes"))?;
    let mut bodies = boxes
        .iter()
        .map(|r| codec::from_json::<PackageBody>(r.get(1)))
        .collect::<StoreResult<Vec<_>>>()?;
    let received = rules::receive(&mut bodies, &request.lines);
    let now_us = request.now.as_microsecond();
    let takes_effect = rules::receipt_takes_effect(&received, request, shipment.facts);
    if takes_effect {
        let mut package_seqs = Vec::with_capacity(received.changed_boxes.len());
        let mut package_bodies = Vec::with_capacity(received.changed_boxes.len());
        for &b in &received.changed_boxes {
            package_seqs.push(boxes[b].get::<_, i64>(0));
            package_bodies.push(to_json(&bodies[b])?);
        }
        t.execute(
            "UPDATE package SET body = changed.body
             FROM unnest($1::BIGINT[], $2::TEXT[]) AS changed (seq, body)
             WHERE package.seq = changed.seq",
            &[&package_seqs, &package_bodies],
        )
        .await
        .map_err(pg("storing boxes' received units"))?;
        let facts = &mut shipment.facts;
        facts.units_received = received.units_received;
        facts.is_checked_in = true;
        facts.is_receiving_closed |= request.closes;
        t.execute(
            "UPDATE shipment SET units_received = $2, checked_in_at = coalesce(checked_in_at, $3),
                 receiving_closed_at = CASE WHEN $4 THEN coalesce(receiving_closed_at, $3) END
             WHERE seq = $1",
            &[
                &seq,
                &i64::from(facts.units_received),
                &now_us,
                &facts.is_receiving_closed,
            ],
        )
        .await
        .map_err(pg("recording a receipt"))?;
        t.execute(
            "INSERT INTO receipt (shipment_seq, at, actor, changes, closes) VALUES ($1, $2, $3, $4, $5)",
            &[
                &seq,
                &now_us,
                &request.actor,
                &to_json(&received.changes)?,
                &request.closes,
            ],
        )
        .await
        .map_err(pg("auditing a receipt"))?;
        shipment.changed_at = Some(now_us);
    }
    let facts = shipment.facts;
    let status = shipment.status();
    touched.write_back(t).await?;
    let recorded = RecordedReceipt {
        items: received.outcomes,
        status,
        units_received: facts.units_received,
        units_expected: facts.units_expected,
    };
    if takes_effect && t.wants(EventKind::ReceiptRecorded).await? {
        let payload = crate::webhook::receipt_payload(request, received.changes, &recorded)?;
        t.emit(EventKind::ReceiptRecorded, seq, "", None, &payload, now_us)
            .await?;
    }
    Ok(recorded)
}

/// Cancels a shipment, as the SQLite writer's `cancel` does.
pub(crate) async fn cancel_shipment(
    t: &mut Tx<'_>,
    key: &ShipmentKey,
    now: Timestamp,
) -> StoreResult<Cancellation> {
    let seq = stored_shipment_seq(t, key).await?;
    let mut touched = Touched::default();
    let shipment = touched.get(t, seq).await?;
    let outcome = rules::cancellation(shipment.status());
    if outcome == Cancellation::Cancelled {
        t.execute(
            "UPDATE shipment SET is_cancelled = TRUE WHERE seq = $1",
            &[&seq],
        )
        .await
        .map_err(pg("cancelling a shipment"))?;
        shipment.facts.is_cancelled = true;
        shipment.changed_at = Some(now.as_microsecond());
        touched.write_back(t).await?;
    }
    Ok(outcome)
}

/// Records a reconciliation request, as the SQLite writer's
/// `request_reconciliation` does.
pub(crate) async fn request_reconciliation(
    t: &mut Tx<'_>,
    key: &ShipmentKey,
    by: &str,
    now: Timestamp,
) -> StoreResult<Reconciliation> {
    let Some(seq) = shipment_seq(t, key).await? else {
        return Err(StoreError::NotFound {
            what: "shipment",
            key: key.0.clone(),
        });
    };
    let mut touched = Touched::default();
    let shipment = touched.get(t, seq).await?;
    let row = t
        .query_one(
            "SELECT reconciliation_requested_at, reconciliation_requested_by FROM shipment WHERE seq = $1",
            &[&seq],
        )
        .await
        .map_err(pg("reading a reconciliation request"))?;
    let recorded = match (
        row.get::<_, Option<i64>>(0),
        row.get::<_, Option<String>>(1),
    ) {
        (Some(at), Some(by)) => Some(ReconciliationRequest {
            at: codec::timestamp(at)?,
            by,
        }),
        _ => None,
    };
    if let Some(outcome) = rules::reconciliation(shipment.facts, shipment.status(), recorded) {
        return Ok(outcome);
    }
    let now_us = now.as_microsecond();
    t.execute(
        "UPDATE shipment SET reconciliation_requested_at = $2, reconciliation_requested_by = $3 WHERE seq = $1",
        &[&seq, &now_us, &by],
    )
    .await
    .map_err(pg("recording a reconciliation request"))?;
    shipment.changed_at = Some(now_us);
    touched.write_back(t).await?;
    Ok(Reconciliation::Requested(ReconciliationRequest {
        at: codec::timestamp(now_us)?,
        by: by.to_owned(),
    }))
}
