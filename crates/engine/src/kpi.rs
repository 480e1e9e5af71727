//! The measures that judge the engine, as pure accumulators: delivery-window
//! hit rate seven days out, ETA error, window changes, receiving wait, and the
//! precision and recall of exceptions against ground truth.
//!
//! Definitions (the replay report uses exactly these):
//! - `dw_hit_rate_7d`: of the shipments that arrived, the share whose arrival
//!   day (UTC) lies in the window in force seven days before arrival; a
//!   shipment created later than that is judged by its first window.
//! - `eta_mae_days`: mean absolute error, in days, of the ETA's p50 made when a
//!   milestone was first received, against the actual arrival.
//! - exception precision: the share of raised exception episodes that overlap a
//!   ground-truth episode of the same shipment and kind (the truth extended by
//!   a grace period for reporting lag); recall: the share of ground-truth
//!   episodes that some raised episode overlaps.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tracklane_core::DeliveryWindow;

use crate::exceptions::ExceptionKind;
use crate::snapshot::day_of;

/// Days before arrival at which the window is judged.
pub const HIT_LEAD_DAYS: i64 = 7;

/// The window in force at `at`, given the first window and its later changes
/// (in time order). Before the first change the first window holds.
pub fn window_in_force_at(
    first: Option<DeliveryWindow>,
    changes: &[(Timestamp, DeliveryWindow)],
    at: Timestamp,
) -> Option<DeliveryWindow> {
    changes
        .iter()
        .take_while(|(t, _)| *t <= at)
        .last()
        .map(|(_, w)| *w)
        .or(first)
}

/// Whether the window in force [`HIT_LEAD_DAYS`] before `arrived` contains the
/// arrival day.
pub fn is_window_hit(
    first: Option<DeliveryWindow>,
    changes: &[(Timestamp, DeliveryWindow)],
    arrived: Timestamp,
) -> bool {
    let judged_at = arrived
        .checked_sub(SignedDuration::from_hours(HIT_LEAD_DAYS * 24))
        .unwrap_or(arrived);
    window_in_force_at(first, changes, judged_at).is_some_and(|w| w.contains(day_of(arrived)))
}

/// A share of successes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// Successes.
    pub hits: u64,
    /// Trials.
    pub total: u64,
}

impl Rate {
    /// Counts one trial.
    pub fn add(&mut self, is_hit: bool) {
        self.hits += u64::from(is_hit);
        self.total += 1;
    }

    /// The share, or 0 without trials.
    pub fn value(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

/// A mean of absolute errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MeanAbs {
    /// Sum of absolute errors.
    pub sum: f64,
    /// How many.
    pub count: u64,
}

impl MeanAbs {
    /// Adds the error between a predicted and an actual instant, in days.
    pub fn add_days(&mut self, predicted: Timestamp, actual: Timestamp) {
        self.sum += (predicted.duration_since(actual).as_secs_f64() / 86_400.0).abs();
        self.count += 1;
    }

    /// The mean, or 0 when empty.
    pub fn value(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// An interval of time; `end` is `Timestamp::MAX` while open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interval {
    /// Start.
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
}

impl Interval {
    fn overlaps(&self, other: &Interval, grace: SignedDuration) -> bool {
        let end = other.end.saturating_add(grace).unwrap_or(Timestamp::MAX);
        self.start < end && other.start < self.end.max(self.start + SignedDuration::from_secs(1))
    }
}

/// An exception episode of one shipment (identified by the caller's number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// The caller's number for the shipment.
    pub shipment: u32,
    /// The kind.
    pub kind: ExceptionKind,
    /// When it held.
    pub interval: Interval,
}

/// Precision and recall, overall and per kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExceptionScore {
    /// Raised episodes matching the truth / raised episodes.
    pub precision: f64,
    /// Truth episodes matched / truth episodes.
    pub recall: f64,
    /// Raised episodes.
    pub raised: u64,
    /// Truth episodes.
    pub truth: u64,
    /// Per kind: (precision, recall, raised, truth).
    pub per_kind: Vec<(String, f64, f64, u64, u64)>,
}

/// Scores raised episodes against truth episodes; `grace` extends each truth
/// episode's end (reports arrive late, so detection lags the truth).
pub fn score_exceptions(
    raised: &[Episode],
    truth: &[Episode],
    grace: SignedDuration,
) -> ExceptionScore {
    let mut by_key: HashMap<(u32, ExceptionKind), Vec<Interval>> = HashMap::new();
    for t in truth {
        by_key
            .entry((t.shipment, t.kind))
            .or_default()
            .push(t.interval);
    }
    let mut raised_by_key: HashMap<(u32, ExceptionKind), Vec<Interval>> = HashMap::new();
    for r in raised {
        raised_by_key
            .entry((r.shipment, r.kind))
            .or_default()
            .push(r.interval);
    }
    let mut per: HashMap<ExceptionKind, (Rate, Rate)> = HashMap::new();
    for r in raised {
        let is_match = by_key
            .get(&(r.shipment, r.kind))
            .is_some_and(|ts| ts.iter().any(|t| r.interval.overlaps(t, grace)));
        per.entry(r.kind).or_default().0.add(is_match);
    }
    for t in truth {
        let is_found = raised_by_key
            .get(&(t.shipment, t.kind))
            .is_some_and(|rs| rs.iter().any(|r| r.overlaps(&t.interval, grace)));
        per.entry(t.kind).or_default().1.add(is_found);
    }
    let mut precision = Rate::default();
    let mut recall = Rate::default();
    let mut per_kind = Vec::new();
    for kind in ExceptionKind::ALL {
        let (p, r) = per.get(kind).copied().unwrap_or_default();
        precision.hits += p.hits;
        precision.total += p.total;
        recall.hits += r.hits;
        recall.total += r.total;
        per_kind.push((
            kind.as_str().to_owned(),
            p.value(),
            r.value(),
            p.total,
            r.total,
        ));
    }
    ExceptionScore {
        precision: precision.value(),
        recall: recall.value(),
        raised: precision.total,
        truth: recall.total,
        per_kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[test]
    fn the_window_seven_days_out_is_judged() {
        let first = DeliveryWindow::week_of(date(2026, 3, 1));
        let moved = DeliveryWindow::week_of(date(2026, 3, 15));
        let changes = [(t("2026-03-05T00:00:00Z"), moved)];
        // Arrival 03-16: seven days before (03-09) the moved window held.
        assert!(is_window_hit(
            Some(first),
            &changes,
            t("2026-03-16T10:00:00Z")
        ));
        // A change two days before arrival comes too late to count.
        let late = [(t("2026-03-14T00:00:00Z"), moved)];
        assert!(!is_window_hit(
            Some(first),
            &late,
            t("2026-03-16T10:00:00Z")
        ));
    }

    #[test]
    fn episodes_match_with_grace() {
        let ep = |kind, start: &str, end: &str| Episode {
            shipment: 1,
            kind,
            interval: Interval {
                start: t(start),
                end: t(end),
            },
        };
        let truth = [ep(
            ExceptionKind::CustomsHold,
            "2026-03-01T00:00:00Z",
            "2026-03-03T00:00:00Z",
        )];
        let raised = [
            ep(
                ExceptionKind::CustomsHold,
                "2026-03-03T10:00:00Z",
                "2026-03-04T00:00:00Z",
            ),
            ep(
                ExceptionKind::StaleTracking,
                "2026-03-05T00:00:00Z",
                "2026-03-06T00:00:00Z",
            ),
        ];
        let score = score_exceptions(&raised, &truth, SignedDuration::from_hours(24));
        assert_eq!((score.precision, score.recall), (0.5, 1.0));
    }
}
