//! Delivery-window automation (DW Automation): for a shipment whose seller
//! allows it and whose carrier has `dw_automation`, the engine, acting for the
//! carrier, keeps the window on the calendar week the ETA supports.
//!
//! The week chosen is the one the ETA gives the most probability, not the week
//! of the median: that is what maximises the chance the shipment arrives inside
//! its window. Hysteresis keeps the window still: it moves only when the week in
//! force has become unlikely ([`WindowPolicy::keep_probability_min`]) and another
//! is clearly better ([`WindowPolicy::switch_margin`]), or when the week in force
//! is already over. Far from arrival the bar is high: the ETA is wide and will
//! sharpen, so a move now is likely to be followed by another. Once the median
//! is within [`WindowPolicy::near_days`] the window is firmed up on smaller
//! evidence, since that is the week the warehouse plans by; within
//! [`WindowPolicy::imminent_days`] the warehouse has planned, and the window
//! moves only when the ETA all but rules it out. Every move carries the actor, the from/to weeks and a reason
//! citing the ETA, for the store's audit entry.
//!
//! A carrier's own window update through the API passes the same gate:
//! [`may_carrier_set_window`].

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tracklane_core::{DeliveryWindow, Problem, WindowSource};

use crate::eta::Eta;
use crate::snapshot::{ShipmentSnapshot, day_of};

/// The thresholds of the automation's hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPolicy {
    /// The window in force is kept while the ETA gives it at least this probability.
    pub keep_probability_min: f64,
    /// A new week must be this much more probable than the week in force.
    pub switch_margin: f64,
    /// Once the ETA's median is at most this many days away, the window is
    /// firmed up: the week the warehouse will plan by is decided now, and the
    /// ETA is sharpest, so the automation moves on smaller evidence.
    pub near_days: f64,
    /// [`WindowPolicy::keep_probability_min`] once the arrival is near.
    pub near_keep_probability_min: f64,
    /// [`WindowPolicy::switch_margin`] once the arrival is near.
    pub near_switch_margin: f64,
    /// Once the ETA's median is at most this many days away, the warehouse has
    /// planned by the window in force: it moves only when the ETA all but rules
    /// it out. On the simulated lanes, half of the later moves made this close
    /// to arrival turned out wrong.
    pub imminent_days: f64,
    /// [`WindowPolicy::keep_probability_min`] once the arrival is imminent.
    pub imminent_keep_probability_min: f64,
    /// [`WindowPolicy::switch_margin`] once the arrival is imminent.
    pub imminent_switch_margin: f64,
    /// Weeks further out than this many weeks from the p50 are not considered.
    pub weeks_searched_max: i64,
}

impl Default for WindowPolicy {
    fn default() -> Self {
        Self {
            keep_probability_min: 0.30,
            switch_margin: 0.30,
            near_days: 10.0,
            near_keep_probability_min: 0.60,
            near_switch_margin: 0.08,
            imminent_days: 3.0,
            imminent_keep_probability_min: 0.20,
            imminent_switch_margin: 0.30,
            weeks_searched_max: 3,
        }
    }
}

/// What the automation decided for one shipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum WindowDecision {
    /// Automation does not apply (not opted in, no capability, finished).
    NotAutomated {
        /// Why, in a few words.
        why: &'static str,
    },
    /// The window in force stays.
    Keep {
        /// The ETA's probability for the window in force.
        probability: f64,
    },
    /// Move the window.
    Move(WindowMove),
}

/// A window change for the store's `set_delivery_window`, with its audit fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowMove {
    /// The window before, if any.
    pub from: Option<DeliveryWindow>,
    /// The new window.
    pub to: DeliveryWindow,
    /// Always [`WindowSource::CarrierAutomation`].
    pub source: WindowSource,
    /// The audit actor: `carrier:CODE (automation)`.
    pub actor: String,
    /// Why, citing the ETA and the probabilities.
    pub reason: String,
    /// The ETA's probability for the new week.
    pub probability: f64,
}

fn week_start(window: DeliveryWindow) -> Timestamp {
    midnight(window.start_date)
}

/// The instant `window` ends: midnight (UTC) after its Saturday.
pub(crate) fn week_end(window: DeliveryWindow) -> Timestamp {
    midnight(
        window
            .end_date
            .checked_add(jiff::Span::new().days(1))
            .unwrap_or(window.end_date),
    )
}

fn midnight(day: Date) -> Timestamp {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(Timestamp::MIN, |z| z.timestamp())
}

fn shift_weeks(window: DeliveryWindow, weeks: i64) -> DeliveryWindow {
    let day = window
        .start_date
        .checked_add(jiff::Span::new().days(weeks * 7))
        .unwrap_or(window.start_date);
    DeliveryWindow::week_of(day)
}

/// The probability `eta` gives to arriving within `window` (UTC days).
pub fn window_probability(eta: &Eta, window: DeliveryWindow) -> f64 {
    eta.probability_between(week_start(window), week_end(window))
}

/// The week with the highest probability under `eta`, not ending before `now`'s
/// week, and its probability. Ties go to the earlier week.
pub fn best_week(eta: &Eta, now: Timestamp, policy: &WindowPolicy) -> (DeliveryWindow, f64) {
    let this_week = DeliveryWindow::week_of(day_of(now));
    let center = DeliveryWindow::week_of(day_of(eta.p50));
    let mut best = (center.max_by_start(this_week), -1.0);
    for offset in -policy.weeks_searched_max..=policy.weeks_searched_max {
        let week = shift_weeks(center, offset);
        if week.end_date < this_week.start_date {
            continue;
        }
        let p = window_probability(eta, week);
        if p > best.1 + 1e-12 {
            best = (week, p);
        }
    }
    (best.0, best.1.max(0.0))
}

trait MaxByStart {
    fn max_by_start(self, other: Self) -> Self;
}

impl MaxByStart for DeliveryWindow {
    fn max_by_start(self, other: Self) -> Self {
        if self.start_date >= other.start_date {
            self
        } else {
            other
        }
    }
}

/// Decides whether the automation moves `snapshot`'s window at `now`, given its
/// ETA. Pure: the caller applies a [`WindowDecision::Move`] through the store
/// with the move's source, actor and reason.
pub fn decide_window(
    snapshot: &ShipmentSnapshot,
    eta: Option<&Eta>,
    now: Timestamp,
    policy: &WindowPolicy,
) -> WindowDecision {
    if !snapshot.allows_window_automation {
        return WindowDecision::NotAutomated {
            why: "the seller has not allowed automation",
        };
    }
    if !snapshot.is_window_automated() {
        return WindowDecision::NotAutomated {
            why: "the carrier does not offer dw_automation",
        };
    }
    if snapshot.is_finished() {
        return WindowDecision::NotAutomated {
            why: "the shipment has finished",
        };
    }
    let Some(eta) = eta else {
        return WindowDecision::NotAutomated { why: "no ETA" };
    };
    let current = snapshot.window.map(|(w, _)| w);
    // Automation acts on evidence: without enough comparable journeys it keeps
    // the seller's window rather than follow a rule of thumb.
    let is_evidence = eta.basis.journeys as usize >= crate::eta::BUCKET_SAMPLES_MIN;
    if current.is_some() && !is_evidence {
        return WindowDecision::Keep {
            probability: current.map_or(0.0, |w| window_probability(eta, w)),
        };
    }
    let (best, p_best) = best_week(eta, now, policy);
    let today = day_of(now);
    let p_current = current.map_or(0.0, |w| window_probability(eta, w));
    let is_over = current.is_some_and(|w| w.end_date < today);
    let should_move = match current {
        None => true,
        Some(w) if w == best => false,
        Some(_) if is_over => true,
        Some(_) => {
            let days_left = eta.p50.duration_since(now).as_secs_f64() / 86_400.0;
            let (keep, margin) = if days_left <= policy.imminent_days {
                (
                    policy.imminent_keep_probability_min,
                    policy.imminent_switch_margin,
                )
            } else if days_left <= policy.near_days {
                (policy.near_keep_probability_min, policy.near_switch_margin)
            } else {
                (policy.keep_probability_min, policy.switch_margin)
            };
            p_current < keep && p_best >= p_current + margin
        }
    };
    if !should_move {
        return WindowDecision::Keep {
            probability: p_current,
        };
    }
    let carrier = snapshot.carrier.as_ref().map_or("", |c| c.as_str());
    let stage = eta
        .basis
        .stage
        .map_or_else(|| "the planned ship date".to_owned(), |c| c.to_string());
    let reason = format!(
        "ETA p50 {} (p10 {}, p90 {}) after {stage} at {}, from {} comparable journeys ({:?}): \
         week {}–{} has {:.0} % probability{}",
        day_of(eta.p50),
        day_of(eta.p10),
        day_of(eta.p90),
        eta.basis.since.strftime("%Y-%m-%d %H:%M"),
        eta.basis.journeys,
        eta.basis.level,
        best.start_date,
        best.end_date,
        p_best * 100.0,
        match current {
            Some(w) if is_over =>
                format!("; the window {}–{} has passed", w.start_date, w.end_date),
            Some(w) => format!(
                "; the window {}–{} had {:.0} %",
                w.start_date,
                w.end_date,
                p_current * 100.0
            ),
            None => String::new(),
        }
    );
    WindowDecision::Move(WindowMove {
        from: current,
        to: best,
        source: WindowSource::CarrierAutomation,
        actor: format!("carrier:{carrier} (automation)"),
        reason,
        probability: p_best,
    })
}

/// Whether the carrier of `snapshot` may set its window through the API: the
/// same two opt-ins as the automation (DESIGN.md invariant 4).
///
/// # Errors
/// A [`Problem`] saying which opt-in is missing and who can give it.
pub fn may_carrier_set_window(snapshot: &ShipmentSnapshot) -> Result<(), Problem> {
    if !snapshot.allows_window_automation {
        return Err(Problem::new(
            "delivery_window.automation_off",
            "",
            "the seller has not allowed delivery-window updates by the carrier for this shipment: ask the seller to switch automation on",
            "卖家未允许承运商更新此货件的送达时段：请联系卖家开启自动更新",
        ));
    }
    if !snapshot.is_window_automated() {
        return Err(Problem::new(
            "delivery_window.no_capability",
            "",
            "this carrier has not signed up for DW Automation: ask the hub's operator to enable dw_automation",
            "该承运商未开通送达时段自动更新（dw_automation）：请联系平台运营方开通",
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::eta::EtaModel;
    use crate::snapshot::tests::{ocean_shipment, scan};
    use jiff::civil::date;
    use proptest::prelude::*;
    use tracklane_core::MilestoneCode as C;

    /// A model where ocean journeys take `transit` days after departure.
    pub(crate) fn model(transits: &[i64]) -> EtaModel {
        let mut m = EtaModel::new();
        for (i, t) in transits.iter().cycle().take(200).enumerate() {
            let base = 1_767_225_600 + (i as i64 % 9) * 86_400;
            let at = |d: i64| {
                Timestamp::from_second(base + d * 86_400)
                    .expect("ts")
                    .to_string()
            };
            let mut s = ocean_shipment(&at(-1));
            s.insert_scan(scan(C::Departed, &at(0), "CN"));
            s.insert_scan(scan(C::Delivered, &at(*t), "US"));
            m.learn(&s);
        }
        m.refresh();
        m
    }

    /// An ocean shipment that departed on 2026-03-04, with `window`.
    pub(crate) fn departed(window: Option<DeliveryWindow>) -> ShipmentSnapshot {
        let mut s = ocean_shipment("2026-03-01T00:00:00Z");
        s.insert_scan(scan(C::Departed, "2026-03-04T12:00:00Z", "CN"));
        s.window = window.map(|w| (w, WindowSource::Seller));
        s
    }

    fn check(transits: &[i64], window: Option<DeliveryWindow>, expected: Option<DeliveryWindow>) {
        let m = model(transits);
        let s = departed(window);
        let now: Timestamp = "2026-03-05T00:00:00Z".parse().expect("ts");
        let decision = decide_window(&s, m.eta(&s, now).as_ref(), now, &WindowPolicy::default());
        match (decision, expected) {
            (WindowDecision::Move(m), Some(to)) => {
                assert_eq!(m.to, to, "{}", m.reason);
                assert_eq!(m.source, WindowSource::CarrierAutomation);
                assert!(m.reason.contains("ETA p50"), "{}", m.reason);
            }
            (WindowDecision::Keep { .. }, None) => {}
            (got, want) => panic!("got {got:?}, want a move to {want:?}"),
        }
    }

    #[test]
    fn sets_the_most_likely_week_and_keeps_a_likely_one() {
        // 20 days after 2026-03-04 is 2026-03-24, in the week of 03-22.
        let expected = DeliveryWindow::week_of(date(2026, 3, 24));
        check(&[19, 20, 21], None, Some(expected));
        check(&[19, 20, 21], Some(expected), None);
        // The seller's week two weeks early is moved.
        let early = DeliveryWindow::week_of(date(2026, 3, 10));
        check(&[19, 20, 21], Some(early), Some(expected));
    }

    #[test]
    fn a_window_with_fair_odds_is_not_moved() {
        // Arrivals split between two weeks: neither clearly better, so no flap.
        let a = DeliveryWindow::week_of(date(2026, 3, 20));
        check(&[16, 16, 16, 16, 23, 23, 23], Some(a), None);
    }

    #[test]
    fn near_arrival_a_better_week_wins_on_a_smaller_margin() {
        // 40 % of journeys arrive 6 days after departure (03-10, week of 03-08),
        // 60 % after 12 days (03-16, week of 03-15).
        let m = model(&[6, 6, 12, 12, 12]);
        let earlier = DeliveryWindow::week_of(date(2026, 3, 10));
        let later = DeliveryWindow::week_of(date(2026, 3, 16));
        let s = departed(Some(earlier));
        let decide = |now: &str, policy: &WindowPolicy| {
            let now: Timestamp = now.parse().expect("ts");
            decide_window(&s, m.eta(&s, now).as_ref(), now, policy)
        };
        let policy = WindowPolicy::default();
        // Ten days before the median: 42 % against 58 % is worth a move.
        match decide("2026-03-07T00:00:00Z", &policy) {
            WindowDecision::Move(mv) => assert_eq!(mv.to, later, "{}", mv.reason),
            other => panic!("expected a move, got {other:?}"),
        }
        // Far out, the same odds keep the window.
        let far = WindowPolicy {
            near_days: 0.0,
            ..policy
        };
        assert!(matches!(
            decide("2026-03-07T00:00:00Z", &far),
            WindowDecision::Keep { .. }
        ));
    }

    #[test]
    fn days_before_arrival_the_window_in_force_stands_unless_ruled_out() {
        // 40 % arrive 10 days after departure (Saturday 03-14, week of 03-08),
        // 60 % after 11 (Sunday 03-15, week of 03-15).
        let m = model(&[10, 10, 11, 11, 11]);
        let earlier = DeliveryWindow::week_of(date(2026, 3, 10));
        let s = departed(Some(earlier));
        let now: Timestamp = "2026-03-13T00:00:00Z".parse().expect("ts");
        let eta = m.eta(&s, now);
        let decide = |policy: &WindowPolicy| decide_window(&s, eta.as_ref(), now, policy);
        let policy = WindowPolicy::default();
        assert!(
            matches!(decide(&policy), WindowDecision::Keep { .. }),
            "{:?}",
            decide(&policy)
        );
        // The same odds a week out would move it.
        let near = WindowPolicy {
            imminent_days: 0.0,
            ..policy
        };
        assert!(
            matches!(decide(&near), WindowDecision::Move(_)),
            "{:?}",
            decide(&near)
        );
    }

    #[test]
    fn only_opted_in_shipments_of_capable_carriers_are_automated() {
        let m = model(&[20]);
        let now: Timestamp = "2026-03-05T00:00:00Z".parse().expect("ts");
        let mut s = departed(None);
        s.allows_window_automation = false;
        let eta = m.eta(&s, now);
        assert!(matches!(
            decide_window(&s, eta.as_ref(), now, &WindowPolicy::default()),
            WindowDecision::NotAutomated { .. }
        ));
        assert!(may_carrier_set_window(&s).is_err());
        let mut s = departed(None);
        s.capabilities
            .retain(|c| *c != tracklane_core::Capability::DwAutomation);
        assert!(matches!(
            decide_window(&s, eta.as_ref(), now, &WindowPolicy::default()),
            WindowDecision::NotAutomated { .. }
        ));
        assert_eq!(
            may_carrier_set_window(&s).map_err(|p| p.code),
            Err("delivery_window.no_capability")
        );
    }

    proptest! {
        /// Applying a decision and deciding again with the same ETA never moves
        /// the window a second time: the automation is idempotent and cannot
        /// flap between two weeks on unchanged evidence.
        #[test]
        fn no_flapping_on_unchanged_evidence(
            transits in proptest::collection::vec(5i64..60, 1..8),
            start_offset in -4i64..8,
            now_hours in 0i64..400,
        ) {
            let m = model(&transits);
            let start = DeliveryWindow::week_of(date(2026, 3, 22).checked_add(jiff::Span::new().days(start_offset * 7)).expect("day"));
            let mut s = departed(Some(start));
            let now = Timestamp::from_second(1_772_668_800 + now_hours * 3600).expect("ts");
            let eta = m.eta(&s, now);
            let policy = WindowPolicy::default();
            if let WindowDecision::Move(mv) = decide_window(&s, eta.as_ref(), now, &policy) {
                s.window = Some((mv.to, mv.source));
                let again = decide_window(&s, eta.as_ref(), now, &policy);
                prop_assert!(!matches!(again, WindowDecision::Move(_)), "{again:?}");
            }
        }
    }
}
