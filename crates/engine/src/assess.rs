//! One shipment's turn in an engine pass: its ETA, what DW Automation does
//! with its window, and the exceptions that hold once that is done. The hub's
//! pass and `tracklane replay` both judge shipments through [`assess`], so the
//! replay measures exactly what the hub does.

use jiff::Timestamp;

use crate::eta::{Eta, EtaModel};
use crate::exceptions::{Exception, detect_under, handled_by_move};
use crate::snapshot::ShipmentSnapshot;
use crate::window::{WindowDecision, WindowPolicy, decide_window};

/// The engine's verdict on one shipment at one instant.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The ETA, when the model can make one.
    pub eta: Option<Eta>,
    /// DW Automation's decision; a move is for the caller to store.
    pub decision: WindowDecision,
    /// The exceptions open under the window in force after the decision.
    pub exceptions: Vec<Exception>,
    /// The window at risk that the decision's move has just dealt with: to
    /// be recorded as raised and resolved now ([`handled_by_move`]).
    pub handled: Option<Exception>,
    /// When its tracking turns stale unless a scan comes first: when to
    /// look at it again ([`detect_under`]).
    pub stale_due: Option<Timestamp>,
}

/// Judges `snapshot` at `now`.
pub fn assess(
    snapshot: &ShipmentSnapshot,
    model: &EtaModel,
    now: Timestamp,
    policy: &WindowPolicy,
) -> Verdict {
    let eta = model.eta(snapshot, now);
    let decision = decide_window(snapshot, eta.as_ref(), now, policy);
    let (window, handled) = match (&decision, &eta) {
        (WindowDecision::Move(mv), Some(eta)) => (Some(mv.to), handled_by_move(mv, eta, now)),
        _ => (snapshot.window.map(|(w, _)| w), None),
    };
    let (exceptions, stale_due) = detect_under(snapshot, window, model, eta.as_ref(), now);
    Verdict {
        eta,
        decision,
        exceptions,
        handled,
        stale_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exceptions::{ExceptionKind, Severity};
    use crate::window::tests::{departed, model};
    use jiff::civil::date;
    use tracklane_core::DeliveryWindow;

    fn kinds(exceptions: &[Exception]) -> Vec<ExceptionKind> {
        exceptions.iter().map(|e| e.kind).collect()
    }

    /// The verdict on 2026-03-05 for a shipment that departed the day before
    /// on a lane of 19 to 21 days (arrival about 03-24), with the seller's
    /// window the week of `window_day`, automated or not.
    fn verdict(window_day: jiff::civil::Date, automated: bool) -> Verdict {
        let mut s = departed(Some(DeliveryWindow::week_of(window_day)));
        s.allows_window_automation = automated;
        let now: Timestamp = "2026-03-05T00:00:00Z".parse().expect("ts");
        assess(&s, &model(&[19, 20, 21]), now, &WindowPolicy::default())
    }

    #[test]
    fn a_window_automation_moves_later_was_at_risk_and_is_handled() {
        // The seller's week of 03-08 is far too early.
        let v = verdict(date(2026, 3, 10), true);
        let WindowDecision::Move(mv) = &v.decision else {
            panic!("expected a move, got {:?}", v.decision);
        };
        assert_eq!(mv.to, DeliveryWindow::week_of(date(2026, 3, 24)));
        assert_eq!(kinds(&v.exceptions), [], "the new window is not at risk");
        let handled = v.handled.expect("the replaced window was at risk");
        assert_eq!(handled.kind, ExceptionKind::WindowAtRisk);
        assert_eq!(handled.severity, Severity::Low);
        assert!(
            handled
                .evidence
                .contains("after the window 2026-03-08–2026-03-14")
                && handled
                    .evidence
                    .contains("moved the window to 2026-03-22–2026-03-28"),
            "{}",
            handled.evidence
        );
    }

    #[test]
    fn without_automation_the_same_window_stays_at_risk() {
        let v = verdict(date(2026, 3, 10), false);
        assert!(matches!(v.decision, WindowDecision::NotAutomated { .. }));
        assert_eq!(kinds(&v.exceptions), [ExceptionKind::WindowAtRisk]);
        assert!(v.handled.is_none());
    }

    #[test]
    fn a_move_to_an_earlier_week_handles_no_risk() {
        // The seller's week is two weeks late: moving it earlier is not a
        // late window dealt with.
        let v = verdict(date(2026, 4, 7), true);
        assert!(
            matches!(v.decision, WindowDecision::Move(_)),
            "{:?}",
            v.decision
        );
        assert!(v.handled.is_none());
        assert_eq!(kinds(&v.exceptions), []);
    }
}
