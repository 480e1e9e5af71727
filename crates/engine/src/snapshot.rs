//! The engine's view of a shipment: what it needs to predict, decide and warn,
//! built only from `tracklane-core` types so that an adapter from the store's
//! `ShipmentDetail` is a few lines (see [`ShipmentSnapshot::from_shipment`]).
//!
//! A snapshot holds one merged scan list per shipment: every distinct milestone
//! of every package, oldest first, each with when it happened and when the hub
//! received it. The engine never sees wire formats, store rows or a clock.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tracklane_core::{
    Capability, Carrier, CarrierCode, DeliveryWindow, FreightMode, Marketplace, Milestone,
    MilestoneCode, SellerId, Shipment, ShipmentId, SubCode, WarehouseCode, WindowSource,
};

/// Where a shipment travels from and to, and how: the unit the ETA model learns
/// per (with its carrier).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lane {
    /// The ship-from city, such as `Shenzhen` (the shipment's source address).
    pub origin: String,
    /// The destination warehouse.
    pub warehouse: WarehouseCode,
    /// The destination marketplace (its country is the destination country).
    pub marketplace: Marketplace,
    /// How the international part travels.
    pub mode: FreightMode,
    /// The carrier's service within the mode, when the stream names one, such as
    /// `SEA_FAST`, `SEA_STANDARD`, `FCL` or `LCL`. Free text; compared exactly.
    pub service: Option<String>,
}

/// One tracking fact of a shipment as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scan {
    /// SP-API status code.
    pub code: MilestoneCode,
    /// SP-API sub-code, if any.
    pub sub_code: Option<SubCode>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When the hub received it (the store's `received_at`).
    pub received_at: Timestamp,
    /// ISO 3166 alpha-2 country of the scan's location, if the carrier sent one.
    pub country_code: Option<String>,
    /// The city of the scan's location, if the carrier sent one: it tells a
    /// transshipment port from the port of destination where code and country
    /// are the same.
    #[serde(default)]
    pub city: Option<String>,
}

impl Scan {
    /// The engine's view of a stored milestone received at `received_at`.
    pub fn of(milestone: &Milestone, received_at: Timestamp) -> Self {
        Self {
            code: milestone.code,
            sub_code: milestone.sub_code,
            occurred_at: milestone.occurred_at,
            received_at,
            country_code: milestone.location.country_code.clone(),
            city: milestone.location.city.clone(),
        }
    }

    fn identity(&self) -> (Timestamp, MilestoneCode, Option<SubCode>) {
        (self.occurred_at, self.code, self.sub_code)
    }
}

/// Everything the engine reads about one shipment at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentSnapshot {
    /// SP-API `shipmentId`.
    pub id: ShipmentId,
    /// The owner.
    pub seller: SellerId,
    /// The carrier that carries it (the first leg's, else the one selected).
    pub carrier: Option<CarrierCode>,
    /// That carrier's FIST capabilities.
    pub capabilities: Vec<Capability>,
    /// From where to where, and how.
    pub lane: Lane,
    /// Units the seller sends.
    pub units: u32,
    /// When the seller created it.
    pub created_at: Timestamp,
    /// The day the seller plans to hand it to the carrier, if known.
    pub ship_date: Option<Date>,
    /// The delivery window in force and who set it.
    pub window: Option<(DeliveryWindow, WindowSource)>,
    /// The seller allows DW Automation for it.
    pub allows_window_automation: bool,
    /// Every box has a tracking number.
    pub has_tracking: bool,
    /// Cancelled by the seller.
    pub is_cancelled: bool,
    /// The warehouse has checked it in, whether or not a carrier scanned
    /// it delivered.
    #[serde(default)]
    pub is_received: bool,
    /// Distinct scans, oldest first (see [`ShipmentSnapshot::insert_scan`]).
    pub scans: Vec<Scan>,
}

impl ShipmentSnapshot {
    /// The snapshot of a stored shipment: `scans` are its packages' milestones
    /// with their receipt times (in any order, repeats allowed); `carrier` is the
    /// carrier record of its first leg (or selected carrier); `ship_date` the
    /// planned hand-over day where the caller knows one.
    pub fn from_shipment(
        shipment: &Shipment,
        scans: impl IntoIterator<Item = Scan>,
        carrier: Option<&Carrier>,
        ship_date: Option<Date>,
    ) -> Self {
        let carrier_code = shipment
            .packages
            .iter()
            .flat_map(|p| p.legs.first())
            .map(|l| l.carrier.clone())
            .next()
            .or_else(|| shipment.selected_carrier.clone());
        let mut snapshot = Self {
            id: shipment.id.clone(),
            seller: shipment.seller.clone(),
            carrier: carrier_code,
            capabilities: carrier.map(|c| c.capabilities.clone()).unwrap_or_default(),
            lane: Lane {
                origin: shipment.source_address.city.clone(),
                warehouse: shipment.warehouse.clone(),
                marketplace: shipment.marketplace,
                mode: shipment.freight_mode,
                service: None,
            },
            units: shipment.units_expected(),
            created_at: shipment.created_at,
            ship_date,
            window: shipment.delivery_window,
            allows_window_automation: shipment.allows_window_automation,
            has_tracking: !shipment.packages.is_empty()
                && shipment.packages.iter().all(|p| p.has_tracking()),
            is_cancelled: shipment.is_cancelled,
            is_received: false,
            scans: Vec::new(),
        };
        for scan in scans {
            snapshot.insert_scan(scan);
        }
        snapshot
    }

    /// Adds a scan in time order. A repeat of a fact already held (same code,
    /// sub-code and time) is ignored; returns whether the scan was new.
    pub fn insert_scan(&mut self, scan: Scan) -> bool {
        let key = scan.identity();
        match self.scans.binary_search_by(|s| s.identity().cmp(&key)) {
            Ok(_) => false,
            Err(at) => {
                self.scans.insert(at, scan);
                true
            }
        }
    }

    /// The ISO country code of the destination.
    pub fn destination_country(&self) -> &'static str {
        self.lane.marketplace.country_code()
    }

    /// The latest scan by the time it happened.
    pub fn latest(&self) -> Option<&Scan> {
        self.scans.last()
    }

    /// When it arrived at the warehouse: its first `DELIVERED` scan.
    pub fn arrived_at(&self) -> Option<Timestamp> {
        self.scans
            .iter()
            .find(|s| s.code.is_closing())
            .map(|s| s.occurred_at)
    }

    /// Whether it is at the warehouse: scanned delivered, or checked in.
    pub fn has_arrived(&self) -> bool {
        self.is_received || self.arrived_at().is_some()
    }

    /// Whether nothing more is expected: arrived, cancelled, or ended lost,
    /// returned or destroyed.
    pub fn is_finished(&self) -> bool {
        use MilestoneCode as C;
        self.is_cancelled
            || self.has_arrived()
            || self.latest().is_some_and(|s| {
                matches!(
                    s.code,
                    C::Lost
                        | C::Returned
                        | C::UndeliverableDestroyInField
                        | C::BookingCancelled
                        | C::OrderCancelled
                )
            })
    }

    /// The instant the journey is planned to start: the ship date's midnight
    /// (UTC), else the creation time.
    pub fn plan_start(&self) -> Timestamp {
        self.ship_date
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map_or(self.created_at, |z| z.timestamp())
    }

    /// When the carrier first had the freight: the first scan after booking.
    pub fn picked_up_at(&self) -> Option<Timestamp> {
        self.scans
            .iter()
            .find(|s| !s.code.is_pre_transit())
            .map(|s| s.occurred_at)
    }

    /// Whether the carrier keeps the window current for this shipment: the seller
    /// allows it and the carrier has `dw_automation` (DESIGN.md invariant 4).
    pub fn is_window_automated(&self) -> bool {
        self.allows_window_automation
            && self.carrier.is_some()
            && self.capabilities.contains(&Capability::DwAutomation)
    }

    /// Whether the carrier offers Smart Reroute.
    pub fn can_reroute(&self) -> bool {
        self.carrier.is_some() && self.capabilities.contains(&Capability::SmartReroute)
    }
}

/// The UTC calendar day of an instant: the engine's day for windows and
/// arrivals (the hub keeps every window in one calendar, as Seller Central does).
pub fn day_of(at: Timestamp) -> Date {
    at.to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A snapshot of an ocean shipment from Shenzhen to ONT8 with no scans.
    pub(crate) fn ocean_shipment(created: &str) -> ShipmentSnapshot {
        ShipmentSnapshot {
            id: ShipmentId::parse("sh00000000-0000-0000-0000-000000000001").expect("an id"),
            seller: SellerId::parse("A2SZANKOHOME").expect("a seller id"),
            carrier: Some(CarrierCode::parse("SZ_FASTLINK").expect("a carrier code")),
            capabilities: vec![
                Capability::ShipTrack,
                Capability::DwAutomation,
                Capability::SmartReroute,
            ],
            lane: Lane {
                origin: "Shenzhen".into(),
                warehouse: WarehouseCode::parse("ONT8").expect("a warehouse code"),
                marketplace: Marketplace::Us,
                mode: FreightMode::Ocean,
                service: Some("SEA_STANDARD".into()),
            },
            units: 1200,
            created_at: created.parse().expect("a timestamp"),
            ship_date: None,
            window: None,
            allows_window_automation: true,
            has_tracking: true,
            is_cancelled: false,
            is_received: false,
            scans: Vec::new(),
        }
    }

    pub(crate) fn scan(code: MilestoneCode, at: &str, country: &str) -> Scan {
        let t: Timestamp = at.parse().expect("a timestamp");
        Scan {
            code,
            sub_code: None,
            occurred_at: t,
            received_at: t,
            country_code: Some(country.into()),
            city: None,
        }
    }

    #[test]
    fn scans_stay_ordered_and_distinct() {
        let mut s = ocean_shipment("2026-01-01T00:00:00Z");
        assert!(s.insert_scan(scan(MilestoneCode::Departed, "2026-01-05T00:00:00Z", "CN")));
        assert!(s.insert_scan(scan(MilestoneCode::PickedUp, "2026-01-02T00:00:00Z", "CN")));
        assert!(!s.insert_scan(scan(MilestoneCode::PickedUp, "2026-01-02T00:00:00Z", "CN")));
        let codes: Vec<_> = s.scans.iter().map(|s| s.code).collect();
        assert_eq!(codes, [MilestoneCode::PickedUp, MilestoneCode::Departed]);
        assert_eq!(s.latest().map(|l| l.code), Some(MilestoneCode::Departed));
        assert!(!s.is_finished());
        s.insert_scan(scan(MilestoneCode::Delivered, "2026-02-05T00:00:00Z", "US"));
        assert!(s.is_finished());
        // The warehouse's check-in ends it even when no carrier scanned it delivered.
        let mut s = ocean_shipment("2026-01-01T00:00:00Z");
        s.is_received = true;
        assert!(s.is_finished());
    }
}
