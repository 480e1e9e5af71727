//! Estimated time of arrival, learned from history: for every completed journey
//! the model records, at each stage (the latest milestone code, and whether it
//! was scanned in the destination country), how long was left until the freight
//! reached the warehouse, and how long the hub then heard nothing.
//!
//! A stage also counts how many other places the same milestone already
//! happened at: a vessel departing its transshipment port, or a train reaching
//! the third rail terminal of its journey, has far less left to go than at
//! the first one, though code and country are the same.
//!
//! A prediction looks up the shipment's current stage in the most specific
//! bucket that has enough history, backing off from carrier + lane to lane,
//! destination (warehouse + mode + service), warehouse (+ mode), corridor
//! (origin → marketplace), marketplace + mode, and mode. The warehouse comes
//! before the corridor because where the freight lands (which coast, which
//! port) decides more of the remaining time than where it came from. A bucket
//! is blended with the next broader one that has more history, as far as
//! its median differs from the broader one's by no more than its own noise
//! (`own_weight`). It conditions
//! on the time already spent since that milestone: only journeys that were still
//! under way after as long count (a survival estimate), so a shipment that sits
//! silent sees its ETA slide out. The answer is a quantile grid, from which come
//! p10 / p50 / p90 and the probability of any interval (a delivery window).
//!
//! Nothing here knows how any generator draws its durations: the model sees
//! only scans and arrivals. Buckets keep the most recent
//! [`BUCKET_SAMPLES_MAX`] journeys, so lanes that drift are followed.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tracklane_core::{FreightMode, MilestoneCode};

use crate::snapshot::{Scan, ShipmentSnapshot};

/// Journeys kept per bucket (the most recent ones).
pub const BUCKET_SAMPLES_MAX: usize = 400;
/// Journeys a bucket needs (after conditioning on elapsed time) before it is used.
pub const BUCKET_SAMPLES_MIN: usize = 20;
/// Silences a bucket needs before its limit is used: the stale check reads
/// the 90th percentile and the distance to the median, and with 20 samples
/// the 90th percentile is the second or third largest, so a short limit from
/// a thin lane raised false alarms. On the simulated lanes, 50 cut those by
/// about half while missing few more real silences.
pub const SILENCE_SAMPLES_MIN: usize = 50;
/// Standard error of a sample median, in standard deviations, times √n
/// (√(π/2), for a normal sample).
const MEDIAN_SE_PER_SIGMA: f64 = 1.2533;
/// Interquartile range of a normal sample, in standard deviations.
const IQR_PER_SIGMA: f64 = 1.349;
/// Fewer comparable journeys than this are not trusted at all: the estimate
/// falls back to the nominal transit (or the overdue guess).
pub const FALLBACK_SAMPLES_MIN: usize = 8;
/// Buckets a refresh sorts on one core, at least, before it uses more.
const REFRESH_CHUNK_MIN: usize = 2_048;
/// Quantile grid resolution: 0 %, 5 %, …, 100 %.
const GRID_POINTS: usize = 21;
const SECONDS_PER_HOUR: f64 = 3600.0;
const HOURS_PER_DAY: f64 = 24.0;

/// Door-to-door days (pickup to warehouse) per mode, used only before the model
/// has seen a single completed journey of the mode. Industry rule-of-thumb
/// figures for China to the US and Europe, not learned.
pub fn nominal_transit_days(mode: FreightMode) -> f64 {
    match mode {
        FreightMode::Express => 5.0,
        FreightMode::Air => 9.0,
        FreightMode::Ocean => 38.0,
        FreightMode::Rail => 24.0,
    }
}

/// How specific the history behind an estimate is, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Same carrier, origin, warehouse, mode and service.
    CarrierLane,
    /// Same origin, warehouse, mode and service, any carrier.
    Lane,
    /// Same warehouse, mode and service, any origin and carrier: the
    /// destination port and last mile decide most of the remaining time.
    Destination,
    /// Same warehouse and mode, any service, origin and carrier.
    Warehouse,
    /// Same origin and marketplace, mode and service.
    Corridor,
    /// Same marketplace, mode and service.
    MarketplaceMode,
    /// Same mode.
    Mode,
    /// No history at all: the nominal transit of the mode.
    Nominal,
    /// Later than every journey on record: a guess that the end is near.
    Extrapolated,
    /// Already arrived.
    Arrived,
}

/// Back-off levels, most specific first.
const LEVEL_COUNT: usize = 7;

const LEVELS: [Level; LEVEL_COUNT] = [
    Level::CarrierLane,
    Level::Lane,
    Level::Destination,
    Level::Warehouse,
    Level::Corridor,
    Level::MarketplaceMode,
    Level::Mode,
];

/// A stage of a journey: no scan yet, or the latest milestone code, whether it
/// was scanned in the destination country, and at how many other places the
/// same code (in or out of the destination country) was scanned before. Codes
/// repeat (a vessel departs its port of loading and a transshipment port, a
/// train reaches the border, the gauge change and its terminal): the country
/// and the count tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Booked, nothing scanned: measured from the planned start.
    Planned,
    /// Measured from pickup: the whole door-to-door transit (the static baseline).
    FromPickup,
    /// Measured from this milestone.
    At {
        /// The milestone code.
        code: MilestoneCode,
        /// Whether it was scanned in the destination country.
        is_in_destination: bool,
        /// Earlier places (city and country) with the same code and
        /// `is_in_destination`, up to [`STAGE_REPEATS_MAX`].
        repeat: u8,
    },
}

/// Repeats of a code beyond this many count as this many.
pub const STAGE_REPEATS_MAX: u8 = 7;

impl Stage {
    /// The stage `scans[index]` marks (scans oldest first) for a shipment to
    /// `destination_country`. The scans of a shipment's boxes repeat a
    /// milestone at the same place; only another place counts as a repeat.
    pub fn of(scans: &[Scan], index: usize, destination_country: &str) -> Self {
        let is_in_destination = |s: &Scan| s.country_code.as_deref() == Some(destination_country);
        fn place(s: &Scan) -> (Option<&str>, Option<&str>) {
            (s.country_code.as_deref(), s.city.as_deref())
        }
        let scan = &scans[index];
        let here = is_in_destination(scan);
        let mut places: Vec<(Option<&str>, Option<&str>)> = Vec::new();
        for earlier in &scans[..index] {
            if earlier.code == scan.code
                && is_in_destination(earlier) == here
                && place(earlier) != place(scan)
                && !places.contains(&place(earlier))
            {
                places.push(place(earlier));
            }
        }
        Stage::At {
            code: scan.code,
            is_in_destination: here,
            repeat: places.len().min(usize::from(STAGE_REPEATS_MAX)) as u8,
        }
    }

    fn number(self) -> u64 {
        match self {
            Stage::Planned => 0,
            Stage::FromPickup => 1,
            Stage::At {
                code,
                is_in_destination,
                repeat,
            } => {
                2 + (u64::from(code.number()) * 2 + u64::from(is_in_destination))
                    * (u64::from(STAGE_REPEATS_MAX) + 1)
                    + u64::from(repeat)
            }
        }
    }
}

/// A predicted arrival at the warehouse with its spread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Eta {
    /// 10 % of comparable journeys had arrived by then.
    pub p10: Timestamp,
    /// The median: the estimate shown as `ESTIMATED_DELIVERY_DATE`.
    pub p50: Timestamp,
    /// 90 % of comparable journeys had arrived by then.
    pub p90: Timestamp,
    /// What the estimate rests on.
    pub basis: EtaBasis,
    /// Arrival instants (Unix seconds) at the 0 %, 5 %, …, 100 % quantiles.
    #[serde(skip)]
    grid: [i64; GRID_POINTS],
}

/// The evidence behind an [`Eta`], for the seller and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EtaBasis {
    /// How specific the history used was.
    pub level: Level,
    /// The milestone conditioned on (`None`: nothing scanned yet).
    pub stage: Option<MilestoneCode>,
    /// When that milestone (or the planned start) happened.
    pub since: Timestamp,
    /// Comparable journeys the estimate used.
    pub journeys: u32,
}

impl Eta {
    pub(crate) fn from_grid(grid: [i64; GRID_POINTS], basis: EtaBasis) -> Self {
        let at = |s: i64| Timestamp::from_second(s).unwrap_or(Timestamp::MAX);
        Self {
            p10: at(grid[2]),
            p50: at(grid[10]),
            p90: at(grid[18]),
            basis,
            grid,
        }
    }

    /// The share of comparable journeys that arrive in `[start, end)`, read off
    /// the quantile grid with linear interpolation.
    pub fn probability_between(&self, start: Timestamp, end: Timestamp) -> f64 {
        (self.cdf(end.as_second()) - self.cdf(start.as_second())).max(0.0)
    }

    fn cdf(&self, t: i64) -> f64 {
        let g = &self.grid;
        if t < g[0] {
            return 0.0;
        }
        if t >= g[GRID_POINTS - 1] {
            return 1.0;
        }
        let step = 1.0 / (GRID_POINTS - 1) as f64;
        // The last grid point not after t; ties (a flat stretch) take the highest.
        let i = g.partition_point(|&x| x <= t).saturating_sub(1);
        let (lo, hi) = (g[i], g[(i + 1).min(GRID_POINTS - 1)]);
        let within = if hi > lo {
            (t - lo) as f64 / (hi - lo) as f64
        } else {
            0.0
        };
        ((i as f64 + within) * step).min(1.0)
    }
}

/// Maps keyed by packed lane and stage numbers. The keys are the model's own,
/// looked up on every estimate, so a fast unkeyed hash serves; its fixed seed
/// keeps lane names' hashes the same from run to run.
type KeyMap<V> = HashMap<u64, V, foldhash::fast::FixedState>;

/// The most recent samples of one bucket, and a sorted copy for queries.
#[derive(Debug, Default, Clone)]
struct Bucket {
    ring: Vec<f32>,
    next: usize,
    sorted: Vec<f32>,
    /// Samples pushed since the last refresh, and the ones they pushed out.
    added: Vec<f32>,
    removed: Vec<f32>,
}

impl Bucket {
    fn push(&mut self, hours: f32) {
        if self.ring.len() < BUCKET_SAMPLES_MAX {
            self.ring.push(hours);
        } else {
            self.removed.push(self.ring[self.next]);
            self.ring[self.next] = hours;
            self.next = (self.next + 1) % BUCKET_SAMPLES_MAX;
        }
        self.added.push(hours);
    }

    /// Brings `sorted` up to date: a few changes are placed by binary search,
    /// many by sorting again.
    fn refresh(&mut self) {
        if self.added.is_empty() {
            return;
        }
        if self.added.len() * 16 > self.sorted.len() {
            self.sorted.clear();
            self.sorted.extend_from_slice(&self.ring);
            self.sorted.sort_by(f32::total_cmp);
        } else {
            for gone in self.removed.drain(..) {
                if let Ok(at) = self.sorted.binary_search_by(|x| x.total_cmp(&gone)) {
                    self.sorted.remove(at);
                }
            }
            for new in &self.added {
                let at = self.sorted.partition_point(|x| x.total_cmp(new).is_lt());
                self.sorted.insert(at, *new);
            }
        }
        self.added.clear();
        self.removed.clear();
    }

    /// The samples greater than `elapsed_hours`.
    fn survivors(&self, elapsed_hours: f32) -> &[f32] {
        let from = self.sorted.partition_point(|&x| x <= elapsed_hours);
        &self.sorted[from..]
    }
}

/// The `q` quantile (0..=1) of sorted `samples`, interpolated.
fn quantile(samples: &[f32], q: f64) -> f64 {
    assert!(!samples.is_empty(), "quantile of no samples");
    let position = q.clamp(0.0, 1.0) * (samples.len() - 1) as f64;
    let lo = position.floor() as usize;
    let hi = position.ceil() as usize;
    let w = position - lo as f64;
    f64::from(samples[lo]) * (1.0 - w) + f64::from(samples[hi]) * w
}

/// How much a bucket's own quantiles count against those of a broader bucket
/// with more history (the rest): the positive-part James–Stein weight on the
/// medians. A bucket whose median sits within its sampling noise of the
/// broader one's is mostly noise about it and is pulled in; one far outside
/// it is different for a reason (a carrier that is faster than the lane) and
/// keeps its own. A fixed pull of n / (n + 30) helped on the simulated lanes,
/// where carriers on a lane differ little, but made the departure ETA 9 %
/// worse on a stream whose carriers differ a lot; this weight does neither
/// harm.
fn own_weight(survivors: &[f32], broader: &[f32]) -> f64 {
    let gap = quantile(survivors, 0.5) - quantile(broader, 0.5);
    if gap == 0.0 {
        return 0.0;
    }
    let spread = quantile(survivors, 0.75) - quantile(survivors, 0.25);
    let noise = MEDIAN_SE_PER_SIGMA * spread / IQR_PER_SIGMA / (survivors.len() as f64).sqrt();
    (1.0 - (noise * noise) / (gap * gap)).max(0.0)
}

/// The interned identities of a shipment at each back-off level.
#[derive(Debug, Clone, Copy)]
struct LaneIds([Option<u64>; LEVEL_COUNT]);

/// Buckets by key, and the keys of those that learned something since the
/// last refresh: a refresh visits only those, not every bucket of every lane.
#[derive(Debug, Default, Clone)]
struct Buckets {
    map: KeyMap<Bucket>,
    waiting: Vec<u64>,
}

impl Buckets {
    fn get(&self, key: &u64) -> Option<&Bucket> {
        self.map.get(key)
    }

    fn push(&mut self, key: u64, hours: f32) {
        let bucket = self.map.entry(key).or_default();
        if bucket.added.is_empty() {
            self.waiting.push(key);
        }
        bucket.push(hours);
    }

    /// Refreshes the waiting buckets one by one.
    fn refresh_waiting(&mut self) {
        for key in self.waiting.drain(..) {
            if let Some(bucket) = self.map.get_mut(&key) {
                bucket.refresh();
            }
        }
    }
}

/// What the model has learned: remaining time and silence per stage and level.
#[derive(Debug, Default, Clone)]
pub struct EtaModel {
    /// Lane keys (see `lane_keys`) to compact ids, in order of first sight.
    names: KeyMap<u32>,
    remaining: Buckets,
    silence: Buckets,
    journeys: u64,
}

fn hours_between(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() / SECONDS_PER_HOUR
}

fn after_hours(at: Timestamp, hours: f64) -> i64 {
    at.as_second() + (hours * SECONDS_PER_HOUR).round() as i64
}

impl EtaModel {
    /// An empty model: every estimate falls back to the nominal transit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Completed journeys learned so far.
    pub fn journeys(&self) -> u64 {
        self.journeys
    }

    /// The shipment's lane at each back-off level, as a hash of the level's
    /// parts. Every estimate looks its lane up, and hashing the parts in place
    /// allocates nothing. Two names sharing a 64-bit hash would pool their
    /// history; with thousands of names the odds are about one in 10¹².
    fn lane_keys(s: &ShipmentSnapshot) -> [u64; LEVEL_COUNT] {
        let l = &s.lane;
        let service = l.service.as_deref().unwrap_or("");
        let carrier = s.carrier.as_ref().map_or("", |c| c.as_str());
        let warehouse = l.warehouse.as_str();
        let key = |level: u8, parts: &dyn Fn(&mut foldhash::fast::FoldHasher)| {
            let mut h = foldhash::fast::FixedState::default().build_hasher();
            level.hash(&mut h);
            parts(&mut h);
            h.finish()
        };
        [
            key(0, &|h| {
                (carrier, &l.origin, warehouse, l.mode, service).hash(h)
            }),
            key(1, &|h| (&l.origin, warehouse, l.mode, service).hash(h)),
            key(2, &|h| (warehouse, l.mode, service).hash(h)),
            key(3, &|h| (warehouse, l.mode).hash(h)),
            key(4, &|h| (&l.origin, l.marketplace, l.mode, service).hash(h)),
            key(5, &|h| (l.marketplace, l.mode, service).hash(h)),
            key(6, &|h| l.mode.hash(h)),
        ]
    }

    fn ids(&self, s: &ShipmentSnapshot) -> LaneIds {
        LaneIds(Self::lane_keys(s).map(|k| self.names.get(&k).map(|&id| u64::from(id))))
    }

    fn ids_mut(&mut self, s: &ShipmentSnapshot) -> [u64; LEVEL_COUNT] {
        Self::lane_keys(s).map(|k| {
            let next = self.names.len() as u32;
            u64::from(*self.names.entry(k).or_insert(next))
        })
    }

    fn key(lane_id: u64, stage: Stage) -> u64 {
        (stage.number() << 40) | lane_id
    }

    /// Learns from one finished journey: a shipment that arrived. Anything else
    /// (lost, cancelled, still moving) is ignored. Call [`EtaModel::refresh`]
    /// before the next estimates that should see it.
    pub fn learn(&mut self, journey: &ShipmentSnapshot) {
        let Some(arrived) = journey.arrived_at() else {
            return;
        };
        let ids = self.ids_mut(journey);
        let destination = journey.destination_country();
        let mut seen: Vec<Stage> = Vec::with_capacity(journey.scans.len() + 2);
        let mut record = |model: &mut Self, stage: Stage, from: Timestamp, silence: Option<f64>| {
            if seen.contains(&stage) {
                return;
            }
            seen.push(stage);
            let remaining = hours_between(from, arrived).max(0.0) as f32;
            for id in ids {
                let key = Self::key(id, stage);
                model.remaining.push(key, remaining);
                if let Some(h) = silence {
                    model.silence.push(key, h.max(0.0) as f32);
                }
            }
        };
        let plan = journey.plan_start();
        let heard_after = |t: Timestamp| {
            journey
                .scans
                .iter()
                .filter(|s| s.occurred_at > t)
                .map(|s| s.received_at)
                .min()
        };
        record(
            self,
            Stage::Planned,
            plan,
            heard_after(plan).map(|h| hours_between(plan, h)),
        );
        if let Some(pickup) = journey.picked_up_at() {
            record(self, Stage::FromPickup, pickup, None);
        }
        for (index, scan) in journey.scans.iter().enumerate() {
            if scan.occurred_at > arrived {
                break;
            }
            let stage = Stage::of(&journey.scans, index, destination);
            let silence = heard_after(scan.occurred_at).map(|h| hours_between(scan.occurred_at, h));
            record(self, stage, scan.occurred_at, silence);
        }
        self.journeys += 1;
    }

    /// Sorts what was learned since the last refresh, so estimates see it.
    /// Buckets are independent, so a large refresh is shared between cores.
    pub fn refresh(&mut self) {
        let count = self.remaining.waiting.len() + self.silence.waiting.len();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let chunk = count.div_ceil(cores).max(REFRESH_CHUNK_MIN);
        if count <= chunk {
            self.remaining.refresh_waiting();
            self.silence.refresh_waiting();
            return;
        }
        // Many at once (a hub loading its history): one walk over every
        // bucket finds them, and the cores share the sorting.
        self.remaining.waiting.clear();
        self.silence.waiting.clear();
        let mut waiting: Vec<&mut Bucket> = self
            .remaining
            .map
            .values_mut()
            .chain(self.silence.map.values_mut())
            .filter(|b| !b.added.is_empty())
            .collect();
        // The calling thread sorts the first piece itself (one thread
        // fewer to start, each with an empty heap, every pass).
        std::thread::scope(|scope| {
            let mut pieces = waiting.chunks_mut(chunk);
            let first = pieces.next();
            for piece in pieces {
                scope.spawn(move || piece.iter_mut().for_each(|b| b.refresh()));
            }
            first.into_iter().flatten().for_each(|b| b.refresh());
        });
    }

    /// The stage a shipment is in and when it began.
    pub fn stage_of(snapshot: &ShipmentSnapshot) -> (Stage, Timestamp) {
        match snapshot.latest() {
            Some(scan) => (
                Stage::of(
                    &snapshot.scans,
                    snapshot.scans.len() - 1,
                    snapshot.destination_country(),
                ),
                scan.occurred_at,
            ),
            None => (Stage::Planned, snapshot.plan_start()),
        }
    }

    /// The estimated arrival of `snapshot` as seen at `now`; `None` once it has
    /// ended without arriving (lost, returned, cancelled).
    pub fn eta(&self, snapshot: &ShipmentSnapshot, now: Timestamp) -> Option<Eta> {
        if let Some(arrived) = snapshot.arrived_at() {
            let s = arrived.as_second();
            let basis = EtaBasis {
                level: Level::Arrived,
                stage: Some(MilestoneCode::Delivered),
                since: arrived,
                journeys: 0,
            };
            return Some(Eta::from_grid([s; GRID_POINTS], basis));
        }
        if snapshot.is_finished() {
            return None;
        }
        let (stage, since) = Self::stage_of(snapshot);
        Some(self.eta_at(snapshot, stage, since, now))
    }

    fn eta_at(
        &self,
        snapshot: &ShipmentSnapshot,
        stage: Stage,
        since: Timestamp,
        now: Timestamp,
    ) -> Eta {
        let elapsed = hours_between(since, now).max(0.0) as f32;
        let code = match stage {
            Stage::At { code, .. } => Some(code),
            _ => None,
        };
        let ids = self.ids(snapshot);
        let survivors_at = |id: Option<u64>| {
            id.and_then(|id| self.remaining.get(&Self::key(id, stage)))
                .map(|bucket| bucket.survivors(elapsed))
        };
        let mut fallback: Option<(Level, &[f32])> = None;
        for (i, (level, id)) in LEVELS.iter().zip(ids.0).enumerate() {
            let Some(survivors) = survivors_at(id) else {
                continue;
            };
            if survivors.len() >= BUCKET_SAMPLES_MIN {
                let broader = ids.0[i + 1..]
                    .iter()
                    .filter_map(|id| survivors_at(*id))
                    .find(|broader| broader.len() > survivors.len());
                return self.with_samples(*level, code, since, survivors, broader, now);
            }
            if survivors.len() >= FALLBACK_SAMPLES_MIN
                && fallback.is_none_or(|(_, f)| f.len() < survivors.len())
            {
                fallback = Some((*level, survivors));
            }
        }
        if let Some((level, survivors)) = fallback {
            return self.with_samples(level, code, since, survivors, None, now);
        }
        let has_history = ids.0[LEVEL_COUNT - 1]
            .and_then(|id| self.remaining.get(&Self::key(id, stage)))
            .is_some_and(|b| !b.sorted.is_empty());
        if has_history {
            // Later than every comparable journey: it is overdue, and the best
            // guess is that the end is near but uncertain.
            let grid = std::array::from_fn(|i| {
                after_hours(
                    now,
                    6.0 + i as f64 * (10.0 * HOURS_PER_DAY) / (GRID_POINTS - 1) as f64,
                )
            });
            let basis = EtaBasis {
                level: Level::Extrapolated,
                stage: code,
                since,
                journeys: 0,
            };
            return Eta::from_grid(grid, basis);
        }
        self.nominal(snapshot, code, since, now)
    }

    /// The estimate from `survivors`, shrunk toward `broader` (see
    /// `own_weight`) when there is a broader level with more history.
    fn with_samples(
        &self,
        level: Level,
        stage: Option<MilestoneCode>,
        since: Timestamp,
        survivors: &[f32],
        broader: Option<&[f32]>,
        now: Timestamp,
    ) -> Eta {
        let floor = now.as_second();
        let blend = broader.map(|broader| (own_weight(survivors, broader), broader));
        let grid = std::array::from_fn(|i| {
            let q = i as f64 / (GRID_POINTS - 1) as f64;
            let hours = match blend {
                Some((own, broader)) => {
                    own * quantile(survivors, q) + (1.0 - own) * quantile(broader, q)
                }
                None => quantile(survivors, q),
            };
            after_hours(since, hours).max(floor)
        });
        let basis = EtaBasis {
            level,
            stage,
            since,
            journeys: survivors.len() as u32,
        };
        Eta::from_grid(grid, basis)
    }

    fn nominal(
        &self,
        snapshot: &ShipmentSnapshot,
        stage: Option<MilestoneCode>,
        since: Timestamp,
        now: Timestamp,
    ) -> Eta {
        let days = nominal_transit_days(snapshot.lane.mode);
        let start = snapshot
            .picked_up_at()
            .unwrap_or_else(|| snapshot.plan_start());
        let p50 = after_hours(start, days * HOURS_PER_DAY);
        let spread = days * HOURS_PER_DAY * 0.6;
        let floor = now.as_second();
        let grid = std::array::from_fn(|i| {
            let z = i as f64 / (GRID_POINTS - 1) as f64 - 0.5;
            (p50 + (z * spread * SECONDS_PER_HOUR) as i64).max(floor)
        });
        let basis = EtaBasis {
            level: Level::Nominal,
            stage,
            since,
            journeys: 0,
        };
        Eta::from_grid(grid, basis)
    }

    /// The static baseline: pickup (or the planned start) plus the median
    /// door-to-door transit of the mode over every journey seen, ignoring lane,
    /// carrier and progress. `None` for a shipment that ended without arriving.
    pub fn static_eta(&self, snapshot: &ShipmentSnapshot) -> Option<Timestamp> {
        let id = self.ids(snapshot).0[LEVEL_COUNT - 1];
        let hours = id
            .and_then(|id| self.remaining.get(&Self::key(id, Stage::FromPickup)))
            .filter(|b| !b.sorted.is_empty())
            .map_or_else(
                || nominal_transit_days(snapshot.lane.mode) * HOURS_PER_DAY,
                |b| quantile(&b.sorted, 0.5),
            );
        Self::after_start(snapshot, hours)
    }

    /// The nominal baseline: pickup (or the planned start) plus the mode's
    /// rule-of-thumb transit ([`nominal_transit_days`]), learning nothing.
    pub fn nominal_eta(snapshot: &ShipmentSnapshot) -> Option<Timestamp> {
        Self::after_start(
            snapshot,
            nominal_transit_days(snapshot.lane.mode) * HOURS_PER_DAY,
        )
    }

    /// `hours` after pickup (or the planned start); `None` for a shipment that
    /// ended without arriving.
    fn after_start(snapshot: &ShipmentSnapshot, hours: f64) -> Option<Timestamp> {
        if snapshot.is_finished() && snapshot.arrived_at().is_none() {
            return None;
        }
        let start = snapshot
            .picked_up_at()
            .unwrap_or_else(|| snapshot.plan_start());
        Timestamp::from_second(after_hours(start, hours)).ok()
    }

    /// How long the hub usually hears nothing after a shipment's current stage:
    /// the `q` quantile of past silences (from the milestone to the receipt of
    /// any later one), from the most specific bucket with [`SILENCE_SAMPLES_MIN`]
    /// silences, else the most specific with [`FALLBACK_SAMPLES_MIN`]. `None`
    /// without that much history: the upper quantiles of a handful of silences
    /// are about as short as their median, and on the simulated lanes at 2 000
    /// shipments such limits made over half the stale warnings false.
    pub fn silence_hours(&self, snapshot: &ShipmentSnapshot, q: f64) -> Option<SilenceLimit> {
        let (stage, since) = Self::stage_of(snapshot);
        let ids = self.ids(snapshot);
        let mut fallback = None;
        for (level, id) in LEVELS.iter().zip(ids.0) {
            let Some(bucket) = id.and_then(|id| self.silence.get(&Self::key(id, stage))) else {
                continue;
            };
            if bucket.sorted.len() >= SILENCE_SAMPLES_MIN {
                return Some(SilenceLimit {
                    hours: quantile(&bucket.sorted, q),
                    median_hours: quantile(&bucket.sorted, 0.5),
                    since,
                    level: *level,
                    journeys: bucket.sorted.len() as u32,
                });
            }
            if bucket.sorted.len() >= FALLBACK_SAMPLES_MIN && fallback.is_none() {
                fallback = Some((*level, bucket));
            }
        }
        fallback.map(|(level, bucket)| SilenceLimit {
            hours: quantile(&bucket.sorted, q),
            median_hours: quantile(&bucket.sorted, 0.5),
            since,
            level,
            journeys: bucket.sorted.len() as u32,
        })
    }
}

/// A learned bound on silence for a shipment's current stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceLimit {
    /// The requested quantile of past silences, in hours.
    pub hours: f64,
    /// The median past silence, in hours.
    pub median_hours: f64,
    /// When the current stage began (the latest scan, or the planned start).
    pub since: Timestamp,
    /// How specific the history was.
    pub level: Level,
    /// Journeys behind it.
    pub journeys: u32,
}

/// `at` moved by a number of hours.
pub fn add_hours(at: Timestamp, hours: f64) -> Timestamp {
    at.saturating_add(SignedDuration::from_secs_f64(hours * SECONDS_PER_HOUR))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{ocean_shipment, scan};
    use proptest::prelude::*;
    use tracklane_core::MilestoneCode as C;

    proptest! {
        /// However samples arrive between refreshes, the sorted copy is the
        /// ring's samples in order, as a full sort would give.
        #[test]
        fn a_refreshed_bucket_is_its_ring_sorted(
            rounds in proptest::collection::vec(
                proptest::collection::vec(0u16..2_000, 0..120),
                1..12,
            ),
        ) {
            let mut bucket = Bucket::default();
            for round in rounds {
                for hours in round {
                    bucket.push(f32::from(hours) / 4.0);
                }
                bucket.refresh();
                let mut expected = bucket.ring.clone();
                expected.sort_by(f32::total_cmp);
                prop_assert_eq!(&bucket.sorted, &expected);
            }
        }
    }

    /// A completed ocean journey: pickup on day `start`, departure a day later,
    /// arrival `transit_days` after departure.
    fn journey(start_day: i64, transit_days: i64) -> ShipmentSnapshot {
        let base = 1_767_225_600 + start_day * 86_400; // 2026-01-01
        let at = |d: i64| {
            Timestamp::from_second(base + d * 86_400)
                .expect("ts")
                .to_string()
        };
        let mut s = ocean_shipment(&at(-2));
        s.insert_scan(scan(C::PickedUp, &at(0), "CN"));
        s.insert_scan(scan(C::Departed, &at(1), "CN"));
        s.insert_scan(scan(C::Delivered, &at(1 + transit_days), "US"));
        s
    }

    fn check_eta(model: &EtaModel, s: &ShipmentSnapshot, now_day: i64, p50_day: f64) {
        let now = Timestamp::from_second(1_767_225_600 + now_day * 86_400).expect("ts");
        let eta = model.eta(s, now).expect("an eta");
        let got = (eta.p50.as_second() - 1_767_225_600) as f64 / 86_400.0;
        assert!(
            (got - p50_day).abs() < 0.75,
            "p50 day {got:.2}, expected {p50_day}: {eta:?}"
        );
        assert!(eta.p10 <= eta.p50 && eta.p50 <= eta.p90, "{eta:?}");
    }

    #[test]
    fn eta_learns_the_lane_and_conditions_on_elapsed_time() {
        let mut model = EtaModel::new();
        // Transit after departure: 20 days for most, 30 for a fifth.
        for i in 0..100 {
            model.learn(&journey(i % 7, if i % 5 == 0 { 30 } else { 20 }));
        }
        model.refresh();
        let mut s = ocean_shipment("2026-03-01T00:00:00Z");
        s.insert_scan(scan(C::PickedUp, "2026-03-02T00:00:00Z", "CN"));
        s.insert_scan(scan(C::Departed, "2026-03-03T00:00:00Z", "CN"));
        // 2026-03-03 is day 61; the median journey arrives 20 days later.
        check_eta(&model, &s, 62, 81.0);
        // 25 days after departure only the slow fifth is still at sea.
        check_eta(&model, &s, 61 + 25, 91.0);
    }

    #[test]
    fn a_handful_of_silences_sets_no_stale_limit() {
        let departed = || {
            let mut s = ocean_shipment("2026-03-01T00:00:00Z");
            s.insert_scan(scan(C::PickedUp, "2026-03-02T00:00:00Z", "CN"));
            s.insert_scan(scan(C::Departed, "2026-03-03T00:00:00Z", "CN"));
            s
        };
        let mut model = EtaModel::new();
        for i in 0..FALLBACK_SAMPLES_MIN as i64 - 1 {
            model.learn(&journey(i, 20));
        }
        model.refresh();
        assert_eq!(model.silence_hours(&departed(), 0.9), None);
        model.learn(&journey(FALLBACK_SAMPLES_MIN as i64, 20));
        model.refresh();
        let limit = model
            .silence_hours(&departed(), 0.9)
            .expect("enough silences after departure");
        assert_eq!(limit.journeys as usize, FALLBACK_SAMPLES_MIN);
        assert!((limit.hours - 20.0 * 24.0).abs() < 1.0, "{limit:?}");
    }

    #[test]
    fn a_bucket_keeps_its_own_median_only_beyond_its_noise() {
        // 20 journeys of 100 to 290 hours: median 195, noise about 20 hours.
        let own: Vec<f32> = (0..20).map(|i| 100.0 + 10.0 * i as f32).collect();
        let around =
            |median: f32| -> Vec<f32> { (0..200).map(|i| median - 100.0 + i as f32).collect() };
        assert_eq!(own_weight(&own, &around(200.0)), 0.0, "5 hours off: noise");
        let far = own_weight(&own, &around(400.0));
        assert!(far > 0.98, "205 hours off: its own ({far})");
        let between = own_weight(&own, &around(230.0));
        assert!(0.3 < between && between < 0.8, "35 hours off: {between}");
    }

    #[test]
    fn a_faster_carrier_keeps_its_own_eta() {
        let mut model = EtaModel::new();
        // This carrier: 30 journeys of 20 days. The lane's other carrier: 270
        // of 30 days.
        for i in 0..300 {
            let mut j = journey(i % 7, if i < 30 { 20 } else { 30 });
            if i >= 30 {
                j.carrier = Some(tracklane_core::CarrierCode::parse("OTHER_LINE").expect("a code"));
            }
            model.learn(&j);
        }
        model.refresh();
        let mut s = ocean_shipment("2026-03-01T00:00:00Z");
        s.insert_scan(scan(C::PickedUp, "2026-03-02T00:00:00Z", "CN"));
        s.insert_scan(scan(C::Departed, "2026-03-03T00:00:00Z", "CN"));
        let eta = model
            .eta(&s, "2026-03-03T12:00:00Z".parse().expect("ts"))
            .expect("an eta");
        assert_eq!(eta.basis.level, Level::CarrierLane);
        check_eta(&model, &s, 62, 61.0 + 20.0);
    }

    fn scan_at(code: C, at: &str, country: &str, city: &str) -> Scan {
        Scan {
            city: Some(city.into()),
            ..scan(code, at, country)
        }
    }

    #[test]
    fn a_milestone_repeated_at_another_place_is_a_later_stage() {
        // Every journey departs Yantian on day 1, departs Busan (transshipment,
        // also outside the destination) on day 11 and arrives on day 21; the
        // second box of each is scanned a minute after the first.
        let mut model = EtaModel::new();
        for i in 0..60 {
            let base = 1_767_225_600 + (i % 7) * 86_400;
            let at = |d: i64, minutes: i64| {
                Timestamp::from_second(base + d * 86_400 + minutes * 60)
                    .expect("ts")
                    .to_string()
            };
            let mut s = ocean_shipment(&at(-1, 0));
            for minute in [0, 1] {
                s.insert_scan(scan_at(C::Departed, &at(1, minute), "CN", "Yantian"));
                s.insert_scan(scan_at(C::Departed, &at(11, minute), "KR", "Busan"));
            }
            s.insert_scan(scan_at(C::Delivered, &at(21, 0), "US", "Ontario"));
            model.learn(&s);
        }
        model.refresh();
        let mut s = ocean_shipment("2026-03-01T00:00:00Z");
        s.insert_scan(scan_at(
            C::Departed,
            "2026-03-03T00:00:00Z",
            "CN",
            "Yantian",
        ));
        s.insert_scan(scan_at(
            C::Departed,
            "2026-03-03T00:01:00Z",
            "CN",
            "Yantian",
        ));
        // Day 61 is 2026-03-03: ten days at sea to Busan, twenty to arrival.
        check_eta(&model, &s, 61, 81.0);
        s.insert_scan(scan_at(C::Departed, "2026-03-13T00:00:00Z", "KR", "Busan"));
        // From Busan ten days are left, not the twenty left after Yantian.
        check_eta(&model, &s, 71, 81.0);
    }

    #[test]
    fn an_empty_model_uses_the_nominal_transit() {
        let model = EtaModel::new();
        let mut s = ocean_shipment("2026-01-01T00:00:00Z");
        s.insert_scan(scan(C::PickedUp, "2026-01-02T00:00:00Z", "CN"));
        let eta = model.eta(&s, "2026-01-03T00:00:00Z".parse().expect("ts"));
        assert_eq!(eta.map(|e| e.basis.level), Some(Level::Nominal));
    }

    #[test]
    fn probability_of_a_window_comes_from_the_grid() {
        let mut model = EtaModel::new();
        for i in 0..50 {
            model.learn(&journey(0, 20 + (i % 2) * 10));
        }
        model.refresh();
        let mut s = ocean_shipment("2026-03-01T00:00:00Z");
        s.insert_scan(scan(C::Departed, "2026-03-03T00:00:00Z", "CN"));
        let now: Timestamp = "2026-03-04T00:00:00Z".parse().expect("ts");
        let eta = model.eta(&s, now).expect("eta");
        let day = |d: &str| -> Timestamp { d.parse().expect("ts") };
        let early =
            eta.probability_between(day("2026-03-20T00:00:00Z"), day("2026-03-27T00:00:00Z"));
        let late =
            eta.probability_between(day("2026-03-30T00:00:00Z"), day("2026-04-06T00:00:00Z"));
        assert!((early - 0.5).abs() < 0.1, "{early}");
        assert!((late - 0.5).abs() < 0.1, "{late}");
    }

    proptest! {
        #[test]
        fn quantiles_are_ordered(
            transits in proptest::collection::vec(1i64..80, 1..120),
            now_day in 0i64..150,
        ) {
            let mut model = EtaModel::new();
            for (i, t) in transits.iter().enumerate() {
                model.learn(&journey(i as i64 % 10, *t));
            }
            model.refresh();
            let mut s = ocean_shipment("2026-03-01T00:00:00Z");
            s.insert_scan(scan(C::Departed, "2026-03-03T00:00:00Z", "CN"));
            let now = Timestamp::from_second(1_772_496_000 + now_day * 86_400).expect("ts");
            let eta = model.eta(&s, now).expect("eta");
            prop_assert!(eta.p10 <= eta.p50 && eta.p50 <= eta.p90);
            prop_assert!(eta.p10 >= now, "{eta:?} before {now}");
            let total = eta.probability_between(Timestamp::MIN, Timestamp::MAX);
            prop_assert!((total - 1.0).abs() < 1e-9);
        }
    }
}
