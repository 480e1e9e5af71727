//! The values that cross the [`Store`](crate::Store) trait: who is asking, what
//! to write, what to look for, and what comes back.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracklane_core::projection::LatestMilestone;
use tracklane_core::{
    BoxId, CarrierCode, DeliveryWindow, FreightMode, LegMode, Marketplace, Milestone, Package,
    Problem, SellerId, Shipment, ShipmentStatus, ShippingMode, TrackingNumber, TrackingSource,
    WarehouseCode, WindowSource,
};

/// Who an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", content = "id", rename_all = "lowercase")]
pub enum Principal {
    /// The operator of the hub: sees everything.
    Operator,
    /// A seller: sees its own shipments.
    Seller(SellerId),
    /// A carrier: sees the packages it carries.
    Carrier(CarrierCode),
}

impl Principal {
    /// How audits and limits name it: `operator`, `seller:ID`, `carrier:CODE`.
    pub fn audit_name(&self) -> String {
        match self {
            Principal::Operator => "operator".to_owned(),
            Principal::Seller(id) => format!("seller:{id}"),
            Principal::Carrier(code) => format!("carrier:{code}"),
        }
    }

    /// Whether this principal may read `detail` (DESIGN.md invariant 6).
    pub fn can_see(&self, detail: &ShipmentDetail) -> bool {
        match self {
            Principal::Operator => true,
            Principal::Seller(seller) => detail.shipment.seller == *seller,
            Principal::Carrier(carrier) => detail.carriers().any(|c| c == carrier),
        }
    }
}

/// How a caller names a shipment: its SP-API `shipmentId` or its confirmation id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentKey(pub String);

impl ShipmentKey {
    /// A key from either id form.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

/// A validated milestone on its way into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneDraft {
    /// Its position in the caller's batch, for per-item results.
    pub index: usize,
    /// The tracking number it is for, normalised.
    pub tracking_number: TrackingNumber,
    /// The shipment it belongs to, when the carrier named it (lets the hub attach
    /// a tracking number it has not seen yet).
    pub shipment: Option<ShipmentKey>,
    /// The box it belongs to, when named.
    pub box_id: Option<BoxId>,
    /// The fact itself.
    pub milestone: Milestone,
}

/// A tracking number to attach to a box, or to every freight unit of an LTL/FTL
/// shipment when no box is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingAssignment {
    /// Position in the caller's batch.
    pub index: usize,
    /// The box; `None` attaches to every package (a PRO or bill of lading).
    pub box_id: Option<BoxId>,
    /// The number, normalised and validated.
    pub tracking_number: TrackingNumber,
    /// How the leg travels.
    pub mode: LegMode,
    /// Who supplied it.
    pub source: TrackingSource,
    /// The carrier of the leg (the caller's own, or the one a seller names).
    pub carrier: CarrierCode,
}

/// What became of one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum ItemOutcome {
    /// Stored (and committed, once the call returns).
    Accepted {
        /// Position in the caller's batch.
        index: usize,
        /// Whether the carrier was attached by this item (auto-recognition).
        detected: bool,
    },
    /// The same fact was already stored; nothing changed.
    Duplicate {
        /// Position in the caller's batch.
        index: usize,
    },
    /// Not stored, and why.
    Rejected {
        /// Position in the caller's batch.
        index: usize,
        /// What was wrong and how to fix it.
        problem: Problem,
    },
}

/// Filters for a shipment listing. Every filter narrows; `None` means any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentQuery {
    /// Whose listing it is: decides which shipments can appear at all.
    pub viewer: Principal,
    /// Only this status.
    pub status: Option<ShipmentStatus>,
    /// Only to this warehouse.
    pub warehouse: Option<WarehouseCode>,
    /// Only carried by this carrier.
    pub carrier: Option<CarrierCode>,
    /// Only for this marketplace.
    pub marketplace: Option<Marketplace>,
    /// Only with this international freight mode.
    pub freight_mode: Option<FreightMode>,
    /// Only with this shipping mode (small parcel, LTL, FTL).
    pub shipping_mode: Option<ShippingMode>,
    /// Only shipments with a box that has no tracking number.
    pub missing_tracking: bool,
    /// Only shipments whose receiving closed short and whose seller has not
    /// asked for a reconciliation yet.
    pub received_short: bool,
    /// Only shipments with an open exception.
    pub with_exceptions: bool,
    /// Only shipments with an open exception of this kind (its wire name,
    /// such as `customs_hold`).
    pub exception_kind: Option<String>,
    /// Free text: shipment id, confirmation id, box id, tracking number, SKU, or
    /// part of the name.
    pub text: Option<String>,
    /// Only shipments updated at or after this instant.
    pub updated_since: Option<Timestamp>,
    /// Continue after this cursor (from a previous [`Page`]).
    pub cursor: Option<Cursor>,
    /// Page size, at most [`PAGE_SIZE_MAX`].
    pub limit: usize,
    /// The order of the rows. A [`Cursor`] continues only the order it came
    /// from: see [`ShipmentQuery::cursor_fits`].
    pub sort: ShipmentSort,
}

/// The largest page a listing returns.
pub const PAGE_SIZE_MAX: usize = 200;

impl ShipmentQuery {
    /// A query with no filters for `viewer`.
    pub fn new(viewer: Principal) -> Self {
        Self {
            viewer,
            status: None,
            warehouse: None,
            carrier: None,
            marketplace: None,
            freight_mode: None,
            shipping_mode: None,
            missing_tracking: false,
            received_short: false,
            with_exceptions: false,
            exception_kind: None,
            text: None,
            updated_since: None,
            cursor: None,
            limit: 50,
            sort: ShipmentSort::NewestUpdate,
        }
    }

    /// Whether the cursor, if any, continues a listing in this query's
    /// order. A cursor is a position in one order and means nothing in
    /// another, so a store lists only with a cursor that fits; callers check
    /// first and tell whoever sent the cursor.
    pub fn cursor_fits(&self) -> bool {
        self.cursor.is_none_or(|c| c.sort == self.sort)
    }
}

/// The order of a shipment listing. Each is the walk of one index, with
/// ties broken by the shipment's internal sequence, so the order is total and
/// a [`Cursor`] names a place in it exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ShipmentSort {
    /// Newest update first: what changed last.
    #[default]
    NewestUpdate,
    /// Oldest update first: what has been quiet longest.
    OldestUpdate,
    /// Expected arrival, soonest first: by the engine's estimate (p50), else
    /// by the first day of the delivery window; then the shipments with
    /// neither; then the finished ones (delivered or later, or cancelled).
    /// See [`crate::arrival`].
    ArrivalSoonest,
}

impl ShipmentSort {
    /// Every sort, in the order a form offers them.
    pub const ALL: [ShipmentSort; 3] = [
        ShipmentSort::NewestUpdate,
        ShipmentSort::OldestUpdate,
        ShipmentSort::ArrivalSoonest,
    ];

    /// The name URLs and the API use: `newest`, `oldest`, `arrival`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentSort::NewestUpdate => "newest",
            ShipmentSort::OldestUpdate => "oldest",
            ShipmentSort::ArrivalSoonest => "arrival",
        }
    }

    /// The sort named `name` (see [`ShipmentSort::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Where the counts of [`Attention`] stop: a count of this many means this
/// many or more.
pub const ATTENTION_COUNT_MAX: u64 = 1000;

/// How many of the shipments a viewer may see need a person's attention:
/// the counts behind the start page's "needs attention" links. Each stops at
/// [`ATTENTION_COUNT_MAX`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attention {
    /// Shipments with a box that has no tracking number.
    pub missing_tracking: u64,
    /// Shipments whose receiving closed short, waiting for the seller to ask
    /// for a reconciliation.
    pub received_short: u64,
    /// Shipments with at least one open exception.
    pub with_exceptions: u64,
    /// Shipments with an open exception of each kind (wire name), for the
    /// kinds that have any. A shipment with two kinds counts under both.
    pub by_kind: std::collections::BTreeMap<String, u64>,
}

/// Where a listing page ended: the order it was in, and the last row's key
/// in that order and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The order of the listing the cursor continues.
    pub sort: ShipmentSort,
    /// The last row's sort key: its `updated_at` in microseconds, or its
    /// arrival order (see [`crate::arrival`]).
    pub key: i64,
    /// The last row's internal sequence number.
    pub seq: i64,
}

impl Cursor {
    /// The opaque text form handed to clients: the sort's letter, then the
    /// key and the sequence in hexadecimal (`a.7fffffffffffffff.2a`).
    pub fn encode(&self) -> String {
        let letter = &self.sort.as_str()[..1];
        // `{:x}` of a negative i64 is its two's complement; decode reads it back.
        format!("{letter}.{:x}.{:x}", self.key, self.seq)
    }

    /// Reads the text form back; `None` if it was not made by [`Cursor::encode`].
    /// The form of earlier versions, without the letter, continues the
    /// default order, the only one the API had.
    pub fn decode(text: &str) -> Option<Self> {
        let hex = |h: &str| u64::from_str_radix(h, 16).ok().map(u64::cast_signed);
        let mut parts = text.split('.');
        let (sort, key, seq) = match (parts.next()?, parts.next()?, parts.next(), parts.next()) {
            (key, seq, None, None) => (ShipmentSort::NewestUpdate, key, seq),
            (letter, key, Some(seq), None) => (
                ShipmentSort::ALL
                    .into_iter()
                    .find(|s| s.as_str()[..1] == *letter)?,
                key,
                seq,
            ),
            _ => return None,
        };
        Some(Self {
            sort,
            key: hex(key)?,
            seq: hex(seq)?,
        })
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The rows, in the query's order.
    pub shipments: Vec<ShipmentSummary>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

/// A shipment as one row of the listing: the projection, without its boxes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentSummary {
    /// SP-API `shipmentId`.
    pub shipment_id: String,
    /// Confirmation id, such as `FBA15XYZ1234`.
    pub confirmation_id: String,
    /// SP-API `inboundPlanId`.
    pub inbound_plan_id: String,
    /// The seller's name for it.
    pub name: String,
    /// Owner.
    pub seller_id: SellerId,
    /// Destination warehouse.
    pub warehouse: WarehouseCode,
    /// Marketplace.
    pub marketplace: Marketplace,
    /// Small parcel or LTL/FTL.
    pub shipping_mode: ShippingMode,
    /// International freight mode.
    pub freight_mode: FreightMode,
    /// Status derived from its packages.
    pub status: ShipmentStatus,
    /// Carriers that carry any of its packages.
    pub carriers: Vec<CarrierCode>,
    /// The latest milestone over all packages.
    pub latest_milestone: Option<LatestMilestone>,
    /// Whether some box has no tracking number.
    pub missing_tracking: bool,
    /// Delivery window and who set it (rendered by the API's own view).
    #[serde(skip)]
    pub delivery_window: Option<(DeliveryWindow, WindowSource)>,
    /// Distinct SKUs.
    pub sku_count: u32,
    /// Boxes or freight units.
    pub box_count: u32,
    /// Units sent.
    pub units_expected: u32,
    /// Units counted at the warehouse.
    pub units_received: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its projection last changed.
    pub updated_at: Timestamp,
    /// Exceptions the engine holds open for it.
    pub open_exceptions: u32,
    /// When its seller asked the marketplace to reconcile a short receipt,
    /// and who recorded it here.
    pub reconciliation: Option<ReconciliationRequest>,
    /// Internal sequence (for cursors).
    #[serde(skip)]
    pub seq: i64,
}

impl ShipmentSummary {
    /// The units the warehouse did not count, once receiving closed short;
    /// `None` while receiving goes on or when it closed in full.
    pub fn units_short(&self) -> Option<u32> {
        let short = self.units_expected.saturating_sub(self.units_received);
        (self.status == ShipmentStatus::Closed && short > 0).then_some(short)
    }
}

/// A stored milestone, as a timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMilestone {
    /// The fact.
    pub milestone: Milestone,
    /// The carrier that reported it.
    pub carrier: CarrierCode,
    /// The tracking number it was reported for.
    pub tracking_number: TrackingNumber,
    /// When the hub received it.
    pub received_at: Timestamp,
    /// Whether it arrived after tracking closed (kept, but changed nothing).
    pub after_close: bool,
}

/// A shipment with everything the detail page needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentDetail {
    /// The shipment, its packages, their legs and tracking state.
    pub shipment: Shipment,
    /// Derived status.
    pub status: ShipmentStatus,
    /// When its projection last changed.
    pub updated_at: Timestamp,
    /// Each package's milestones, oldest first, in package order.
    pub timelines: Vec<Vec<StoredMilestone>>,
    /// Every delivery-window change, oldest first.
    pub window_history: Vec<WindowChange>,
    /// The engine's latest arrival estimate.
    pub estimate: Option<crate::Estimate>,
    /// Its exceptions: open ones first, then resolved, newest first.
    pub exceptions: Vec<crate::ShipmentException>,
    /// Its reroute offers and decisions, oldest first.
    pub reroutes: Vec<crate::Reroute>,
    /// Its warehouse receipts, oldest first.
    pub receipts: Vec<Receipt>,
    /// The seller's reconciliation request for a short receipt, if any.
    pub reconciliation: Option<ReconciliationRequest>,
}

impl ShipmentDetail {
    /// The package with a leg of tracking number `number` (of `carrier`,
    /// when given; carrier codes match in any case), and its timeline.
    pub fn package_carrying(
        &self,
        number: &TrackingNumber,
        carrier: Option<&str>,
    ) -> Option<(&Package, &[StoredMilestone])> {
        self.shipment
            .packages
            .iter()
            .zip(&self.timelines)
            .find(|(p, _)| {
                p.legs.iter().any(|l| {
                    l.tracking_number == *number
                        && carrier.is_none_or(|c| c.eq_ignore_ascii_case(l.carrier.as_str()))
                })
            })
            .map(|(p, timeline)| (p, timeline.as_slice()))
    }

    /// Every carrier with a leg on any package.
    pub fn carriers(&self) -> impl Iterator<Item = &CarrierCode> {
        self.shipment
            .packages
            .iter()
            .flat_map(|p| p.legs.iter().map(|l| &l.carrier))
    }
}

/// A request to change a delivery window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowChangeRequest {
    /// The new window.
    pub window: DeliveryWindow,
    /// Who sets it.
    pub source: WindowSource,
    /// The account making the change, for the audit (`seller:…`, `carrier:…`).
    pub actor: String,
    /// Why, in the actor's words.
    pub reason: String,
    /// When.
    pub now: Timestamp,
}

/// One audited delivery-window change (DESIGN.md invariant 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowChange {
    /// When it changed.
    pub at: Timestamp,
    /// Who changed it.
    pub actor: String,
    /// The window before, if any.
    pub from: Option<DeliveryWindow>,
    /// The window after.
    pub to: DeliveryWindow,
    /// The kind of setter.
    pub source: WindowSource,
    /// Why.
    pub reason: String,
}

impl WindowChange {
    /// The audit entry of `request`, which replaced window `from`.
    pub fn of(request: &WindowChangeRequest, from: Option<DeliveryWindow>) -> Self {
        Self {
            at: request.now,
            actor: request.actor.clone(),
            from,
            to: request.window,
            source: request.source,
            reason: request.reason.clone(),
        }
    }
}

/// What a warehouse counted of one SKU of a shipment: the total received so
/// far, not an increment, so that a receipt sent twice changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLine {
    /// The seller's SKU, as packed in the shipment.
    pub sku: String,
    /// Units of it received so far, over every box.
    pub units_received: u32,
}

/// A warehouse receipt for one shipment: counts per SKU, and whether
/// receiving is finished (it may finish short of what was sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest {
    /// The SKUs counted.
    pub lines: Vec<ReceiptLine>,
    /// Receiving is finished: the shipment closes with what was counted.
    pub closes: bool,
    /// The account reporting it, for the audit (`operator`, `seller:…`).
    pub actor: String,
    /// When.
    pub now: Timestamp,
}

/// How a receipt changed one SKU's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptChange {
    /// The SKU.
    pub sku: String,
    /// Units received before.
    pub from: u32,
    /// Units received after.
    pub to: u32,
}

/// One audited receipt: what changed, by whom and when. A receipt that
/// changed nothing leaves none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// When it was reported.
    pub at: Timestamp,
    /// Who reported it.
    pub actor: String,
    /// The SKUs whose count changed.
    pub changes: Vec<ReceiptChange>,
    /// Whether it closed receiving.
    pub closes: bool,
}

/// What [`crate::Store::record_receipt`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReceipt {
    /// Per line, in the request's order.
    pub items: Vec<ItemOutcome>,
    /// The shipment's status after it.
    pub status: ShipmentStatus,
    /// Units received over every SKU after it.
    pub units_received: u32,
    /// Units the seller sent.
    pub units_expected: u32,
}

/// A seller's note that it asked the marketplace to reconcile a shipment
/// received short (on Amazon, a shipment reconciliation case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconciliationRequest {
    /// When it was recorded.
    pub at: Timestamp,
    /// Who recorded it ([`crate::Principal::audit_name`]).
    pub by: String,
}

/// What recording a reconciliation request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciliation {
    /// Recorded now.
    Requested(ReconciliationRequest),
    /// Recorded before; nothing changed.
    AlreadyRequested(ReconciliationRequest),
    /// Receiving has not closed short: its status and units.
    NotShort {
        /// The shipment's status.
        status: ShipmentStatus,
        /// Units sent.
        units_expected: u32,
        /// Units counted so far.
        units_received: u32,
    },
}

/// What asking to cancel a shipment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// It is cancelled now.
    Cancelled,
    /// It was cancelled before; nothing changed.
    AlreadyCancelled,
    /// It has gone too far to cancel (picked up or beyond): its status.
    TooLate(ShipmentStatus),
}

/// How much is stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Shipments.
    pub shipments: u64,
    /// Packages.
    pub packages: u64,
    /// Milestones stored: one per fact and shipment, however many of its
    /// boxes share the number (a PRO number covers every freight unit).
    pub milestones: u64,
}

/// A signed-in browser. The cookie holds a random token; the store keeps only
/// its hash, like an API key's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// SHA-256 of the cookie's token, hex.
    pub token_hash: String,
    /// Who signed in.
    pub principal: Principal,
    /// The token every form post of this session must carry.
    pub csrf: String,
    /// When it began.
    pub created_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
}

/// A box that carries a tracking number, found by that number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedBox {
    /// The shipment's SP-API `shipmentId`.
    pub shipment_id: String,
    /// The box.
    pub box_id: BoxId,
}

/// One write of a batch given to [`crate::Store::apply`]: the same write as the
/// method of the same name, with the same checks.
#[derive(Debug, Clone)]
pub enum Write {
    /// [`crate::Store::create_shipment`].
    CreateShipment(Box<tracklane_core::Shipment>),
    /// [`crate::Store::assign_tracking`].
    AssignTracking {
        /// Who attaches them.
        actor: Principal,
        /// The shipment.
        shipment: ShipmentKey,
        /// Validated numbers.
        assignments: Vec<TrackingAssignment>,
        /// The hub's clock.
        now: jiff::Timestamp,
    },
    /// [`crate::Store::append_milestones`].
    AppendMilestones {
        /// The pushing carrier.
        carrier: tracklane_core::CarrierCode,
        /// Validated milestones.
        drafts: Vec<MilestoneDraft>,
        /// The hub's clock.
        now: jiff::Timestamp,
    },
    /// [`crate::Store::set_delivery_window`].
    SetDeliveryWindow {
        /// The shipment.
        shipment: ShipmentKey,
        /// The new window and its audit.
        change: WindowChangeRequest,
    },
    /// [`crate::Store::set_window_automation`].
    SetWindowAutomation {
        /// The shipment.
        shipment: ShipmentKey,
        /// Allowed or not.
        allowed: bool,
        /// The hub's clock.
        now: jiff::Timestamp,
    },
    /// [`crate::Store::set_backlog`].
    SetBacklog {
        /// The warehouse.
        warehouse: tracklane_core::WarehouseCode,
        /// Units waiting to be received.
        backlog_units: u32,
    },
}

/// What one write of a batch did: the return value of the method it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A write that returns nothing.
    Done,
    /// Per-item outcomes (tracking, milestones).
    Items(Vec<ItemOutcome>),
    /// The audited window change.
    Window(WindowChange),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_it_was_written() {
        for sort in ShipmentSort::ALL {
            for (key, seq) in [(0, 1), (1_774_137_600_000_000, 42), (i64::MAX, 7), (-5, 3)] {
                let cursor = Cursor { sort, key, seq };
                assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
            }
        }
        assert_eq!(
            Cursor::decode("18c3a.2a"),
            Some(Cursor {
                sort: ShipmentSort::NewestUpdate,
                key: 0x18c3a,
                seq: 42
            }),
            "the form without a sort, from before there was a choice"
        );
        for bad in ["", "a", "x.1.2", "a.1.2.3", "a.zz.1", "a.1."] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn sorts_have_one_name_each() {
        for sort in ShipmentSort::ALL {
            assert_eq!(ShipmentSort::parse(sort.as_str()), Some(sort));
        }
        assert_eq!(ShipmentSort::parse("Arrival"), None);
    }
}
