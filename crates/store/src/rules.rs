//! The decisions every backend makes the same way when it attaches tracking
//! numbers and appends milestones: which boxes a number goes on, whether the
//! carrier was detected, and the problems that refuse an item. Backends load
//! the state these need, ask here, and write what comes back.

use jiff::Timestamp;
use jiff::civil::Date;
use tracklane_core::projection::{LatestMilestone, ShipmentFacts};
use tracklane_core::{
    DeliveryWindow, DetectedBy, LegMode, PackageTrack, Problem, ShipmentStatus, ShippingMode,
    TrackingSource, WindowSource,
};

use crate::{
    Principal, Reroute, RerouteDecision, RerouteStatus, StoreError, StoreResult,
    WindowChangeRequest,
};

/// What attaching a number needs to know of its shipment.
pub(crate) struct Shape<'a> {
    /// Its shipping mode: freight numbers cover every box.
    pub shipping_mode: ShippingMode,
    /// The carrier the seller chose, if any.
    pub selected_carrier: Option<&'a str>,
    /// Its boxes: each package's row number and box id, in box order.
    pub boxes: Vec<(i64, &'a str)>,
}

impl Shape<'_> {
    fn first_box(&self) -> &str {
        self.boxes.first().map_or("", |(_, b)| b)
    }

    /// The packages a number for `box_id` goes on: that box, or every box of
    /// a freight or one-box shipment when no box is named.
    pub(crate) fn targets(&self, box_id: Option<&str>) -> Result<Vec<i64>, Problem> {
        match box_id {
            Some(box_id) => match self.boxes.iter().find(|(_, b)| *b == box_id) {
                Some((p, _)) => Ok(vec![*p]),
                None => Err(Problem::new(
                    "box_id.not_in_shipment",
                    "boxId",
                    format!(
                        "box {box_id} is not part of this shipment: use one of its box ids, such as {}",
                        self.first_box()
                    ),
                    format!(
                        "箱子 {box_id} 不属于此货件：请使用该货件的箱号，例如 {}",
                        self.first_box()
                    ),
                )),
            },
            None if self.shipping_mode.is_freight() || self.boxes.len() == 1 => {
                Ok(self.boxes.iter().map(|(p, _)| *p).collect())
            }
            None => Err(Problem::new(
                "box_id.required",
                "boxId",
                format!(
                    "this small-parcel shipment has {} boxes, each with its own tracking number: give the boxId, such as {}",
                    self.boxes.len(),
                    self.first_box()
                ),
                format!(
                    "此小包裹货件有 {} 个箱子，每箱一个追踪编码：请提供 boxId，例如 {}",
                    self.boxes.len(),
                    self.first_box()
                ),
            )),
        }
    }

    /// Whether `carrier` is not the one the seller chose (auto-recognition),
    /// and how the leg's carrier came to be known.
    pub(crate) fn detection(&self, carrier: &str, source: TrackingSource) -> (bool, DetectedBy) {
        let detected = self.selected_carrier != Some(carrier);
        let by = match source {
            TrackingSource::Carrier if detected => DetectedBy::CarrierPush,
            TrackingSource::Carrier => DetectedBy::Selected,
            _ => DetectedBy::Seller,
        };
        (detected, by)
    }

    /// The leg mode when the caller named none: the shipment's own.
    pub(crate) fn default_leg_mode(&self) -> LegMode {
        match self.shipping_mode {
            ShippingMode::SmallParcel => LegMode::SmallParcel,
            ShippingMode::Ltl => LegMode::Ltl,
            ShippingMode::Ftl => LegMode::Ftl,
        }
    }
}

/// A milestone for a number that another carrier's package carries.
pub(crate) fn not_yours(number: &str) -> Problem {
    Problem::new(
        "tracking_number.not_yours",
        "trackingNumber",
        format!(
            "tracking number {number} belongs to a package another carrier carries: push milestones only for packages you carry"
        ),
        format!("追踪编码 {number} 属于其他承运商承运的包裹：只能推送您承运的包裹的节点"),
    )
}

/// A milestone for a number no shipment has, without a shipment to attach it to.
pub(crate) fn unknown_number(number: &str) -> Problem {
    Problem::new(
        "tracking_number.unknown",
        "trackingNumber",
        format!(
            "tracking number {number} is not attached to any shipment yet: include shipmentId and boxId so the hub can attach it, or upload it first with PUT /api/v1/carrier/shipments/{{shipmentId}}/tracking"
        ),
        format!(
            "追踪编码 {number} 尚未关联任何货件：请同时提供 shipmentId 和 boxId 以便自动关联，或先通过 PUT /api/v1/carrier/shipments/{{shipmentId}}/tracking 上传"
        ),
    )
}

/// An upload of a number another carrier's package already uses.
pub(crate) fn in_use_by_other_carrier(number: &str) -> Problem {
    Problem::new(
        "tracking_number.in_use",
        "trackingId",
        format!(
            "tracking number {number} is already used by another carrier's package: check the number"
        ),
        format!("追踪编码 {number} 已被其他承运商的包裹使用：请核对编码"),
    )
}

/// An upload of a number another shipment's box already carries.
pub(crate) fn in_use_by_other_shipment(number: &str) -> Problem {
    Problem::new(
        "tracking_number.in_use",
        "trackingId",
        format!(
            "tracking number {number} is already attached to another shipment: each box needs its own number"
        ),
        format!("追踪编码 {number} 已关联到其他货件：每个箱子需要自己的追踪编码"),
    )
}

/// A shipment the item names that does not exist.
pub(crate) fn shipment_not_found(key: &str, field: &str) -> Problem {
    Problem::new(
        "shipment.not_found",
        field,
        format!(
            "no shipment has the id {key}: use the shipmentId (sh…) or the confirmation id printed on the labels (FBA…)"
        ),
        format!("找不到货件 {key}：请使用 shipmentId（sh 开头）或标签上的货件编号（FBA 开头）"),
    )
}

/// A shipment's projection from its facts and its packages' tracking state
/// (`track`, has a tracking number): status, newest milestone, and whether a
/// box still lacks a number.
pub(crate) fn projection<'a>(
    facts: ShipmentFacts,
    packages: impl Iterator<Item = (&'a PackageTrack, bool)> + Clone,
) -> (ShipmentStatus, Option<&'a LatestMilestone>, bool) {
    let status = ShipmentStatus::derive(facts, packages.clone().map(|(t, has)| t.status(has)));
    let latest = packages
        .clone()
        .filter_map(|(t, _)| t.latest.as_ref())
        .max_by_key(|l| (l.occurred_at, l.fingerprint));
    let missing = !facts.is_cancelled && packages.into_iter().any(|(_, has)| !has);
    (status, latest, missing)
}

/// Whether `actor` may decide reroute offer `reroute` (number `id`) now: the
/// carrier it is offered to, or the operator, while it is still waiting.
///
/// # Errors
/// [`StoreError::NotFound`] for anyone else (the offer is not theirs to see),
/// [`StoreError::Conflict`] for an offer already decided.
pub(crate) fn may_decide(actor: &Principal, id: i64, reroute: &Reroute) -> StoreResult<()> {
    let allowed = match actor {
        Principal::Carrier(c) => *c == reroute.draft.carrier,
        Principal::Operator => true,
        Principal::Seller(_) => false,
    };
    if !allowed {
        return Err(StoreError::NotFound {
            what: "reroute offer",
            key: id.to_string(),
        });
    }
    if reroute.status != RerouteStatus::Offered {
        return Err(StoreError::Conflict {
            what: "reroute offer already decided",
            key: format!("{id} ({})", reroute.status),
        });
    }
    Ok(())
}

/// What a decision makes of an offer: its new status, and the appointment day
/// of a confirmation.
pub(crate) fn decided(decision: RerouteDecision) -> (RerouteStatus, Option<Date>) {
    match decision {
        RerouteDecision::Confirm { appointment } => (RerouteStatus::Confirmed, Some(appointment)),
        RerouteDecision::Decline => (RerouteStatus::Declined, None),
    }
}

/// The audited window change of a confirmed reroute: the appointment's week,
/// set by the carrier.
pub(crate) fn reroute_window(reroute: &Reroute, day: Date, now: Timestamp) -> WindowChangeRequest {
    WindowChangeRequest {
        window: DeliveryWindow::week_of(day),
        source: WindowSource::Reroute,
        actor: format!("carrier:{}", reroute.draft.carrier),
        reason: format!(
            "rerouted from {} to {}, appointment {day}",
            reroute.draft.from, reroute.draft.to
        ),
        now,
    }
}

/// What a new shipment's row holds beside its own fields: the JSON body, its
/// facts, its projection over the packages as given, and the carriers of the
/// legs it already has (sorted; later carriers are added as they attach).
pub(crate) struct NewShipment<'a> {
    pub body: crate::codec::ShipmentBody,
    pub facts: ShipmentFacts,
    pub status: ShipmentStatus,
    pub latest: Option<&'a LatestMilestone>,
    pub missing_tracking: bool,
    pub carriers: String,
}

impl<'a> NewShipment<'a> {
    pub(crate) fn of(shipment: &'a tracklane_core::Shipment) -> Self {
        let facts = ShipmentFacts {
            is_cancelled: shipment.is_cancelled,
            units_expected: shipment.units_expected(),
            units_received: shipment.units_received(),
        };
        let (status, latest, missing_tracking) = projection(
            facts,
            shipment
                .packages
                .iter()
                .map(|p| (&p.track, p.has_tracking())),
        );
        let mut carriers: Vec<&str> = shipment
            .packages
            .iter()
            .flat_map(|p| p.legs.iter().map(|l| l.carrier.as_str()))
            .collect();
        carriers.sort_unstable();
        carriers.dedup();
        Self {
            body: crate::codec::ShipmentBody {
                inbound_plan_id: shipment.inbound_plan_id.clone(),
                kind: shipment.kind,
                source_address: shipment.source_address.clone(),
            },
            facts,
            status,
            latest,
            missing_tracking,
            carriers: carriers.join(" "),
        }
    }
}
