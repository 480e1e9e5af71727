//! A small world and a running hub for tests.

pub mod smtp;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};
use tracklane::hub::{self, FixedClock, Running};
use tracklane::keys;
use tracklane_core::{
    Address, Capability, Carrier, CarrierCode, ConfirmationId, FreightMode, InboundPlanId, Item,
    Marketplace, Package, PackageTrack, Seller, SellerId, Shipment, ShipmentId, ShipmentKind,
    ShippingMode, Warehouse, WarehouseCode,
};
use tracklane_server::AppState;
use tracklane_store::postgres::PgStore;
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{Principal, Store};

/// The instant every test hub lives at.
pub fn now() -> Timestamp {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

/// The engine's verdict on `s`: an estimate with these days (UTC noon) as
/// p10, p50 and p90, and nothing else.
pub fn estimated(s: &Shipment, days: [&str; 3]) -> tracklane_store::Assessment {
    let noon = |day: &str| -> Timestamp { format!("{day}T12:00:00Z").parse().unwrap() };
    tracklane_store::Assessment {
        shipment: s.id.clone(),
        estimate: Some(tracklane_store::Estimate {
            p10: noon(days[0]),
            p50: noon(days[1]),
            p90: noon(days[2]),
            basis: "lane history".into(),
            assessed_at: now(),
        }),
        exceptions: Vec::new(),
        handled: Vec::new(),
    }
}

/// A clock a test moves by hand, for hubs whose writes must be stamped at
/// the times the test runs engine passes at.
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn at(at: Timestamp) -> Arc<ManualClock> {
        Arc::new(ManualClock(std::sync::Mutex::new(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap() = at;
    }
}

impl tracklane_server::Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// The PostgreSQL server tests run against instead of SQLite, when set:
/// `postgres://user:password@host:port/db[?sslmode=…&sslrootcert=…]`. Each
/// test then gets a database of its own on that server, reached with the same
/// parameters.
pub const POSTGRES_ENV: &str = "TRACKLANE_TEST_POSTGRES";

/// Whether the tests run on PostgreSQL (see [`POSTGRES_ENV`]).
pub fn on_postgres() -> bool {
    std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty())
}

/// Where a test's store lives.
#[derive(Debug, Clone)]
pub enum TestDb {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by URL.
    Postgres(String),
}

impl TestDb {
    /// A fresh store: a file in `dir`, or a new database on the server
    /// [`POSTGRES_ENV`] names.
    pub async fn fresh(dir: &std::path::Path) -> TestDb {
        match std::env::var(POSTGRES_ENV) {
            Ok(server) if on_postgres() => TestDb::Postgres(fresh_postgres_database(&server).await),
            _ => TestDb::Sqlite(dir.join("test.db")),
        }
    }

    /// Opens another store on the same data: a second, independent connection.
    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            TestDb::Sqlite(path) => Arc::new(SqliteStore::open(path).unwrap()),
            TestDb::Postgres(url) => Arc::new(PgStore::connect(url).await.unwrap()),
        }
    }
}

/// Creates an empty database on `server` and returns its URL. The database is
/// made over a plain connection: the store under test is what speaks TLS.
async fn fresh_postgres_database(server: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let (server, query) = server.split_once('?').unwrap_or((server, ""));
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL server answers");
    tokio::spawn(connection);
    let name = format!(
        "tracklane_test_{}_{}_{}",
        std::process::id(),
        now_nanos(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

#[allow(clippy::disallowed_methods)] // A unique name, not a time the hub reads.
fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A running hub with a known world.
pub struct TestHub {
    pub running: Running,
    pub client: reqwest::Client,
    pub db: TestDb,
    _dir: tempfile::TempDir,
    pub seller_a: String,
    pub seller_b: String,
    pub carrier_x: String,
    pub carrier_y: String,
    pub carrier_z: String,
    pub operator: String,
}

pub fn warehouse(code: &str, marketplace: Marketplace) -> Warehouse {
    Warehouse {
        code: WarehouseCode::parse(code).unwrap(),
        name: code.into(),
        marketplace,
        address: Address {
            name: format!("Amazon {code}"),
            address_line1: "2651 Center Square Rd".into(),
            city: "Logan Township".into(),
            state_or_province_code: Some("NJ".into()),
            postal_code: "08085".into(),
            country_code: "US".into(),
            ..Address::default()
        },
        time_zone: "America/New_York".into(),
        latitude: 39.8,
        longitude: -75.4,
        receiving_capacity_units_per_day: 50_000,
        backlog_units: 0,
    }
}

pub fn carrier(code: &str, capabilities: &[Capability]) -> Carrier {
    Carrier {
        code: CarrierCode::parse(code).unwrap(),
        name: format!("{code} Logistics"),
        website: format!("https://{}.example", code.to_lowercase()),
        marketplaces: vec![Marketplace::Us],
        modes: vec![FreightMode::Ocean, FreightMode::Air],
        capabilities: capabilities.to_vec(),
    }
}

/// A small-parcel shipment of `boxes` boxes for `seller`, carrier `carrier` selected.
pub fn shipment(n: u64, seller: &str, carrier: Option<&str>, boxes: u32) -> Shipment {
    let confirmation = ConfirmationId::from_sequence(n);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&n.to_le_bytes());
    let mut plan = id;
    plan[15] = 0xaa;
    Shipment {
        id: ShipmentId::from_random(id),
        inbound_plan_id: InboundPlanId::from_random(plan),
        seller: SellerId::parse(seller).unwrap(),
        name: format!("Spring restock {n}"),
        kind: ShipmentKind::Inbound,
        source_address: Address {
            name: "Shenzhen Anko Home".into(),
            address_line1: "88 Keyuan Road".into(),
            city: "Shenzhen".into(),
            postal_code: "518057".into(),
            country_code: "CN".into(),
            ..Address::default()
        },
        warehouse: WarehouseCode::parse("TEB9").unwrap(),
        marketplace: Marketplace::Us,
        shipping_mode: ShippingMode::SmallParcel,
        freight_mode: FreightMode::Ocean,
        selected_carrier: carrier.map(|c| CarrierCode::parse(c).unwrap()),
        delivery_window: None,
        allows_window_automation: true,
        created_at: now(),
        is_cancelled: false,
        packages: (1..=boxes)
            .map(|b| Package {
                box_id: confirmation.box_id(b),
                weight_grams: 10_000,
                dimensions_mm: [500, 400, 300],
                items: vec![Item {
                    sku: format!("SKU-{n}"),
                    units_expected: 24,
                    units_received: 0,
                }],
                legs: Vec::new(),
                track: PackageTrack::default(),
            })
            .collect(),
        confirmation_id: confirmation,
    }
}

impl TestHub {
    /// A hub with sellers A and B, carriers X (all capabilities), Y (ship_track)
    /// and Z (ship_track), and a warehouse TEB9.
    pub async fn start() -> TestHub {
        TestHub::start_with(|state| state).await
    }

    /// The same hub with `configure` applied to its state before it serves,
    /// for settings tests change (rate limits).
    pub async fn start_with(configure: impl FnOnce(AppState) -> AppState) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::fresh(dir.path()).await;
        let store = db.open().await;
        store
            .put_warehouse(warehouse("TEB9", Marketplace::Us))
            .await
            .unwrap();
        store
            .put_carrier(carrier(
                "CARRIER_X",
                &[
                    Capability::ShipTrack,
                    Capability::DwAutomation,
                    Capability::SmartReroute,
                ],
            ))
            .await
            .unwrap();
        store
            .put_carrier(carrier("CARRIER_Y", &[Capability::ShipTrack]))
            .await
            .unwrap();
        store
            .put_carrier(carrier("CARRIER_Z", &[Capability::ShipTrack]))
            .await
            .unwrap();
        for id in ["A1SELLERA", "A1SELLERB"] {
            store
                .put_seller(Seller {
                    id: SellerId::parse(id).unwrap(),
                    name: id.into(),
                })
                .await
                .unwrap();
        }
        let mut random = hub::seeded_random(42);
        let seller_a = keys::issue(
            store.as_ref(),
            Principal::Seller(SellerId::parse("A1SELLERA").unwrap()),
            random(),
        )
        .await
        .unwrap();
        let seller_b = keys::issue(
            store.as_ref(),
            Principal::Seller(SellerId::parse("A1SELLERB").unwrap()),
            random(),
        )
        .await
        .unwrap();
        let carrier_key = |c: &str| Principal::Carrier(CarrierCode::parse(c).unwrap());
        let carrier_x = keys::issue(store.as_ref(), carrier_key("CARRIER_X"), random())
            .await
            .unwrap();
        let carrier_y = keys::issue(store.as_ref(), carrier_key("CARRIER_Y"), random())
            .await
            .unwrap();
        let carrier_z = keys::issue(store.as_ref(), carrier_key("CARRIER_Z"), random())
            .await
            .unwrap();
        let operator = keys::issue(store.as_ref(), Principal::Operator, random())
            .await
            .unwrap();
        let state = AppState::new(store, Arc::new(FixedClock(now())), hub::seeded_random(7));
        let running = hub::start(configure(state), "127.0.0.1:0").await.unwrap();
        TestHub {
            running,
            client: reqwest::Client::new(),
            db,
            _dir: dir,
            seller_a,
            seller_b,
            carrier_x,
            carrier_y,
            carrier_z,
            operator,
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.running.state.store.as_ref()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        let r = self.client.get(self.url("/metrics")).send().await.unwrap();
        r.text().await.unwrap()
    }

    pub async fn get(&self, key: &str, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        key: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        self.send_in(method, key, path, body, "en").await
    }

    /// [`TestHub::send`], asking for answers in `lang`.
    pub async fn send_in(
        &self,
        method: reqwest::Method,
        key: &str,
        path: &str,
        body: Value,
        lang: &str,
    ) -> (u16, Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(key)
            .header("accept-language", lang)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The SP-API token exchange for `key` (as a refresh token), answered.
    pub async fn token_exchange(&self, key: &str) -> reqwest::Response {
        self.client
            .post(self.url("/auth/o2/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", key),
                ("client_id", "app"),
                ("client_secret", "secret"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn push(&self, key: &str, milestones: Vec<Value>) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                key,
                "/api/v1/carrier/milestones",
                json!({ "milestones": milestones }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Creates `shipment` directly in the store.
    pub async fn create(&self, shipment: Shipment) -> Shipment {
        self.store()
            .create_shipment(shipment.clone())
            .await
            .unwrap();
        shipment
    }

    /// Uploads per-box tracking numbers as a carrier.
    pub async fn upload(&self, key: &str, shipment: &Shipment, numbers: &[&str]) -> Value {
        let boxes: Vec<Value> = shipment
            .packages
            .iter()
            .zip(numbers)
            .map(|(p, n)| json!({ "boxId": p.box_id.as_str(), "trackingNumber": n }))
            .collect();
        let path = format!(
            "/api/v1/carrier/shipments/{}/tracking",
            shipment.confirmation_id
        );
        let (status, body) = self
            .send(reqwest::Method::PUT, key, &path, json!({ "boxes": boxes }))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

impl TestHub {
    /// A one-box shipment `n` of seller A on carrier X, with `number`
    /// attached and picked up: a change webhooks tell of.
    pub async fn picked_up(&self, n: u64, number: &str) -> Shipment {
        let s = self
            .create(shipment(n, "A1SELLERA", Some("CARRIER_X"), 1))
            .await;
        self.upload(&self.carrier_x, &s, &[number]).await;
        self.push(
            &self.carrier_x,
            vec![milestone(number, "PICKED_UP", "2026-03-08T02:00:00Z")],
        )
        .await;
        s
    }

    /// Sends the webhook deliveries due at the hub's time, as `serve` does.
    pub async fn send_webhooks(&self) -> tracklane::webhooks::RoundReport {
        tracklane::webhooks::Sender::new(reqwest::Client::builder(), &self.running.url())
            .unwrap()
            .send_due(&self.running.state)
            .await
            .unwrap()
    }
}

/// Smart Reroute's offer to carrier X to move shipment `s` from TEB9 to ABE8.
pub fn reroute_offer(s: &Shipment) -> tracklane_store::RerouteDraft {
    tracklane_store::RerouteDraft {
        shipment: s.id.clone(),
        carrier: CarrierCode::parse("CARRIER_X").unwrap(),
        from: WarehouseCode::parse("TEB9").unwrap(),
        to: WarehouseCode::parse("ABE8").unwrap(),
        units: 24,
        stay_days: 9.0,
        move_days: 3.5,
        extra_km: 120.0,
        reason: "TEB9 has 9 days of backlog".into(),
    }
}

/// A milestone item as carriers push it.
pub fn milestone(number: &str, code: &str, at: &str) -> Value {
    json!({
        "trackingNumber": number,
        "status": { "code": code },
        "location": { "address": { "city": "Shenzhen", "countryCode": "CN" } },
        "occurredAt": at,
    })
}

/// Valid UPS numbers (check digit verified by tracklane-ids in `numbers_are_valid`).
pub const UPS: [&str; 4] = [
    "1Z999AA10123456784",
    "1Z12345E0205271686",
    "1Z12345E6605272234",
    "1Z12345E1505270457",
];

#[test]
fn numbers_are_valid() {
    for n in UPS {
        assert!(tracklane_ids::check(n).valid, "{n}");
    }
}

/// The kinds of the open exceptions of a shipment detail as the API gives it.
pub fn open_exception_kinds(detail: &Value) -> Vec<String> {
    detail["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resolvedAt"].is_null())
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}
