//! Pull adapters for carrier tracking APIs.
//!
//! Many carriers never push to a hub, but publish a tracking API. An adapter
//! asks that API about tracking numbers and answers, for each number, with
//! the events in tracklane's own carrier push format (the items of
//! `POST /api/v1/carrier/milestones`), mapped to SP-API milestone codes. The
//! hub then validates and stores them exactly as it would a push, so a
//! carrier's wire format never gets past its adapter, and polling the same
//! number again stores nothing twice.
//!
//! Most APIs take one number per request. Those that take several (17TRACK
//! up to 40, FedEx up to 30) say so through [`Adapter::batch_size`], and
//! answer a whole batch from one request in [`Adapter::track_many`]; the
//! others get a `track_many` that asks one number at a time.
//!
//! Every adapter takes its base URL from configuration: tests point it at a
//! local server answering in the carrier's documented shape.

pub mod dhl;
pub mod fedex;
mod oauth;
mod read;
pub mod seventeen_track;
pub mod ups;
pub mod usps;

use std::future::Future;

/// One event in the carrier push format:
/// `{"trackingNumber","status":{"code","rawCode","description"},"location":{"address":{…}},"occurredAt"}`.
pub type PushItem = serde_json::Value;

/// Why a carrier's API gave no events.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The API refused the credentials.
    #[error("the carrier's API refused the key (HTTP {status}): check it")]
    Unauthorized {
        /// The HTTP status.
        status: u16,
    },
    /// The API asks to slow down.
    #[error("the carrier's API is rate limiting (retry after {retry_after_seconds:?} s)")]
    RateLimited {
        /// Its `Retry-After`, when it gave one.
        retry_after_seconds: Option<u64>,
    },
    /// Any other answer that is not a success.
    #[error("the carrier's API answered HTTP {0}")]
    Status(u16),
    /// The API refused the request as a whole, with a code of its own, for
    /// a reason that is not the number's (a used-up quota or daily limit,
    /// the key, the account, an error of its own): the next number would
    /// fare no better.
    #[error("the carrier's API refused the request (code {code}): {message}")]
    Refused {
        /// The API's code.
        code: i64,
        /// What the code means, and what to do about it.
        message: String,
    },
    /// The API refused to follow this number (it cannot tell the number's
    /// carrier, or has no quota left to start following it); other numbers
    /// may still be looked up.
    #[error("the carrier's API refused to follow {number} (code {code}): {message}")]
    NumberRefused {
        /// The number.
        number: String,
        /// The API's code.
        code: i64,
        /// What the code means, and what to do about it.
        message: String,
    },
    /// The API could not be reached.
    #[error("the carrier's API could not be reached: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not in the documented shape.
    #[error("the carrier's API answered in an unexpected shape: {0}")]
    Format(String),
}

impl PullError {
    /// Whether the API refused the request as a whole (the key, a rate
    /// limit, the account's quota or daily limit), so that the next request
    /// would fare no better: a poller stops its round on such an error.
    pub fn is_refusal_of_request(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized { .. } | Self::RateLimited { .. } | Self::Refused { .. }
        )
    }
}

/// What looking up one number found: its events in the push format, oldest
/// first (none when the carrier does not know it yet), or why that number
/// failed.
pub type Lookup = Result<Vec<PushItem>, PullError>;

/// The error for an answer that is not a success.
pub(crate) fn refusal(response: &reqwest::Response) -> PullError {
    let status = response.status().as_u16();
    match status {
        401 | 403 => PullError::Unauthorized { status },
        429 => PullError::RateLimited {
            retry_after_seconds: response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
        },
        _ => PullError::Status(status),
    }
}

/// `number` as one URL path segment: letters, digits, `-` and `_` as they
/// are, anything else percent-encoded, so a stray `/` or `?` cannot change
/// the request.
pub(crate) fn path_segment(number: &str) -> String {
    let mut out = String::with_capacity(number.len());
    for byte in number.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// How long a carrier's API has to answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A carrier's API: where it is, and the HTTP client that calls it.
pub(crate) struct Api {
    pub http: reqwest::Client,
    base_url: String,
}

impl Api {
    /// The API at `base_url`, called through a client built from `http`
    /// (which says whom HTTPS trusts).
    pub(crate) fn new(http: reqwest::ClientBuilder, base_url: &str) -> Result<Self, PullError> {
        Ok(Self {
            http: http
                .timeout(TIMEOUT)
                .user_agent(concat!("tracklane/", env!("CARGO_PKG_VERSION")))
                .build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The address of `path` (`/…`) on the API.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// The events `parse` reads from a successful answer; none when the API
/// answered 404, which carriers use for a number they know nothing of yet;
/// the refusal otherwise.
pub(crate) async fn events_unless_unknown(
    response: reqwest::Response,
    parse: impl FnOnce(&[u8]) -> Result<Vec<PushItem>, PullError>,
) -> Result<Vec<PushItem>, PullError> {
    match response.status().as_u16() {
        200..=299 => parse(&response.bytes().await?),
        404 => Ok(Vec::new()),
        _ => Err(refusal(&response)),
    }
}

/// One carrier event, to be sent on as a [`PushItem`].
pub(crate) struct PushEvent<'a> {
    /// The tracking number it is about.
    pub number: &'a str,
    /// The SP-API milestone code.
    pub code: &'static str,
    /// The carrier's own code for it.
    pub raw_code: &'a str,
    /// The carrier's words.
    pub description: Option<&'a str>,
    /// When it happened.
    pub occurred_at: jiff::Timestamp,
    /// Where: the push format's `location.address` (`city`, `region`,
    /// `countryCode`).
    pub address: Option<serde_json::Value>,
}

impl PushEvent<'_> {
    /// The event in the push format.
    pub(crate) fn into_item(self) -> PushItem {
        let mut item = serde_json::json!({
            "trackingNumber": self.number,
            "status": { "code": self.code, "rawCode": self.raw_code },
            "occurredAt": self.occurred_at.to_string(),
        });
        if let Some(words) = self.description {
            item["status"]["description"] = words.into();
        }
        if let Some(address) = self.address {
            item["location"] = serde_json::json!({ "address": address });
        }
        item
    }
}

/// The lookups of `numbers` through `batch`, handed at most `size` numbers
/// a call, each call made once the one before has answered: a refusal stops
/// there. For an adapter's [`Adapter::track_many`] over its one-request
/// batch.
///
/// # Errors
/// The first error `batch` returns.
pub(crate) async fn in_batches<'n, 'a, F, Fut>(
    numbers: &'n [&'a str],
    size: usize,
    mut batch: F,
) -> Result<Vec<Lookup>, PullError>
where
    F: FnMut(&'n [&'a str]) -> Fut,
    Fut: Future<Output = Result<Vec<Lookup>, PullError>>,
{
    let mut lookups = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(size) {
        lookups.extend(batch(chunk).await?);
    }
    Ok(lookups)
}

/// The lookup of `number`, the one number of a batch whose `lookups` are
/// given.
///
/// An adapter answers each number it was asked about once, so a batch of one
/// has one lookup. Should that ever not hold, the number fails with
/// [`PullError::Format`] rather than the process with a panic.
pub(crate) fn only_lookup(number: &str, lookups: Vec<Lookup>) -> Lookup {
    debug_assert!(
        lookups.len() <= 1,
        "{} lookups of one number",
        lookups.len()
    );
    lookups.into_iter().next().unwrap_or_else(|| {
        Err(PullError::Format(format!(
            "the answer says nothing of {number}, the number asked about"
        )))
    })
}

/// A carrier tracking API.
///
/// An adapter looks numbers up one at a time ([`Adapter::track`]) or, where
/// the API takes several numbers in one request, a batch at a time
/// ([`Adapter::track_many`], at most [`Adapter::batch_size`] numbers a
/// request). Either way it tells two failures apart:
/// - a refusal of the request as a whole (see
///   [`PullError::is_refusal_of_request`]), after which the next request
///   would fare no better;
/// - a failure of one number (the API refused to follow it, or said
///   something about it that cannot be read), after which the other numbers
///   can still be looked up.
pub trait Adapter: Send + Sync + 'static {
    /// The API's name, for logs.
    fn name(&self) -> &'static str;

    /// The events the carrier has for `number`, oldest first; none when it
    /// does not know the number (yet).
    ///
    /// # Errors
    /// A [`PullError`]: see the trait's documentation for the two kinds.
    fn track(&self, number: &str) -> impl Future<Output = Lookup> + Send;

    /// How many numbers the API takes in one request: what a poller hands
    /// [`Adapter::track_many`] at a time, so that each call is one request
    /// (or, for an API that needs a second step for some numbers, one
    /// request per step). One unless the adapter batches.
    fn batch_size(&self) -> usize {
        1
    }

    /// The lookup of each of `numbers`: exactly one per number, in the order
    /// asked, whatever order the API answers in and whether or not it
    /// mentions every number. An adapter that batches sends at most
    /// [`Adapter::batch_size`] numbers per request; by default the numbers
    /// are looked up one request each, through [`Adapter::track`].
    ///
    /// # Errors
    /// A refusal of the request as a whole ([`PullError::is_refusal_of_request`]),
    /// or a failure that leaves the API's answer about every number of the
    /// request unknown (it could not be reached, or answered an HTTP error or
    /// a body that cannot be read at all). The lookups of the batch are then
    /// lost, and the numbers are asked again in the next round; each number's
    /// own failure is its [`Lookup`] instead.
    fn track_many(
        &self,
        numbers: &[&str],
    ) -> impl Future<Output = Result<Vec<Lookup>, PullError>> + Send {
        async move {
            let mut lookups = Vec::with_capacity(numbers.len());
            for number in numbers {
                match self.track(number).await {
                    Err(e) if e.is_refusal_of_request() => return Err(e),
                    lookup => lookups.push(lookup),
                }
            }
            Ok(lookups)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_one_path_segment() {
        assert_eq!(path_segment("1Z5R89390357567127"), "1Z5R89390357567127");
        assert_eq!(path_segment("LX123456785CN"), "LX123456785CN");
        assert_eq!(
            path_segment("1Z 5R/../x?y#z"),
            "1Z%205R%2F%2E%2E%2Fx%3Fy%23z"
        );
    }
}
