//! A bearer token from an OAuth client-credentials grant, kept between
//! requests.
//!
//! Carriers behind OAuth (UPS, FedEx, USPS) each ask for their token in their own
//! way, but answer alike: `access_token` and `expires_in`. The token is kept
//! and used until a minute before it expires, or until the carrier refuses it
//! and the adapter forgets it. Only the fetching differs between carriers, so
//! each adapter hands [`KeptToken::bearer`] the request that fetches one.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::PullError;

/// How long before the carrier's stated expiry a token is renewed, so that a
/// request never leaves with a token about to lapse on the way.
const TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(60);
/// The longest a token is kept, whatever the carrier says (UPS's tokens last
/// four hours, FedEx's one): a lifetime past this is a mistake, not a promise.
const TOKEN_LIFETIME_MAX: Duration = Duration::from_secs(24 * 3600);

/// The bearer token last fetched, if any. Never locked across an await: two
/// requests that find it stale at once both fetch one, and the later is kept.
pub(crate) struct KeptToken(Mutex<Option<Token>>);

/// A bearer token and when to stop using it.
struct Token {
    bearer: String,
    renew_at: Instant,
}

impl KeptToken {
    /// No token yet: the first request fetches one.
    pub(crate) fn new() -> Self {
        Self(Mutex::new(None))
    }

    /// The token to send: the kept one while it is fresh, else one fetched
    /// with `request` and kept.
    ///
    /// # Errors
    /// [`crate::refusal`]'s error when the token endpoint does not answer
    /// with a success, [`PullError::Http`] when it cannot be reached, and
    /// [`PullError::Format`] when its answer has no token or an unreadable
    /// lifetime.
    pub(crate) async fn bearer(
        &self,
        request: impl FnOnce() -> reqwest::RequestBuilder,
    ) -> Result<String, PullError> {
        if let Some(bearer) = self.fresh() {
            return Ok(bearer);
        }
        let asked_at = Instant::now();
        let response = request()
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(crate::refusal(&response));
        }
        let body = response.bytes().await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| PullError::Format(format!("token answer: {e}")))?;
        let lifetime = match answer.expires_in {
            // Without a stated lifetime the token serves this request only.
            None => Duration::ZERO,
            Some(Seconds::Number(seconds)) => Duration::from_secs(seconds),
            Some(Seconds::Text(text)) => {
                Duration::from_secs(text.trim().parse().map_err(|_| {
                    PullError::Format(format!("token expires_in `{text}` is not seconds"))
                })?)
            }
        };
        // Timed from the request, not the answer: the carrier's clock started
        // first.
        let renew_at = asked_at
            + lifetime
                .min(TOKEN_LIFETIME_MAX)
                .saturating_sub(TOKEN_RENEWAL_MARGIN);
        *self.kept() = Some(Token {
            bearer: answer.access_token.clone(),
            renew_at,
        });
        Ok(answer.access_token)
    }

    /// Sends `call` with the token to send (fetched with `fetch` when none
    /// is fresh). When the carrier refuses it (401), as when it lapsed or was
    /// revoked early, `call` goes once more with a new one; a second refusal
    /// is the credentials' fault and is the answer.
    ///
    /// # Errors
    /// As [`KeptToken::bearer`], and `call`'s own.
    pub(crate) async fn send<Fut>(
        &self,
        fetch: impl Fn() -> reqwest::RequestBuilder,
        call: impl Fn(String) -> Fut,
    ) -> Result<reqwest::Response, PullError>
    where
        Fut: Future<Output = Result<reqwest::Response, PullError>>,
    {
        let bearer = self.bearer(&fetch).await?;
        let response = call(bearer.clone()).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.forget(&bearer);
        call(self.bearer(&fetch).await?).await
    }

    /// Drops `bearer` if it is still the kept token, so the next request
    /// fetches another.
    fn forget(&self, bearer: &str) {
        let mut kept = self.kept();
        if kept.as_ref().is_some_and(|t| t.bearer == bearer) {
            *kept = None;
        }
    }

    /// The kept token while it is fresh.
    fn fresh(&self) -> Option<String> {
        self.kept()
            .as_ref()
            .filter(|t| Instant::now() < t.renew_at)
            .map(|t| t.bearer.clone())
    }

    fn kept(&self) -> MutexGuard<'_, Option<Token>> {
        // A panic elsewhere cannot leave a half-written token: the value is
        // replaced whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<Seconds>,
}

/// `expires_in` in seconds: UPS sends a string of digits, FedEx a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}
