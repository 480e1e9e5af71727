//! Counters for `GET /metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tracklane_core::{CarrierCode, Problem};

use crate::AppState;
use crate::limits::Scope;

/// The hub's counters.
#[derive(Default)]
pub struct Metrics {
    /// HTTP requests served.
    pub http_requests: AtomicU64,
    /// HTTP responses with a 5xx status.
    pub http_errors: AtomicU64,
    /// Milestones stored.
    pub milestones_accepted: AtomicU64,
    /// Milestones that repeated a stored fact.
    pub milestones_duplicate: AtomicU64,
    /// Milestones refused.
    pub milestones_rejected: AtomicU64,
    /// Carriers attached by auto-recognition.
    pub carriers_detected: AtomicU64,
    /// Webhook deliveries the receiver took.
    pub webhooks_delivered: AtomicU64,
    /// Webhook delivery attempts that failed.
    pub webhooks_failed: AtomicU64,
    /// Webhook subscriptions switched off because their receiver kept failing.
    pub webhooks_switched_off: AtomicU64,
    /// Requests refused because their key's bucket was empty (`limits.rs`).
    pub requests_limited_key: AtomicU64,
    /// Requests refused because their address's bucket was empty.
    pub requests_limited_ip: AtomicU64,
    /// Polling of carriers' tracking APIs, by adapter name.
    polls: Mutex<BTreeMap<&'static str, PollTotals>>,
    /// Milestones refused, by carrier and the rejection's code. Both come
    /// from small fixed sets (the hub's carriers, the ingest's codes), so the
    /// series stay few.
    rejections: Mutex<BTreeMap<(CarrierCode, &'static str), u64>>,
}

/// What polling one carrier API did: one round's figures, or the sum of all
/// rounds so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollTotals {
    /// Tracking numbers looked up.
    pub lookups: u64,
    /// Lookups that failed.
    pub failed: u64,
    /// Events stored.
    pub stored: u64,
    /// Events refused by validation.
    pub refused: u64,
    /// Rounds stopped early: the API refused the key or the request, or
    /// asked to slow down.
    pub stopped: u64,
}

/// One of the figures in [`PollTotals`].
type PollField = fn(&PollTotals) -> u64;

impl Metrics {
    /// Counts `carrier`'s refused milestones, by the code of each refusal.
    pub fn add_rejections<'a>(
        &self,
        carrier: &CarrierCode,
        problems: impl IntoIterator<Item = &'a Problem>,
    ) {
        let mut problems = problems.into_iter().peekable();
        if problems.peek().is_none() {
            return;
        }
        let Ok(mut rejections) = self.rejections.lock() else {
            return;
        };
        for problem in problems {
            *rejections
                .entry((carrier.clone(), problem.code))
                .or_default() += 1;
        }
    }

    /// Adds one polling round of `adapter` to its totals.
    pub fn add_poll(&self, adapter: &'static str, round: PollTotals) {
        let Ok(mut polls) = self.polls.lock() else {
            return;
        };
        let totals = polls.entry(adapter).or_default();
        totals.lookups += round.lookups;
        totals.failed += round.failed;
        totals.stored += round.stored;
        totals.refused += round.refused;
        totals.stopped += round.stopped;
    }
}

pub(crate) async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    state.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
    if response.status().is_server_error() {
        state.metrics.http_errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

pub(crate) async fn render(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: &AtomicU64| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            value.load(Ordering::Relaxed)
        ));
    };
    counter(
        "tracklane_http_requests_total",
        "HTTP requests served.",
        &m.http_requests,
    );
    counter(
        "tracklane_http_server_errors_total",
        "HTTP responses with a 5xx status.",
        &m.http_errors,
    );
    counter(
        "tracklane_milestones_accepted_total",
        "Milestones stored.",
        &m.milestones_accepted,
    );
    counter(
        "tracklane_milestones_duplicate_total",
        "Milestones that repeated a stored fact.",
        &m.milestones_duplicate,
    );
    counter(
        "tracklane_milestones_rejected_total",
        "Milestones refused.",
        &m.milestones_rejected,
    );
    counter(
        "tracklane_carriers_detected_total",
        "Carriers attached to shipments by auto-recognition.",
        &m.carriers_detected,
    );
    counter(
        "tracklane_webhooks_delivered_total",
        "Webhook deliveries the receiver took (2xx).",
        &m.webhooks_delivered,
    );
    counter(
        "tracklane_webhook_attempts_failed_total",
        "Webhook delivery attempts that failed.",
        &m.webhooks_failed,
    );
    counter(
        "tracklane_webhooks_switched_off_total",
        "Webhook subscriptions switched off because their receiver failed every attempt of a delivery.",
        &m.webhooks_switched_off,
    );
    let name = "tracklane_requests_limited_total";
    out.push_str(&format!(
        "# HELP {name} Requests refused with 429 by the rate limits, by the bucket that was empty: the key's or the client address's.\n# TYPE {name} counter\n"
    ));
    for (scope, value) in [
        (Scope::Key.label(), &m.requests_limited_key),
        (Scope::Ip.label(), &m.requests_limited_ip),
    ] {
        out.push_str(&format!(
            "{name}{{scope=\"{scope}\"}} {}\n",
            value.load(Ordering::Relaxed)
        ));
    }
    let rejections = m.rejections.lock().map(|r| r.clone()).unwrap_or_default();
    if !rejections.is_empty() {
        let name = "tracklane_milestones_rejected_by_code_total";
        out.push_str(&format!(
            "# HELP {name} Milestones refused, by carrier and the rejection's code (tracking_number.check_digit, …), as the push's answer names it.\n# TYPE {name} counter\n"
        ));
        // Carrier codes and rejection codes hold no quote or backslash.
        for ((carrier, code), value) in &rejections {
            out.push_str(&format!(
                "{name}{{carrier=\"{carrier}\",code=\"{code}\"}} {value}\n"
            ));
        }
    }
    let polls = m.polls.lock().map(|p| p.clone()).unwrap_or_default();
    if !polls.is_empty() {
        let by_adapter: [(&str, &str, PollField); 5] = [
            (
                "tracklane_poll_lookups_total",
                "Tracking numbers looked up in a carrier's API.",
                |t| t.lookups,
            ),
            (
                "tracklane_poll_lookups_failed_total",
                "Lookups in a carrier's API that failed.",
                |t| t.failed,
            ),
            (
                "tracklane_poll_milestones_stored_total",
                "Milestones a carrier's API gave that the hub did not have.",
                |t| t.stored,
            ),
            (
                "tracklane_poll_milestones_refused_total",
                "Milestones a carrier's API gave that validation refused.",
                |t| t.refused,
            ),
            (
                "tracklane_poll_rounds_stopped_total",
                "Polling rounds stopped early: the API refused the key or the request, or asked to slow down.",
                |t| t.stopped,
            ),
        ];
        for (name, help, value) in by_adapter {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            // Adapter names are the hub's own, with no quote or backslash.
            for (adapter, totals) in &polls {
                out.push_str(&format!(
                    "{name}{{adapter=\"{adapter}\"}} {}\n",
                    value(totals)
                ));
            }
        }
    }
    if let Ok(counts) = state.store.counts().await {
        for (name, value) in [
            ("shipments", counts.shipments),
            ("packages", counts.packages),
            ("milestones", counts.milestones),
        ] {
            out.push_str(&format!(
                "# HELP tracklane_stored_{name} {name} in the store.\n# TYPE tracklane_stored_{name} gauge\ntracklane_stored_{name} {value}\n"
            ));
        }
    }
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}
