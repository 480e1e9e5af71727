//! What carriers report about a package, and when: a journey is the true
//! sequence of SP-API milestones from booking to the warehouse dock for one
//! freight mode; a feed is what the carrier actually sends about it, late, twice,
//! out of order or not at all; tracking numbers are what it prints on labels, in
//! each carrier's real format with a valid check digit.
//!
//! Durations are log-normal around a median with a per-journey pace factor, so
//! transit times are noisy and heavy-tailed, and late freight is common (about 40 %
//! of ocean shipments miss their delivery window). Vessels are the exception:
//! they keep a schedule, and a late one is late for a reason the simulation
//! draws (see `simulation`). Everything is drawn from the caller's seeded RNG:
//! the same seed gives the same journeys and feeds.

use jiff::{SignedDuration, Timestamp};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use tracklane_core::{
    Address, BoxId, Carrier, CarrierCode, ConfirmationId, FreightMode, Location, Marketplace,
    Milestone, MilestoneCode, ShippingMode, SubCode, Warehouse,
};

use crate::world::standard_utc_offset_hours;

use MilestoneCode as C;

/// One true milestone of a journey: code, sub-code, where and when it happened.
pub type Step = (MilestoneCode, Option<SubCode>, Location, Timestamp);

const SECONDS_PER_HOUR: f64 = 3600.0;
const SECONDS_PER_DAY: i64 = 86_400;
/// Spread of a sailing's duration around its schedule (log-normal sigma): a
/// day or less either way on the longest voyages.
const SAILING_SIGMA: f64 = 0.02;

// ---- Places ------------------------------------------------------------------

/// A named place on the way: a port, airport, hub or terminal.
#[derive(Debug, Clone, Copy)]
struct Place {
    city: &'static str,
    region: &'static str,
    country: &'static str,
}

const fn place(city: &'static str, region: &'static str, country: &'static str) -> Place {
    Place {
        city,
        region,
        country,
    }
}

impl Place {
    fn location(self) -> Location {
        Location {
            city: Some(self.city.to_owned()),
            region: Some(self.region.to_owned()),
            country_code: Some(self.country.to_owned()),
        }
    }
}

// Origin side.
const YANTIAN: Place = place("Yantian", "GD", "CN");
const NANSHA: Place = place("Nansha", "GD", "CN");
const SHANGHAI: Place = place("Shanghai", "SH", "CN");
const NINGBO: Place = place("Ningbo", "ZJ", "CN");
const XIAMEN: Place = place("Xiamen", "FJ", "CN");
const SHENZHEN: Place = place("Shenzhen", "GD", "CN");
const GUANGZHOU: Place = place("Guangzhou", "GD", "CN");
const HANGZHOU: Place = place("Hangzhou", "ZJ", "CN");
const HONG_KONG: Place = place("Hong Kong", "HK", "HK");
const XIAN: Place = place("Xi'an", "SN", "CN");
const YIWU: Place = place("Yiwu", "ZJ", "CN");
// On the way.
const BUSAN: Place = place("Busan", "Busan", "KR");
const SINGAPORE: Place = place("Singapore", "Singapore", "SG");
const ANCHORAGE: Place = place("Anchorage", "AK", "US");
const LIEGE: Place = place("Liège", "Liège", "BE");
const KHORGOS: Place = place("Khorgos", "XJ", "CN");
const ALASHANKOU: Place = place("Alashankou", "XJ", "CN");
const MALASZEWICZE: Place = place("Małaszewicze", "Lubelskie", "PL");
const DUISBURG: Place = place("Duisburg", "NW", "DE");
const DOVER: Place = place("Dover", "Kent", "GB");

/// Where freight from one Chinese city leaves the country.
struct OriginHubs {
    port: Place,
    airport: Place,
    /// Where express parcels are consolidated and exported.
    gateway: Place,
    /// Where China-Europe trains are loaded.
    rail: Place,
}

fn origin_hubs(city: &str) -> OriginHubs {
    match city {
        "Guangzhou" => OriginHubs {
            port: NANSHA,
            airport: GUANGZHOU,
            gateway: GUANGZHOU,
            rail: XIAN,
        },
        "Shanghai" => OriginHubs {
            port: SHANGHAI,
            airport: SHANGHAI,
            gateway: SHANGHAI,
            rail: YIWU,
        },
        "Ningbo" => OriginHubs {
            port: NINGBO,
            airport: SHANGHAI,
            gateway: SHANGHAI,
            rail: YIWU,
        },
        "Yiwu" => OriginHubs {
            port: NINGBO,
            airport: HANGZHOU,
            gateway: SHANGHAI,
            rail: YIWU,
        },
        "Xiamen" => OriginHubs {
            port: XIAMEN,
            airport: XIAMEN,
            gateway: XIAMEN,
            rail: XIAMEN,
        },
        // Shenzhen, and anywhere else in the south.
        _ => OriginHubs {
            port: YANTIAN,
            airport: SHENZHEN,
            gateway: HONG_KONG,
            rail: XIAN,
        },
    }
}

/// Where freight for one warehouse enters its country.
struct Destination {
    port: Place,
    /// Median days at sea from South China, port to port.
    sea_days: f64,
    /// An inland rail ramp the container continues to (Chicago, Brampton).
    inland_rail: Option<Place>,
    airport: Place,
    /// Where international express lands and clears.
    express_hub: Place,
    /// The European terminal China-Europe trains unload at.
    rail_terminal: Place,
    /// Ocean transshipment hub, when a vessel calls at one.
    transshipment: Place,
}

/// The scheduled days at sea, port to port, to the port serving `warehouse`.
#[cfg(test)]
pub(crate) fn scheduled_sea_days(warehouse: &Warehouse) -> f64 {
    destination(warehouse).sea_days
}

fn destination(warehouse: &Warehouse) -> Destination {
    let region = warehouse
        .address
        .state_or_province_code
        .as_deref()
        .unwrap_or("");
    let long_beach = place("Long Beach", "CA", "US");
    let louisville = place("Louisville", "KY", "US");
    let ontario = place("Ontario", "CA", "US");
    let (port, sea_days, inland_rail, airport, express_hub) = match warehouse.marketplace {
        Marketplace::Us => match region {
            "CA" if warehouse.address.city == "Stockton" => (
                place("Oakland", "CA", "US"),
                17.0,
                None,
                place("San Francisco", "CA", "US"),
                ontario,
            ),
            "CA" | "AZ" => (
                long_beach,
                16.0,
                None,
                place("Los Angeles", "CA", "US"),
                ontario,
            ),
            "WA" => (
                place("Tacoma", "WA", "US"),
                14.0,
                None,
                place("Seattle", "WA", "US"),
                ontario,
            ),
            "NJ" | "NY" | "PA" => (
                place("Newark", "NJ", "US"),
                28.0,
                None,
                place("New York", "NY", "US"),
                louisville,
            ),
            "NC" | "GA" | "SC" => (
                place("Savannah", "GA", "US"),
                27.0,
                None,
                place("Atlanta", "GA", "US"),
                louisville,
            ),
            "TX" => (
                place("Houston", "TX", "US"),
                26.0,
                None,
                place("Dallas", "TX", "US"),
                louisville,
            ),
            // The Midwest: Los Angeles / Long Beach, then intermodal rail to Chicago.
            _ => (
                long_beach,
                16.0,
                Some(place("Chicago", "IL", "US")),
                place("Chicago", "IL", "US"),
                louisville,
            ),
        },
        Marketplace::Uk => (
            place("Felixstowe", "Suffolk", "GB"),
            30.0,
            None,
            place("London", "Greater London", "GB"),
            place("Castle Donington", "Leicestershire", "GB"),
        ),
        Marketplace::De => (
            place("Hamburg", "HH", "DE"),
            30.0,
            None,
            place("Frankfurt am Main", "HE", "DE"),
            place("Leipzig", "SN", "DE"),
        ),
        Marketplace::Fr => {
            let cdg = place("Roissy-en-France", "Val-d'Oise", "FR");
            (
                place("Le Havre", "Seine-Maritime", "FR"),
                29.0,
                None,
                cdg,
                cdg,
            )
        }
        Marketplace::It => {
            let mxp = place("Milan", "MI", "IT");
            (place("Genoa", "GE", "IT"), 25.0, None, mxp, mxp)
        }
        Marketplace::Es => {
            let mad = place("Madrid", "Madrid", "ES");
            (place("Valencia", "Valencia", "ES"), 26.0, None, mad, mad)
        }
        Marketplace::Jp if region == "Osaka" => {
            let kix = place("Izumisano", "Osaka", "JP");
            (place("Kobe", "Hyogo", "JP"), 5.0, None, kix, kix)
        }
        Marketplace::Jp => {
            let nrt = place("Narita", "Chiba", "JP");
            (place("Tokyo", "Tokyo", "JP"), 6.0, None, nrt, nrt)
        }
        Marketplace::Ca if region == "BC" => {
            let yvr = place("Richmond", "BC", "CA");
            (place("Vancouver", "BC", "CA"), 15.0, None, yvr, yvr)
        }
        // Ontario and the East: Vancouver, then rail to the Brampton intermodal terminal.
        Marketplace::Ca => {
            let yyz = place("Mississauga", "ON", "CA");
            (
                place("Vancouver", "BC", "CA"),
                15.0,
                Some(place("Brampton", "ON", "CA")),
                yyz,
                yyz,
            )
        }
    };
    let rail_terminal = if warehouse.marketplace == Marketplace::Es {
        place("Madrid", "Madrid", "ES")
    } else {
        DUISBURG
    };
    let transshipment = match warehouse.marketplace {
        Marketplace::Us | Marketplace::Ca | Marketplace::Jp => BUSAN,
        _ => SINGAPORE,
    };
    Destination {
        port,
        sea_days,
        inland_rail,
        airport,
        express_hub,
        rail_terminal,
        transshipment,
    }
}

/// Where the warehouse is, as a milestone location.
fn warehouse_location(warehouse: &Warehouse) -> Location {
    Location {
        city: Some(warehouse.address.city.clone()),
        region: warehouse.address.state_or_province_code.clone(),
        country_code: Some(warehouse.address.country_code.clone()),
    }
}

fn address_location(address: &Address) -> Location {
    Location {
        city: Some(address.city.clone()),
        region: address.state_or_province_code.clone(),
        country_code: Some(address.country_code.clone()),
    }
}

// ---- Randomness helpers ------------------------------------------------------

/// A standard normal draw (Box–Muller), clamped to ±4 so that a single draw never
/// produces an absurd duration.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    z.clamp(-4.0, 4.0)
}

/// A log-normal draw with the given median: heavy-tailed to the right.
pub(crate) fn log_normal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * standard_normal(rng)).exp()
}

/// One of `items`, uniformly.
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    assert!(!items.is_empty(), "pick from an empty list");
    &items[rng.random_range(0..items.len())]
}

/// One of `items`, with probability proportional to its weight.
pub(crate) fn pick_weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    assert!(total > 0, "pick from weights that sum to zero");
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].0
}

// ---- Journeys ----------------------------------------------------------------

/// Builds a journey step by step. With an RNG, durations are noisy and rare
/// events happen; without one (a quote), every duration is its median and
/// nothing unusual happens.
struct Builder<'r, 's> {
    rng: Option<&'r mut ChaCha8Rng>,
    /// The current time, in seconds since the Unix epoch.
    at_seconds: i64,
    /// A per-journey factor on every duration: some journeys are just slow.
    pace: f64,
    /// Where the steps go (a buffer the caller reuses across journeys).
    steps: &'s mut Vec<Step>,
}

impl Builder<'_, '_> {
    /// Whether something with probability `p` happens on this journey.
    fn chance(&mut self, p: f64) -> bool {
        self.rng.as_mut().is_some_and(|rng| rng.random_bool(p))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        match self.rng.as_mut() {
            Some(rng) => *pick(rng, items),
            None => items[0],
        }
    }

    /// Lets time pass: a log-normal duration around `median_hours`.
    fn wait(&mut self, median_hours: f64, sigma: f64) {
        let hours = match self.rng.as_mut() {
            Some(rng) => log_normal(rng, median_hours * self.pace, sigma),
            None => median_hours,
        };
        self.advance_hours(hours);
    }

    /// Sails for about `scheduled_hours`: a vessel keeps its own schedule
    /// whatever the pace of the journey, and a late one is made late on
    /// purpose (the simulation's vessel delays), not by noise here.
    fn sail(&mut self, scheduled_hours: f64) {
        let hours = match self.rng.as_mut() {
            Some(rng) => log_normal(rng, scheduled_hours, SAILING_SIGMA),
            None => scheduled_hours,
        };
        self.advance_hours(hours);
    }

    fn advance_hours(&mut self, hours: f64) {
        // Whole seconds, and at least one, so that occurred_at strictly advances.
        self.at_seconds += ((hours * SECONDS_PER_HOUR) as i64).max(1);
    }

    /// Moves time forward to between `open_hour` and `close_hour` local time (with
    /// `offset_hours` from UTC), if it is not already in that range.
    fn defer_to_hours(&mut self, offset_hours: i64, open_hour: i64, close_hour: i64) {
        let local = self.at_seconds + offset_hours * 3600;
        let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
        let (open, close) = (open_hour * 3600, close_hour * 3600);
        if (open..close).contains(&second_of_day) {
            return;
        }
        let spread = match self.rng.as_mut() {
            Some(rng) => rng.random_range(0..((close - open) / 3).max(1)),
            None => 0,
        };
        let day_start = local - second_of_day;
        let next_open = if second_of_day < open {
            day_start + open
        } else {
            day_start + SECONDS_PER_DAY + open
        };
        self.at_seconds = next_open + spread - offset_hours * 3600;
    }

    fn push(&mut self, code: MilestoneCode, sub_code: Option<SubCode>, location: Location) {
        let at = Timestamp::from_second(self.at_seconds).unwrap_or(Timestamp::MAX);
        self.steps.push((code, sub_code, location, at));
    }

    /// Waits, then records a milestone.
    fn step(&mut self, median_hours: f64, sigma: f64, code: MilestoneCode, at: Place) {
        self.wait(median_hours, sigma);
        self.push(code, None, at.location());
    }

    /// Waits, then records a milestone with a sub-code.
    fn step_with(
        &mut self,
        median_hours: f64,
        sigma: f64,
        code: MilestoneCode,
        sub_code: SubCode,
        at: Place,
    ) {
        self.wait(median_hours, sigma);
        self.push(code, Some(sub_code), at.location());
    }
}

/// How a journey ends.
enum Ending {
    Continue,
    Stopped,
}

/// Export customs at origin: occasionally held (Chinese customs data issues).
fn origin_customs(b: &mut Builder, hub: Place, median_hours: f64, hold_p: f64) {
    b.step(median_hours, 0.5, C::CustomsDeclarationEmbarkPort, hub);
    if b.chance(hold_p) {
        let sub = b.pick(&[
            SubCode::CnCustomsClearanceDataIssue,
            SubCode::CnCustomsPackageInfoMismatch,
            SubCode::CnCustomsDataTransmissionDelay,
        ]);
        b.step_with(8.0, 0.5, C::CustomsHold, sub, hub);
        b.wait(48.0, 0.6);
    }
}

/// Import customs at the port, airport or hub of arrival. Holds are the main
/// source of long delays; a few held shipments are refused and sent back.
fn import_customs(
    b: &mut Builder,
    at: Place,
    hold_p: f64,
    payment_p: f64,
    hold_days: f64,
) -> Ending {
    b.step(12.0, 0.5, C::CustomsProcessing, at);
    if b.chance(hold_p) {
        let sub = b.pick(&[
            SubCode::PendingInspection,
            SubCode::GovernmentAgencyInspectionRequired,
            SubCode::HsCodeIssues,
            SubCode::ImportDocumentationRequired,
            SubCode::MissingCommercialDocs,
            SubCode::PgaHold,
        ]);
        b.step_with(6.0, 0.5, C::CustomsHoldDischargePort, sub, at);
        b.wait(hold_days * 24.0, 0.5);
        if b.chance(0.04) {
            b.step_with(12.0, 0.5, C::Returned, SubCode::ImportBlocked, at);
            return Ending::Stopped;
        }
    }
    if b.chance(payment_p) {
        b.step_with(
            8.0,
            0.5,
            C::CustomsPaymentRequired,
            SubCode::DutiesTaxPending,
            at,
        );
        b.wait(40.0, 0.6);
    }
    b.step(16.0, 0.5, C::CustomsCleared, at);
    Ending::Continue
}

/// The rare package that disappears in transit.
fn maybe_lost(b: &mut Builder, at: Place) -> Ending {
    if b.chance(0.003) {
        b.step_with(72.0, 0.5, C::Lost, SubCode::ShipmentMissing, at);
        return Ending::Stopped;
    }
    Ending::Continue
}

/// From the hand-over point to the warehouse dock: a parcel network for small
/// parcels, an appointment and a truck for freight.
fn last_mile(b: &mut Builder, from: Place, warehouse: &Warehouse, shipping_mode: ShippingMode) {
    let offset = standard_utc_offset_hours(&warehouse.time_zone).unwrap_or(0);
    let dock = warehouse_location(warehouse);
    if shipping_mode.is_freight() {
        b.step(14.0, 0.5, C::CarrierTransfer, from);
        b.wait(12.0, 0.5);
        b.defer_to_hours(offset, 8, 18);
        b.push(
            C::DeliveryAppointmentConfirmed,
            Some(SubCode::Appointment),
            dock.clone(),
        );
        // The first free receiving appointment at a busy site is often days out.
        b.wait(40.0, 0.6);
    } else {
        b.step(20.0, 0.5, C::CarrierTransfer, from);
        b.step(8.0, 0.5, C::ReceivedFromCarrier, from);
        b.wait(14.0, 0.5);
        b.push(C::ArrivedAtTerminal, None, dock.clone());
    }
    if b.chance(0.05) {
        let sub = b.pick(&[
            SubCode::CarrierHubDelay,
            SubCode::TransportationCapacityShortage,
            SubCode::TrailerLate,
            SubCode::Weather,
        ]);
        b.wait(4.0, 0.5);
        b.push(C::Delayed, Some(sub), dock.clone());
        b.wait(36.0, 0.5);
    }
    let attempt_p = if shipping_mode.is_freight() {
        0.05
    } else {
        0.03
    };
    loop {
        b.wait(4.0, 0.5);
        b.defer_to_hours(offset, 5, 10);
        b.push(C::OutForDelivery, None, dock.clone());
        b.wait(3.0, 0.5);
        b.defer_to_hours(offset, 7, 18);
        if !b.chance(attempt_p) {
            break;
        }
        let sub = if shipping_mode.is_freight() {
            b.pick(&[
                SubCode::AppointmentRequired,
                SubCode::DeliveryDateMismatch,
                SubCode::TrailerLate,
            ])
        } else {
            b.pick(&[
                SubCode::BusinessClosed,
                SubCode::SecurityAccess,
                SubCode::CarrierNoAccess,
            ])
        };
        b.push(C::DeliveryAttempted, Some(sub), dock.clone());
        b.wait(16.0, 0.5);
    }
    b.push(C::Delivered, None, dock);
}

fn ocean(
    b: &mut Builder,
    origin: &Address,
    hubs: &OriginHubs,
    dest: &Destination,
    warehouse: &Warehouse,
    mode: ShippingMode,
) {
    let home = address_location(origin);
    b.wait(5.0, 0.6);
    b.push(C::BookingConfirmed, None, home.clone());
    b.wait(24.0, 0.5);
    b.push(C::PickedUp, None, home);
    b.step(8.0, 0.5, C::ReceivedAtOrigin, hubs.port);
    origin_customs(b, hubs.port, 20.0, 0.015);
    b.step(18.0, 0.5, C::Containerized, hubs.port);
    b.step(36.0, 0.5, C::Loaded, hubs.port);
    b.step(10.0, 0.4, C::Departed, hubs.port);
    let mut sea_hours = dest.sea_days * 24.0;
    let transship_p = if matches!(warehouse.marketplace, Marketplace::Jp) {
        0.0
    } else {
        0.25
    };
    if b.chance(transship_p) {
        b.sail(sea_hours * 0.3);
        b.push(C::Arrived, None, dest.transshipment.location());
        b.step(60.0, 0.6, C::Departed, dest.transshipment);
        sea_hours *= 0.7;
    }
    if b.chance(0.12) {
        // Weather, a blank sailing or a congested port: the vessel runs late.
        let sub = b.pick(&[
            SubCode::Weather,
            SubCode::InternationalTransitDelay,
            SubCode::ScheduleAdjustment,
        ]);
        b.sail(sea_hours * 0.5);
        b.push(C::Delayed, Some(sub), dest.port.location());
        b.wait(96.0, 0.5);
        sea_hours *= 0.5;
    }
    b.sail(sea_hours);
    b.push(C::Arrived, None, dest.port.location());
    b.step(20.0, 0.5, C::Unloaded, dest.port);
    if let Ending::Stopped = import_customs(b, dest.port, 0.10, 0.04, 5.0) {
        return;
    }
    let yard = match dest.inland_rail {
        Some(ramp) => {
            b.step(30.0, 0.5, C::LoadedTrain, dest.port);
            b.step(110.0, 0.25, C::ArrivedAtRailTerminal, ramp);
            b.step(16.0, 0.5, C::UnloadedTrain, ramp);
            ramp
        }
        None => dest.port,
    };
    b.step(14.0, 0.5, C::ArrivedAtDestinationYard, yard);
    if let Ending::Stopped = maybe_lost(b, yard) {
        return;
    }
    last_mile(b, yard, warehouse, mode);
}

fn air(
    b: &mut Builder,
    origin: &Address,
    hubs: &OriginHubs,
    dest: &Destination,
    warehouse: &Warehouse,
    mode: ShippingMode,
) {
    let home = address_location(origin);
    b.wait(4.0, 0.6);
    b.push(C::BookingConfirmed, None, home.clone());
    b.wait(16.0, 0.5);
    b.push(C::PickedUp, None, home);
    b.step(8.0, 0.5, C::ReceivedAtOrigin, hubs.airport);
    origin_customs(b, hubs.airport, 16.0, 0.015);
    b.step(26.0, 0.5, C::Loaded, hubs.airport);
    if b.chance(0.08) {
        // Offloaded: the flight was full or late.
        let sub = b.pick(&[SubCode::AirplaneLate, SubCode::CarrierNoCapacity]);
        b.step_with(3.0, 0.5, C::Delayed, sub, hubs.airport);
        b.wait(30.0, 0.5);
    }
    b.step(4.0, 0.3, C::Departed, hubs.airport);
    let mut arrival = dest.airport;
    let mut flight_hours = 13.0;
    match warehouse.marketplace {
        // Freighters to America often stop at Anchorage.
        Marketplace::Us if b.chance(0.4) => {
            b.step(9.0, 0.15, C::Arrived, ANCHORAGE);
            b.step(5.0, 0.5, C::Departed, ANCHORAGE);
            flight_hours = 6.0;
        }
        // Much China-Europe air cargo lands at Liège and is trucked on.
        Marketplace::Uk | Marketplace::De | Marketplace::Fr | Marketplace::It | Marketplace::Es
            if b.chance(0.3) =>
        {
            arrival = LIEGE;
        }
        _ => {}
    }
    b.step(flight_hours, 0.15, C::Arrived, arrival);
    b.step(6.0, 0.5, C::Unloaded, arrival);
    if let Ending::Stopped = import_customs(b, arrival, 0.06, 0.03, 3.0) {
        return;
    }
    if arrival.city != dest.airport.city {
        b.step(6.0, 0.5, C::DepartedTerminal, arrival);
        b.step(14.0, 0.3, C::ArrivedAtTerminal, dest.airport);
    }
    if let Ending::Stopped = maybe_lost(b, dest.airport) {
        return;
    }
    last_mile(b, dest.airport, warehouse, mode);
}

/// Express is always small parcel: one network from pickup to the dock.
fn express(
    b: &mut Builder,
    origin: &Address,
    hubs: &OriginHubs,
    dest: &Destination,
    warehouse: &Warehouse,
) {
    b.wait(12.0, 0.5);
    b.push(C::PickedUp, None, address_location(origin));
    b.step(8.0, 0.5, C::ArrivedAtTerminal, hubs.gateway);
    origin_customs(b, hubs.gateway, 6.0, 0.02);
    b.step(20.0, 0.5, C::Departed, hubs.gateway);
    if warehouse.marketplace == Marketplace::Us && b.chance(0.5) {
        b.step(10.0, 0.15, C::Arrived, ANCHORAGE);
        b.step(4.0, 0.4, C::Departed, ANCHORAGE);
    }
    b.step(14.0, 0.2, C::Arrived, dest.express_hub);
    b.step(3.0, 0.5, C::ArrivedInDestinationCountry, dest.express_hub);
    b.step(3.0, 0.5, C::CustomsProcessing, dest.express_hub);
    if b.chance(0.04) {
        let sub = b.pick(&[
            SubCode::ManualClearance,
            SubCode::ImportDocumentationRequired,
            SubCode::DutiesTaxPending,
        ]);
        b.step_with(4.0, 0.5, C::CustomsDelay, sub, dest.express_hub);
        b.wait(40.0, 0.5);
    }
    b.step(8.0, 0.5, C::CustomsCleared, dest.express_hub);
    b.step(6.0, 0.5, C::DepartedTerminal, dest.express_hub);
    if let Ending::Stopped = maybe_lost(b, dest.express_hub) {
        return;
    }
    let offset = standard_utc_offset_hours(&warehouse.time_zone).unwrap_or(0);
    let dock = warehouse_location(warehouse);
    b.wait(20.0, 0.5);
    b.push(C::ArrivedAtTerminal, None, dock.clone());
    if b.chance(0.03) {
        let sub = b.pick(&[SubCode::Weather, SubCode::CarrierHubDelay]);
        b.push(C::Delayed, Some(sub), dock.clone());
        b.wait(24.0, 0.5);
    }
    loop {
        b.wait(3.0, 0.5);
        b.defer_to_hours(offset, 6, 10);
        b.push(C::OutForDelivery, None, dock.clone());
        b.wait(3.0, 0.5);
        b.defer_to_hours(offset, 8, 18);
        if !b.chance(0.03) {
            break;
        }
        let sub = b.pick(&[
            SubCode::BusinessClosed,
            SubCode::SecurityAccess,
            SubCode::AppointmentRequired,
        ]);
        b.push(C::DeliveryAttempted, Some(sub), dock.clone());
        b.wait(16.0, 0.5);
    }
    b.push(C::Delivered, None, dock);
}

fn rail(
    b: &mut Builder,
    origin: &Address,
    hubs: &OriginHubs,
    dest: &Destination,
    warehouse: &Warehouse,
    mode: ShippingMode,
) {
    let home = address_location(origin);
    b.wait(6.0, 0.6);
    b.push(C::BookingConfirmed, None, home.clone());
    b.wait(20.0, 0.5);
    b.push(C::PickedUp, None, home);
    // Trucked from the south to Xi'an; a short drive inside Zhejiang.
    let trucking_hours = if hubs.rail.city == "Xi'an" {
        30.0
    } else {
        10.0
    };
    b.step(trucking_hours, 0.4, C::ReceivedAtOrigin, hubs.rail);
    origin_customs(b, hubs.rail, 18.0, 0.015);
    b.step(16.0, 0.5, C::LoadedTrain, hubs.rail);
    b.step(8.0, 0.4, C::DepartedRailTerminal, hubs.rail);
    let border = b.pick(&[KHORGOS, ALASHANKOU]);
    b.step(50.0, 0.2, C::ArrivedAtRailTerminal, border);
    // Gauge change onto the 1520 mm network of Kazakhstan.
    b.step(16.0, 0.5, C::DepartedRailTerminal, border);
    b.step(125.0, 0.15, C::ArrivedAtRailTerminal, MALASZEWICZE);
    if b.chance(0.15) {
        // Małaszewicze's transshipment yard back to standard gauge is a known bottleneck.
        let sub = b.pick(&[
            SubCode::CarrierHubDelay,
            SubCode::TrainLate,
            SubCode::TransportationCapacityShortage,
        ]);
        b.step_with(6.0, 0.5, C::Delayed, sub, MALASZEWICZE);
        b.wait(60.0, 0.5);
    }
    b.step(16.0, 0.5, C::DepartedRailTerminal, MALASZEWICZE);
    b.step(30.0, 0.2, C::ArrivedAtRailTerminal, dest.rail_terminal);
    b.step(12.0, 0.5, C::UnloadedTrain, dest.rail_terminal);
    // EU import clearance at the terminal; British freight is trucked on and
    // clears at Dover.
    let clearance = if warehouse.marketplace == Marketplace::Uk {
        b.step(10.0, 0.5, C::DepartedTerminal, dest.rail_terminal);
        b.step(20.0, 0.3, C::ArrivedInDestinationCountry, DOVER);
        DOVER
    } else {
        dest.rail_terminal
    };
    if let Ending::Stopped = import_customs(b, clearance, 0.07, 0.03, 4.0) {
        return;
    }
    if let Ending::Stopped = maybe_lost(b, clearance) {
        return;
    }
    last_mile(b, clearance, warehouse, mode);
}

/// The journey's steps, into `steps` (cleared first).
fn build(
    rng: Option<&mut ChaCha8Rng>,
    mode: FreightMode,
    shipping_mode: ShippingMode,
    origin: &Address,
    warehouse: &Warehouse,
    start: Timestamp,
    steps: &mut Vec<Step>,
) {
    steps.clear();
    let mut b = Builder {
        rng,
        at_seconds: start.as_second(),
        pace: 1.0,
        steps,
    };
    if let Some(rng) = b.rng.as_mut() {
        b.pace = log_normal(rng, 1.0, 0.12);
    }
    let hubs = origin_hubs(&origin.city);
    let dest = destination(warehouse);
    match mode {
        FreightMode::Ocean => ocean(&mut b, origin, &hubs, &dest, warehouse, shipping_mode),
        FreightMode::Air => air(&mut b, origin, &hubs, &dest, warehouse, shipping_mode),
        FreightMode::Express => express(&mut b, origin, &hubs, &dest, warehouse),
        FreightMode::Rail => rail(&mut b, origin, &hubs, &dest, warehouse, shipping_mode),
    }
}

/// The true milestones of one shipment's freight from `origin` to `warehouse`,
/// starting when the seller books it at `start`: SP-API codes in the order they
/// happen, with non-decreasing times. It ends with `DELIVERED` at the warehouse,
/// except for the rare shipment that is lost (`LOST`) or refused by customs
/// (`RETURNED`).
pub fn journey(
    rng: &mut ChaCha8Rng,
    mode: FreightMode,
    shipping_mode: ShippingMode,
    origin: &Address,
    warehouse: &Warehouse,
    start: Timestamp,
) -> Vec<Step> {
    let mut steps = Vec::with_capacity(32);
    build(
        Some(rng),
        mode,
        shipping_mode,
        origin,
        warehouse,
        start,
        &mut steps,
    );
    steps
}

/// [`journey`] into a buffer the caller reuses (cleared first), for the demo's
/// hundred thousand journeys.
pub(crate) fn journey_into(
    rng: &mut ChaCha8Rng,
    mode: FreightMode,
    shipping_mode: ShippingMode,
    origin: &Address,
    warehouse: &Warehouse,
    start: Timestamp,
    steps: &mut Vec<Step>,
) {
    build(
        Some(rng),
        mode,
        shipping_mode,
        origin,
        warehouse,
        start,
        steps,
    );
}

/// The door-to-door time a carrier quotes for `mode` from `origin` to
/// `warehouse`: the journey with every duration at its median and nothing going
/// wrong. Sellers plan their delivery window from it; real journeys are often
/// slower.
pub fn quoted_transit(
    mode: FreightMode,
    shipping_mode: ShippingMode,
    origin: &Address,
    warehouse: &Warehouse,
) -> SignedDuration {
    // Any fixed start works: the quote is a difference. Noon UTC keeps the
    // working-hours rounding typical.
    let start = Timestamp::from_second(1_767_268_800).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut steps = Vec::with_capacity(32);
    build(
        None,
        mode,
        shipping_mode,
        origin,
        warehouse,
        start,
        &mut steps,
    );
    steps
        .last()
        .map_or(SignedDuration::ZERO, |s| s.3.duration_since(start))
}

// ---- Tracking numbers --------------------------------------------------------

/// The label formats the simulator prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberFormat {
    /// UPS: `1Z`, a 6-character shipper account, a 2-digit service, a 7-digit
    /// package reference and a check digit.
    Ups,
    /// FedEx Express: 12 digits, the last a check digit.
    FedEx,
    /// DHL Express waybill: 9 digits and a mod-7 check digit.
    Dhl,
    /// SF Express: `SF` and 13 digits (no public check digit).
    Sf,
    /// YunExpress: `YT` and 16 digits (no public check digit).
    Yun,
    /// UPU S10: service letters, 8-digit serial, check digit, issuing country.
    S10 {
        service: &'static str,
        country: &'static str,
    },
    /// An LTL PRO number: 10 digits.
    Pro,
    /// An ISO 6346 container number (FCL freight) with the owner's code.
    Container { owner: &'static str },
}

/// Container owner codes of ocean lines and lessors (COSCO, OOCL, Maersk,
/// Evergreen, Textainer).
const CONTAINER_OWNERS: &[&str] = &["CSN", "OOL", "MSK", "EGH", "TGH"];

/// The format a carrier prints on boxes. Forwarders that hand small parcels to
/// a last-mile network print that network's numbers, as they do in FBA.
fn parcel_format(code: &str) -> NumberFormat {
    match code {
        "FEDEX" | "SZ_FASTLINK" | "MATSON" => NumberFormat::FedEx,
        "DHL" | "EURASIA_RAIL" | "ZJ_EUROLINK" => NumberFormat::Dhl,
        "SF" => NumberFormat::Sf,
        "YUNEXPRESS" => NumberFormat::Yun,
        "CHINA_EMS" => NumberFormat::S10 {
            service: "E",
            country: "CN",
        },
        "NIPPON_EXPRESS" => NumberFormat::S10 {
            service: "E",
            country: "JP",
        },
        // UPS, and the forwarders that deliver through it (JCEX, Flexport).
        _ => NumberFormat::Ups,
    }
}

fn number_format(
    rng: &mut ChaCha8Rng,
    carrier: &Carrier,
    shipping_mode: ShippingMode,
) -> NumberFormat {
    match shipping_mode {
        ShippingMode::SmallParcel => parcel_format(carrier.code.as_str()),
        ShippingMode::Ltl => NumberFormat::Pro,
        // A full truckload from China is a full container, when the carrier has one.
        ShippingMode::Ftl
            if carrier
                .modes
                .iter()
                .any(|m| matches!(m, FreightMode::Ocean | FreightMode::Rail)) =>
        {
            let owner = if carrier.code.as_str() == "MATSON" {
                "MAT"
            } else {
                *pick(rng, CONTAINER_OWNERS)
            };
            NumberFormat::Container { owner }
        }
        ShippingMode::Ftl => NumberFormat::Pro,
    }
}

fn push_digits(out: &mut String, rng: &mut ChaCha8Rng, count: usize) {
    for _ in 0..count {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

fn push_number(out: &mut String, value: u64, width: usize) {
    use std::fmt::Write as _;
    let _ = write!(out, "{value:0width$}");
}

/// UPS check digit over the 15 characters after `1Z`: letters count as
/// `(ASCII − 3) mod 10` (A=2, B=3, …), characters at odd 0-based offsets are
/// doubled, and the check digit tops the sum up to a multiple of ten.
pub(crate) fn ups_check_digit(payload: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in payload.iter().enumerate() {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - 3) % 10,
            _ => return None,
        };
        sum += if i % 2 == 1 { value * 2 } else { value };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// FedEx Express check digit over 11 digits: weights 1, 3, 7 repeating from the
/// rightmost digit leftwards; the sum mod 11, with 10 becoming 0.
pub(crate) fn fedex_check_digit(payload: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [1, 3, 7];
    let mut sum = 0u32;
    for (distance, &c) in payload.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * WEIGHTS[distance % 3];
    }
    Some((sum % 11 % 10) as u8)
}

/// UPU S10 check digit over the 8 serial digits: weights 8, 6, 4, 2, 3, 5, 9, 7;
/// 11 − (sum mod 11), with 10 becoming 0 and 11 becoming 5.
pub(crate) fn s10_check_digit(serial: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    if serial.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (&c, w) in serial.iter().zip(WEIGHTS) {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * w;
    }
    Some(match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        n => n as u8,
    })
}

/// ISO 6346 check digit over owner code, category and serial (10 characters):
/// letters take the values 10–38 skipping multiples of 11, position `i` is
/// weighted 2^i, and the check digit is the sum mod 11 (10 is never issued).
pub(crate) fn iso6346_check_digit(payload: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in payload.iter().enumerate() {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => ISO6346_LETTER_VALUES[usize::from(c - b'A')],
            _ => return None,
        };
        sum += value << i;
    }
    Some((sum % 11) as u8)
}

/// ISO 6346 letter values A..Z: 10 upwards, skipping 11, 22 and 33.
const ISO6346_LETTER_VALUES: [u32; 26] = [
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36,
    37, 38,
];

/// DHL Express waybill check digit: the 9-digit serial mod 7.
pub(crate) fn dhl_check_digit(serial: u64) -> u8 {
    (serial % 7) as u8
}

/// A fresh run of `count` tracking numbers in one format, consecutive the way a
/// carrier's label printer issues them for the boxes of one shipment.
fn numbers(rng: &mut ChaCha8Rng, format: NumberFormat, count: usize) -> Vec<String> {
    let count_u64 = count as u64;
    let mut out = Vec::with_capacity(count);
    match format {
        NumberFormat::Ups => {
            let mut stem = String::with_capacity(10);
            for _ in 0..6 {
                let alphabet = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
                stem.push(char::from(*pick(rng, &alphabet[..])));
            }
            let service = *pick(rng, &["01", "02", "03", "12", "13", "42", "66", "68"]);
            stem.push_str(service);
            let first = rng.random_range(0..10_000_000 - count_u64);
            for i in 0..count_u64 {
                let mut n = String::with_capacity(18);
                n.push_str("1Z");
                n.push_str(&stem);
                push_number(&mut n, first + i, 7);
                let check = ups_check_digit(&n.as_bytes()[2..]).unwrap_or(0);
                n.push(char::from(b'0' + check));
                out.push(n);
            }
        }
        NumberFormat::FedEx => {
            // Express numbers seen on labels start 7xxx; ten digits follow.
            let first = rng.random_range(70_000_000_000..80_000_000_000 - count_u64);
            for i in 0..count_u64 {
                let mut n = String::with_capacity(12);
                push_number(&mut n, first + i, 11);
                let check = fedex_check_digit(n.as_bytes()).unwrap_or(0);
                n.push(char::from(b'0' + check));
                out.push(n);
            }
        }
        NumberFormat::Dhl => {
            let first = rng.random_range(100_000_000..1_000_000_000 - count_u64);
            for i in 0..count_u64 {
                let mut n = String::with_capacity(10);
                push_number(&mut n, first + i, 9);
                n.push(char::from(b'0' + dhl_check_digit(first + i)));
                out.push(n);
            }
        }
        NumberFormat::Sf | NumberFormat::Yun => {
            let (prefix, digits) = if format == NumberFormat::Sf {
                ("SF1", 12)
            } else {
                ("YT2", 15)
            };
            let mut stem = String::with_capacity(digits);
            push_digits(&mut stem, rng, digits - 6);
            let first = rng.random_range(0..1_000_000 - count_u64);
            for i in 0..count_u64 {
                let mut n = String::with_capacity(18);
                n.push_str(prefix);
                n.push_str(&stem);
                push_number(&mut n, first + i, 6);
                out.push(n);
            }
        }
        NumberFormat::S10 { service, country } => {
            let second = char::from(*pick(rng, &b"ABCDEFGHJKLMNPRSTUVWXYZ"[..]));
            let first = rng.random_range(10_000_000..100_000_000 - count_u64);
            for i in 0..count_u64 {
                let mut n = String::with_capacity(13);
                n.push_str(service);
                n.push(second);
                push_number(&mut n, first + i, 8);
                let check = s10_check_digit(&n.as_bytes()[2..10]).unwrap_or(0);
                n.push(char::from(b'0' + check));
                n.push_str(country);
                out.push(n);
            }
        }
        NumberFormat::Pro => {
            let mut n = String::with_capacity(10);
            n.push(char::from(b'1' + rng.random_range(0..9u8)));
            push_digits(&mut n, rng, 9);
            out.resize(count, n);
        }
        NumberFormat::Container { owner } => {
            // Owners never issue a serial whose check value is 10.
            let n = loop {
                let mut n = String::with_capacity(11);
                n.push_str(owner);
                n.push('U');
                push_digits(&mut n, rng, 6);
                match iso6346_check_digit(n.as_bytes()) {
                    Some(check) if check < 10 => {
                        n.push(char::from(b'0' + check));
                        break n;
                    }
                    _ => continue,
                }
            };
            out.resize(count, n);
        }
    }
    out
}

/// The tracking numbers of a shipment's `box_count` packages. Small parcels get
/// one number per box, consecutive; LTL freight shares one PRO number and FTL
/// freight one container number (or PRO), repeated for every pallet.
pub fn box_tracking_numbers(
    rng: &mut ChaCha8Rng,
    carrier: &Carrier,
    shipping_mode: ShippingMode,
    box_count: usize,
) -> Vec<String> {
    let format = number_format(rng, carrier, shipping_mode);
    numbers(rng, format, box_count)
}

/// One tracking number as `carrier` would print it for `shipping_mode`.
pub fn tracking_number(
    rng: &mut ChaCha8Rng,
    carrier: &Carrier,
    shipping_mode: ShippingMode,
) -> String {
    box_tracking_numbers(rng, carrier, shipping_mode, 1)
        .pop()
        .unwrap_or_default()
}

/// Whether `number` is well-formed and its check digit (where it has one) holds.
#[cfg(test)]
pub(crate) fn is_valid_tracking_number(number: &str) -> bool {
    let b = number.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let last = |s: &[u8]| s.last().map(|c| c.wrapping_sub(b'0'));
    match b.len() {
        18 if number.starts_with("1Z") => ups_check_digit(&b[2..17]) == last(b),
        18 if number.starts_with("YT") => digits(&b[2..]),
        15 if number.starts_with("SF") => digits(&b[2..]),
        13 => {
            b[..2].iter().all(u8::is_ascii_uppercase)
                && digits(&b[2..11])
                && b[11..].iter().all(u8::is_ascii_uppercase)
                && s10_check_digit(&b[2..10]) == Some(b[10] - b'0')
        }
        12 => digits(b) && fedex_check_digit(&b[..11]) == last(b),
        11 => {
            b[..4].iter().all(u8::is_ascii_uppercase)
                && digits(&b[4..])
                && iso6346_check_digit(&b[..10]) == last(b)
        }
        // A 10-digit number is a DHL waybill or a PRO; only the former has a check digit.
        10 => digits(b),
        _ => false,
    }
}

// ---- Feeds -------------------------------------------------------------------

/// One milestone as a carrier sends it to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedEvent {
    /// When the carrier sends it: at or after `milestone.occurred_at`.
    pub at: Timestamp,
    /// The package's tracking number (a PRO or container number for freight).
    pub tracking_number: String,
    /// The carrier sending it.
    pub carrier: CarrierCode,
    /// The shipment's `shipmentConfirmationId`, such as `FBA15XYZ1234`.
    pub shipment_confirmation_id: String,
    /// The box (or first pallet) the number belongs to, so that the hub can attach
    /// the number on the carrier's first push.
    pub box_id: String,
    /// The fact itself.
    pub milestone: Milestone,
}

/// Chance that a scan never reaches the hub.
const MISSED_SCAN_P: f64 = 0.03;
/// Chance that the carrier sends an event a second time.
const DUPLICATE_P: f64 = 0.05;

/// The carrier's own status code: the initials of the SP-API code's words, or
/// its first three letters (`OUT_FOR_DELIVERY` → `OFD`, `DEPARTED` → `DEP`).
fn raw_code(code: MilestoneCode) -> String {
    let wire = code.as_str();
    let mut raw = String::with_capacity(8);
    if wire.contains('_') {
        raw.extend(wire.split('_').filter_map(|w| w.chars().next()));
    } else {
        raw.extend(wire.chars().take(3));
    }
    raw
}

/// Chinese carriers describe events in Chinese, the way their portals show them.
fn chinese_text(code: MilestoneCode) -> Option<&'static str> {
    Some(match code {
        C::BookingConfirmed => "订舱已确认",
        C::PickedUp => "已揽收",
        C::ReceivedAtOrigin => "已入仓",
        C::CustomsDeclarationEmbarkPort => "出口报关已申报",
        C::CustomsHold => "出口海关查验",
        C::Containerized => "已装柜",
        C::Loaded => "已装载",
        C::Departed => "已离港",
        C::Arrived => "已到港",
        C::Unloaded => "已卸货",
        C::CustomsProcessing => "进口清关中",
        C::CustomsHoldDischargePort => "目的港海关查验",
        C::CustomsPaymentRequired => "待缴纳关税",
        C::CustomsDelay => "清关延误",
        C::CustomsCleared => "清关完成",
        C::ArrivedAtDestinationYard => "已到达目的地堆场",
        C::LoadedTrain => "已装车",
        C::DepartedRailTerminal => "班列已发车",
        C::ArrivedAtRailTerminal => "班列已到站",
        C::UnloadedTrain => "已卸车",
        C::CarrierTransfer => "已转交尾程派送",
        C::ReceivedFromCarrier => "尾程承运商已收货",
        C::DeliveryAppointmentConfirmed => "已预约送仓",
        C::ArrivedAtTerminal => "已到达转运中心",
        C::DepartedTerminal => "已离开转运中心",
        C::ArrivedInDestinationCountry => "已到达目的国",
        C::OutForDelivery => "派送中",
        C::DeliveryAttempted => "派送未成功",
        C::Delivered => "已签收（亚马逊仓库）",
        C::Delayed => "运输延误",
        C::Lost => "货物丢失",
        C::Returned => "已退回发件人",
        _ => return None,
    })
}

fn is_chinese_carrier(code: &str) -> bool {
    matches!(
        code,
        "SF" | "YUNEXPRESS" | "CHINA_EMS" | "JCEX" | "SZ_FASTLINK" | "EURASIA_RAIL" | "ZJ_EUROLINK"
    )
}

/// Other carriers send short English status lines.
fn english_text(code: MilestoneCode) -> &'static str {
    match code {
        C::BookingConfirmed => "Booking confirmed",
        C::PickedUp => "Picked up",
        C::ReceivedAtOrigin => "Received at origin facility",
        C::CustomsDeclarationEmbarkPort => "Export declaration filed",
        C::CustomsHold => "Held by export customs",
        C::Containerized => "Loaded into container",
        C::Loaded => "Loaded on vessel / aircraft",
        C::Departed => "Departed",
        C::Arrived => "Arrived",
        C::Unloaded => "Unloaded",
        C::CustomsProcessing => "Import clearance in progress",
        C::CustomsHoldDischargePort => "Held by import customs",
        C::CustomsPaymentRequired => "Duties and taxes due",
        C::CustomsDelay => "Clearance delay",
        C::CustomsCleared => "Released by customs",
        C::ArrivedAtDestinationYard => "Container at destination yard",
        C::LoadedTrain => "Loaded on train",
        C::DepartedRailTerminal => "Train departed",
        C::ArrivedAtRailTerminal => "Train arrived",
        C::UnloadedTrain => "Unloaded from train",
        C::CarrierTransfer => "Handed to delivery carrier",
        C::ReceivedFromCarrier => "Received from connecting carrier",
        C::DeliveryAppointmentConfirmed => "Delivery appointment confirmed",
        C::ArrivedAtTerminal => "Arrived at facility",
        C::DepartedTerminal => "Departed facility",
        C::ArrivedInDestinationCountry => "Arrived in destination country",
        C::OutForDelivery => "Out for delivery",
        C::DeliveryAttempted => "Delivery attempted",
        C::Delivered => "Delivered",
        C::Delayed => "Delayed",
        C::Lost => "Shipment lost",
        C::Returned => "Returned to shipper",
        other => other.description(),
    }
}

/// `【Shenzhen】已揽收` from a Chinese carrier, `Picked up – SHENZHEN` from others.
fn description(chinese: bool, code: MilestoneCode, location: &Location) -> String {
    let city = location.city.as_deref().unwrap_or("");
    match chinese_text(code) {
        Some(zh) if chinese => {
            let mut text = String::with_capacity(city.len() + zh.len() + 6);
            text.push('【');
            text.push_str(city);
            text.push('】');
            text.push_str(zh);
            text
        }
        _ => {
            let english = english_text(code);
            let mut text = String::with_capacity(english.len() + city.len() + 5);
            text.push_str(english);
            text.push_str(" – ");
            text.extend(city.chars().flat_map(char::to_uppercase));
            text
        }
    }
}

/// How long after the fact the carrier sends it, in seconds: usually minutes,
/// often hours, sometimes a day or more (a batch upload the next morning).
pub(crate) fn report_lag_seconds(rng: &mut ChaCha8Rng) -> i64 {
    let roll = rng.random::<f64>();
    if roll < 0.60 {
        rng.random_range(60..30 * 60)
    } else if roll < 0.90 {
        rng.random_range(30 * 60..6 * 3600)
    } else if roll < 0.98 {
        rng.random_range(6 * 3600..26 * 3600)
    } else {
        rng.random_range(26 * 3600..72 * 3600)
    }
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::MAX)
}

/// What a carrier sends about a shipment it carries: every step of `journey`
/// for each box in `boxes` (box id and tracking number). Boxes travel together
/// but are scanned a minute or two apart; freight boxes that share a number (a
/// PRO or container) are reported once, under the first box. About 3 % of scans
/// are missed (never the closing one), about 5 % are sent twice, and report lags
/// from minutes to days put some out of order. The result is in generation
/// order; sort by `at` to replay it.
pub fn carrier_feed(
    rng: &mut ChaCha8Rng,
    journey: &[Step],
    carrier: &CarrierCode,
    confirmation_id: &ConfirmationId,
    boxes: &[(BoxId, String)],
) -> Vec<ScriptedEvent> {
    let mut out = Vec::with_capacity(journey.len() * boxes.len() + 4);
    feed_into(
        rng,
        journey,
        carrier,
        confirmation_id,
        boxes,
        Timestamp::MAX,
        &mut out,
    );
    out
}

/// [`carrier_feed`] appended to `out`, leaving out what is sent after `horizon`.
pub(crate) fn feed_into(
    rng: &mut ChaCha8Rng,
    journey: &[Step],
    carrier: &CarrierCode,
    confirmation_id: &ConfirmationId,
    boxes: &[(BoxId, String)],
    horizon: Timestamp,
    out: &mut Vec<ScriptedEvent>,
) {
    let horizon_seconds = horizon.as_second();
    let chinese = is_chinese_carrier(carrier.as_str());
    let mut offset_seconds = 0i64;
    for (index, (box_id, tracking_number)) in boxes.iter().enumerate() {
        if boxes[..index]
            .iter()
            .any(|(_, earlier)| earlier == tracking_number)
        {
            continue;
        }
        if index > 0 {
            offset_seconds += rng.random_range(20..150);
        }
        for (code, sub_code, location, occurred_at) in journey {
            let is_final = code.is_closing() || matches!(code, C::Lost | C::Returned);
            if !is_final && rng.random_bool(MISSED_SCAN_P) {
                continue;
            }
            let occurred_seconds = occurred_at.as_second() + offset_seconds;
            let at_seconds = occurred_seconds + report_lag_seconds(rng);
            let duplicate_at_seconds = rng
                .random_bool(DUPLICATE_P)
                .then(|| at_seconds + rng.random_range(5 * 60..8 * 3600));
            if at_seconds > horizon_seconds {
                continue;
            }
            let event = ScriptedEvent {
                at: timestamp(at_seconds),
                tracking_number: tracking_number.clone(),
                carrier: carrier.clone(),
                shipment_confirmation_id: confirmation_id.as_str().to_owned(),
                box_id: box_id.as_str().to_owned(),
                milestone: Milestone {
                    code: *code,
                    sub_code: *sub_code,
                    raw_code: Some(raw_code(*code)),
                    description: Some(description(chinese, *code, location)),
                    location: location.clone(),
                    occurred_at: timestamp(occurred_seconds),
                    event_id: Some(event_id(rng)),
                },
            };
            match duplicate_at_seconds {
                Some(again_seconds) if again_seconds <= horizon_seconds => {
                    let mut again = event.clone();
                    again.at = timestamp(again_seconds);
                    // Half the resends are reworded with a fresh event id: still the same fact.
                    if rng.random_bool(0.5) {
                        again.milestone.event_id = Some(event_id(rng));
                        let mut text = String::with_capacity(48);
                        text.push_str(english_text(*code));
                        text.push_str(" (update)");
                        again.milestone.description = Some(text);
                    }
                    out.push(event);
                    out.push(again);
                }
                _ => out.push(event),
            }
        }
    }
}

/// A carrier's event id: 16 hexadecimal digits.
fn event_id(rng: &mut ChaCha8Rng) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut value: u64 = rng.random();
    let mut id = String::with_capacity(16);
    for _ in 0..16 {
        id.push(char::from(HEX[(value >> 60) as usize]));
        value <<= 4;
    }
    id
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::world;

    use super::is_valid_tracking_number as is_valid;

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    fn start() -> Timestamp {
        "2026-03-02T02:00:00Z".parse().unwrap()
    }

    fn warehouse(code: &str) -> Warehouse {
        world::warehouses()
            .into_iter()
            .find(|w| w.code.as_str() == code)
            .unwrap()
    }

    fn carrier(code: &str) -> Carrier {
        world::carriers()
            .into_iter()
            .find(|c| c.code.as_str() == code)
            .unwrap()
    }

    fn shenzhen() -> Address {
        world::origins()
            .into_iter()
            .find(|o| o.city == "Shenzhen")
            .unwrap()
    }

    fn is_valid_dhl(number: &str) -> bool {
        number.len() == 10
            && number[..9].parse::<u64>().is_ok_and(|serial| {
                u64::from(dhl_check_digit(serial)) == number[9..].parse::<u64>().unwrap_or(99)
            })
    }

    #[test]
    fn check_digits_match_published_examples() {
        assert!(is_valid("1Z999AA10123456784"), "UPS sample label");
        assert!(!is_valid("1Z999AA10123456785"));
        assert!(is_valid("123456789012"), "FedEx sample");
        assert!(is_valid("AA473124829GB"), "UPU S10 example");
        assert!(!is_valid("AA473124828GB"));
        assert!(is_valid("CSQU3054383"), "ISO 6346 example");
        assert!(!is_valid("CSQU3054384"));
        assert_eq!(s10_check_digit(b"00000000"), Some(5), "11 becomes 5");
        assert!(is_valid_dhl("1234567891"), "123456789 mod 7 = 1");
    }

    #[test]
    fn every_generated_number_passes_its_check_digit() {
        let mut r = rng(7);
        for c in world::carriers() {
            for mode in ShippingMode::ALL {
                for _ in 0..200 {
                    let count = r.random_range(1..13);
                    let numbers = box_tracking_numbers(&mut r, &c, *mode, count);
                    assert_eq!(numbers.len(), count);
                    for n in &numbers {
                        assert!(is_valid(n), "{} {mode}: {n}", c.code);
                        if parcel_format(c.code.as_str()) == NumberFormat::Dhl
                            && *mode == ShippingMode::SmallParcel
                        {
                            assert!(is_valid_dhl(n), "{n}");
                        }
                    }
                    if mode.is_freight() {
                        assert!(
                            numbers.iter().all(|n| *n == numbers[0]),
                            "freight shares one number"
                        );
                    } else {
                        let mut distinct = numbers.clone();
                        distinct.sort();
                        distinct.dedup();
                        assert_eq!(distinct.len(), count, "boxes get their own numbers");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_look_like_their_carrier() {
        let mut r = rng(3);
        let check =
            |r: &mut ChaCha8Rng, code: &str, mode: ShippingMode, prefix: &str, len: usize| {
                let n = tracking_number(r, &carrier(code), mode);
                assert!(
                    n.starts_with(prefix) && n.len() == len,
                    "{code} {mode}: {n}"
                );
            };
        check(&mut r, "UPS", ShippingMode::SmallParcel, "1Z", 18);
        check(&mut r, "FEDEX", ShippingMode::SmallParcel, "7", 12);
        check(&mut r, "SF", ShippingMode::SmallParcel, "SF", 15);
        check(&mut r, "YUNEXPRESS", ShippingMode::SmallParcel, "YT", 18);
        check(&mut r, "CHINA_EMS", ShippingMode::SmallParcel, "E", 13);
        check(&mut r, "MATSON", ShippingMode::Ftl, "MATU", 11);
        check(&mut r, "JCEX", ShippingMode::Ltl, "", 10);
        check(&mut r, "UPS", ShippingMode::Ftl, "", 10);
    }

    fn check_journey(steps: &[Step]) {
        assert!(!steps.is_empty());
        for pair in steps.windows(2) {
            assert!(
                pair[0].3 <= pair[1].3,
                "time goes back: {:?} then {:?}",
                pair[0],
                pair[1]
            );
        }
        let last = steps.last().unwrap().0;
        assert!(
            matches!(last, C::Delivered | C::Lost | C::Returned),
            "ends with {last}"
        );
        assert_eq!(
            steps.iter().filter(|s| s.0 == C::Delivered).count(),
            usize::from(last == C::Delivered)
        );
        assert!(steps.iter().all(|s| !s.2.is_empty()));
    }

    /// Door-to-door days of `n` journeys, sorted, and how many did not end delivered.
    fn transit_days(
        mode: FreightMode,
        shipping_mode: ShippingMode,
        code: &str,
        n: usize,
    ) -> (Vec<f64>, usize) {
        let (origin, w) = (shenzhen(), warehouse(code));
        let mut r = rng(11);
        let mut days = Vec::new();
        let mut undelivered = 0;
        for _ in 0..n {
            let steps = journey(&mut r, mode, shipping_mode, &origin, &w, start());
            check_journey(&steps);
            let last = steps.last().unwrap();
            if last.0 == C::Delivered {
                days.push(last.3.duration_since(start()).as_secs_f64() / 86_400.0);
            } else {
                undelivered += 1;
            }
        }
        days.sort_by(f64::total_cmp);
        (days, undelivered)
    }

    fn median(days: &[f64]) -> f64 {
        days[days.len() / 2]
    }

    #[test]
    fn journeys_are_ordered_and_end_at_the_warehouse() {
        let origins = world::origins();
        let mut r = rng(5);
        for w in world::warehouses() {
            for mode in FreightMode::ALL {
                if !world::is_mode_offered(*mode, w.marketplace) {
                    continue;
                }
                for shipping_mode in ShippingMode::ALL {
                    let origin = pick(&mut r, &origins);
                    let steps = journey(&mut r, *mode, *shipping_mode, origin, &w, start());
                    check_journey(&steps);
                    if steps.last().unwrap().0 == C::Delivered {
                        assert_eq!(
                            steps.last().unwrap().2.city.as_deref(),
                            Some(w.address.city.as_str())
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn transit_times_match_each_mode() {
        let check = |mode, shipping_mode, code, low: f64, high: f64| {
            let (days, undelivered) = transit_days(mode, shipping_mode, code, 2000);
            let m = median(&days);
            assert!(
                (low..=high).contains(&m),
                "{mode} to {code}: median {m:.1} days"
            );
            assert!(
                undelivered < 40,
                "{mode} to {code}: {undelivered} of 2000 not delivered"
            );
            // Heavy right tail: the slowest tenth is well behind the median.
            let p90 = days[days.len() * 9 / 10];
            assert!(
                p90 > m * 1.1,
                "{mode} to {code}: p90 {p90:.1} vs median {m:.1}"
            );
        };
        check(FreightMode::Ocean, ShippingMode::Ltl, "ONT8", 25.0, 40.0);
        check(
            FreightMode::Ocean,
            ShippingMode::SmallParcel,
            "MDW2",
            28.0,
            42.0,
        );
        check(
            FreightMode::Air,
            ShippingMode::SmallParcel,
            "TEB9",
            7.0,
            12.0,
        );
        check(
            FreightMode::Air,
            ShippingMode::SmallParcel,
            "FRA7",
            7.0,
            12.0,
        );
        check(
            FreightMode::Express,
            ShippingMode::SmallParcel,
            "LTN1",
            4.0,
            8.0,
        );
        check(
            FreightMode::Express,
            ShippingMode::SmallParcel,
            "NRT5",
            4.0,
            8.0,
        );
        check(FreightMode::Rail, ShippingMode::Ltl, "DTM2", 18.0, 25.0);
        check(
            FreightMode::Rail,
            ShippingMode::SmallParcel,
            "MAD4",
            18.0,
            25.0,
        );
    }

    #[test]
    fn quotes_are_near_the_median_journey() {
        let check = |mode, shipping_mode, code: &str| {
            let quote = quoted_transit(mode, shipping_mode, &shenzhen(), &warehouse(code))
                .as_secs_f64()
                / 86_400.0;
            let (days, _) = transit_days(mode, shipping_mode, code, 1000);
            let m = median(&days);
            assert!(
                quote < m * 1.05 && quote > m * 0.8,
                "{mode} to {code}: quote {quote:.1}, median {m:.1}"
            );
        };
        check(FreightMode::Ocean, ShippingMode::Ltl, "ONT8");
        check(FreightMode::Express, ShippingMode::SmallParcel, "ABE8");
        check(FreightMode::Rail, ShippingMode::Ftl, "MXP5");
    }

    #[test]
    fn same_seed_same_journey() {
        let (origin, w) = (shenzhen(), warehouse("TEB9"));
        let a = journey(
            &mut rng(1),
            FreightMode::Ocean,
            ShippingMode::Ltl,
            &origin,
            &w,
            start(),
        );
        let b = journey(
            &mut rng(1),
            FreightMode::Ocean,
            ShippingMode::Ltl,
            &origin,
            &w,
            start(),
        );
        let c = journey(
            &mut rng(2),
            FreightMode::Ocean,
            ShippingMode::Ltl,
            &origin,
            &w,
            start(),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn feeds_repeat_each_milestone_per_box_with_noise() {
        let (origin, w) = (shenzhen(), warehouse("LGB8"));
        let ups = carrier("UPS");
        let confirmation = ConfirmationId::from_sequence(42);
        let mut r = rng(9);
        let (mut total, mut expected, mut late_hours, mut out_of_order) =
            (0usize, 0usize, 0usize, 0usize);
        for _ in 0..300 {
            let steps = journey(
                &mut r,
                FreightMode::Air,
                ShippingMode::SmallParcel,
                &origin,
                &w,
                start(),
            );
            let numbers = box_tracking_numbers(&mut r, &ups, ShippingMode::SmallParcel, 4);
            let boxes: Vec<(BoxId, String)> = numbers
                .into_iter()
                .enumerate()
                .map(|(i, n)| (confirmation.box_id(i as u32 + 1), n))
                .collect();
            let feed = carrier_feed(&mut r, &steps, &ups.code, &confirmation, &boxes);
            expected += steps.len() * boxes.len();
            total += feed.len();
            for e in &feed {
                assert!(e.at >= e.milestone.occurred_at);
                assert!(
                    boxes
                        .iter()
                        .any(|(b, n)| b.as_str() == e.box_id && *n == e.tracking_number)
                );
                assert_eq!(e.shipment_confirmation_id, confirmation.as_str());
                if e.at.duration_since(e.milestone.occurred_at).as_hours() >= 6 {
                    late_hours += 1;
                }
            }
            // Every box's closing milestone arrives.
            for (b, _) in &boxes {
                assert!(
                    feed.iter()
                        .any(|e| e.box_id == b.as_str() && e.milestone.code.is_closing())
                        || steps.last().unwrap().0 != C::Delivered
                );
            }
            let mut sorted = feed.clone();
            sorted.sort_by_key(|e| e.at);
            out_of_order += sorted
                .windows(2)
                .filter(|p| {
                    p[0].box_id == p[1].box_id
                        && p[0].milestone.occurred_at > p[1].milestone.occurred_at
                })
                .count();
        }
        // ~3 % missed and ~5 % duplicated: about 2 % more events than steps × boxes.
        let ratio = total as f64 / expected as f64;
        assert!((1.0..1.05).contains(&ratio), "ratio {ratio}");
        assert!(
            late_hours > total / 20,
            "{late_hours} of {total} sent six or more hours late"
        );
        assert!(out_of_order > 0);
    }

    #[test]
    fn freight_is_reported_once_per_number() {
        let (origin, w) = (shenzhen(), warehouse("DTM2"));
        let rail = carrier("EURASIA_RAIL");
        let confirmation = ConfirmationId::from_sequence(7);
        let mut r = rng(4);
        let steps = journey(
            &mut r,
            FreightMode::Rail,
            ShippingMode::Ltl,
            &origin,
            &w,
            start(),
        );
        let numbers = box_tracking_numbers(&mut r, &rail, ShippingMode::Ltl, 5);
        let boxes: Vec<(BoxId, String)> = numbers
            .into_iter()
            .enumerate()
            .map(|(i, n)| (confirmation.box_id(i as u32 + 1), n))
            .collect();
        let feed = carrier_feed(&mut r, &steps, &rail.code, &confirmation, &boxes);
        assert!(feed.iter().all(|e| e.box_id == boxes[0].0.as_str()));
        assert!(feed.len() <= steps.len() * 2 && feed.len() >= steps.len() / 2);
        assert!(feed.iter().any(|e| {
            e.milestone
                .description
                .as_deref()
                .is_some_and(|d| d.contains('【'))
        }));
    }

    #[test]
    fn raw_codes_are_short() {
        assert_eq!(raw_code(C::OutForDelivery), "OFD");
        assert_eq!(raw_code(C::Departed), "DEP");
        assert_eq!(raw_code(C::CustomsHoldDischargePort), "CHDP");
    }
}
