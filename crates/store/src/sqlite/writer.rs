//! The single writer: one thread owns the SQLite write connection and runs every
//! write as a job inside a transaction. Jobs that queue up while a commit is in
//! flight are grouped into the next transaction (group commit), and each caller
//! hears back only after the commit. A failed job must lose nothing else, so
//! each job runs inside its own savepoint; but a savepoint copies every page a
//! job touches, so a group of jobs that can run again ([`Task::can_rerun`],
//! the bundles of [`crate::Store::apply`]) first runs without them, and only if
//! one fails is the group rolled back and run again, one savepoint each.
//! Such a group also writes each changed shipment's projection row once, just
//! before it commits, rather than after every job that changed it.
//!
//! A scratch store ([`Durability::Scratch`], for replays and benchmarks whose
//! file is thrown away) answers a group of rerunnable jobs as soon as it has
//! run, and commits once [`SCRATCH_JOBS_PER_COMMIT`] jobs wait, before any
//! other job and before any read: each commit writes every page it changed to
//! the WAL, and a page many groups change is written once rather than once per
//! group. It keeps the answered jobs until their commit: if a later group
//! fails, everything uncommitted is rolled back and they run again first.
//!
//! The writer keeps a cache of the projection it maintains (shipments with the
//! head of their milestone chain and their packages, packages with their tracking
//! state and fingerprints folded from the chain, tracking numbers with the
//! packages they name). Every write goes through this thread, so
//! the cache is never stale; after any failed job it is dropped and reloaded on
//! demand.

use std::collections::HashMap;
use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, params};
use tracklane_core::projection::{LatestMilestone, ShipmentFacts};
use tracklane_core::{
    CarrierCode, LegMode, PackageTrack, Problem, ShipmentStatus, ShippingMode, TrackingSource,
};

use super::rows::{self, unavailable};
use crate::rules;
use crate::{
    Cancellation, Delivery, EventKind, ItemOutcome, MilestoneDraft, ReceiptRequest, Reconciliation,
    ReconciliationRequest, RecordedReceipt, ShipmentKey, StoreError, StoreResult,
    TrackingAssignment, WindowChange, WindowChangeRequest,
};

/// [`Writer::refresh_arrival`]'s statement.
static REFRESH_ARRIVAL: LazyLock<String> =
    LazyLock::new(|| crate::arrival::refresh_sql(super::schema::WINDOW_START_US, '?'));

/// How many queued jobs one transaction takes at most.
pub(crate) const GROUP_JOBS_MAX: usize = 256;
/// Jobs a scratch store answers before it commits them together: 32 groups of
/// [`GROUP_JOBS_MAX`]. A group changes a few hundred pages; 32 of them stay
/// well inside the page cache.
pub(crate) const SCRATCH_JOBS_PER_COMMIT: usize = 32 * GROUP_JOBS_MAX;
/// How many packages the cache holds before it is dropped and refilled on demand.
pub(crate) const PACKAGE_CACHE_MAX: usize = 2_000_000;

/// A write queued for the writer thread: it runs inside the writer's
/// transaction and answers its caller once the commit's outcome is known.
pub(crate) trait Task: Send {
    /// Runs the write; false when it failed and its changes must be undone.
    fn run(&mut self, w: &mut Writer) -> bool;
    /// Whether the write may run again after its transaction is rolled back.
    fn can_rerun(&self) -> bool;
    /// Answers the caller with the write's result and the commit's outcome;
    /// only the first answer is sent.
    fn answer(&mut self, commit: Result<(), String>);
}

pub(crate) type Job = Box<dyn Task>;

/// Where a queued write's answer goes.
pub(crate) type Reply<T> = tokio::sync::oneshot::Sender<StoreResult<T>>;

/// A queued write and where its answer goes.
pub(crate) struct Queued<T, F> {
    f: F,
    can_rerun: bool,
    result: Option<StoreResult<T>>,
    reply: Option<Reply<T>>,
}

impl<T, F: FnMut(&mut Writer) -> StoreResult<T>> Queued<T, F> {
    /// A write that may run again: it reads everything it writes from what it
    /// holds and from the database, so a run after a rollback does the same.
    pub(crate) fn again(f: F, reply: Reply<T>) -> Self {
        Queued {
            f,
            can_rerun: true,
            result: None,
            reply: Some(reply),
        }
    }
}

/// A write that runs once.
pub(crate) fn once<T>(
    f: impl FnOnce(&mut Writer) -> StoreResult<T>,
    reply: Reply<T>,
) -> Queued<T, impl FnMut(&mut Writer) -> StoreResult<T>> {
    let mut f = Some(f);
    Queued {
        f: move |w: &mut Writer| match f.take() {
            Some(f) => f(w),
            None => Err(StoreError::Corrupt("a write was run twice".into())),
        },
        can_rerun: false,
        result: None,
        reply: Some(reply),
    }
}

impl<T: Send, F: FnMut(&mut Writer) -> StoreResult<T> + Send> Task for Queued<T, F> {
    fn run(&mut self, w: &mut Writer) -> bool {
        let result = (self.f)(w);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn can_rerun(&self) -> bool {
        self.can_rerun
    }

    fn answer(&mut self, commit: Result<(), String>) {
        let Some(reply) = self.reply.take() else {
            return;
        };
        let _ = reply.send(match (self.result.take(), commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(e)) => Err(StoreError::Unavailable {
                context: "committing".into(),
                source: e.into(),
            }),
            (None, Ok(())) => Err(StoreError::Corrupt(
                "a write was answered before it ran".into(),
            )),
        });
    }
}

pub(crate) struct PackageEntry {
    pub shipment_seq: i64,
    pub track: PackageTrack,
    pub fingerprints: Vec<u64>,
    pub has_tracking: bool,
    pub box_id: String,
}

pub(crate) struct ShipmentEntry {
    pub selected_carrier: Option<String>,
    pub shipping_mode: ShippingMode,
    pub packages: Vec<i64>,
    pub facts: ShipmentFacts,
    pub carriers: Vec<String>,
    /// The newest milestone of the shipment: where its chain starts.
    pub head: Option<i64>,
    pub milestone_count: i64,
    /// When its projection last changed, while that change is not written yet.
    pub changed_at: Option<i64>,
}

/// Rows by their `seq`. The keys are the store's own row numbers, looked up
/// on every write, so a fast unkeyed hash serves.
pub(crate) type BySeq<V> = HashMap<i64, V, foldhash::fast::FixedState>;

#[derive(Default)]
pub(crate) struct Cache {
    pub packages: BySeq<PackageEntry>,
    pub shipments: BySeq<ShipmentEntry>,
    /// (carrier, tracking number) → packages.
    /// carrier → tracking number → packages. Nested so that a lookup by `&str`
    /// allocates nothing: this is on every milestone's path.
    pub numbers: HashMap<String, HashMap<String, Vec<i64>>>,
    pub dirty_shipments: Vec<i64>,
    /// Webhook subscriptions with their row numbers, once read.
    pub webhooks: Option<Vec<(i64, crate::Webhook)>>,
}

/// A shipment's packages, and whether each has a tracking number.
pub(crate) const PACKAGES_OF_SHIPMENT: &str =
    "SELECT seq, box_id, EXISTS (SELECT 1 FROM leg WHERE leg.package_seq = package.seq)
     FROM package WHERE shipment_seq = ?1 ORDER BY seq";

/// What became of a group of jobs.
enum Group {
    /// Committed.
    Committed,
    /// Ran, not yet committed (a scratch store's group; see the module docs).
    Ran,
}

/// When the writer's callers hear back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// After the commit of their write: a write a caller was told of survives
    /// a crash (DESIGN.md invariant 1).
    Full,
    /// A scratch file that is thrown away after use: rerunnable writes are
    /// answered before their commit (see the module docs), and nothing is
    /// synced to disk.
    Scratch,
}

pub(crate) struct Writer {
    pub conn: Connection,
    pub cache: Cache,
    /// Whether the shipments' projections are written once, just before the
    /// group commits, rather than at the end of every job (see
    /// [`Writer::run_group`]).
    pub defer_projections: bool,
    /// Whether groups may be answered before their commit (scratch stores).
    pub durability: Durability,
    /// Jobs answered but not yet committed (scratch stores only), kept to run
    /// again if their transaction is rolled back.
    pub uncommitted: Vec<Job>,
    /// Why a commit of answered groups failed: every later job fails with it,
    /// since callers were told of writes that are gone.
    pub broken: Option<String>,
}

impl Writer {
    /// Runs jobs until every sender is gone.
    pub(crate) fn run(mut self, mut jobs: tokio::sync::mpsc::Receiver<Job>) {
        while let Some(first) = jobs.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < GROUP_JOBS_MAX {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            if self.cache.packages.len() > PACKAGE_CACHE_MAX {
                // The answered jobs' projections are in the cache.
                if !self.uncommitted.is_empty() {
                    let _ = self.commit();
                }
                self.cache = Cache::default();
            }
            let outcome = self.run_group(&mut batch);
            let is_pending = matches!(outcome, Ok(Group::Ran));
            let committed = outcome.map(|_| ());
            for job in &mut batch {
                job.answer(committed.clone());
            }
            if is_pending {
                self.uncommitted.append(&mut batch);
            }
        }
        if !self.uncommitted.is_empty() {
            let _ = self.commit();
        }
    }

    /// Runs a group of jobs in one transaction and commits it (see the
    /// module docs for when savepoints are used, and when a scratch store
    /// leaves the commit for later).
    fn run_group(&mut self, batch: &mut [Job]) -> Result<Group, String> {
        if let Some(broken) = &self.broken {
            return Err(broken.clone());
        }
        self.begin()?;
        if batch.iter().all(|job| job.can_rerun()) {
            if self.run_fast(batch) {
                let deferred = self.durability == Durability::Scratch
                    && self.uncommitted.len() + batch.len() < SCRATCH_JOBS_PER_COMMIT;
                if deferred {
                    // Projections too wait for the commit: a shipment several
                    // groups touch is written once.
                    return Ok(Group::Ran);
                }
                // Written here rather than by `commit`, so that a failure
                // still gets the careful run below.
                if self.write_projections().is_ok() {
                    return self.commit().map(|()| Group::Committed);
                }
            }
            // One failed: undo the whole group (and the answered ones not yet
            // committed, which run again), then run it the careful way.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.cache = Cache::default();
            self.begin()?;
            let mut earlier = std::mem::take(&mut self.uncommitted);
            let ran_again = self.run_fast(&mut earlier);
            self.uncommitted = earlier;
            if !ran_again {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(
                    self.lose_answered("writes already answered failed when run again".into())
                );
            }
        }
        // Projections the answered jobs left pending, outside any job's savepoint.
        if let Err(e) = self.write_projections() {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(self.lose_answered(format!("updating shipments: {e}")));
        }
        for job in batch.iter_mut() {
            let _ = self.run_cached("SAVEPOINT job");
            if job.run(self) {
                let _ = self.run_cached("RELEASE job");
            } else {
                let _ = self.conn.execute_batch("ROLLBACK TO job; RELEASE job");
                // The job may have changed the cache before failing.
                self.cache = Cache::default();
            }
        }
        self.commit().map(|()| Group::Committed)
    }

    /// Runs rerunnable jobs without savepoints and leaves their projections
    /// to [`Writer::write_projections`]; false when one failed (the caller
    /// rolls back). A shipment several jobs touch has its projection row (and
    /// the indexes on `updated_at`) rewritten once, not once per job.
    fn run_fast(&mut self, jobs: &mut [Job]) -> bool {
        self.defer_projections = true;
        let ran = jobs.iter_mut().all(|job| job.run(self));
        self.defer_projections = false;
        ran
    }

    /// After the transaction holding answered jobs was rolled back: every later
    /// job fails with `why`, since callers were told of writes that are gone.
    fn lose_answered(&mut self, why: String) -> String {
        self.cache = Cache::default();
        if !self.uncommitted.is_empty() {
            self.uncommitted.clear();
            self.broken = Some(why.clone());
        }
        why
    }

    fn begin(&mut self) -> Result<(), String> {
        if !self.conn.is_autocommit() {
            // Answered groups of a scratch store: this one joins them.
            return Ok(());
        }
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
            self.cache = Cache::default();
            format!("cannot begin a transaction: {e}")
        })
    }

    /// Writes the pending projections and commits.
    fn commit(&mut self) -> Result<(), String> {
        let committed = self
            .write_projections()
            .map_err(|e| e.to_string())
            .and_then(|()| self.conn.execute_batch("COMMIT").map_err(|e| e.to_string()));
        if let Err(e) = committed {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(self.lose_answered(e));
        }
        self.uncommitted.clear();
        Ok(())
    }

    /// Runs a statement without parameters from the statement cache: the
    /// savepoints around every job are not parsed again each time.
    fn run_cached(&self, sql: &str) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute([])
    }

    /// Loads a shipment and its packages into the cache, by internal sequence,
    /// folding each package's tracking state from the shipment's milestone chain.
    pub(crate) fn load_shipment(&mut self, seq: i64) -> StoreResult<()> {
        if self.cache.shipments.contains_key(&seq) {
            return Ok(());
        }
        type ShipmentRow = (Option<String>, i64, String, Option<i64>, i64, ShipmentFacts);
        let row: ShipmentRow = self
            .conn
            .prepare_cached(
                "SELECT selected_carrier, shipping_mode, carriers, head_milestone, milestone_count,
                        is_cancelled, units_expected, units_received,
                        checked_in_at IS NOT NULL, receiving_closed_at IS NOT NULL
                 FROM shipment WHERE seq = ?1",
            )
            .and_then(|mut s| {
                s.query_row([seq], |r| {
                    let facts = ShipmentFacts {
                        is_cancelled: r.get(5)?,
                        units_expected: r.get(6)?,
                        units_received: r.get(7)?,
                        is_checked_in: r.get(8)?,
                        is_receiving_closed: r.get(9)?,
                    };
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, facts))
                })
            })
            .map_err(unavailable("loading a shipment"))?;
        let (selected, mode, carriers, head, milestone_count, facts) = row;
        let packages: Vec<(i64, String, bool)> = self
            .conn
            .prepare_cached(PACKAGES_OF_SHIPMENT)
            .and_then(|mut s| {
                s.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .map_err(unavailable("loading packages"))?;
        for (package_seq, box_id, has_tracking) in &packages {
            self.cache.packages.insert(
                *package_seq,
                PackageEntry {
                    shipment_seq: seq,
                    track: PackageTrack::default(),
                    fingerprints: Vec::new(),
                    has_tracking: *has_tracking,
                    box_id: box_id.clone(),
                },
            );
        }
        let history = rows::walk_chain(
            &self.conn,
            head,
            milestone_count,
            "package_seq, code, sub_code, occurred_at, fingerprint, also_packages",
            |r| {
                Ok((
                    r.get(0)?,
                    (
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ),
                ))
            },
        )?;
        for (package_seq, code, sub, occurred, fingerprint, also) in history {
            let milestone = LatestMilestone {
                code: rows::code(code)?,
                sub_code: rows::sub_code(sub)?,
                occurred_at: rows::timestamp(occurred)?,
                fingerprint: tracklane_core::Fingerprint(fingerprint as u64),
            };
            for package_seq in rows::milestone_packages(package_seq, also.as_deref())? {
                let Some(entry) = self.cache.packages.get_mut(&package_seq) else {
                    return Err(StoreError::Corrupt(format!(
                        "milestone of package {package_seq} in the chain of shipment {seq}"
                    )));
                };
                entry.fingerprints.push(fingerprint as u64);
                entry.track.apply(milestone.clone());
            }
        }
        self.cache.shipments.insert(
            seq,
            ShipmentEntry {
                selected_carrier: selected,
                shipping_mode: rows::coded(mode, ShippingMode::from_number, "shipping mode")?,
                packages: packages.into_iter().map(|(p, _, _)| p).collect(),
                facts,
                carriers: carriers.split_whitespace().map(str::to_owned).collect(),
                head,
                milestone_count,
                changed_at: None,
            },
        );
        Ok(())
    }

    /// The internal sequence of the shipment `key` names.
    pub(crate) fn shipment_seq(&self, key: &ShipmentKey) -> StoreResult<Option<i64>> {
        self.conn
            .prepare_cached("SELECT seq FROM shipment WHERE id = ?1 OR confirmation_id = ?1")
            .and_then(|mut s| s.query_row([&key.0], |r| r.get(0)).optional())
            .map_err(unavailable("finding a shipment"))
    }

    /// The internal sequence of the shipment `key` names, which must exist.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when no shipment has that id.
    pub(crate) fn stored_shipment_seq(&self, key: &ShipmentKey) -> StoreResult<i64> {
        self.shipment_seq(key)?.ok_or_else(|| StoreError::NotFound {
            what: "shipment",
            key: key.0.clone(),
        })
    }

    /// Packages carrying `number` for `carrier`, from the cache or the leg table.
    fn packages_for(&mut self, carrier: &str, number: &str) -> StoreResult<Vec<i64>> {
        if let Some(found) = self.cache.numbers.get(carrier).and_then(|n| n.get(number)) {
            return Ok(found.clone());
        }
        let found: Vec<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT package_seq, shipment_seq FROM leg WHERE tracking_number = ?1 AND carrier = ?2")
            .and_then(|mut s| s.query_map([number, carrier], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(unavailable("resolving a tracking number"))?;
        for (_, shipment_seq) in &found {
            self.load_shipment(*shipment_seq)?;
        }
        let packages: Vec<i64> = found.into_iter().map(|(p, _)| p).collect();
        if !packages.is_empty() {
            self.cache
                .numbers
                .entry(carrier.to_owned())
                .or_default()
                .insert(number.to_owned(), packages.clone());
        }
        Ok(packages)
    }

    fn mark_package(&mut self, package_seq: i64, now_us: i64) {
        if let Some(entry) = self.cache.packages.get(&package_seq) {
            let shipment_seq = entry.shipment_seq;
            self.mark_shipment(shipment_seq, now_us);
        }
    }

    /// Notes that the projection of `shipment_seq` changed at `now_us`.
    fn mark_shipment(&mut self, shipment_seq: i64, now_us: i64) {
        if let Some(entry) = self.cache.shipments.get_mut(&shipment_seq)
            && entry.changed_at.replace(now_us).is_none()
        {
            self.cache.dirty_shipments.push(shipment_seq);
        }
    }

    /// Attaches `number` to packages of shipment `shipment_seq` (all of them when
    /// `box_id` is `None`) as a leg of `carrier`. Returns the packages, or the
    /// problem that stopped it.
    #[allow(clippy::too_many_arguments)] // One call site per entry point; a struct would only rename these.
    fn attach(
        &mut self,
        shipment_seq: i64,
        box_id: Option<&str>,
        carrier: &str,
        number: &str,
        mode: Option<LegMode>,
        source: TrackingSource,
        now_us: i64,
    ) -> StoreResult<Result<Attached, Problem>> {
        self.load_shipment(shipment_seq)?;
        let Some(shipment) = self.cache.shipments.get(&shipment_seq) else {
            return Err(StoreError::Corrupt(format!(
                "shipment {shipment_seq} vanished from the cache"
            )));
        };
        let shape = rules::Shape {
            shipping_mode: shipment.shipping_mode,
            selected_carrier: shipment.selected_carrier.as_deref(),
            boxes: shipment
                .packages
                .iter()
                .filter_map(|p| self.cache.packages.get(p).map(|e| (*p, e.box_id.as_str())))
                .collect(),
        };
        let targets = match shape.targets(box_id) {
            Ok(targets) => targets,
            Err(problem) => return Ok(Err(problem)),
        };
        let (detected, detected_by) = shape.detection(carrier, source);
        let mode = mode.unwrap_or_else(|| shape.default_leg_mode());
        // The same number on the same boxes again changes nothing: a resent
        // upload is a duplicate, not a new fact, and must not move `updatedAt`.
        let is_known = self
            .cache
            .numbers
            .get(carrier)
            .and_then(|numbers| numbers.get(number))
            .is_some_and(|packages| targets.iter().all(|p| packages.contains(p)));
        if is_known {
            return Ok(Ok(Attached {
                packages: targets,
                detected,
                is_new: false,
            }));
        }
        {
            let mut insert = self
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO leg (package_seq, shipment_seq, carrier, tracking_number, mode, source, detected_by, added_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(unavailable("attaching a tracking number"))?;
            for package_seq in &targets {
                insert
                    .execute(params![
                        package_seq,
                        shipment_seq,
                        carrier,
                        number,
                        mode.number(),
                        source.number(),
                        detected_by.number(),
                        now_us
                    ])
                    .map_err(unavailable("attaching a tracking number"))?;
            }
        }
        for package_seq in &targets {
            if let Some(entry) = self.cache.packages.get_mut(package_seq) {
                entry.has_tracking = true;
            }
            self.mark_package(*package_seq, now_us);
        }
        if let Some(entry) = self.cache.shipments.get_mut(&shipment_seq)
            && !entry.carriers.iter().any(|c| c == carrier)
        {
            entry.carriers.push(carrier.to_owned());
        }
        self.mark_shipment(shipment_seq, now_us);
        let known = self
            .cache
            .numbers
            .entry(carrier.to_owned())
            .or_default()
            .entry(number.to_owned())
            .or_default();
        for p in &targets {
            if !known.contains(p) {
                known.push(*p);
            }
        }
        Ok(Ok(Attached {
            packages: targets,
            detected,
            is_new: true,
        }))
    }

    /// Sets shipment `seq`'s delivery window and audits the change (DESIGN.md
    /// invariant 4): the one path for sellers, carriers, automation and reroutes.
    pub(crate) fn change_window(
        &mut self,
        seq: i64,
        change: &WindowChangeRequest,
    ) -> StoreResult<WindowChange> {
        let (start, end): (Option<String>, Option<String>) = self
            .conn
            .prepare_cached("SELECT window_start, window_end FROM shipment WHERE seq = ?1")
            .and_then(|mut s| s.query_row([seq], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(unavailable("reading a delivery window"))?;
        let from = super::rows::window(start, end)?;
        let now_us = change.now.as_microsecond();
        let to = change.window;
        self.conn
            .prepare_cached(
                "UPDATE shipment SET window_start = ?2, window_end = ?3, window_source = ?4, updated_at = ?5 WHERE seq = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    seq,
                    to.start_date.to_string(),
                    to.end_date.to_string(),
                    change.source.number(),
                    now_us
                ])
            })
            .map_err(unavailable("setting a delivery window"))?;
        self.refresh_arrival(seq)?;
        self.conn
            .prepare_cached(
                "INSERT INTO window_change (shipment_seq, at, actor, from_start, from_end, to_start, to_end, source, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    seq,
                    now_us,
                    change.actor,
                    from.map(|f| f.start_date.to_string()),
                    from.map(|f| f.end_date.to_string()),
                    to.start_date.to_string(),
                    to.end_date.to_string(),
                    change.source.number(),
                    change.reason
                ])
            })
            .map_err(unavailable("auditing a delivery window"))?;
        let audited = WindowChange::of(change, from);
        if self.wants(EventKind::WindowChanged)? {
            let payload = rows::to_value(&audited)?;
            self.emit(EventKind::WindowChanged, seq, "", None, &payload, now_us)?;
        }
        Ok(audited)
    }

    /// Records a warehouse receipt for shipment `seq`: its boxes' counts,
    /// the check-in and the close, and an audit entry when anything changed.
    pub(crate) fn record_receipt(
        &mut self,
        seq: i64,
        request: &ReceiptRequest,
    ) -> StoreResult<RecordedReceipt> {
        self.load_shipment(seq)?;
        let boxes: Vec<(i64, String)> = self
            .conn
            .prepare_cached("SELECT seq, body FROM package WHERE shipment_seq = ?1 ORDER BY seq")
            .and_then(|mut s| {
                s.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(unavailable("reading a shipment's boxes"))?;
        let mut bodies = boxes
            .iter()
            .map(|(_, body)| rows::from_json::<rows::PackageBody>(body))
            .collect::<StoreResult<Vec<_>>>()?;
        let received = rules::receive(&mut bodies, &request.lines);
        let entry = self.shipment_entry(seq)?;
        let mut facts = entry.facts;
        let now_us = request.now.as_microsecond();
        let takes_effect = rules::receipt_takes_effect(&received, request, facts);
        if takes_effect {
            for &b in &received.changed_boxes {
                let body = rows::to_json(&bodies[b])?;
                self.conn
                    .prepare_cached("UPDATE package SET body = ?2 WHERE seq = ?1")
                    .and_then(|mut s| s.execute(params![boxes[b].0, body]))
                    .map_err(unavailable("storing a box's received units"))?;
            }
            facts.units_received = received.units_received;
            facts.is_checked_in = true;
            facts.is_receiving_closed |= request.closes;
            self.conn
                .prepare_cached(
                    "UPDATE shipment SET units_received = ?2, checked_in_at = coalesce(checked_in_at, ?3),
                         receiving_closed_at = CASE WHEN ?4 THEN coalesce(receiving_closed_at, ?3) END
                     WHERE seq = ?1",
                )
                .and_then(|mut s| s.execute(params![seq, facts.units_received, now_us, facts.is_receiving_closed]))
                .map_err(unavailable("recording a receipt"))?;
            let changes = rows::to_json(&received.changes)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO receipt (shipment_seq, at, actor, changes, closes) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(params![seq, now_us, request.actor, changes, request.closes]))
                .map_err(unavailable("auditing a receipt"))?;
            self.shipment_entry(seq)?.facts = facts;
            self.mark_shipment(seq, now_us);
        }
        let status = self.status_of(seq)?;
        let recorded = RecordedReceipt {
            items: received.outcomes,
            status,
            units_received: facts.units_received,
            units_expected: facts.units_expected,
        };
        if takes_effect && self.wants(EventKind::ReceiptRecorded)? {
            let payload = crate::webhook::receipt_payload(request, received.changes, &recorded)?;
            self.emit(EventKind::ReceiptRecorded, seq, "", None, &payload, now_us)?;
        }
        self.flush()?;
        Ok(recorded)
    }

    /// Cancels shipment `seq` if it has not been picked up yet.
    pub(crate) fn cancel(&mut self, seq: i64, now_us: i64) -> StoreResult<Cancellation> {
        self.load_shipment(seq)?;
        let outcome = rules::cancellation(self.status_of(seq)?);
        if outcome == Cancellation::Cancelled {
            self.conn
                .prepare_cached("UPDATE shipment SET is_cancelled = 1 WHERE seq = ?1")
                .and_then(|mut s| s.execute([seq]))
                .map_err(unavailable("cancelling a shipment"))?;
            self.shipment_entry(seq)?.facts.is_cancelled = true;
            self.mark_shipment(seq, now_us);
            self.flush()?;
        }
        Ok(outcome)
    }

    /// Records that shipment `seq`'s seller asked for a reconciliation of its
    /// short receipt, unless it did before or receiving has not closed short.
    pub(crate) fn request_reconciliation(
        &mut self,
        seq: i64,
        by: String,
        now_us: i64,
    ) -> StoreResult<Reconciliation> {
        self.load_shipment(seq)?;
        let recorded: (Option<i64>, Option<String>) = self
            .conn
            .prepare_cached(
                "SELECT reconciliation_requested_at, reconciliation_requested_by FROM shipment WHERE seq = ?1",
            )
            .and_then(|mut s| s.query_row([seq], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(unavailable("reading a reconciliation request"))?;
        let recorded = match recorded {
            (Some(at), Some(by)) => Some(ReconciliationRequest {
                at: rows::timestamp(at)?,
                by,
            }),
            _ => None,
        };
        let facts = self.shipment_entry(seq)?.facts;
        if let Some(outcome) = rules::reconciliation(facts, self.status_of(seq)?, recorded) {
            return Ok(outcome);
        }
        self.conn
            .prepare_cached(
                "UPDATE shipment SET reconciliation_requested_at = ?2, reconciliation_requested_by = ?3 WHERE seq = ?1",
            )
            .and_then(|mut s| s.execute(params![seq, now_us, by]))
            .map_err(unavailable("recording a reconciliation request"))?;
        self.mark_shipment(seq, now_us);
        self.flush()?;
        Ok(Reconciliation::Requested(ReconciliationRequest {
            at: rows::timestamp(now_us)?,
            by,
        }))
    }

    /// The status of shipment `seq`, loaded before, from the cache.
    fn status_of(&self, seq: i64) -> StoreResult<ShipmentStatus> {
        let entry = self.cache.shipments.get(&seq).ok_or_else(|| {
            StoreError::Corrupt(format!("shipment {seq} vanished from the cache"))
        })?;
        let packages = entry
            .packages
            .iter()
            .filter_map(|p| self.cache.packages.get(p));
        let (status, _, _) =
            rules::projection(entry.facts, packages.map(|p| (&p.track, p.has_tracking)));
        Ok(status)
    }

    /// Shipment `seq` from the cache, loaded before.
    fn shipment_entry(&mut self, seq: i64) -> StoreResult<&mut ShipmentEntry> {
        self.cache
            .shipments
            .get_mut(&seq)
            .ok_or_else(|| StoreError::Corrupt(format!("shipment {seq} vanished from the cache")))
    }

    /// Brings shipment `seq`'s arrival order up to date with its status,
    /// estimate and window (see [`crate::arrival`]).
    pub(crate) fn refresh_arrival(&self, seq: i64) -> StoreResult<()> {
        self.conn
            .prepare_cached(&REFRESH_ARRIVAL)
            .and_then(|mut s| s.execute([seq]))
            .map(drop)
            .map_err(unavailable("ordering a shipment by arrival"))
    }

    /// Whether any carrier other than `carrier` has a leg with `number`.
    fn is_other_carriers_number(&self, carrier: &str, number: &str) -> StoreResult<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM leg WHERE tracking_number = ?1 AND carrier <> ?2 LIMIT 1",
            )
            .and_then(|mut s| s.exists([number, carrier]))
            .map_err(unavailable("checking a tracking number's carrier"))
    }

    /// Resolves one draft to the packages it is about, attaching the number when
    /// the carrier named the shipment (auto-recognition).
    fn resolve(
        &mut self,
        carrier: &str,
        draft: &MilestoneDraft,
        now_us: i64,
    ) -> StoreResult<Result<(Vec<i64>, bool), Problem>> {
        let number = draft.tracking_number.as_str();
        let known = self.packages_for(carrier, number)?;
        if !known.is_empty() {
            return Ok(Ok((known, false)));
        }
        let Some(key) = &draft.shipment else {
            if self.is_other_carriers_number(carrier, number)? {
                return Ok(Err(rules::not_yours(number)));
            }
            return Ok(Err(rules::unknown_number(number)));
        };
        let Some(shipment_seq) = self.shipment_seq(key)? else {
            return Ok(Err(rules::shipment_not_found(&key.0, "shipmentId")));
        };
        self.attach(
            shipment_seq,
            draft.box_id.as_ref().map(|b| b.as_str()),
            carrier,
            number,
            None,
            TrackingSource::Carrier,
            now_us,
        )
        .map(|attached| attached.map(|a| (a.packages, a.detected)))
    }

    /// The append path: see [`crate::Store::append_milestones`].
    pub(crate) fn append(
        &mut self,
        carrier: &CarrierCode,
        drafts: &[MilestoneDraft],
        now_us: i64,
    ) -> StoreResult<Vec<ItemOutcome>> {
        let carrier = carrier.as_str();
        let mut outcomes = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let (packages, detected) = match self.resolve(carrier, draft, now_us)? {
                Ok(found) => found,
                Err(problem) => {
                    outcomes.push(ItemOutcome::Rejected {
                        index: draft.index,
                        problem,
                    });
                    continue;
                }
            };
            let m = &draft.milestone;
            let fingerprint = m.fingerprint();
            // The packages this milestone is new to: one row names them all.
            let mut fresh = Vec::with_capacity(packages.len());
            for package_seq in packages {
                let Some(entry) = self.cache.packages.get(&package_seq) else {
                    return Err(StoreError::Corrupt(format!(
                        "package {package_seq} missing from the cache"
                    )));
                };
                if !entry.fingerprints.contains(&fingerprint.0) {
                    fresh.push((package_seq, entry.shipment_seq));
                }
            }
            let is_new = !fresh.is_empty();
            // Packages sharing a number belong to one shipment (a number on
            // another shipment's box is refused when attached): one row each
            // run of packages of one shipment.
            for run in fresh.chunk_by(|a, b| a.1 == b.1) {
                let shipment_seq = run[0].1;
                let targets: Vec<i64> = run.iter().map(|(p, _)| *p).collect();
                let prev = self.cache.shipments.get(&shipment_seq).and_then(|e| e.head);
                self.conn
                    .prepare_cached(
                        "INSERT INTO milestone (package_seq, prev_seq, code, sub_code, raw_code, description, city, region,
                             country_code, occurred_at, received_at, carrier, tracking_number, event_id, fingerprint, also_packages)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            targets[0],
                            prev,
                            m.code.number(),
                            m.sub_code.map(|s| s.number()),
                            m.raw_code,
                            m.description,
                            m.location.city,
                            m.location.region,
                            m.location.country_code,
                            m.occurred_at.as_microsecond(),
                            now_us,
                            carrier,
                            draft.tracking_number.as_str(),
                            m.event_id,
                            fingerprint.0 as i64,
                            rows::also_packages(&targets),
                        ])
                    })
                    .map_err(unavailable("appending a milestone"))?;
                let seq = self.conn.last_insert_rowid();
                let mut changed = false;
                for package_seq in &targets {
                    if let Some(entry) = self.cache.packages.get_mut(package_seq) {
                        entry.fingerprints.push(fingerprint.0);
                        changed |= entry.track.apply(LatestMilestone::of(m));
                    }
                }
                if let Some(entry) = self.cache.shipments.get_mut(&shipment_seq) {
                    entry.head = Some(seq);
                    entry.milestone_count += 1;
                }
                self.mark_shipment(shipment_seq, now_us);
                if changed {
                    self.emit(
                        EventKind::MilestoneChanged,
                        shipment_seq,
                        &Delivery::milestone_subject(carrier, draft.tracking_number.as_str()),
                        Some(carrier),
                        &serde_json::Value::Null,
                        now_us,
                    )?;
                }
            }
            outcomes.push(if is_new {
                ItemOutcome::Accepted {
                    index: draft.index,
                    detected,
                }
            } else {
                ItemOutcome::Duplicate { index: draft.index }
            });
        }
        self.flush()?;
        Ok(outcomes)
    }

    /// Attaches tracking numbers for one shipment: see [`crate::Store::assign_tracking`].
    pub(crate) fn assign(
        &mut self,
        key: &ShipmentKey,
        assignments: &[TrackingAssignment],
        now_us: i64,
    ) -> StoreResult<Vec<ItemOutcome>> {
        let Some(shipment_seq) = self.shipment_seq(key)? else {
            return Err(StoreError::NotFound {
                what: "shipment",
                key: key.0.clone(),
            });
        };
        let mut outcomes = Vec::with_capacity(assignments.len());
        for a in assignments {
            let number = a.tracking_number.as_str();
            if self.is_other_carriers_number(a.carrier.as_str(), number)? {
                outcomes.push(ItemOutcome::Rejected {
                    index: a.index,
                    problem: rules::in_use_by_other_carrier(number),
                });
                continue;
            }
            let existing = self.packages_for(a.carrier.as_str(), number)?;
            if existing.iter().any(|p| {
                self.cache
                    .packages
                    .get(p)
                    .is_some_and(|e| e.shipment_seq != shipment_seq)
            }) {
                outcomes.push(ItemOutcome::Rejected {
                    index: a.index,
                    problem: rules::in_use_by_other_shipment(number),
                });
                continue;
            }
            match self.attach(
                shipment_seq,
                a.box_id.as_ref().map(|b| b.as_str()),
                a.carrier.as_str(),
                number,
                Some(a.mode),
                a.source,
                now_us,
            )? {
                Ok(Attached {
                    detected,
                    is_new: true,
                    ..
                }) => outcomes.push(ItemOutcome::Accepted {
                    index: a.index,
                    detected,
                }),
                Ok(Attached { is_new: false, .. }) => {
                    outcomes.push(ItemOutcome::Duplicate { index: a.index })
                }
                Err(problem) => outcomes.push(ItemOutcome::Rejected {
                    index: a.index,
                    problem,
                }),
            }
        }
        self.flush()?;
        Ok(outcomes)
    }

    /// Writes the projection of every shipment the job changed, unless the
    /// group writes them all before it commits.
    fn flush(&mut self) -> StoreResult<()> {
        if self.defer_projections {
            return Ok(());
        }
        self.write_projections()
    }

    /// Writes the projection of every shipment changed since the last time.
    fn write_projections(&mut self) -> StoreResult<()> {
        let dirty_shipments = std::mem::take(&mut self.cache.dirty_shipments);
        let mut update = self
            .conn
            .prepare_cached(
                "UPDATE shipment SET status = ?2, latest_code = ?3, latest_sub_code = ?4, latest_at = ?5, latest_fingerprint = ?6,
                     missing_tracking = ?7, carriers = ?8, head_milestone = ?9, milestone_count = ?10,
                     updated_at = max(updated_at, ?11)
                 WHERE seq = ?1",
            )
            .map_err(unavailable("updating shipments"))?;
        // A separate statement, run only for finished shipments: the update
        // above does not name arrival_order, so SQLite leaves its index alone.
        let mut finish = self
            .conn
            .prepare_cached(
                "UPDATE shipment SET arrival_order = ?2 WHERE seq = ?1 AND arrival_order <> ?2",
            )
            .map_err(unavailable("updating shipments"))?;
        for seq in dirty_shipments {
            let Some(s) = self.cache.shipments.get_mut(&seq) else {
                continue;
            };
            let Some(changed_at) = s.changed_at.take() else {
                continue;
            };
            let packages: Vec<&PackageEntry> = s
                .packages
                .iter()
                .filter_map(|p| self.cache.packages.get(p))
                .collect();
            let (status, latest, missing) =
                rules::projection(s.facts, packages.iter().map(|p| (&p.track, p.has_tracking)));
            update
                .execute(params![
                    seq,
                    status.number(),
                    latest.map(|l| l.code.number()),
                    latest.and_then(|l| l.sub_code.map(|x| x.number())),
                    latest.map(|l| l.occurred_at.as_microsecond()),
                    latest.map(|l| l.fingerprint.0 as i64),
                    missing,
                    s.carriers.join(" "),
                    s.head,
                    s.milestone_count,
                    changed_at,
                ])
                .map_err(unavailable("updating shipments"))?;
            if crate::arrival::is_finished(status) {
                finish
                    .execute(params![seq, crate::arrival::ARRIVAL_FINISHED])
                    .map_err(unavailable("ordering a finished shipment"))?;
            }
        }
        Ok(())
    }
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
