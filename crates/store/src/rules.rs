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

use crate::codec::PackageBody;
use crate::{
    Cancellation, ItemOutcome, Principal, ReceiptChange, ReceiptLine, ReceiptRequest,
    Reconciliation, ReconciliationRequest, Reroute, RerouteDecision, RerouteStatus, StoreError,
    StoreResult, WindowChangeRequest,
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

/// Whether a shipment at `status` may be cancelled: only before the carrier
/// picks it up, as on Amazon, where a shipment on its way is the carrier's
/// to stop.
pub(crate) fn cancellation(status: ShipmentStatus) -> Cancellation {
    match status {
        ShipmentStatus::Cancelled => Cancellation::AlreadyCancelled,
        ShipmentStatus::Working | ShipmentStatus::ReadyToShip => Cancellation::Cancelled,
        other => Cancellation::TooLate(other),
    }
}

/// What recording a reconciliation request does to a shipment with `facts`
/// at `status`, asked for before as `recorded`: `None` when it should be
/// recorded now.
pub(crate) fn reconciliation(
    facts: ShipmentFacts,
    status: ShipmentStatus,
    recorded: Option<ReconciliationRequest>,
) -> Option<Reconciliation> {
    if let Some(request) = recorded {
        return Some(Reconciliation::AlreadyRequested(request));
    }
    let is_short = facts.is_receiving_closed && facts.units_received < facts.units_expected;
    (!is_short).then_some(Reconciliation::NotShort {
        status,
        units_expected: facts.units_expected,
        units_received: facts.units_received,
    })
}

/// What a receipt did to a shipment's boxes: per line an outcome, the SKUs
/// whose count changed, which boxes to write back, and the units received
/// over every box after it.
pub(crate) struct Received {
    pub outcomes: Vec<ItemOutcome>,
    pub changes: Vec<ReceiptChange>,
    /// Indexes into the boxes given to [`receive`].
    pub changed_boxes: Vec<usize>,
    pub units_received: u32,
}

/// Applies receipt `lines` to a shipment's boxes (in box order). A line gives a SKU's total received so far; the total is spread
/// over the boxes holding the SKU in box order, each filled up to what was
/// packed in it, and whatever is left over (an overage) goes to the last.
/// A line for a SKU the shipment does not hold, or for a SKU already
/// counted by an earlier line of the same receipt, is refused; one that
/// repeats the stored total is a duplicate.
pub(crate) fn receive(boxes: &mut [PackageBody], lines: &[ReceiptLine]) -> Received {
    let mut received = Received {
        outcomes: Vec::with_capacity(lines.len()),
        changes: Vec::new(),
        changed_boxes: Vec::new(),
        units_received: 0,
    };
    for (index, line) in lines.iter().enumerate() {
        let field = format!("items[{index}].sku");
        let holders: Vec<(usize, usize)> = boxes
            .iter()
            .enumerate()
            .flat_map(|(b, body)| {
                body.items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| item.sku == line.sku)
                    .map(move |(i, _)| (b, i))
            })
            .collect();
        if holders.is_empty() {
            let mut skus: Vec<&str> = boxes
                .iter()
                .flat_map(|b| &b.items)
                .map(|i| i.sku.as_str())
                .collect();
            skus.sort_unstable();
            skus.dedup();
            let some: Vec<&str> = skus.into_iter().take(5).collect();
            received.outcomes.push(ItemOutcome::Rejected {
                index,
                problem: Problem::new(
                    "receipt.sku_not_in_shipment",
                    field,
                    format!(
                        "SKU {} is not packed in this shipment: use one of its SKUs ({})",
                        line.sku,
                        some.join(", ")
                    ),
                    format!(
                        "此货件没有 SKU {}：请使用货件中的 SKU（{}）",
                        line.sku,
                        some.join("、")
                    ),
                ),
            });
            continue;
        }
        if lines[..index].iter().any(|l| l.sku == line.sku) {
            received.outcomes.push(ItemOutcome::Rejected {
                index,
                problem: Problem::new(
                    "receipt.sku_repeated",
                    field,
                    format!(
                        "SKU {} is counted twice in this receipt: send each SKU once, with its total received so far",
                        line.sku
                    ),
                    format!(
                        "此收货记录中 SKU {} 出现了两次：每个 SKU 只发送一次，填写截至目前的收货总数",
                        line.sku
                    ),
                ),
            });
            continue;
        }
        let from: u32 = holders
            .iter()
            .map(|&(b, i)| boxes[b].items[i].units_received)
            .sum();
        if from == line.units_received {
            received.outcomes.push(ItemOutcome::Duplicate { index });
            continue;
        }
        let mut left = line.units_received;
        for (n, &(b, i)) in holders.iter().enumerate() {
            let item = &mut boxes[b].items[i];
            let share = if n + 1 == holders.len() {
                left
            } else {
                left.min(item.units_expected)
            };
            left -= share;
            if item.units_received != share {
                item.units_received = share;
                if !received.changed_boxes.contains(&b) {
                    received.changed_boxes.push(b);
                }
            }
        }
        received.changes.push(ReceiptChange {
            sku: line.sku.clone(),
            from,
            to: line.units_received,
        });
        received.outcomes.push(ItemOutcome::Accepted {
            index,
            detected: false,
        });
    }
    received.changed_boxes.sort_unstable();
    received.units_received = boxes
        .iter()
        .flat_map(|b| &b.items)
        .map(|i| i.units_received)
        .sum();
    received
}

/// Whether a receipt leaves an audit entry and stamps its shipment: it
/// changed a count, it closes receiving now, or it is the first word from
/// the warehouse (a check-in, even with nothing counted yet).
pub(crate) fn receipt_takes_effect(
    received: &Received,
    request: &ReceiptRequest,
    facts: ShipmentFacts,
) -> bool {
    let heard = request.closes
        || received
            .outcomes
            .iter()
            .any(|o| !matches!(o, ItemOutcome::Rejected { .. }));
    !received.changes.is_empty()
        || (request.closes && !facts.is_receiving_closed)
        || (heard && !facts.is_checked_in)
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
            is_checked_in: false,
            is_receiving_closed: false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use tracklane_core::Item;

    fn item(sku: &str, expected: u32) -> Item {
        Item {
            sku: sku.into(),
            units_expected: expected,
            units_received: 0,
        }
    }

    fn line(sku: &str, units: u32) -> ReceiptLine {
        ReceiptLine {
            sku: sku.into(),
            units_received: units,
        }
    }

    fn boxed(items: Vec<Item>) -> PackageBody {
        PackageBody {
            weight_grams: 1000,
            dimensions_mm: [100, 100, 100],
            items,
        }
    }

    fn received(boxes: &[PackageBody]) -> Vec<Vec<u32>> {
        boxes
            .iter()
            .map(|b| b.items.iter().map(|i| i.units_received).collect())
            .collect()
    }

    #[test]
    fn a_total_fills_boxes_in_order_and_an_overage_lands_in_the_last() {
        let mut boxes = vec![
            boxed(vec![item("A", 10), item("B", 5)]),
            boxed(vec![item("A", 10)]),
            boxed(vec![item("C", 1)]),
        ];
        let r = receive(&mut boxes, &[line("A", 23)]);
        assert_eq!(received(&boxes), [vec![10, 0], vec![13], vec![0]]);
        assert_eq!(r.changed_boxes, [0, 1]);
        assert_eq!(
            r.changes,
            [ReceiptChange {
                sku: "A".into(),
                from: 0,
                to: 23
            }]
        );
        // A correction downwards empties the later box first.
        let r = receive(&mut boxes, &[line("A", 4)]);
        assert_eq!(received(&boxes), [vec![4, 0], vec![0], vec![0]]);
        assert_eq!(r.changed_boxes, [0, 1]);
        assert_eq!((r.changes[0].from, r.changes[0].to), (23, 4));
    }

    #[test]
    fn only_a_change_a_close_or_the_first_word_takes_effect() {
        let facts = ShipmentFacts {
            is_cancelled: false,
            units_expected: 10,
            units_received: 0,
            is_checked_in: true,
            is_receiving_closed: false,
        };
        let request = |lines: Vec<ReceiptLine>, closes: bool| ReceiptRequest {
            lines,
            closes,
            actor: "operator".into(),
            now: Timestamp::UNIX_EPOCH,
        };
        let mut boxes = vec![boxed(vec![item("A", 10)])];
        let same = request(vec![line("A", 0)], false);
        let r = receive(&mut boxes, &same.lines);
        assert!(!receipt_takes_effect(&r, &same, facts));
        let not_checked_in = ShipmentFacts {
            is_checked_in: false,
            ..facts
        };
        assert!(receipt_takes_effect(&r, &same, not_checked_in));
        let refused = request(vec![line("Z", 1)], false);
        let r = receive(&mut boxes, &refused.lines);
        assert!(!receipt_takes_effect(&r, &refused, not_checked_in));
        let close = request(Vec::new(), true);
        let r = receive(&mut boxes, &close.lines);
        assert!(receipt_takes_effect(&r, &close, facts));
        let closed = ShipmentFacts {
            is_receiving_closed: true,
            ..facts
        };
        assert!(!receipt_takes_effect(&r, &close, closed));
    }
}
