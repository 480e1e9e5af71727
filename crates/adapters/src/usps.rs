//! USPS's Tracking API, version 3 (`GET {base}/tracking/v3/tracking/{number}`
//! with `expand=DETAIL`), behind OAuth client credentials
//! (`POST {base}/oauth2/v3/token`, with the client id and secret in the form
//! body and the `tracking` scope asked for).
//!
//! The bearer token is kept and fetched again a minute before USPS says it
//! expires (integrators report eight hours), or at once when the Tracking
//! API refuses it. A number USPS has no tracking for is answered 404, which
//! here means "no events yet": USPS also answers so for a label whose data
//! has not reached it.
//!
//! USPS lists a package's tracking events newest first. Each has USPS's text
//! (`eventType`) and, for most scans, a two-character code from the scan
//! event tables of USPS Publication 199 (`01` delivered, `02` notice left,
//! `03` accepted or picked up, `07` arrived at the post office, `OF` out for
//! delivery, `09`, `21`–`29` and `31` return to sender with its reason, …).
//! The code settles most SP-API codes; for the codes that cover several
//! steps and for events without a code (often those abroad and in customs),
//! USPS's words say what happened.
//!
//! Times: `eventTimestamp` is the local time of the scan, sometimes written
//! with a `Z` that does not make it UTC, so the adapter takes `GMTTimestamp`
//! (the instant in UTC) when USPS gives it, and otherwise reads the local
//! time at `GMTOffset`.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use serde::Deserialize;

use crate::oauth::KeptToken;
use crate::read::{
    WordTable, answer, by_words, customs_step, given, oldest_first, parse_time, place, undated,
};
use crate::{Adapter, Api, PullError, PushEvent, PushItem};

/// USPS's production host, for both the token and the Tracking API.
pub const DEFAULT_BASE_URL: &str = "https://apis.usps.com";
/// The one OAuth scope the adapter needs: a token that can only read
/// tracking is all it asks for.
const SCOPE: &str = "tracking";

/// A client of USPS's Tracking API.
pub struct Usps {
    api: Api,
    client_id: String,
    client_secret: String,
    /// The bearer token, kept between numbers.
    token: KeptToken,
}

impl Usps {
    /// A client for the API at `base_url` (normally [`DEFAULT_BASE_URL`]) with
    /// the OAuth `client_id` ("consumer key") and `client_secret` ("consumer
    /// secret") of an app on USPS's developer portal, built from `http` (which
    /// says whom HTTPS trusts).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        http: reqwest::ClientBuilder,
        base_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Self, PullError> {
        Ok(Self {
            api: Api::new(http, base_url)?,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token: KeptToken::new(),
        })
    }

    /// The request for a new token: the client credentials in the form body.
    fn token_request(&self) -> reqwest::RequestBuilder {
        self.api.http.post(self.api.url("/oauth2/v3/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("scope", SCOPE),
        ])
    }

    /// One call of the Tracking API for `number` with `bearer`, asking for
    /// every event in fields (`DETAIL`) rather than a line of summary text.
    async fn tracking(&self, number: &str, bearer: &str) -> Result<reqwest::Response, PullError> {
        Ok(self
            .api
            .http
            .get(self.api.url(&format!(
                "/tracking/v3/tracking/{}",
                crate::path_segment(number)
            )))
            .query(&[("expand", "DETAIL")])
            .bearer_auth(bearer)
            // USPS can also answer in XML.
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?)
    }
}

impl Adapter for Usps {
    fn name(&self) -> &'static str {
        "USPS tracking"
    }

    async fn track(&self, number: &str) -> Result<Vec<PushItem>, PullError> {
        let response = self
            .token
            .send(
                || self.token_request(),
                |bearer| async move { self.tracking(number, &bearer).await },
            )
            .await?;
        // USPS answers 404 for a number it has no tracking for (yet).
        crate::events_unless_unknown(response, |body| events(number, body)).await
    }
}

/// The detailed answer (`TrackingDetails`). Its `trackingNumber` tells it
/// from the other shapes the endpoint has (the one-line summary, an error);
/// it may be written differently from the number asked for (without the
/// ZIP Code prefix of a label's barcode, say), so it is not compared.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(rename = "trackingNumber")]
    _tracking_number: String,
    /// Missing or empty before USPS has scanned the package.
    #[serde(default)]
    tracking_events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: Option<String>,
    event_code: Option<String>,
    event_timestamp: Option<String>,
    #[serde(rename = "GMTTimestamp")]
    gmt_timestamp: Option<String>,
    #[serde(rename = "GMTOffset")]
    gmt_offset: Option<String>,
    event_city: Option<String>,
    event_state: Option<String>,
    event_country: Option<String>,
}

/// The events of one answer of `GET /tracking/v3/tracking/{number}` with
/// `expand=DETAIL`, oldest first, in the push format. Events that tell
/// nothing (a delivery status not updated, "arriving on time", codes USPS
/// has not documented without telling words) are left out. A package USPS
/// has not scanned yet has none.
///
/// # Errors
/// [`PullError::Format`] when the body is not the documented shape or an
/// event's time cannot be read.
pub fn events(number: &str, body: &[u8]) -> Result<Vec<PushItem>, PullError> {
    let answer: Answer = answer(body)?;
    let mut dated = Vec::new();
    for event in &answer.tracking_events {
        let words = given(&event.event_type);
        let event_code = given(&event.event_code);
        let Some(code) = milestone_code(event_code.unwrap_or(""), words.unwrap_or("")) else {
            continue;
        };
        let occurred_at = occurred_at(event).ok_or_else(|| {
            PullError::Format(format!(
                "event time (eventTimestamp `{}`, GMTTimestamp `{}`, GMTOffset `{}`) is not a date and time",
                event.event_timestamp.as_deref().unwrap_or(""),
                event.gmt_timestamp.as_deref().unwrap_or(""),
                event.gmt_offset.as_deref().unwrap_or(""),
            ))
        })?;
        let item = PushEvent {
            number,
            code,
            // The code is the most specific USPS gives; its text stands in
            // for the events that come without one.
            raw_code: event_code.or(words).unwrap_or(""),
            description: words,
            occurred_at,
            address: place(
                given(&event.event_city),
                given(&event.event_state),
                country_code(given(&event.event_country)),
            ),
        }
        .into_item();
        dated.push((occurred_at, item));
    }
    Ok(undated(oldest_first(dated)))
}

/// When an event happened: `GMTTimestamp` when USPS gives it readably (an
/// instant; without an offset it is read as the UTC it names); else the local
/// `eventTimestamp` at `GMTOffset`; else `eventTimestamp` as it stands, with
/// its offset if it has one, or read as UTC.
fn occurred_at(event: &Event) -> Option<Timestamp> {
    if let Some(at) = given(&event.gmt_timestamp).and_then(parse_time) {
        return Some(at);
    }
    let local = given(&event.event_timestamp)?;
    let at_offset = given(&event.gmt_offset)
        .and_then(parse_offset)
        .zip(local_time(local))
        .and_then(|(offset, time)| offset.to_timestamp(time).ok());
    at_offset.or_else(|| parse_time(local))
}

/// The date and time written in `text`, whatever offset follows it: USPS
/// writes local times with a `Z` as readily as without one.
fn local_time(text: &str) -> Option<DateTime> {
    let civil = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    // A date alone says too little to order events by.
    civil.contains('T').then(|| civil.parse().ok()).flatten()
}

/// A UTC offset as USPS writes `GMTOffset`: a sign, the hours with or without
/// a leading zero, and the minutes after a colon (`-5:00`, `-05:00`,
/// `+05:30`).
fn parse_offset(text: &str) -> Option<Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    let is_digits = |t: &str, lengths: &[usize]| {
        lengths.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
    };
    if !is_digits(hours, &[1, 2]) || !is_digits(minutes, &[2]) {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes >= 60 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// The push format's country of USPS's `eventCountry`: USPS writes the
/// country of an event abroad as a name, and the only one read here is its
/// own; any other name is left for [`place`] to drop.
fn country_code(country: Option<&str>) -> Option<&str> {
    match country {
        Some(name)
            if ["UNITED STATES", "UNITED STATES OF AMERICA", "USA"]
                .iter()
                .any(|us| name.eq_ignore_ascii_case(us)) =>
        {
            Some("US")
        }
        other => other,
    }
}

/// Words in USPS's text, first match wins, and the SP-API code they mean.
/// Read for the codes that cover several steps and for events without a
/// code; the most telling words come first, and a failed delivery's reason
/// before the return it leads to.
const BY_WORDS: &WordTable = &[
    (&["refused"], "RECIPIENT_REFUSED_DELIVERY"),
    // USPS's word for a return completed; "being returned to sender" is
    // one under way.
    (&["to original sender"], "RETURNED"),
    // Before the customs row, whose words it holds.
    (&["out of customs"], "CUSTOMS_CLEARED"),
    (&["customs", "clearance", "duties"], "CUSTOMS"),
    (&["damage"], "DAMAGED"),
    (&["lost"], "LOST"),
    (
        &["missent", "mis-sent", "mis-shipped", "missort"],
        "MISSORTED",
    ),
    (
        &[
            "insufficient address",
            "no such number",
            "undeliverable as addressed",
            "incorrect address",
            "incomplete address",
        ],
        "INCORRECT_ADDRESS",
    ),
    (
        &[
            "moved, left no address",
            "moved left no address",
            "forward expired",
            "vacant",
        ],
        "CUSTOMER_MOVED",
    ),
    (
        &[
            "return to sender",
            "being returned",
            "unclaimed",
            "mail recovery",
            "dead letter",
        ],
        "UNDELIVERABLE",
    ),
    (
        &["forwarded", "redirected", "rerouted"],
        "DELIVERY_ADDRESS_UPDATED",
    ),
    (
        &[
            "notice left",
            "delivery attempted",
            "attempted delivery",
            "no access",
            "receptacle",
            "no secure location",
            "no authorized recipient",
            "business closed",
        ],
        "DELIVERY_ATTEMPTED",
    ),
    (
        &["at customer request", "redelivery scheduled"],
        "DELIVERY_CHANGE_REQUESTED",
    ),
    (&["out for delivery"], "OUT_FOR_DELIVERY"),
    (
        &[
            "available for pickup",
            "available for redelivery or pickup",
            "ready for pickup",
            "collect for pick up",
            "arrival at pickup point",
        ],
        "READY_FOR_CUSTOMER_PICKUP",
    ),
    (
        &[
            "picked up at post office",
            "picked up at postal facility",
            "picked up by agent",
        ],
        "CUSTOMER_PICKUP_COMPLETED",
    ),
    (
        &["agent for final delivery", "handoff to shipping partner"],
        "CARRIER_TRANSFER",
    ),
    (&["delivered"], "DELIVERED"),
    (&["on hold", "held at", "being held"], "CARRIER_HOLD"),
    (&["package acceptance pending"], "CARRIER_RECEIVED_SHIPMENT"),
    // A partner (a consolidator, another post) handing the package to USPS
    // near its destination.
    (
        &[
            "accepted at usps destination",
            "accepted at usps regional destination",
        ],
        "RECEIVED_FROM_CARRIER",
    ),
    (
        &[
            "in possession of item",
            "picked up",
            "accepted at",
            "acceptance",
        ],
        "PICKED_UP",
    ),
    // The post of the country of origin, before it hands the package on.
    (&["origin post is preparing"], "RECEIVED_AT_ORIGIN"),
    (&["label cancelled", "label canceled"], "BOOKING_CANCELLED"),
    (
        &[
            "label created",
            "pre-shipment",
            "shipping info",
            "expects item for mailing",
        ],
        "BOOKING_RECEIVED",
    ),
    (&["arriving late", "rescheduled"], "DELAYED"),
    (
        &[
            "departed",
            "depart from",
            "dispatched",
            "in transit to next facility",
        ],
        "DEPARTED_TERMINAL",
    ),
    (&["arrived", "arrival at"], "ARRIVED_AT_TERMINAL"),
    (&["processed", "processing", "sorting complete"], "SORTED"),
    (&["delay"], "DELAYED"),
];

/// The SP-API code of a USPS event with `event_code` (`eventCode`, empty when
/// there is none) and `description` (`eventType`); `None` when neither tells
/// what happened.
///
/// Most codes mean one step each: `MA` (pre-shipment information) and `GX`
/// (label created) a booking; `TM` and `PA` (shipment received, the package
/// not scanned yet) the carrier having the shipment; `80` a shipping partner's
/// pickup; `07` and `A1` an arrival, `SF`, `EF`, `T1`, `TL` and `82` a
/// departure, `81` an arrival at a partner's facility; `PC` sorting done;
/// `42` the handoff to a shipping partner; `OF` out for delivery; `14` and
/// `16` ready for pickup, `17` and `43` picked up by the addressee; the
/// notice-left and no-access codes (`02`, `30`, `51`–`56`) an attempt; `04`
/// a refusal; `05`, `21` and `22` an address at fault, `23`, `24` and `26`
/// an addressee gone; the other return-to-sender codes (`09`, `25`, `27`–`29`,
/// `31`) the return under way; `06` a forwarding; `08` and `15` a missort;
/// `11` (dead mail) a package that can neither be delivered nor returned;
/// `71` a delivery put off a day. `01` is a delivery, unless it was to the
/// original sender. `03` (accepted or picked up) is read for a partner's
/// handover and is otherwise a pickup; `10` (processed), `19` and `41`
/// (arrivals at a unit) are read from their words and default to sorting and
/// arrival. `DX` (delivery status not updated) tells nothing, and any other
/// code, or none, is read from its words alone, customs words among them.
pub fn milestone_code(event_code: &str, description: &str) -> Option<&'static str> {
    let text = description.to_lowercase();
    let read = || {
        by_words(BY_WORDS, &text).map(|code| match code {
            "CUSTOMS" => customs_step(&text, "CUSTOMS_PROCESSING"),
            code => code,
        })
    };
    match event_code.trim().to_ascii_uppercase().as_str() {
        "MA" | "GX" => Some("BOOKING_RECEIVED"),
        "TM" | "PA" => Some("CARRIER_RECEIVED_SHIPMENT"),
        "80" => Some("PICKED_UP"),
        "07" | "A1" | "81" => Some("ARRIVED_AT_TERMINAL"),
        "SF" | "EF" | "T1" | "TL" | "82" => Some("DEPARTED_TERMINAL"),
        "PC" => Some("SORTED"),
        "42" => Some("CARRIER_TRANSFER"),
        "OF" => Some("OUT_FOR_DELIVERY"),
        "14" | "16" => Some("READY_FOR_CUSTOMER_PICKUP"),
        "17" | "43" => Some("CUSTOMER_PICKUP_COMPLETED"),
        "02" | "30" | "51" | "52" | "53" | "54" | "55" | "56" => Some("DELIVERY_ATTEMPTED"),
        "04" => Some("RECIPIENT_REFUSED_DELIVERY"),
        "05" | "21" | "22" => Some("INCORRECT_ADDRESS"),
        "23" | "24" | "26" => Some("CUSTOMER_MOVED"),
        "09" | "25" | "27" | "28" | "29" | "31" => Some("UNDELIVERABLE"),
        "06" => Some("DELIVERY_ADDRESS_UPDATED"),
        "08" | "15" => Some("MISSORTED"),
        "11" => Some("UNDELIVERABLE_DESTROY_IN_FIELD"),
        "71" => Some("DELAYED"),
        "01" => Some(match read() {
            Some("RETURNED") => "RETURNED",
            _ => "DELIVERED",
        }),
        "03" => Some(match read() {
            Some("RECEIVED_FROM_CARRIER") => "RECEIVED_FROM_CARRIER",
            _ => "PICKED_UP",
        }),
        "10" => Some(read().unwrap_or("SORTED")),
        "19" | "41" => Some(read().unwrap_or("ARRIVED_AT_TERMINAL")),
        "DX" => None,
        _ => read(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(event_code: &str, description: &str, expected: Option<&str>) {
        assert_eq!(
            milestone_code(event_code, description),
            expected,
            "{event_code} / {description}"
        );
    }

    #[test]
    fn codes_with_one_meaning_ignore_the_words() {
        check(
            "GX",
            "Shipping Label Created, USPS Awaiting Item",
            Some("BOOKING_RECEIVED"),
        );
        check(
            "MA",
            "Pre-Shipment Info Sent to USPS, USPS Awaiting Item",
            Some("BOOKING_RECEIVED"),
        );
        check(
            "TM",
            "Shipment Received, Package Acceptance Pending",
            Some("CARRIER_RECEIVED_SHIPMENT"),
        );
        check(
            "80",
            "Picked Up by Shipping Partner, USPS Awaiting Item",
            Some("PICKED_UP"),
        );
        check("07", "Arrived at Post Office", Some("ARRIVED_AT_TERMINAL"));
        check(
            "A1",
            "Arrived at USPS Regional Facility",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check("SF", "Departed Post Office", Some("DEPARTED_TERMINAL"));
        check(
            "T1",
            "Departed USPS Regional Facility",
            Some("DEPARTED_TERMINAL"),
        );
        check(
            "TL",
            "In Transit to Next Facility",
            Some("DEPARTED_TERMINAL"),
        );
        check("PC", "Sorting Complete", Some("SORTED"));
        check(
            "42",
            "USPS Handoff to Shipping Partner",
            Some("CARRIER_TRANSFER"),
        );
        check("OF", "Out for Delivery", Some("OUT_FOR_DELIVERY"));
        check("OF", "", Some("OUT_FOR_DELIVERY"));
        check(
            "16",
            "Available for Pickup",
            Some("READY_FOR_CUSTOMER_PICKUP"),
        );
        check(
            "43",
            "Delivered, Individual Picked Up at Post Office",
            Some("CUSTOMER_PICKUP_COMPLETED"),
        );
        check(" of ", "", Some("OUT_FOR_DELIVERY"));
    }

    #[test]
    fn deliveries_tell_a_return_to_the_sender_apart() {
        check("01", "Delivered, In/At Mailbox", Some("DELIVERED"));
        check("01", "Delivered, Front Door/Porch", Some("DELIVERED"));
        check("01", "", Some("DELIVERED"));
        check("01", "Delivered, To Original Sender", Some("RETURNED"));
        // Words that mean something else do not undo the delivery.
        check("01", "Delivered, Parcel Locker", Some("DELIVERED"));
    }

    #[test]
    fn failed_deliveries_keep_their_reason() {
        check("02", "Notice Left", Some("DELIVERY_ATTEMPTED"));
        check(
            "55",
            "Notice Left (No Secure Location Available)",
            Some("DELIVERY_ATTEMPTED"),
        );
        check(
            "30",
            "Delivery Attempted - No Access to Delivery Location",
            Some("DELIVERY_ATTEMPTED"),
        );
        check("04", "Refused", Some("RECIPIENT_REFUSED_DELIVERY"));
        check("22", "Insufficient Address", Some("INCORRECT_ADDRESS"));
        check("21", "No Such Number", Some("INCORRECT_ADDRESS"));
        check(
            "05",
            "Undeliverable as Addressed",
            Some("INCORRECT_ADDRESS"),
        );
        check("23", "Moved, Left No Address", Some("CUSTOMER_MOVED"));
        check("26", "Vacant", Some("CUSTOMER_MOVED"));
        check("09", "Return to Sender", Some("UNDELIVERABLE"));
        check(
            "27",
            "Unclaimed/Being Returned to Sender",
            Some("UNDELIVERABLE"),
        );
        check("06", "Forwarded", Some("DELIVERY_ADDRESS_UPDATED"));
        check("08", "Missent", Some("MISSORTED"));
        check("11", "Dead Letter", Some("UNDELIVERABLE_DESTROY_IN_FIELD"));
        check("71", "Rescheduled to Next Delivery Day", Some("DELAYED"));
    }

    #[test]
    fn coarse_codes_are_read_from_their_words() {
        check("03", "USPS in possession of item", Some("PICKED_UP"));
        check("03", "Accepted at USPS Origin Facility", Some("PICKED_UP"));
        check("03", "", Some("PICKED_UP"));
        check(
            "03",
            "Accepted at USPS Destination Facility",
            Some("RECEIVED_FROM_CARRIER"),
        );
        check(
            "10",
            "Arrived at USPS Regional Origin Facility",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check("10", "Processed Through Facility", Some("SORTED"));
        check("10", "", Some("SORTED"));
        check("41", "", Some("ARRIVED_AT_TERMINAL"));
    }

    #[test]
    fn events_without_a_known_code_are_read_from_their_words() {
        check("", "Arrived at Hub", Some("ARRIVED_AT_TERMINAL"));
        check(
            "",
            "Dispatched from USPS International Service Center",
            Some("DEPARTED_TERMINAL"),
        );
        check(
            "",
            "Departed Shipping Partner Facility, USPS Awaiting Item",
            Some("DEPARTED_TERMINAL"),
        );
        check(
            "",
            "Arrived Shipping Partner Facility, USPS Awaiting Item",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check(
            "",
            "Delivered to Agent for Final Delivery",
            Some("CARRIER_TRANSFER"),
        );
        check("ZZ", "Delivered, Left with Individual", Some("DELIVERED"));
        check(
            "",
            "Held at Post Office, At Customer Request",
            Some("DELIVERY_CHANGE_REQUESTED"),
        );
        check("", "Label Cancelled", Some("BOOKING_CANCELLED"));
        check(
            "",
            "Origin Post is Preparing Shipment",
            Some("RECEIVED_AT_ORIGIN"),
        );
        check("", "In Transit, Arriving Late", Some("DELAYED"));
        check("", "Processed Through Regional Facility", Some("SORTED"));
        check("", "Some new kind of scan", None);
        check("", "", None);
    }

    #[test]
    fn customs_steps_are_told_apart() {
        check("", "Inbound Into Customs", Some("CUSTOMS_PROCESSING"));
        check("", "Customs Clearance", Some("CUSTOMS_PROCESSING"));
        check("", "Held in Customs", Some("CUSTOMS_HOLD"));
        check(
            "",
            "Customs Clearance Processing Complete",
            Some("CUSTOMS_CLEARED"),
        );
        check("", "Inbound Out of Customs", Some("CUSTOMS_CLEARED"));
        check("", "Released from US Customs", Some("CUSTOMS_CLEARED"));
        check(
            "ZZ",
            "Customs duties due from the recipient",
            Some("CUSTOMS_PAYMENT_REQUIRED"),
        );
    }

    /// A forecast, or USPS saying it has nothing new: no row of the table may
    /// take these words for a step.
    #[test]
    fn events_that_tell_nothing_are_left_out() {
        check("DX", "Delivery Status Not Updated", None);
        check("ZZ", "Delivery Status Not Updated", None);
        check("", "In Transit, Arriving On Time", None);
        check("ZZ", "In Transit, Arriving On Time", None);
    }

    /// Every event code `milestone_code` names, with none and one it does not.
    const EVENT_CODES: &[&str] = &[
        "MA", "GX", "TM", "PA", "80", "07", "A1", "81", "SF", "EF", "T1", "TL", "82", "PC", "42",
        "OF", "14", "16", "17", "43", "02", "30", "51", "52", "53", "54", "55", "56", "04", "05",
        "21", "22", "23", "24", "26", "09", "25", "27", "28", "29", "31", "06", "08", "15", "11",
        "71", "01", "03", "10", "19", "41", "DX", "", "ZZ",
    ];

    #[test]
    fn every_code_the_adapter_emits_is_an_sp_api_milestone_code() {
        crate::read::assert_only_sp_api_codes(
            EVENT_CODES,
            BY_WORDS,
            milestone_code,
            &[
                "CUSTOMS_PAYMENT_REQUIRED",
                "CUSTOMS_CLEARED",
                "CUSTOMS_DELAY",
                "CUSTOMS_HOLD",
                "CUSTOMS_PROCESSING",
                "RECEIVED_FROM_CARRIER",
                "UNDELIVERABLE_DESTROY_IN_FIELD",
            ],
        );
    }

    fn event(code: &str, words: &str, local: &str, gmt: &str, offset: &str) -> serde_json::Value {
        json!({
            "eventType": words, "eventTimestamp": local, "GMTTimestamp": gmt,
            "GMTOffset": offset, "eventCountry": null, "eventCity": "HERNANDO",
            "eventState": "FL", "eventZIP": "34442", "firm": null, "name": null,
            "authorizedAgent": false, "eventCode": code,
        })
    }

    fn answer(events: &[serde_json::Value]) -> Vec<u8> {
        json!({
            "trackingNumber": "9400111206217011894085",
            "statusCategory": "Delivered",
            "trackingEvents": events,
        })
        .to_string()
        .into_bytes()
    }

    fn field<'a>(items: &'a [PushItem], name: &str) -> Vec<&'a str> {
        items.iter().map(|i| i[name].as_str().unwrap()).collect()
    }

    fn codes(items: &[PushItem]) -> Vec<&str> {
        items
            .iter()
            .map(|i| i["status"]["code"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn times_are_the_utc_instant_else_the_local_time_at_its_offset() {
        let at = |e: serde_json::Value| {
            let items = events("9400111206217011894085", &answer(&[e])).unwrap();
            items[0]["occurredAt"].as_str().unwrap().to_owned()
        };
        // The instant wins over a local time that disagrees with it.
        assert_eq!(
            at(event(
                "01",
                "Delivered",
                "2026-03-13T13:58:00",
                "2026-03-13T18:58:40Z",
                "-05:00"
            )),
            "2026-03-13T18:58:40Z"
        );
        assert_eq!(
            at(event("01", "Delivered", "", "2026-03-13T18:58:40.041Z", "")),
            "2026-03-13T18:58:40.041Z"
        );
        // Without it, the local time at its offset, even when written with
        // a `Z`.
        assert_eq!(
            at(event(
                "01",
                "Delivered",
                "2026-03-13T13:58:00Z",
                "",
                "-5:00"
            )),
            "2026-03-13T18:58:00Z"
        );
        assert_eq!(
            at(event(
                "01",
                "Delivered",
                "2026-03-13T10:58:00",
                "",
                "-08:00"
            )),
            "2026-03-13T18:58:00Z"
        );
        // Without either, the local time read as it stands.
        assert_eq!(
            at(event("01", "Delivered", "2026-03-13T13:58:00", "", "")),
            "2026-03-13T13:58:00Z"
        );
        assert_eq!(
            at(event(
                "01",
                "Delivered",
                "2026-03-13T13:58:00",
                "soon",
                "later"
            )),
            "2026-03-13T13:58:00Z"
        );
    }

    #[test]
    fn offsets_are_read_as_usps_writes_them() {
        let seconds = |t| parse_offset(t).map(|o: Offset| o.seconds());
        assert_eq!(seconds("-7:00"), Some(-7 * 3600));
        assert_eq!(seconds("-05:00"), Some(-5 * 3600));
        assert_eq!(seconds("+05:30"), Some(5 * 3600 + 1800));
        assert_eq!(seconds("+00:00"), Some(0));
        assert_eq!(seconds("05:00"), None);
        assert_eq!(seconds("-5"), None);
        assert_eq!(seconds("-05:0"), None);
        assert_eq!(seconds("-25:00"), None);
        assert_eq!(seconds("-05:75"), None);
        assert_eq!(seconds(""), None);
    }

    #[test]
    fn events_come_oldest_first_and_equal_times_in_the_order_they_happened() {
        // Newest first, as USPS lists them; the arrival and the sort at the
        // same minute were listed sort first.
        let body = answer(&[
            event("OF", "Out for Delivery", "", "2026-03-13T13:10:00Z", ""),
            event("PC", "Sorting Complete", "", "2026-03-13T12:59:00Z", ""),
            event(
                "07",
                "Arrived at Post Office",
                "",
                "2026-03-13T12:59:00Z",
                "",
            ),
            event(
                "MA",
                "Pre-Shipment Info Sent to USPS",
                "",
                "2026-03-10T04:12:00Z",
                "",
            ),
        ]);
        let items = events("9400111206217011894085", &body).unwrap();
        assert_eq!(
            codes(&items),
            [
                "BOOKING_RECEIVED",
                "ARRIVED_AT_TERMINAL",
                "SORTED",
                "OUT_FOR_DELIVERY",
            ]
        );
        assert_eq!(
            field(&items, "occurredAt"),
            [
                "2026-03-10T04:12:00Z",
                "2026-03-13T12:59:00Z",
                "2026-03-13T12:59:00Z",
                "2026-03-13T13:10:00Z",
            ]
        );
    }

    #[test]
    fn raw_codes_descriptions_and_places_keep_what_usps_said() {
        let mut abroad = event(
            "",
            "Processed Through Facility",
            "",
            "2026-03-08T02:10:00Z",
            "",
        );
        abroad["eventCity"] = json!("GUANGZHOU");
        abroad["eventState"] = json!(null);
        abroad["eventCountry"] = json!("CHINA");
        let mut at_home = event(
            "10",
            "Processed Through Facility",
            "",
            "2026-03-09T02:10:00Z",
            "",
        );
        at_home["eventCity"] = json!("ISC LOS ANGELES CA (USPS)");
        at_home["eventState"] = json!(null);
        at_home["eventCountry"] = json!("United States");
        let mut nowhere = event(
            "GX",
            "Shipping Label Created",
            "",
            "2026-03-07T02:10:00Z",
            "",
        );
        nowhere["eventCity"] = json!("");
        nowhere["eventState"] = json!(null);
        nowhere["eventCode"] = json!(null);
        nowhere["eventCountry"] = json!("us");
        let items = events("LX123456785CN", &answer(&[at_home, abroad, nowhere])).unwrap();
        let [nowhere, abroad, at_home] = items.as_slice() else {
            panic!("{items:?}");
        };
        assert_eq!(abroad["trackingNumber"], "LX123456785CN");
        // Without a code, its text stands in for it.
        assert_eq!(abroad["status"]["rawCode"], "Processed Through Facility");
        assert_eq!(
            abroad["status"]["description"],
            "Processed Through Facility"
        );
        assert_eq!(
            abroad["location"],
            json!({ "address": { "city": "GUANGZHOU" } })
        );
        assert_eq!(at_home["status"]["rawCode"], "10");
        assert_eq!(
            at_home["location"],
            json!({ "address": { "city": "ISC LOS ANGELES CA (USPS)", "countryCode": "US" } })
        );
        assert_eq!(nowhere["status"]["code"], "BOOKING_RECEIVED");
        assert!(nowhere.get("location").is_none(), "{nowhere}");
        let domestic = events(
            "9400111206217011894085",
            &answer(&[event("01", "Delivered", "", "2026-03-13T18:58:40Z", "")]),
        )
        .unwrap();
        assert_eq!(
            domestic[0]["location"],
            json!({ "address": { "city": "HERNANDO", "region": "FL" } })
        );
    }

    #[test]
    fn a_package_not_scanned_yet_has_no_events() {
        let waiting = json!({
            "trackingNumber": "9400111206217011894085",
            "statusCategory": "Pre-Shipment",
            "statusSummary": "A status update is not yet available on your package.",
        });
        assert!(
            events("9400111206217011894085", waiting.to_string().as_bytes())
                .unwrap()
                .is_empty()
        );
        assert!(
            events("9400111206217011894085", &answer(&[]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bodies_in_another_shape_or_with_unreadable_times_are_refused() {
        // The error object USPS answers 404 with, and the summary shape.
        let error = json!({
            "apiVersion": "v3",
            "error": { "code": "404", "message": "Tracking is not available for this item." },
        });
        assert!(matches!(
            events("9400111206217011894085", error.to_string().as_bytes()),
            Err(PullError::Format(_))
        ));
        let summary = json!({ "TrackResults": { "TrackInfo": { "TrackSummary": "Delivered" } } });
        assert!(matches!(
            events("9400111206217011894085", summary.to_string().as_bytes()),
            Err(PullError::Format(_))
        ));
        assert!(matches!(
            events("9400111206217011894085", b"not json"),
            Err(PullError::Format(_))
        ));
        let body = answer(&[event("01", "Delivered", "the thirteenth", "", "-05:00")]);
        assert!(matches!(
            events("9400111206217011894085", &body),
            Err(PullError::Format(message)) if message.contains("the thirteenth")
        ));
        // A date alone is not enough to order events by.
        let body = answer(&[event("01", "Delivered", "2026-03-13", "", "-05:00")]);
        assert!(matches!(
            events("9400111206217011894085", &body),
            Err(PullError::Format(_))
        ));
        // An event that tells nothing is left out before its time is read.
        let body = answer(&[event("DX", "Delivery Status Not Updated", "", "", "")]);
        assert!(events("9400111206217011894085", &body).unwrap().is_empty());
    }
}
