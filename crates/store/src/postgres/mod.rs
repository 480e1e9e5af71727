//! The PostgreSQL backend, for several `tracklane serve` replicas on one
//! database: a pool of connections, every write in its own transaction, and
//! row locks instead of the SQLite writer's single thread. A write that
//! changes a shipment's projection first locks the shipment row
//! (`SELECT … FOR UPDATE`), so two replicas appending to one shipment take
//! turns; repeated facts are dropped by a unique index, not by a cache.
//!
//! The rules of attaching and appending are [`crate::rules`]'s, shared with
//! the SQLite backend; the stored forms are [`crate::codec`]'s.

mod engine;
mod read;
mod schema;
mod tls;
mod webhooks;
mod write;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use jiff::Timestamp;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error as PgError, Row};
use tracklane_core::{
    Carrier, CarrierCode, Seller, Shipment, ShipmentId, TrackingNumber, Warehouse, WarehouseCode,
};

use crate::codec::{from_json, to_json};
use crate::{
    Assessment, Attempt, Attention, Cancellation, Counts, Delivery, Estimate, ExceptionDraft,
    ExceptionQuery, HubStats, ItemOutcome, MilestoneDraft, Page, Principal, ReceiptRequest,
    Reconciliation, RecordedReceipt, Reroute, RerouteDecision, RerouteDraft, RerouteQuery, Resend,
    Session, ShipmentDetail, ShipmentException, ShipmentKey, ShipmentQuery, Store, StoreError,
    StoreResult, TrackedBox, TrackingAssignment, Webhook, WindowChange, WindowChangeRequest,
};

/// Connections kept per process.
const POOL_SIZE_MAX: usize = 16;

/// Maps a driver error to the store's vocabulary.
pub(crate) fn pg(context: &str) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Unavailable {
        context: context.to_owned(),
        source: Box::new(e),
    }
}

/// Whether `e` is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// A statement's parameters.
type Params<'p> = [&'p (dyn ToSql + Sync)];

/// A write's transaction, with the webhook subscriptions once read in it.
///
/// Its statements are prepared once per pooled connection and kept
/// (deadpool's statement cache): a write then costs one round trip per
/// statement instead of two, the parse and plan being done already. Every
/// statement run through it is a fixed text, so the cache stays small.
pub(crate) struct Tx<'a> {
    pub tx: deadpool_postgres::Transaction<'a>,
    pub webhooks: Option<Vec<(i64, Webhook)>>,
}

impl<'a> Tx<'a> {
    async fn begin(client: &'a mut deadpool_postgres::Object) -> StoreResult<Self> {
        let tx = client
            .transaction()
            .await
            .map_err(pg("starting a transaction"))?;
        Ok(Self { tx, webhooks: None })
    }

    async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(pg("committing"))
    }

    /// The rows of `sql`.
    pub async fn query(&self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        self.tx.query(&statement, params).await
    }

    /// The one row of `sql`.
    pub async fn query_one(&self, sql: &str, params: &Params<'_>) -> Result<Row, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        self.tx.query_one(&statement, params).await
    }

    /// The row of `sql`, if any.
    pub async fn query_opt(&self, sql: &str, params: &Params<'_>) -> Result<Option<Row>, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        self.tx.query_opt(&statement, params).await
    }

    /// Runs `sql`; the number of rows it changed.
    pub async fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        self.tx.execute(&statement, params).await
    }
}

/// The rows of `sql`, a fixed text, through the connection's statement
/// cache: prepared once per pooled connection, then one round trip a call.
/// Texts built from a query's filters do not come here, so the cache stays
/// as small as the number of fixed reads.
pub(crate) async fn cached(
    client: &deadpool_postgres::ClientWrapper,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.query(&statement, params).await
}

/// How many times a write is run when PostgreSQL keeps aborting it to break
/// a deadlock, before its caller is told.
const TX_ATTEMPTS: u32 = 3;

/// Whether `e` is PostgreSQL aborting a transaction so that another can go
/// on (a deadlock, or a serialization failure): running it again cures it.
pub(crate) fn is_transient(e: &StoreError) -> bool {
    let StoreError::Unavailable { source, .. } = e else {
        return false;
    };
    source
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|code| {
            *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE
        })
}

/// Runs `$body` (an expression using `$t: &mut Tx`) in a transaction of
/// `$store` and commits it. A transaction PostgreSQL aborted to break a
/// deadlock is run again from the start, up to [`TX_ATTEMPTS`] times: a
/// write's effects are all in its transaction, so nothing of the aborted
/// run remains.
macro_rules! in_tx {
    ($store:expr, |$t:ident| $body:expr) => {{
        let mut attempt = 1;
        loop {
            let run: StoreResult<_> = async {
                let mut client = $store.client().await?;
                let mut tx = Tx::begin(&mut client).await?;
                let $t = &mut tx;
                let value = $body.await?;
                tx.commit().await?;
                Ok(value)
            }
            .await;
            match run {
                Err(e) if attempt < TX_ATTEMPTS && is_transient(&e) => {
                    tracing::info!(attempt, error = %e, "PostgreSQL aborted a write to break a deadlock; running it again");
                    attempt += 1;
                }
                done => break done,
            }
        }
    }};
}

/// A store in one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/db`,
    /// with `?sslmode=verify-full[&sslrootcert=PEM]` for TLS: see [`tls`]) and
    /// applies migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL does not parse or the database
    /// cannot be reached or migrated.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let (config, tls) = tls::read(url)?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(tls) => Manager::from_config(config, tls, manager_config),
            None => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE_MAX)
            .build()
            .map_err(|e| StoreError::Unavailable {
                context: "building the connection pool".into(),
                source: Box::new(e),
            })?;
        let store = Self { pool };
        let mut client = store.client().await?;
        schema::migrate(&mut client)
            .await
            .map_err(pg("migrating the database"))?;
        Ok(store)
    }

    /// The TLS version of a connection to the server (`TLSv1.3`), or `None`
    /// when the URL does not ask for TLS.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached.
    pub async fn tls_version(&self) -> StoreResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(pg("asking how the connection is secured"))?;
        Ok(row.get(0))
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable {
            context: "taking a connection from the pool".into(),
            source: Box::new(e),
        })
    }

    async fn put_body(&self, table: &'static str, key: String, body: String) -> StoreResult<()> {
        let (key_column, body_column) = columns(table);
        let sql = format!(
            "INSERT INTO {table} VALUES ($1, $2) ON CONFLICT ({key_column}) DO UPDATE SET {body_column} = EXCLUDED.{body_column}"
        );
        self.client()
            .await?
            .execute(&sql, &[&key, &body])
            .await
            .map_err(pg("storing reference data"))?;
        Ok(())
    }

    async fn bodies<T: for<'de> serde::Deserialize<'de>>(
        &self,
        table: &'static str,
    ) -> StoreResult<Vec<T>> {
        let sql = format!("SELECT body FROM {table} ORDER BY 1");
        let rows = self
            .client()
            .await?
            .query(&sql, &[])
            .await
            .map_err(pg("reading reference data"))?;
        rows.iter().map(|r| from_json(r.get(0))).collect()
    }
}

/// The key and value columns of a two-column table, for its upsert.
fn columns(table: &str) -> (&'static str, &'static str) {
    match table {
        "seller" => ("id", "body"),
        "api_key" => ("key_hash", "principal"),
        _ => ("code", "body"),
    }
}

#[async_trait]
impl Store for PgStore {
    async fn put_warehouse(&self, warehouse: Warehouse) -> StoreResult<()> {
        self.put_body(
            "warehouse",
            warehouse.code.to_string(),
            to_json(&warehouse)?,
        )
        .await
    }

    async fn warehouses(&self) -> StoreResult<Vec<Warehouse>> {
        self.bodies("warehouse").await
    }

    async fn set_backlog(&self, code: &WarehouseCode, backlog_units: u32) -> StoreResult<()> {
        let code = code.to_string();
        in_tx!(self, |t| async {
            let row = t
                .query_opt(
                    "SELECT body FROM warehouse WHERE code = $1 FOR UPDATE",
                    &[&code],
                )
                .await
                .map_err(pg("reading a warehouse"))?
                .ok_or_else(|| StoreError::NotFound {
                    what: "warehouse",
                    key: code.clone(),
                })?;
            let mut warehouse: Warehouse = from_json(row.get(0))?;
            warehouse.backlog_units = backlog_units;
            t.execute(
                "UPDATE warehouse SET body = $2 WHERE code = $1",
                &[&code, &to_json(&warehouse)?],
            )
            .await
            .map_err(pg("setting a backlog"))?;
            Ok(())
        })
    }

    async fn put_carrier(&self, carrier: Carrier) -> StoreResult<()> {
        self.put_body("carrier", carrier.code.to_string(), to_json(&carrier)?)
            .await
    }

    async fn carriers(&self) -> StoreResult<Vec<Carrier>> {
        self.bodies("carrier").await
    }

    async fn put_seller(&self, seller: Seller) -> StoreResult<()> {
        self.put_body("seller", seller.id.to_string(), to_json(&seller)?)
            .await
    }

    async fn sellers(&self) -> StoreResult<Vec<Seller>> {
        self.bodies("seller").await
    }

    async fn put_key(&self, key_hash: &str, principal: Principal) -> StoreResult<()> {
        self.put_body("api_key", key_hash.to_owned(), to_json(&principal)?)
            .await
    }

    async fn principal(&self, key_hash: &str) -> StoreResult<Option<Principal>> {
        let client = self.client().await?;
        let rows = cached(
            &client,
            "SELECT principal FROM api_key WHERE key_hash = $1",
            &[&key_hash],
        )
        .await
        .map_err(pg("looking up a key"))?;
        rows.first().map(|r| from_json(r.get(0))).transpose()
    }

    async fn create_shipment(&self, shipment: Shipment) -> StoreResult<()> {
        in_tx!(self, |t| write::create_shipment(t, &shipment))
    }

    async fn shipment(&self, key: &ShipmentKey) -> StoreResult<Option<ShipmentDetail>> {
        read::shipment_detail(self.client().await?, key).await
    }

    async fn list_shipments(&self, query: &ShipmentQuery) -> StoreResult<Page> {
        let client = self.client().await?;
        read::list(&client, query).await
    }

    async fn assign_tracking(
        &self,
        actor: &Principal,
        shipment: &ShipmentKey,
        assignments: Vec<TrackingAssignment>,
        now: Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>> {
        in_tx!(self, |t| write::assign_tracking(
            t,
            actor,
            shipment,
            &assignments,
            now
        ))
    }

    async fn append_milestones(
        &self,
        carrier: &CarrierCode,
        drafts: Vec<MilestoneDraft>,
        now: Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>> {
        in_tx!(self, |t| write::append_milestones(t, carrier, &drafts, now))
    }

    async fn set_delivery_window(
        &self,
        shipment: &ShipmentKey,
        change: WindowChangeRequest,
    ) -> StoreResult<WindowChange> {
        in_tx!(self, |t| write::set_delivery_window(t, shipment, &change))
    }

    async fn set_window_automation(
        &self,
        shipment: &ShipmentKey,
        allowed: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        in_tx!(self, |t| write::set_window_automation(
            t, shipment, allowed, now
        ))
    }

    async fn record_receipt(
        &self,
        shipment: &ShipmentKey,
        receipt: ReceiptRequest,
    ) -> StoreResult<RecordedReceipt> {
        in_tx!(self, |t| write::record_receipt(t, shipment, &receipt))
    }

    async fn cancel_shipment(
        &self,
        shipment: &ShipmentKey,
        now: Timestamp,
    ) -> StoreResult<Cancellation> {
        in_tx!(self, |t| write::cancel_shipment(t, shipment, now))
    }

    async fn request_reconciliation(
        &self,
        shipment: &ShipmentKey,
        by: String,
        now: Timestamp,
    ) -> StoreResult<Reconciliation> {
        in_tx!(self, |t| write::request_reconciliation(
            t, shipment, &by, now
        ))
    }

    async fn counts(&self) -> StoreResult<Counts> {
        let row = self
            .client()
            .await?
            .query_one(
                // One row per package is kept here; a fact of a number several
                // boxes share counts once, as in SQLite.
                "SELECT (SELECT count(*) FROM shipment), (SELECT count(*) FROM package),
                        (SELECT coalesce(sum(milestone_count), 0)::BIGINT FROM shipment)",
                &[],
            )
            .await
            .map_err(pg("counting"))?;
        let n = |i: usize| row.get::<_, i64>(i) as u64;
        Ok(Counts {
            shipments: n(0),
            packages: n(1),
            milestones: n(2),
        })
    }

    async fn changed_shipments(
        &self,
        since: Timestamp,
        after_seq: i64,
    ) -> StoreResult<Vec<(i64, ShipmentId)>> {
        let client = self.client().await?;
        engine::changed_shipments(&client, since, after_seq).await
    }

    async fn put_assessments(
        &self,
        assessments: Vec<Assessment>,
        now: Timestamp,
    ) -> StoreResult<()> {
        in_tx!(self, |t| engine::put_assessments(t, &assessments, now))
    }

    async fn exceptions(&self, query: &ExceptionQuery) -> StoreResult<Vec<ShipmentException>> {
        let client = self.client().await?;
        engine::exceptions(&client, query).await
    }

    async fn offer_reroutes(
        &self,
        offers: Vec<RerouteDraft>,
        now: Timestamp,
    ) -> StoreResult<Vec<Reroute>> {
        in_tx!(self, |t| engine::offer_reroutes(t, &offers, now))
    }

    async fn reroutes(&self, query: &RerouteQuery) -> StoreResult<Vec<Reroute>> {
        let client = self.client().await?;
        engine::reroutes(&client, query).await
    }

    async fn decide_reroute(
        &self,
        actor: &Principal,
        id: i64,
        decision: RerouteDecision,
        now: Timestamp,
    ) -> StoreResult<Reroute> {
        in_tx!(self, |t| engine::decide_reroute(
            t, actor, id, decision, now
        ))
    }

    async fn put_session(&self, session: Session) -> StoreResult<()> {
        in_tx!(self, |t| async {
            // Expired sessions go when a new one comes, as in SQLite.
            t.execute(
                "DELETE FROM session WHERE expires_at <= $1",
                &[&session.created_at.as_microsecond()],
            )
            .await
            .map_err(pg("dropping expired sessions"))?;
            t.execute(
                "INSERT INTO session (token_hash, principal, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (token_hash) DO UPDATE SET principal = EXCLUDED.principal, csrf = EXCLUDED.csrf,
                     created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
                &[
                    &session.token_hash,
                    &to_json(&session.principal)?,
                    &session.csrf,
                    &session.created_at.as_microsecond(),
                    &session.expires_at.as_microsecond(),
                ],
            )
            .await
            .map_err(pg("storing a session"))?;
            Ok(())
        })
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let client = self.client().await?;
        let rows = cached(
            &client,
            "SELECT principal, csrf, created_at, expires_at FROM session
             WHERE token_hash = $1 AND expires_at > $2",
            &[&token_hash, &now.as_microsecond()],
        )
        .await
        .map_err(pg("reading a session"))?;
        rows.first()
            .map(|r| {
                Ok(Session {
                    token_hash: token_hash.to_owned(),
                    principal: from_json(r.get(0))?,
                    csrf: r.get(1),
                    created_at: crate::codec::timestamp(r.get(2))?,
                    expires_at: crate::codec::timestamp(r.get(3))?,
                })
            })
            .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM session WHERE token_hash = $1", &[&token_hash])
            .await
            .map_err(pg("deleting a session"))?;
        Ok(())
    }

    async fn open_tracking(
        &self,
        carrier: &CarrierCode,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<TrackingNumber>> {
        let client = self.client().await?;
        read::open_tracking(&client, carrier, since, limit).await
    }

    async fn tracking_of(&self, shipments: &[i64]) -> StoreResult<Vec<crate::ShipmentNumber>> {
        let client = self.client().await?;
        read::tracking_of(&client, shipments).await
    }

    async fn estimates_of(&self, shipments: &[i64]) -> StoreResult<Vec<(i64, Estimate)>> {
        let client = self.client().await?;
        read::estimates_of(&client, shipments).await
    }

    async fn open_exceptions_of(
        &self,
        shipments: &[i64],
    ) -> StoreResult<Vec<(i64, ExceptionDraft)>> {
        let client = self.client().await?;
        read::open_exceptions_of(&client, shipments).await
    }

    async fn attention(&self, viewer: &Principal, kinds: &[&str]) -> StoreResult<Attention> {
        let client = self.client().await?;
        read::attention(&client, viewer, kinds).await
    }

    async fn find_tracking(&self, number: &TrackingNumber) -> StoreResult<Vec<TrackedBox>> {
        let client = self.client().await?;
        read::find_tracking(&client, number).await
    }

    async fn hub_stats(&self, viewer: &Principal) -> StoreResult<HubStats> {
        let client = self.client().await?;
        read::hub_stats(&client, viewer).await
    }

    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let sql = crate::LEASE_UPSERT.replace('?', "$");
        client
            .execute(
                &sql,
                &[
                    &name,
                    &holder,
                    &now.as_microsecond(),
                    &until.as_microsecond(),
                ],
            )
            .await
            .map_err(pg("taking a lease"))?;
        let held_by: String = client
            .query_one("SELECT holder FROM lease WHERE name = $1", &[&name])
            .await
            .map_err(pg("reading a lease"))?
            .get(0);
        Ok(held_by == holder)
    }

    async fn put_webhook(&self, webhook: Webhook) -> StoreResult<()> {
        in_tx!(self, |t| webhooks::put_webhook(t, &webhook))
    }

    async fn webhooks(&self, owner: &Principal) -> StoreResult<Vec<Webhook>> {
        let client = self.client().await?;
        webhooks::webhooks(&client, owner).await
    }

    async fn delete_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()> {
        in_tx!(self, |t| webhooks::delete_webhook(t, owner, id))
    }

    async fn switch_off_webhook(
        &self,
        id: &str,
        since: Timestamp,
        at: Timestamp,
        reason: &str,
    ) -> StoreResult<bool> {
        let (since_us, at_us) = (since.as_microsecond(), at.as_microsecond());
        in_tx!(self, |t| webhooks::switch_off_webhook(
            t, id, since_us, at_us, reason
        ))
    }

    async fn switch_on_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()> {
        in_tx!(self, |t| webhooks::switch_on_webhook(t, owner, id))
    }

    async fn resend_delivery(
        &self,
        owner: &Principal,
        id: &str,
        delivery: i64,
        now: Timestamp,
    ) -> StoreResult<Resend> {
        let now_us = now.as_microsecond();
        in_tx!(self, |t| webhooks::resend_delivery(
            t, owner, id, delivery, now_us
        ))
    }

    async fn switch_on_webhook_resending(
        &self,
        owner: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<usize> {
        in_tx!(self, |t| webhooks::switch_on_webhook_resending(
            t, owner, id, now
        ))
    }

    async fn failed_deliveries_kept(
        &self,
        owner: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<usize> {
        let client = self.client().await?;
        webhooks::failed_deliveries_kept(&client, owner, id, now).await
    }

    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(Webhook, Delivery)>> {
        in_tx!(self, |t| webhooks::due_deliveries(t, now, limit))
    }

    async fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreResult<()> {
        in_tx!(self, |t| webhooks::record_attempt(t, id, &attempt))
    }

    async fn deliveries(
        &self,
        owner: &Principal,
        id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let client = self.client().await?;
        webhooks::deliveries(&client, owner, id, limit).await
    }
}
