//! Storage for tracklane: the [`Store`] trait every backend implements, the types
//! that cross it, and the embedded SQLite backend.
//!
//! A store appends milestones and updates the shipment projection in one
//! transaction (DESIGN.md invariant 1), resolves tracking numbers to packages and
//! drops repeated facts (invariant 2). It holds no wire format: callers hand it
//! validated domain values and get domain values back. Driver errors never leave
//! this crate; they become [`StoreError`].

pub mod arrival;
mod attention;
mod codec;
mod engine_model;
mod filter;
mod model;
pub mod postgres;
mod read_rows;
mod rules;
pub mod sqlite;
pub mod stats;
mod webhook;

use async_trait::async_trait;

pub use engine_model::*;
pub use model::*;
pub use stats::HubStats;
pub use webhook::*;

/// What can go wrong in a store, with the driver's error kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{what} `{key}` was not found")]
    NotFound {
        /// What kind of thing, e.g. `shipment`.
        what: &'static str,
        /// The key asked for.
        key: String,
    },
    /// The write clashes with what is stored (a duplicate key).
    #[error("{what} `{key}` already exists")]
    Conflict {
        /// What kind of thing.
        what: &'static str,
        /// The clashing key.
        key: String,
    },
    /// The store cannot be reached or written now; the caller may retry.
    #[error("the store is unavailable: {context}")]
    Unavailable {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Stored data could not be read back: a bug or a damaged file.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The statement behind [`Store::lease`], in SQL both backends speak (`?n`
/// parameters; PostgreSQL's `$n` by replacing `?`): a new lease, a renewal
/// by its holder, or a takeover of one that has run out.
pub(crate) const LEASE_UPSERT: &str = "INSERT INTO lease (name, holder, until) VALUES (?1, ?2, ?4)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
     WHERE lease.holder = excluded.holder OR lease.until <= ?3";

/// A result from a store.
pub type StoreResult<T> = Result<T, StoreError>;

/// One tracking number of a shipment, as [`Store::tracking_of`] lists it:
/// the shipment's `seq`, the carrier and the number.
pub type ShipmentNumber = (
    i64,
    tracklane_core::CarrierCode,
    tracklane_core::TrackingNumber,
);

/// The storage every part of tracklane goes through, whatever the backend:
/// SQLite (embedded, the default) or PostgreSQL (for several replicas). The
/// hub's end-to-end tests in `crates/tracklane/tests` exercise both through
/// this trait.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Adds or replaces a warehouse.
    async fn put_warehouse(&self, warehouse: tracklane_core::Warehouse) -> StoreResult<()>;
    /// Every warehouse, by code.
    async fn warehouses(&self) -> StoreResult<Vec<tracklane_core::Warehouse>>;
    /// Sets a warehouse's receiving backlog.
    async fn set_backlog(
        &self,
        code: &tracklane_core::WarehouseCode,
        backlog_units: u32,
    ) -> StoreResult<()>;

    /// Adds or replaces a carrier.
    async fn put_carrier(&self, carrier: tracklane_core::Carrier) -> StoreResult<()>;
    /// Every carrier, by code.
    async fn carriers(&self) -> StoreResult<Vec<tracklane_core::Carrier>>;

    /// Adds or replaces a seller.
    async fn put_seller(&self, seller: tracklane_core::Seller) -> StoreResult<()>;
    /// Every seller.
    async fn sellers(&self) -> StoreResult<Vec<tracklane_core::Seller>>;

    /// Stores an API key's hash for a principal.
    async fn put_key(&self, key_hash: &str, principal: Principal) -> StoreResult<()>;
    /// The principal a key hash belongs to.
    async fn principal(&self, key_hash: &str) -> StoreResult<Option<Principal>>;

    /// Creates a shipment with its packages. Legs given on the packages are attached.
    async fn create_shipment(&self, shipment: tracklane_core::Shipment) -> StoreResult<()>;
    /// A shipment with its packages, legs, timelines and window audit.
    async fn shipment(&self, key: &ShipmentKey) -> StoreResult<Option<ShipmentDetail>>;
    /// One page of shipment summaries, in the query's order.
    ///
    /// # Panics
    /// When the query's cursor comes from another order
    /// ([`ShipmentQuery::cursor_fits`]): callers check what they are sent.
    async fn list_shipments(&self, query: &ShipmentQuery) -> StoreResult<Page>;

    /// Attaches tracking numbers to packages of one shipment for `actor`.
    async fn assign_tracking(
        &self,
        actor: &Principal,
        shipment: &ShipmentKey,
        assignments: Vec<TrackingAssignment>,
        now: jiff::Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>>;
    /// Appends milestones pushed by `carrier`: resolves, authorises, deduplicates,
    /// appends and updates the projection, all in one transaction.
    async fn append_milestones(
        &self,
        carrier: &tracklane_core::CarrierCode,
        drafts: Vec<MilestoneDraft>,
        now: jiff::Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>>;

    /// Sets a shipment's delivery window, with an audit entry.
    async fn set_delivery_window(
        &self,
        shipment: &ShipmentKey,
        change: WindowChangeRequest,
    ) -> StoreResult<WindowChange>;
    /// Allows or forbids delivery-window automation for a shipment.
    async fn set_window_automation(
        &self,
        shipment: &ShipmentKey,
        allowed: bool,
        now: jiff::Timestamp,
    ) -> StoreResult<()>;

    /// Records a warehouse receipt for a shipment: each line sets a SKU's
    /// units received so far (refused per line for a SKU the shipment does
    /// not hold), the first receipt checks the shipment in, and one that
    /// `closes` ends receiving, short or not. Stamps the shipment and leaves
    /// an audit entry only when something changed, so a receipt sent again
    /// is harmless.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown shipment.
    async fn record_receipt(
        &self,
        shipment: &ShipmentKey,
        receipt: ReceiptRequest,
    ) -> StoreResult<RecordedReceipt>;

    /// Cancels a shipment for its seller: only while the carrier has not
    /// picked it up. A cancelled shipment no longer counts as missing
    /// tracking, and the engine's next pass resolves its exceptions.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown shipment.
    async fn cancel_shipment(
        &self,
        shipment: &ShipmentKey,
        now: jiff::Timestamp,
    ) -> StoreResult<Cancellation>;

    /// Records that the seller asked the marketplace to reconcile a shipment
    /// whose receiving closed short. It then leaves the "received short"
    /// listing and count; recording it twice changes nothing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown shipment.
    async fn request_reconciliation(
        &self,
        shipment: &ShipmentKey,
        by: String,
        now: jiff::Timestamp,
    ) -> StoreResult<Reconciliation>;

    /// Applies `writes` in order, each as its own method would: one failing
    /// undoes none of the others, and each result comes back in its place. A
    /// backend may commit several in one transaction; a caller hears of none
    /// until all are committed. For bulk writers (replay, imports) that would
    /// otherwise wait for a commit per write.
    async fn apply(&self, writes: Vec<Write>) -> Vec<StoreResult<Written>> {
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            results.push(match write {
                Write::CreateShipment(shipment) => self
                    .create_shipment(*shipment)
                    .await
                    .map(|()| Written::Done),
                Write::AssignTracking {
                    actor,
                    shipment,
                    assignments,
                    now,
                } => self
                    .assign_tracking(&actor, &shipment, assignments, now)
                    .await
                    .map(Written::Items),
                Write::AppendMilestones {
                    carrier,
                    drafts,
                    now,
                } => self
                    .append_milestones(&carrier, drafts, now)
                    .await
                    .map(Written::Items),
                Write::SetDeliveryWindow { shipment, change } => self
                    .set_delivery_window(&shipment, change)
                    .await
                    .map(Written::Window),
                Write::SetWindowAutomation {
                    shipment,
                    allowed,
                    now,
                } => self
                    .set_window_automation(&shipment, allowed, now)
                    .await
                    .map(|()| Written::Done),
                Write::SetBacklog {
                    warehouse,
                    backlog_units,
                } => self
                    .set_backlog(&warehouse, backlog_units)
                    .await
                    .map(|()| Written::Done),
            });
        }
        results
    }

    /// Counts of what is stored, for metrics and benchmarks.
    async fn counts(&self) -> StoreResult<Counts>;

    /// The shipments changed at or after `since`, and every shipment stored
    /// after the one whose `seq` is `after_seq` whenever it changed, as
    /// (`seq`, id), oldest first: the work list of an engine pass that reads
    /// only what changed. [`jiff::Timestamp::MIN`] and 0 list every shipment.
    ///
    /// A shipment changed when its `updated_at` did. Every write that can
    /// change what a pass reads of a shipment stamps it with the write's
    /// `now`: attaching tracking, appending a milestone new to one of its
    /// boxes, a delivery-window change (the seller's, a carrier's, the
    /// automation's, or a confirmed reroute's, which also moves it to
    /// another warehouse) and the automation switch. Creating one stamps
    /// its `created_at`, which a caller may set in the past (imports, the
    /// demo's world): `after_seq` finds those. The engine's own results
    /// (estimates, exceptions, reroute offers) stamp nothing, and neither
    /// do carriers' capabilities, which the caller reads itself.
    ///
    /// A write is stamped before it commits, and processes sharing a store
    /// stamp with their own clocks, so a caller asks from a margin before
    /// the time it last asked, and now and then for everything.
    async fn changed_shipments(
        &self,
        since: jiff::Timestamp,
        after_seq: i64,
    ) -> StoreResult<Vec<(i64, tracklane_core::ShipmentId)>>;
    /// Writes an engine pass's verdicts: estimates replaced, exceptions opened,
    /// refreshed or resolved (a kind absent from a verdict is resolved).
    async fn put_assessments(
        &self,
        assessments: Vec<Assessment>,
        now: jiff::Timestamp,
    ) -> StoreResult<()>;
    /// Exceptions matching `query`, newest first.
    async fn exceptions(&self, query: &ExceptionQuery) -> StoreResult<Vec<ShipmentException>>;
    /// Stores reroute offers (none for a shipment with one still waiting) and
    /// withdraws waiting offers of shipments not in `offers`. Returns the new ones.
    async fn offer_reroutes(
        &self,
        offers: Vec<RerouteDraft>,
        now: jiff::Timestamp,
    ) -> StoreResult<Vec<Reroute>>;
    /// Reroutes matching `query`, newest first.
    async fn reroutes(&self, query: &RerouteQuery) -> StoreResult<Vec<Reroute>>;
    /// A carrier's (or the operator's) decision on offer `id`. A confirmation
    /// moves the shipment and sets its window to the appointment's week, audited.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an offer the actor may not decide,
    /// [`StoreError::Conflict`] for one already decided.
    async fn decide_reroute(
        &self,
        actor: &Principal,
        id: i64,
        decision: RerouteDecision,
        now: jiff::Timestamp,
    ) -> StoreResult<Reroute>;

    /// Stores a new web session.
    async fn put_session(&self, session: Session) -> StoreResult<()>;
    /// The session a token hash belongs to, if it has not expired at `now`.
    async fn session(&self, token_hash: &str, now: jiff::Timestamp)
    -> StoreResult<Option<Session>>;
    /// Ends a session (signing out); ending an unknown one is not an error.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// Tracking numbers of `carrier` on shipments still on their way (not
    /// delivered, received or cancelled), attached at or after `since`, the
    /// oldest first, at most `limit`: the work list of a pull adapter.
    async fn open_tracking(
        &self,
        carrier: &tracklane_core::CarrierCode,
        since: jiff::Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<tracklane_core::TrackingNumber>>;

    /// The tracking numbers of the shipments whose `seq`s are `shipments`
    /// (as [`ShipmentSummary::seq`] gives them): each leg's shipment, carrier
    /// and number, a shipment's in the order they were added, each number
    /// once per shipment. For lists that show numbers beside summaries.
    async fn tracking_of(&self, shipments: &[i64]) -> StoreResult<Vec<ShipmentNumber>>;

    /// The engine's latest arrival estimates of the shipments whose `seq`s
    /// are `shipments`, as (`seq`, estimate) in `seq` order; a shipment with
    /// none is left out. For lists that show the ETA beside summaries.
    async fn estimates_of(&self, shipments: &[i64]) -> StoreResult<Vec<(i64, Estimate)>>;

    /// The open exceptions of the shipments whose `seq`s are `shipments`, as
    /// (`seq`, exception) in `seq` order and, within a shipment, in the order
    /// they were opened. For lists that show what to do beside summaries.
    async fn open_exceptions_of(
        &self,
        shipments: &[i64],
    ) -> StoreResult<Vec<(i64, ExceptionDraft)>>;

    /// How many of the shipments `viewer` may see lack tracking, have an open
    /// exception, and have one of each of `kinds` (wire names; kinds without
    /// any are left out). Each count stops at [`ATTENTION_COUNT_MAX`], so it
    /// costs the same however many shipments the viewer has.
    async fn attention(&self, viewer: &Principal, kinds: &[&str]) -> StoreResult<Attention>;

    /// Every box carrying `number`, for the public tracking page.
    async fn find_tracking(
        &self,
        number: &tracklane_core::TrackingNumber,
    ) -> StoreResult<Vec<TrackedBox>>;

    /// Measured figures over the shipments `viewer` may see: on-time and
    /// transit time per carrier and lane, tracking coverage by day, problem
    /// milestones, window hits, and incoming volume per warehouse. Reads every
    /// visible shipment row once.
    async fn hub_stats(&self, viewer: &Principal) -> StoreResult<HubStats>;

    /// Takes or renews lease `name` for `holder` until `until`, unless another
    /// holder's lease runs past `now`; returns whether `holder` holds it.
    /// Background work that must run in one process at a time (engine passes,
    /// polling a carrier) takes a lease before each round, so processes
    /// sharing a store take turns instead of doing it twice.
    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> StoreResult<bool>;

    /// Adds a webhook subscription. From the next write on, every change of a
    /// shipment its owner may see leaves a delivery for it in the same
    /// transaction as the change.
    async fn put_webhook(&self, webhook: Webhook) -> StoreResult<()>;
    /// The subscriptions of `owner`, oldest first.
    async fn webhooks(&self, owner: &Principal) -> StoreResult<Vec<Webhook>>;
    /// Removes subscription `id` of `owner` with its deliveries.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`.
    async fn delete_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()>;
    /// Switches subscription `id` off at `at` for `reason`, unless it is off
    /// already or one of its deliveries was delivered at or after `since`:
    /// it is then left no deliveries, and its pending ones fail. Returns
    /// whether it was switched off.
    async fn switch_off_webhook(
        &self,
        id: &str,
        since: jiff::Timestamp,
        at: jiff::Timestamp,
        reason: &str,
    ) -> StoreResult<bool>;
    /// Switches subscription `id` of `owner` back on: changes from then on
    /// leave deliveries for it again.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`.
    async fn switch_on_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()>;

    /// Puts delivery `delivery` of subscription `id` of `owner` back in the
    /// queue, due at `now` with no attempts made, if it is finished
    /// (delivered or failed) and the subscription is on. It keeps its
    /// number, so its receiver sees the same notification id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`, or it
    /// has no delivery `delivery` (never, or no longer kept).
    async fn resend_delivery(
        &self,
        owner: &Principal,
        id: &str,
        delivery: i64,
        now: jiff::Timestamp,
    ) -> StoreResult<Resend>;
    /// Switches subscription `id` of `owner` on, as
    /// [`Store::switch_on_webhook`] does, and in the same transaction puts
    /// its failed deliveries still kept at `now` back in the queue, due at
    /// `now`, oldest first. Returns how many it put back.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`.
    async fn switch_on_webhook_resending(
        &self,
        owner: &Principal,
        id: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<usize>;
    /// How many deliveries [`Store::switch_on_webhook_resending`] would
    /// put back at `now`: the failed ones of subscription `id` of `owner`
    /// still kept.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`.
    async fn failed_deliveries_kept(
        &self,
        owner: &Principal,
        id: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<usize>;
    /// Pending deliveries due at `now`, the longest-waiting first, at most
    /// `limit`, each with its subscription. A backend that several processes
    /// share hands each delivery to one of them for a while, so two do not
    /// post it at once.
    async fn due_deliveries(
        &self,
        now: jiff::Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(Webhook, Delivery)>>;
    /// Records one attempt at delivery `id`.
    async fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreResult<()>;
    /// The newest deliveries of subscription `id` of `owner`, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `owner` has no subscription `id`.
    async fn deliveries(
        &self,
        owner: &Principal,
        id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>>;
}
