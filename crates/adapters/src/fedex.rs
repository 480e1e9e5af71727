//! FedEx's Track API (`POST {base}/track/v1/trackingnumbers`), behind OAuth
//! client credentials (`POST {base}/oauth/token`, with the client id and
//! secret in the form body rather than in Basic auth).
//!
//! The bearer token is kept and fetched again a minute before FedEx says it
//! expires (FedEx's last an hour), or at once when the Track API refuses it.
//! FedEx lists a package's scan events newest first; each has a two-letter
//! event type (`OC` order created, `PU` picked up, `AR` arrived, `DP`
//! departed, `OD` out for delivery, `DL` delivered, `DE` delivery exception,
//! `CD` clearance delay, …), FedEx's text, and for an exception the
//! exception's own text. The type settles most SP-API codes; for the types
//! that cover many steps (`IT` in transit, `DE`, `SE` shipment exception, …)
//! the text says what happened and the type gives the default. The adapter
//! asks for `en_US` so the words it reads are stable.
//!
//! One request takes up to [`BATCH_SIZE_MAX`] numbers, so the adapter looks
//! numbers up a batch at a time. The answer has one complete result per
//! number, each naming its number; the adapter finds each number asked by
//! that name (in any case), not by position; an answer about one number is
//! that number's throughout, as before batching. A number FedEx does not know
//! gets a result carrying an `error` (`TRACKING.TRACKINGNUMBER.NOTFOUND`)
//! and no scans; like a number the answer leaves out, it has no events.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use crate::oauth::KeptToken;
use crate::read::{
    WordTable, answer, by_words, customs_step, given, oldest_first, parse_time, place, undated,
};
use crate::{Adapter, Api, Lookup, PullError, PushEvent, PushItem};

/// FedEx's production host, for both the token and the Track API.
pub const DEFAULT_BASE_URL: &str = "https://apis.fedex.com";
/// The most numbers the Track API takes in one request.
pub const BATCH_SIZE_MAX: usize = 30;
/// The language FedEx writes its event text in: the words read here are
/// English.
const LOCALE: &str = "en_US";

/// A client of FedEx's Track API.
pub struct Fedex {
    api: Api,
    client_id: String,
    client_secret: String,
    /// The bearer token, kept between numbers.
    token: KeptToken,
}

impl Fedex {
    /// A client for the API at `base_url` (normally [`DEFAULT_BASE_URL`]) with
    /// the OAuth `client_id` (FedEx's "API key") and `client_secret` ("secret
    /// key") of a FedEx developer project, built from `http` (which says whom
    /// HTTPS trusts).
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
        self.api.http.post(self.api.url("/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ])
    }

    /// One call of the Track API for `numbers` (at most [`BATCH_SIZE_MAX`])
    /// with `bearer`, asking for every scan rather than the latest status
    /// only.
    async fn track_numbers(
        &self,
        numbers: &[&str],
        bearer: &str,
    ) -> Result<reqwest::Response, PullError> {
        let tracking_info: Vec<_> = numbers
            .iter()
            .map(|number| json!({ "trackingNumberInfo": { "trackingNumber": number } }))
            .collect();
        Ok(self
            .api
            .http
            .post(self.api.url("/track/v1/trackingnumbers"))
            .bearer_auth(bearer)
            .header("X-locale", LOCALE)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&json!({
                "includeDetailedScans": true,
                "trackingInfo": tracking_info,
            }))
            .send()
            .await?)
    }

    /// The lookup of each of `numbers` (at most [`BATCH_SIZE_MAX`]), in the
    /// order asked, from one request.
    ///
    /// # Errors
    /// When the request fails as a whole: see [`Adapter::track_many`].
    async fn track_batch(&self, numbers: &[&str]) -> Result<Vec<Lookup>, PullError> {
        let response = self
            .token
            .send(
                || self.token_request(),
                |bearer| async move { self.track_numbers(numbers, &bearer).await },
            )
            .await?;
        // FedEx answers a number it does not know with a success whose track
        // result carries an error, so no status here means "unknown".
        if !response.status().is_success() {
            return Err(crate::refusal(&response));
        }
        let body = response.bytes().await?;
        batch_events(numbers, &body)
    }
}

impl Adapter for Fedex {
    fn name(&self) -> &'static str {
        "FedEx tracking"
    }

    async fn track(&self, number: &str) -> Lookup {
        crate::only_lookup(number, self.track_many(&[number]).await?)
    }

    fn batch_size(&self) -> usize {
        BATCH_SIZE_MAX
    }

    /// Numbers past [`BATCH_SIZE_MAX`] go in further requests, each sent
    /// only once the one before is answered: a refusal stops there.
    async fn track_many(&self, numbers: &[&str]) -> Result<Vec<Lookup>, PullError> {
        crate::in_batches(numbers, BATCH_SIZE_MAX, |batch| self.track_batch(batch)).await
    }
}

#[derive(Deserialize)]
struct Answer {
    output: Output,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    #[serde(default)]
    complete_track_results: Vec<CompleteTrackResult>,
}

/// What FedEx has for one number asked about.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompleteTrackResult {
    tracking_number: Option<String>,
    #[serde(default)]
    track_results: Vec<TrackResult>,
}

impl CompleteTrackResult {
    /// Whether the result is about `number`: it names it, or one of its
    /// shipments does (in any case, since FedEx may answer in another).
    fn is_about(&self, number: &str) -> bool {
        let is_number = |named: &Option<String>| {
            given(named).is_some_and(|named| named.eq_ignore_ascii_case(number.trim()))
        };
        is_number(&self.tracking_number)
            || self
                .track_results
                .iter()
                .filter_map(|t| t.tracking_number_info.as_ref())
                .any(|info| is_number(&info.tracking_number))
    }
}

/// One shipment with the number. A number FedEx does not know gets one with
/// an `error` (`TRACKING.TRACKINGNUMBER.NOTFOUND`) and no scan events.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrackResult {
    tracking_number_info: Option<TrackingNumberInfo>,
    #[serde(default)]
    scan_events: Vec<ScanEvent>,
}

/// The number a shipment was found under.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrackingNumberInfo {
    tracking_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanEvent {
    date: Option<String>,
    event_type: Option<String>,
    event_description: Option<String>,
    exception_description: Option<String>,
    scan_location: Option<Address>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    city: Option<String>,
    state_or_province_code: Option<String>,
    country_code: Option<String>,
}

/// The events of one answer of `POST /track/v1/trackingnumbers` about
/// `number` alone, oldest first, in the push format: every result in it is
/// the number's, whatever number it names (as [`batch_events`] reads an
/// answer about one number). Scan events that tell nothing (arrival
/// forecasts, split statuses, return-label links, and types FedEx has not
/// documented without telling words) are left out. A number FedEx does not
/// know has none.
///
/// FedEx reuses tracking numbers after a while: when the answer holds more
/// than one shipment for the number, the one scanned last is taken, as the
/// others are the number's earlier lives.
///
/// # Errors
/// [`PullError::Format`] when the body is not the documented shape or a scan
/// event's time cannot be read.
pub fn events(number: &str, body: &[u8]) -> Result<Vec<PushItem>, PullError> {
    crate::only_lookup(number, batch_events(&[number], body)?)
}

/// The lookup of each of `numbers` in one answer of
/// `POST /track/v1/trackingnumbers` about them, in the order asked: the
/// number's events as [`events`] reads them, none when the answer has no
/// result about the number, or [`PullError::Format`] when a scan event's
/// time cannot be read.
///
/// A result is about a number when it names it. An answer about one number
/// is about it throughout, whatever number it names: FedEx may name a
/// number otherwise than it was asked (a shorter form of a long barcode,
/// say), and with one number asked there is no other it could be about.
///
/// # Errors
/// [`PullError::Format`] when the body is not the documented shape.
pub fn batch_events(numbers: &[&str], body: &[u8]) -> Result<Vec<Lookup>, PullError> {
    let answer: Answer = answer(body)?;
    let results = &answer.output.complete_track_results;
    let is_alone = numbers.len() == 1;
    Ok(numbers
        .iter()
        .map(|number| {
            let track_results = results
                .iter()
                .filter(|c| is_alone || c.is_about(number))
                .flat_map(|c| &c.track_results);
            latest_shipment_events(number, track_results)
        })
        .collect())
}

/// The events of `number`'s shipment scanned last among `track_results`,
/// oldest first.
///
/// # Errors
/// [`PullError::Format`] when a scan event's time cannot be read.
fn latest_shipment_events<'a>(
    number: &str,
    track_results: impl Iterator<Item = &'a TrackResult>,
) -> Result<Vec<PushItem>, PullError> {
    let mut latest: Vec<(Timestamp, PushItem)> = Vec::new();
    for track_result in track_results {
        let dated = shipment_events(number, track_result)?;
        let last_at = |events: &[(Timestamp, PushItem)]| events.last().map(|(at, _)| *at);
        if last_at(&dated) > last_at(&latest) {
            latest = dated;
        }
    }
    Ok(undated(latest))
}

/// The events of one shipment, oldest first, each with its time.
fn shipment_events(
    number: &str,
    track_result: &TrackResult,
) -> Result<Vec<(Timestamp, PushItem)>, PullError> {
    let mut dated = Vec::new();
    for event in &track_result.scan_events {
        let event_type = given(&event.event_type).unwrap_or("");
        let description = match (
            given(&event.event_description),
            given(&event.exception_description),
        ) {
            (Some(what), Some(why)) if !what.eq_ignore_ascii_case(why) => {
                Some(format!("{what}; {why}"))
            }
            (what, why) => what.or(why).map(str::to_owned),
        };
        let Some(code) = milestone_code(event_type, description.as_deref().unwrap_or("")) else {
            continue;
        };
        let date = given(&event.date).unwrap_or("");
        let occurred_at = parse_time(date).ok_or_else(|| {
            PullError::Format(format!("scan event date `{date}` is not a date and time"))
        })?;
        let item = PushEvent {
            number,
            code,
            raw_code: event_type,
            description: description.as_deref(),
            occurred_at,
            address: event.scan_location.as_ref().and_then(push_address),
        }
        .into_item();
        dated.push((occurred_at, item));
    }
    Ok(oldest_first(dated))
}

/// The push format's place of a scan location.
fn push_address(address: &Address) -> Option<serde_json::Value> {
    place(
        given(&address.city),
        given(&address.state_or_province_code),
        given(&address.country_code),
    )
}

/// Words in FedEx's text, first match wins, and the SP-API code they mean.
/// Read for the event types that cover many steps; the most telling words
/// come first.
const BY_WORDS: &WordTable = &[
    (&["refused"], "RECIPIENT_REFUSED_DELIVERY"),
    (
        &["returning", "being returned", "will be returned"],
        "UNDELIVERABLE",
    ),
    (
        &[
            "returned to shipper",
            "returned to sender",
            "return to shipper",
        ],
        "RETURNED",
    ),
    (
        &[
            "customs",
            "clearance",
            "duties",
            "broker",
            "shipment release",
            "export approved",
        ],
        "CUSTOMS",
    ),
    (&["damage"], "DAMAGED"),
    (&["lost"], "LOST"),
    (
        &[
            "customer not available",
            "recipient not available",
            "business closed",
            "delivery attempt",
            "attempted delivery",
        ],
        "DELIVERY_ATTEMPTED",
    ),
    (
        &[
            "incorrect address",
            "incorrect recipient address",
            "incomplete address",
            "address incomplete",
            "insufficient address",
            "apartment number",
        ],
        "INCORRECT_ADDRESS",
    ),
    (
        &["customer moved", "recipient moved", "has moved"],
        "CUSTOMER_MOVED",
    ),
    (
        &["redirected", "rerouted", "address updated"],
        "DELIVERY_ADDRESS_UPDATED",
    ),
    (
        &["out for delivery", "vehicle for delivery"],
        "OUT_FOR_DELIVERY",
    ),
    (
        &[
            "ready for pickup",
            "ready for recipient pickup",
            "available for pickup",
            "held for pickup",
        ],
        "READY_FOR_CUSTOMER_PICKUP",
    ),
    (&["on hold", "held at", "being held"], "CARRIER_HOLD"),
    (
        &[
            "picked up",
            "tendered",
            "dropped off",
            "in fedex possession",
        ],
        "PICKED_UP",
    ),
    (
        &["shipment information sent", "label created"],
        "BOOKING_RECEIVED",
    ),
    (
        &[
            "departed",
            "left fedex",
            "in transit",
            "on the way",
            "en route",
        ],
        "DEPARTED_TERMINAL",
    ),
    (
        &[
            "arrived",
            "at local fedex facility",
            "at fedex",
            "sort facility",
        ],
        "ARRIVED_AT_TERMINAL",
    ),
    (&["processed", "sorted"], "SORTED"),
    (&["delay"], "DELAYED"),
];

/// The SP-API code of a FedEx scan event with `event_type` (`eventType`) and
/// `description` (its text, with the exception's); `None` when neither tells
/// what happened.
///
/// Most types mean one step each. `IT`, `IX` and `OW` (in transit, on the
/// way) and `EA` (en route to the airport, or export approved) are read from
/// their words and default to a departure; `DE`, `SE`, `DY`, `DD` and `PD`
/// (exceptions and delays) to a delay; `AF` (at a local FedEx facility, or
/// tendered there) to an arrival; `PX` (picked up, see details) to a pickup;
/// `RS` (return to shipper) to the return. `CD` (clearance delay) is read
/// for duties before it defaults to a customs delay. Arrival forecasts
/// (`AO`, `AE`), split statuses, custom delivery options cancelled, return
/// label links and the notice sent to USPS tell nothing; any other type is
/// read from its words alone.
pub fn milestone_code(event_type: &str, description: &str) -> Option<&'static str> {
    let text = description.to_lowercase();
    let read = |customs_otherwise: &'static str| {
        by_words(BY_WORDS, &text).map(|code| match code {
            "CUSTOMS" => customs_step(&text, customs_otherwise),
            code => code,
        })
    };
    match event_type.trim().to_ascii_uppercase().as_str() {
        "OC" => Some("BOOKING_RECEIVED"),
        "CA" => Some("BOOKING_CANCELLED"),
        "EP" => Some("IN_TRANSIT_TO_PICKUP"),
        "PU" => Some("PICKED_UP"),
        "OF" => Some("RECEIVED_AT_ORIGIN"),
        "LO" => Some("SHIPPED"),
        "AR" | "AA" | "SF" | "FD" => Some("ARRIVED_AT_TERMINAL"),
        "DP" | "EO" => Some("DEPARTED_TERMINAL"),
        "PF" => Some("DEPARTED"),
        "PL" => Some("ARRIVED"),
        "AC" | "AX" => Some("CARRIER_TRANSFER"),
        "OD" | "ED" => Some("OUT_FOR_DELIVERY"),
        "DL" => Some("DELIVERED"),
        "HL" | "HP" => Some("READY_FOR_CUSTOMER_PICKUP"),
        "CH" => Some("DELIVERY_ADDRESS_UPDATED"),
        "RR" | "RM" => Some("DELIVERY_CHANGE_REQUESTED"),
        "CC" => Some("CUSTOMS_CLEARED"),
        "CP" => Some("CUSTOMS_PROCESSING"),
        "CD" => Some(customs_step(&text, "CUSTOMS_DELAY")),
        "RS" => Some(read("CUSTOMS_EXCEPTION").unwrap_or("RETURNED")),
        "PX" => Some(read("CUSTOMS_PROCESSING").unwrap_or("PICKED_UP")),
        "AF" => Some(read("CUSTOMS_PROCESSING").unwrap_or("ARRIVED_AT_TERMINAL")),
        "IT" | "IX" | "OW" | "EA" => {
            Some(read("CUSTOMS_PROCESSING").unwrap_or("DEPARTED_TERMINAL"))
        }
        "DE" | "SE" | "DY" | "DD" | "PD" => Some(read("CUSTOMS_EXCEPTION").unwrap_or("DELAYED")),
        "AO" | "AE" | "SP" | "RC" | "RP" | "LP" | "RG" | "RD" | "OX" => None,
        _ => read("CUSTOMS_PROCESSING"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(event_type: &str, description: &str, expected: Option<&str>) {
        assert_eq!(
            milestone_code(event_type, description),
            expected,
            "{event_type} / {description}"
        );
    }

    #[test]
    fn types_with_one_meaning_ignore_the_words() {
        check(
            "OC",
            "Shipment information sent to FedEx",
            Some("BOOKING_RECEIVED"),
        );
        check(
            "CA",
            "Shipment cancelled by sender",
            Some("BOOKING_CANCELLED"),
        );
        check("EP", "Enroute to pickup", Some("IN_TRANSIT_TO_PICKUP"));
        check("PU", "Picked up", Some("PICKED_UP"));
        check("PU", "", Some("PICKED_UP"));
        check("OF", "At FedEx origin facility", Some("RECEIVED_AT_ORIGIN"));
        check("LO", "Left FedEx origin facility", Some("SHIPPED"));
        check("AR", "Arrived at FedEx hub", Some("ARRIVED_AT_TERMINAL"));
        check("AR", "At local FedEx facility", Some("ARRIVED_AT_TERMINAL"));
        check(
            "FD",
            "At FedEx destination facility",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check(
            "DP",
            "Left FedEx origin facility",
            Some("DEPARTED_TERMINAL"),
        );
        check("DP", "Departed FedEx hub", Some("DEPARTED_TERMINAL"));
        check("PF", "Plane in flight", Some("DEPARTED"));
        check("PL", "Plane landed", Some("ARRIVED"));
        check("AX", "At USPS facility", Some("CARRIER_TRANSFER"));
        check(
            "OD",
            "On FedEx vehicle for delivery",
            Some("OUT_FOR_DELIVERY"),
        );
        check("DL", "Delivered", Some("DELIVERED"));
        check("DL", "Delivered; left at front door", Some("DELIVERED"));
        check(
            "HP",
            "Ready for recipient pickup",
            Some("READY_FOR_CUSTOMER_PICKUP"),
        );
        check("HL", "Hold at location", Some("READY_FOR_CUSTOMER_PICKUP"));
        check(
            "RR",
            "Delivery option requested",
            Some("DELIVERY_CHANGE_REQUESTED"),
        );
        check(" dl ", "", Some("DELIVERED"));
    }

    #[test]
    fn in_transit_is_read_from_its_words() {
        check("IT", "On the way", Some("DEPARTED_TERMINAL"));
        check("IT", "In transit", Some("DEPARTED_TERMINAL"));
        check("IT", "", Some("DEPARTED_TERMINAL"));
        check(
            "IT",
            "Arrived at FedEx location",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check(
            "IT",
            "At destination sort facility",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check("IT", "In FedEx possession", Some("PICKED_UP"));
        check("IX", "Package processed at hub", Some("SORTED"));
        check(
            "OW",
            "On FedEx vehicle for delivery",
            Some("OUT_FOR_DELIVERY"),
        );
        check("EA", "Enroute to airport", Some("DEPARTED_TERMINAL"));
        check("AF", "At local FedEx facility", Some("ARRIVED_AT_TERMINAL"));
        check("AF", "Tendered at FedEx Facility", Some("PICKED_UP"));
        check("PX", "", Some("PICKED_UP"));
    }

    #[test]
    fn customs_steps_are_told_apart() {
        check("CC", "Cleared customs", Some("CUSTOMS_CLEARED"));
        check("CP", "Clearance in progress", Some("CUSTOMS_PROCESSING"));
        check("CD", "Clearance delay - Import", Some("CUSTOMS_DELAY"));
        check(
            "CD",
            "Clearance delay; Package available for clearance",
            Some("CUSTOMS_DELAY"),
        );
        check(
            "CD",
            "Clearance delay; Duties and taxes are due from the recipient",
            Some("CUSTOMS_PAYMENT_REQUIRED"),
        );
        check("CD", "", Some("CUSTOMS_DELAY"));
        check(
            "IT",
            "International shipment release - Import",
            Some("CUSTOMS_CLEARED"),
        );
        check("EA", "Export approved", Some("CUSTOMS_CLEARED"));
        check("IT", "With the customs broker", Some("CUSTOMS_PROCESSING"));
        check(
            "SE",
            "Shipment exception; Held by customs for inspection",
            Some("CUSTOMS_HOLD"),
        );
        check(
            "SE",
            "Shipment exception; Customs requires more information",
            Some("CUSTOMS_EXCEPTION"),
        );
    }

    #[test]
    fn exceptions_are_read_from_their_words() {
        check(
            "DE",
            "Delivery exception; Customer not available or business closed",
            Some("DELIVERY_ATTEMPTED"),
        );
        check(
            "DE",
            "Delivery exception; Incorrect address - Apartment number or suite missing",
            Some("INCORRECT_ADDRESS"),
        );
        check(
            "DE",
            "Delivery exception; Customer refused delivery",
            Some("RECIPIENT_REFUSED_DELIVERY"),
        );
        check("DE", "Customer moved", Some("CUSTOMER_MOVED"));
        check(
            "DE",
            "FedEx redirected your package to a nearby FedEx location",
            Some("DELIVERY_ADDRESS_UPDATED"),
        );
        check("SE", "Shipment exception; Package damaged", Some("DAMAGED"));
        check("SE", "Shipment exception; Package lost", Some("LOST"));
        check(
            "SE",
            "Shipment exception; Package on hold",
            Some("CARRIER_HOLD"),
        );
        check("DY", "Delay; Package delayed", Some("DELAYED"));
        check("DE", "Delivery exception", Some("DELAYED"));
        check("SE", "", Some("DELAYED"));
        check("PD", "Pickup delay", Some("DELAYED"));
    }

    #[test]
    fn returns_tell_underway_from_done() {
        check("RS", "Returning package to shipper", Some("UNDELIVERABLE"));
        check("RS", "Returned to shipper", Some("RETURNED"));
        check("RS", "", Some("RETURNED"));
    }

    #[test]
    fn types_that_tell_nothing_are_left_out() {
        check("AO", "Shipment arriving On-Time", None);
        check("AO", "On the way; arriving on time", None);
        check("AE", "Shipment arriving early", None);
        check("SP", "Split status - multiple statuses", None);
        check("OX", "Shipment information sent to USPS", None);
        check("", "", None);
        check("ZZ", "Some new status", None);
        check("ZZ", "Departed FedEx location", Some("DEPARTED_TERMINAL"));
    }

    /// Every event type `milestone_code` names.
    const EVENT_TYPES: &[&str] = &[
        "OC", "CA", "EP", "PU", "OF", "LO", "AR", "AA", "SF", "FD", "DP", "EO", "PF", "PL", "AC",
        "AX", "OD", "ED", "DL", "HL", "HP", "CH", "RR", "RM", "CC", "CP", "CD", "RS", "PX", "AF",
        "IT", "IX", "OW", "EA", "DE", "SE", "DY", "DD", "PD", "AO", "AE", "SP", "RC", "RP", "LP",
        "RG", "RD", "OX", "", "ZZ",
    ];

    #[test]
    fn every_code_the_adapter_emits_is_an_sp_api_milestone_code() {
        crate::read::assert_only_sp_api_codes(
            EVENT_TYPES,
            BY_WORDS,
            milestone_code,
            &[
                "CUSTOMS_PAYMENT_REQUIRED",
                "CUSTOMS_CLEARED",
                "CUSTOMS_DELAY",
                "CUSTOMS_HOLD",
                "CUSTOMS_EXCEPTION",
                "CUSTOMS_PROCESSING",
            ],
        );
    }

    #[test]
    fn times_keep_their_offset_or_else_read_as_utc() {
        let at = |text: &str| Some(text.parse::<Timestamp>().unwrap());
        assert_eq!(
            parse_time("2026-03-03T06:45:00+08:00"),
            at("2026-03-02T22:45:00Z")
        );
        assert_eq!(
            parse_time("2026-03-02T22:45:00-09:00"),
            at("2026-03-03T07:45:00Z")
        );
        assert_eq!(
            parse_time("2026-03-04T13:47:00-06:00"),
            at("2026-03-04T19:47:00Z")
        );
        assert_eq!(
            parse_time("2026-03-04T13:47:00"),
            at("2026-03-04T13:47:00Z")
        );
        assert_eq!(parse_time("2026-03-04"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    /// An answer with one shipment per list of scan events.
    fn answer(shipments: &[serde_json::Value]) -> Vec<u8> {
        let track_results: Vec<_> = shipments
            .iter()
            .map(|scans| json!({ "scanEvents": scans }))
            .collect();
        json!({ "transactionId": "t-1", "output": { "completeTrackResults": [
            { "trackingNumber": "775512340016", "trackResults": track_results },
        ]}})
        .to_string()
        .into_bytes()
    }

    fn scan(event_type: &str, description: &str, date: &str) -> serde_json::Value {
        json!({
            "date": date, "eventType": event_type, "eventDescription": description,
            "exceptionCode": "", "exceptionDescription": "",
        })
    }

    fn codes(items: &[PushItem]) -> Vec<&str> {
        items
            .iter()
            .map(|i| i["status"]["code"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn events_are_sorted_by_their_instant_not_their_local_time() {
        // Newest first, as FedEx lists them, except that the arrival in
        // Anchorage is listed before the departure from Guangzhou it
        // followed; its local date is the earlier one.
        let body = answer(&[json!([
            scan("DP", "Departed FedEx hub", "2026-03-03T06:45:00+08:00"),
            scan("AR", "Arrived at FedEx hub", "2026-03-02T22:45:00-09:00"),
            scan("DP", "Departed FedEx hub", "2026-03-03T02:30:00+08:00"),
            scan("AR", "Arrived at FedEx hub", "2026-03-03T02:30:00+08:00"),
            scan("PU", "Picked up", "2026-03-02T16:05:00+08:00"),
        ])]);
        let items = events("775512340016", &body).unwrap();
        let at: Vec<_> = items
            .iter()
            .map(|i| i["occurredAt"].as_str().unwrap())
            .collect();
        assert_eq!(
            at,
            [
                "2026-03-02T08:05:00Z",
                "2026-03-02T18:30:00Z",
                "2026-03-02T18:30:00Z",
                "2026-03-02T22:45:00Z",
                "2026-03-03T07:45:00Z",
            ]
        );
        // Scans at the same time keep the order they were listed in.
        assert_eq!(
            codes(&items),
            [
                "PICKED_UP",
                "ARRIVED_AT_TERMINAL",
                "DEPARTED_TERMINAL",
                "DEPARTED_TERMINAL",
                "ARRIVED_AT_TERMINAL",
            ]
        );
    }

    #[test]
    fn an_unknown_number_has_no_events() {
        let body = json!({
            "transactionId": "t-2",
            "output": { "completeTrackResults": [{
                "trackingNumber": "775512340024",
                "trackResults": [{
                    "trackingNumberInfo": {
                        "trackingNumber": "775512340024", "trackingNumberUniqueId": "", "carrierCode": "",
                    },
                    "error": {
                        "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                        "message": "Tracking number cannot be found.",
                    },
                }],
            }]},
        });
        let items = events("775512340024", body.to_string().as_bytes()).unwrap();
        assert!(items.is_empty(), "{items:?}");
        let empty = json!({ "output": {} });
        assert!(
            events("775512340024", empty.to_string().as_bytes())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_batch_answer_is_read_number_by_number_in_the_order_asked() {
        // FedEx need not answer in the order asked: each result names its
        // number (the second in lower case, the third in its shipment only).
        let body = json!({ "output": { "completeTrackResults": [
            { "trackingNumber": "775512340032", "trackResults": [
                { "scanEvents": [scan("PU", "Picked up", "the second of March")] },
            ] },
            { "trackingNumber": "dt100000000001", "trackResults": [
                { "scanEvents": [scan("DL", "Delivered", "2026-03-04T13:47:00-06:00")] },
            ] },
            { "trackResults": [{
                "trackingNumberInfo": { "trackingNumber": "775512340016" },
                "scanEvents": [scan("PU", "Picked up", "2026-03-02T16:05:00+08:00")],
            }] },
            { "trackingNumber": "775512340024", "trackResults": [{
                "error": { "code": "TRACKING.TRACKINGNUMBER.NOTFOUND", "message": "…" },
            }] },
        ]}});
        let numbers = [
            "775512340016",
            "775512340024",
            "DT100000000001",
            "775512340040",
            "775512340032",
        ];
        let lookups = batch_events(&numbers, body.to_string().as_bytes()).unwrap();
        assert_eq!(lookups.len(), numbers.len());
        let items = |i: usize| match &lookups[i] {
            Ok(items) => items,
            Err(e) => panic!("{}: {e}", numbers[i]),
        };
        assert_eq!(codes(items(0)), ["PICKED_UP"]);
        assert_eq!(items(0)[0]["trackingNumber"], "775512340016");
        // Not found, and left out of the answer: no events either way.
        assert!(items(1).is_empty());
        assert_eq!(codes(items(2)), ["DELIVERED"]);
        assert_eq!(items(2)[0]["trackingNumber"], "DT100000000001");
        assert!(items(3).is_empty());
        // One number's unreadable scan is that number's failure alone.
        assert!(matches!(
            &lookups[4],
            Err(PullError::Format(message)) if message.contains("the second of March")
        ));
    }

    #[test]
    fn of_a_reused_number_the_shipment_scanned_last_is_taken() {
        let earlier = json!([
            scan("DL", "Delivered", "2025-11-20T10:00:00-05:00"),
            scan("PU", "Picked up", "2025-11-18T15:00:00-05:00"),
        ]);
        let current = json!([
            scan("DP", "Departed FedEx hub", "2026-03-03T06:45:00+08:00"),
            scan("PU", "Picked up", "2026-03-02T16:05:00+08:00"),
        ]);
        for shipments in [[&earlier, &current], [&current, &earlier]] {
            let body = answer(&[shipments[0].clone(), shipments[1].clone()]);
            let items = events("775512340016", &body).unwrap();
            assert_eq!(codes(&items), ["PICKED_UP", "DEPARTED_TERMINAL"]);
        }
    }

    #[test]
    fn descriptions_carry_the_exception_and_places_only_what_the_push_format_takes() {
        let body = answer(&[json!([{
            "date": "2026-03-10T14:12:00-05:00",
            "eventType": "DE",
            "eventDescription": "Delivery exception",
            "exceptionCode": "07",
            "exceptionDescription": "Customer refused delivery",
            "scanLocation": {
                "streetLines": [""], "city": "NAPERVILLE", "stateOrProvinceCode": "IL",
                "postalCode": "60563", "countryCode": "US", "residential": false,
                "countryName": "United States",
            },
            "locationType": "DELIVERY_LOCATION",
            "derivedStatusCode": "DE",
            "derivedStatus": "Delivery exception",
        }, {
            "date": "2026-03-09T10:15:00-04:00",
            "eventType": "OC",
            "eventDescription": "Shipment information sent to FedEx",
            "exceptionDescription": "Shipment information sent to FedEx",
            "scanLocation": { "streetLines": [""], "countryCode": "us", "residential": false },
        }])]);
        let items = events("775512340032", &body).unwrap();
        let refused = &items[1];
        assert_eq!(refused["trackingNumber"], "775512340032");
        assert_eq!(refused["status"]["code"], "RECIPIENT_REFUSED_DELIVERY");
        assert_eq!(refused["status"]["rawCode"], "DE");
        assert_eq!(
            refused["status"]["description"],
            "Delivery exception; Customer refused delivery"
        );
        assert_eq!(
            refused["location"],
            json!({ "address": { "city": "NAPERVILLE", "region": "IL", "countryCode": "US" } })
        );
        let booked = &items[0];
        assert_eq!(
            booked["status"]["description"],
            "Shipment information sent to FedEx"
        );
        assert!(booked.get("location").is_none(), "{booked}");
    }

    #[test]
    fn bodies_in_another_shape_or_with_unreadable_times_are_refused() {
        assert!(matches!(
            events("775512340016", b"{\"completeTrackResults\":[]}"),
            Err(PullError::Format(_))
        ));
        assert!(matches!(
            events("775512340016", b"not json"),
            Err(PullError::Format(_))
        ));
        let body = answer(&[json!([scan("PU", "Picked up", "the second of March")])]);
        assert!(matches!(
            events("775512340016", &body),
            Err(PullError::Format(message)) if message.contains("the second of March")
        ));
        // A scan that tells nothing is left out before its time is read.
        let body = answer(&[json!([scan("AO", "Shipment arriving On-Time", "soon")])]);
        assert!(events("775512340016", &body).unwrap().is_empty());
    }
}
