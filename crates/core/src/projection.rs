//! The projection: what a package's milestones add up to, and what a shipment's
//! packages add up to. Both folds are order-independent by construction, which is
//! DESIGN.md's invariant 3: any permutation of the same facts gives the same state.
//!
//! A package's state is the earliest closing milestone if there is one (tracking
//! stops at the warehouse; later facts are kept but change nothing), otherwise the
//! greatest milestone by (time, fingerprint). Both are a min or a max over a set,
//! so the fold commutes and ignores repeats.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Fingerprint, Milestone, MilestoneCode, SubCode};

/// The part of a milestone the projection keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestMilestone {
    /// Status code.
    pub code: MilestoneCode,
    /// Sub-code, if any.
    pub sub_code: Option<SubCode>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Its identity, used to break ties between facts at the same instant.
    /// Internal: not part of any wire format.
    #[serde(skip)]
    pub fingerprint: Fingerprint,
}

impl LatestMilestone {
    /// The projection's view of `milestone`.
    pub fn of(milestone: &Milestone) -> Self {
        Self {
            code: milestone.code,
            sub_code: milestone.sub_code,
            occurred_at: milestone.occurred_at,
            fingerprint: milestone.fingerprint(),
        }
    }

    fn key(&self) -> (Timestamp, Fingerprint) {
        (self.occurred_at, self.fingerprint)
    }
}

/// A package's tracking state, folded from its milestones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageTrack {
    /// The milestone that decides the package's status.
    pub latest: Option<LatestMilestone>,
    /// Whether tracking is closed: the package reached its destination.
    pub is_closed: bool,
    /// The earliest milestone's time: when the carrier first reported it.
    pub first_event_at: Option<Timestamp>,
    /// Distinct milestones stored for the package, including those after closing.
    pub milestone_count: u32,
}

impl PackageTrack {
    /// Folds one new (not duplicate) milestone in. Returns whether the visible
    /// state (latest milestone or closing) changed.
    pub fn apply(&mut self, milestone: LatestMilestone) -> bool {
        self.milestone_count += 1;
        self.first_event_at = Some(
            self.first_event_at
                .map_or(milestone.occurred_at, |t| t.min(milestone.occurred_at)),
        );
        let replaces = match (&self.latest, self.is_closed, milestone.code.is_closing()) {
            (None, _, _) => true,
            // An earlier arrival at the warehouse is the real one.
            (Some(latest), true, true) => milestone.key() < latest.key(),
            // Once closed, nothing but an earlier closing milestone counts.
            (Some(_), true, false) => false,
            (Some(_), false, true) => true,
            (Some(latest), false, false) => milestone.key() > latest.key(),
        };
        if replaces {
            self.is_closed = milestone.code.is_closing();
            self.latest = Some(milestone);
        }
        replaces
    }

    /// The package's status.
    pub fn status(&self, has_tracking: bool) -> PackageStatus {
        match &self.latest {
            None if has_tracking => PackageStatus::AwaitingPickup,
            None => PackageStatus::AwaitingTracking,
            Some(latest) => PackageStatus::of_code(latest.code),
        }
    }
}

crate::code_enum! {
    /// Where a package stands.
    PackageStatus {
        AwaitingTracking = 0, "AWAITING_TRACKING", "No tracking number yet";
        AwaitingPickup = 1, "AWAITING_PICKUP", "Booked, not yet in the carrier's hands";
        InTransit = 2, "IN_TRANSIT", "Moving";
        CustomsHold = 3, "CUSTOMS_HOLD", "Held by customs";
        OutForDelivery = 4, "OUT_FOR_DELIVERY", "Out for delivery";
        Delivered = 5, "DELIVERED", "Delivered to its destination";
        Exception = 6, "EXCEPTION", "Something went wrong in transit";
        Returned = 7, "RETURNED", "Returned or returning to the shipper";
        Lost = 8, "LOST", "Lost or destroyed";
        Cancelled = 9, "CANCELLED", "Booking or order cancelled";
    }
}

impl PackageStatus {
    /// The status a package is in when `code` is its latest milestone.
    pub fn of_code(code: MilestoneCode) -> Self {
        use MilestoneCode as C;
        if code.is_pre_transit() {
            return PackageStatus::AwaitingPickup;
        }
        if code.is_customs_hold() {
            return PackageStatus::CustomsHold;
        }
        match code {
            C::Delivered
            | C::CustomerPickupCompleted
            | C::TrailerUnloading
            | C::TrailerUnloaded => PackageStatus::Delivered,
            C::OutForDelivery | C::ReadyForDelivery | C::ReadyForCustomerPickup => {
                PackageStatus::OutForDelivery
            }
            C::Lost | C::UndeliverableDestroyInField => PackageStatus::Lost,
            C::Returned
            | C::Undeliverable
            | C::ReturnDroppedOff
            | C::ReturnInTransit
            | C::ReturnPickedUp
            | C::ReturnReceived => PackageStatus::Returned,
            C::BookingCancelled | C::OrderCancelled => PackageStatus::Cancelled,
            C::CarrierHold
            | C::CustomerMoved
            | C::RecipientRefusedDelivery
            | C::Damaged
            | C::Delayed
            | C::DeliveryAttempted
            | C::IncorrectAddress
            | C::MissingManifest
            | C::Missorted
            | C::PickupFailed => PackageStatus::Exception,
            _ => PackageStatus::InTransit,
        }
    }

    /// Whether the package has left the shipper.
    pub fn is_moving(self) -> bool {
        !matches!(
            self,
            PackageStatus::AwaitingTracking
                | PackageStatus::AwaitingPickup
                | PackageStatus::Cancelled
        )
    }
}

crate::code_enum! {
    /// An inbound shipment's status, in SP-API's `Shipment.status` vocabulary.
    ShipmentStatus {
        Working = 0, "WORKING", "Created; no tracking yet";
        ReadyToShip = 1, "READY_TO_SHIP", "Tracking assigned; waiting for pickup";
        Shipped = 2, "SHIPPED", "Picked up";
        InTransit = 3, "IN_TRANSIT", "On its way";
        Delivered = 4, "DELIVERED", "Every package reached the warehouse";
        CheckedIn = 5, "CHECKED_IN", "Checked in at the warehouse";
        Receiving = 6, "RECEIVING", "The warehouse is receiving units";
        Closed = 7, "CLOSED", "Every unit received";
        Cancelled = 8, "CANCELLED", "Cancelled by the seller";
    }
}

/// What a shipment's status is derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipmentFacts {
    /// Cancelled by the seller.
    pub is_cancelled: bool,
    /// Units the seller said it sends.
    pub units_expected: u32,
    /// Units the warehouse has counted.
    pub units_received: u32,
    /// The warehouse has checked it in (its first receipt).
    pub is_checked_in: bool,
    /// The warehouse has finished receiving it, whatever it counted.
    pub is_receiving_closed: bool,
}

impl ShipmentStatus {
    /// A shipment's status from its packages' statuses and its unit counts.
    pub fn derive(facts: ShipmentFacts, packages: impl IntoIterator<Item = PackageStatus>) -> Self {
        if facts.is_cancelled {
            return ShipmentStatus::Cancelled;
        }
        if facts.is_receiving_closed
            || (facts.units_expected > 0 && facts.units_received >= facts.units_expected)
        {
            return ShipmentStatus::Closed;
        }
        if facts.units_received > 0 {
            return ShipmentStatus::Receiving;
        }
        if facts.is_checked_in {
            return ShipmentStatus::CheckedIn;
        }
        let (mut count, mut delivered, mut moving, mut tracked) = (0u32, 0u32, 0u32, 0u32);
        for status in packages {
            count += 1;
            match status {
                PackageStatus::Delivered => delivered += 1,
                PackageStatus::AwaitingTracking => {}
                PackageStatus::AwaitingPickup | PackageStatus::Cancelled => tracked += 1,
                _ => moving += 1,
            }
        }
        if count > 0 && delivered == count {
            ShipmentStatus::Delivered
        } else if moving > 0 || delivered > 0 {
            // Some boxes delivered while others still travel is still in transit.
            ShipmentStatus::InTransit
        } else if tracked > 0 {
            ShipmentStatus::ReadyToShip
        } else {
            ShipmentStatus::Working
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(code: MilestoneCode, second: i64, fingerprint: u64) -> LatestMilestone {
        LatestMilestone {
            code,
            sub_code: None,
            occurred_at: Timestamp::from_second(1_700_000_000 + second).unwrap(),
            fingerprint: Fingerprint(fingerprint),
        }
    }

    fn fold(events: &[LatestMilestone]) -> PackageTrack {
        let mut t = PackageTrack::default();
        for e in events {
            t.apply(e.clone());
        }
        t
    }

    #[test]
    fn later_milestone_wins_until_closing() {
        use MilestoneCode as C;
        let t = fold(&[m(C::PickedUp, 0, 1), m(C::Departed, 10, 2)]);
        assert_eq!(t.latest.as_ref().map(|l| l.code), Some(C::Departed));
        let t = fold(&[
            m(C::PickedUp, 0, 1),
            m(C::Delivered, 10, 2),
            m(C::Returned, 20, 3),
        ]);
        assert_eq!(t.latest.as_ref().map(|l| l.code), Some(C::Delivered));
        assert!(t.is_closed);
        assert_eq!(t.milestone_count, 3);
        assert_eq!(t.status(true), PackageStatus::Delivered);
    }

    #[test]
    fn earliest_arrival_is_the_real_one() {
        use MilestoneCode as C;
        let t = fold(&[m(C::Delivered, 30, 1), m(C::Delivered, 20, 2)]);
        assert_eq!(
            t.latest.as_ref().map(|l| l.occurred_at.as_second()),
            Some(1_700_000_020)
        );
    }

    #[test]
    fn shipment_status_follows_its_packages() {
        use PackageStatus as P;
        let facts = ShipmentFacts {
            is_cancelled: false,
            units_expected: 10,
            units_received: 0,
            is_checked_in: false,
            is_receiving_closed: false,
        };
        let check = |packages: &[P], expected| {
            assert_eq!(
                ShipmentStatus::derive(facts, packages.iter().copied()),
                expected
            )
        };
        check(
            &[P::AwaitingTracking, P::AwaitingTracking],
            ShipmentStatus::Working,
        );
        check(
            &[P::AwaitingPickup, P::AwaitingTracking],
            ShipmentStatus::ReadyToShip,
        );
        check(
            &[P::InTransit, P::AwaitingPickup],
            ShipmentStatus::InTransit,
        );
        check(&[P::Delivered, P::InTransit], ShipmentStatus::InTransit);
        check(&[P::Delivered, P::Delivered], ShipmentStatus::Delivered);
        let receiving = ShipmentFacts {
            units_received: 4,
            ..facts
        };
        assert_eq!(
            ShipmentStatus::derive(receiving, [P::Delivered]),
            ShipmentStatus::Receiving
        );
        // The warehouse's word outranks the carrier's: a shipment checked in
        // is at the warehouse even if the carrier never scanned it delivered.
        let checked_in = ShipmentFacts {
            is_checked_in: true,
            ..facts
        };
        assert_eq!(
            ShipmentStatus::derive(checked_in, [P::InTransit]),
            ShipmentStatus::CheckedIn
        );
        let closed_short = ShipmentFacts {
            is_receiving_closed: true,
            ..receiving
        };
        assert_eq!(
            ShipmentStatus::derive(closed_short, [P::Delivered]),
            ShipmentStatus::Closed
        );
        let cancelled = ShipmentFacts {
            is_cancelled: true,
            ..closed_short
        };
        assert_eq!(
            ShipmentStatus::derive(cancelled, [P::Delivered]),
            ShipmentStatus::Cancelled
        );
    }

    fn any_code() -> impl Strategy<Value = MilestoneCode> {
        (0..MilestoneCode::ALL.len()).prop_map(|i| MilestoneCode::ALL[i])
    }

    proptest! {
        #[test]
        fn fold_ignores_order(
            events in proptest::collection::vec((any_code(), 0i64..50, any::<u64>()), 0..30),
            seed in any::<u64>(),
        ) {
            let events: Vec<_> = events.into_iter().map(|(c, s, f)| m(c, s, f)).collect();
            let mut shuffled = events.clone();
            // A deterministic shuffle from the seed: order is the only thing that changes.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(fold(&events), fold(&shuffled));
        }
    }
}
