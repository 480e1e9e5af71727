//! What the engine's passes leave in the store: each shipment's latest arrival
//! estimate, its exceptions (opened and resolved as the engine's verdicts
//! change), and Smart Reroute offers with the carrier's decision.
//!
//! The store does not know the engine's types: kinds and severities cross as
//! their stable wire names (`stale_tracking`, `high`), so the store stays below
//! the engine in the layering and the wire names are what is kept.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tracklane_core::{CarrierCode, SellerId, ShipmentId, WarehouseCode};

use crate::ShipmentKey;

/// A predicted arrival at the warehouse with its spread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// 10 % of comparable journeys had arrived by then.
    pub p10: Timestamp,
    /// The median, shown as the estimated delivery date.
    pub p50: Timestamp,
    /// 90 % of comparable journeys had arrived by then.
    pub p90: Timestamp,
    /// What the estimate rests on, in words (history level, milestone, journeys).
    pub basis: String,
    /// When the engine made it.
    pub assessed_at: Timestamp,
}

/// One exception as an engine pass sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionDraft {
    /// Wire name of the kind, such as `stale_tracking`.
    pub kind: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// Since when the cause holds.
    pub since: Timestamp,
    /// The facts that raised it.
    pub evidence: String,
    /// What to do, in English.
    pub next_step_en: String,
    /// What to do, in Simplified Chinese.
    pub next_step_zh: String,
}

/// An engine pass's verdict on one shipment. Exceptions of a kind no longer in
/// `exceptions` are resolved by [`crate::Store::put_assessments`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The shipment.
    pub shipment: ShipmentId,
    /// Its estimate, if the engine could make one.
    pub estimate: Option<Estimate>,
    /// The exceptions open now.
    pub exceptions: Vec<ExceptionDraft>,
    /// Exceptions raised and resolved within this pass: a window at risk that
    /// DW Automation has just moved away from. Kept as history, never open;
    /// one of a kind already open is resolved by the pass as usual instead.
    pub handled: Vec<ExceptionDraft>,
}

/// A stored exception, open or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentException {
    /// Its number.
    pub id: i64,
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// The shipment's name, for lists.
    pub shipment_name: String,
    /// The shipment's owner.
    pub seller_id: SellerId,
    /// The kind, severity, evidence and next step as last seen.
    #[serde(flatten)]
    pub draft: ExceptionDraft,
    /// When the engine first raised it.
    pub opened_at: Timestamp,
    /// When its cause cleared; `None` while open.
    pub resolved_at: Option<Timestamp>,
}

/// Which exceptions to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionQuery {
    /// Only this seller's shipments.
    pub seller: Option<SellerId>,
    /// Only shipments with a leg of this carrier.
    pub carrier: Option<CarrierCode>,
    /// Only this shipment.
    pub shipment: Option<ShipmentKey>,
    /// Only this kind (wire name).
    pub kind: Option<String>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Resolved ones too.
    pub include_resolved: bool,
    /// At most this many (capped at [`crate::PAGE_SIZE_MAX`]).
    pub limit: usize,
}

tracklane_core::code_enum! {
    /// Where a reroute offer stands.
    RerouteStatus {
        Offered = 0, "OFFERED", "Proposed by the hub, waiting for the carrier";
        Confirmed = 1, "CONFIRMED", "Confirmed by the carrier: the shipment goes to the new warehouse";
        Declined = 2, "DECLINED", "Declined by the carrier: the shipment stays";
        Withdrawn = 3, "WITHDRAWN", "Withdrawn by the hub: the shipment moved on or arrived";
    }
}

/// A proposed move of a delayed shipment to another warehouse.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RerouteDraft {
    /// The shipment.
    pub shipment: ShipmentId,
    /// The carrier asked to confirm.
    pub carrier: CarrierCode,
    /// From this warehouse.
    pub from: WarehouseCode,
    /// To this one.
    pub to: WarehouseCode,
    /// Units moved.
    pub units: u32,
    /// Expected days to receipt if it stays.
    pub stay_days: f64,
    /// Expected days to receipt at the new warehouse.
    pub move_days: f64,
    /// Extra road distance in kilometres.
    pub extra_km: f64,
    /// Why, for the audit trail.
    pub reason: String,
}

/// A stored reroute offer and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reroute {
    /// Its number, used in the carrier's confirmation.
    pub id: i64,
    /// The offer.
    #[serde(flatten)]
    pub draft: RerouteDraft,
    /// Where it stands.
    pub status: RerouteStatus,
    /// When the hub proposed it.
    pub offered_at: Timestamp,
    /// When it was confirmed, declined or withdrawn.
    pub decided_at: Option<Timestamp>,
    /// The receiving appointment at the new warehouse, once confirmed.
    pub appointment: Option<Date>,
}

/// Which reroutes to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RerouteQuery {
    /// Only offers to this carrier.
    pub carrier: Option<CarrierCode>,
    /// Only in this state.
    pub status: Option<RerouteStatus>,
    /// At most this many (capped at [`crate::PAGE_SIZE_MAX`]).
    pub limit: usize,
}

/// A carrier's answer to an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerouteDecision {
    /// Go to the new warehouse, with a receiving appointment on this day.
    Confirm {
        /// The appointment day at the new warehouse.
        appointment: Date,
    },
    /// Stay with the current warehouse.
    Decline,
}
