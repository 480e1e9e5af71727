//! What a webhook delivery looks like on the wire: the notification body and
//! its signature. Sending and retrying are the caller's (the binary's delivery
//! loop); this module only turns a stored delivery into bytes and signs them.
//!
//! Every body has the envelope of SP-API notifications (`notificationVersion`,
//! `notificationType`, `payloadVersion`, `eventTime`, `notificationMetadata`,
//! `payload`). `SHIPMENT_TRACKING_MILESTONE_CHANGED` follows the SP-API model
//! exactly: its `trackingDetail` is what `getShipmentTracking` returns at the
//! moment of sending. tracklane's own kinds carry the object in the shape the
//! JSON API lists it.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Sha256;
use tracklane_core::TrackingNumber;
use tracklane_store::{Delivery, EventKind, ShipmentKey, Webhook};

use crate::AppState;
use crate::auth::hex;

/// The header carrying the signature: `t=<unix seconds>,v1=<hex>`, where the
/// hex is HMAC-SHA256 with the subscription's secret over `<t>.<body>`.
pub const SIGNATURE_HEADER: &str = "x-tracklane-signature";
/// The header naming the event kind.
pub const EVENT_HEADER: &str = "x-tracklane-event";
/// The header carrying the notification id, the same on every retry and
/// every resend.
pub const DELIVERY_HEADER: &str = "x-tracklane-delivery";

/// The signature header's value for `body` sent at `at`.
pub fn sign(secret: &str, at: Timestamp, body: &[u8]) -> String {
    let t = at.as_second();
    format!("t={t},v1={}", hex(&mac(secret, t, body)))
}

/// Whether `header` is a valid signature of `body` by `secret`, made no more
/// than `tolerance_seconds` before or after `now`. Receivers written in Rust
/// can use this; the format is in docs/webhooks.md for everyone else.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: Timestamp,
    tolerance_seconds: i64,
) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let Some(t) = t.filter(|t| (now.as_second() - t).abs() <= tolerance_seconds) else {
        return false;
    };
    signatures.iter().any(|s| {
        let Some(bytes) = unhex(s) else {
            return false;
        };
        let mut mac = keyed(secret);
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&bytes).is_ok()
    })
}

fn keyed(secret: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The notification id of `delivery` of `webhook`: the same on every retry
/// and every resend (a resend puts the same delivery back in the queue), so
/// a receiver drops repeats by it.
pub fn notification_id(webhook: &Webhook, delivery: &Delivery) -> String {
    format!("{}-{}", webhook.id, delivery.id)
}

/// Why a delivery could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The shipment or tracking number it is about is gone.
    #[error("{0}")]
    Gone(String),
    /// The store could not be read; try again later.
    #[error("the store could not be read: {0}")]
    Store(#[from] tracklane_store::StoreError),
}

/// The body of `delivery` for `webhook`, published at `now`. `base_url` is the
/// hub's public address, for tracking links.
///
/// # Errors
/// [`RenderError::Gone`] when a milestone change's shipment or number no
/// longer exists; [`RenderError::Store`] when the store cannot be read.
pub async fn render(
    state: &AppState,
    webhook: &Webhook,
    delivery: &Delivery,
    base_url: &str,
    now: Timestamp,
) -> Result<Vec<u8>, RenderError> {
    let (payload_version, payload) = match delivery.kind {
        EventKind::MilestoneChanged => (
            "2026-01-30",
            json!({
                "shipmentTrackingMilestoneChangedNotification": {
                    "trackingDetail": milestone_detail(state, delivery, base_url).await?,
                }
            }),
        ),
        EventKind::ExceptionOpened | EventKind::ExceptionResolved => {
            ("1", json!({ "exception": delivery.payload }))
        }
        EventKind::WindowChanged => (
            "1",
            json!({
                "shipmentId": delivery.shipment_id,
                "deliveryWindowChange": delivery.payload,
            }),
        ),
        EventKind::RerouteOffered | EventKind::RerouteDecided => {
            ("1", json!({ "reroute": delivery.payload }))
        }
        EventKind::ReceiptRecorded => (
            "1",
            json!({
                "shipmentId": delivery.shipment_id,
                "receipt": delivery.payload,
            }),
        ),
    };
    let body = json!({
        "notificationVersion": "1.0",
        "notificationType": delivery.kind.as_str(),
        "payloadVersion": payload_version,
        "eventTime": delivery.created_at,
        "notificationMetadata": {
            "applicationId": "tracklane",
            "subscriptionId": webhook.id,
            "publishTime": now,
            "notificationId": notification_id(webhook, delivery),
        },
        "payload": payload,
    });
    Ok(serde_json::to_vec(&body).unwrap_or_default())
}

/// The tracking detail a milestone change is about, as of now.
async fn milestone_detail(
    state: &AppState,
    delivery: &Delivery,
    base_url: &str,
) -> Result<Value, RenderError> {
    let gone = || {
        RenderError::Gone(format!(
            "tracking `{}` of shipment {} is no longer stored",
            delivery.subject, delivery.shipment_id
        ))
    };
    let (carrier, number) = delivery.tracking().ok_or_else(gone)?;
    let number = TrackingNumber::normalize(number).map_err(|_| gone())?;
    let detail = state
        .store
        .shipment(&ShipmentKey::new(delivery.shipment_id.as_str()))
        .await?
        .ok_or_else(gone)?;
    crate::spapi::tracking_detail(&detail, &number, Some(carrier), false, base_url).ok_or_else(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_or_old_time_does_not() {
        let at: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let header = sign("whsec_test", at, b"{\"a\":1}");
        assert!(header.starts_with("t=1795341600,v1="), "{header}");
        assert!(verify("whsec_test", &header, b"{\"a\":1}", at, 300));
        assert!(!verify("whsec_test", &header, b"{\"a\":2}", at, 300));
        assert!(!verify("whsec_other", &header, b"{\"a\":1}", at, 300));
        let later = at
            .checked_add(jiff::SignedDuration::from_secs(301))
            .unwrap();
        assert!(!verify("whsec_test", &header, b"{\"a\":1}", later, 300));
        assert!(!verify(
            "whsec_test",
            "t=1795341600,v1=zz",
            b"{\"a\":1}",
            at,
            300
        ));
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_time_dot_body() {
        // RFC 4231 test case 2 checks the primitive: key "Jefe".
        let mut primitive = keyed("Jefe");
        primitive.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&primitive.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Python: hmac.new(b"Jefe", b"1795341600.body", hashlib.sha256).hexdigest()
        let at: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(
            sign("Jefe", at, b"body"),
            "t=1795341600,v1=91e02867116ffdcd28dad68cabe69484c7adde2285d4550780c5a2d6b511b342"
        );
    }
}
