//! `tracklane replay FILE`: plays a simulation stream (`docs/simulation-format.md`)
//! through the real ingest and a real SQLite store on a virtual clock, runs the
//! engine on that clock, and measures it.
//!
//! - The clock is the stream's: each line's `at`. Nothing reads the wall clock.
//! - Milestone lines go through `tracklane_ingest::milestones::parse_items` (the
//!   carrier API's parser and validation) and the store's milestone append; only
//!   items the store accepts reach the engine's snapshots. Tracking lines go
//!   through `tracklane_ingest::check_tracking` and the store's tracking
//!   assignment. Window changes, the seller's and the automation's, are the
//!   store's audited window changes.
//! - Writes are queued and handed to `Store::apply` a few hundred at a time, so
//!   the store commits them in few transactions; a few batches are in flight
//!   at once, applied one after the other; their results are settled in
//!   stream order, each with its own line's clock, and the queue is emptied
//!   before every midnight pass. The engine therefore sees exactly what it would
//!   if every write were awaited on its own.
//! - Engine passes: after every accepted batch for the shipments it touched
//!   (ETA at the KPI milestones, exceptions that milestones raise or clear), and
//!   a full pass at every midnight UTC: DW Automation (windows are calendar
//!   weeks, so a daily decision loses nothing), time-driven exceptions (stale,
//!   lost, missing tracking, window at risk) and Smart Reroute (the operator's
//!   backlog readings are daily). A shipment is also looked at again the
//!   moment its silence turns stale (the instant
//!   [`tracklane_engine::exceptions::detect_under`] returns),
//!   as a hub that passes all day would: a silence that begins and ends
//!   between two midnights is still raised.
//! - The ETA learns only from shipments that arrived earlier in the stream;
//!   shipments created before the header's `measureFrom` (else the first
//!   [`WARMUP_DAYS`]) are played but not measured.
//! - Baselines come from the same run: the seller's own windows (without
//!   automation), the mode's median transit (static ETA), and the receiving wait
//!   each shipment would have had at its own warehouse (Smart Reroute off).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tracklane_core::{
    BoxId, CarrierCode, ConfirmationId, DeliveryWindow, InboundPlanId, Item, MilestoneCode,
    Package, PackageTrack, Seller, Shipment, ShipmentId, ShipmentKind, TrackingSource, Warehouse,
    WindowSource,
};
use tracklane_engine::exceptions::{Exception, ExceptionKind};
use tracklane_engine::kpi::{self, Episode, ExceptionScore, Interval, MeanAbs, Rate};
use tracklane_engine::reroute::{self, RerouteCandidate, RerouteCostModel, WarehouseLoad};
use tracklane_engine::{
    Eta, EtaModel, Lane, Level, Scan, ShipmentSnapshot, Verdict, WindowDecision, WindowPolicy,
    day_of,
};
use tracklane_ingest::TrackingItem;
use tracklane_store::{
    ItemOutcome, Principal, ShipmentKey, Store, StoreResult, WindowChange, WindowChangeRequest,
    Write, Written,
};

use crate::stream::{
    AutomationLine, BacklogLine, Header, LineType, MilestonesLine, ShipmentLine, Tagged,
    TrackingLine, TruthLine, WindowLine,
};

/// Without a header's `measureFrom`, shipments created in the stream's first
/// this many days are warm-up.
pub const WARMUP_DAYS: i64 = 30;
/// Reporting lag allowed when matching exceptions to ground truth.
pub const TRUTH_GRACE_HOURS: i64 = 72;
/// Expected receiving wait at arrival from which a warehouse counts as congested.
pub const CONGESTED_WAIT_DAYS: f64 = reroute::CONGESTED_WAIT_DAYS_MIN;
const SECONDS_PER_DAY: i64 = 86_400;

/// What to include in the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Include every shipment's ETA, window, reroute and exception history.
    pub with_shipments: bool,
}

/// ETA error at one milestone, engine and static baseline, in days.
#[derive(Debug, Clone, Serialize)]
pub struct EtaError {
    /// The engine's p50.
    pub engine: f64,
    /// The static baseline (pickup + median transit of the mode, learned
    /// from the same stream).
    pub static_baseline: f64,
    /// The nominal baseline (pickup + the mode's rule-of-thumb transit:
    /// express 5, air 9, rail 24, ocean 38 days).
    pub nominal_baseline: f64,
    /// Shipments measured.
    pub shipments: u64,
}

/// Receiving wait with Smart Reroute on and off.
#[derive(Debug, Clone, Serialize)]
pub struct WaitDays {
    /// Mean days from arrival at the planned warehouse's gate to receipt, with reroutes.
    pub reroute_on: f64,
    /// The same without reroutes.
    pub reroute_off: f64,
    /// `1 - on / off`.
    pub cut: f64,
    /// Shipments counted.
    pub shipments: u64,
}

/// The KPIs of issue 4, point 6.
#[derive(Debug, Clone, Serialize)]
pub struct Kpis {
    /// Window hit rate 7 days out over shipments with automation (seller allowed, carrier capable).
    pub dw_hit_rate_7d: f64,
    /// The same shipments with only the seller's windows (no automation).
    pub dw_hit_rate_7d_static: f64,
    /// Shipments behind the two figures above.
    pub dw_hit_shipments: u64,
    /// `dw_hit_rate_7d` per freight mode: (mode, with automation, seller's windows only, shipments).
    pub dw_hit_rate_7d_by_mode: Vec<(String, f64, f64, u64)>,
    /// Over every arrived shipment, as run (non-automated ones keep the seller's window).
    pub dw_hit_rate_7d_all: f64,
    /// Over every arrived shipment, seller windows only.
    pub dw_hit_rate_7d_all_static: f64,
    /// ETA error at pickup.
    pub eta_mae_days_at_pickup: EtaError,
    /// ETA error at departure from the origin country.
    pub eta_mae_days_at_departure: EtaError,
    /// ETA error at the first scan in the destination country.
    pub eta_mae_days_at_arrival_in_country: EtaError,
    /// Automation's window changes per automated shipment.
    pub window_changes_per_shipment: f64,
    /// Receiving wait during congestion, shipments of smart_reroute carriers.
    pub wait_days_mean: WaitDays,
    /// Receiving wait during congestion, every carrier.
    pub wait_days_mean_all_carriers: WaitDays,
    /// Reroutes proposed and confirmed.
    pub reroutes: u64,
    /// Warehouses sent more than their remaining capacity, over all passes.
    pub capacity_violations: u64,
    /// Exception precision against the ground truth (0 without truth lines).
    pub exception_precision: f64,
    /// Exception recall against the ground truth.
    pub exception_recall: f64,
    /// The details of both.
    pub exceptions: ExceptionScore,
}

/// Counts of what went through ingest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestCounts {
    /// Stream lines read.
    pub lines: u64,
    /// Lines skipped (unknown type or invalid record), each warned on stderr.
    pub skipped_lines: u64,
    /// Event lines whose `at` is before an earlier line's: played at the
    /// clock's time instead (the stream is out of order), each warned on stderr.
    pub out_of_order_lines: u64,
    /// Milestones accepted.
    pub accepted: u64,
    /// Repeats of stored facts.
    pub duplicates: u64,
    /// Rejected by ingest or the store.
    pub rejected: u64,
    /// Tracking numbers attached.
    pub tracking_attached: u64,
    /// Engine passes run (one per simulated day).
    pub engine_passes: u64,
}

/// An ETA as it stood from `at`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EtaPoint {
    /// From when.
    pub at: Timestamp,
    /// 10 % quantile.
    pub p10: Timestamp,
    /// Median.
    pub p50: Timestamp,
    /// 90 % quantile.
    pub p90: Timestamp,
    /// History behind it.
    pub level: Level,
}

/// A confirmed reroute.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RerouteRecord {
    /// When it was confirmed.
    pub at: Timestamp,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// The new appointment day at the new warehouse.
    pub appointment: jiff::civil::Date,
    /// Why.
    pub reason: String,
    #[serde(skip)]
    transfer_days: f64,
    #[serde(skip)]
    to_index: usize,
}

/// One exception episode as replay saw it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionRecord {
    /// Kind.
    pub kind: ExceptionKind,
    /// Opened.
    pub from: Timestamp,
    /// Resolved (absent: still open at the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Evidence when it opened.
    pub evidence: String,
}

/// One shipment's history.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentReport {
    /// SP-API `shipmentId`.
    pub shipment_id: String,
    /// Measured (not warm-up).
    pub measured: bool,
    /// Lane.
    pub lane: Lane,
    /// Carrier.
    pub carrier: Option<CarrierCode>,
    /// Arrival, if it arrived.
    pub arrived_at: Option<Timestamp>,
    /// ETA whenever its p50 day changed.
    pub eta_history: Vec<EtaPoint>,
    /// Every window change, as the store audited it.
    pub window_history: Vec<WindowChange>,
    /// Its reroute, if any.
    pub reroute: Option<RerouteRecord>,
    /// Its exception episodes.
    pub exceptions: Vec<ExceptionRecord>,
}

/// What `replay` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    /// The header's generator, if any.
    pub generator: Option<String>,
    /// The header's seed, if any.
    pub seed: Option<u64>,
    /// Shipments in the stream.
    pub shipments: u64,
    /// Of those, measured.
    pub measured_shipments: u64,
    /// Measured shipments that arrived.
    pub arrived_measured_shipments: u64,
    /// Ingest and engine counts.
    pub ingest: IngestCounts,
    /// The KPIs.
    pub kpis: Kpis,
    /// Per shipment, with `--json` on replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_histories: Option<Vec<ShipmentReport>>,
}

struct Ship {
    snap: ShipmentSnapshot,
    key: ShipmentKey,
    created_at: Timestamp,
    first_window: Option<DeliveryWindow>,
    changes: Vec<(Timestamp, DeliveryWindow)>,
    seller_changes: Vec<(Timestamp, DeliveryWindow)>,
    automated_at_creation: bool,
    automation_changes: u32,
    window_history: Vec<WindowChange>,
    eta_history: Vec<EtaPoint>,
    last_eta: Option<Eta>,
    /// (engine p50, static, nominal) at pickup, departure, arrival in the
    /// destination country.
    moments: [Option<(Timestamp, Timestamp, Timestamp)>; 3],
    open: Vec<(ExceptionKind, u32, Timestamp, String)>,
    closed: Vec<(ExceptionKind, u32, Timestamp, Timestamp, String)>,
    windows_checked: Vec<(DeliveryWindow, u32)>,
    is_arrived: bool,
    reroute: Option<RerouteRecord>,
    warehouse: usize,
    /// (wait with reroute on, off), at arrival.
    wait: Option<(f64, f64)>,
    truth: Vec<(ExceptionKind, Timestamp, Option<Timestamp>)>,
    /// When its tracking turns stale unless a scan comes first: the replay
    /// looks at it again then, as a hub that passes continuously would.
    wake: Option<Timestamp>,
    /// The earliest time it has in [`Replay::wakes`]: never after `wake`,
    /// so a later `wake` needs no new entry until that one comes up.
    armed: Option<Timestamp>,
}

impl Ship {
    /// The number window-at-risk episodes of window `w` are scored under:
    /// each window that was in force is judged on its own.
    fn window_key(&mut self, w: DeliveryWindow, next: &mut u32) -> u32 {
        if let Some((_, key)) = self.windows_checked.iter().find(|(cw, _)| *cw == w) {
            return *key;
        }
        *next += 1;
        self.windows_checked.push((w, *next));
        *next
    }

    /// Records `handled`, the risk to window `replaced` that the automation
    /// has just moved away from: an episode open for it ends now, else one is
    /// raised and resolved at once.
    fn record_handled(
        &mut self,
        replaced: DeliveryWindow,
        handled: Exception,
        now: Timestamp,
        next: &mut u32,
    ) {
        let key = self.window_key(replaced, next);
        let open = self
            .open
            .iter()
            .position(|(kind, k, _, _)| *kind == handled.kind && *k == key);
        let (since, evidence) = match open {
            Some(at) => {
                let (_, _, since, evidence) = self.open.remove(at);
                (since, evidence)
            }
            None => (now, handled.evidence),
        };
        self.closed.push((handled.kind, key, since, now, evidence));
    }
}

/// Shipments by id, confirmation id or tracking number: looked up for every
/// item read; the stream is the replay's own input, so a fast hash serves.
type Names = HashMap<String, u32, foldhash::fast::FixedState>;

struct Replay {
    store: Arc<dyn Store>,
    model: EtaModel,
    policy: WindowPolicy,
    cost_model: RerouteCostModel,
    now: Timestamp,
    next_pass: Option<Timestamp>,
    measure_from: Option<Timestamp>,
    first_event: Option<Timestamp>,
    ships: Vec<Ship>,
    by_id: Names,
    by_tracking: Names,
    open_list: Vec<u32>,
    /// Shipments to look at again, by the time their tracking turns stale
    /// (an entry whose time is not the shipment's `armed` is spent).
    wakes: BinaryHeap<Reverse<(Timestamp, u32)>>,
    warehouses: Vec<Warehouse>,
    warehouse_index: HashMap<String, usize>,
    backlog: Vec<u32>,
    carriers: HashMap<String, tracklane_core::Carrier>,
    /// Rerouted freight: (expected arrival, warehouse, units).
    reroute_inflow: Vec<(Timestamp, usize, u32)>,
    /// Rerouted freight that arrived: (arrival, warehouse, units).
    reroute_arrivals: Vec<(Timestamp, usize, u32)>,
    window_keys: u32,
    counts: IngestCounts,
    reroutes: u64,
    capacity_violations: u64,
    generator: Option<String>,
    seed: Option<u64>,
    /// Writes not yet sent to the store, and what each one's result leads to.
    queue: Vec<Write>,
    then: Vec<(Timestamp, Then)>,
    /// Writes handed to the store whose results are not settled yet.
    in_flight: std::collections::VecDeque<InFlight>,
    /// The midnight pass's verdicts, one piece a core, kept for their memory.
    verdicts: Vec<Vec<Verdict>>,
    applier: tokio::sync::mpsc::UnboundedSender<Batch>,
    /// The stream and the line being read (1-based), for warnings.
    source: String,
    line_number: usize,
}

/// One [`Store::apply`] handed to the applier, and what its results lead to.
type InFlight = (
    tokio::sync::oneshot::Receiver<Vec<StoreResult<Written>>>,
    Vec<(Timestamp, Then)>,
);

/// A batch for the applier, and where its results go.
type Batch = (
    Vec<Write>,
    tokio::sync::oneshot::Sender<Vec<StoreResult<Written>>>,
);

/// Batches handed to the store and not yet settled, at most: the store works
/// through them in order while the engine settles the oldest, so a batch that
/// takes the store longer than usual does not stall the replay.
const IN_FLIGHT_MAX: usize = 4;

/// Runs each batch `batches` yields through [`Store::apply`], one after the
/// other, so that the store sees every write in stream order.
fn spawn_applier(store: Arc<dyn Store>) -> tokio::sync::mpsc::UnboundedSender<Batch> {
    let (sender, mut batches) = tokio::sync::mpsc::unbounded_channel::<Batch>();
    tokio::spawn(async move {
        while let Some((writes, results)) = batches.recv().await {
            let _ = results.send(store.apply(writes).await);
        }
    });
    sender
}

/// Writes handed to the store in one [`Store::apply`]: the store commits them
/// in a few transactions instead of one each.
const QUEUE_MAX: usize = 256;

/// What a queued write's result leads to, settled in stream order with the
/// clock of the line that queued it, so the engine sees exactly what it would
/// if every write were awaited on its own.
enum Then {
    /// Nothing to record (the shipment was registered when read).
    Nothing,
    /// Tracking numbers of a shipment, by item index; `refused` items failed validation.
    Tracking {
        ship: u32,
        numbers: Vec<String>,
        refused: u64,
    },
    /// A carrier's milestones: (batch index, shipment named, tracking number, scan).
    Milestones {
        items: Vec<(usize, Option<String>, String, Scan)>,
    },
    /// The seller's window.
    SellerWindow { ship: u32, window: DeliveryWindow },
    /// The automation's window: already applied to the snapshot; only the audit comes back.
    AutomatedWindow { ship: u32 },
    /// The seller's automation switch.
    Automation { ship: u32, allowed: bool },
    /// The operator's backlog reading.
    Backlog { warehouse: usize, units: u32 },
}

/// A scratch SQLite store: on tmpfs where there is one, since replay commits
/// thousands of transactions, and with scratch durability (writes answered
/// before their commit), since the file is thrown away.
fn scratch_store() -> anyhow::Result<(Arc<dyn Store>, std::path::PathBuf)> {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_owned()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "tracklane-replay-{}-{}",
        std::process::id(),
        scratch_counter()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = tracklane_store::sqlite::SqliteStore::open_scratch(&dir.join("replay.db"))
        .with_context(|| format!("opening a scratch store in {}", dir.display()))?;
    Ok((Arc::new(store), dir))
}

fn scratch_counter() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Shipments judged in one piece of a parallel pass, at least.
const JUDGE_CHUNK_MIN: usize = 512;

/// Judges the shipments `open` of `ships` at `now`, on every core: judging
/// reads only the model and each shipment's own snapshot. The verdicts go into
/// `pieces` (empty on entry), one piece a core, so that read in turn they are
/// in the order of `open` and the pass applies them exactly as if they had
/// been computed one by one. The pieces are kept from pass to pass: tens of
/// megabytes of verdicts a pass, allocated afresh, cost more in page faults
/// and copying than the judging of many shipments.
fn judge_all(
    ships: &[Ship],
    open: &[u32],
    model: &EtaModel,
    policy: &WindowPolicy,
    now: Timestamp,
    pieces: &mut Vec<Vec<Verdict>>,
) {
    let judge = |i: &u32| tracklane_engine::assess(&ships[*i as usize].snap, model, now, policy);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = open.len().div_ceil(cores).max(JUDGE_CHUNK_MIN);
    pieces.resize_with(open.len().div_ceil(chunk).max(1), Vec::new);
    if let [only] = pieces.as_mut_slice() {
        only.extend(open.iter().map(judge));
        return;
    }
    // The calling thread judges the first piece itself: a thread spawned
    // each pass starts an empty heap, and the one fewer saves a
    // twentieth of a 30 000-shipment replay.
    std::thread::scope(|scope| {
        let mut work = open.chunks(chunk).zip(pieces.iter_mut());
        let first = work.next();
        for (piece, verdicts) in work {
            scope.spawn(move || verdicts.extend(piece.iter().map(judge)));
        }
        if let Some((piece, verdicts)) = first {
            verdicts.extend(piece.iter().map(judge));
        }
    });
}

fn next_midnight(at: Timestamp) -> Timestamp {
    let day = at.as_second().div_euclid(SECONDS_PER_DAY) + 1;
    Timestamp::from_second(day * SECONDS_PER_DAY).unwrap_or(Timestamp::MAX)
}

/// Replays the stream at `path`.
///
/// # Errors
/// When the file cannot be read, a line is not JSON, or the store fails.
pub async fn replay_file(path: &Path, options: ReplayOptions) -> anyhow::Result<ReplayReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    replay_reader(reader, &path.display().to_string(), options).await
}

/// Replays the stream `reader` gives, named `source` in warnings and errors.
///
/// # Errors
/// When the stream cannot be read, a line is not JSON, or the store fails.
pub async fn replay_reader(
    reader: impl BufRead,
    source: &str,
    options: ReplayOptions,
) -> anyhow::Result<ReplayReport> {
    let (store, dir) = scratch_store()?;
    let mut replay = Replay {
        applier: spawn_applier(store.clone()),
        store,
        model: EtaModel::new(),
        policy: WindowPolicy::default(),
        cost_model: RerouteCostModel::default(),
        now: Timestamp::UNIX_EPOCH,
        next_pass: None,
        measure_from: None,
        first_event: None,
        ships: Vec::new(),
        by_id: Names::default(),
        by_tracking: Names::default(),
        open_list: Vec::new(),
        wakes: BinaryHeap::new(),
        warehouses: Vec::new(),
        warehouse_index: HashMap::new(),
        backlog: Vec::new(),
        carriers: HashMap::new(),
        reroute_inflow: Vec::new(),
        reroute_arrivals: Vec::new(),
        window_keys: 0,
        counts: IngestCounts::default(),
        reroutes: 0,
        capacity_violations: 0,
        generator: None,
        seed: None,
        queue: Vec::new(),
        then: Vec::new(),
        in_flight: std::collections::VecDeque::new(),
        verdicts: Vec::new(),
        source: source.to_owned(),
        line_number: 0,
    };
    let result = replay.run(reader).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    Ok(replay.report(options))
}

impl Replay {
    async fn run(&mut self, reader: impl BufRead) -> anyhow::Result<()> {
        let source = self.source.clone();
        for (number, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("reading {source}"))?;
            // A byte-order mark some editors and runtimes write first.
            let line = if number == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                &line
            };
            if line.trim().is_empty() {
                continue;
            }
            self.counts.lines += 1;
            self.line_number = number + 1;
            let context = || format!("{source}:{}", number + 1);
            let kind: LineType = serde_json::from_str(line).with_context(context)?;
            let handled = match self.line(kind.kind, line).await {
                Ok(handled) => handled,
                // A record that does not parse as its type is skipped, not fatal.
                Err(e) if e.is::<serde_json::Error>() => {
                    eprintln!("{}: invalid `{}` line: {e}", context(), kind.kind);
                    false
                }
                Err(e) => return Err(e.context(context())),
            };
            if !handled {
                self.counts.skipped_lines += 1;
                eprintln!("{}: skipped a `{}` line", context(), kind.kind);
            }
        }
        let end = self.now;
        self.advance_to(next_midnight(end)).await?;
        self.flush().await
    }

    /// Queues a write; sends the queue when it is full.
    async fn queue(&mut self, write: Write, then: Then) -> anyhow::Result<()> {
        self.queue.push(write);
        self.then.push((self.now, then));
        if self.queue.len() >= QUEUE_MAX {
            self.send().await?;
        }
        Ok(())
    }

    /// Hands the queued writes to the store and settles the writes sent before
    /// them beyond [`IN_FLIGHT_MAX`], so that the engine works on earlier
    /// batches while the store commits later ones. The applier hands batches
    /// to the store one after the other: the store sees every write in stream
    /// order.
    async fn send(&mut self) -> anyhow::Result<()> {
        if !self.queue.is_empty() {
            let writes = std::mem::take(&mut self.queue);
            let (sender, results) = tokio::sync::oneshot::channel();
            self.applier
                .send((writes, sender))
                .map_err(|_| anyhow::anyhow!("the store's applier stopped"))?;
            self.in_flight
                .push_back((results, std::mem::take(&mut self.then)));
        }
        while self.in_flight.len() > IN_FLIGHT_MAX {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    /// Waits for the oldest batch in flight and settles its results.
    async fn settle_oldest(&mut self) -> anyhow::Result<()> {
        let Some((results, thens)) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let results = results
            .await
            .map_err(|_| anyhow::anyhow!("the store's applier stopped"))?;
        let clock = self.now;
        for ((at, then), result) in thens.into_iter().zip(results) {
            self.wake_until(at);
            self.now = at;
            self.settle(then, result)?;
        }
        self.now = clock;
        Ok(())
    }

    /// Sends every queued write and settles every result.
    async fn flush(&mut self) -> anyhow::Result<()> {
        self.send().await?;
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    /// Records one write's result.
    fn settle(&mut self, then: Then, result: StoreResult<Written>) -> anyhow::Result<()> {
        match (then, result?) {
            (
                Then::Tracking {
                    ship,
                    numbers,
                    refused,
                },
                Written::Items(outcomes),
            ) => {
                self.counts.rejected += refused;
                for outcome in outcomes {
                    match outcome {
                        ItemOutcome::Accepted { index, .. } | ItemOutcome::Duplicate { index } => {
                            self.counts.tracking_attached += 1;
                            self.ships[ship as usize].snap.has_tracking = true;
                            if let Some(number) = numbers.get(index) {
                                self.by_tracking.insert(number.clone(), ship);
                            }
                        }
                        ItemOutcome::Rejected { .. } => self.counts.rejected += 1,
                    }
                }
            }
            (Then::Milestones { items }, Written::Items(outcomes)) => {
                self.settle_milestones(items, outcomes);
            }
            (Then::SellerWindow { ship, window }, Written::Window(change)) => {
                let now = self.now;
                let ship = &mut self.ships[ship as usize];
                ship.window_history.push(change);
                ship.snap.window = Some((window, WindowSource::Seller));
                ship.changes.push((now, window));
                ship.seller_changes.push((now, window));
            }
            (Then::AutomatedWindow { ship }, Written::Window(change)) => {
                self.ships[ship as usize].window_history.push(change);
            }
            (Then::Automation { ship, allowed }, Written::Done) => {
                self.ships[ship as usize].snap.allows_window_automation = allowed;
            }
            (Then::Backlog { warehouse, units }, Written::Done) => {
                self.backlog[warehouse] = units;
            }
            (Then::Nothing, Written::Done) => {}
            _ => anyhow::bail!("the store answered a write with another write's result"),
        }
        Ok(())
    }

    /// Handles one line; returns whether it was understood.
    async fn line(&mut self, kind: &str, line: &str) -> anyhow::Result<bool> {
        match kind {
            "header" => {
                let h: Header = serde_json::from_str(line)?;
                if !h.format.is_empty() && h.format != crate::stream::FORMAT {
                    self.warn(&format!(
                        "the header's format is `{}`, replay reads `{}`",
                        h.format,
                        crate::stream::FORMAT
                    ));
                }
                self.measure_from = h.measure_from;
                self.generator = h.generator;
                self.seed = h.seed;
            }
            "warehouse" => {
                let w: Tagged<Warehouse> = serde_json::from_str(line)?;
                self.flush().await?;
                self.store.put_warehouse(w.record.clone()).await?;
                self.warehouse_index
                    .insert(w.record.code.to_string(), self.warehouses.len());
                self.backlog.push(w.record.backlog_units);
                self.warehouses.push(w.record);
            }
            "carrier" => {
                let c: Tagged<tracklane_core::Carrier> = serde_json::from_str(line)?;
                self.flush().await?;
                self.store.put_carrier(c.record.clone()).await?;
                self.carriers.insert(c.record.code.to_string(), c.record);
            }
            "seller" => {
                let s: Tagged<Seller> = serde_json::from_str(line)?;
                self.flush().await?;
                self.store.put_seller(s.record).await?;
            }
            "truth" => {
                let t: TruthLine = serde_json::from_str(line)?;
                let Some(&i) = self.by_id.get(&t.shipment_id) else {
                    return Ok(false);
                };
                let ship = &mut self.ships[i as usize];
                let mut ignored = Vec::new();
                for e in t.exceptions {
                    match ExceptionKind::parse(&e.kind) {
                        Some(ExceptionKind::WindowAtRisk) | None => ignored.push(e.kind),
                        Some(kind) => ship.truth.push((kind, e.start, e.end)),
                    }
                }
                if !ignored.is_empty() {
                    self.warn(&format!(
                        "truth exceptions of kind {ignored:?} ignored: not a truth kind (window_at_risk is derived by replay)"
                    ));
                }
            }
            "shipment" => {
                let s: ShipmentLine = serde_json::from_str(line)?;
                self.event_time(s.at).await?;
                return self.shipment(s).await;
            }
            "tracking" => {
                let t: TrackingLine = serde_json::from_str(line)?;
                self.event_time(t.at).await?;
                return self.tracking(t).await;
            }
            "milestones" => {
                let m: MilestonesLine = serde_json::from_str(line)?;
                self.event_time(m.at).await?;
                return self.milestones(m).await;
            }
            "backlog" => {
                let b: BacklogLine = serde_json::from_str(line)?;
                self.event_time(b.at).await?;
                let Some(&w) = self.warehouse_index.get(b.warehouse.as_str()) else {
                    return Ok(false);
                };
                let units = b.backlog_units;
                self.queue(
                    Write::SetBacklog {
                        warehouse: b.warehouse,
                        backlog_units: units,
                    },
                    Then::Backlog {
                        warehouse: w,
                        units,
                    },
                )
                .await?;
            }
            "automation" => {
                let a: AutomationLine = serde_json::from_str(line)?;
                self.event_time(a.at).await?;
                let Some(&i) = self.by_id.get(&a.shipment_id) else {
                    return Ok(false);
                };
                let write = Write::SetWindowAutomation {
                    shipment: self.ships[i as usize].key.clone(),
                    allowed: a.allowed,
                    now: self.now,
                };
                self.queue(
                    write,
                    Then::Automation {
                        ship: i,
                        allowed: a.allowed,
                    },
                )
                .await?;
            }
            "window" => {
                let w: WindowLine = serde_json::from_str(line)?;
                self.event_time(w.at).await?;
                let Some(&i) = self.by_id.get(&w.shipment_id) else {
                    return Ok(false);
                };
                let Ok(window) = DeliveryWindow::new(w.start_date, w.end_date) else {
                    return Ok(false);
                };
                let ship = &self.ships[i as usize];
                let write = Write::SetDeliveryWindow {
                    shipment: ship.key.clone(),
                    change: WindowChangeRequest {
                        window,
                        source: WindowSource::Seller,
                        actor: format!("seller:{}", ship.snap.seller),
                        reason: "set by the seller".into(),
                        now: self.now,
                    },
                };
                self.queue(write, Then::SellerWindow { ship: i, window })
                    .await?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Moves the virtual clock to `at`, running every midnight pass on the way.
    async fn event_time(&mut self, at: Timestamp) -> anyhow::Result<()> {
        if self.first_event.is_none() {
            self.first_event = Some(at);
            self.next_pass = Some(next_midnight(at));
        }
        if at < self.now {
            self.counts.out_of_order_lines += 1;
            self.warn(&format!(
                "`at` {at} is before an earlier line's ({}): played at that time",
                self.now
            ));
        }
        self.advance_to(at).await?;
        self.now = self.now.max(at);
        Ok(())
    }

    async fn advance_to(&mut self, at: Timestamp) -> anyhow::Result<()> {
        while let Some(pass) = self.next_pass.filter(|p| *p <= at) {
            self.flush().await?;
            self.wake_until(pass);
            self.now = self.now.max(pass);
            self.pass();
            self.next_pass = Some(next_midnight(pass));
        }
        Ok(())
    }

    /// Looks again at every shipment whose tracking turns stale before `at`,
    /// each at that moment, in time order. Called before anything happening
    /// at `at` is applied, so each look sees exactly what the hub knew then.
    fn wake_until(&mut self, at: Timestamp) {
        while let Some(&Reverse((due, index))) = self.wakes.peek() {
            if due >= at {
                break;
            }
            self.wakes.pop();
            let ship = &mut self.ships[index as usize];
            if ship.armed != Some(due) {
                continue;
            }
            ship.armed = None;
            match ship.wake {
                Some(wake) if wake == due && !ship.is_arrived => {}
                Some(wake) if wake > due => {
                    ship.armed = Some(wake);
                    self.wakes.push(Reverse((wake, index)));
                    continue;
                }
                _ => continue,
            }
            let clock = self.now;
            self.now = due;
            self.evaluate(index, due);
            self.now = clock;
        }
    }

    /// A warning about the line being read, on stderr.
    fn warn(&self, message: &str) {
        eprintln!("{}:{}: {message}", self.source, self.line_number);
    }

    fn is_measured(&self, created_at: Timestamp) -> bool {
        let from = self.measure_from.unwrap_or_else(|| {
            self.first_event
                .and_then(|t| {
                    t.checked_add(SignedDuration::from_hours(WARMUP_DAYS * 24))
                        .ok()
                })
                .unwrap_or(Timestamp::MAX)
        });
        created_at >= from
    }

    async fn shipment(&mut self, s: ShipmentLine) -> anyhow::Result<bool> {
        let (Ok(id), Ok(plan), Ok(confirmation)) = (
            ShipmentId::parse(&s.shipment_id),
            InboundPlanId::parse(&s.inbound_plan_id),
            ConfirmationId::parse(&s.confirmation_id),
        ) else {
            return Ok(false);
        };
        let Some(&warehouse) = self.warehouse_index.get(s.warehouse.as_str()) else {
            self.warn(&format!("warehouse {} has no warehouse line", s.warehouse));
            return Ok(false);
        };
        if self.by_id.contains_key(&s.shipment_id) || self.by_id.contains_key(&s.confirmation_id) {
            self.warn(&format!(
                "shipment {} / {} already exists",
                s.shipment_id, s.confirmation_id
            ));
            return Ok(false);
        }
        if let Some(w) = s.delivery_window
            && let Err(problem) = DeliveryWindow::new(w.start_date, w.end_date)
        {
            self.warn(&format!("deliveryWindow: {}", problem.en));
            return Ok(false);
        }
        let mut packages = Vec::with_capacity(s.boxes.len());
        for b in &s.boxes {
            let Ok(box_id) = BoxId::parse(&b.box_id) else {
                return Ok(false);
            };
            packages.push(Package {
                box_id,
                weight_grams: b.weight_grams,
                dimensions_mm: [400, 300, 300],
                items: vec![Item {
                    sku: "SIM-SKU".into(),
                    units_expected: b.units,
                    units_received: 0,
                }],
                legs: Vec::new(),
                track: PackageTrack::default(),
            });
        }
        let shipment = Shipment {
            id,
            inbound_plan_id: plan,
            confirmation_id: confirmation,
            seller: s.seller.clone(),
            name: s.name.clone(),
            kind: ShipmentKind::Inbound,
            source_address: s.origin.clone(),
            warehouse: s.warehouse.clone(),
            marketplace: s.marketplace,
            shipping_mode: s.shipping_mode,
            freight_mode: s.freight_mode,
            selected_carrier: s.carrier.clone(),
            delivery_window: s.delivery_window.map(|w| (w, WindowSource::Seller)),
            allows_window_automation: s.allows_window_automation,
            created_at: s.at,
            is_cancelled: false,
            packages,
        };
        let carrier = s
            .carrier
            .as_ref()
            .and_then(|c| self.carriers.get(c.as_str()));
        let mut snap = ShipmentSnapshot::from_shipment(&shipment, [], carrier, s.ship_date);
        snap.lane.service = s.service.clone();
        snap.has_tracking = false;
        let index = self.ships.len() as u32;
        self.by_id.insert(s.shipment_id.clone(), index);
        self.by_id.insert(s.confirmation_id.clone(), index);
        let automated = snap.is_window_automated();
        self.ships.push(Ship {
            key: ShipmentKey::new(s.shipment_id),
            created_at: s.at,
            first_window: s.delivery_window,
            changes: Vec::new(),
            seller_changes: Vec::new(),
            automated_at_creation: automated,
            automation_changes: 0,
            window_history: Vec::new(),
            eta_history: Vec::new(),
            last_eta: None,
            moments: [None; 3],
            open: Vec::new(),
            closed: Vec::new(),
            windows_checked: Vec::new(),
            is_arrived: false,
            reroute: None,
            warehouse,
            wait: None,
            truth: Vec::new(),
            wake: None,
            armed: None,
            snap,
        });
        self.open_list.push(index);
        self.queue(Write::CreateShipment(Box::new(shipment)), Then::Nothing)
            .await?;
        Ok(true)
    }

    async fn tracking(&mut self, t: TrackingLine) -> anyhow::Result<bool> {
        let Some(&i) = self.by_id.get(&t.shipment_id) else {
            return Ok(false);
        };
        let items: Vec<TrackingItem> = t
            .items
            .iter()
            .enumerate()
            .map(|(n, item)| TrackingItem {
                box_id: item.box_id.clone(),
                tracking_number: item.tracking_number.clone(),
                carrier: t.carrier.clone(),
                mode: item.mode,
                field: format!("items[{n}]"),
            })
            .collect();
        let actor = Principal::Carrier(t.carrier.clone());
        let checked = match tracklane_ingest::check_tracking(
            self.store.as_ref(),
            &actor,
            items,
            TrackingSource::Carrier,
        )
        .await
        {
            Ok(checked) => checked,
            // The API refuses the whole upload (403): every item is rejected.
            Err(e @ tracklane_ingest::IngestError::CapabilityMissing { .. }) => {
                self.counts.rejected += t.items.len() as u64;
                self.warn(&format!(
                    "{} tracking items rejected: {}",
                    t.items.len(),
                    e.problem().en
                ));
                return Ok(true);
            }
            Err(e) => anyhow::bail!("{}", e.problem().en),
        };
        // The numbers as the store keeps them (normalised), by item index.
        let mut numbers = vec![String::new(); t.items.len()];
        for a in &checked.valid {
            if let Some(slot) = numbers.get_mut(a.index) {
                *slot = a.tracking_number.as_str().to_owned();
            }
        }
        let then = Then::Tracking {
            ship: i,
            numbers,
            refused: checked.outcomes.len() as u64,
        };
        let write = Write::AssignTracking {
            actor,
            shipment: self.ships[i as usize].key.clone(),
            assignments: checked.valid,
            now: self.now,
        };
        self.queue(write, then).await?;
        Ok(true)
    }

    async fn milestones(&mut self, m: MilestonesLine<'_>) -> anyhow::Result<bool> {
        let (drafts, report) = match tracklane_ingest::milestones::parse_items(
            &m.milestones,
            Some(m.carrier.as_str()),
            self.now,
        ) {
            Ok(parsed) => parsed,
            // The API refuses the whole body (413): the line is skipped.
            Err(e) => {
                self.warn(&format!("milestones refused: {}", e.problem().en));
                return Ok(false);
            }
        };
        if !self
            .carriers
            .get(m.carrier.as_str())
            .is_some_and(|c| c.has(tracklane_core::Capability::ShipTrack))
        {
            // As `push_milestones`: a carrier without ship_track is refused (403).
            let items = (drafts.len() + report.rejected.len()) as u64;
            self.counts.rejected += items;
            self.warn(&format!(
                "{items} milestones rejected: carrier {} has no carrier line with the ship_track capability",
                m.carrier
            ));
            return Ok(true);
        }
        self.counts.rejected += report.rejected.len() as u64;
        if drafts.is_empty() {
            return Ok(true);
        }
        let items = drafts
            .iter()
            .map(|d| {
                (
                    d.index,
                    d.shipment.as_ref().map(|k| k.0.clone()),
                    d.tracking_number.as_str().to_owned(),
                    Scan::of(&d.milestone, self.now),
                )
            })
            .collect();
        let write = Write::AppendMilestones {
            carrier: m.carrier,
            drafts,
            now: self.now,
        };
        self.queue(write, Then::Milestones { items }).await?;
        Ok(true)
    }

    /// Feeds the scans the store accepted to their shipments' snapshots.
    fn settle_milestones(
        &mut self,
        items: Vec<(usize, Option<String>, String, Scan)>,
        outcomes: Vec<ItemOutcome>,
    ) {
        // Which shipment each item is about, and the number of an item that
        // names its shipment, by the item's index in its line.
        let slots = items.iter().map(|i| i.0 + 1).max().unwrap_or(0);
        let mut owner: Vec<Option<(u32, Scan)>> = vec![None; slots];
        let mut named: Vec<Option<String>> = vec![None; slots];
        for (index, shipment, number, scan) in items {
            let by_name = shipment.as_deref().and_then(|k| self.by_id.get(k)).copied();
            let ship = by_name.or_else(|| self.by_tracking.get(number.as_str()).copied());
            if let Some(ship) = ship {
                owner[index] = Some((ship, scan));
            }
            if by_name.is_some() {
                named[index] = Some(number);
            }
        }
        let mut touched: Vec<u32> = Vec::new();
        for outcome in outcomes {
            match outcome {
                ItemOutcome::Accepted { index, .. } => {
                    self.counts.accepted += 1;
                    // An item naming its shipment attaches its number there
                    // (auto-recognition): later items may give only the number.
                    let (Some(owned), Some(naming)) = (owner.get_mut(index), named.get_mut(index))
                    else {
                        continue;
                    };
                    if let (Some(number), Some((ship, _))) = (naming.take(), &owned) {
                        self.by_tracking.entry(number).or_insert(*ship);
                    }
                    if let Some((ship, scan)) = owned.take() {
                        let s = &mut self.ships[ship as usize];
                        s.snap.has_tracking = true;
                        s.snap.insert_scan(scan);
                        if !touched.contains(&ship) {
                            touched.push(ship);
                        }
                    }
                }
                ItemOutcome::Duplicate { .. } => self.counts.duplicates += 1,
                ItemOutcome::Rejected { .. } => self.counts.rejected += 1,
            }
        }
        touched.sort_unstable();
        for ship in touched {
            self.after_scans(ship);
        }
    }

    /// What follows new scans of one shipment: ETA at the KPI milestones,
    /// arrival (learning, receiving wait), and exceptions.
    fn after_scans(&mut self, index: u32) {
        let now = self.now;
        let ship = &mut self.ships[index as usize];
        if ship.is_arrived {
            return;
        }
        if ship.snap.arrived_at().is_some() {
            ship.is_arrived = true;
            self.model.learn(&ship.snap);
            self.arrival_wait(index);
            self.evaluate(index, now);
            return;
        }
        let destination = ship.snap.destination_country();
        let reached = [
            ship.snap.picked_up_at().is_some(),
            ship.snap.scans.iter().any(|s| {
                matches!(
                    s.code,
                    MilestoneCode::Departed | MilestoneCode::DepartedRailTerminal
                ) && s.country_code.as_deref().is_some_and(|c| c != destination)
            }),
            ship.snap
                .scans
                .iter()
                .any(|s| s.country_code.as_deref() == Some(destination)),
        ];
        let eta = self.model.eta(&ship.snap, now);
        if reached
            .iter()
            .zip(&ship.moments)
            .any(|(r, m)| *r && m.is_none())
        {
            let fixed = self.model.static_eta(&ship.snap);
            let nominal = EtaModel::nominal_eta(&ship.snap);
            if let (Some(eta), Some(fixed), Some(nominal)) = (&eta, fixed, nominal) {
                for (r, m) in reached.iter().zip(ship.moments.iter_mut()) {
                    if *r && m.is_none() {
                        *m = Some((eta.p50, fixed, nominal));
                    }
                }
            }
        }
        self.evaluate_with(index, now, eta);
    }

    /// Recomputes one shipment's ETA and exceptions at `now`, recording changes.
    fn evaluate(&mut self, index: u32, now: Timestamp) {
        let eta = self.model.eta(&self.ships[index as usize].snap, now);
        self.evaluate_with(index, now, eta);
    }

    /// [`Replay::evaluate`] with the ETA at `now` already computed.
    fn evaluate_with(&mut self, index: u32, now: Timestamp, eta: Option<Eta>) {
        let snap = &self.ships[index as usize].snap;
        let window = snap.window.map(|(w, _)| w);
        let (found, stale_due) = tracklane_engine::exceptions::detect_under(
            snap,
            window,
            &self.model,
            eta.as_ref(),
            now,
        );
        self.record(index, now, eta, found, stale_due);
    }

    /// Records one shipment's ETA and the exceptions found for it at `now`:
    /// the ETA history, episodes opened, kept and closed; and when to look
    /// at it again (`stale_due`, see [`Ship::wake`]).
    fn record(
        &mut self,
        index: u32,
        now: Timestamp,
        eta: Option<Eta>,
        found: Vec<Exception>,
        stale_due: Option<Timestamp>,
    ) {
        let ship = &mut self.ships[index as usize];
        if let Some(e) = &eta
            && ship
                .eta_history
                .last()
                .is_none_or(|p| day_of(p.p50) != day_of(e.p50))
            && !ship.is_arrived
        {
            ship.eta_history.push(EtaPoint {
                at: now,
                p10: e.p10,
                p50: e.p50,
                p90: e.p90,
                level: e.basis.level,
            });
        }
        let window_key = match ship.snap.window {
            Some((w, _)) if !ship.is_arrived => Some(ship.window_key(w, &mut self.window_keys)),
            _ => None,
        };
        let key_of = |kind: ExceptionKind| {
            if kind == ExceptionKind::WindowAtRisk {
                window_key.unwrap_or(0)
            } else {
                index
            }
        };
        let mut still = Vec::with_capacity(ship.open.len());
        for (kind, key, since, evidence) in ship.open.drain(..) {
            if found
                .iter()
                .any(|f| f.kind == kind && key_of(f.kind) == key)
            {
                still.push((kind, key, since, evidence));
            } else {
                ship.closed.push((kind, key, since, now, evidence));
            }
        }
        for f in found {
            let key = key_of(f.kind);
            if !still.iter().any(|(k, kk, _, _)| *k == f.kind && *kk == key) {
                still.push((f.kind, key, now, f.evidence));
            }
        }
        ship.open = still;
        ship.last_eta = eta;
        ship.wake = stale_due.filter(|d| *d > now && !ship.is_arrived);
        if let Some(due) = ship.wake
            && ship.armed.is_none_or(|armed| due < armed)
        {
            ship.armed = Some(due);
            self.wakes.push(Reverse((due, index)));
        }
    }

    /// Receiving wait at arrival, with and without the shipment's reroute.
    fn arrival_wait(&mut self, index: u32) {
        let ship = &self.ships[index as usize];
        let Some(arrived) = ship.snap.arrived_at() else {
            return;
        };
        let units = ship.snap.units;
        let wait_at = |w: usize, extra: u32| {
            let cap = f64::from(self.warehouses[w].receiving_capacity_units_per_day.max(1));
            (f64::from(self.backlog[w]) + f64::from(extra) + f64::from(units)) / cap
        };
        let off = wait_at(ship.warehouse, 0);
        let on = match &ship.reroute {
            Some(r) => {
                let since = arrived
                    .checked_sub(SignedDuration::from_hours(72))
                    .unwrap_or(arrived);
                let extra: u32 = self
                    .reroute_arrivals
                    .iter()
                    .filter(|(t, w, _)| *w == r.to_index && *t >= since && *t < arrived)
                    .map(|(_, _, u)| *u)
                    .sum();
                r.transfer_days + wait_at(r.to_index, extra)
            }
            None => off,
        };
        let reroute_to = ship.reroute.as_ref().map(|r| r.to_index);
        if let Some(to) = reroute_to {
            self.reroute_arrivals.push((arrived, to, units));
            // Keep only the last few days of arrivals.
            let horizon = arrived
                .checked_sub(SignedDuration::from_hours(24 * 7))
                .unwrap_or(arrived);
            self.reroute_arrivals.retain(|(t, _, _)| *t >= horizon);
        }
        self.ships[index as usize].wait = Some((on, off));
    }

    /// The midnight pass: windows, exceptions, reroutes.
    fn pass(&mut self) {
        self.counts.engine_passes += 1;
        self.model.refresh();
        let now = self.now;
        let mut open = std::mem::take(&mut self.open_list);
        open.retain(|&i| !self.ships[i as usize].is_arrived);
        let mut pieces = std::mem::take(&mut self.verdicts);
        judge_all(
            &self.ships,
            &open,
            &self.model,
            &self.policy,
            now,
            &mut pieces,
        );
        let judgements = pieces.iter_mut().flat_map(|piece| piece.drain(..));
        for (&i, judgement) in open.iter().zip(judgements) {
            let Verdict {
                eta,
                decision,
                exceptions,
                handled,
                stale_due,
            } = judgement;
            let ship = &mut self.ships[i as usize];
            if let (Some(handled), Some((replaced, _))) = (handled, ship.snap.window) {
                ship.record_handled(replaced, handled, now, &mut self.window_keys);
            }
            if let WindowDecision::Move(mv) = decision {
                self.queue.push(Write::SetDeliveryWindow {
                    shipment: ship.key.clone(),
                    change: WindowChangeRequest {
                        window: mv.to,
                        source: mv.source,
                        actor: mv.actor,
                        reason: mv.reason,
                        now,
                    },
                });
                self.then.push((now, Then::AutomatedWindow { ship: i }));
                ship.snap.window = Some((mv.to, mv.source));
                ship.changes.push((now, mv.to));
                ship.automation_changes += 1;
            }
            self.record(i, now, eta, exceptions, stale_due);
        }
        self.verdicts = pieces;
        // The automation's window writes go with the next bundle: only their
        // audit records come back, and nothing reads those before the report.
        self.reroute_pass(&open, now);
        self.open_list = open;
    }

    fn reroute_pass(&mut self, open: &[u32], now: Timestamp) {
        let horizon = SignedDuration::from_hours((self.cost_model.horizon_days * 24.0) as i64);
        let (from, to) = (
            now.checked_sub(horizon).unwrap_or(now),
            now.checked_add(horizon).unwrap_or(now),
        );
        self.reroute_inflow.retain(|(t, _, _)| *t >= from);
        let mut loads: Vec<WarehouseLoad> = self
            .warehouses
            .iter()
            .enumerate()
            .map(|(w, site)| WarehouseLoad {
                code: site.code.clone(),
                marketplace: site.marketplace,
                latitude: site.latitude,
                longitude: site.longitude,
                capacity_units_per_day: site.receiving_capacity_units_per_day,
                backlog_units: self.backlog[w],
                inbound_units: 0,
            })
            .collect();
        for (t, w, units) in &self.reroute_inflow {
            if *t <= to {
                loads[*w].inbound_units += units;
            }
        }
        let mut candidates = Vec::new();
        let mut owners = Vec::new();
        for &i in open {
            let ship = &self.ships[i as usize];
            if ship.reroute.is_some() {
                continue;
            }
            if reroute::is_candidate(
                &ship.snap,
                ship.last_eta.as_ref(),
                &loads[ship.warehouse],
                now,
            ) {
                candidates.push(RerouteCandidate::of(&ship.snap));
                owners.push(i);
            }
        }
        if candidates.is_empty() {
            return;
        }
        let plan = reroute::plan(&candidates, &loads, &self.cost_model);
        for (_, sent, room) in &plan.capacity {
            if sent > room {
                self.capacity_violations += 1;
            }
        }
        let by_shipment: HashMap<&ShipmentId, u32> = candidates
            .iter()
            .zip(&owners)
            .map(|(c, o)| (&c.shipment, *o))
            .collect();
        for offer in &plan.offers {
            let Some(&i) = by_shipment.get(&offer.shipment) else {
                continue;
            };
            let Some(&to_index) = self.warehouse_index.get(offer.to.as_str()) else {
                continue;
            };
            let ship = &mut self.ships[i as usize];
            let transfer_days = offer.extra_km / self.cost_model.truck_km_per_day;
            let eta_p50 = ship.last_eta.as_ref().map_or(now, |e| e.p50);
            let appointment_at = tracklane_engine::eta::add_hours(eta_p50, transfer_days * 24.0);
            // The carrier confirms every offer (the stream cannot answer).
            ship.reroute = Some(RerouteRecord {
                at: now,
                from: offer.from.to_string(),
                to: offer.to.to_string(),
                appointment: day_of(appointment_at),
                reason: offer.reason.clone(),
                transfer_days,
                to_index,
            });
            self.reroute_inflow.push((
                tracklane_engine::eta::add_hours(eta_p50, transfer_days * 24.0),
                to_index,
                offer.units,
            ));
            self.reroutes += 1;
        }
    }

    fn report(&mut self, options: ReplayOptions) -> ReplayReport {
        let mut hit = Rate::default();
        let mut hit_static = Rate::default();
        let mut hit_all = Rate::default();
        let mut hit_all_static = Rate::default();
        let mut hit_by_mode: std::collections::BTreeMap<String, (Rate, Rate)> =
            std::collections::BTreeMap::new();
        let mut mae = [MeanAbs::default(); 3];
        let mut mae_static = [MeanAbs::default(); 3];
        let mut mae_nominal = [MeanAbs::default(); 3];
        let mut changes = Rate::default();
        let (mut on, mut off, mut n) = (0.0, 0.0, 0u64);
        let (mut on_all, mut off_all, mut n_all) = (0.0, 0.0, 0u64);
        let mut raised = Vec::new();
        let mut truth = Vec::new();
        let (mut measured, mut arrived_measured) = (0u64, 0u64);
        let grace = SignedDuration::from_hours(TRUTH_GRACE_HOURS);
        for (index, ship) in self.ships.iter_mut().enumerate() {
            for (kind, key, since, evidence) in ship.open.drain(..) {
                ship.closed
                    .push((kind, key, since, Timestamp::MAX, evidence));
            }
            let is_measured = {
                let from = self.measure_from.unwrap_or_else(|| {
                    self.first_event
                        .and_then(|t| {
                            t.checked_add(SignedDuration::from_hours(WARMUP_DAYS * 24))
                                .ok()
                        })
                        .unwrap_or(Timestamp::MAX)
                });
                ship.created_at >= from
            };
            if !is_measured {
                continue;
            }
            measured += 1;
            let arrived = ship.snap.arrived_at();
            for (kind, key, since, until, _) in &ship.closed {
                if *kind == ExceptionKind::WindowAtRisk && arrived.is_none() {
                    continue;
                }
                raised.push(Episode {
                    shipment: *key,
                    kind: *kind,
                    interval: Interval {
                        start: *since,
                        end: *until,
                    },
                });
            }
            for (kind, start, stop) in &ship.truth {
                truth.push(Episode {
                    shipment: index as u32,
                    kind: *kind,
                    interval: Interval {
                        start: *start,
                        end: stop.unwrap_or(Timestamp::MAX),
                    },
                });
            }
            if ship.automated_at_creation {
                changes.hits += u64::from(ship.automation_changes);
                changes.total += 1;
            }
            let Some(arrived) = arrived else { continue };
            arrived_measured += 1;
            for (window, key) in &ship.windows_checked {
                if day_of(arrived) > window.end_date {
                    truth.push(Episode {
                        shipment: *key,
                        kind: ExceptionKind::WindowAtRisk,
                        interval: Interval {
                            start: Timestamp::MIN,
                            end: Timestamp::MAX,
                        },
                    });
                }
            }
            let with = kpi::is_window_hit(ship.first_window, &ship.changes, arrived);
            let without = kpi::is_window_hit(ship.first_window, &ship.seller_changes, arrived);
            hit_all.add(with);
            hit_all_static.add(without);
            if ship.automated_at_creation {
                hit.add(with);
                hit_static.add(without);
                let by_mode = hit_by_mode
                    .entry(ship.snap.lane.mode.to_string())
                    .or_default();
                by_mode.0.add(with);
                by_mode.1.add(without);
            }
            for (k, moment) in ship.moments.iter().enumerate() {
                if let Some((p50, fixed, nominal)) = moment {
                    mae[k].add_days(*p50, arrived);
                    mae_static[k].add_days(*fixed, arrived);
                    mae_nominal[k].add_days(*nominal, arrived);
                }
            }
            if let Some((w_on, w_off)) = ship.wait
                && w_off >= CONGESTED_WAIT_DAYS
            {
                on_all += w_on;
                off_all += w_off;
                n_all += 1;
                if ship.snap.can_reroute() {
                    on += w_on;
                    off += w_off;
                    n += 1;
                }
            }
        }
        let score = kpi::score_exceptions(&raised, &truth, grace);
        let eta_error = |k: usize| EtaError {
            engine: mae[k].value(),
            static_baseline: mae_static[k].value(),
            nominal_baseline: mae_nominal[k].value(),
            shipments: mae[k].count,
        };
        let wait = |on: f64, off: f64, n: u64| {
            let (on, off) = if n == 0 {
                (0.0, 0.0)
            } else {
                (on / n as f64, off / n as f64)
            };
            WaitDays {
                reroute_on: on,
                reroute_off: off,
                cut: if off > 0.0 { 1.0 - on / off } else { 0.0 },
                shipments: n,
            }
        };
        let kpis = Kpis {
            dw_hit_rate_7d: hit.value(),
            dw_hit_rate_7d_static: hit_static.value(),
            dw_hit_shipments: hit.total,
            dw_hit_rate_7d_by_mode: hit_by_mode
                .into_iter()
                .map(|(mode, (with, without))| (mode, with.value(), without.value(), with.total))
                .collect(),
            dw_hit_rate_7d_all: hit_all.value(),
            dw_hit_rate_7d_all_static: hit_all_static.value(),
            eta_mae_days_at_pickup: eta_error(0),
            eta_mae_days_at_departure: eta_error(1),
            eta_mae_days_at_arrival_in_country: eta_error(2),
            window_changes_per_shipment: if changes.total == 0 {
                0.0
            } else {
                changes.hits as f64 / changes.total as f64
            },
            wait_days_mean: wait(on, off, n),
            wait_days_mean_all_carriers: wait(on_all, off_all, n_all),
            reroutes: self.reroutes,
            capacity_violations: self.capacity_violations,
            exception_precision: score.precision,
            exception_recall: score.recall,
            exceptions: score,
        };
        let shipment_histories = options.with_shipments.then(|| {
            self.ships
                .iter()
                .map(|s| ShipmentReport {
                    shipment_id: s.key.0.clone(),
                    measured: self.is_measured(s.created_at),
                    lane: s.snap.lane.clone(),
                    carrier: s.snap.carrier.clone(),
                    arrived_at: s.snap.arrived_at(),
                    eta_history: s.eta_history.clone(),
                    window_history: s.window_history.clone(),
                    reroute: s.reroute.clone(),
                    exceptions: s
                        .closed
                        .iter()
                        .map(|(kind, _, from, to, evidence)| ExceptionRecord {
                            kind: *kind,
                            from: *from,
                            to: (*to != Timestamp::MAX).then_some(*to),
                            evidence: evidence.clone(),
                        })
                        .collect(),
                })
                .collect()
        });
        ReplayReport {
            generator: self.generator.clone(),
            seed: self.seed,
            shipments: self.ships.len() as u64,
            measured_shipments: measured,
            arrived_measured_shipments: arrived_measured,
            ingest: self.counts.clone(),
            kpis,
            shipment_histories,
        }
    }
}
