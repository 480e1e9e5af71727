//! 17TRACK's Tracking API, version 2.2 (`POST {base}/gettrackinfo` and
//! `POST {base}/register`, each with a JSON list of numbers and the key in
//! the `17token` header). One key covers the Chinese lines that never push
//! to the hub (YunExpress, Yanwen, 4PX, Cainiao, China Post and its ePacket,
//! China EMS, SF) together with the posts and couriers that deliver their
//! parcels the last mile.
//!
//! Both calls take up to [`BATCH_SIZE_MAX`] numbers, so the adapter looks
//! numbers up a batch at a time: a poller with 1,500 numbers sends 38
//! requests a round rather than 1,500, which at 17TRACK's rate limit (about
//! three requests a second) is the difference between seconds and minutes.
//!
//! 17TRACK only follows numbers registered with it, and registering one
//! uses one unit of the account's quota. A batch is therefore read with one
//! `gettrackinfo` first. The numbers 17TRACK answers that it does not follow
//! are registered together, with one `register` (without a carrier, so
//! 17TRACK tells each carrier from the number), and have "no events yet":
//! 17TRACK fetches the carriers' scans in the background, and the next round
//! reads them.
//!
//! 17TRACK answers with two lists, the numbers it took and those it refused
//! with why, in an order of its own; the adapter finds each number asked in
//! them, in any case. A number in neither list is a failure of that number
//! ([`PullError::Format`]), not "no events": taking it for "no events" would
//! leave a number 17TRACK does not follow unregistered, and unread, for good.
//!
//! An answer holds one list of events per provider: the line that took the
//! parcel in China, and the carrier that delivers it, when 17TRACK knows
//! that one too. Each list is newest first. The adapter merges them oldest
//! first, keeping once an event both report word for word.
//!
//! 17TRACK classifies each event with a sub-status (`InTransit_Departure`,
//! `Exception_Lost`, …) and often a stage (`PickedUp`, `Delivered`, …). The
//! sub-status is the precise one and decides first; where it is a catch-all
//! (`InTransit_Other`, `Exception_Other`, …) the stage decides, then the
//! English words of the event, and last the catch-all's own family. Customs
//! words tell the customs steps apart, since 17TRACK has fewer of those than
//! the SP-API model.
//!
//! HTTP 404 here means a wrong address, never an unknown number: 17TRACK
//! answers every request about numbers with 200 and says in the body which
//! numbers it took and which it refused, and why.

use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::read::{WordTable, answer, by_words, customs_step, given, parse_time, place};
use crate::{Adapter, Api, Lookup, PullError, PushEvent, PushItem};

/// 17TRACK's production endpoint for version 2.2 of the API.
pub const DEFAULT_BASE_URL: &str = "https://api.17track.net/track/v2.2";
/// The most numbers 17TRACK takes in one `gettrackinfo` or `register`.
pub const BATCH_SIZE_MAX: usize = 40;
/// The request header that carries the key.
const KEY_HEADER: &str = "17token";
/// A number's rejection: it is registered already (registering it again is
/// then nothing to worry about).
const ALREADY_REGISTERED: i64 = -18_019_901;
/// A number's rejection: it is not registered, so 17TRACK does not follow it.
const NOT_REGISTERED: i64 = -18_019_902;
/// A number's rejection: registered, but 17TRACK has nothing for it yet.
const NO_TRACKING_YET: i64 = -18_019_909;

/// A client of 17TRACK's Tracking API.
pub struct SeventeenTrack {
    api: Api,
    key: String,
}

impl SeventeenTrack {
    /// A client for the API at `base_url` (normally [`DEFAULT_BASE_URL`])
    /// with the account's `key` (its "17token"), built from `http` (which
    /// says whom HTTPS trusts).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(http: reqwest::ClientBuilder, base_url: &str, key: &str) -> Result<Self, PullError> {
        Ok(Self {
            api: Api::new(http, base_url)?,
            key: key.to_owned(),
        })
    }

    /// One call of `path` about `numbers` (at most [`BATCH_SIZE_MAX`]), and
    /// what 17TRACK made of it.
    ///
    /// # Errors
    /// [`crate::refusal`]'s error for an answer that is not a success,
    /// [`PullError::Http`] when 17TRACK cannot be reached, and
    /// [`PullError::Format`] when its body cannot be read.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        numbers: &[&str],
    ) -> Result<Reply<T>, PullError> {
        let body: Vec<Number<'_>> = numbers.iter().map(|&number| Number { number }).collect();
        let response = self
            .api
            .http
            .post(self.api.url(path))
            .header(KEY_HEADER, &self.key)
            .json(&body)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(crate::refusal(&response));
        }
        read_reply(&response.bytes().await?)
    }

    /// The lookup of each of `numbers` (at most [`BATCH_SIZE_MAX`]), in the
    /// order asked: one `gettrackinfo` for them all, then one `register` for
    /// those 17TRACK does not follow yet, if any.
    ///
    /// # Errors
    /// When either request fails as a whole: see [`Adapter::track_many`].
    /// `register` refusing the request with a code of its own (a used-up
    /// quota, say) is each unregistered number's failure instead, since the
    /// numbers registered before can still be read.
    async fn track_batch(&self, numbers: &[&str]) -> Result<Vec<Lookup>, PullError> {
        let found = lookups(numbers, self.call("/gettrackinfo", numbers).await?)?;
        let unregistered: Vec<&str> = numbers
            .iter()
            .zip(&found)
            .filter(|(_, found)| matches!(found, Ok(Found::NotRegistered)))
            .map(|(&number, _)| number)
            .collect();
        // With nothing to register, no request: an empty reply stands in
        // for it, and is never read since no number needs it.
        let registered = if unregistered.is_empty() {
            Reply::Data(Data {
                accepted: None,
                rejected: None,
            })
        } else {
            self.call("/register", &unregistered).await?
        };
        Ok(numbers
            .iter()
            .zip(found)
            .map(|(number, found)| match found? {
                Found::Events(items) => Ok(items),
                Found::NotRegistered => registration(number, &registered).map(|()| Vec::new()),
            })
            .collect())
    }
}

impl Adapter for SeventeenTrack {
    fn name(&self) -> &'static str {
        "17TRACK tracking"
    }

    async fn track(&self, number: &str) -> Lookup {
        crate::only_lookup(number, self.track_many(&[number]).await?)
    }

    fn batch_size(&self) -> usize {
        BATCH_SIZE_MAX
    }

    /// Numbers past [`BATCH_SIZE_MAX`] go in further batches, each read
    /// only once the one before is: a refusal stops there.
    async fn track_many(&self, numbers: &[&str]) -> Result<Vec<Lookup>, PullError> {
        crate::in_batches(numbers, BATCH_SIZE_MAX, |batch| self.track_batch(batch)).await
    }
}

/// One number of a request's body.
#[derive(Serialize)]
struct Number<'a> {
    number: &'a str,
}

/// Every answer's envelope: `code` 0 and the `data`, or a code for a
/// request refused as a whole. `data` is read only once `code` says what it
/// holds, since a refusal's data need not be in the answer's shape.
#[derive(Deserialize)]
struct Answer {
    code: i64,
    #[serde(default)]
    data: serde_json::Value,
}

/// The data of an answer: the numbers taken, and those refused with why.
#[derive(Deserialize)]
struct Data<T> {
    accepted: Option<Vec<T>>,
    rejected: Option<Vec<Rejection>>,
}

#[derive(Deserialize)]
struct Rejection {
    number: String,
    error: ApiError,
}

#[derive(Deserialize)]
struct ApiError {
    code: i64,
    message: Option<String>,
}

/// A number `register` took.
#[derive(Deserialize)]
struct Registered {
    number: String,
}

/// A number `gettrackinfo` answered for.
#[derive(Deserialize)]
struct Tracked {
    number: String,
    /// Missing until 17TRACK has asked the carrier once.
    track_info: Option<TrackInfo>,
}

#[derive(Deserialize)]
struct TrackInfo {
    tracking: Option<Tracking>,
}

#[derive(Deserialize)]
struct Tracking {
    providers: Option<Vec<Provider>>,
}

#[derive(Deserialize)]
struct Provider {
    events: Option<Vec<Event>>,
}

#[derive(Deserialize)]
struct Event {
    time_iso: Option<String>,
    time_utc: Option<String>,
    description: Option<String>,
    location: Option<String>,
    stage: Option<String>,
    sub_status: Option<String>,
    address: Option<Address>,
}

#[derive(Deserialize)]
struct Address {
    country: Option<String>,
    state: Option<String>,
    city: Option<String>,
}

/// What 17TRACK made of one request.
enum Reply<T> {
    /// It answered for the numbers.
    Data(Data<T>),
    /// It refused the request as a whole.
    Refused {
        /// Its code.
        code: i64,
        /// What the code means.
        message: String,
    },
}

/// The reply in `body`.
///
/// # Errors
/// [`PullError::Format`] when the body is not the documented envelope, or
/// its data not the documented shape.
fn read_reply<T: DeserializeOwned>(body: &[u8]) -> Result<Reply<T>, PullError> {
    let answer: Answer = answer(body)?;
    if answer.code != 0 {
        // Integrators report the reason as `data.errors[0].message`; a
        // refusal without it is still a refusal.
        let message = answer.data["errors"][0]["message"].as_str();
        return Ok(Reply::Refused {
            code: answer.code,
            message: explain(answer.code, message),
        });
    }
    serde_json::from_value(answer.data)
        .map(Reply::Data)
        .map_err(|e| PullError::Format(e.to_string()))
}

/// What `gettrackinfo` found about one number.
enum Found {
    /// The number's events in the push format (none yet, perhaps).
    Events(Vec<PushItem>),
    /// 17TRACK does not follow the number: it has to be registered.
    NotRegistered,
}

/// What `gettrackinfo`'s `reply` says about each of `numbers`, in the order
/// asked.
///
/// # Errors
/// [`PullError::Refused`] when 17TRACK refused the request as a whole. Each
/// number's own failure is in its place: see [`lookup`].
fn lookups(
    numbers: &[&str],
    reply: Reply<Tracked>,
) -> Result<Vec<Result<Found, PullError>>, PullError> {
    match reply {
        Reply::Data(data) => Ok(numbers.iter().map(|number| lookup(number, &data)).collect()),
        Reply::Refused { code, message } => Err(PullError::Refused { code, message }),
    }
}

/// What `gettrackinfo`'s answer `data` says about `number`.
///
/// # Errors
/// [`PullError::NumberRefused`] when 17TRACK refused the number for a
/// reason other than its not being registered; [`PullError::Format`] when
/// the answer neither takes nor refuses the number, or an event's time
/// cannot be read.
fn lookup(number: &str, data: &Data<Tracked>) -> Result<Found, PullError> {
    // 17TRACK answers once per carrier a number is registered with; all of
    // them are read.
    let mut tracked = data
        .accepted
        .iter()
        .flatten()
        .filter(|t| is_same_number(&t.number, number))
        .peekable();
    if tracked.peek().is_some() {
        let providers = tracked
            .filter_map(|t| t.track_info.as_ref()?.tracking.as_ref()?.providers.as_ref())
            .flatten()
            .collect::<Vec<_>>();
        return events(number, &providers).map(Found::Events);
    }
    match rejection(number, &data.rejected) {
        Some(error) if error.code == NOT_REGISTERED => Ok(Found::NotRegistered),
        Some(error) if error.code == NO_TRACKING_YET => Ok(Found::Events(Vec::new())),
        Some(error) => Err(number_refused(number, error)),
        None => Err(not_about(number)),
    }
}

/// Checks that `register`'s `reply` took `number`, or found it registered
/// already.
///
/// # Errors
/// [`PullError::NumberRefused`] when 17TRACK refused the request or the
/// number: out of quota, say. The request is refused as the number's, not
/// the account's, since numbers registered before can still be read.
/// [`PullError::Format`] when the answer neither takes nor refuses the
/// number.
fn registration(number: &str, reply: &Reply<Registered>) -> Result<(), PullError> {
    let data = match reply {
        Reply::Data(data) => data,
        Reply::Refused { code, message } => {
            return Err(PullError::NumberRefused {
                number: number.to_owned(),
                code: *code,
                message: message.clone(),
            });
        }
    };
    if data
        .accepted
        .iter()
        .flatten()
        .any(|r| is_same_number(&r.number, number))
    {
        return Ok(());
    }
    match rejection(number, &data.rejected) {
        Some(error) if error.code == ALREADY_REGISTERED => Ok(()),
        Some(error) => Err(number_refused(number, error)),
        None => Err(not_about(number)),
    }
}

/// The reason 17TRACK gives for refusing `number`, if it did.
fn rejection<'a>(number: &str, rejected: &'a Option<Vec<Rejection>>) -> Option<&'a ApiError> {
    rejected
        .iter()
        .flatten()
        .find(|r| is_same_number(&r.number, number))
        .map(|r| &r.error)
}

/// Whether 17TRACK's spelling of a number is `number`: it may answer in
/// another case than it was asked in.
fn is_same_number(answered: &str, number: &str) -> bool {
    answered.trim().eq_ignore_ascii_case(number)
}

/// `number` refused by 17TRACK with `error`.
fn number_refused(number: &str, error: &ApiError) -> PullError {
    PullError::NumberRefused {
        number: number.to_owned(),
        code: error.code,
        message: explain(error.code, error.message.as_deref()),
    }
}

/// An answer that neither takes nor refuses `number`.
fn not_about(number: &str) -> PullError {
    PullError::Format(format!(
        "the answer neither takes nor refuses {number}, the number asked about"
    ))
}

/// What one of 17TRACK's codes means and what to do about it, with
/// 17TRACK's own `message` when it gave one.
fn explain(code: i64, message: Option<&str>) -> String {
    let meaning = match code {
        -18_010_001 => Some(
            "this server's address is not on the key's IP whitelist: add it, or turn the whitelist off, in 17TRACK's dashboard",
        ),
        -18_010_002 => Some("the key is not valid: copy it again from 17TRACK's dashboard"),
        -18_010_004 => Some("the 17TRACK account is disabled"),
        -18_019_903 => Some("17TRACK cannot tell the carrier from the number"),
        -18_019_907 => Some("the account's daily limit is used up: wait for tomorrow"),
        -18_019_908 => Some(
            "the account's quota of numbers is used up: add quota in 17TRACK's dashboard (numbers registered before are still read)",
        ),
        _ => None,
    };
    let theirs = message.map(str::trim).filter(|m| !m.is_empty());
    match (meaning, theirs) {
        (Some(meaning), Some(theirs)) => format!("{meaning} (17TRACK: {theirs})"),
        (Some(meaning), None) => meaning.to_owned(),
        (None, Some(theirs)) => theirs.to_owned(),
        (None, None) => "17TRACK gave no reason".to_owned(),
    }
}

/// The events of `providers` for `number`, oldest first, in the push
/// format, each once. Events whose meaning cannot be told, and events
/// without a time, are left out.
///
/// # Errors
/// [`PullError::Format`] when an event's time is given but cannot be read.
fn events(number: &str, providers: &[&Provider]) -> Result<Vec<PushItem>, PullError> {
    let mut dated = Vec::new();
    for provider in providers {
        // Each provider lists its events newest first; reversed, a stable
        // sort keeps events with the same time in the order they happened.
        for event in provider.events.iter().flatten().rev() {
            let words = given(&event.description);
            let Some((code, raw_code)) = milestone(
                given(&event.sub_status).unwrap_or(""),
                given(&event.stage).unwrap_or(""),
                words.unwrap_or(""),
            ) else {
                continue;
            };
            let Some(occurred_at) = occurred_at(event)? else {
                continue;
            };
            let item = PushEvent {
                number,
                code,
                raw_code,
                description: words,
                occurred_at,
                address: event_place(event),
            }
            .into_item();
            dated.push((occurred_at, item));
        }
    }
    dated.sort_by_key(|(at, _)| *at);
    // The provider that hands a parcel on and the one that takes it often
    // both report the handover, word for word.
    let mut seen = std::collections::BTreeSet::new();
    Ok(dated
        .into_iter()
        .map(|(_, item)| item)
        .filter(|item| seen.insert(item.to_string()))
        .collect())
}

/// When an event happened: `time_utc` (an instant), else `time_iso` (the
/// local time with its offset); `None` when 17TRACK gives neither, as it
/// does for some carriers' undated notes.
///
/// # Errors
/// [`PullError::Format`] when a time is given and none can be read.
fn occurred_at(event: &Event) -> Result<Option<Timestamp>, PullError> {
    let utc = given(&event.time_utc);
    let iso = given(&event.time_iso);
    if utc.is_none() && iso.is_none() {
        return Ok(None);
    }
    utc.and_then(parse_time)
        .or_else(|| iso.and_then(parse_time))
        .map(Some)
        .ok_or_else(|| {
            PullError::Format(format!(
                "event time (time_utc `{}`, time_iso `{}`) is not a date and time",
                utc.unwrap_or(""),
                iso.unwrap_or(""),
            ))
        })
}

/// Where an event happened: its address's city, state and country. Many
/// lines fill only the `location` text; it stands in for the city then.
fn event_place(event: &Event) -> Option<serde_json::Value> {
    let address = event.address.as_ref();
    let region = address.and_then(|a| given(&a.state));
    let city = address
        .and_then(|a| given(&a.city))
        .or_else(|| region.is_none().then(|| given(&event.location)).flatten());
    place(city, region, address.and_then(|a| given(&a.country)))
}

/// Words that make an event's text about customs (or the duties it asks for).
const CUSTOMS_WORDS: &[&str] = &["customs", "clearance", "duties", "duty", "import tax"];

/// Words in an event's English text, first match wins, and the SP-API code
/// they mean. Read only when neither the sub-status nor the stage is
/// precise; the most telling words come first.
const BY_WORDS: &WordTable = &[
    (&["refused", "rejected by"], "RECIPIENT_REFUSED_DELIVERY"),
    (
        &[
            "returned to sender",
            "returned to the sender",
            "returned to shipper",
        ],
        "RETURNED",
    ),
    (
        &[
            "return to sender",
            "returning to",
            "being returned",
            "return in progress",
        ],
        "UNDELIVERABLE",
    ),
    (CUSTOMS_WORDS, "CUSTOMS"),
    (&["damaged"], "DAMAGED"),
    (&["lost"], "LOST"),
    (&["destroyed"], "UNDELIVERABLE_DESTROY_IN_FIELD"),
    (&["cancelled", "canceled"], "BOOKING_CANCELLED"),
    (
        &[
            "out for delivery",
            "with courier for delivery",
            "on vehicle for delivery",
            "on the way to the recipient",
        ],
        "OUT_FOR_DELIVERY",
    ),
    (
        &[
            "delivery attempt",
            "attempted delivery",
            "attempted to deliver",
            "recipient not available",
            "not at home",
            "notice left",
        ],
        "DELIVERY_ATTEMPTED",
    ),
    (
        &["recipient moved", "has moved", "no longer at"],
        "CUSTOMER_MOVED",
    ),
    (
        &[
            "incorrect address",
            "wrong address",
            "insufficient address",
            "incomplete address",
            "address unknown",
        ],
        "INCORRECT_ADDRESS",
    ),
    (
        &[
            "ready for pickup",
            "available for pickup",
            "ready for collection",
            "pickup point",
            "parcel locker",
        ],
        "READY_FOR_CUSTOMER_PICKUP",
    ),
    // Before "delivered": a line delivering a parcel to the carrier of the
    // last mile has not delivered it.
    (
        &[
            "last mile",
            "last-mile",
            "local carrier",
            "local courier",
            "delivery partner",
        ],
        "CARRIER_TRANSFER",
    ),
    (&["delivered"], "DELIVERED"),
    (&["on hold", "held at", "held by"], "CARRIER_HOLD"),
    (
        &[
            "flight departed",
            "flight has departed",
            "departed from airport",
            "left the origin country",
            "leaving from departure country",
        ],
        "DEPARTED",
    ),
    (
        &[
            "arrived at destination",
            "arrived in destination",
            "arrived in the destination",
            "arrival at destination",
        ],
        "ARRIVED_IN_DESTINATION_COUNTRY",
    ),
    // Before the pickup row: "information received by the carrier" is not
    // the parcel received.
    (
        &[
            "information received",
            "shipment information",
            "electronic information",
            "label created",
            "order created",
        ],
        "BOOKING_RECEIVED",
    ),
    (
        &[
            "picked up",
            "collected from",
            "accepted by",
            "accepted at",
            "posted",
        ],
        "PICKED_UP",
    ),
    (
        &[
            "departed",
            "depart from",
            "left the",
            "leaving",
            "dispatched",
            "in transit",
            "en route",
            "forwarded",
        ],
        "DEPARTED_TERMINAL",
    ),
    (&["arrived", "arrival", "reached"], "ARRIVED_AT_TERMINAL"),
    (&["processed", "sorted", "sorting"], "SORTED"),
    (&["delay"], "DELAYED"),
];

/// The SP-API code of a 17TRACK event with `sub_status`, `stage` (each
/// empty when 17TRACK gives none) and `text` (its words); `None` when none
/// of them tells what happened: a precise sub-status decides, else the
/// stage, else the words, else the family of a catch-all sub-status.
pub fn milestone_code(sub_status: &str, stage: &str, text: &str) -> Option<&'static str> {
    milestone(sub_status, stage, text).map(|(code, _)| code)
}

/// The SP-API code of an event, and the 17TRACK value it was read from,
/// kept as the event's raw code.
///
/// A precise sub-status decides (refined by the words where it covers
/// several SP-API codes: the customs steps); else a stage; else the words;
/// else the family of a catch-all sub-status: in transit (`InTransit_Other`)
/// as a departure from a facility, a failed delivery as an attempt, an
/// exception as a delay. `NotFound_*` and `Expired_Other` are 17TRACK's
/// judgements about the number, not events, and tell nothing by themselves.
/// When the words or the family decide, the raw code is the catch-all
/// sub-status (or the stage) 17TRACK gave.
fn milestone<'a>(
    sub_status: &'a str,
    stage: &'a str,
    text: &str,
) -> Option<(&'static str, &'a str)> {
    let text = text.to_lowercase();
    if let Some(code) = by_sub_status(sub_status, &text) {
        return Some((code, sub_status));
    }
    if let Some(code) = by_stage(stage) {
        return Some((code, stage));
    }
    let code = match by_words(BY_WORDS, &text) {
        Some("CUSTOMS") => customs_step(&text, "CUSTOMS_PROCESSING"),
        Some(code) => code,
        None => by_family(sub_status)?,
    };
    Some((
        code,
        if sub_status.is_empty() {
            stage
        } else {
            sub_status
        },
    ))
}

/// The code a precise sub-status means, read with the (lower-case) `text`
/// where it covers several SP-API codes; `None` for catch-alls and
/// sub-statuses the adapter does not know.
fn by_sub_status(sub_status: &str, text: &str) -> Option<&'static str> {
    Some(match sub_status {
        "InfoReceived" => "BOOKING_RECEIVED",
        "InTransit_PickedUp" => "PICKED_UP",
        // Left the port or airport of the country of origin.
        "InTransit_Departure" => "DEPARTED",
        // Reached the port or airport of the country of destination.
        "InTransit_Arrival" => "ARRIVED_IN_DESTINATION_COUNTRY",
        "InTransit_CustomsProcessing" => customs_step(text, "CUSTOMS_PROCESSING"),
        "InTransit_CustomsReleased" => "CUSTOMS_CLEARED",
        // Customs wants information: a hold, unless what it wants is money.
        "InTransit_CustomsRequiringInformation" => match customs_step(text, "CUSTOMS_HOLD") {
            "CUSTOMS_PAYMENT_REQUIRED" => "CUSTOMS_PAYMENT_REQUIRED",
            _ => "CUSTOMS_HOLD",
        },
        "AvailableForPickup_Other" => "READY_FOR_CUSTOMER_PICKUP",
        "OutForDelivery_Other" => "OUT_FOR_DELIVERY",
        "DeliveryFailure_NoBody" => "DELIVERY_ATTEMPTED",
        // "Security, customs clearance or fee issues" at the door.
        "DeliveryFailure_Security" => {
            customs_step_if_told(text, "CUSTOMS_EXCEPTION", "DELIVERY_ATTEMPTED")
        }
        "DeliveryFailure_Rejected" | "Exception_Rejected" => "RECIPIENT_REFUSED_DELIVERY",
        "DeliveryFailure_InvalidAddress" => "INCORRECT_ADDRESS",
        "Delivered_Other" => "DELIVERED",
        "Exception_Returning" => "UNDELIVERABLE",
        "Exception_Returned" => "RETURNED",
        // The recipient cannot be found from what the label says.
        "Exception_NoBody" => match by_words(BY_WORDS, text) {
            Some("CUSTOMER_MOVED") => "CUSTOMER_MOVED",
            _ => "INCORRECT_ADDRESS",
        },
        // The same issues as `DeliveryFailure_Security`, before delivery.
        "Exception_Security" => customs_step_if_told(text, "CUSTOMS_EXCEPTION", "CARRIER_HOLD"),
        "Exception_Damage" => "DAMAGED",
        "Exception_Delayed" => customs_step_if_told(text, "CUSTOMS_DELAY", "DELAYED"),
        "Exception_Lost" => "LOST",
        "Exception_Destroyed" => "UNDELIVERABLE_DESTROY_IN_FIELD",
        "Exception_Cancel" => "BOOKING_CANCELLED",
        _ => return None,
    })
}

/// The customs step (lower-case) `text` tells of, `step_otherwise` when it
/// names none, when it speaks of customs at all; `otherwise` when it does
/// not.
fn customs_step_if_told(
    text: &str,
    step_otherwise: &'static str,
    otherwise: &'static str,
) -> &'static str {
    if CUSTOMS_WORDS.iter().any(|w| text.contains(w)) {
        customs_step(text, step_otherwise)
    } else {
        otherwise
    }
}

/// The code a stage (17TRACK's milestones of a journey) means.
fn by_stage(stage: &str) -> Option<&'static str> {
    Some(match stage {
        "InfoReceived" => "BOOKING_RECEIVED",
        "PickedUp" => "PICKED_UP",
        "Departure" => "DEPARTED",
        "Arrival" => "ARRIVED_IN_DESTINATION_COUNTRY",
        "AvailableForPickup" => "READY_FOR_CUSTOMER_PICKUP",
        "OutForDelivery" => "OUT_FOR_DELIVERY",
        "Delivered" => "DELIVERED",
        "Returning" => "UNDELIVERABLE",
        "Returned" => "RETURNED",
        _ => return None,
    })
}

/// The code a catch-all sub-status means when nothing else tells more.
fn by_family(sub_status: &str) -> Option<&'static str> {
    match sub_status.split('_').next() {
        Some("InTransit") => Some("DEPARTED_TERMINAL"),
        Some("DeliveryFailure") => Some("DELIVERY_ATTEMPTED"),
        Some("Exception") => Some("DELAYED"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NUMBER: &str = "YT2412345678901234";

    /// What `gettrackinfo`'s `reply` says about `number`, asked about alone.
    fn lookup_one(number: &str, reply: Reply<Tracked>) -> Result<Found, PullError> {
        let mut found = lookups(&[number], reply)?;
        assert_eq!(found.len(), 1, "one lookup per number asked");
        found.remove(0)
    }

    fn check(sub_status: &str, stage: &str, text: &str, expected: Option<&str>) {
        assert_eq!(
            milestone_code(sub_status, stage, text),
            expected,
            "{sub_status} / {stage} / {text}"
        );
    }

    #[test]
    fn precise_sub_statuses_decide() {
        check("InfoReceived", "", "", Some("BOOKING_RECEIVED"));
        check(
            "InTransit_PickedUp",
            "InfoReceived",
            "Arrived at sorting center",
            Some("PICKED_UP"),
        );
        check(
            "InTransit_Departure",
            "",
            "Departed from Hong Kong",
            Some("DEPARTED"),
        );
        check(
            "InTransit_Arrival",
            "",
            "Arrived at airport",
            Some("ARRIVED_IN_DESTINATION_COUNTRY"),
        );
        check(
            "InTransit_CustomsReleased",
            "",
            "Import clearance",
            Some("CUSTOMS_CLEARED"),
        );
        check(
            "AvailableForPickup_Other",
            "",
            "",
            Some("READY_FOR_CUSTOMER_PICKUP"),
        );
        check("OutForDelivery_Other", "", "", Some("OUT_FOR_DELIVERY"));
        check(
            "DeliveryFailure_NoBody",
            "",
            "Notice left",
            Some("DELIVERY_ATTEMPTED"),
        );
        check(
            "DeliveryFailure_Rejected",
            "",
            "",
            Some("RECIPIENT_REFUSED_DELIVERY"),
        );
        check(
            "Exception_Rejected",
            "",
            "",
            Some("RECIPIENT_REFUSED_DELIVERY"),
        );
        check(
            "DeliveryFailure_InvalidAddress",
            "",
            "",
            Some("INCORRECT_ADDRESS"),
        );
        check(
            "Delivered_Other",
            "",
            "Your item was delivered",
            Some("DELIVERED"),
        );
        check("Exception_Returning", "", "", Some("UNDELIVERABLE"));
        check("Exception_Returned", "", "", Some("RETURNED"));
        check("Exception_Damage", "", "", Some("DAMAGED"));
        check("Exception_Lost", "", "", Some("LOST"));
        check(
            "Exception_Destroyed",
            "",
            "",
            Some("UNDELIVERABLE_DESTROY_IN_FIELD"),
        );
        check("Exception_Cancel", "", "", Some("BOOKING_CANCELLED"));
        check("Exception_NoBody", "", "", Some("INCORRECT_ADDRESS"));
        check(
            "Exception_NoBody",
            "",
            "The recipient has moved",
            Some("CUSTOMER_MOVED"),
        );
    }

    #[test]
    fn customs_sub_statuses_are_told_apart_by_their_words() {
        check(
            "InTransit_CustomsProcessing",
            "",
            "Import customs clearance started",
            Some("CUSTOMS_PROCESSING"),
        );
        check(
            "InTransit_CustomsProcessing",
            "",
            "Held by customs, awaiting clearance",
            Some("CUSTOMS_HOLD"),
        );
        check(
            "InTransit_CustomsProcessing",
            "",
            "Customs clearance delay",
            Some("CUSTOMS_DELAY"),
        );
        check(
            "InTransit_CustomsProcessing",
            "",
            "Import duties and taxes due",
            Some("CUSTOMS_PAYMENT_REQUIRED"),
        );
        check(
            "InTransit_CustomsRequiringInformation",
            "",
            "Customs requires the recipient's ID",
            Some("CUSTOMS_HOLD"),
        );
        check(
            "InTransit_CustomsRequiringInformation",
            "",
            "Customs clearance: payment of duties required",
            Some("CUSTOMS_PAYMENT_REQUIRED"),
        );
        check(
            "InTransit_CustomsRequiringInformation",
            "",
            "Customs clearance released",
            Some("CUSTOMS_HOLD"),
        );
        check(
            "Exception_Security",
            "",
            "Detained by customs",
            Some("CUSTOMS_HOLD"),
        );
        check(
            "Exception_Security",
            "",
            "Customs exception",
            Some("CUSTOMS_EXCEPTION"),
        );
        check(
            "Exception_Security",
            "",
            "Security check failed",
            Some("CARRIER_HOLD"),
        );
        check(
            "DeliveryFailure_Security",
            "",
            "Duties unpaid, delivery failed",
            Some("CUSTOMS_PAYMENT_REQUIRED"),
        );
        check(
            "DeliveryFailure_Security",
            "",
            "Delivery failed",
            Some("DELIVERY_ATTEMPTED"),
        );
        check(
            "Exception_Delayed",
            "",
            "Customs clearance delay",
            Some("CUSTOMS_DELAY"),
        );
        check("Exception_Delayed", "", "Flight delayed", Some("DELAYED"));
    }

    #[test]
    fn catch_alls_give_way_to_the_stage_then_the_words_then_their_family() {
        check("InTransit_Other", "Departure", "", Some("DEPARTED"));
        check("", "PickedUp", "", Some("PICKED_UP"));
        check("", "Arrival", "", Some("ARRIVED_IN_DESTINATION_COUNTRY"));
        check(
            "",
            "AvailableForPickup",
            "",
            Some("READY_FOR_CUSTOMER_PICKUP"),
        );
        check("", "OutForDelivery", "", Some("OUT_FOR_DELIVERY"));
        check("", "Delivered", "", Some("DELIVERED"));
        check("", "Returning", "", Some("UNDELIVERABLE"));
        check("", "Returned", "", Some("RETURNED"));
        check("", "InfoReceived", "", Some("BOOKING_RECEIVED"));
        check(
            "InTransit_Other",
            "",
            "Arrived at YunExpress Shenzhen sorting center",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check(
            "InTransit_Other",
            "",
            "Departed from sorting center",
            Some("DEPARTED_TERMINAL"),
        );
        check(
            "InTransit_Other",
            "",
            "Handed over to last mile carrier USPS",
            Some("CARRIER_TRANSFER"),
        );
        check(
            "InTransit_Other",
            "",
            "Delivered to local carrier",
            Some("CARRIER_TRANSFER"),
        );
        check(
            "InTransit_Other",
            "",
            "Shipment information received by the carrier",
            Some("BOOKING_RECEIVED"),
        );
        check(
            "InTransit_Other",
            "",
            "Import customs clearance complete",
            Some("CUSTOMS_CLEARED"),
        );
        check(
            "InTransit_Other",
            "",
            "Arrived at destination country",
            Some("ARRIVED_IN_DESTINATION_COUNTRY"),
        );
        check(
            "InTransit_Other",
            "",
            "Status update",
            Some("DEPARTED_TERMINAL"),
        );
        check(
            "DeliveryFailure_Other",
            "",
            "Incorrect address",
            Some("INCORRECT_ADDRESS"),
        );
        check(
            "DeliveryFailure_Other",
            "",
            "Status update",
            Some("DELIVERY_ATTEMPTED"),
        );
        check("Exception_Other", "", "Held at depot", Some("CARRIER_HOLD"));
        check("Exception_Other", "", "Status update", Some("DELAYED"));
        check("", "", "Out for delivery", Some("OUT_FOR_DELIVERY"));
        check("", "", "", None);
        check("", "", "Status update", None);
        check("NotFound_Other", "", "", None);
        check("Expired_Other", "", "", None);
        check(
            "Expired_Other",
            "",
            "Arrived at post office",
            Some("ARRIVED_AT_TERMINAL"),
        );
        check("SomethingNew_Other", "SomethingNew", "", None);
    }

    /// Every sub-status and stage 17TRACK documents, with none and one it
    /// does not.
    const SUB_STATUSES: &[&str] = &[
        "NotFound_Other",
        "NotFound_InvalidCode",
        "InfoReceived",
        "InTransit_PickedUp",
        "InTransit_Other",
        "InTransit_Departure",
        "InTransit_Arrival",
        "InTransit_CustomsProcessing",
        "InTransit_CustomsReleased",
        "InTransit_CustomsRequiringInformation",
        "Expired_Other",
        "AvailableForPickup_Other",
        "OutForDelivery_Other",
        "DeliveryFailure_Other",
        "DeliveryFailure_NoBody",
        "DeliveryFailure_Security",
        "DeliveryFailure_Rejected",
        "DeliveryFailure_InvalidAddress",
        "Delivered_Other",
        "Exception_Other",
        "Exception_Returning",
        "Exception_Returned",
        "Exception_NoBody",
        "Exception_Security",
        "Exception_Damage",
        "Exception_Rejected",
        "Exception_Delayed",
        "Exception_Lost",
        "Exception_Destroyed",
        "Exception_Cancel",
        "",
        "SomethingNew_Other",
    ];
    const STAGES: &[&str] = &[
        "InfoReceived",
        "PickedUp",
        "Departure",
        "Arrival",
        "AvailableForPickup",
        "OutForDelivery",
        "Delivered",
        "Returning",
        "Returned",
        "",
        "SomethingNew",
    ];

    #[test]
    fn every_code_the_adapter_emits_is_an_sp_api_milestone_code() {
        crate::read::assert_only_sp_api_codes(
            SUB_STATUSES,
            BY_WORDS,
            |sub_status, text| milestone_code(sub_status, "", text),
            &[
                "CUSTOMS_PAYMENT_REQUIRED",
                "CUSTOMS_CLEARED",
                "CUSTOMS_DELAY",
                "CUSTOMS_HOLD",
                "CUSTOMS_PROCESSING",
                "CUSTOMS_EXCEPTION",
                "CUSTOMER_MOVED",
                "UNDELIVERABLE_DESTROY_IN_FIELD",
            ],
        );
        crate::read::assert_only_sp_api_codes(
            STAGES,
            BY_WORDS,
            |stage, text| milestone_code("", stage, text),
            &["DEPARTED", "ARRIVED_IN_DESTINATION_COUNTRY", "RETURNED"],
        );
        assert_eq!(SUB_STATUSES.len(), 30 + 2, "17TRACK documents 30");
    }

    #[test]
    fn raw_codes_say_what_decided() {
        let raw = |s, g, t| milestone(s, g, t).map(|(_, raw)| raw);
        assert_eq!(
            raw("InTransit_Arrival", "Arrival", ""),
            Some("InTransit_Arrival")
        );
        assert_eq!(raw("InTransit_Other", "Departure", ""), Some("Departure"));
        assert_eq!(
            raw("InTransit_Other", "", "Arrived"),
            Some("InTransit_Other")
        );
        assert_eq!(raw("", "", "Arrived"), Some(""));
    }

    fn event(sub_status: &str, words: &str, utc: &str, iso: &str) -> serde_json::Value {
        json!({
            "time_iso": iso, "time_utc": utc, "time_raw": { "date": null, "time": null, "timezone": null },
            "description": words, "location": "Shenzhen", "stage": null, "sub_status": sub_status,
            "address": { "country": "CN", "state": null, "city": null, "street": null,
                         "postal_code": null, "coordinates": { "longitude": null, "latitude": null } },
        })
    }

    fn answer(providers: &[&[serde_json::Value]]) -> Vec<u8> {
        let providers: Vec<_> = providers
            .iter()
            .map(|events| json!({ "provider": { "key": 190008, "name": "YunExpress", "country": "CN" }, "events": events }))
            .collect();
        json!({
            "code": 0,
            "data": {
                "accepted": [{
                    "number": NUMBER, "carrier": 190008,
                    "track_info": {
                        "latest_status": { "status": "InTransit", "sub_status": "InTransit_Other" },
                        "tracking": { "providers_hash": 1, "providers": providers },
                    },
                }],
                "rejected": [],
            },
        })
        .to_string()
        .into_bytes()
    }

    fn found(number: &str, body: &[u8]) -> Result<Vec<PushItem>, PullError> {
        match lookup_one(number, read_reply(body)?)? {
            Found::Events(items) => Ok(items),
            Found::NotRegistered => panic!("not registered"),
        }
    }

    fn field<'a>(items: &'a [PushItem], pointer: &str) -> Vec<&'a str> {
        items
            .iter()
            .map(|i| i.pointer(pointer).and_then(|v| v.as_str()).unwrap_or(""))
            .collect()
    }

    #[test]
    fn providers_merge_oldest_first_and_shared_events_count_once() {
        let handover = event(
            "InTransit_Other",
            "Handed over to last mile carrier",
            "2026-03-06T23:00:00Z",
            "",
        );
        let origin = [
            handover.clone(),
            event(
                "InTransit_PickedUp",
                "Picked up",
                "2026-03-02T10:40:00Z",
                "",
            ),
            event(
                "InfoReceived",
                "Shipment information received",
                "",
                "2026-03-02T10:15:00+08:00",
            ),
        ];
        let last_mile = [
            event("Delivered_Other", "Delivered", "2026-03-07T21:20:00Z", ""),
            handover,
        ];
        let items = found(NUMBER, &answer(&[&last_mile, &origin])).unwrap();
        assert_eq!(
            field(&items, "/status/code"),
            [
                "BOOKING_RECEIVED",
                "PICKED_UP",
                "CARRIER_TRANSFER",
                "DELIVERED"
            ]
        );
        assert_eq!(
            field(&items, "/occurredAt"),
            [
                "2026-03-02T02:15:00Z",
                "2026-03-02T10:40:00Z",
                "2026-03-06T23:00:00Z",
                "2026-03-07T21:20:00Z"
            ]
        );
        assert_eq!(
            field(&items, "/status/rawCode"),
            [
                "InfoReceived",
                "InTransit_PickedUp",
                "InTransit_Other",
                "Delivered_Other"
            ]
        );
        assert_eq!(items[1]["trackingNumber"], NUMBER);
        assert_eq!(items[1]["status"]["description"], "Picked up");
    }

    #[test]
    fn equal_times_keep_the_order_they_happened_in() {
        // Newest first, as 17TRACK lists them.
        let events = [
            event(
                "InTransit_Other",
                "Departed from facility",
                "2026-03-03T14:30:00Z",
                "",
            ),
            event(
                "InTransit_Other",
                "Arrived at facility",
                "2026-03-03T14:30:00Z",
                "",
            ),
        ];
        let items = found(NUMBER, &answer(&[&events])).unwrap();
        assert_eq!(
            field(&items, "/status/code"),
            ["ARRIVED_AT_TERMINAL", "DEPARTED_TERMINAL"]
        );
    }

    #[test]
    fn times_are_the_utc_instant_else_the_local_time_and_undated_events_are_left_out() {
        let at = |utc: &str, iso: &str| {
            found(
                NUMBER,
                &answer(&[&[event("Delivered_Other", "Delivered", utc, iso)]]),
            )
            .map(|items| field(&items, "/occurredAt").join(","))
        };
        assert_eq!(
            at("2026-03-07T21:20:00Z", "2026-03-07T13:20:00-08:00").unwrap(),
            "2026-03-07T21:20:00Z"
        );
        assert_eq!(
            at("", "2026-03-07T13:20:00-08:00").unwrap(),
            "2026-03-07T21:20:00Z"
        );
        assert_eq!(
            at("soon", "2026-03-07T13:20:00-08:00").unwrap(),
            "2026-03-07T21:20:00Z"
        );
        assert_eq!(at("", "").unwrap(), "");
        let mut undated = event("Delivered_Other", "Delivered", "", "");
        undated["time_iso"] = json!(null);
        undated["time_utc"] = json!(null);
        assert!(found(NUMBER, &answer(&[&[undated]])).unwrap().is_empty());
        assert!(matches!(
            at("", "the seventh"),
            Err(PullError::Format(message)) if message.contains("the seventh")
        ));
        // An event that tells nothing is left out before its time is read.
        let silent = event("NotFound_Other", "", "", "the seventh");
        assert!(found(NUMBER, &answer(&[&[silent]])).unwrap().is_empty());
    }

    #[test]
    fn places_come_from_the_address_else_the_location_text() {
        let mut full = event(
            "OutForDelivery_Other",
            "Out for delivery",
            "2026-03-07T15:55:00Z",
            "",
        );
        full["location"] = json!("PASADENA, CA, US");
        full["address"] = json!({ "country": "US", "state": "CA", "city": "PASADENA" });
        let text_only = event("InTransit_Other", "Arrived", "2026-03-03T01:05:00Z", "");
        let mut nowhere = event("InfoReceived", "Order created", "2026-03-02T01:05:00Z", "");
        nowhere["location"] = json!("");
        nowhere["address"] = json!(null);
        let mut named_country = event(
            "InTransit_Departure",
            "Departed",
            "2026-03-04T08:45:00Z",
            "",
        );
        named_country["location"] = json!(null);
        named_country["address"] =
            json!({ "country": "Hong Kong", "state": null, "city": "Hong Kong" });
        let items = found(
            NUMBER,
            &answer(&[&[full, named_country, text_only, nowhere]]),
        )
        .unwrap();
        assert!(items[0].get("location").is_none(), "{}", items[0]);
        assert_eq!(
            items[1]["location"],
            json!({ "address": { "city": "Shenzhen", "countryCode": "CN" } })
        );
        assert_eq!(
            items[2]["location"],
            json!({ "address": { "city": "Hong Kong" } })
        );
        assert_eq!(
            items[3]["location"],
            json!({ "address": { "city": "PASADENA", "region": "CA", "countryCode": "US" } })
        );
    }

    #[test]
    fn numbers_not_registered_or_not_tracked_yet_have_no_events() {
        let rejected = |code: i64| {
            json!({ "code": 0, "data": { "accepted": [], "rejected": [
                { "number": NUMBER, "error": { "code": code, "message": "…" } }
            ] } })
            .to_string()
        };
        let reply = read_reply(rejected(NOT_REGISTERED).as_bytes()).unwrap();
        assert!(matches!(
            lookup_one(NUMBER, reply),
            Ok(Found::NotRegistered)
        ));
        let reply = read_reply(rejected(NO_TRACKING_YET).as_bytes()).unwrap();
        assert!(matches!(lookup_one(NUMBER, reply), Ok(Found::Events(items)) if items.is_empty()));
        let reply = read_reply(rejected(-18_019_903).as_bytes()).unwrap();
        assert!(matches!(
            lookup_one(NUMBER, reply),
            Err(PullError::NumberRefused { number, code: -18_019_903, message })
                if number == NUMBER && message.contains("cannot tell the carrier")
        ));
        // Registered, and 17TRACK has not asked the carrier yet.
        let waiting = json!({ "code": 0, "data": { "accepted": [
            { "number": NUMBER.to_lowercase(), "carrier": 0, "track_info": null }
        ], "rejected": [] } });
        let reply = read_reply(waiting.to_string().as_bytes()).unwrap();
        assert!(matches!(lookup_one(NUMBER, reply), Ok(Found::Events(items)) if items.is_empty()));
    }

    #[test]
    fn a_batch_is_answered_number_by_number_in_the_order_asked() {
        let numbers = [
            "YT2412345678900001",
            "YT2412345678900002",
            "YT2412345678900003",
            "YT2412345678900004",
            "YT2412345678900005",
        ];
        let tracked = |number: &str, words: &str| {
            json!({ "number": number, "carrier": 190008, "track_info": { "tracking": { "providers": [
                { "events": [event("InTransit_Other", words, "2026-03-03T01:05:00Z", "")] }
            ] } } })
        };
        // 17TRACK lists the numbers it took, then those it refused, each in
        // an order of its own, and may spell a number in another case. The
        // fifth number is in neither list.
        let body = json!({ "code": 0, "data": {
            "accepted": [
                tracked(&numbers[2].to_lowercase(), "Departed"),
                tracked(numbers[0], "Arrived"),
            ],
            "rejected": [
                { "number": numbers[3], "error": { "code": -18_019_903, "message": "…" } },
                { "number": numbers[1], "error": { "code": NOT_REGISTERED, "message": "…" } },
            ],
        } });
        let found = lookups(&numbers, read_reply(body.to_string().as_bytes()).unwrap()).unwrap();
        assert_eq!(found.len(), numbers.len());
        // Each event's code, and the number it is about.
        let events_of = |found: &Result<Found, PullError>| match found {
            Ok(Found::Events(items)) => (
                field(items, "/status/code").join(","),
                field(items, "/trackingNumber").join(","),
            ),
            Ok(Found::NotRegistered) => panic!("not registered"),
            Err(e) => panic!("{e}"),
        };
        let expected = |code: &str, number: &str| (code.to_owned(), number.to_owned());
        assert_eq!(
            events_of(&found[0]),
            expected("ARRIVED_AT_TERMINAL", numbers[0])
        );
        assert!(matches!(found[1], Ok(Found::NotRegistered)));
        assert_eq!(
            events_of(&found[2]),
            expected("DEPARTED_TERMINAL", numbers[2])
        );
        assert!(matches!(
            &found[3],
            Err(PullError::NumberRefused { number, code: -18_019_903, .. }) if number == numbers[3]
        ));
        assert!(matches!(
            &found[4],
            Err(PullError::Format(message)) if message.contains(numbers[4])
        ));
    }

    #[test]
    fn registrations_of_a_batch_are_read_number_by_number() {
        let body = json!({ "code": 0, "data": {
            "accepted": [{ "number": "YT2412345678900002", "carrier": 190008, "origin": 1 }],
            "rejected": [
                { "number": "YT2412345678900001", "error": { "code": -18_019_908, "message": "Quota is not enough for use." } },
                { "number": "YT2412345678900003", "error": { "code": ALREADY_REGISTERED, "message": "…" } },
            ],
        } });
        let reply = read_reply(body.to_string().as_bytes()).unwrap();
        assert!(matches!(
            registration("YT2412345678900001", &reply),
            Err(PullError::NumberRefused {
                code: -18_019_908,
                ..
            })
        ));
        assert!(registration("YT2412345678900002", &reply).is_ok());
        assert!(registration("YT2412345678900003", &reply).is_ok());
        assert!(matches!(
            registration("YT2412345678900004", &reply),
            Err(PullError::Format(_))
        ));
    }

    #[test]
    fn refusals_of_the_request_say_what_to_do() {
        let body = json!({ "code": -18_019_907, "data": { "errors": [
            { "code": -18_019_907, "message": "Exceeded daily request limit." }
        ] } });
        let reply = read_reply::<Tracked>(body.to_string().as_bytes()).unwrap();
        match lookup_one(NUMBER, reply) {
            Err(PullError::Refused { code, message }) => {
                assert_eq!(code, -18_019_907);
                assert_eq!(
                    message,
                    "the account's daily limit is used up: wait for tomorrow (17TRACK: Exceeded daily request limit.)"
                );
            }
            _ => panic!("expected a refusal"),
        }
        let body = json!({ "code": -18_010_099, "data": null });
        let reply = read_reply::<Tracked>(body.to_string().as_bytes()).unwrap();
        assert!(matches!(
            lookup_one(NUMBER, reply),
            Err(PullError::Refused { code: -18_010_099, message }) if message == "17TRACK gave no reason"
        ));
    }

    #[test]
    fn registrations_succeed_when_taken_or_taken_before() {
        let register = |data: serde_json::Value| {
            let body = json!({ "code": 0, "data": data }).to_string();
            registration(NUMBER, &read_reply(body.as_bytes()).unwrap())
        };
        assert!(
            register(json!({ "accepted": [{ "number": NUMBER, "carrier": 190008, "origin": 1 }], "rejected": [] }))
                .is_ok()
        );
        assert!(
            register(json!({ "accepted": [], "rejected": [
                { "number": NUMBER, "error": { "code": ALREADY_REGISTERED, "message": "…" } }
            ] }))
            .is_ok()
        );
        assert!(matches!(
            register(json!({ "accepted": [], "rejected": [
                { "number": NUMBER, "error": { "code": -18_019_908, "message": "Quota is not enough for use." } }
            ] })),
            Err(PullError::NumberRefused { code: -18_019_908, message, .. }) if message.contains("quota")
        ));
        // A refusal of the whole request is still only this number's.
        let body = json!({ "code": -18_019_908, "data": null }).to_string();
        assert!(matches!(
            registration(NUMBER, &read_reply(body.as_bytes()).unwrap()),
            Err(PullError::NumberRefused {
                code: -18_019_908,
                ..
            })
        ));
        assert!(matches!(
            register(json!({ "accepted": [{ "number": "YT0000000000000000" }], "rejected": [] })),
            Err(PullError::Format(_))
        ));
    }

    #[test]
    fn bodies_in_another_shape_are_refused() {
        assert!(matches!(
            read_reply::<Tracked>(b"not json"),
            Err(PullError::Format(_))
        ));
        assert!(matches!(
            read_reply::<Tracked>(b"{\"data\":{}}"),
            Err(PullError::Format(_))
        ));
        assert!(matches!(
            read_reply::<Tracked>(b"{\"code\":0,\"data\":null}"),
            Err(PullError::Format(_))
        ));
        assert!(matches!(
            read_reply::<Tracked>(b"{\"code\":0,\"data\":{\"accepted\":[{\"carrier\":1}]}}"),
            Err(PullError::Format(_))
        ));
        let nobody =
            read_reply(b"{\"code\":0,\"data\":{\"accepted\":[],\"rejected\":[]}}").unwrap();
        assert!(matches!(
            lookup_one(NUMBER, nobody),
            Err(PullError::Format(_))
        ));
    }
}
