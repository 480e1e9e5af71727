//! Polling carriers that do not push: every so often, each open tracking
//! number of the adapter's carriers is looked up in the carrier's API, and
//! what comes back goes through the same validation and store path as a
//! carrier's push. Repeated events are dropped by the store, so a poll that
//! finds nothing new stores nothing.
//!
//! Numbers are looked up a batch at a time, as many as the adapter's API
//! takes in one request ([`Adapter::batch_size`]: one for most, 40 for
//! 17TRACK, 30 for FedEx), with a pause between two batches. A refusal of a
//! whole request stops the round; a failure of one number is logged and
//! counted, and the round goes on.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tracklane_adapters::{Adapter, Lookup, PullError};
use tracklane_core::{CarrierCode, TrackingNumber};
use tracklane_server::{Clock, Metrics, PollTotals};
use tracklane_store::{ItemOutcome, Store};

/// Numbers attached longer ago than this are no longer polled: a journey
/// that has not ended by then will not end by polling.
pub const OPEN_FOR: SignedDuration = SignedDuration::from_hours(120 * 24);
/// Numbers looked up per carrier per round at most.
pub const NUMBERS_PER_ROUND_MAX: usize = 5_000;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    /// Numbers looked up.
    pub numbers: usize,
    /// Events stored.
    pub accepted: usize,
    /// Events the hub already had.
    pub duplicates: usize,
    /// Events refused by validation (logged with their problem).
    pub rejected: usize,
    /// Lookups that failed: each number of a request that failed as a whole
    /// counts once.
    pub failed: usize,
    /// Whether the round stopped early: the API refused the key or the
    /// request as a whole (a daily limit used up, say), or asked to slow
    /// down.
    pub stopped: bool,
}

impl PollReport {
    /// The round's figures as `/metrics` adds them up.
    pub fn totals(&self) -> PollTotals {
        PollTotals {
            lookups: self.numbers as u64,
            failed: self.failed as u64,
            stored: self.accepted as u64,
            refused: self.rejected as u64,
            stopped: u64::from(self.stopped),
        }
    }
}

/// Whether a round of polling goes on after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// On to the next batch.
    GoesOn,
    /// The API refused a request as a whole: the round stops.
    Over,
}

/// An adapter, the hub carriers it serves, and the pause between two requests.
pub struct Poller<A> {
    adapter: A,
    carriers: Vec<CarrierCode>,
    gap: Duration,
}

impl<A: Adapter> Poller<A> {
    /// Polls `carriers`' numbers through `adapter`, waiting `gap` between
    /// two batches of numbers (the carrier's rate limit): one request each,
    /// and for 17TRACK, two when a batch has numbers to register.
    pub fn new(adapter: A, carriers: Vec<CarrierCode>, gap: Duration) -> Self {
        Self {
            adapter,
            carriers,
            gap,
        }
    }

    /// Looks up every open number once, in batches of the adapter's
    /// [`Adapter::batch_size`].
    ///
    /// # Errors
    /// When the store cannot list the numbers or store what came back.
    pub async fn poll_once(&self, store: &dyn Store, now: Timestamp) -> anyhow::Result<PollReport> {
        let mut report = PollReport::default();
        let since = now.checked_sub(OPEN_FOR).unwrap_or(now);
        // An adapter that claims no numbers per request gets one at a time
        // (`chunks` takes no size of zero).
        let batch_size = self.adapter.batch_size().max(1);
        for carrier in &self.carriers {
            let numbers = store
                .open_tracking(carrier, since, NUMBERS_PER_ROUND_MAX)
                .await?;
            for batch in numbers.chunks(batch_size) {
                if report.numbers > 0 && !self.gap.is_zero() {
                    tokio::time::sleep(self.gap).await;
                }
                if self
                    .poll_batch(store, carrier, batch, now, &mut report)
                    .await?
                    == Round::Over
                {
                    report.stopped = true;
                    return Ok(report);
                }
            }
        }
        Ok(report)
    }

    /// Looks up `batch`, numbers of `carrier`, in one call of the adapter,
    /// and stores what it found, counting in `report`; whether the round
    /// goes on.
    ///
    /// # Errors
    /// When the store cannot take what came back.
    async fn poll_batch(
        &self,
        store: &dyn Store,
        carrier: &CarrierCode,
        batch: &[TrackingNumber],
        now: Timestamp,
        report: &mut PollReport,
    ) -> anyhow::Result<Round> {
        let asked: Vec<&str> = batch.iter().map(TrackingNumber::as_str).collect();
        report.numbers += asked.len();
        let lookups = match self.adapter.track_many(&asked).await {
            Ok(lookups) => lookups,
            Err(e) => {
                report.failed += asked.len();
                return Ok(self.after_failed_request(&e, &asked));
            }
        };
        debug_assert_eq!(lookups.len(), asked.len(), "one lookup per number");
        let mut lookups = lookups.into_iter();
        for number in &asked {
            // A number the adapter gave no lookup for fails, rather than
            // vanish from the counts.
            let lookup = lookups.next().unwrap_or_else(|| {
                Err(PullError::Format(format!(
                    "the adapter said nothing of {number}"
                )))
            });
            self.store_lookup(store, carrier, number, lookup, now, report)
                .await?;
        }
        Ok(Round::GoesOn)
    }

    /// Logs `error`, the failure of a request about `asked` as a whole. The
    /// round is over when the API refused the request (the key, a rate
    /// limit, a used-up daily limit), since the next request would fare no
    /// better; otherwise it goes on with the next batch.
    fn after_failed_request(&self, error: &PullError, asked: &[&str]) -> Round {
        let adapter = self.adapter.name();
        let numbers = asked.len();
        let first = asked.first().copied().unwrap_or("");
        if error.is_refusal_of_request() {
            tracing::warn!(adapter, numbers, %first, error = %error, "polling stopped for this round");
            Round::Over
        } else {
            tracing::warn!(adapter, numbers, %first, error = %error, "lookup failed");
            Round::GoesOn
        }
    }

    /// Stores what `lookup` found about `number`, a number of `carrier`, and
    /// counts it in `report`; a failed lookup is logged and counted.
    ///
    /// # Errors
    /// When the events cannot be read as a push or the store cannot take
    /// them.
    async fn store_lookup(
        &self,
        store: &dyn Store,
        carrier: &CarrierCode,
        number: &str,
        lookup: Lookup,
        now: Timestamp,
        report: &mut PollReport,
    ) -> anyhow::Result<()> {
        let adapter = self.adapter.name();
        let items = match lookup {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(adapter, %number, error = %e, "lookup failed");
                report.failed += 1;
                return Ok(());
            }
        };
        if items.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_vec(&serde_json::json!({ "milestones": items }))?;
        let (drafts, parsed) =
            tracklane_ingest::milestones::parse_batch(&body, Some(carrier.as_str()), now)?;
        for rejection in &parsed.rejected {
            tracing::warn!(
                adapter,
                %number,
                field = %rejection.problem.field,
                problem = %rejection.problem.en,
                "event refused"
            );
        }
        report.rejected += parsed.rejected.len();
        if drafts.is_empty() {
            return Ok(());
        }
        for outcome in store.append_milestones(carrier, drafts, now).await? {
            match outcome {
                ItemOutcome::Accepted { .. } => report.accepted += 1,
                ItemOutcome::Duplicate { .. } => report.duplicates += 1,
                ItemOutcome::Rejected { problem, .. } => {
                    tracing::warn!(adapter, %number, problem = %problem.en, "event refused");
                    report.rejected += 1;
                }
            }
        }
        Ok(())
    }
}

/// Where and how often a serving hub polls.
pub struct Polling<'a> {
    /// The hub.
    pub state: &'a tracklane_server::AppState,
    /// The pause between two rounds.
    pub every: Duration,
    /// This process, for the lease (see [`run_forever`]).
    pub holder: &'a str,
}

impl Polling<'_> {
    /// Starts polling the numbers of the carriers named by `carriers` (the
    /// option that named them, and its values) through `adapter` in the
    /// background, `gap_seconds` apart.
    ///
    /// # Errors
    /// When a value is not a carrier code.
    pub fn start<A: Adapter>(
        &self,
        adapter: A,
        carriers: (&str, &[String]),
        gap_seconds: u64,
    ) -> anyhow::Result<()> {
        let (option, codes) = carriers;
        let parsed = codes
            .iter()
            .map(|c| CarrierCode::parse(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{option}: {e}"))?;
        eprintln!("polling {} for {}", adapter.name(), codes.join(", "));
        let poller = Poller::new(adapter, parsed, Duration::from_secs(gap_seconds));
        tokio::spawn(run_forever(
            self.state.store.clone(),
            self.state.clock.clone(),
            self.state.metrics.clone(),
            poller,
            self.every,
            self.holder.to_owned(),
        ));
        Ok(())
    }
}

/// Polls every `every` until the process ends, each round under the
/// `pull:NAME` lease as `holder`, so that of several processes on one store
/// one polls at a time.
pub async fn run_forever<A: Adapter>(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    poller: Poller<A>,
    every: Duration,
    holder: String,
) {
    let lease = format!("pull:{}", poller.adapter.name());
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !crate::hub::hold_lease(store.as_ref(), &lease, &holder, clock.now(), every).await {
            continue;
        }
        match poller.poll_once(store.as_ref(), clock.now()).await {
            Ok(report) => {
                metrics.add_poll(poller.adapter.name(), report.totals());
                tracing::info!(
                    adapter = poller.adapter.name(),
                    numbers = report.numbers,
                    accepted = report.accepted,
                    duplicates = report.duplicates,
                    rejected = report.rejected,
                    failed = report.failed,
                    "poll"
                );
            }
            Err(error) => {
                tracing::warn!(adapter = poller.adapter.name(), error = %error, "poll failed; retrying at the next round")
            }
        }
    }
}
