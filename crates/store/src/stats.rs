//! Figures measured from the hub's own data, for the carrier directory, the
//! warehouses page and the insights page: on-time rate and transit time per
//! carrier and lane, tracking coverage by day, problem milestones, window hits,
//! incoming volume per warehouse, and how each warehouse receives.
//!
//! A backend reads one [`ShipmentFact`] per visible shipment row and folds it
//! into a [`StatsBuilder`]; the fold is pure, so it is tested here without a
//! database. Times are taken in UTC days: a warehouse's own time zone would move
//! a delivery near midnight by one day, which these figures do not need.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tracklane_core::{
    CarrierCode, DeliveryWindow, FreightMode, Marketplace, MilestoneCode, PackageStatus,
    ShipmentStatus, WarehouseCode,
};

/// Days of tracking coverage kept, counted back from the newest creation day.
pub const TRACKING_DAYS_MAX: usize = 30;
/// Transit-time histograms count whole days up to this; longer transits fall
/// into the last bucket.
pub const TRANSIT_DAYS_MAX: usize = 60;

/// One shipment row as the figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentFact {
    /// Carriers with a leg on any of its packages.
    pub carriers: Vec<CarrierCode>,
    /// Destination warehouse.
    pub warehouse: WarehouseCode,
    /// Marketplace.
    pub marketplace: Marketplace,
    /// International freight mode.
    pub freight_mode: FreightMode,
    /// Derived status.
    pub status: ShipmentStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its latest milestone's code and time.
    pub latest: Option<(MilestoneCode, Timestamp)>,
    /// Its delivery window.
    pub window: Option<DeliveryWindow>,
    /// Whether some box has no tracking number.
    pub missing_tracking: bool,
    /// Units sent.
    pub units_expected: u32,
    /// Units the warehouse counted.
    pub units_received: u32,
    /// When the warehouse checked it in, if it has.
    pub checked_in_at: Option<Timestamp>,
    /// When the warehouse closed receiving, if it has.
    pub receiving_closed_at: Option<Timestamp>,
}

/// A lane: where freight goes and how it travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lane {
    /// Destination marketplace.
    pub marketplace: Marketplace,
    /// International freight mode.
    pub freight_mode: FreightMode,
}

/// Transit times measured on one lane (creation to delivery, in days).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaneTransit {
    /// The lane.
    pub lane: Lane,
    /// Delivered shipments measured.
    pub delivered: u32,
    /// Median days.
    pub days_median: f64,
    /// 10th percentile days.
    pub days_p10: f64,
    /// 90th percentile days.
    pub days_p90: f64,
    /// Shipments per whole day of transit, `0..=TRANSIT_DAYS_MAX`.
    pub histogram: Vec<u32>,
}

/// What one carrier's delivered shipments measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarrierStats {
    /// The carrier.
    pub carrier: CarrierCode,
    /// Delivered shipments it carried.
    pub delivered: u32,
    /// Of those, how many had a delivery window.
    pub with_window: u32,
    /// Of those, how many arrived by the window's last day.
    pub on_time: u32,
    /// Transit time per lane, by lane.
    pub lanes: Vec<LaneTransit>,
}

impl CarrierStats {
    /// Share of windowed deliveries that arrived by the window's end.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.with_window > 0).then(|| f64::from(self.on_time) / f64::from(self.with_window))
    }
}

/// Tracking coverage of the shipments created on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingDay {
    /// The day (UTC).
    pub day: Date,
    /// Shipments created that day.
    pub shipments: u32,
    /// Of those, how many have a (validated) tracking number on every box.
    pub with_tracking: u32,
}

/// How delivered shipments met their delivery windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowHits {
    /// Delivered before the window began.
    pub early: u32,
    /// Delivered inside the window.
    pub hit: u32,
    /// Delivered after the window ended.
    pub late: u32,
}

/// Freight on its way to one warehouse.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseLoad {
    /// The warehouse.
    pub warehouse: WarehouseCode,
    /// Shipments not yet delivered.
    pub inbound_shipments: u32,
    /// Their units.
    pub inbound_units: u64,
    /// Units expected per day, each shipment's units spread evenly over the
    /// days of its delivery window (until the engine gives an ETA day), oldest
    /// first; days without any are left out.
    pub incoming_by_day: Vec<(Date, u64)>,
}

/// How one warehouse receives what is delivered to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseReceiving {
    /// The warehouse.
    pub warehouse: WarehouseCode,
    /// Shipments checked in and still being received.
    pub receiving: u32,
    /// Shipments whose receiving closed.
    pub closed: u32,
    /// Median days from arrival (the carrier's delivery scan, else the
    /// check-in) to the close, over the closed shipments.
    pub days_to_close_median: f64,
    /// Closed shipments with fewer units counted than sent.
    pub closed_short: u32,
    /// Units sent but not counted, over those.
    pub units_short: u64,
}

/// Every figure, for one viewer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubStats {
    /// Shipments read.
    pub shipments: u64,
    /// Per carrier, by code.
    pub carriers: Vec<CarrierStats>,
    /// Per lane over every carrier, by lane.
    pub lanes: Vec<LaneTransit>,
    /// Tracking coverage by creation day, oldest first.
    pub tracking_by_day: Vec<TrackingDay>,
    /// Shipments whose latest milestone is a problem (an exception, a customs
    /// hold, lost, returned), by code, most first.
    pub problem_milestones: Vec<(MilestoneCode, u32)>,
    /// Delivered shipments against their windows.
    pub window_hits: WindowHits,
    /// Per warehouse with inbound freight, by code.
    pub warehouses: Vec<WarehouseLoad>,
    /// Per warehouse that has received something, by code.
    pub receiving: Vec<WarehouseReceiving>,
}

impl HubStats {
    /// The figures of one carrier, if it delivered anything.
    pub fn carrier(&self, code: &CarrierCode) -> Option<&CarrierStats> {
        self.carriers.iter().find(|c| &c.carrier == code)
    }
}

#[derive(Default)]
struct CarrierAcc {
    delivered: u32,
    with_window: u32,
    on_time: u32,
    lanes: HashMap<Lane, Vec<f64>>,
}

#[derive(Default)]
struct ReceivingAcc {
    receiving: u32,
    days_to_close: Vec<f64>,
    closed_short: u32,
    units_short: u64,
}

#[derive(Default)]
struct WarehouseAcc {
    shipments: u32,
    units: u64,
    /// Units per day, as fractions so that spreading loses nothing.
    by_day: BTreeMap<Date, f64>,
}

/// Folds [`ShipmentFact`]s into [`HubStats`].
#[derive(Default)]
pub struct StatsBuilder {
    shipments: u64,
    carriers: HashMap<CarrierCode, CarrierAcc>,
    lanes: HashMap<Lane, Vec<f64>>,
    tracking: BTreeMap<Date, (u32, u32)>,
    problems: HashMap<MilestoneCode, u32>,
    window_hits: WindowHits,
    warehouses: HashMap<WarehouseCode, WarehouseAcc>,
    receiving: HashMap<WarehouseCode, ReceivingAcc>,
}

fn is_problem(status: PackageStatus) -> bool {
    matches!(
        status,
        PackageStatus::Exception
            | PackageStatus::CustomsHold
            | PackageStatus::Lost
            | PackageStatus::Returned
    )
}

fn utc_day(at: Timestamp) -> Date {
    at.to_zoned(jiff::tz::TimeZone::UTC).date()
}

impl StatsBuilder {
    /// Adds one shipment.
    pub fn add(&mut self, fact: &ShipmentFact) {
        self.shipments += 1;
        let tracking = self.tracking.entry(utc_day(fact.created_at)).or_default();
        tracking.0 += 1;
        tracking.1 += u32::from(!fact.missing_tracking);

        let latest_status = fact.latest.map(|(code, _)| PackageStatus::of_code(code));
        if let (Some((code, _)), Some(status)) = (fact.latest, latest_status)
            && is_problem(status)
        {
            *self.problems.entry(code).or_default() += 1;
        }

        let delivered_at = fact
            .latest
            .filter(|_| latest_status == Some(PackageStatus::Delivered))
            .map(|(_, at)| at);
        if let Some(at) = delivered_at {
            let days = (at.as_second() - fact.created_at.as_second()).max(0) as f64 / 86_400.0;
            let lane = Lane {
                marketplace: fact.marketplace,
                freight_mode: fact.freight_mode,
            };
            self.lanes.entry(lane).or_default().push(days);
            let day = utc_day(at);
            let on_time = fact.window.map(|w| day <= w.end_date);
            if let Some(w) = fact.window {
                if day < w.start_date {
                    self.window_hits.early += 1;
                } else if day <= w.end_date {
                    self.window_hits.hit += 1;
                } else {
                    self.window_hits.late += 1;
                }
            }
            for carrier in &fact.carriers {
                let acc = self.carriers.entry(carrier.clone()).or_default();
                acc.delivered += 1;
                if let Some(on_time) = on_time {
                    acc.with_window += 1;
                    acc.on_time += u32::from(on_time);
                }
                acc.lanes.entry(lane).or_default().push(days);
            }
        }

        if let Some(checked_in) = fact.checked_in_at {
            let acc = self.receiving.entry(fact.warehouse.clone()).or_default();
            match fact.receiving_closed_at {
                None => acc.receiving += 1,
                Some(closed) => {
                    let arrived = delivered_at.unwrap_or(checked_in);
                    let days = (closed.as_second() - arrived.as_second()).max(0) as f64 / 86_400.0;
                    acc.days_to_close.push(days);
                    let short = fact.units_expected.saturating_sub(fact.units_received);
                    if short > 0 {
                        acc.closed_short += 1;
                        acc.units_short += u64::from(short);
                    }
                }
            }
        }

        let is_inbound = matches!(
            fact.status,
            ShipmentStatus::Working
                | ShipmentStatus::ReadyToShip
                | ShipmentStatus::Shipped
                | ShipmentStatus::InTransit
        );
        if is_inbound {
            let acc = self.warehouses.entry(fact.warehouse.clone()).or_default();
            acc.shipments += 1;
            acc.units += u64::from(fact.units_expected);
            if let Some(w) = fact.window {
                let days: Vec<Date> = w
                    .start_date
                    .series(jiff::Span::new().days(1))
                    .take_while(|d| *d <= w.end_date)
                    .collect();
                let share = f64::from(fact.units_expected) / days.len().max(1) as f64;
                for d in days {
                    *acc.by_day.entry(d).or_default() += share;
                }
            }
        }
    }

    /// The figures.
    pub fn finish(self) -> HubStats {
        let mut carriers: Vec<CarrierStats> = self
            .carriers
            .into_iter()
            .map(|(carrier, acc)| {
                let mut lanes: Vec<LaneTransit> = acc
                    .lanes
                    .into_iter()
                    .map(|(lane, days)| transit(lane, days))
                    .collect();
                lanes.sort_by_key(|l| l.lane);
                CarrierStats {
                    carrier,
                    delivered: acc.delivered,
                    with_window: acc.with_window,
                    on_time: acc.on_time,
                    lanes,
                }
            })
            .collect();
        carriers.sort_by(|a, b| a.carrier.as_str().cmp(b.carrier.as_str()));
        let mut lanes: Vec<LaneTransit> = self
            .lanes
            .into_iter()
            .map(|(lane, days)| transit(lane, days))
            .collect();
        lanes.sort_by_key(|l| l.lane);
        let skip = self.tracking.len().saturating_sub(TRACKING_DAYS_MAX);
        let tracking_by_day = self
            .tracking
            .into_iter()
            .skip(skip)
            .map(|(day, (shipments, with_tracking))| TrackingDay {
                day,
                shipments,
                with_tracking,
            })
            .collect();
        let mut problem_milestones: Vec<(MilestoneCode, u32)> = self.problems.into_iter().collect();
        problem_milestones.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.number().cmp(&b.0.number())));
        let mut warehouses: Vec<WarehouseLoad> = self
            .warehouses
            .into_iter()
            .map(|(warehouse, acc)| WarehouseLoad {
                warehouse,
                inbound_shipments: acc.shipments,
                inbound_units: acc.units,
                incoming_by_day: acc
                    .by_day
                    .into_iter()
                    .map(|(d, units)| (d, units.round() as u64))
                    .collect(),
            })
            .collect();
        warehouses.sort_by(|a, b| a.warehouse.as_str().cmp(b.warehouse.as_str()));
        let mut receiving: Vec<WarehouseReceiving> = self
            .receiving
            .into_iter()
            .map(|(warehouse, mut acc)| {
                acc.days_to_close.sort_by(f64::total_cmp);
                WarehouseReceiving {
                    warehouse,
                    receiving: acc.receiving,
                    closed: acc.days_to_close.len() as u32,
                    days_to_close_median: median(&acc.days_to_close),
                    closed_short: acc.closed_short,
                    units_short: acc.units_short,
                }
            })
            .collect();
        receiving.sort_by(|a, b| a.warehouse.as_str().cmp(b.warehouse.as_str()));
        HubStats {
            shipments: self.shipments,
            carriers,
            lanes,
            tracking_by_day,
            problem_milestones,
            window_hits: self.window_hits,
            warehouses,
            receiving,
        }
    }
}

/// The median of sorted `values`, 0 for none.
fn median(values: &[f64]) -> f64 {
    values
        .get((values.len().saturating_sub(1) as f64 * 0.5).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

fn transit(lane: Lane, mut days: Vec<f64>) -> LaneTransit {
    days.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((days.len() as f64 - 1.0) * q).round() as usize;
        days.get(i).copied().unwrap_or(0.0)
    };
    let mut histogram = vec![0u32; TRANSIT_DAYS_MAX + 1];
    for d in &days {
        histogram[(*d as usize).min(TRANSIT_DAYS_MAX)] += 1;
    }
    LaneTransit {
        lane,
        delivered: days.len() as u32,
        days_median: at(0.5),
        days_p10: at(0.1),
        days_p90: at(0.9),
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn fact(
        carrier: &str,
        created: &str,
        delivered: Option<&str>,
        window: Option<(&str, &str)>,
    ) -> ShipmentFact {
        ShipmentFact {
            carriers: vec![CarrierCode::parse(carrier).unwrap()],
            warehouse: WarehouseCode::parse("TEB9").unwrap(),
            marketplace: Marketplace::Us,
            freight_mode: FreightMode::Ocean,
            status: if delivered.is_some() {
                ShipmentStatus::Delivered
            } else {
                ShipmentStatus::InTransit
            },
            created_at: at(created),
            latest: delivered.map(|d| (MilestoneCode::Delivered, at(d))),
            window: window
                .map(|(s, e)| DeliveryWindow::new(s.parse().unwrap(), e.parse().unwrap()).unwrap()),
            missing_tracking: delivered.is_none(),
            units_expected: 70,
            units_received: 0,
            checked_in_at: None,
            receiving_closed_at: None,
        }
    }

    fn check(facts: &[ShipmentFact], expected: impl FnOnce(&HubStats)) {
        let mut builder = StatsBuilder::default();
        for f in facts {
            builder.add(f);
        }
        expected(&builder.finish());
    }

    #[test]
    fn receiving_time_runs_from_arrival_to_close_and_short_closes_are_counted() {
        let received =
            |delivered: Option<&str>, checked_in: &str, closed: Option<&str>, got| ShipmentFact {
                units_received: got,
                checked_in_at: Some(at(checked_in)),
                receiving_closed_at: closed.map(at),
                ..fact("UPS", "2026-03-01T00:00:00Z", delivered, None)
            };
        check(
            &[
                // Delivered on the 10th, closed two days later, every unit.
                received(
                    Some("2026-03-10T00:00:00Z"),
                    "2026-03-10T12:00:00Z",
                    Some("2026-03-12T00:00:00Z"),
                    70,
                ),
                // No delivery scan: timed from the check-in; 4 units short.
                received(
                    None,
                    "2026-03-11T00:00:00Z",
                    Some("2026-03-15T00:00:00Z"),
                    66,
                ),
                // Checked in on the 12th, still being received.
                received(
                    Some("2026-03-11T00:00:00Z"),
                    "2026-03-12T00:00:00Z",
                    None,
                    30,
                ),
                fact("UPS", "2026-03-01T00:00:00Z", None, None),
            ],
            |stats| {
                assert_eq!(
                    stats.receiving,
                    [WarehouseReceiving {
                        warehouse: WarehouseCode::parse("TEB9").unwrap(),
                        receiving: 1,
                        closed: 2,
                        days_to_close_median: 4.0,
                        closed_short: 1,
                        units_short: 4,
                    }]
                );
            },
        );
    }

    #[test]
    fn on_time_rate_and_median_transit_per_carrier_and_lane() {
        let window = Some(("2026-03-08", "2026-03-14"));
        check(
            &[
                fact(
                    "UPS",
                    "2026-03-01T00:00:00Z",
                    Some("2026-03-10T00:00:00Z"),
                    window,
                ),
                fact(
                    "UPS",
                    "2026-03-01T00:00:00Z",
                    Some("2026-03-16T00:00:00Z"),
                    window,
                ),
                fact(
                    "UPS",
                    "2026-03-01T00:00:00Z",
                    Some("2026-03-05T00:00:00Z"),
                    window,
                ),
                fact("UPS", "2026-03-01T00:00:00Z", None, window),
            ],
            |stats| {
                let ups = stats.carrier(&CarrierCode::parse("UPS").unwrap()).unwrap();
                assert_eq!((ups.delivered, ups.with_window, ups.on_time), (3, 3, 2));
                assert_eq!(ups.lanes.len(), 1);
                assert_eq!(ups.lanes[0].days_median, 9.0);
                assert_eq!(
                    stats.window_hits,
                    WindowHits {
                        early: 1,
                        hit: 1,
                        late: 1
                    }
                );
                assert_eq!(stats.tracking_by_day[0].shipments, 4);
                assert_eq!(stats.tracking_by_day[0].with_tracking, 3);
                // The undelivered one spreads its 70 units over 7 window days.
                let teb9 = &stats.warehouses[0];
                assert_eq!(teb9.inbound_units, 70);
                assert_eq!(teb9.incoming_by_day.len(), 7);
                assert!(teb9.incoming_by_day.iter().all(|(_, u)| *u == 10));
            },
        );
    }

    #[test]
    fn problem_milestones_count_the_latest_only() {
        let mut held = fact("DHL", "2026-03-01T00:00:00Z", None, None);
        held.latest = Some((MilestoneCode::CustomsHold, at("2026-03-03T00:00:00Z")));
        let mut moving = fact("DHL", "2026-03-01T00:00:00Z", None, None);
        moving.latest = Some((MilestoneCode::Departed, at("2026-03-03T00:00:00Z")));
        check(&[held.clone(), held, moving], |stats| {
            assert_eq!(
                stats.problem_milestones,
                vec![(MilestoneCode::CustomsHold, 2)]
            );
            assert!(stats.carriers.is_empty());
        });
    }
}
