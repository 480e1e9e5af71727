//! The world of `tracklane simulate`: many inbound shipments from six Chinese
//! export hubs to warehouses in every marketplace, over a period of days, with
//! what really happened to each (its journey and the ground truth of its
//! exceptions) and everything the hub would be told about it, in time order.
//!
//! Journeys come from [`crate::script::journey`] and are then made as variable
//! as real lanes: ocean services (fast and standard, FCL and LCL) with a
//! schedule reliability of about 60 % (late vessels, rolled cargo, weekly port
//! congestion shared by every ship arriving at that port in that week), air
//! offloads, rail border delays. Carriers miss scans, send duplicates, report
//! late and out of order, go dark for days, and a few shipments vanish.
//! Warehouses have a daily receiving capacity and congestion episodes, reported
//! as daily backlog readings.
//!
//! Pure and seeded: each shipment and warehouse draws from its own ChaCha8
//! stream of the seed, so the same seed gives the same simulation.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracklane_core::{
    Address, BoxId, Carrier, ConfirmationId, DeliveryWindow, FreightMode, InboundPlanId, Location,
    Marketplace, MilestoneCode, Seller, ShipmentId, ShippingMode, SubCode, Warehouse,
};

use crate::script::{
    box_tracking_numbers, journey, log_normal, pick, pick_weighted, quoted_transit,
    report_lag_seconds,
};
use crate::world::{
    BRANDS, carriers, carries_freight, is_mode_offered, origins, sellers, warehouses,
};

use MilestoneCode as C;

/// The first instant of every simulation: Sunday 2026-01-04, 00:00 UTC.
pub const START_SECONDS: i64 = 1_767_484_800;
/// Days of history before the measured period, so the engine has learned
/// something by the time it is judged.
pub const PREROLL_DAYS: i64 = 60;
/// Shipments created during the pre-roll, as a share of the measured ones.
pub const PREROLL_SHARE: f64 = 0.3;
/// Days the simulation runs after the last shipment is created, so that the
/// slowest journeys end.
pub const TAIL_DAYS: i64 = 110;
const SECONDS_PER_DAY: i64 = 86_400;
const SECONDS_PER_HOUR: i64 = 3_600;

/// Measured shipments a day the listed warehouse sizes are plausible for. At
/// about 2 000 units a shipment that is a quarter of all the sites' receiving;
/// the rest is other sellers' freight, which the backlog readings stand for. A
/// simulated hub busier than this gets proportionally bigger sites
/// ([`sized_warehouses`]): at 100 000 shipments over 90 days the listed sites
/// would otherwise receive almost nothing but the hub's own freight, leaving a
/// reroute nowhere to go that the hub had not already filled.
const SHIPMENTS_PER_DAY_AT_LISTED_SIZE: f64 = 250.0;
/// Chance that a scan never reaches the hub.
const MISSED_SCAN_P: f64 = 0.03;
/// Chance that a scan is sent twice.
const DUPLICATE_P: f64 = 0.05;
/// Chance that a carrier's feed for a shipment goes dark for days.
const BLACKOUT_P: f64 = 0.05;
/// Chance that a dark feed's events are lost rather than sent late.
const BLACKOUT_DROP_P: f64 = 0.35;
/// Chance that a shipment vanishes without a word.
const SILENT_LOSS_P: f64 = 0.004;
/// Chance that tracking is uploaded after the ship date (the carrier's feed
/// waits for it).
const LATE_TRACKING_P: f64 = 0.07;
/// Chance that the seller allows DW Automation.
const AUTOMATION_P: f64 = 0.75;
/// Chance that a seller with automation switches it off and sets the window by hand.
const MANUAL_OVERRIDE_P: f64 = 0.02;
/// Chance that pickup slips past the ship date.
const PICKUP_SLIP_P: f64 = 0.15;
/// Ocean: chance that a vessel arrives late without warning. With the delays
/// carriers announce at sea (`script`), about 40 % of vessels are late: a
/// schedule reliability of about 60 %.
const VESSEL_LATE_P: f64 = 0.32;
/// Ocean: a fast service's sailing time, as a share of a standard one's.
const SEA_FAST_SCALE: f64 = 0.78;
/// Ocean: chance that cargo is rolled to the next sailing.
const ROLLED_P: f64 = 0.10;
/// Ocean: chance that a destination port is congested in a given week.
const PORT_CONGESTION_WEEK_P: f64 = 0.25;
/// The share of normal gaps between two true milestones of a stage that the
/// truth's "normal" silence covers (see [`normal_gaps`]).
const NORMAL_GAP_QUANTILE: f64 = 0.99;
/// Reporting lag a normal feed stays within: the 98th percentile of
/// [`report_lag_seconds`]. A stage's normal silence is its normal gap plus this.
const NORMAL_REPORT_LAG_HOURS: i64 = 26;
/// Gaps a stage needs before its own quantile is used; fewer back off to a
/// broader stage (see [`GapKey`]).
const NORMAL_GAP_SAMPLES_MIN: usize = 40;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// The seed every draw derives from.
    pub seed: u64,
    /// Shipments created in the measured period.
    pub shipments: usize,
    /// Length of the measured period, in days.
    pub days: u32,
}

/// One true milestone: code, sub-code, where (an index into
/// [`Simulation::locations`]) and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimStep {
    /// SP-API code.
    pub code: MilestoneCode,
    /// SP-API sub-code.
    pub sub_code: Option<SubCode>,
    /// Index into [`Simulation::locations`].
    pub location: u16,
    /// When it happened.
    pub occurred_at: Timestamp,
}

/// A box or pallet of a simulated shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBox {
    /// Its id.
    pub box_id: BoxId,
    /// Units packed.
    pub units: u32,
    /// Weight in grams.
    pub weight_grams: u32,
    /// Its tracking number (shared by every pallet of LTL/FTL freight).
    pub tracking_number: String,
}

/// One ground-truth exception episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruthEpisode {
    /// The engine's kind name, such as `customs_hold`.
    pub kind: &'static str,
    /// When the cause began.
    pub start: Timestamp,
    /// When it cleared; `None` if it never did.
    pub end: Option<Timestamp>,
}

/// What really happened to a shipment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// When it arrived at the warehouse, if it did.
    pub arrived_at: Option<Timestamp>,
    /// Its exception episodes.
    pub episodes: Vec<TruthEpisode>,
}

/// One simulated inbound shipment.
#[derive(Debug, Clone, PartialEq)]
pub struct SimShipment {
    /// SP-API `shipmentId`.
    pub id: ShipmentId,
    /// SP-API `inboundPlanId`.
    pub plan_id: InboundPlanId,
    /// The confirmation id printed on labels.
    pub confirmation_id: ConfirmationId,
    /// Index into [`Simulation::sellers`].
    pub seller: usize,
    /// The seller's name for it.
    pub name: String,
    /// Ship-from address.
    pub origin: Address,
    /// Index into [`Simulation::warehouses`].
    pub warehouse: usize,
    /// Small parcel or LTL/FTL.
    pub shipping_mode: ShippingMode,
    /// International mode.
    pub freight_mode: FreightMode,
    /// The carrier's service: `EXPRESS`, `AIR_STANDARD`, `SEA_FAST_FCL`, …
    pub service: &'static str,
    /// Index into [`Simulation::carriers`].
    pub carrier: usize,
    /// Its boxes or pallets.
    pub boxes: Vec<SimBox>,
    /// When the seller created it.
    pub created_at: Timestamp,
    /// The planned hand-over day.
    pub ship_date: Date,
    /// The seller's delivery window at creation.
    pub window: DeliveryWindow,
    /// Whether the seller allows DW Automation.
    pub allows_window_automation: bool,
    /// Whether it was created in the measured period (not the pre-roll).
    pub is_measured: bool,
    /// Its true journey.
    pub steps: Vec<SimStep>,
    /// The ground truth.
    pub truth: Truth,
}

impl SimShipment {
    /// Units over every box.
    pub fn units(&self) -> u32 {
        self.boxes.iter().map(|b| b.units).sum()
    }
}

/// What the hub is told, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimEventKind {
    /// The seller creates the shipment.
    Shipment,
    /// The carrier uploads every box's tracking number.
    Tracking,
    /// The carrier pushes step `step` of the journey for box `box_index`.
    Milestone {
        /// Index into the shipment's steps.
        step: u16,
        /// Index into the shipment's boxes.
        box_index: u16,
        /// The carrier's event id.
        event_id: u64,
    },
    /// The operator reports a warehouse's backlog.
    Backlog {
        /// Index into the warehouses.
        warehouse: u16,
        /// Units waiting.
        units: u32,
    },
    /// The seller switches automation on or off.
    Automation {
        /// Allowed from now on.
        allowed: bool,
    },
    /// The seller sets the window by hand.
    Window {
        /// The new window.
        window: DeliveryWindow,
    },
}

/// One thing the hub is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimEvent {
    /// When the hub receives it.
    pub at: Timestamp,
    /// The shipment it is about (0 for backlog readings).
    pub shipment: u32,
    /// What it is.
    pub kind: SimEventKind,
}

/// A whole simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// What was asked for.
    pub config: SimConfig,
    /// The first instant.
    pub start: Timestamp,
    /// Shipments created from here on are measured.
    pub measure_from: Timestamp,
    /// The last instant.
    pub end: Timestamp,
    /// Warehouses.
    pub warehouses: Vec<Warehouse>,
    /// Carriers.
    pub carriers: Vec<Carrier>,
    /// Sellers.
    pub sellers: Vec<Seller>,
    /// Shipments, in creation order.
    pub shipments: Vec<SimShipment>,
    /// Places, indexed by [`SimStep::location`].
    pub locations: Vec<Location>,
    /// Everything the hub is told, sorted by `at` (ties in generation order).
    pub events: Vec<SimEvent>,
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::MAX)
}

fn day_start(day: Date) -> i64 {
    day.to_zoned(TimeZone::UTC)
        .map_or(0, |z| z.timestamp().as_second())
}

fn utc_day(seconds: i64) -> Date {
    ts(seconds).to_zoned(TimeZone::UTC).date()
}

fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Streams above this are warehouses' congestion; below, shipments.
const WAREHOUSE_STREAM_BASE: u64 = 1 << 40;
/// Streams of the weekly port-congestion draws.
const PORT_STREAM_BASE: u64 = 1 << 41;

const MARKETPLACE_WEIGHTS: &[(Marketplace, u32)] = &[
    (Marketplace::Us, 50),
    (Marketplace::Uk, 9),
    (Marketplace::De, 11),
    (Marketplace::Fr, 5),
    (Marketplace::It, 4),
    (Marketplace::Es, 4),
    (Marketplace::Jp, 9),
    (Marketplace::Ca, 8),
];

fn mode_weights(marketplace: Marketplace) -> &'static [(FreightMode, u32)] {
    use FreightMode::{Air, Express, Ocean, Rail};
    match marketplace {
        Marketplace::Us | Marketplace::Ca => &[(Ocean, 62), (Air, 16), (Express, 22)],
        Marketplace::Jp => &[(Ocean, 55), (Air, 20), (Express, 25)],
        _ => &[(Ocean, 50), (Rail, 22), (Air, 12), (Express, 16)],
    }
}

fn shipping_mode_weights(mode: FreightMode) -> &'static [(ShippingMode, u32)] {
    use ShippingMode::{Ftl, Ltl, SmallParcel};
    match mode {
        FreightMode::Express => &[(SmallParcel, 1)],
        FreightMode::Air => &[(SmallParcel, 70), (Ltl, 30)],
        FreightMode::Ocean => &[(SmallParcel, 25), (Ltl, 50), (Ftl, 25)],
        FreightMode::Rail => &[(SmallParcel, 30), (Ltl, 55), (Ftl, 15)],
    }
}

/// The service a carrier sells for the mode and packing, and whether it is the
/// fast ocean service.
fn service(
    carrier: &Carrier,
    mode: FreightMode,
    shipping: ShippingMode,
    fast: bool,
) -> &'static str {
    match mode {
        FreightMode::Express => "EXPRESS",
        FreightMode::Air => "AIR_STANDARD",
        FreightMode::Rail if shipping == ShippingMode::Ftl => "RAIL_FCL",
        FreightMode::Rail => "RAIL_LCL",
        FreightMode::Ocean => {
            let fcl = shipping == ShippingMode::Ftl;
            match (fast || carrier.code.as_str() == "MATSON", fcl) {
                (true, true) => "SEA_FAST_FCL",
                (true, false) => "SEA_FAST_LCL",
                (false, true) => "SEA_STANDARD_FCL",
                (false, false) => "SEA_STANDARD_LCL",
            }
        }
    }
}

/// Moves every step from `from` on by `seconds`.
fn delay_from(
    steps: &mut [(MilestoneCode, Option<SubCode>, Location, Timestamp)],
    from: usize,
    seconds: i64,
) {
    for s in steps.iter_mut().skip(from) {
        s.3 = ts(s.3.as_second() + seconds);
    }
}

fn position(
    steps: &[(MilestoneCode, Option<SubCode>, Location, Timestamp)],
    code: MilestoneCode,
) -> Option<usize> {
    steps.iter().position(|s| s.0 == code)
}

fn hours(h: f64) -> i64 {
    (h * SECONDS_PER_HOUR as f64) as i64
}

/// An ocean service's sailing time, as a share of a standard sailing's.
fn sea_scale(service: &str) -> f64 {
    if service.starts_with("SEA_FAST") {
        SEA_FAST_SCALE
    } else {
        1.0
    }
}

/// Makes a journey as variable as its lane really is (see the module docs).
fn vary(
    rng: &mut ChaCha8Rng,
    seed: u64,
    steps: &mut [(MilestoneCode, Option<SubCode>, Location, Timestamp)],
    mode: FreightMode,
    service: &str,
) {
    match mode {
        FreightMode::Ocean => {
            let is_lcl = service.ends_with("LCL");
            let is_fast = service.starts_with("SEA_FAST");
            // LCL waits at a consolidation warehouse before the box is stuffed,
            // and is unpacked at a deconsolidation warehouse after unloading.
            if is_lcl && let Some(i) = position(steps, C::Containerized) {
                delay_from(steps, i, hours(log_normal(rng, 72.0, 0.5)));
            }
            if rng.random_bool(ROLLED_P)
                && let Some(i) = position(steps, C::Loaded)
            {
                // Rolled to the next weekly sailing.
                delay_from(
                    steps,
                    i,
                    7 * SECONDS_PER_DAY + hours(rng.random_range(-12.0..12.0)),
                );
            }
            // The last departure is the main sailing; the arrival after it is at
            // the destination port.
            let last_departure = steps.iter().rposition(|s| s.0 == C::Departed);
            if let Some(d) = last_departure {
                let sea_scale = sea_scale(service);
                let arrival = steps
                    .iter()
                    .skip(d)
                    .position(|s| s.0 == C::Arrived)
                    .map(|a| a + d);
                if let Some(a) = arrival {
                    let sail = steps[a].3.as_second() - steps[d].3.as_second();
                    let shorten = ((1.0 - sea_scale) * sail as f64) as i64;
                    delay_from(steps, a, -shorten);
                    if rng.random_bool(VESSEL_LATE_P) {
                        delay_from(steps, a, hours(log_normal(rng, 60.0, 0.9)));
                    }
                    // Port congestion: shared by every ship arriving that week.
                    let week =
                        (steps[a].3.as_second() - START_SECONDS).div_euclid(7 * SECONDS_PER_DAY);
                    let port = steps[a]
                        .2
                        .city
                        .as_deref()
                        .unwrap_or("")
                        .bytes()
                        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
                    let mut port_rng = stream_rng(
                        seed,
                        PORT_STREAM_BASE + (port % 4096) * 4096 + (week.rem_euclid(4096) as u64),
                    );
                    if port_rng.random_bool(PORT_CONGESTION_WEEK_P) {
                        let days = port_rng.random_range(2.0..7.0);
                        delay_from(
                            steps,
                            a + 1,
                            hours(days * 24.0 * if is_fast { 0.4 } else { 1.0 }),
                        );
                    }
                    if is_lcl && let Some(u) = position(steps, C::Unloaded) {
                        delay_from(steps, u + 1, hours(log_normal(rng, 48.0, 0.5)));
                    }
                }
            }
        }
        FreightMode::Air => {
            if rng.random_bool(0.10)
                && let Some(i) = position(steps, C::Departed)
            {
                delay_from(steps, i, hours(log_normal(rng, 36.0, 0.6)));
            }
        }
        FreightMode::Rail => {
            if rng.random_bool(0.20)
                && let Some(i) = steps.iter().rposition(|s| s.0 == C::ArrivedAtRailTerminal)
            {
                delay_from(steps, i, hours(log_normal(rng, 72.0, 0.7)));
            }
        }
        FreightMode::Express => {}
    }
}

/// What every shipment is drawn from: read-only while shipments are drafted,
/// on as many threads as there are cores.
struct World {
    config: SimConfig,
    warehouses: Vec<Warehouse>,
    carriers: Vec<Carrier>,
    origins: Vec<Address>,
    end_seconds: i64,
}

/// One shipment drafted on its own. Its steps' `location` indexes `places`
/// until [`Builder::add`] numbers the places across the simulation, and its
/// events are in the order it emitted them until the builder sequences them.
struct Draft {
    shipment: SimShipment,
    places: Vec<Location>,
    events: Vec<(i64, SimEventKind)>,
    heard: Heard,
}

/// The simulation as it is put together, one draft at a time in index order.
/// Everything here depends on that order: place numbers, which tracking
/// numbers are taken, and the sequence that breaks ties between events.
struct Builder {
    locations: Vec<Location>,
    location_index: std::collections::HashMap<Location, u16>,
    tracking_numbers: std::collections::HashSet<String>,
    events: Vec<(i64, u64, SimEvent)>,
    sequence: u64,
    shipments: Vec<SimShipment>,
    heard: Vec<Heard>,
}

impl Builder {
    /// An empty builder with room for `shipments` shipments and `events` events.
    fn with_capacity(shipments: usize, events: usize) -> Self {
        Self {
            locations: Vec::new(),
            location_index: std::collections::HashMap::new(),
            tracking_numbers: std::collections::HashSet::with_capacity(shipments * 2),
            events: Vec::with_capacity(events),
            sequence: 0,
            shipments: Vec::with_capacity(shipments),
            heard: Vec::with_capacity(shipments),
        }
    }

    fn location(&mut self, location: Location) -> u16 {
        if let Some(&i) = self.location_index.get(&location) {
            return i;
        }
        let i = u16::try_from(self.locations.len()).expect("fewer than 65 536 places");
        self.locations.push(location.clone());
        self.location_index.insert(location, i);
        i
    }

    fn emit(&mut self, at_seconds: i64, shipment: u32, kind: SimEventKind) {
        self.sequence += 1;
        self.events.push((
            at_seconds,
            self.sequence,
            SimEvent {
                at: ts(at_seconds),
                shipment,
                kind,
            },
        ));
    }

    /// Adds shipment `spec`, drafted without knowing which tracking numbers
    /// earlier shipments took. If one of its numbers is taken it is drafted
    /// again, now knowing, exactly as a one-by-one build would have drafted it.
    fn add(&mut self, world: &World, spec: ShipmentSpec, mut draft: Draft) {
        let is_taken = |n: &str| self.tracking_numbers.contains(n);
        if draft
            .shipment
            .boxes
            .iter()
            .any(|b| is_taken(&b.tracking_number))
        {
            draft = shipment(world, spec, &is_taken);
        }
        for b in &draft.shipment.boxes {
            if !self.tracking_numbers.contains(&b.tracking_number) {
                self.tracking_numbers.insert(b.tracking_number.clone());
            }
        }
        for (step, place) in draft.shipment.steps.iter_mut().zip(draft.places) {
            step.location = self.location(place);
        }
        for (at, kind) in draft.events {
            self.emit(at, spec.index, kind);
        }
        self.shipments.push(draft.shipment);
        self.heard.push(draft.heard);
    }
}

/// Which shipment to draft: its index, the period it is created in and its
/// slot there, whether it is measured.
#[derive(Debug, Clone, Copy)]
struct ShipmentSpec {
    index: u32,
    from: i64,
    span_seconds: i64,
    slot: usize,
    slots: usize,
    is_measured: bool,
}

impl ShipmentSpec {
    /// Creation times are spread evenly over the period with jitter, so
    /// creation order is index order.
    fn created(&self, jitter: f64) -> i64 {
        self.from
            + ((self.slot as f64 + jitter) / self.slots.max(1) as f64 * self.span_seconds as f64)
                as i64
    }
}

/// The listed sites, grown for a simulation busier than
/// [`SHIPMENTS_PER_DAY_AT_LISTED_SIZE`]: capacity and backlog scale by the
/// same factor, so a backlog is as many days of work as before while the
/// simulated freight stays a minor share of what the sites receive.
fn sized_warehouses(config: SimConfig) -> Vec<Warehouse> {
    let per_day = config.shipments as f64 / f64::from(config.days.max(1));
    let scale = (per_day / SHIPMENTS_PER_DAY_AT_LISTED_SIZE).max(1.0);
    let mut sites = warehouses();
    if scale > 1.0 {
        let grow = |units: u32| (f64::from(units) * scale).round() as u32;
        for site in &mut sites {
            site.receiving_capacity_units_per_day = grow(site.receiving_capacity_units_per_day);
            site.backlog_units = grow(site.backlog_units);
        }
    }
    sites
}

/// Runs the simulation `config` describes.
pub fn simulate(config: SimConfig) -> Simulation {
    let start = START_SECONDS;
    let measure_from = start + PREROLL_DAYS * SECONDS_PER_DAY;
    let creation_end = measure_from + i64::from(config.days) * SECONDS_PER_DAY;
    let end = creation_end + TAIL_DAYS * SECONDS_PER_DAY;
    let world = World {
        config,
        warehouses: sized_warehouses(config),
        carriers: carriers(),
        origins: origins(),
        end_seconds: end,
    };
    let preroll = (config.shipments as f64 * PREROLL_SHARE).round() as usize;
    let total = preroll + config.shipments;
    let mut b = Builder::with_capacity(total, config.shipments * 30);
    congestion(&world, &mut b, start);
    let specs: Vec<ShipmentSpec> = (0..total)
        .map(|index| {
            let is_measured = index >= preroll;
            let (from, to, k, n) = if is_measured {
                (
                    measure_from,
                    creation_end,
                    index - preroll,
                    config.shipments,
                )
            } else {
                (start, measure_from, index, preroll)
            };
            ShipmentSpec {
                index: index as u32,
                from,
                span_seconds: to - from,
                slot: k,
                slots: n,
                is_measured,
            }
        })
        .collect();
    // Draft on every core, each thread a contiguous run; add in index order.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let run = specs.len().div_ceil(cores).max(1);
    let drafts: Vec<Vec<Draft>> = std::thread::scope(|scope| {
        let threads: Vec<_> = specs
            .chunks(run)
            .map(|chunk| {
                let world = &world;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&spec| shipment(world, spec, &|_| false))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a shipment draft panicked"))
            .collect()
    });
    for (spec, draft) in specs.iter().zip(drafts.into_iter().flatten()) {
        b.add(&world, *spec, draft);
    }
    let Builder {
        locations,
        mut events,
        mut shipments,
        heard,
        ..
    } = b;
    let normal = normal_gaps(&shipments, &heard);
    for (s, h) in shipments.iter_mut().zip(&heard) {
        let stale = stale_episodes(&s.steps, gap_lane(s), h, &normal);
        s.truth.episodes.extend(stale);
        merge_touching(&mut s.truth.episodes);
    }
    // (time, sequence) is unique, so an unstable sort gives the one order.
    events.sort_unstable_by_key(|(at, seq, _)| (*at, *seq));
    Simulation {
        config,
        start: ts(start),
        measure_from: ts(measure_from),
        end: ts(end),
        warehouses: world.warehouses,
        carriers: world.carriers,
        sellers: sellers(),
        shipments,
        locations,
        events: events.into_iter().map(|(_, _, e)| e).collect(),
    }
}

/// Daily backlog readings for every warehouse: a normal level of under two
/// days of receiving, and congestion episodes of a week to three weeks that
/// pile up five to eleven days of work.
fn congestion(world: &World, b: &mut Builder, start: i64) {
    let days = (world.end_seconds - start) / SECONDS_PER_DAY;
    for (w, warehouse) in world.warehouses.iter().enumerate() {
        let mut rng = stream_rng(world.config.seed, WAREHOUSE_STREAM_BASE + w as u64);
        let capacity = f64::from(warehouse.receiving_capacity_units_per_day);
        let base_days = rng.random_range(0.3..1.5);
        // Episodes: (first day, ramp days, plateau days, peak days of backlog).
        let mut episodes = Vec::new();
        let mut day = rng.random_range(0.0..45.0);
        while (day as i64) < days {
            let plateau = rng.random_range(5.0..16.0);
            episodes.push((day, 4.0, plateau, rng.random_range(5.0..11.0)));
            day += 8.0 + plateau + rng.random_range(25.0..70.0);
        }
        for d in 0..=days {
            let x = d as f64;
            let mut level = base_days * rng.random_range(0.8..1.2);
            for &(first, ramp, plateau, peak) in &episodes {
                let t = x - first;
                let extra = if t < 0.0 || t > 2.0 * ramp + plateau {
                    0.0
                } else if t < ramp {
                    peak * t / ramp
                } else if t <= ramp + plateau {
                    peak
                } else {
                    peak * (2.0 * ramp + plateau - t) / ramp
                };
                level += extra;
            }
            let units = (level * capacity) as u32;
            b.emit(
                start + d * SECONDS_PER_DAY,
                0,
                SimEventKind::Backlog {
                    warehouse: w as u16,
                    units,
                },
            );
        }
    }
}

/// What the hub came to know of a shipment's journey: when each step first
/// reached it (`i64::MAX`: never), from when it knew a tracking number, and
/// whether the shipment vanished (its gaps are not normal).
struct Heard {
    received: Vec<i64>,
    tracking_known: i64,
    plan_start: i64,
    vanished: bool,
}

/// Drafts one shipment from its own random stream. `is_taken` says which
/// tracking numbers earlier shipments hold; a draw that hits one is drawn again.
fn shipment(world: &World, spec: ShipmentSpec, is_taken: &dyn Fn(&str) -> bool) -> Draft {
    let ShipmentSpec {
        index, is_measured, ..
    } = spec;
    let rng = &mut stream_rng(world.config.seed, u64::from(index));
    let created = spec.created(rng.random::<f64>());
    let end_seconds = world.end_seconds;
    let mut events: Vec<(i64, SimEventKind)> = Vec::with_capacity(48);
    let mut emit = |at: i64, kind: SimEventKind| {
        if at <= end_seconds {
            events.push((at, kind));
        }
    };
    let seller = {
        let weights: Vec<(usize, u32)> = BRANDS
            .iter()
            .enumerate()
            .map(|(i, br)| (i, br.share_percent))
            .collect();
        *pick_weighted(rng, &weights)
    };
    let brand = &BRANDS[seller];
    let origin = if rng.random_bool(0.7) {
        world
            .origins
            .iter()
            .position(|o| o.city == brand.home_city)
            .unwrap_or(0)
    } else {
        rng.random_range(0..world.origins.len())
    };
    let marketplace = *pick_weighted(rng, MARKETPLACE_WEIGHTS);
    let sites: Vec<(usize, u32)> = world
        .warehouses
        .iter()
        .enumerate()
        .filter(|(_, w)| w.marketplace == marketplace)
        .map(|(i, w)| (i, w.receiving_capacity_units_per_day))
        .collect();
    let warehouse = *pick_weighted(rng, &sites);
    let mut mode = *pick_weighted(rng, mode_weights(marketplace));
    if !is_mode_offered(mode, marketplace) {
        mode = FreightMode::Ocean;
    }
    let shipping_mode = *pick_weighted(rng, shipping_mode_weights(mode));
    let offering: Vec<usize> = world
        .carriers
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.marketplaces.contains(&marketplace)
                && c.modes.contains(&mode)
                && (!shipping_mode.is_freight() || carries_freight(c))
        })
        .map(|(i, _)| i)
        .collect();
    let carrier = *pick(rng, &offering);
    let fast_sea =
        mode == FreightMode::Ocean && marketplace == Marketplace::Us && rng.random_bool(0.2);
    let service = service(&world.carriers[carrier], mode, shipping_mode, fast_sea);

    let confirmation_id = ConfirmationId::from_sequence(
        (u64::from(index)
            .wrapping_mul(2_654_435_761)
            .wrapping_add(world.config.seed.wrapping_mul(7919)))
            % 36u64.pow(7),
    );
    let box_count = match shipping_mode {
        ShippingMode::SmallParcel => *pick_weighted(rng, &[(1u32, 60), (2, 25), (3, 15)]),
        ShippingMode::Ltl => rng.random_range(1..=6),
        ShippingMode::Ftl => rng.random_range(8..=14),
    };
    let numbers = loop {
        let numbers = box_tracking_numbers(
            rng,
            &world.carriers[carrier],
            shipping_mode,
            box_count as usize,
        );
        let mut distinct: Vec<&String> = numbers.iter().collect();
        distinct.sort();
        distinct.dedup();
        if !distinct.iter().any(|n| is_taken(n)) {
            break numbers;
        }
    };
    let boxes: Vec<SimBox> = numbers
        .into_iter()
        .enumerate()
        .map(|(i, tracking_number)| {
            let (units, weight_grams) = if shipping_mode.is_freight() {
                (
                    rng.random_range(200..=1200),
                    rng.random_range(120_000..=650_000),
                )
            } else {
                (rng.random_range(20..=150), rng.random_range(3_000..=22_500))
            };
            SimBox {
                box_id: confirmation_id.box_id(i as u32 + 1),
                units,
                weight_grams,
                tracking_number,
            }
        })
        .collect();

    let lead_days = match mode {
        FreightMode::Express | FreightMode::Air => rng.random_range(1..=4),
        _ => rng.random_range(3..=10),
    };
    let ship_date = utc_day(created + lead_days * SECONDS_PER_DAY);
    let plan_start = day_start(ship_date);
    let mut journey_start = plan_start + rng.random_range(0..10 * SECONDS_PER_HOUR);
    if rng.random_bool(PICKUP_SLIP_P) {
        journey_start += rng.random_range(SECONDS_PER_DAY..4 * SECONDS_PER_DAY);
    }
    let origin_address = world.origins[origin].clone();
    let site = world.warehouses[warehouse].clone();
    let mut raw = journey(
        rng,
        mode,
        shipping_mode,
        &origin_address,
        &site,
        ts(journey_start),
    );
    vary(rng, world.config.seed, &mut raw, mode, service);

    // The seller plans from the carrier's quote for the service.
    let quote = quoted_transit(mode, shipping_mode, &origin_address, &site).as_secs_f64();
    let quote = quote
        * match service {
            s if s.starts_with("SEA_FAST") => 0.85,
            s if s.ends_with("LCL") && s.starts_with("SEA") => 1.12,
            _ => 1.0,
        };
    let window = DeliveryWindow::week_of(utc_day(plan_start + quote as i64 + SECONDS_PER_DAY));
    let allows_window_automation = rng.random_bool(AUTOMATION_P);

    let mut truth = Truth::default();
    // A shipment that vanishes: the journey stops after a mid-way step.
    let mut vanished_after: Option<usize> = None;
    if raw.len() > 8 && rng.random_bool(SILENT_LOSS_P) {
        let k = rng.random_range(3..raw.len() - 4);
        raw.truncate(k + 1);
        vanished_after = Some(k);
    }
    let mut places = Vec::with_capacity(raw.len());
    let steps: Vec<SimStep> = raw
        .into_iter()
        .map(|(code, sub_code, location, occurred_at)| {
            places.push(location);
            SimStep {
                code,
                sub_code,
                location: (places.len() - 1) as u16,
                occurred_at,
            }
        })
        .collect();
    truth.arrived_at = steps
        .iter()
        .find(|s| s.code.is_closing())
        .map(|s| s.occurred_at);

    emit(created, SimEventKind::Shipment);
    let tracking_at = if rng.random_bool(LATE_TRACKING_P) {
        plan_start + rng.random_range(36 * SECONDS_PER_HOUR..6 * SECONDS_PER_DAY)
    } else {
        created + rng.random_range(0..(plan_start - created).max(1))
    };
    emit(tracking_at, SimEventKind::Tracking);

    // The feed: per box (freight shares one number: reported once).
    let blackout = rng.random_bool(BLACKOUT_P).then(|| {
        let k = rng.random_range(2..steps.len().saturating_sub(2).max(3));
        let from = steps[k.min(steps.len() - 1)].occurred_at.as_second();
        let length = rng.random_range(4 * SECONDS_PER_DAY..12 * SECONDS_PER_DAY);
        (from, from + length)
    });
    let mut received: Vec<i64> = vec![i64::MAX; steps.len()];
    let mut box_offset = 0i64;
    for (box_index, bx) in boxes.iter().enumerate() {
        if boxes[..box_index]
            .iter()
            .any(|e| e.tracking_number == bx.tracking_number)
        {
            continue;
        }
        if box_index > 0 {
            box_offset += rng.random_range(20..150);
        }
        for (step_index, step) in steps.iter().enumerate() {
            let is_final = step.code.is_closing() || matches!(step.code, C::Lost | C::Returned);
            if !is_final && rng.random_bool(MISSED_SCAN_P) {
                continue;
            }
            let occurred = step.occurred_at.as_second() + box_offset;
            let mut at = occurred + report_lag_seconds(rng);
            // The carrier's system sends nothing before tracking is uploaded.
            at = at.max(tracking_at + rng.random_range(0..SECONDS_PER_HOUR));
            if let Some((dark_from, dark_to)) = blackout
                && (dark_from..dark_to).contains(&at)
            {
                if rng.random_bool(BLACKOUT_DROP_P) {
                    continue;
                }
                at = dark_to + rng.random_range(0..12 * SECONDS_PER_HOUR);
            }
            let kind = SimEventKind::Milestone {
                step: step_index as u16,
                box_index: box_index as u16,
                event_id: rng.random(),
            };
            if at <= end_seconds {
                received[step_index] = received[step_index].min(at);
            }
            emit(at, kind);
            if rng.random_bool(DUPLICATE_P) {
                let again = at + rng.random_range(5 * 60..8 * SECONDS_PER_HOUR);
                let event_id = if rng.random_bool(0.5) {
                    rng.random()
                } else {
                    match kind {
                        SimEventKind::Milestone { event_id, .. } => event_id,
                        _ => 0,
                    }
                };
                emit(
                    again,
                    SimEventKind::Milestone {
                        step: step_index as u16,
                        box_index: box_index as u16,
                        event_id,
                    },
                );
            }
        }
    }
    // A vanished shipment: half the carriers report it lost weeks later. Its
    // stale tracking follows from the silence like any other's.
    if let Some(k) = vanished_after {
        let last = steps[k].occurred_at.as_second();
        truth.episodes.push(TruthEpisode {
            kind: "probably_lost",
            start: ts(last),
            end: None,
        });
    }
    // Seller takes over by hand, mid-journey.
    if allows_window_automation
        && let Some(arrived) = truth.arrived_at
        && rng.random_bool(MANUAL_OVERRIDE_P)
    {
        let at = journey_start + (arrived.as_second() - journey_start) / 3;
        let guess =
            arrived.as_second() + rng.random_range(-3 * SECONDS_PER_DAY..4 * SECONDS_PER_DAY);
        emit(at, SimEventKind::Automation { allowed: false });
        emit(
            at + 60,
            SimEventKind::Window {
                window: DeliveryWindow::week_of(utc_day(guess)),
            },
        );
    }
    let tracking_known = truth_episodes(&steps, &received, plan_start, tracking_at, &mut truth);
    let heard = Heard {
        received,
        tracking_known,
        plan_start,
        vanished: vanished_after.is_some(),
    };
    let name = format!(
        "{} → {} {} #{}",
        brand.name.split(' ').next().unwrap_or("Seller"),
        site.code,
        mode,
        index
    );
    let shipment = SimShipment {
        id: ShipmentId::from_random(rng.random()),
        plan_id: InboundPlanId::from_random(rng.random()),
        confirmation_id,
        seller,
        name,
        origin: origin_address,
        warehouse,
        shipping_mode,
        freight_mode: mode,
        service,
        carrier,
        boxes,
        created_at: ts(created),
        ship_date,
        window,
        allows_window_automation,
        is_measured,
        steps,
        truth,
    };
    Draft {
        shipment,
        places,
        events,
        heard,
    }
}

/// The ground-truth episodes of a journey other than stale tracking, given
/// when each step first reached the hub (`i64::MAX`: never). Returns when the
/// hub first knew a tracking number.
fn truth_episodes(
    steps: &[SimStep],
    received: &[i64],
    plan_start: i64,
    tracking_at: i64,
    truth: &mut Truth,
) -> i64 {
    let missing_from = plan_start + 24 * SECONDS_PER_HOUR;
    let first_heard = received.iter().copied().min().unwrap_or(i64::MAX);
    let tracking_known = tracking_at.min(first_heard);
    if tracking_known > missing_from {
        truth.episodes.push(TruthEpisode {
            kind: "missing_tracking",
            start: ts(missing_from),
            end: Some(ts(tracking_known)),
        });
    }
    for (k, step) in steps.iter().enumerate() {
        let next = steps.get(k + 1).map(|s| s.occurred_at);
        if step.code.is_customs_hold() {
            truth.episodes.push(TruthEpisode {
                kind: "customs_hold",
                start: step.occurred_at,
                end: next,
            });
        }
        if matches!(
            step.code,
            C::DeliveryAttempted | C::Returned | C::RecipientRefusedDelivery
        ) {
            truth.episodes.push(TruthEpisode {
                kind: "delivery_failed",
                start: step.occurred_at,
                end: next,
            });
        }
        if step.code == C::Lost {
            truth.episodes.push(TruthEpisode {
                kind: "probably_lost",
                start: steps[k.saturating_sub(1)].occurred_at,
                end: None,
            });
        }
    }
    tracking_known
}

/// Which stage a gap belongs to, most specific first: the lane's warehouse,
/// mode and service with the milestone and its place; the mode and service
/// with the milestone and place; the mode and milestone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GapKey {
    Lane(usize, FreightMode, &'static str, Option<MilestoneCode>, u16),
    Service(FreightMode, &'static str, Option<MilestoneCode>, u16),
    Mode(FreightMode, Option<MilestoneCode>),
}

/// Per-stage figures. Keys are small and hashed millions of times, and never
/// come from outside, so a fast unkeyed hash serves.
type GapMap<V> = std::collections::HashMap<GapKey, V, foldhash::fast::FixedState>;

/// A shipment's lane as the gap statistics see it: warehouse, mode, service.
type GapLane = (usize, FreightMode, &'static str);

fn gap_lane(s: &SimShipment) -> GapLane {
    (s.warehouse, s.freight_mode, s.service)
}

fn gap_keys((warehouse, mode, service): GapLane, step: Option<&SimStep>) -> [GapKey; 3] {
    let (code, place) = step.map_or((None, u16::MAX), |st| (Some(st.code), st.location));
    [
        GapKey::Lane(warehouse, mode, service, code, place),
        GapKey::Service(mode, service, code, place),
        GapKey::Mode(mode, code),
    ]
}

/// How long each stage normally goes before its next true milestone, in
/// seconds: the [`NORMAL_GAP_QUANTILE`] of the gaps of every journey that did
/// not vanish, per [`GapKey`] with enough of them. The stage before the first
/// milestone (`None`) is measured from the planned start.
fn normal_gaps(shipments: &[SimShipment], heard: &[Heard]) -> GapMap<i64> {
    let mut gaps: GapMap<Vec<i64>> = GapMap::default();
    for (s, h) in shipments.iter().zip(heard) {
        if h.vanished {
            continue;
        }
        let mut from = (None, h.plan_start);
        for step in &s.steps {
            let gap = step.occurred_at.as_second() - from.1;
            for key in gap_keys(gap_lane(s), from.0) {
                gaps.entry(key).or_default().push(gap);
            }
            from = (Some(step), step.occurred_at.as_second());
        }
    }
    gaps.into_iter()
        .filter(|(_, g)| g.len() >= NORMAL_GAP_SAMPLES_MIN)
        .map(|(key, mut g)| {
            let i = ((g.len() - 1) as f64 * NORMAL_GAP_QUANTILE).round() as usize;
            (key, *g.select_nth_unstable(i).1)
        })
        .collect()
}

/// Stale-tracking truth: the hub has heard nothing new for longer than the
/// lane and mode normally go at the stage it last knew of. The silence runs
/// from the latest true milestone the hub has been told of (or the planned
/// start); "normally" is the stage's normal gap ([`normal_gaps`]) plus the
/// lag a normal feed reports within ([`NORMAL_REPORT_LAG_HOURS`]). A
/// customs hold or a failed delivery is its own exception, not stale
/// tracking; a journey the hub knows has ended is not stale; one whose end
/// it never hears of (a delivery never reported, a shipment that vanished)
/// stays stale. Nothing counts before the hub knows a tracking number (that
/// is missing tracking), nor within a normal report lag after it (a feed
/// that starts with a late upload first replays what already happened).
fn stale_episodes(
    steps: &[SimStep],
    lane: GapLane,
    h: &Heard,
    normal: &GapMap<i64>,
) -> Vec<TruthEpisode> {
    let allowance = NORMAL_REPORT_LAG_HOURS * SECONDS_PER_HOUR;
    let normal_for = |step: Option<&SimStep>| {
        gap_keys(lane, step)
            .iter()
            .find_map(|k| normal.get(k).copied())
            .unwrap_or(7 * SECONDS_PER_DAY)
            + allowance
    };
    // When the hub's knowledge advanced: (time, latest step known).
    let mut learned: Vec<(i64, usize)> = h
        .received
        .iter()
        .enumerate()
        .filter(|(_, r)| **r != i64::MAX)
        .map(|(k, r)| (*r, k))
        .collect();
    learned.sort_unstable();
    let mut out = Vec::new();
    let mut latest: Option<usize> = None;
    let mut since = h.tracking_known;
    let mut changes = learned.into_iter().peekable();
    loop {
        // The knowledge in force from `since` until the next advance.
        let until = changes.peek().map_or(i64::MAX, |c| c.0);
        let step = latest.map(|k| &steps[k]);
        let is_over =
            step.is_some_and(|st| st.code.is_closing() || matches!(st.code, C::Lost | C::Returned));
        let is_held = step.is_some_and(|st| {
            st.code.is_customs_hold()
                || matches!(st.code, C::DeliveryAttempted | C::RecipientRefusedDelivery)
        });
        if !is_over && !is_held {
            let silent_from = step.map_or(h.plan_start, |st| st.occurred_at.as_second());
            let start = (silent_from + normal_for(step))
                .max(since)
                .max(h.tracking_known + allowance);
            if start < until {
                out.push(TruthEpisode {
                    kind: "stale_tracking",
                    start: ts(start),
                    end: (until != i64::MAX).then(|| ts(until)),
                });
            }
        }
        let Some((at, k)) = changes.next() else {
            break;
        };
        since = at;
        if latest.is_none_or(|l| k > l) {
            latest = Some(k);
        }
    }
    out
}

/// Sorts episodes and merges those of one kind that touch or overlap.
fn merge_touching(episodes: &mut Vec<TruthEpisode>) {
    episodes.sort_by_key(|e| (e.kind, e.start));
    let mut merged: Vec<TruthEpisode> = Vec::with_capacity(episodes.len());
    for e in episodes.drain(..) {
        match merged.last_mut() {
            Some(last) if last.kind == e.kind && last.end.is_none_or(|end| end >= e.start) => {
                last.end = match (last.end, e.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push(e),
        }
    }
    *episodes = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_tracking_is_silence_beyond_the_stage_s_normal_gap() {
        let step = |code, hours: i64| SimStep {
            code,
            sub_code: None,
            location: 0,
            occurred_at: ts(START_SECONDS + hours * SECONDS_PER_HOUR),
        };
        let steps = [
            step(C::PickedUp, 0),
            step(C::OutForDelivery, 10),
            step(C::Delivered, 20),
        ];
        let heard = |hours: i64| START_SECONDS + hours * SECONDS_PER_HOUR;
        let lane: GapLane = (0, FreightMode::Express, "EXPRESS");
        // Each stage normally goes `gap_hours` before its next milestone.
        let stale = |received: &[i64], gap_hours: i64| {
            let normal = [None, Some(C::PickedUp), Some(C::OutForDelivery)]
                .into_iter()
                .map(|code| {
                    (
                        GapKey::Mode(FreightMode::Express, code),
                        gap_hours * SECONDS_PER_HOUR,
                    )
                })
                .collect();
            let h = Heard {
                received: received.to_vec(),
                tracking_known: START_SECONDS,
                plan_start: START_SECONDS,
                vanished: false,
            };
            stale_episodes(&steps, lane, &h, &normal)
                .iter()
                .map(|e| (e.start, e.end))
                .collect::<Vec<_>>()
        };
        let allowance = NORMAL_REPORT_LAG_HOURS;
        assert_eq!(stale(&[heard(1), heard(11), heard(21)], 10), []);
        // The delivery is never reported: stale once the silence after going
        // out for delivery passes its normal gap and lag, for good.
        assert_eq!(
            stale(&[heard(1), heard(11), i64::MAX], 10),
            [(ts(heard(10 + 10 + allowance)), None)]
        );
        // Reported three days late: stale until the report comes.
        assert_eq!(
            stale(&[heard(1), heard(11), heard(92)], 10),
            [(ts(heard(10 + 10 + allowance)), Some(ts(heard(92))))]
        );
        // A single report two days late where the stage normally goes five
        // days between scans is not stale tracking.
        assert_eq!(stale(&[heard(1), heard(58), heard(59)], 120), []);
        // Tracking known only at hour 60: the feed gets a normal lag to
        // catch up before the silence counts.
        let late = |received: &[i64], tracking: i64| {
            let normal = [(GapKey::Mode(FreightMode::Express, None), 0)]
                .into_iter()
                .collect();
            let h = Heard {
                received: received.to_vec(),
                tracking_known: heard(tracking),
                plan_start: START_SECONDS,
                vanished: false,
            };
            stale_episodes(&steps, lane, &h, &normal).len()
        };
        assert_eq!(late(&[heard(61), heard(61), heard(61)], 60), 0);
        assert_eq!(
            late(
                &[
                    heard(61 + allowance),
                    heard(61 + allowance),
                    heard(61 + allowance)
                ],
                60
            ),
            1
        );
        // Once the hub knows the journey ended, nothing is stale.
        assert_eq!(stale(&[heard(1), i64::MAX, heard(21)], 10), []);
    }

    #[test]
    fn a_draft_whose_tracking_number_is_taken_is_drafted_again() {
        let config = SimConfig {
            seed: 5,
            shipments: 10,
            days: 5,
        };
        let world = World {
            config,
            warehouses: warehouses(),
            carriers: carriers(),
            origins: origins(),
            end_seconds: START_SECONDS + 200 * SECONDS_PER_DAY,
        };
        let spec = ShipmentSpec {
            index: 7,
            from: START_SECONDS,
            span_seconds: SECONDS_PER_DAY,
            slot: 0,
            slots: 1,
            is_measured: true,
        };
        let draft = shipment(&world, spec, &|_| false);
        let held = draft.shipment.boxes[0].tracking_number.clone();
        let mut b = Builder::with_capacity(1, 0);
        b.tracking_numbers.insert(held.clone());
        b.add(&world, spec, draft);
        let added = &b.shipments[0];
        assert!(added.boxes.iter().all(|x| x.tracking_number != held));
        // Its places are numbered, and its events carry its index.
        assert_eq!(b.locations.len(), {
            let mut places: Vec<u16> = added.steps.iter().map(|st| st.location).collect();
            places.sort_unstable();
            places.dedup();
            places.len()
        });
        assert!(b.events.iter().all(|(_, _, e)| e.shipment == 7));
        assert!(b.tracking_numbers.len() > 1);
    }

    #[test]
    fn the_same_seed_gives_the_same_simulation() {
        let config = SimConfig {
            seed: 3,
            shipments: 150,
            days: 20,
        };
        let a = simulate(config);
        let b = simulate(config);
        assert_eq!(a, b);
        let c = simulate(SimConfig { seed: 4, ..config });
        assert_ne!(a.shipments[0].steps, c.shipments[0].steps);
    }

    #[test]
    fn a_busy_hub_gets_bigger_sites_with_the_same_days_of_backlog() {
        let listed = warehouses();
        let quiet = sized_warehouses(SimConfig {
            seed: 1,
            shipments: 2_000,
            days: 90,
        });
        assert_eq!(quiet, listed);
        let busy = sized_warehouses(SimConfig {
            seed: 1,
            shipments: 100_000,
            days: 90,
        });
        let factor = 100_000.0 / 90.0 / SHIPMENTS_PER_DAY_AT_LISTED_SIZE;
        for (big, small) in busy.iter().zip(&listed) {
            let grown = f64::from(big.receiving_capacity_units_per_day)
                / f64::from(small.receiving_capacity_units_per_day);
            assert!((grown - factor).abs() < 1e-3, "{}: {grown}", big.code);
            let days = |w: &Warehouse| {
                f64::from(w.backlog_units) / f64::from(w.receiving_capacity_units_per_day)
            };
            assert!((days(big) - days(small)).abs() < 1e-3, "{}", big.code);
        }
    }

    /// Ocean schedule reliability, as published for the main trade lanes: the
    /// share of vessels arriving within a day of their scheduled arrival.
    #[test]
    fn about_sixty_percent_of_vessels_arrive_on_schedule() {
        let sim = simulate(SimConfig {
            seed: 5,
            shipments: 2000,
            days: 30,
        });
        let (mut on_time, mut sailings) = (0, 0);
        for s in sim
            .shipments
            .iter()
            .filter(|s| s.freight_mode == FreightMode::Ocean)
        {
            let departures: Vec<&SimStep> =
                s.steps.iter().filter(|t| t.code == C::Departed).collect();
            let [departed] = departures[..] else {
                continue; // transshipped: two sailings
            };
            let Some(arrived) = s
                .steps
                .iter()
                .find(|t| t.code == C::Arrived && t.occurred_at > departed.occurred_at)
            else {
                continue;
            };
            let scheduled = crate::script::scheduled_sea_days(&sim.warehouses[s.warehouse])
                * sea_scale(s.service)
                * 86_400.0;
            let sailed =
                (arrived.occurred_at.as_second() - departed.occurred_at.as_second()) as f64;
            sailings += 1;
            if (sailed - scheduled).abs() <= 86_400.0 {
                on_time += 1;
            }
        }
        assert!(sailings > 300, "{sailings}");
        let share = f64::from(on_time) / f64::from(sailings);
        assert!(
            (0.5..0.7).contains(&share),
            "{on_time} of {sailings} on schedule"
        );
    }

    #[test]
    fn events_are_in_time_order_and_lanes_are_realistic() {
        let sim = simulate(SimConfig {
            seed: 1,
            shipments: 400,
            days: 30,
        });
        assert!(sim.events.windows(2).all(|w| w[0].at <= w[1].at));
        let ocean: Vec<&SimShipment> = sim
            .shipments
            .iter()
            .filter(|s| s.freight_mode == FreightMode::Ocean)
            .collect();
        assert!(ocean.len() > 100, "{}", ocean.len());
        // Ocean freight misses its seller window often (real lanes do).
        let late = ocean
            .iter()
            .filter(|s| {
                s.truth
                    .arrived_at
                    .is_some_and(|a| !s.window.contains(a.to_zoned(TimeZone::UTC).date()))
            })
            .count();
        let share = late as f64 / ocean.len() as f64;
        assert!((0.35..0.85).contains(&share), "{share}");
        for s in &sim.shipments {
            assert!(
                s.steps
                    .windows(2)
                    .all(|w| w[0].occurred_at <= w[1].occurred_at),
                "{}",
                s.name
            );
        }
    }
}
