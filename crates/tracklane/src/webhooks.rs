//! Sending webhook deliveries: every second, the deliveries due are rendered,
//! signed and posted, several at once, and each attempt is recorded. A
//! delivery that fails is tried again after a growing pause
//! ([`RETRY_AFTER`]), and given up after the last. A delivery given up that
//! way, with nothing delivered to its subscription since it was made, switches
//! the subscription off: its receiver has failed for about 45 hours, and the
//! owner switches it back on when it is mended.
//!
//! A delivery its owner resent (`…/deliveries/{id}/resend`, or switching a
//! subscription on with `resendFailed`) comes back here as any pending one,
//! its attempts counted from zero: the whole schedule again, and a body
//! rendered as of its sending, as every body is.
//!
//! A subscription to `mailto:ADDRESS` takes the same path with an e-mail in
//! place of the POST (`mail.rs`): the same schedule, listing and switching
//! off; delivered when the SMTP server accepts the message.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use tracklane_server::AppState;
use tracklane_server::webhooks::{
    DELIVERY_HEADER, EVENT_HEADER, RenderError, SIGNATURE_HEADER, notification_id, render, sign,
};
use tracklane_store::{Attempt, Delivery, StoreResult, Webhook};

use crate::mail::Mailer;

/// The pause after each failed attempt: 8 attempts over about 45 hours.
pub const RETRY_AFTER: [SignedDuration; 7] = [
    SignedDuration::from_mins(1),
    SignedDuration::from_mins(5),
    SignedDuration::from_mins(30),
    SignedDuration::from_hours(2),
    SignedDuration::from_hours(6),
    SignedDuration::from_hours(12),
    SignedDuration::from_hours(24),
];
/// How long a receiver has to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries taken from the store per round, all sent at once.
const DUE_PER_ROUND: usize = 32;
/// How often the store is asked for deliveries due.
pub const PERIOD: Duration = Duration::from_secs(1);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Deliveries the receiver took (2xx).
    pub delivered: usize,
    /// Attempts that failed and will be tried again.
    pub retrying: usize,
    /// Deliveries given up.
    pub given_up: usize,
    /// Subscriptions switched off.
    pub switched_off: usize,
}

/// Posts deliveries for a hub whose public address is `base_url`, and
/// e-mails those of `mailto:` subscriptions when it has a [`Mailer`].
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    base_url: String,
    mailer: Option<Arc<Mailer>>,
}

/// What became of one try at sending a delivery, by HTTP or by e-mail.
enum Sent {
    /// The receiver took it, answering `status` (HTTP, or SMTP's reply code).
    Accepted(u16),
    /// It did not: try again on the schedule.
    Refused { status: Option<u16>, error: String },
    /// What it is about is gone: give it up at once.
    Gone(String),
    /// The store could not be read to render it: try in the next round.
    NotRendered,
}

impl Sender {
    /// A sender whose HTTP client is built from `http` (which says whom HTTPS
    /// trusts); tracking links in milestone notifications point at `base_url`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(http: reqwest::ClientBuilder, base_url: &str) -> anyhow::Result<Self> {
        let client = http
            .timeout(SEND_TIMEOUT)
            // A redirect would send a signed body somewhere nobody subscribed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tracklane-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            mailer: None,
        })
    }

    /// The same sender, e-mailing the deliveries of `mailto:` subscriptions
    /// through `mailer`. Without one, each attempt at such a delivery fails
    /// with a reason saying the hub sends no e-mail.
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
    }

    /// Sends every delivery due now, a round of at most [`DUE_PER_ROUND`] at a
    /// time, until none is due.
    ///
    /// # Errors
    /// When the store cannot be read or an attempt cannot be recorded.
    pub async fn send_due(&self, state: &AppState) -> StoreResult<RoundReport> {
        let mut total = RoundReport::default();
        loop {
            let due = state
                .store
                .due_deliveries(state.clock.now(), DUE_PER_ROUND)
                .await?;
            if due.is_empty() {
                return Ok(total);
            }
            let mut sends = tokio::task::JoinSet::new();
            let mut switch_offs = Vec::new();
            for (webhook, delivery) in due {
                let (sender, state) = (self.clone(), state.clone());
                sends.spawn(async move {
                    let attempt = sender.attempt(&state, &webhook, &delivery).await;
                    (webhook, delivery, attempt)
                });
            }
            while let Some(joined) = sends.join_next().await {
                let Ok((webhook, delivery, attempt)) = joined else {
                    continue;
                };
                let Some(attempt) = attempt else {
                    continue;
                };
                match &attempt {
                    Attempt::Delivered { .. } => {
                        total.delivered += 1;
                        state
                            .metrics
                            .webhooks_delivered
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    Attempt::Failed { retry_at, .. } => {
                        if retry_at.is_some() {
                            total.retrying += 1;
                        } else {
                            total.given_up += 1;
                        }
                        state
                            .metrics
                            .webhooks_failed
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Some((at, reason)) = switch_off_reason(&delivery, &attempt) {
                    // A resent delivery was made before it was resent, so
                    // "nothing delivered since it was made" asks more of a
                    // resent one: a resend never switches off a subscription
                    // that a first sending would have left on.
                    switch_offs.push((webhook, delivery.created_at, at, reason));
                }
                state.store.record_attempt(delivery.id, attempt).await?;
            }
            // After the round's attempts are recorded, so that a delivery
            // of the same subscription retried in this round fails too.
            for (webhook, since, at, reason) in switch_offs {
                if state
                    .store
                    .switch_off_webhook(&webhook.id, since, at, &reason)
                    .await?
                {
                    total.switched_off += 1;
                    state
                        .metrics
                        .webhooks_switched_off
                        .fetch_add(1, Ordering::Relaxed);
                    // An e-mail address is a person's: the id names it.
                    let url = match tracklane_server::mail::recipient(&webhook.url) {
                        Some(_) => "mailto:…",
                        None => webhook.url.as_str(),
                    };
                    tracing::warn!(webhook = %webhook.id, url, %reason, "webhook switched off");
                }
            }
        }
    }

    /// One attempt at `delivery`; `None` when it could not be rendered for a
    /// passing reason (the store was busy), to be tried in the next round.
    async fn attempt(
        &self,
        state: &AppState,
        webhook: &Webhook,
        delivery: &Delivery,
    ) -> Option<Attempt> {
        let now = state.clock.now();
        let sent = match tracklane_server::mail::recipient(&webhook.url) {
            Some(address) => self.mail(state, webhook, delivery, address, now).await,
            None => self.post(state, webhook, delivery, now).await,
        };
        Some(match sent {
            Sent::Accepted(status) => Attempt::Delivered { status, at: now },
            Sent::Refused { status, error } => Attempt::Failed {
                status,
                error,
                at: now,
                retry_at: retry_at(delivery.attempts, now),
            },
            Sent::Gone(why) => Attempt::Failed {
                status: None,
                error: why,
                at: now,
                retry_at: None,
            },
            Sent::NotRendered => return None,
        })
    }

    /// Posts `delivery` to its receiver, signed.
    async fn post(
        &self,
        state: &AppState,
        webhook: &Webhook,
        delivery: &Delivery,
        now: Timestamp,
    ) -> Sent {
        let body = match render(state, webhook, delivery, &self.base_url, now).await {
            Ok(body) => body,
            Err(e) => return not_rendered(delivery, e),
        };
        let response = self
            .client
            .post(&webhook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&webhook.secret, now, &body))
            .header(EVENT_HEADER, delivery.kind.as_str())
            .header(DELIVERY_HEADER, notification_id(webhook, delivery))
            .body(body)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Sent::Accepted(r.status().as_u16()),
            Ok(r) => Sent::Refused {
                status: Some(r.status().as_u16()),
                error: format!("the receiver answered {}", r.status()),
            },
            Err(e) => Sent::Refused {
                status: None,
                error: describe(&e),
            },
        }
    }

    /// E-mails `delivery` to `address` through the mailer.
    async fn mail(
        &self,
        state: &AppState,
        webhook: &Webhook,
        delivery: &Delivery,
        address: &str,
        now: Timestamp,
    ) -> Sent {
        let Some(mailer) = &self.mailer else {
            // Subscribed while the hub sent e-mail, and since started
            // without --smtp-url: the owner sees why in the listing.
            return Sent::Refused {
                status: None,
                error: "this hub sends no e-mail: its operator starts it with --smtp-url".into(),
            };
        };
        let mail =
            match tracklane_server::mail::render(state, webhook, delivery, &self.base_url).await {
                Ok(mail) => mail,
                Err(e) => return not_rendered(delivery, e),
            };
        match mailer.send(address, mail, webhook, delivery, now).await {
            Ok(code) => Sent::Accepted(code),
            Err(refused) => Sent::Refused {
                status: refused.code,
                error: refused.error,
            },
        }
    }
}

/// What a delivery that could not be rendered comes to.
fn not_rendered(delivery: &Delivery, error: RenderError) -> Sent {
    match error {
        RenderError::Gone(why) => Sent::Gone(why),
        RenderError::Store(e) => {
            tracing::warn!(error = %e, delivery = delivery.id, "webhook delivery not rendered");
            Sent::NotRendered
        }
    }
}

/// When and why to switch a subscription off after `attempt` at `delivery`:
/// when it was the last of the schedule and failed. (A delivery given up at
/// once, its shipment gone, says nothing about the receiver.)
fn switch_off_reason(delivery: &Delivery, attempt: &Attempt) -> Option<(Timestamp, String)> {
    let Attempt::Failed {
        error,
        at,
        retry_at: None,
        ..
    } = attempt
    else {
        return None;
    };
    let made = delivery.attempts as usize + 1;
    (made > RETRY_AFTER.len()).then(|| {
        (
            *at,
            format!(
                "all {made} attempts at a delivery made {} failed; the last: {error}",
                delivery.created_at
            ),
        )
    })
}

/// When to try again after attempt number `attempts + 1` failed at `now`;
/// `None` after the last.
pub fn retry_at(attempts: u32, now: Timestamp) -> Option<Timestamp> {
    let pause = RETRY_AFTER.get(usize::try_from(attempts).ok()?)?;
    now.checked_add(*pause).ok()
}

/// A send error with its causes, for the deliveries listing.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        format!("no answer within {} s", SEND_TIMEOUT.as_secs())
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sends due deliveries every [`PERIOD`] until the process ends.
pub async fn run_forever(state: AppState, sender: Sender) {
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sender.send_due(&state).await {
            Ok(report) if report != RoundReport::default() => tracing::info!(
                delivered = report.delivered,
                retrying = report.retrying,
                given_up = report.given_up,
                "webhook deliveries"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "webhook deliveries failed; retrying at the next tick")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_and_stop_after_the_eighth_attempt() {
        let now: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        assert_eq!(
            retry_at(0, now),
            Some("2026-11-22T00:01:00Z".parse().unwrap())
        );
        assert_eq!(
            retry_at(6, now),
            Some("2026-11-23T00:00:00Z".parse().unwrap())
        );
        assert_eq!(retry_at(7, now), None);
        let total = RETRY_AFTER
            .iter()
            .fold(SignedDuration::ZERO, |sum, pause| sum + *pause);
        assert_eq!(total.as_mins(), 45 * 60 - 24);
    }
}
