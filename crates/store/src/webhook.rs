//! Webhooks as the store keeps them: subscriptions, and the outbox of
//! deliveries each change of a shipment leaves for the subscriptions that may
//! see it.
//!
//! A delivery row is written in the same transaction as the change it tells
//! of (a milestone, a window move, an exception, a reroute), so a change the
//! hub committed is never lost to a crash between the commit and the post, and
//! a rolled-back change is never announced. Sending, signing and retrying
//! happen above the store.

use jiff::Timestamp;
use serde::Serialize;

use crate::Principal;

tracklane_core::code_enum! {
    /// What a webhook tells of.
    EventKind {
        MilestoneChanged = 0, "SHIPMENT_TRACKING_MILESTONE_CHANGED", "A tracking number's latest milestone changed (SP-API notification shape)";
        ExceptionOpened = 1, "EXCEPTION_OPENED", "The engine raised an exception on a shipment";
        ExceptionResolved = 2, "EXCEPTION_RESOLVED", "An exception's cause cleared";
        WindowChanged = 3, "DELIVERY_WINDOW_CHANGED", "A shipment's delivery window changed (seller, carrier, automation or reroute)";
        RerouteOffered = 4, "REROUTE_OFFERED", "Smart Reroute proposed moving a delayed shipment to another warehouse";
        RerouteDecided = 5, "REROUTE_DECIDED", "A reroute offer was confirmed, declined or withdrawn";
        ReceiptRecorded = 6, "RECEIPT_RECORDED", "The warehouse reported what it counted of a shipment";
    }
}

/// A subscription: where to post which events, and the secret that signs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Its id (`wh_…`).
    pub id: String,
    /// Whose it is: it receives only events about shipments its owner may see.
    #[serde(skip)]
    pub owner: Principal,
    /// Where deliveries are posted.
    pub url: String,
    /// The events it wants.
    pub events: Vec<EventKind>,
    /// The HMAC-SHA256 key of its signatures.
    #[serde(skip)]
    pub secret: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was switched off because its receiver kept failing; `None`
    /// while it is on. A switched-off subscription is left no deliveries.
    pub disabled_at: Option<Timestamp>,
    /// Why it was switched off.
    pub disabled_reason: Option<String>,
}

impl Webhook {
    /// Whether it wants events of `kind`: it asked for them and is on.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.disabled_at.is_none() && self.events.contains(&kind)
    }
}

/// Switches subscription `?1` off at `?2` for reason `?3`, unless it is off
/// already or one of its deliveries was delivered at or after `?4`.
pub(crate) const SWITCH_OFF: &str = "UPDATE webhook SET disabled_at = ?2, disabled_reason = ?3
     WHERE id = ?1 AND disabled_at IS NULL AND NOT EXISTS (
         SELECT 1 FROM webhook_delivery d
         WHERE d.webhook_seq = webhook.seq AND d.state = 1 AND d.delivered_at >= ?4)";
/// Fails the pending deliveries of subscription `?1`, with error `?2`.
pub(crate) const FAIL_PENDING: &str =
    "UPDATE webhook_delivery SET state = 2, next_attempt_at = NULL, last_error = ?2
     WHERE state = 0 AND webhook_seq = (SELECT seq FROM webhook WHERE id = ?1)";
/// Switches subscription (row) `?1` back on.
pub(crate) const SWITCH_ON: &str =
    "UPDATE webhook SET disabled_at = NULL, disabled_reason = NULL WHERE seq = ?1";
/// The error a pending delivery fails with when its subscription is switched off.
pub(crate) const SWITCHED_OFF_ERROR: &str = "the subscription was switched off";

tracklane_core::code_enum! {
    /// Where a delivery stands.
    DeliveryState {
        Pending = 0, "PENDING", "Waiting for its first or next attempt";
        Delivered = 1, "DELIVERED", "The receiver answered 2xx";
        Failed = 2, "FAILED", "Every attempt failed; no more will be made";
    }
}

/// One event on its way to one subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Its number; with the webhook's id it is the notification id receivers
    /// use to drop repeats.
    pub id: i64,
    /// The subscription.
    pub webhook_id: String,
    /// What it tells of.
    pub kind: EventKind,
    /// The shipment it is about.
    pub shipment_id: String,
    /// What it is about within the shipment: for a milestone change the
    /// carrier and tracking number (`CARRIER NUMBER`), whose state is read
    /// when the delivery is sent; empty otherwise.
    pub subject: String,
    /// The event as it happened (the window change, the exception, the
    /// reroute), in the API's shapes; `null` for a milestone change.
    pub payload: serde_json::Value,
    /// When the change happened.
    pub created_at: Timestamp,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// The last attempt's HTTP status, if the receiver answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
}

impl Delivery {
    /// The subject of a milestone change of `number` of `carrier`.
    pub fn milestone_subject(carrier: &str, number: &str) -> String {
        format!("{carrier} {number}")
    }

    /// The carrier and tracking number a milestone change is about.
    pub fn tracking(&self) -> Option<(&str, &str)> {
        self.subject.split_once(' ')
    }
}

/// How long a finished delivery is kept for the deliveries listing.
const FINISHED_KEPT_US: i64 = 7 * 24 * 3_600 * 1_000_000;
/// How long after its creation a failed delivery's last attempt can come
/// (the sender's retries span under two days).
const ATTEMPTS_SPAN_US: i64 = 2 * 24 * 3_600 * 1_000_000;

/// The oldest creation time, in microseconds, of a failed delivery still
/// kept at `at`: the one cutoff of [`prune_finished`] and of resending what
/// failed, so that a failed delivery can be resent as long as it is listed.
///
/// The cutoff goes by creation because no last-attempt time is stored. A
/// delivery resent and failed again is therefore kept until nine days after
/// its event, not a week after its new last attempt (docs/webhooks.md).
pub(crate) fn failed_kept_since_us(at: Timestamp) -> i64 {
    at.as_microsecond() - FINISHED_KEPT_US - ATTEMPTS_SPAN_US
}

/// The statements that drop finished deliveries once kept long enough, each
/// with its cutoff as `?1`, for times `at`: delivered ones a week after
/// delivery, failed ones a week after their last attempt. The states are
/// spelled as literals so that each can use its partial index.
pub(crate) fn prune_finished(at: Timestamp) -> [(&'static str, i64); 2] {
    debug_assert_eq!(DeliveryState::Delivered.number(), 1);
    debug_assert_eq!(DeliveryState::Failed.number(), 2);
    [
        (
            "DELETE FROM webhook_delivery WHERE state = 1 AND delivered_at < ?1",
            at.as_microsecond() - FINISHED_KEPT_US,
        ),
        (
            "DELETE FROM webhook_delivery WHERE state = 2 AND created_at < ?1",
            failed_kept_since_us(at),
        ),
    ]
}

/// What became of a request to send one delivery again
/// ([`crate::Store::resend_delivery`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Resend {
    /// It is back in the queue, due now with no attempts made; here as it
    /// now stands. It keeps its number, so its notification id is the same.
    Queued(Delivery),
    /// It is still pending: it will be tried anyway, so it was left as it is.
    StillPending(Delivery),
    /// Its subscription is switched off: nothing is sent to it until its
    /// owner switches it back on.
    SwitchedOff,
}

/// The row number of subscription `?1` of owner `?2`, and when it was
/// switched off.
pub(crate) const OWNED_WEBHOOK: &str =
    "SELECT seq, disabled_at FROM webhook WHERE id = ?1 AND owner = ?2";

/// Delivery `?1` of subscription (row) `?2`, as [`crate::read_rows::DELIVERY_COLUMNS`].
pub(crate) fn delivery_of_webhook() -> String {
    format!(
        "SELECT {} FROM webhook_delivery d JOIN webhook w ON w.seq = d.webhook_seq
         WHERE d.seq = ?1 AND d.webhook_seq = ?2",
        crate::read_rows::DELIVERY_COLUMNS
    )
}

/// Puts finished delivery `?1` back in the queue, due at `?2`: pending, with
/// no attempts made and no delivery time. Its last status and error stay,
/// for the listing and so that [`UNTRIED_QUEUED`] tells it from a delivery
/// never tried.
pub(crate) const RESEND: &str =
    "UPDATE webhook_delivery SET state = 0, attempts = 0, next_attempt_at = ?2, delivered_at = NULL
     WHERE seq = ?1 AND state <> 0";

/// Puts the failed deliveries of subscription (row) `?1` created at or after
/// `?3` back in the queue, all due at `?2`: the sender takes deliveries due
/// at one time by their number, so the oldest goes first.
pub(crate) const RESEND_FAILED: &str =
    "UPDATE webhook_delivery SET state = 0, attempts = 0, next_attempt_at = ?2, delivered_at = NULL
     WHERE webhook_seq = ?1 AND state = 2 AND created_at >= ?3";

/// How many deliveries [`RESEND_FAILED`] would put back, with the same parameters
/// but the due time.
pub(crate) const COUNT_FAILED: &str = "SELECT COUNT(*) FROM webhook_delivery WHERE webhook_seq = ?1 AND state = 2 AND created_at >= ?2";

/// Whether subscription (row) `?1` has a pending milestone change of subject
/// `?2` (kind `?3`) that has never been tried, which a new change of the same
/// number joins instead of queueing another. A resent delivery is not one,
/// though it has no attempts: its receiver may have handled its notification
/// id already and would drop it as a repeat, with the newer change in it. It
/// is told apart by the last status or error it keeps from before.
pub(crate) const UNTRIED_QUEUED: &str = "SELECT 1 FROM webhook_delivery
     WHERE webhook_seq = ?1 AND subject = ?2 AND kind = ?3 AND state = 0 AND attempts = 0
         AND last_status IS NULL AND last_error IS NULL";

/// What one attempt at a delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx with `status`.
    Delivered {
        /// The HTTP status.
        status: u16,
        /// When.
        at: Timestamp,
    },
    /// It failed; `retry_at` is when to try again, `None` to give up.
    Failed {
        /// The HTTP status, if the receiver answered.
        status: Option<u16>,
        /// Why, in words.
        error: String,
        /// When.
        at: Timestamp,
        /// The next attempt, or `None` when this was the last.
        retry_at: Option<Timestamp>,
    },
}

/// Records a delivered attempt at delivery `?1`: state `?2`, status `?3`, at `?4`.
pub(crate) const RECORD_DELIVERED: &str =
    "UPDATE webhook_delivery SET state = ?2, attempts = attempts + 1, next_attempt_at = NULL,
         last_status = ?3, last_error = NULL, delivered_at = ?4
     WHERE seq = ?1";
/// Records a failed attempt at delivery `?1`: state `?2`, the next attempt
/// `?3`, status `?4`, error `?5`.
pub(crate) const RECORD_FAILED: &str =
    "UPDATE webhook_delivery SET state = ?2, attempts = attempts + 1, next_attempt_at = ?3,
         last_status = ?4, last_error = ?5
     WHERE seq = ?1";

impl Attempt {
    /// Where the delivery stands after this attempt.
    pub(crate) fn state(&self) -> DeliveryState {
        match self {
            Attempt::Delivered { .. } => DeliveryState::Delivered,
            Attempt::Failed {
                retry_at: Some(_), ..
            } => DeliveryState::Pending,
            Attempt::Failed { retry_at: None, .. } => DeliveryState::Failed,
        }
    }
}

/// The row numbers of the subscriptions in `hooks` that hear of an event of
/// `kind` about a shipment of `seller_id` with legs of `leg_carriers`: those
/// that want the kind and whose owner may see the shipment. A carrier's
/// subscription hears only of `carrier`'s own milestones and offers when
/// `carrier` is given, else of shipments it has a leg on.
pub(crate) fn audience<S: AsRef<str>>(
    hooks: &[(i64, Webhook)],
    kind: EventKind,
    seller_id: &str,
    leg_carriers: &[S],
    carrier: Option<&str>,
) -> Vec<i64> {
    hooks
        .iter()
        .filter(|(_, h)| h.wants(kind))
        .filter(|(_, h)| match &h.owner {
            Principal::Operator => true,
            Principal::Seller(s) => s.as_str() == seller_id,
            Principal::Carrier(c) => carrier.map_or_else(
                || leg_carriers.iter().any(|l| l.as_ref() == c.as_str()),
                |only| only == c.as_str(),
            ),
        })
        .map(|(seq, _)| *seq)
        .collect()
}

/// A receipt event's payload: the receipt `request` as audited with its
/// `changes`, and the shipment's status and units after it.
pub(crate) fn receipt_payload(
    request: &crate::ReceiptRequest,
    changes: Vec<crate::ReceiptChange>,
    recorded: &crate::RecordedReceipt,
) -> crate::StoreResult<serde_json::Value> {
    let receipt = crate::Receipt {
        at: request.now,
        actor: request.actor.clone(),
        changes,
        closes: request.closes,
    };
    let mut payload = crate::codec::to_value(&receipt)?;
    payload["status"] = recorded.status.as_str().into();
    payload["unitsReceived"] = recorded.units_received.into();
    payload["unitsExpected"] = recorded.units_expected.into();
    Ok(payload)
}

/// An exception event's payload: the exception as `GET /api/v1/exceptions`
/// lists it, without the shipment's name and seller.
pub(crate) fn exception_payload(
    shipment: &tracklane_core::ShipmentId,
    id: i64,
    d: &crate::ExceptionDraft,
    opened_us: i64,
    resolved_us: Option<i64>,
) -> crate::StoreResult<serde_json::Value> {
    use crate::codec::{timestamp, to_value};
    let mut payload = to_value(d)?;
    payload["id"] = id.into();
    payload["shipmentId"] = shipment.as_str().into();
    payload["openedAt"] = to_value(&timestamp(opened_us)?)?;
    payload["resolvedAt"] = match resolved_us {
        Some(us) => to_value(&timestamp(us)?)?,
        None => serde_json::Value::Null,
    };
    Ok(payload)
}
