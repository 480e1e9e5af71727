//! The embedded SQLite backend: one writer thread (see the `writer` module)
//! and a small pool of read connections. WAL lets readers run beside the
//! writer.

mod backup;
pub mod bench;
mod engine;
mod read;
mod rows;
mod schema;
mod webhooks;
mod writer;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tracklane_core::{
    Carrier, CarrierCode, Seller, Shipment, TrackingNumber, Warehouse, WarehouseCode,
};

pub use self::backup::{Backup, RestoreError, Restored, backup, restore};
use self::rows::{to_json, unavailable};
pub use self::writer::Durability;
use self::writer::{Cache, Job, Queued, Reply, Writer, once};
use crate::{
    Assessment, Attempt, Attention, Cancellation, Counts, Delivery, Estimate, ExceptionDraft,
    ExceptionQuery, HubStats, ItemOutcome, MilestoneDraft, Page, Principal, ReceiptRequest,
    Reconciliation, RecordedReceipt, Reroute, RerouteDecision, RerouteDraft, RerouteQuery, Resend,
    Session, ShipmentDetail, ShipmentException, ShipmentKey, ShipmentQuery, Store, StoreError,
    StoreResult, TrackedBox, TrackingAssignment, Webhook, WindowChange, WindowChangeRequest, Write,
    Written,
};

/// Jobs that may wait for the writer before callers are held back.
const WRITE_QUEUE_DEPTH: usize = 256;
/// Read connections: at most this many reads run at once, each on a
/// connection kept open for the next. A read beyond that waits for one to
/// finish rather than opening a connection of its own, which would parse the
/// schema and prepare every statement again only to be closed.
const READERS_MAX: usize = 4;

/// The carriers as last read, and how many carrier writes there have been, so
/// that a read racing a write is not kept.
#[derive(Default)]
struct CarrierCache {
    generation: u64,
    carriers: Option<Vec<Carrier>>,
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable {
        context: "the writer thread stopped".into(),
        source: "channel closed".into(),
    }
}

/// A store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: tokio::sync::mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read connection (see [`READERS_MAX`]).
    reading: Arc<tokio::sync::Semaphore>,
    /// The carriers, read once: every carrier push checks its capabilities.
    carriers: Arc<Mutex<CarrierCache>>,
    path: Arc<std::path::PathBuf>,
    durability: Durability,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, applies migrations, and
    /// starts the writer thread.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or migrated.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, Durability::Full)
    }

    /// Opens a scratch store at `path`, for a file that is thrown away after
    /// use (a replay, a benchmark): writes are answered before they are
    /// committed, and commits are not synced ([`Durability::Scratch`]).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or migrated.
    pub fn open_scratch(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, Durability::Scratch)
    }

    fn open_with(path: &Path, durability: Durability) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable {
                context: format!("creating {}", dir.display()),
                source: Box::new(e),
            })?;
        }
        let mut conn = Connection::open(path).map_err(unavailable("opening the database"))?;
        conn.execute_batch(schema::CONNECTION_PRAGMAS)
            .map_err(unavailable("configuring the database"))?;
        if durability == Durability::Scratch {
            conn.execute_batch("PRAGMA synchronous = OFF")
                .map_err(unavailable("configuring the database"))?;
        }
        schema::migrate(&mut conn).map_err(unavailable("migrating the database"))?;
        // The writer's statements are prepared once and run with ever new
        // parameters. Without the planner's stability guarantee, SQLite drops
        // and re-plans a statement whose plan looked at a bound value (the
        // package lookup of every shipment it loads did: about 70 000
        // instructions each time).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(unavailable("configuring the writer"))?;
        let (sender, receiver) = tokio::sync::mpsc::channel(WRITE_QUEUE_DEPTH);
        let writer = Writer {
            conn,
            cache: Cache::default(),
            defer_projections: false,
            durability,
            uncommitted: Vec::new(),
            broken: None,
        };
        std::thread::Builder::new()
            .name("tracklane-sqlite-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| StoreError::Unavailable {
                context: "starting the writer thread".into(),
                source: Box::new(e),
            })?;
        Ok(Self {
            jobs: sender,
            readers: Arc::new(Mutex::new(Vec::new())),
            reading: Arc::new(tokio::sync::Semaphore::new(READERS_MAX)),
            carriers: Arc::new(Mutex::new(CarrierCache::default())),
            path: Arc::new(path.to_owned()),
            durability,
        })
    }

    /// Runs `f` on the writer thread inside a transaction; returns after commit.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Writer) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.submit(|reply| Box::new(once(f, reply)))
            .await?
            .await
            .map_err(|_| writer_gone())?
    }

    /// Queues the job `make` builds around its reply channel, and returns once
    /// it is queued: jobs run in the order they were submitted, and the answer
    /// comes after the commit.
    async fn submit<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> Job,
    ) -> StoreResult<tokio::sync::oneshot::Receiver<StoreResult<T>>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(make(reply))
            .await
            .map_err(|_| writer_gone())?;
        Ok(answer)
    }

    /// Runs `f` on a read connection on the blocking pool. A scratch store
    /// first commits the writes it has answered, so a read sees them.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        if self.durability == Durability::Scratch {
            self.write(|_| Ok(())).await?;
        }
        let permit =
            self.reading
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| StoreError::Unavailable {
                    context: "waiting for a read connection".into(),
                    source: Box::new(e),
                })?;
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match readers.lock().ok().and_then(|mut pool| pool.pop()) {
                Some(conn) => conn,
                None => {
                    let conn = Connection::open_with_flags(
                        path.as_path(),
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(unavailable("opening a read connection"))?;
                    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536;")
                        .map_err(unavailable("configuring a read connection"))?;
                    // As on the writer: a cached statement keeps its plan
                    // whatever is bound. Without it, reading a shipment's
                    // milestone chain re-planned its statement for every
                    // milestone, a third of an engine pass.
                    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
                        .map_err(unavailable("configuring a read connection"))?;
                    conn
                }
            };
            // One read transaction around the whole read: its statements see
            // one state of the store (a detail's milestones are those of the
            // shipment row it read), and the WAL's shared lock is taken once
            // rather than once per statement.
            let result = conn
                .unchecked_transaction()
                .map_err(unavailable("starting a read"))
                .and_then(|snapshot| f(&snapshot));
            if let Ok(mut pool) = readers.lock() {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable {
            context: "a read task failed".into(),
            source: Box::new(e),
        })?
    }

    async fn put_body(&self, table: &'static str, key: String, body: String) -> StoreResult<()> {
        self.write(move |w| {
            let sql = format!("INSERT OR REPLACE INTO {table} VALUES (?1, ?2)");
            w.conn
                .execute(&sql, params![key, body])
                .map_err(unavailable("storing reference data"))?;
            Ok(())
        })
        .await
    }

    async fn bodies<T: for<'de> serde::Deserialize<'de> + Send + 'static>(
        &self,
        table: &'static str,
    ) -> StoreResult<Vec<T>> {
        self.read(move |conn| {
            let sql = format!("SELECT body FROM {table} ORDER BY 1");
            let mut statement = conn
                .prepare_cached(&sql)
                .map_err(unavailable("reading reference data"))?;
            let texts: Vec<String> = statement
                .query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(unavailable("reading reference data"))?;
            texts.iter().map(|t| rows::from_json(t)).collect()
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
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
        let code = code.clone();
        self.write(move |w| set_backlog(w, &code, backlog_units))
            .await
    }

    async fn put_carrier(&self, carrier: Carrier) -> StoreResult<()> {
        let written = self
            .put_body("carrier", carrier.code.to_string(), to_json(&carrier)?)
            .await;
        if let Ok(mut cache) = self.carriers.lock() {
            cache.generation += 1;
            cache.carriers = None;
        }
        written
    }

    async fn carriers(&self) -> StoreResult<Vec<Carrier>> {
        let generation = match self.carriers.lock() {
            Ok(cache) => match &cache.carriers {
                Some(carriers) => return Ok(carriers.clone()),
                None => cache.generation,
            },
            Err(_) => u64::MAX,
        };
        let carriers: Vec<Carrier> = self.bodies("carrier").await?;
        // Kept only if no carrier was written while it was being read.
        if let Ok(mut cache) = self.carriers.lock()
            && cache.generation == generation
        {
            cache.carriers = Some(carriers.clone());
        }
        Ok(carriers)
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
        let key_hash = key_hash.to_owned();
        self.read(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT principal FROM api_key WHERE key_hash = ?1")
                .and_then(|mut s| {
                    rusqlite::OptionalExtension::optional(s.query_row([key_hash], |r| r.get(0)))
                })
                .map_err(unavailable("looking up a key"))?;
            body.map(|b| rows::from_json(&b)).transpose()
        })
        .await
    }

    async fn create_shipment(&self, shipment: Shipment) -> StoreResult<()> {
        self.write(move |w| insert_shipment(&w.conn, &shipment))
            .await
    }

    async fn shipment(&self, key: &ShipmentKey) -> StoreResult<Option<ShipmentDetail>> {
        let key = key.clone();
        self.read(move |conn| read::shipment_detail(conn, &key))
            .await
    }

    async fn list_shipments(&self, query: &ShipmentQuery) -> StoreResult<Page> {
        let query = query.clone();
        self.read(move |conn| read::list(conn, &query)).await
    }

    async fn assign_tracking(
        &self,
        actor: &Principal,
        shipment: &ShipmentKey,
        assignments: Vec<TrackingAssignment>,
        now: Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>> {
        let (key, actor) = (shipment.clone(), actor.clone());
        self.write(move |w| assign_tracking(w, &actor, &key, &assignments, now))
            .await
    }

    async fn append_milestones(
        &self,
        carrier: &CarrierCode,
        drafts: Vec<MilestoneDraft>,
        now: Timestamp,
    ) -> StoreResult<Vec<ItemOutcome>> {
        let carrier = carrier.clone();
        self.write(move |w| w.append(&carrier, &drafts, now.as_microsecond()))
            .await
    }

    async fn set_delivery_window(
        &self,
        shipment: &ShipmentKey,
        change: WindowChangeRequest,
    ) -> StoreResult<WindowChange> {
        let key = shipment.clone();
        self.write(move |w| set_delivery_window(w, &key, &change))
            .await
    }

    async fn set_window_automation(
        &self,
        shipment: &ShipmentKey,
        allowed: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let key = shipment.clone();
        self.write(move |w| set_window_automation(w, &key, allowed, now))
            .await
    }

    async fn record_receipt(
        &self,
        shipment: &ShipmentKey,
        receipt: ReceiptRequest,
    ) -> StoreResult<RecordedReceipt> {
        let key = shipment.clone();
        self.write(move |w| {
            let seq = w.stored_shipment_seq(&key)?;
            w.record_receipt(seq, &receipt)
        })
        .await
    }

    async fn cancel_shipment(
        &self,
        shipment: &ShipmentKey,
        now: Timestamp,
    ) -> StoreResult<Cancellation> {
        let key = shipment.clone();
        self.write(move |w| {
            let seq = w.stored_shipment_seq(&key)?;
            w.cancel(seq, now.as_microsecond())
        })
        .await
    }

    async fn request_reconciliation(
        &self,
        shipment: &ShipmentKey,
        by: String,
        now: Timestamp,
    ) -> StoreResult<Reconciliation> {
        let key = shipment.clone();
        self.write(move |w| {
            let Some(seq) = w.shipment_seq(&key)? else {
                return Err(StoreError::NotFound {
                    what: "shipment",
                    key: key.0.clone(),
                });
            };
            w.request_reconciliation(seq, by, now.as_microsecond())
        })
        .await
    }

    async fn apply(&self, writes: Vec<Write>) -> Vec<StoreResult<Written>> {
        // Queue every job first so that the writer can group them into few
        // transactions, then collect the answers in order.
        let mut answers = Vec::with_capacity(writes.len());
        for write in writes {
            let job = move |w: &mut Writer| apply_one(w, &write);
            answers.push(
                self.submit(|reply| Box::new(Queued::again(job, reply)))
                    .await,
            );
        }
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            results.push(match answer {
                Ok(answer) => answer.await.unwrap_or_else(|_| Err(writer_gone())),
                Err(e) => Err(e),
            });
        }
        results
    }

    async fn counts(&self) -> StoreResult<Counts> {
        self.read(|conn| {
            let count = |table: &str| -> StoreResult<u64> {
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as u64)
                .map_err(unavailable("counting"))
            };
            Ok(Counts {
                shipments: count("shipment")?,
                packages: count("package")?,
                milestones: count("milestone")?,
            })
        })
        .await
    }

    async fn changed_shipments(
        &self,
        since: Timestamp,
        after_seq: i64,
    ) -> StoreResult<Vec<(i64, tracklane_core::ShipmentId)>> {
        let since_us = since.as_microsecond();
        self.read(move |conn| engine::changed_shipments(conn, since_us, after_seq))
            .await
    }

    async fn put_assessments(
        &self,
        assessments: Vec<Assessment>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |w| engine::put_assessments(w, &assessments, now.as_microsecond()))
            .await
    }

    async fn exceptions(&self, query: &ExceptionQuery) -> StoreResult<Vec<ShipmentException>> {
        let query = query.clone();
        self.read(move |conn| engine::exceptions(conn, &query))
            .await
    }

    async fn offer_reroutes(
        &self,
        offers: Vec<RerouteDraft>,
        now: Timestamp,
    ) -> StoreResult<Vec<Reroute>> {
        self.write(move |w| {
            let keep: Vec<tracklane_core::ShipmentId> =
                offers.iter().map(|o| o.shipment.clone()).collect();
            engine::withdraw_reroutes(w, &keep, now.as_microsecond())?;
            engine::offer_reroutes(w, offers, now.as_microsecond())
        })
        .await
    }

    async fn put_session(&self, session: Session) -> StoreResult<()> {
        self.write(move |w| {
            // Expired sessions go when a new one comes: sessions are few, and
            // this keeps the table from growing without a sweeper.
            w.conn
                .prepare_cached("DELETE FROM session WHERE expires_at <= ?1")
                .and_then(|mut s| s.execute([session.created_at.as_microsecond()]))
                .map_err(unavailable("dropping expired sessions"))?;
            w.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO session (token_hash, principal, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        session.token_hash,
                        to_json(&session.principal).unwrap_or_default(),
                        session.csrf,
                        session.created_at.as_microsecond(),
                        session.expires_at.as_microsecond()
                    ])
                })
                .map_err(unavailable("storing a session"))?;
            Ok(())
        })
        .await
    }

    async fn reroutes(&self, query: &RerouteQuery) -> StoreResult<Vec<Reroute>> {
        let query = query.clone();
        self.read(move |conn| engine::reroutes(conn, &query)).await
    }

    async fn decide_reroute(
        &self,
        actor: &Principal,
        id: i64,
        decision: RerouteDecision,
        now: Timestamp,
    ) -> StoreResult<Reroute> {
        let actor = actor.clone();
        self.write(move |w| engine::decide_reroute(w, &actor, id, decision, now.as_microsecond()))
            .await
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        let token_hash = token_hash.to_owned();
        self.read(move |conn| read::session(conn, &token_hash, now.as_microsecond()))
            .await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.write(move |w| {
            w.conn
                .execute("DELETE FROM session WHERE token_hash = ?1", [token_hash])
                .map_err(unavailable("deleting a session"))?;
            Ok(())
        })
        .await
    }

    async fn open_tracking(
        &self,
        carrier: &CarrierCode,
        since: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<TrackingNumber>> {
        let carrier = carrier.to_string();
        self.read(move |conn| read::open_tracking(conn, &carrier, since.as_microsecond(), limit))
            .await
    }

    async fn tracking_of(&self, shipments: &[i64]) -> StoreResult<Vec<crate::ShipmentNumber>> {
        let shipments = shipments.to_vec();
        self.read(move |conn| read::tracking_of(conn, &shipments))
            .await
    }

    async fn estimates_of(&self, shipments: &[i64]) -> StoreResult<Vec<(i64, Estimate)>> {
        let shipments = shipments.to_vec();
        self.read(move |conn| engine::estimates_of(conn, &shipments))
            .await
    }

    async fn open_exceptions_of(
        &self,
        shipments: &[i64],
    ) -> StoreResult<Vec<(i64, ExceptionDraft)>> {
        let shipments = shipments.to_vec();
        self.read(move |conn| engine::open_exceptions_of(conn, &shipments))
            .await
    }

    async fn attention(&self, viewer: &Principal, kinds: &[&str]) -> StoreResult<Attention> {
        let viewer = viewer.clone();
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        self.read(move |conn| {
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            read::attention(conn, &viewer, &kinds)
        })
        .await
    }

    async fn find_tracking(&self, number: &TrackingNumber) -> StoreResult<Vec<TrackedBox>> {
        let number = number.to_string();
        self.read(move |conn| read::find_tracking(conn, &number))
            .await
    }

    async fn hub_stats(&self, viewer: &Principal) -> StoreResult<HubStats> {
        let viewer = viewer.clone();
        self.read(move |conn| read::hub_stats(conn, &viewer)).await
    }

    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |w| {
            w.conn
                .prepare_cached(crate::LEASE_UPSERT)
                .and_then(|mut s| {
                    s.execute(params![
                        name,
                        holder,
                        now.as_microsecond(),
                        until.as_microsecond()
                    ])
                })
                .map_err(unavailable("taking a lease"))?;
            w.conn
                .prepare_cached("SELECT holder FROM lease WHERE name = ?1")
                .and_then(|mut s| s.query_row([&name], |r| r.get::<_, String>(0)))
                .map(|held_by| held_by == holder)
                .map_err(unavailable("reading a lease"))
        })
        .await
    }

    async fn put_webhook(&self, webhook: Webhook) -> StoreResult<()> {
        self.write(move |w| webhooks::put_webhook(w, &webhook))
            .await
    }

    async fn webhooks(&self, owner: &Principal) -> StoreResult<Vec<Webhook>> {
        let owner = owner.clone();
        self.read(move |conn| webhooks::webhooks(conn, &owner))
            .await
    }

    async fn delete_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.write(move |w| webhooks::delete_webhook(w, &owner, &id))
            .await
    }

    async fn switch_off_webhook(
        &self,
        id: &str,
        since: Timestamp,
        at: Timestamp,
        reason: &str,
    ) -> StoreResult<bool> {
        let (id, reason) = (id.to_owned(), reason.to_owned());
        let (since_us, at_us) = (since.as_microsecond(), at.as_microsecond());
        self.write(move |w| webhooks::switch_off_webhook(w, &id, since_us, at_us, &reason))
            .await
    }

    async fn switch_on_webhook(&self, owner: &Principal, id: &str) -> StoreResult<()> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.write(move |w| webhooks::switch_on_webhook(w, &owner, &id))
            .await
    }

    async fn resend_delivery(
        &self,
        owner: &Principal,
        id: &str,
        delivery: i64,
        now: Timestamp,
    ) -> StoreResult<Resend> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.write(move |w| {
            webhooks::resend_delivery(w, &owner, &id, delivery, now.as_microsecond())
        })
        .await
    }

    async fn switch_on_webhook_resending(
        &self,
        owner: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<usize> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.write(move |w| webhooks::switch_on_webhook_resending(w, &owner, &id, now))
            .await
    }

    async fn failed_deliveries_kept(
        &self,
        owner: &Principal,
        id: &str,
        now: Timestamp,
    ) -> StoreResult<usize> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.read(move |conn| webhooks::failed_deliveries_kept(conn, &owner, &id, now))
            .await
    }

    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(Webhook, Delivery)>> {
        self.read(move |conn| webhooks::due_deliveries(conn, now.as_microsecond(), limit))
            .await
    }

    async fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreResult<()> {
        self.write(move |w| webhooks::record_attempt(w, id, &attempt))
            .await
    }

    async fn deliveries(
        &self,
        owner: &Principal,
        id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let (owner, id) = (owner.clone(), id.to_owned());
        self.read(move |conn| webhooks::deliveries(conn, &owner, &id, limit))
            .await
    }
}

/// Inserts a new shipment, its packages, and any legs they already carry.
fn insert_shipment(conn: &Connection, shipment: &Shipment) -> StoreResult<()> {
    let exists: bool = conn
        .prepare_cached("SELECT 1 FROM shipment WHERE id = ?1 OR confirmation_id = ?2")
        .and_then(|mut s| {
            s.exists(params![
                shipment.id.as_str(),
                shipment.confirmation_id.as_str()
            ])
        })
        .map_err(unavailable("checking a shipment id"))?;
    if exists {
        return Err(StoreError::Conflict {
            what: "shipment",
            key: shipment.confirmation_id.to_string(),
        });
    }
    let new = crate::rules::NewShipment::of(shipment);
    let body = to_json(&new.body)?;
    let (window, source) = match &shipment.delivery_window {
        Some((w, s)) => (Some(*w), Some(s.number())),
        None => (None, None),
    };
    let created_us = shipment.created_at.as_microsecond();
    conn.prepare_cached(
        "INSERT INTO shipment (id, confirmation_id, seller_id, name, warehouse, marketplace, shipping_mode, freight_mode,
             selected_carrier, window_start, window_end, window_source, allows_window_automation, is_cancelled, created_at, body,
             status, missing_tracking, carriers, sku_count, box_count, units_expected, units_received, updated_at,
             arrival_order)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
    )
    .and_then(|mut s| {
        s.execute(params![
            shipment.id.as_str(),
            shipment.confirmation_id.as_str(),
            shipment.seller.as_str(),
            shipment.name,
            shipment.warehouse.as_str(),
            shipment.marketplace.number(),
            shipment.shipping_mode.number(),
            shipment.freight_mode.number(),
            shipment.selected_carrier.as_ref().map(|c| c.as_str()),
            window.map(|w| w.start_date.to_string()),
            window.map(|w| w.end_date.to_string()),
            source,
            shipment.allows_window_automation,
            shipment.is_cancelled,
            created_us,
            body,
            new.status.number(),
            new.missing_tracking,
            new.carriers,
            shipment.sku_count() as i64,
            shipment.packages.len() as i64,
            new.facts.units_expected,
            new.facts.units_received,
            created_us,
            crate::arrival::of_new(new.status, window),
        ])
    })
    .map_err(unavailable("inserting a shipment"))?;
    let shipment_seq = conn.last_insert_rowid();
    for package in &shipment.packages {
        let body = to_json(&rows::PackageBody {
            weight_grams: package.weight_grams,
            dimensions_mm: package.dimensions_mm,
            items: package.items.clone(),
        })?;
        conn.prepare_cached("INSERT INTO package (shipment_seq, box_id, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![shipment_seq, package.box_id.as_str(), body]))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Conflict {
                        what: "box",
                        key: package.box_id.to_string(),
                    }
                }
                other => unavailable("inserting a package")(other),
            })?;
        let package_seq = conn.last_insert_rowid();
        for item in &package.items {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO shipment_sku (sku, shipment_seq) VALUES (?1, ?2)",
            )
            .and_then(|mut s| s.execute(params![item.sku, shipment_seq]))
            .map_err(unavailable("indexing a SKU"))?;
        }
        for leg in &package.legs {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO leg (package_seq, shipment_seq, carrier, tracking_number, mode, source, detected_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    package_seq,
                    shipment_seq,
                    leg.carrier.as_str(),
                    leg.tracking_number.as_str(),
                    leg.mode.number(),
                    leg.source.number(),
                    leg.detected_by.number(),
                    leg.added_at.as_microsecond()
                ])
            })
            .map_err(unavailable("inserting a leg"))?;
        }
    }
    Ok(())
}

/// One write of [`Store::apply`] on the writer thread: what the method of the
/// same name runs.
fn apply_one(w: &mut Writer, write: &Write) -> StoreResult<Written> {
    match write {
        Write::CreateShipment(shipment) => {
            insert_shipment(&w.conn, shipment).map(|()| Written::Done)
        }
        Write::AssignTracking {
            actor,
            shipment,
            assignments,
            now,
        } => assign_tracking(w, actor, shipment, assignments, *now).map(Written::Items),
        Write::AppendMilestones {
            carrier,
            drafts,
            now,
        } => w
            .append(carrier, drafts, now.as_microsecond())
            .map(Written::Items),
        Write::SetDeliveryWindow { shipment, change } => {
            set_delivery_window(w, shipment, change).map(Written::Window)
        }
        Write::SetWindowAutomation {
            shipment,
            allowed,
            now,
        } => set_window_automation(w, shipment, *allowed, *now).map(|()| Written::Done),
        Write::SetBacklog {
            warehouse,
            backlog_units,
        } => set_backlog(w, warehouse, *backlog_units).map(|()| Written::Done),
    }
}

fn set_backlog(w: &mut Writer, code: &WarehouseCode, backlog_units: u32) -> StoreResult<()> {
    let body: Option<String> = w
        .conn
        .prepare_cached("SELECT body FROM warehouse WHERE code = ?1")
        .and_then(|mut s| s.query_row([code.as_str()], |r| r.get(0)).optional())
        .map_err(unavailable("reading a warehouse"))?;
    let Some(body) = body else {
        return Err(StoreError::NotFound {
            what: "warehouse",
            key: code.to_string(),
        });
    };
    let mut warehouse: Warehouse = rows::from_json(&body)?;
    warehouse.backlog_units = backlog_units;
    let body = to_json(&warehouse)?;
    w.conn
        .prepare_cached("UPDATE warehouse SET body = ?2 WHERE code = ?1")
        .and_then(|mut s| s.execute(params![code.as_str(), body]))
        .map_err(unavailable("setting a backlog"))?;
    Ok(())
}

fn assign_tracking(
    w: &mut Writer,
    actor: &Principal,
    key: &ShipmentKey,
    assignments: &[TrackingAssignment],
    now: Timestamp,
) -> StoreResult<Vec<ItemOutcome>> {
    // A seller may only touch its own shipments; carriers attach by knowing
    // the shipment, as FIST's auto-recognition does.
    if let Principal::Seller(seller) = actor {
        let owner: Option<String> = w
            .conn
            .query_row(
                "SELECT seller_id FROM shipment WHERE id = ?1 OR confirmation_id = ?1",
                [&key.0],
                |r| r.get(0),
            )
            .ok();
        if owner.as_deref() != Some(seller.as_str()) {
            return Err(StoreError::NotFound {
                what: "shipment",
                key: key.0.clone(),
            });
        }
    }
    w.assign(key, assignments, now.as_microsecond())
}

fn set_delivery_window(
    w: &mut Writer,
    key: &ShipmentKey,
    change: &WindowChangeRequest,
) -> StoreResult<WindowChange> {
    let seq = w.stored_shipment_seq(key)?;
    w.change_window(seq, change)
}

fn set_window_automation(
    w: &mut Writer,
    key: &ShipmentKey,
    allowed: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let changed = w
        .conn
        .execute(
            "UPDATE shipment SET allows_window_automation = ?2, updated_at = ?3 \
             WHERE id = ?1 OR confirmation_id = ?1",
            params![key.0, allowed, now.as_microsecond()],
        )
        .map_err(unavailable("setting window automation"))?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "shipment",
            key: key.0.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    /// The writer plans a statement once: binding other values must not make
    /// SQLite throw the plan away and parse the statement again (it did for
    /// the package lookup of every shipment the writer loaded).
    #[tokio::test]
    async fn the_writer_plans_each_statement_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("plans.db")).unwrap();
        let reprepared = store
            .write(|w| {
                let mut lookup = w
                    .conn
                    .prepare_cached(writer::PACKAGES_OF_SHIPMENT)
                    .map_err(unavailable("preparing"))?;
                for shipment_seq in 1..=3 {
                    let rows: Vec<i64> = lookup
                        .query_map([shipment_seq], |r| r.get(0))
                        .and_then(|rows| rows.collect())
                        .map_err(unavailable("looking up packages"))?;
                    assert!(rows.is_empty());
                }
                Ok(lookup.get_status(StatementStatus::RePrepare))
            })
            .await
            .unwrap();
        assert_eq!(reprepared, 0, "the package lookup was planned again");
    }

    /// A seller's listing by expected arrival walks `shipment_by_arrival`
    /// from the cursor on, in its order: no sort, however many shipments,
    /// and a seek by key and tie-break both, so a page deep in a run of tied
    /// shipments reads none of the rows before it.
    #[tokio::test]
    async fn the_arrival_listing_walks_its_index_from_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("plans.db")).unwrap();
        let mut query = ShipmentQuery::new(crate::Principal::Seller(
            tracklane_core::SellerId::parse("A1SELLERA").unwrap(),
        ));
        query.sort = crate::ShipmentSort::ArrivalSoonest;
        query.cursor = Some(crate::Cursor {
            sort: query.sort,
            key: 5,
            seq: 9,
        });
        let plan: Vec<String> = store
            .read(move |conn| {
                let (sql, filter) = read::list_statement(&query, 50);
                conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .and_then(|mut s| {
                        s.query_map(rusqlite::params_from_iter(filter.values()), |r| r.get(3))?
                            .collect()
                    })
                    .map_err(unavailable("explaining"))
            })
            .await
            .unwrap();
        assert_eq!(
            plan,
            [
                "SEARCH shipment USING INDEX shipment_by_arrival (seller_id=? AND (arrival_order,arrival_seq)>(?,?))"
            ],
            "{plan:#?}"
        );
    }

    /// The list of changed shipments walks indexes, not the shipment table:
    /// a seek per seller into `shipment_by_seller`, a range of it each, and
    /// a range of the rowid for new shipments.
    #[tokio::test]
    async fn changed_shipments_read_ranges_of_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("plans.db")).unwrap();
        let plan: Vec<String> = store
            .read(|conn| {
                conn.prepare(&format!("EXPLAIN QUERY PLAN {}", engine::CHANGED_SHIPMENTS))
                    .and_then(|mut s| s.query_map([0, 0], |r| r.get(3))?.collect())
                    .map_err(unavailable("explaining"))
            })
            .await
            .unwrap();
        let has = |step: &str| plan.iter().any(|p| p == step);
        assert!(
            has("SEARCH shipment USING INDEX shipment_by_seller (seller_id=? AND updated_at>?)"),
            "{plan:#?}"
        );
        assert!(
            has("SEARCH shipment USING INTEGER PRIMARY KEY (rowid>?)"),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|p| p.starts_with("SCAN shipment")),
            "{plan:#?}"
        );
    }
}
