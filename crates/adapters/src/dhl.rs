//! DHL's Shipment Tracking – Unified API (`GET {base}/track/shipments?trackingNumber=…`,
//! key in the `DHL-API-Key` header). One API for DHL Express, Parcel, eCommerce
//! and Freight.
//!
//! Each event has a coarse `statusCode` (`pre-transit`, `transit`,
//! `delivered`, `failure`, `unknown`) and DHL's text. The SP-API code is read
//! from both: the text says what happened (picked up, customs, out for
//! delivery, …), the status code settles what the text does not. The
//! adapter asks for English text so the words it reads are stable.

use serde::Deserialize;

use crate::read::{WordTable, answer, by_words, customs_step, parse_time, place};
use crate::{Adapter, Api, PullError, PushEvent, PushItem};

/// DHL's production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api-eu.dhl.com";

/// A client of DHL's unified tracking API.
pub struct Dhl {
    api: Api,
    api_key: String,
}

impl Dhl {
    /// A client for the API at `base_url` (normally [`DEFAULT_BASE_URL`]) with
    /// `api_key`, built from `http` (which says whom HTTPS trusts).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        http: reqwest::ClientBuilder,
        base_url: &str,
        api_key: &str,
    ) -> Result<Self, PullError> {
        Ok(Self {
            api: Api::new(http, base_url)?,
            api_key: api_key.to_owned(),
        })
    }
}

impl Adapter for Dhl {
    fn name(&self) -> &'static str {
        "DHL unified tracking"
    }

    async fn track(&self, number: &str) -> Result<Vec<PushItem>, PullError> {
        let response = self
            .api
            .http
            .get(self.api.url("/track/shipments"))
            .query(&[("trackingNumber", number), ("language", "en")])
            .header("DHL-API-Key", &self.api_key)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        // DHL answers 404 for a number it has no events for yet.
        crate::events_unless_unknown(response, |body| events(number, body)).await
    }
}

#[derive(Deserialize)]
struct Answer {
    shipments: Vec<Shipment>,
}

#[derive(Deserialize)]
struct Shipment {
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    timestamp: String,
    location: Option<Place>,
    status_code: Option<String>,
    status: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Place {
    address: Option<Address>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    country_code: Option<String>,
    address_locality: Option<String>,
}

/// The events of one answer of `GET /track/shipments` for `number`, oldest
/// first, in the push format. Events whose meaning cannot be told (DHL's
/// `unknown` with no telling words) are left out.
///
/// # Errors
/// [`PullError::Format`] when the body is not the documented shape or an
/// event's time cannot be read.
pub fn events(number: &str, body: &[u8]) -> Result<Vec<PushItem>, PullError> {
    let answer: Answer = answer(body)?;
    let mut items = Vec::new();
    for event in answer.shipments.iter().flat_map(|s| &s.events) {
        let status_code = event.status_code.as_deref().unwrap_or("unknown");
        let text = [event.status.as_deref(), event.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        let Some(code) = milestone_code(status_code, &text) else {
            continue;
        };
        let occurred_at = parse_time(&event.timestamp).ok_or_else(|| {
            PullError::Format(format!(
                "event time `{}` is not a date and time",
                event.timestamp
            ))
        })?;
        let address = event.location.as_ref().and_then(|l| l.address.as_ref());
        items.push(
            PushEvent {
                number,
                code,
                raw_code: status_code,
                // DHL's `status` often repeats the status code; its
                // `description` is the scan's own words.
                description: event.description.as_deref().or(event.status.as_deref()),
                occurred_at,
                address: address.and_then(|a| {
                    place(
                        a.address_locality.as_deref(),
                        None,
                        a.country_code.as_deref(),
                    )
                }),
            }
            .into_item(),
        );
    }
    items.sort_by(|a, b| a["occurredAt"].as_str().cmp(&b["occurredAt"].as_str()));
    Ok(items)
}

/// Words in DHL's text, first match wins, and the SP-API code they mean.
/// Checked before the status code, since `transit` covers everything from the
/// pickup to the last depot.
const BY_WORDS: &WordTable = &[
    (&["refused"], "RECIPIENT_REFUSED_DELIVERY"),
    (
        &["returned to shipper", "return to sender", "being returned"],
        "RETURNED",
    ),
    (&["customs", "clearance"], "CUSTOMS"),
    (&["on hold", "held at"], "CARRIER_HOLD"),
    (
        &[
            "out for delivery",
            "with delivery courier",
            "with courier for delivery",
            "on the way to the recipient",
        ],
        "OUT_FOR_DELIVERY",
    ),
    (
        &[
            "delivery attempt",
            "attempted delivery",
            "could not be delivered",
            "recipient not at home",
        ],
        "DELIVERY_ATTEMPTED",
    ),
    (
        &[
            "incorrect address",
            "address is incorrect",
            "insufficient address",
            "wrong address",
        ],
        "INCORRECT_ADDRESS",
    ),
    (
        &[
            "ready for pickup",
            "available for pickup",
            "ready for collection",
            "packstation",
            "parcel locker",
            "service point",
        ],
        "READY_FOR_CUSTOMER_PICKUP",
    ),
    (&["damaged"], "DAMAGED"),
    (&["lost"], "LOST"),
    (
        &[
            "picked up",
            "collected from",
            "accepted at",
            "handed over by the sender",
            "posted",
        ],
        "PICKED_UP",
    ),
    (
        &[
            "shipment information received",
            "electronically",
            "label created",
            "data transmitted",
        ],
        "BOOKING_RECEIVED",
    ),
    (
        &[
            "departed",
            "in transit",
            "forwarded",
            "left the",
            "en route",
        ],
        "DEPARTED_TERMINAL",
    ),
    (&["arrived", "arrival"], "ARRIVED_AT_TERMINAL"),
    (&["processed", "sorted", "sorting"], "SORTED"),
    (&["delay"], "DELAYED"),
];

/// The SP-API code of a DHL event with `status_code` and `text`; `None` when
/// neither tells what happened.
pub fn milestone_code(status_code: &str, text: &str) -> Option<&'static str> {
    if status_code == "delivered" {
        return Some("DELIVERED");
    }
    let text = text.to_lowercase();
    match by_words(BY_WORDS, &text) {
        Some("CUSTOMS") => Some(customs_step(&text, "CUSTOMS_PROCESSING")),
        Some(code) => Some(code),
        None => match status_code {
            "pre-transit" => Some("BOOKING_RECEIVED"),
            "transit" => Some("DEPARTED_TERMINAL"),
            "failure" => Some("DELAYED"),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_decides_and_the_status_code_settles_the_rest() {
        let cases = [
            ("transit", "Shipment picked up", "PICKED_UP"),
            ("transit", "Processed at HONG KONG - HONG KONG", "SORTED"),
            (
                "transit",
                "Departed Facility in LEIPZIG - GERMANY",
                "DEPARTED_TERMINAL",
            ),
            (
                "transit",
                "Arrived at DHL Sort Facility CINCINNATI HUB - USA",
                "ARRIVED_AT_TERMINAL",
            ),
            ("transit", "Customs status updated", "CUSTOMS_PROCESSING"),
            ("failure", "Clearance delay - Import", "CUSTOMS_DELAY"),
            (
                "failure",
                "Customs clearance: awaiting further information",
                "CUSTOMS_HOLD",
            ),
            (
                "transit",
                "Clearance processing complete at CINCINNATI HUB - USA (customs)",
                "CUSTOMS_CLEARED",
            ),
            (
                "failure",
                "Customs duties and taxes must be paid before delivery",
                "CUSTOMS_PAYMENT_REQUIRED",
            ),
            (
                "transit",
                "Shipment is out with courier for delivery",
                "OUT_FOR_DELIVERY",
            ),
            ("transit", "With delivery courier", "OUT_FOR_DELIVERY"),
            (
                "failure",
                "Delivery attempted; recipient not at home",
                "DELIVERY_ATTEMPTED",
            ),
            (
                "failure",
                "The recipient refused the shipment",
                "RECIPIENT_REFUSED_DELIVERY",
            ),
            (
                "transit",
                "Ready for pickup at the DHL Service Point",
                "READY_FOR_CUSTOMER_PICKUP",
            ),
            ("delivered", "Delivered - Signed for by: JANE", "DELIVERED"),
            (
                "pre-transit",
                "Shipment information received",
                "BOOKING_RECEIVED",
            ),
            ("pre-transit", "Label printed", "BOOKING_RECEIVED"),
            ("failure", "Shipment on hold", "CARRIER_HOLD"),
            ("failure", "Unexpected event", "DELAYED"),
            ("transit", "Status update", "DEPARTED_TERMINAL"),
        ];
        for (status_code, text, code) in cases {
            assert_eq!(
                milestone_code(status_code, text),
                Some(code),
                "{status_code} / {text}"
            );
        }
        assert_eq!(milestone_code("unknown", "Status update"), None);
    }

    #[test]
    fn every_code_the_adapter_emits_is_an_sp_api_milestone_code() {
        crate::read::assert_only_sp_api_codes(
            &["pre-transit", "transit", "delivered", "failure", "unknown"],
            BY_WORDS,
            milestone_code,
            &[
                "DELIVERED",
                "CUSTOMS_PAYMENT_REQUIRED",
                "CUSTOMS_DELAY",
                "CUSTOMS_HOLD",
            ],
        );
    }
}
