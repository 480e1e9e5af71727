//! A demo world: inbound shipments of four sellers to warehouses in all eight
//! marketplaces, created over the last sixty days, in every state from "missing
//! tracking" to delivered, with everything their carriers send about them.
//!
//! The shipments come without legs or tracking state, as sellers create them.
//! The hub learns tracking numbers from the carriers: from [`TrackingUpload`]s
//! (per-box tracking IDs uploaded at pickup) and from the first milestone a
//! carrier pushes for a box. Feed and uploads run from the first shipment's
//! creation to thirty days after `now`: what is due by `now` is history to load at
//! start, the rest is what simulated carriers push while the demo runs.
//!
//! Shipments are generated plan by plan (an inbound plan is split into one to
//! three shipments), each plan from its own ChaCha8 stream of the seed, so a
//! plan's shipments are the same whatever the shipment count.

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracklane_core::{
    Address, BoxId, Carrier, CarrierCode, ConfirmationId, DeliveryWindow, FreightMode,
    InboundPlanId, Item, Marketplace, MilestoneCode, Package, PackageTrack, Seller, Shipment,
    ShipmentId, ShipmentKind, ShippingMode, Warehouse, WindowSource,
};

use crate::script::{self, ScriptedEvent, log_normal, pick, pick_weighted};
use crate::world::{self, BRANDS, Brand};

/// How far back the first shipments were created.
pub const HISTORY_DAYS: i64 = 60;
/// How far past `now` the feed and the uploads run.
pub const FEED_HORIZON_DAYS: i64 = 30;

/// Shipments whose carrier never sends tracking: they stay "missing tracking".
const MISSING_TRACKING_P: f64 = 0.08;
/// Shipments the seller cancelled before pickup.
const CANCELLED_P: f64 = 0.03;
/// Shipments created with a carrier chosen; the rest are recognised on push.
const SELECTED_CARRIER_P: f64 = 0.85;
/// Shipments whose seller lets the carrier keep the delivery window current.
const WINDOW_AUTOMATION_P: f64 = 0.70;
/// Small-parcel shipments whose carrier uploads per-box tracking at pickup; the
/// others' numbers are learned from the first milestone pushed for each box.
const PARCEL_UPLOAD_P: f64 = 0.90;
/// A shipment's boxes (small parcel), by count.
const BOX_COUNT_WEIGHTS: &[(usize, u32)] = &[
    (1, 20),
    (2, 18),
    (3, 15),
    (4, 12),
    (5, 10),
    (6, 8),
    (7, 5),
    (8, 4),
    (9, 3),
    (10, 2),
    (11, 2),
    (12, 1),
];
/// Hours from delivery to the warehouse's first count (median; log-normal).
const CHECK_IN_HOURS: f64 = 20.0;
/// Hours from the first count to the end of receiving (median; log-normal).
const RECEIVING_HOURS: f64 = 50.0;
/// Shipments that close with one SKU a few units short.
const SHORT_RECEIPT_P: f64 = 0.12;
/// Pallets of an LTL shipment.
const LTL_PALLETS_MAX: usize = 6;
/// Pallets of an FTL shipment (a 40-foot container holds about 20 to 24).
const FTL_PALLETS: std::ops::RangeInclusive<usize> = 8..=22;
/// Feed events and uploads per shipment, roughly: enough to size buffers once.
const EVENTS_PER_SHIPMENT_ESTIMATE: usize = 40;
const UPLOADS_PER_SHIPMENT_ESTIMATE: usize = 5;
/// Shipments an inbound plan is split into.
const PLAN_SIZE_WEIGHTS: &[(usize, u32)] = &[(1, 60), (2, 30), (3, 10)];
const MARKETPLACE_WEIGHTS: &[(Marketplace, u32)] = &[
    (Marketplace::Us, 45),
    (Marketplace::Uk, 10),
    (Marketplace::De, 12),
    (Marketplace::Fr, 6),
    (Marketplace::It, 5),
    (Marketplace::Es, 5),
    (Marketplace::Jp, 10),
    (Marketplace::Ca, 7),
];
/// Sellers plan arrival a little later than the carrier's quote, which is
/// optimistic; even so about 40 % of ocean freight arrives after its window.
const PLAN_MARGIN: f64 = 1.04;
/// China's offset from UTC, for when sellers work.
const CHINA_OFFSET_HOURS: i8 = 8;

/// A carrier's upload of the tracking number of one box (small parcel) or one
/// pallet (LTL/FTL, where every pallet carries the same PRO or container number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingUpload {
    /// When the carrier uploads it.
    pub at: Timestamp,
    /// The carrier uploading.
    pub carrier: CarrierCode,
    /// The shipment's `shipmentConfirmationId`.
    pub confirmation_id: String,
    /// The box or pallet.
    pub box_id: String,
    /// Its tracking number.
    pub tracking_number: String,
}

/// What a warehouse reports of one shipment it is receiving: each SKU's units
/// counted so far, and whether receiving is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseReceipt {
    /// When the warehouse reports it.
    pub at: Timestamp,
    /// The shipment's `shipmentConfirmationId`.
    pub confirmation_id: String,
    /// Each SKU with its units received so far.
    pub lines: Vec<(String, u32)>,
    /// Receiving is finished.
    pub closes: bool,
}

/// Everything the demo needs: the world, the shipments as sellers created them,
/// and what carriers and warehouses send about them, each sorted by `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoWorld {
    /// Fulfilment centres.
    pub warehouses: Vec<Warehouse>,
    /// Carriers and forwarders.
    pub carriers: Vec<Carrier>,
    /// Seller accounts.
    pub sellers: Vec<Seller>,
    /// Inbound shipments, without legs or tracking state, in creation-plan order.
    pub shipments: Vec<Shipment>,
    /// Milestones as carriers push them, sorted by `at` (ties in generation order).
    pub feed: Vec<ScriptedEvent>,
    /// Per-box tracking uploads, sorted by `at` (ties in generation order).
    pub uploads: Vec<TrackingUpload>,
    /// Warehouse receipts of delivered shipments, sorted by `at`.
    pub receipts: Vec<WarehouseReceipt>,
}

/// What a generator of one plan reads: the world and lookup tables over it.
struct Context {
    seed: u64,
    now_seconds: i64,
    horizon: Timestamp,
    /// A per-seed offset that makes confirmation ids look unrelated across seeds.
    sequence_offset: u64,
    warehouses: Vec<Warehouse>,
    carriers: Vec<Carrier>,
    sellers: Vec<Seller>,
    origins: Vec<Address>,
    /// For each marketplace (by stored number), its warehouses weighted by capacity.
    warehouses_by_marketplace: Vec<Vec<(usize, u32)>>,
    /// For each marketplace and freight mode, the carriers that offer it for
    /// small parcels (`[0]`) and for LTL/FTL freight (`[1]`).
    carriers_by_lane: Vec<Vec<[Vec<usize>; 2]>>,
    /// Quoted transit times, filled in on first use, by
    /// (origin, warehouse, freight mode, shipping mode).
    quotes: Vec<Option<SignedDuration>>,
    /// A journey buffer reused from shipment to shipment.
    steps: Vec<script::Step>,
    /// A feed buffer reused from shipment to shipment.
    events: Vec<ScriptedEvent>,
}

impl Context {
    fn new(seed: u64, now: Timestamp) -> Self {
        let warehouses = world::warehouses();
        let carriers = world::carriers();
        let origins = world::origins();
        let mut warehouses_by_marketplace = vec![Vec::new(); Marketplace::ALL.len()];
        for (i, w) in warehouses.iter().enumerate() {
            warehouses_by_marketplace[usize::from(w.marketplace.number())]
                .push((i, w.receiving_capacity_units_per_day));
        }
        let carriers_by_lane = Marketplace::ALL
            .iter()
            .map(|m| {
                FreightMode::ALL
                    .iter()
                    .map(|mode| {
                        let parcel: Vec<usize> = (0..carriers.len())
                            .filter(|&i| {
                                world::is_mode_offered(*mode, *m)
                                    && carriers[i].marketplaces.contains(m)
                                    && carriers[i].modes.contains(mode)
                            })
                            .collect();
                        let freight = parcel
                            .iter()
                            .copied()
                            .filter(|&i| world::carries_freight(&carriers[i]))
                            .collect();
                        [parcel, freight]
                    })
                    .collect()
            })
            .collect();
        let mut offset_rng = ChaCha8Rng::seed_from_u64(seed);
        offset_rng.set_stream(u64::MAX);
        let quote_count =
            origins.len() * warehouses.len() * FreightMode::ALL.len() * ShippingMode::ALL.len();
        Self {
            seed,
            now_seconds: now.as_second(),
            horizon: now + SignedDuration::from_hours(24 * FEED_HORIZON_DAYS),
            sequence_offset: offset_rng.random_range(0..SEQUENCE_SPACE),
            warehouses,
            carriers,
            sellers: world::sellers(),
            origins,
            warehouses_by_marketplace,
            carriers_by_lane,
            quotes: vec![None; quote_count],
            steps: Vec::with_capacity(32),
            events: Vec::with_capacity(256),
        }
    }

    fn quote(
        &mut self,
        origin: usize,
        warehouse: usize,
        mode: FreightMode,
        shipping_mode: ShippingMode,
    ) -> SignedDuration {
        let index = ((origin * self.warehouses.len() + warehouse) * FreightMode::ALL.len()
            + usize::from(mode.number()))
            * ShippingMode::ALL.len()
            + usize::from(shipping_mode.number());
        *self.quotes[index].get_or_insert_with(|| {
            script::quoted_transit(
                mode,
                shipping_mode,
                &self.origins[origin],
                &self.warehouses[warehouse],
            )
        })
    }
}

/// Confirmation ids are `FBA15` and 7 base-36 characters.
const SEQUENCE_SPACE: u64 = 36u64.pow(7);
/// Odd and not a multiple of 3, so coprime to 36^7: `index × this` is a bijection
/// on the sequence space, and consecutive shipments get unrelated-looking ids.
const SEQUENCE_MULTIPLIER: u64 = 2_654_435_761;

fn confirmation_id(ctx: &Context, shipment_index: u64) -> ConfirmationId {
    let sequence = (u128::from(shipment_index) * u128::from(SEQUENCE_MULTIPLIER)
        + u128::from(ctx.sequence_offset))
        % u128::from(SEQUENCE_SPACE);
    ConfirmationId::from_sequence(sequence as u64)
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::MAX)
}

/// The calendar day `at` falls on at a place `offset_hours` from UTC.
fn local_date(at: Timestamp, offset_hours: i8) -> jiff::civil::Date {
    at.to_zoned(TimeZone::fixed(Offset::constant(offset_hours)))
        .date()
}

/// Mode shares by marketplace: rail only into Europe.
fn mode_weights(marketplace: Marketplace) -> &'static [(FreightMode, u32)] {
    use FreightMode::{Air, Express, Ocean, Rail};
    match marketplace {
        Marketplace::Us => &[(Ocean, 50), (Air, 20), (Express, 30)],
        Marketplace::Ca => &[(Ocean, 45), (Air, 20), (Express, 35)],
        Marketplace::Jp => &[(Ocean, 40), (Air, 20), (Express, 40)],
        _ => &[(Ocean, 40), (Rail, 20), (Air, 15), (Express, 25)],
    }
}

fn shipping_mode_weights(mode: FreightMode) -> &'static [(ShippingMode, u32)] {
    use ShippingMode::{Ftl, Ltl, SmallParcel};
    match mode {
        FreightMode::Express => &[(SmallParcel, 1)],
        FreightMode::Air => &[(SmallParcel, 80), (Ltl, 20)],
        FreightMode::Ocean => &[(SmallParcel, 35), (Ltl, 45), (Ftl, 20)],
        FreightMode::Rail => &[(SmallParcel, 40), (Ltl, 50), (Ftl, 10)],
    }
}

/// Below this many shipments one worker is as fast as two.
const PARALLEL_SHIPMENTS_MIN: usize = 4_000;
/// Workers that generate plans side by side. The output does not depend on it.
const WORKERS: usize = 2;

/// A demo world of `shipment_count` inbound shipments around `now`, the same for
/// the same `seed`. From a few thousand shipments on it generates on two
/// threads; the result is the same as on one.
pub fn demo_world(seed: u64, now: Timestamp, shipment_count: usize) -> DemoWorld {
    let workers = if shipment_count >= PARALLEL_SHIPMENTS_MIN {
        WORKERS
    } else {
        1
    };
    demo_world_with(seed, now, shipment_count, workers)
}

/// [`demo_world`] on `workers` threads: the same world for any number.
fn demo_world_with(seed: u64, now: Timestamp, shipment_count: usize, workers: usize) -> DemoWorld {
    // Each plan's size is the first draw of its own stream, so sizing every plan
    // up front numbers all shipments before any is generated, and the plans can
    // be shared between workers without changing a single id.
    let mut plans: Vec<PlanSlot> = Vec::new();
    let mut numbered = 0;
    while numbered < shipment_count {
        let index = plans.len() as u64;
        let size = plan_size(&mut plan_rng(seed, index)).min(shipment_count - numbered);
        plans.push(PlanSlot {
            index,
            first_shipment: numbered,
            size,
        });
        numbered += size;
    }
    let workers = workers.clamp(1, plans.len().max(1));
    let chunk_plans = plans.len().div_ceil(workers).max(1);
    let outputs: Vec<Output> = if workers == 1 {
        vec![generate(seed, now, &plans)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .chunks(chunk_plans)
                .map(|chunk| scope.spawn(move || generate(seed, now, chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a demo worker panicked"))
                .collect()
        })
    };
    let mut shipments = Vec::with_capacity(shipment_count);
    let (mut feeds, mut uploads) = (Vec::with_capacity(workers), Vec::with_capacity(workers));
    let mut receipts = Vec::with_capacity(workers);
    for out in outputs {
        shipments.extend(out.shipments);
        feeds.push(out.feed);
        uploads.push(out.uploads);
        receipts.push(out.receipts);
    }
    DemoWorld {
        warehouses: world::warehouses(),
        carriers: world::carriers(),
        sellers: world::sellers(),
        shipments,
        feed: assemble(feeds, |e| e.at),
        uploads: assemble(uploads, |u| u.at),
        receipts: assemble(receipts, |r| r.at),
    }
}

/// One inbound plan's place in the demo: its stream and its shipments' numbers.
#[derive(Debug, Clone, Copy)]
struct PlanSlot {
    index: u64,
    first_shipment: usize,
    size: usize,
}

fn plan_rng(seed: u64, plan_index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(plan_index);
    rng
}

fn plan_size(rng: &mut ChaCha8Rng) -> usize {
    *pick_weighted(rng, PLAN_SIZE_WEIGHTS)
}

/// The shipments, feed and uploads of `plans`.
fn generate(seed: u64, now: Timestamp, plans: &[PlanSlot]) -> Output {
    let mut ctx = Context::new(seed, now);
    let shipment_count: usize = plans.iter().map(|p| p.size).sum();
    let first_day = now - SignedDuration::from_hours(24 * (HISTORY_DAYS + 2));
    let mut out = Output {
        shipments: Vec::with_capacity(shipment_count),
        feed: DayBuckets::new(
            first_day,
            ctx.horizon,
            shipment_count * EVENTS_PER_SHIPMENT_ESTIMATE,
        ),
        uploads: DayBuckets::new(
            first_day,
            ctx.horizon,
            shipment_count * UPLOADS_PER_SHIPMENT_ESTIMATE,
        ),
        receipts: DayBuckets::new(first_day, ctx.horizon, shipment_count * 2),
    };
    for slot in plans {
        let mut rng = plan_rng(seed, slot.index);
        let _size = plan_size(&mut rng); // already known: slot.size, cut short for the last plan
        plan(&mut ctx, &mut rng, slot, &mut out);
    }
    out
}

struct Output {
    shipments: Vec<Shipment>,
    feed: DayBuckets<ScriptedEvent>,
    uploads: DayBuckets<TrackingUpload>,
    receipts: DayBuckets<WarehouseReceipt>,
}

/// Items by the day of their `at`, in generation order within a day. Sorting a
/// few million large events at once is dominated by cache and TLB misses;
/// sorting a day at a time keeps each sort inside the cache.
struct DayBuckets<T> {
    first_day_second: i64,
    days: Vec<Vec<T>>,
}

impl<T> DayBuckets<T> {
    /// Buckets for every day from `first_day` to `last`, sized for about
    /// `expected` items in all. Reserving room up front spares the copies of
    /// growing; room never used costs address space, not memory.
    fn new(first_day: Timestamp, last: Timestamp, expected: usize) -> Self {
        let first_day_second = first_day.as_second();
        let day_count =
            usize::try_from((last.as_second() - first_day_second) / 86_400 + 1).unwrap_or(1);
        // Busy days hold up to about twice the average.
        let per_day = expected * 2 / day_count;
        Self {
            first_day_second,
            days: (0..day_count)
                .map(|_| Vec::with_capacity(per_day))
                .collect(),
        }
    }

    fn push(&mut self, at: Timestamp, item: T) {
        let day =
            usize::try_from((at.as_second() - self.first_day_second).max(0) / 86_400).unwrap_or(0);
        let last = self.days.len() - 1;
        self.days[day.min(last)].push(item);
    }
}

/// One list sorted by `at` from the workers' buckets. Among equal times, items
/// keep worker order, then generation order: the order one worker would give.
fn assemble<T>(workers: Vec<DayBuckets<T>>, at: impl Fn(&T) -> Timestamp) -> Vec<T> {
    let total = workers.iter().flat_map(|w| &w.days).map(Vec::len).sum();
    let day_count = workers.iter().map(|w| w.days.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(total);
    let mut workers: Vec<std::vec::IntoIter<Vec<T>>> =
        workers.into_iter().map(|w| w.days.into_iter()).collect();
    let mut keys: Vec<(Timestamp, usize, usize)> = Vec::new();
    for _ in 0..day_count {
        let mut parts: Vec<Vec<Option<T>>> = workers
            .iter_mut()
            .map(|w| w.next().unwrap_or_default().into_iter().map(Some).collect())
            .collect();
        keys.clear();
        for (w, part) in parts.iter().enumerate() {
            keys.extend(
                part.iter()
                    .enumerate()
                    .filter_map(|(i, item)| item.as_ref().map(|item| (at(item), w, i))),
            );
        }
        keys.sort_unstable();
        out.extend(keys.iter().filter_map(|&(_, w, i)| parts[w][i].take()));
    }
    out
}

/// One inbound plan: a seller sends goods from one origin to one marketplace by
/// one mode and carrier, split over one to three warehouses.
fn plan(ctx: &mut Context, rng: &mut ChaCha8Rng, slot: &PlanSlot, out: &mut Output) {
    let brand_weights: Vec<(usize, u32)> = BRANDS
        .iter()
        .enumerate()
        .map(|(i, b)| (i, b.share_percent))
        .collect();
    let brand_index = *pick_weighted(rng, &brand_weights);
    let brand = &BRANDS[brand_index];
    let origin_index = if rng.random_bool(0.75) {
        ctx.origins
            .iter()
            .position(|o| o.city == brand.home_city)
            .unwrap_or(0)
    } else {
        rng.random_range(0..ctx.origins.len())
    };
    let marketplace = *pick_weighted(rng, MARKETPLACE_WEIGHTS);
    let mode = *pick_weighted(rng, mode_weights(marketplace));
    // Sellers choose small parcel or freight for a whole plan; freight goes with
    // a forwarder, small parcels with anyone.
    let mut shipping_mode = *pick_weighted(rng, shipping_mode_weights(mode));
    let lanes =
        &ctx.carriers_by_lane[usize::from(marketplace.number())][usize::from(mode.number())];
    if lanes[1].is_empty() {
        shipping_mode = ShippingMode::SmallParcel;
    }
    let lane = &lanes[usize::from(shipping_mode.is_freight())];
    assert!(
        !lane.is_empty(),
        "no carrier offers {mode} {shipping_mode} into {marketplace}"
    );
    let carrier_index = *pick(rng, lane);
    let created_at = creation_time(ctx, rng);
    let plan_id = InboundPlanId::from_random(rng.random());
    let mut chosen: Vec<usize> = Vec::with_capacity(slot.size);
    let candidates = &ctx.warehouses_by_marketplace[usize::from(marketplace.number())];
    for _ in 0..slot.size {
        // Amazon splits a plan over distinct sites while there are any left.
        let fresh: Vec<(usize, u32)> = candidates
            .iter()
            .copied()
            .filter(|(i, _)| !chosen.contains(i))
            .collect();
        let pool = if fresh.is_empty() { candidates } else { &fresh };
        chosen.push(*pick_weighted(rng, pool));
    }
    for (offset, warehouse_index) in chosen.into_iter().enumerate() {
        let spec = Spec {
            index: slot.first_shipment + offset,
            brand_index,
            plan_id: plan_id.clone(),
            origin_index,
            warehouse_index,
            carrier_index,
            mode,
            shipping_mode,
            created_at,
        };
        shipment(ctx, rng, &spec, out);
    }
}

/// When a seller creates a plan: some time in the last sixty days, during the
/// working day in China.
fn creation_time(ctx: &Context, rng: &mut ChaCha8Rng) -> Timestamp {
    let seconds = ctx.now_seconds - rng.random_range(0..HISTORY_DAYS * 86_400);
    let china = seconds + i64::from(CHINA_OFFSET_HOURS) * 3600;
    let hour = china.rem_euclid(86_400) / 3600;
    // Outside 09:00–21:00 China time, move back by 12 hours into the working day.
    let seconds = if (9..21).contains(&hour) {
        seconds
    } else {
        seconds - 12 * 3600
    };
    timestamp(seconds.min(ctx.now_seconds))
}

/// What the shipments of one plan share.
struct Spec {
    /// The shipment's number in the demo, from 0.
    index: usize,
    brand_index: usize,
    plan_id: InboundPlanId,
    origin_index: usize,
    warehouse_index: usize,
    carrier_index: usize,
    mode: FreightMode,
    shipping_mode: ShippingMode,
    created_at: Timestamp,
}

fn shipment(ctx: &mut Context, rng: &mut ChaCha8Rng, spec: &Spec, out: &mut Output) {
    let confirmation_id = confirmation_id(ctx, spec.index as u64);
    let brand = &BRANDS[spec.brand_index];
    let shipping_mode = spec.shipping_mode;
    // The seller books the carrier a day or two after creating the shipment and
    // plans its delivery window from the carrier's quote.
    let quote = ctx.quote(
        spec.origin_index,
        spec.warehouse_index,
        spec.mode,
        shipping_mode,
    );
    let warehouse = &ctx.warehouses[spec.warehouse_index];
    let carrier = &ctx.carriers[spec.carrier_index];
    let packages = packages(
        rng,
        brand,
        &confirmation_id,
        shipping_mode,
        warehouse.marketplace,
    );
    let offset_hours = world::standard_utc_offset_hours(&warehouse.time_zone).unwrap_or(0);
    let booking =
        spec.created_at + SignedDuration::from_secs_f64(log_normal(rng, 30.0, 0.6) * 3600.0);
    let planned_arrival = booking + quote.mul_f64(PLAN_MARGIN);
    let window = DeliveryWindow::week_of(local_date(planned_arrival, offset_hours as i8));

    let roll = rng.random::<f64>();
    let is_cancelled = roll < CANCELLED_P;
    let is_tracked = roll >= CANCELLED_P + MISSING_TRACKING_P;
    let created_local = spec
        .created_at
        .to_zoned(TimeZone::fixed(Offset::constant(CHINA_OFFSET_HOURS)));
    let name = format!(
        "FBA STA ({})-{}",
        created_local.strftime("%m/%d/%Y %H:%M"),
        warehouse.code
    );
    let selected_carrier = rng
        .random_bool(SELECTED_CARRIER_P)
        .then(|| carrier.code.clone());
    let allows_window_automation = rng.random_bool(WINDOW_AUTOMATION_P);

    if is_tracked {
        let origin = &ctx.origins[spec.origin_index];
        let steps = &mut ctx.steps;
        script::journey_into(
            rng,
            spec.mode,
            shipping_mode,
            origin,
            warehouse,
            booking,
            steps,
        );
        let numbers = script::box_tracking_numbers(rng, carrier, shipping_mode, packages.len());
        let boxes: Vec<(BoxId, String)> = packages
            .iter()
            .map(|p| p.box_id.clone())
            .zip(numbers)
            .collect();
        let events = &mut ctx.events;
        script::feed_into(
            rng,
            steps,
            &carrier.code,
            &confirmation_id,
            &boxes,
            ctx.horizon,
            events,
        );
        for event in events.drain(..) {
            out.feed.push(event.at, event);
        }
        if let Some(delivered) = steps.iter().find(|s| s.0 == MilestoneCode::Delivered) {
            let mut rng = receipt_rng(ctx.seed, spec.index as u64);
            for receipt in receipts(&mut rng, &confirmation_id, &packages, delivered.3) {
                if receipt.at <= ctx.horizon {
                    out.receipts.push(receipt.at, receipt);
                }
            }
        }
        if shipping_mode.is_freight() || rng.random_bool(PARCEL_UPLOAD_P) {
            let picked_up = steps
                .iter()
                .find(|s| s.0 == MilestoneCode::PickedUp)
                .map_or(booking, |s| s.3);
            let at = picked_up + SignedDuration::from_secs(rng.random_range(600..8 * 3600));
            if at <= ctx.horizon {
                for (box_id, tracking_number) in boxes {
                    let upload = TrackingUpload {
                        at,
                        carrier: carrier.code.clone(),
                        confirmation_id: confirmation_id.as_str().to_owned(),
                        box_id: box_id.as_str().to_owned(),
                        tracking_number,
                    };
                    out.uploads.push(at, upload);
                }
            }
        }
    }

    out.shipments.push(Shipment {
        id: ShipmentId::from_random(rng.random()),
        inbound_plan_id: spec.plan_id.clone(),
        confirmation_id,
        seller: ctx.sellers[spec.brand_index].id.clone(),
        name,
        kind: ShipmentKind::Inbound,
        source_address: ctx.origins[spec.origin_index].clone(),
        warehouse: warehouse.code.clone(),
        marketplace: warehouse.marketplace,
        shipping_mode,
        freight_mode: spec.mode,
        selected_carrier,
        delivery_window: Some((window, WindowSource::Seller)),
        allows_window_automation,
        created_at: spec.created_at,
        is_cancelled,
        packages,
    });
}

/// The stream of shipment `index`'s receipts: apart from the plans' streams,
/// so that receipts leave every other draw of the world as it was.
fn receipt_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7265_6365_6970_7473); // "receipts"
    rng.set_stream(index);
    rng
}

/// What the warehouse reports of a shipment delivered at `delivered`: a first
/// count of part of each SKU within a day or so, then the close a few days
/// later, now and then with one SKU a few units short.
fn receipts(
    rng: &mut ChaCha8Rng,
    confirmation_id: &ConfirmationId,
    packages: &[Package],
    delivered: Timestamp,
) -> [WarehouseReceipt; 2] {
    let mut skus: Vec<(String, u32)> = Vec::new();
    for item in packages.iter().flat_map(|p| &p.items) {
        match skus.iter_mut().find(|(sku, _)| *sku == item.sku) {
            Some((_, units)) => *units += item.units_expected,
            None => skus.push((item.sku.clone(), item.units_expected)),
        }
    }
    let first_at =
        delivered + SignedDuration::from_secs_f64(log_normal(rng, CHECK_IN_HOURS, 0.6) * 3600.0);
    let close_at =
        first_at + SignedDuration::from_secs_f64(log_normal(rng, RECEIVING_HOURS, 0.5) * 3600.0);
    let counted: Vec<(String, u32)> = skus
        .iter()
        .map(|(sku, units)| {
            let share = rng.random_range(0.4..0.9);
            (sku.clone(), (f64::from(*units) * share) as u32)
        })
        .collect();
    let mut closing = skus;
    if rng.random_bool(SHORT_RECEIPT_P) {
        let i = rng.random_range(0..closing.len());
        let units = &mut closing[i].1;
        let short = rng.random_range(1..=(*units / 50).max(1));
        *units -= short.min(*units);
    }
    let confirmation_id = confirmation_id.as_str().to_owned();
    [
        WarehouseReceipt {
            at: first_at,
            confirmation_id: confirmation_id.clone(),
            lines: counted,
            closes: false,
        },
        WarehouseReceipt {
            at: close_at,
            confirmation_id,
            lines: closing,
            closes: true,
        },
    ]
}

/// The boxes or pallets of a shipment, with what is packed in them.
fn packages(
    rng: &mut ChaCha8Rng,
    brand: &Brand,
    confirmation_id: &ConfirmationId,
    shipping_mode: ShippingMode,
    marketplace: Marketplace,
) -> Vec<Package> {
    let sku_count = rng.random_range(1..=4);
    let mut skus: Vec<String> = Vec::with_capacity(sku_count);
    while skus.len() < sku_count {
        let sku = format!(
            "{}-{}-{:02}",
            brand.sku_prefix,
            pick(rng, brand.products),
            rng.random_range(1..=12)
        );
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    let count = match shipping_mode {
        ShippingMode::SmallParcel => *pick_weighted(rng, BOX_COUNT_WEIGHTS),
        ShippingMode::Ltl => rng.random_range(1..=LTL_PALLETS_MAX),
        ShippingMode::Ftl => rng.random_range(FTL_PALLETS),
    };
    (1..=count)
        .map(|number| {
            let (dimensions_mm, weight_grams, units) = if shipping_mode.is_freight() {
                let footprint = match marketplace {
                    Marketplace::Us | Marketplace::Ca => [1219, 1016],
                    Marketplace::Jp => [1100, 1100],
                    _ => [1200, 800],
                };
                let height = rng.random_range(900..=1800);
                (
                    [footprint[0], footprint[1], height],
                    rng.random_range(120_000..=650_000),
                    200..=1500,
                )
            } else {
                let mut sides = [
                    rng.random_range(300..=630),
                    rng.random_range(250..=500),
                    rng.random_range(200..=450),
                ];
                sides.sort_unstable_by(|a, b| b.cmp(a));
                // FBA caps a standard box at 23 kg (50 lb).
                (sides, rng.random_range(3_000..=22_500), 10..=200)
            };
            let mut items: Vec<Item> = Vec::with_capacity(3);
            let item_count = *pick_weighted(rng, &[(1usize, 70), (2, 25), (3, 5)]);
            for _ in 0..item_count.min(skus.len()) {
                let sku = pick(rng, &skus);
                if items.iter().any(|i| i.sku == *sku) {
                    continue;
                }
                items.push(Item {
                    sku: sku.clone(),
                    units_expected: rng.random_range(units.clone()),
                    units_received: 0,
                });
            }
            Package {
                box_id: confirmation_id.box_id(number as u32),
                weight_grams,
                dimensions_mm,
                items,
                legs: Vec::new(),
                track: PackageTrack::default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::script::is_valid_tracking_number;

    fn now() -> Timestamp {
        "2026-03-10T06:30:00Z".parse().unwrap()
    }

    fn world(seed: u64, count: usize) -> DemoWorld {
        demo_world(seed, now(), count)
    }

    /// `part / whole` is within `tolerance` of `expected`.
    fn check_share(what: &str, part: usize, whole: usize, expected: f64, tolerance: f64) {
        let share = part as f64 / whole as f64;
        assert!(
            (share - expected).abs() <= tolerance,
            "{what}: {share:.3} ({part} of {whole}), expected {expected} ± {tolerance}"
        );
    }

    #[test]
    fn delivered_shipments_are_counted_then_closed_some_short() {
        let w = world(11, 3000);
        let sent: HashMap<&str, Vec<(String, u32)>> = w
            .shipments
            .iter()
            .map(|s| {
                let counts = s
                    .sku_counts()
                    .into_iter()
                    .map(|c| (c.sku, c.units_expected))
                    .collect();
                (s.confirmation_id.as_str(), counts)
            })
            .collect();
        assert!(w.receipts.windows(2).all(|p| p[0].at <= p[1].at));
        let mut by_shipment: HashMap<&str, Vec<&WarehouseReceipt>> = HashMap::new();
        for r in &w.receipts {
            by_shipment
                .entry(r.confirmation_id.as_str())
                .or_default()
                .push(r);
        }
        let (mut closed, mut short) = (0, 0);
        for (id, receipts) in &by_shipment {
            let packed = &sent[id];
            let first = receipts[0];
            assert!(!first.closes, "{id}: the first count does not close");
            for (sku, units) in &first.lines {
                let (_, whole) = packed.iter().find(|(s, _)| s == sku).unwrap();
                assert!(units < whole, "{id}: a first count of part of {sku}");
            }
            if let Some(close) = receipts.get(1) {
                assert!(close.closes && close.at > first.at, "{id}");
                closed += 1;
                if close.lines != *packed {
                    short += 1;
                }
            }
        }
        // Only shipments delivered long enough before the horizon are closed.
        assert!(closed > 1000, "{closed} closed");
        check_share("closed short", short, closed, SHORT_RECEIPT_P, 0.03);
    }

    #[test]
    fn same_seed_same_world_and_different_seeds_differ() {
        let a = world(1, 300);
        assert_eq!(a, world(1, 300));
        let b = world(2, 300);
        assert_ne!(a.shipments, b.shipments);
        assert_ne!(a.feed, b.feed);
    }

    #[test]
    fn the_world_does_not_depend_on_the_number_of_workers() {
        let one = demo_world_with(9, now(), 700, 1);
        assert_eq!(one, demo_world_with(9, now(), 700, 2));
        assert_eq!(one, demo_world_with(9, now(), 700, 3));
    }

    #[test]
    fn a_plan_does_not_depend_on_the_shipment_count() {
        let small = world(3, 50);
        let large = world(3, 400);
        // The last plan may be cut short; every shipment before it is identical.
        assert_eq!(small.shipments[..45], large.shipments[..45]);
    }

    #[test]
    fn counts_and_shares() {
        let w = world(4, 6000);
        assert_eq!(w.shipments.len(), 6000);
        let has_feed: HashSet<&str> = w
            .feed
            .iter()
            .map(|e| e.shipment_confirmation_id.as_str())
            .collect();
        let has_upload: HashSet<&str> = w
            .uploads
            .iter()
            .map(|u| u.confirmation_id.as_str())
            .collect();
        let never_tracked = w
            .shipments
            .iter()
            .filter(|s| !s.is_cancelled)
            .filter(|s| {
                !has_feed.contains(s.confirmation_id.as_str())
                    && !has_upload.contains(s.confirmation_id.as_str())
            })
            .count();
        check_share(
            "never tracked",
            never_tracked,
            6000,
            MISSING_TRACKING_P,
            0.015,
        );
        check_share(
            "cancelled",
            w.shipments.iter().filter(|s| s.is_cancelled).count(),
            6000,
            CANCELLED_P,
            0.01,
        );
        check_share(
            "carrier selected",
            w.shipments
                .iter()
                .filter(|s| s.selected_carrier.is_some())
                .count(),
            6000,
            SELECTED_CARRIER_P,
            0.02,
        );
        check_share(
            "window automation",
            w.shipments
                .iter()
                .filter(|s| s.allows_window_automation)
                .count(),
            6000,
            WINDOW_AUTOMATION_P,
            0.02,
        );
        let ids: HashSet<&str> = w
            .shipments
            .iter()
            .map(|s| s.confirmation_id.as_str())
            .collect();
        assert_eq!(ids.len(), 6000, "confirmation ids are unique");
        let ids: HashSet<&str> = w.shipments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), 6000, "shipment ids are unique");
        for m in Marketplace::ALL {
            assert!(
                w.shipments.iter().any(|s| s.marketplace == *m),
                "no shipment to {m}"
            );
        }
        for mode in FreightMode::ALL {
            assert!(
                w.shipments.iter().any(|s| s.freight_mode == *mode),
                "no {mode} shipment"
            );
        }
        for s in &w.sellers {
            assert!(
                w.shipments.iter().any(|x| x.seller == s.id),
                "no shipment of {}",
                s.id
            );
        }
    }

    #[test]
    fn shipments_are_consistent_with_the_world() {
        let w = world(5, 2000);
        let warehouses: HashMap<&str, &Warehouse> =
            w.warehouses.iter().map(|x| (x.code.as_str(), x)).collect();
        let carriers: HashMap<&str, &Carrier> =
            w.carriers.iter().map(|c| (c.code.as_str(), c)).collect();
        let earliest = now() - SignedDuration::from_hours(24 * HISTORY_DAYS + 12);
        for s in &w.shipments {
            let warehouse = warehouses[s.warehouse.as_str()];
            assert_eq!(warehouse.marketplace, s.marketplace);
            assert!(world::is_mode_offered(s.freight_mode, s.marketplace));
            assert!(
                s.created_at <= now() && s.created_at >= earliest,
                "{}",
                s.created_at
            );
            if let Some(c) = &s.selected_carrier {
                let c = carriers[c.as_str()];
                assert!(
                    c.marketplaces.contains(&s.marketplace) && c.modes.contains(&s.freight_mode),
                    "{}",
                    c.code
                );
                assert!(
                    !s.shipping_mode.is_freight() || world::carries_freight(c),
                    "{} carries no freight",
                    c.code
                );
            }
            let (window, source) = s.delivery_window.unwrap();
            assert_eq!(source, WindowSource::Seller);
            assert_eq!(
                DeliveryWindow::new(window.start_date, window.end_date),
                Ok(window)
            );
            assert!(window.end_date >= s.created_at.to_zoned(TimeZone::UTC).date());
            let n = s.packages.len();
            match s.shipping_mode {
                ShippingMode::SmallParcel => assert!((1..=12).contains(&n)),
                ShippingMode::Ltl => assert!((1..=LTL_PALLETS_MAX).contains(&n)),
                ShippingMode::Ftl => assert!(FTL_PALLETS.contains(&n)),
            }
            if s.freight_mode == FreightMode::Express {
                assert_eq!(s.shipping_mode, ShippingMode::SmallParcel);
            }
            let prefix = BRANDS
                .iter()
                .find(|b| b.id == s.seller.as_str())
                .unwrap()
                .sku_prefix;
            for (i, p) in s.packages.iter().enumerate() {
                assert_eq!(p.box_id, s.confirmation_id.box_id(i as u32 + 1));
                assert!(p.legs.is_empty() && p.track == PackageTrack::default());
                assert!(!p.items.is_empty());
                for item in &p.items {
                    assert!(item.sku.starts_with(prefix), "{}", item.sku);
                    assert!(item.units_expected >= 10 && item.units_received == 0);
                }
                assert!(p.weight_grams > 0 && p.dimensions_mm.iter().all(|d| *d > 0));
            }
        }
    }

    #[test]
    fn feed_and_uploads_are_sorted_valid_and_attached() {
        let w = world(6, 2000);
        let horizon = now() + SignedDuration::from_hours(24 * FEED_HORIZON_DAYS);
        assert!(w.feed.windows(2).all(|p| p[0].at <= p[1].at));
        assert!(w.uploads.windows(2).all(|p| p[0].at <= p[1].at));
        assert!(
            w.feed
                .iter()
                .all(|e| e.at <= horizon && e.at >= e.milestone.occurred_at)
        );
        assert!(w.feed.iter().any(|e| e.at <= now()) && w.feed.iter().any(|e| e.at > now()));
        let shipments: HashMap<&str, &Shipment> = w
            .shipments
            .iter()
            .map(|s| (s.confirmation_id.as_str(), s))
            .collect();
        for e in &w.feed {
            assert!(
                is_valid_tracking_number(&e.tracking_number),
                "{}",
                e.tracking_number
            );
            let s = shipments[e.shipment_confirmation_id.as_str()];
            assert!(!s.is_cancelled);
            assert!(
                s.packages.iter().any(|p| p.box_id.as_str() == e.box_id),
                "{}",
                e.box_id
            );
            if let Some(c) = &s.selected_carrier {
                assert_eq!(*c, e.carrier);
            }
        }
        for u in &w.uploads {
            assert!(
                is_valid_tracking_number(&u.tracking_number),
                "{}",
                u.tracking_number
            );
            let s = shipments[u.confirmation_id.as_str()];
            assert!(s.packages.iter().any(|p| p.box_id.as_str() == u.box_id));
        }
        // Every box of a shipment the carrier has started on gets its number by
        // the horizon, from an upload or from a milestone pushed under its box id.
        let mut numbered: HashSet<&str> = w.feed.iter().map(|e| e.box_id.as_str()).collect();
        numbered.extend(w.uploads.iter().map(|u| u.box_id.as_str()));
        for s in w
            .shipments
            .iter()
            .filter(|s| numbered.contains(s.packages[0].box_id.as_str()))
        {
            for p in &s.packages {
                assert!(
                    numbered.contains(p.box_id.as_str()),
                    "{} has no tracking number",
                    p.box_id
                );
            }
        }
    }

    #[test]
    fn the_feed_holds_every_state() {
        let w = world(7, 3000);
        let codes: HashSet<MilestoneCode> = w
            .feed
            .iter()
            .filter(|e| e.at <= now())
            .map(|e| e.milestone.code)
            .collect();
        for code in [
            MilestoneCode::BookingConfirmed,
            MilestoneCode::PickedUp,
            MilestoneCode::Departed,
            MilestoneCode::Arrived,
            MilestoneCode::CustomsHoldDischargePort,
            MilestoneCode::CustomsCleared,
            MilestoneCode::ArrivedAtRailTerminal,
            MilestoneCode::OutForDelivery,
            MilestoneCode::DeliveryAttempted,
            MilestoneCode::Delayed,
            MilestoneCode::Delivered,
        ] {
            assert!(codes.contains(&code), "no {code} before now");
        }
        let mut carriers: Vec<&str> = w.feed.iter().map(|e| e.carrier.as_str()).collect();
        carriers.sort_unstable();
        carriers.dedup();
        assert_eq!(
            carriers.len(),
            w.carriers.len(),
            "every carrier pushes something: {carriers:?}"
        );
    }

    #[test]
    fn about_forty_percent_of_ocean_shipments_arrive_after_their_window() {
        let w = world(8, 4000);
        let mut delivered: HashMap<&str, Timestamp> = HashMap::new();
        for e in w
            .feed
            .iter()
            .filter(|e| e.milestone.code == MilestoneCode::Delivered)
        {
            let at = delivered
                .entry(e.shipment_confirmation_id.as_str())
                .or_insert(e.milestone.occurred_at);
            *at = (*at).max(e.milestone.occurred_at);
        }
        let warehouses: HashMap<&str, &Warehouse> =
            w.warehouses.iter().map(|x| (x.code.as_str(), x)).collect();
        let late_share = |mode: FreightMode| {
            let (mut late, mut total) = (0, 0);
            for s in w.shipments.iter().filter(|s| s.freight_mode == mode) {
                let Some(at) = delivered.get(s.confirmation_id.as_str()) else {
                    continue;
                };
                let offset =
                    world::standard_utc_offset_hours(&warehouses[s.warehouse.as_str()].time_zone)
                        .unwrap();
                total += 1;
                if local_date(*at, offset as i8) > s.delivery_window.unwrap().0.end_date {
                    late += 1;
                }
            }
            (late, total)
        };
        let (late, total) = late_share(FreightMode::Ocean);
        check_share("late ocean", late, total, 0.40, 0.08);
        let (late, total) = late_share(FreightMode::Express);
        assert!(
            (late as f64) < total as f64 * 0.3,
            "late express: {late} of {total}"
        );
    }
}
