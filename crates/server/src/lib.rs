//! The HTTP surface of tracklane. Handlers parse, authorise, call one function
//! of `ingest` or the store, and render; no business rule lives here.
//!
//! Routes (see `GET /openapi.json` for the full description):
//! - carrier API under `/api/v1/carrier`;
//! - seller API under `/api/v1/shipments` and `/api/v1/carriers`;
//! - operator API under `/api/v1/warehouses`;
//! - SP-API-compatible routes under `/tracking/2026-01-30`, `/inbound/fba/2024-03-20`
//!   and the token route `/auth/o2/token`;
//! - `/metrics` in Prometheus text;
//! - the web console (`pages/`): shipment progress at `/`, shipment summaries,
//!   carriers, warehouses, insights, and public tracking at `/track/{number}`.

mod api;
mod auth;
mod error;
mod limits;
pub mod mail;
mod metrics;
mod openapi;
// A page's error is a finished response (a redirect to sign-in, an error page);
// it is built at most once per request, so its size does not matter.
#[allow(clippy::result_large_err)]
mod pages;
mod spapi;
pub mod webhooks;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post, put};
use jiff::Timestamp;
use tracklane_store::Store;

pub use auth::{SPAPI_TOKEN_TTL_SECONDS, hash_key};
pub use error::{ApiError, Lang};
pub use limits::{Rate, RateLimits};
pub use metrics::{Metrics, PollTotals};
pub use pages::start_session;

/// Where the server gets the time. The binary passes the system clock; tests and
/// the simulator pass their own.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Random bytes for new identifiers and tokens, from the binary's RNG.
    pub random: Arc<Mutex<dyn FnMut() -> [u8; 16] + Send>>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// SP-API access tokens handed out by `/auth/o2/token`.
    pub tokens: Arc<auth::TokenTable>,
    /// Random bytes for secrets (session and CSRF tokens). The same source as
    /// `random` unless [`AppState::with_secret_random`] gives another: a seeded
    /// `random` makes ids reproducible, but secrets must never be predictable.
    pub secret_random: Arc<Mutex<dyn FnMut() -> [u8; 16] + Send>>,
    /// Request rate limits per key and per client address; off unless
    /// [`AppState::with_rate_limits`] gives some.
    pub limits: Arc<RateLimits>,
    /// Who the hub's e-mails come from (`serve --mail-from`), when it sends
    /// e-mail (`serve --smtp-url`); `None` refuses `mailto:` subscriptions.
    /// Set by [`AppState::with_mail_from`].
    pub mail_from: Option<Arc<str>>,
}

impl AppState {
    /// A state over `store` with `clock` and a source of random bytes.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: impl FnMut() -> [u8; 16] + Send + 'static,
    ) -> Self {
        let random: Arc<Mutex<dyn FnMut() -> [u8; 16] + Send>> = Arc::new(Mutex::new(random));
        Self {
            store,
            clock,
            secret_random: random.clone(),
            random,
            metrics: Arc::new(Metrics::default()),
            tokens: Arc::new(auth::TokenTable::default()),
            limits: Arc::new(RateLimits::off()),
            mail_from: None,
        }
    }

    /// The same state with request rate limits (`serve` passes its options;
    /// tests, benchmarks and the demo run without).
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// The same state for a hub that sends e-mail from `from` (a mailbox
    /// such as `tracklane <tracklane@example.com>`): `mailto:` subscriptions
    /// are accepted and the webhooks page names the sender.
    pub fn with_mail_from(mut self, from: impl Into<Arc<str>>) -> Self {
        self.mail_from = Some(from.into());
        self
    }

    /// The same state with `secret_random` as the source of session and CSRF
    /// tokens (the binary passes the operating system's randomness).
    pub fn with_secret_random(
        mut self,
        secret_random: impl FnMut() -> [u8; 16] + Send + 'static,
    ) -> Self {
        self.secret_random = Arc::new(Mutex::new(secret_random));
        self
    }

    pub(crate) fn random_bytes(&self) -> [u8; 16] {
        match self.random.lock() {
            Ok(mut f) => f(),
            Err(poisoned) => (poisoned.into_inner())(),
        }
    }

    pub(crate) fn secret_bytes(&self) -> [u8; 16] {
        match self.secret_random.lock() {
            Ok(mut f) => f(),
            Err(poisoned) => (poisoned.into_inner())(),
        }
    }
}

/// Request bodies larger than this are refused: a full batch of 10 000
/// milestones is about 3 MiB.
pub const BODY_SIZE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .route("/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics::render))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/carrier/milestones", post(api::carrier::push_milestones))
        .route("/api/v1/carrier/shipments/{shipment_id}/tracking", put(api::carrier::put_tracking))
        .route("/api/v1/carrier/shipments/{shipment_id}/delivery-window", put(api::carrier::put_delivery_window))
        .route("/api/v1/carrier/reroutes", get(api::engine::list_reroutes))
        .route("/api/v1/carrier/reroutes/{id}/confirm", post(api::engine::confirm_reroute))
        .route("/api/v1/carrier/reroutes/{id}/decline", post(api::engine::decline_reroute))
        .route("/api/v1/exceptions", get(api::engine::list_exceptions))
        .route("/api/v1/shipments", get(api::seller::list_shipments).post(api::seller::create_shipment))
        .route("/api/v1/shipments/export", get(api::seller::export_shipments))
        .route("/api/v1/shipments/attention", get(api::seller::attention))
        .route("/api/v1/shipments/{shipment_id}", get(api::seller::get_shipment))
        .route("/api/v1/shipments/{shipment_id}/tracking", put(api::seller::put_tracking))
        .route("/api/v1/shipments/{shipment_id}/delivery-window", put(api::seller::put_delivery_window))
        .route("/api/v1/shipments/{shipment_id}/delivery-window/automation", put(api::seller::put_automation))
        .route("/api/v1/shipments/{shipment_id}/receipts", post(api::receipts::post_receipt))
        .route("/api/v1/shipments/{shipment_id}/cancel", post(api::seller::cancel_shipment))
        .route(
            "/api/v1/shipments/{shipment_id}/reconciliation",
            post(api::seller::request_reconciliation),
        )
        .route("/api/v1/tracking/import", post(api::seller::import_tracking))
        .route("/api/v1/carriers", get(api::seller::list_carriers))
        .route("/api/v1/carriers/{code}", put(api::operator::put_carrier))
        .route("/api/v1/webhooks", get(api::webhooks::list_webhooks).post(api::webhooks::create_webhook))
        .route("/api/v1/webhooks/{id}", axum::routing::delete(api::webhooks::delete_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(api::webhooks::list_deliveries))
        .route("/api/v1/webhooks/{id}/enable", axum::routing::post(api::webhooks::enable_webhook))
        .route("/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend", post(api::webhooks::resend_delivery))
        .route("/api/v1/warehouses", get(api::operator::list_warehouses))
        .route("/api/v1/warehouses/{code}", put(api::operator::put_warehouse))
        .route("/api/v1/warehouses/{code}/congestion", put(api::operator::put_congestion))
        .route("/auth/o2/token", post(spapi::token))
        .route("/tracking/2026-01-30/shipments/track", get(spapi::get_shipment_tracking))
        .route("/inbound/fba/2024-03-20/inboundPlans/{plan_id}/shipments/{shipment_id}", get(spapi::get_shipment))
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan_id}/shipments/{shipment_id}/trackingDetails",
            put(spapi::update_tracking_details),
        )
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan_id}/shipments/{shipment_id}/deliveryWindowOptions",
            get(spapi::list_delivery_window_options),
        )
        .layer(axum::extract::DefaultBodyLimit::max(BODY_SIZE_MAX_BYTES))
        // Inside the count of requests, so refused ones are counted too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::enforce))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count_requests))
        .with_state(state)
}
