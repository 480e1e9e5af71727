//! `tracklane bench`: throughput and latency measured through the real parts,
//! each against a baseline measured in the same run.
//!
//! - `ingest`: milestone batches over loopback HTTP → parse → validate → resolve →
//!   dedup → durable commit → projection, against raw SQLite inserts of the same
//!   rows into the same table.
//! - `list`: the seller's "missing tracking" page (50 rows, newest update first)
//!   over a large store, through HTTP and through the store alone.
//! - `pages`: the start page (shipment progress) over a large store with one
//!   shipment in twenty holding an open exception and two in three an
//!   arrival estimate, through HTTP with a session, against the JSON listing
//!   of the same rows; also sorted by expected arrival.
//! - `ids`: tracking-number checks per second on a realistic mix.
//! - `engine`: engine passes over a store with many shipments in flight: the
//!   first, which reads them all, and later ones, which read what changed,
//!   against passes that read every open shipment again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use jiff::{Span, Timestamp};
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;
use tracklane_core::{
    Address, Capability, Carrier, CarrierCode, ConfirmationId, DetectedBy, FreightMode,
    InboundPlanId, Item, Leg, LegMode, Location, Marketplace, Milestone, MilestoneCode, Package,
    PackageTrack, Seller, SellerId, Shipment, ShipmentId, ShipmentKind, ShippingMode,
    TrackingNumber, TrackingSource, WarehouseCode,
};
use tracklane_server::AppState;
use tracklane_store::sqlite::bench::RawRow;
use tracklane_store::{Assessment, Estimate, ExceptionDraft, Principal, ShipmentQuery, Store};

use crate::hub::{self, FixedClock};
use crate::keys;

/// Boxes per shipment in the ingest benchmark: boxes of one shipment travel
/// together, so a carrier reports them together.
const BOXES_PER_SHIPMENT: usize = 5;
/// Requests in flight at once.
const CONCURRENT_REQUESTS: usize = 2;
/// Shipments `bench engine` creates at once while building its store.
const ENGINE_WRITES_IN_FLIGHT: usize = 512;
/// Milestones `bench engine` appends per store call.
const BATCH_SIZE_ENGINE: usize = 1_000;

/// The milestones a box goes through, in order.
const JOURNEY: [MilestoneCode; 10] = [
    MilestoneCode::PickedUp,
    MilestoneCode::ReceivedAtOrigin,
    MilestoneCode::CustomsDeclarationEmbarkPort,
    MilestoneCode::Loaded,
    MilestoneCode::Departed,
    MilestoneCode::Arrived,
    MilestoneCode::CustomsCleared,
    MilestoneCode::CarrierTransfer,
    MilestoneCode::OutForDelivery,
    MilestoneCode::Delivered,
];

const PLACES: [(&str, &str, &str); 10] = [
    ("Shenzhen", "Guangdong", "CN"),
    ("Shenzhen", "Guangdong", "CN"),
    ("Yantian", "Guangdong", "CN"),
    ("Yantian", "Guangdong", "CN"),
    ("Yantian", "Guangdong", "CN"),
    ("Long Beach", "California", "US"),
    ("Long Beach", "California", "US"),
    ("Ontario", "California", "US"),
    ("Moreno Valley", "California", "US"),
    ("Moreno Valley", "California", "US"),
];

/// The result of `bench ingest`.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    /// The hub's store: `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Milestones sent.
    pub events: usize,
    /// Milestones per request.
    pub batch: usize,
    /// Milestones per second through the whole path.
    pub events_per_sec: f64,
    /// Raw SQLite inserts per second of the same rows, same table, same settings.
    pub raw_events_per_sec: f64,
    /// `events_per_sec / raw_events_per_sec`.
    pub ratio: f64,
    /// Seconds the whole path took.
    pub seconds: f64,
    /// Seconds the raw inserts took.
    pub raw_seconds: f64,
    /// Items the hub accepted (must equal `events`).
    pub accepted: usize,
}

fn world_shipment(
    i: usize,
    seller: &SellerId,
    carrier: &CarrierCode,
    numbers: &[String],
    created: Timestamp,
    mut random: impl FnMut() -> [u8; 16],
) -> Shipment {
    let confirmation = ConfirmationId::from_sequence(i as u64 + 1);
    Shipment {
        id: ShipmentId::from_random(random()),
        inbound_plan_id: InboundPlanId::from_random(random()),
        seller: seller.clone(),
        name: format!("Bench shipment {i}"),
        kind: ShipmentKind::Inbound,
        source_address: Address {
            name: "Bench Co".into(),
            address_line1: "1 Keji Road".into(),
            city: "Shenzhen".into(),
            postal_code: "518000".into(),
            country_code: "CN".into(),
            ..Address::default()
        },
        warehouse: WarehouseCode::parse("ONT8").expect("a valid code"),
        marketplace: Marketplace::Us,
        shipping_mode: ShippingMode::SmallParcel,
        freight_mode: FreightMode::Ocean,
        selected_carrier: Some(carrier.clone()),
        delivery_window: None,
        allows_window_automation: true,
        created_at: created,
        is_cancelled: false,
        packages: numbers
            .iter()
            .enumerate()
            .map(|(b, n)| Package {
                box_id: confirmation.box_id(b as u32 + 1),
                weight_grams: 12_000,
                dimensions_mm: [600, 400, 400],
                items: vec![Item {
                    sku: format!("SKU-{}", i % 97),
                    units_expected: 40,
                    units_received: 0,
                }],
                legs: if n.is_empty() {
                    Vec::new()
                } else {
                    vec![Leg {
                        carrier: carrier.clone(),
                        tracking_number: TrackingNumber::parse(n)
                            .expect("generated numbers are normalised"),
                        mode: LegMode::SmallParcel,
                        source: TrackingSource::Carrier,
                        detected_by: DetectedBy::Selected,
                        added_at: created,
                    }]
                },
                track: PackageTrack::default(),
            })
            .collect(),
        confirmation_id: confirmation,
    }
}

fn bench_carrier() -> Carrier {
    Carrier {
        code: CarrierCode::parse("BENCH_EXPRESS").expect("a valid code"),
        name: "Bench Express".into(),
        website: "https://example.com".into(),
        marketplaces: vec![Marketplace::Us],
        modes: vec![FreightMode::Ocean],
        capabilities: vec![Capability::ShipTrack],
    }
}

/// The bench's SQLite file and its carrier and seller, and the store a hub
/// under test runs on: that file, or the (empty) PostgreSQL database `db`
/// names, given the same carrier and seller.
async fn hub_store(
    db: Option<&str>,
) -> anyhow::Result<(std::path::PathBuf, Arc<dyn Store>, Carrier, Seller)> {
    let (dir, sqlite, carrier, seller) = bench_store().await?;
    let store: Arc<dyn Store> = match db {
        Some(url) => {
            let store = Arc::new(tracklane_store::postgres::PgStore::connect(url).await?);
            store.put_carrier(carrier.clone()).await?;
            store.put_seller(seller.clone()).await?;
            store
        }
        None => sqlite,
    };
    Ok((dir, store, carrier, seller))
}

/// Runs the ingest benchmark with `events` milestones in batches of `batch`.
///
/// # Errors
/// When a part cannot start, or the hub does not accept every milestone.
pub async fn ingest(
    events: usize,
    batch: usize,
    seed: u64,
    db: Option<&str>,
) -> anyhow::Result<IngestReport> {
    // The hub runs on the SQLite file, or on the (empty) PostgreSQL database
    // `db` names; the raw baseline is SQLite's either way.
    let (dir, store, carrier, seller) = hub_store(db).await?;
    let key = keys::issue(
        store.as_ref(),
        Principal::Carrier(carrier.code.clone()),
        hub::seeded_random(seed)(),
    )
    .await?;

    let shipments = events.div_ceil(BOXES_PER_SHIPMENT * JOURNEY.len());
    let base: Timestamp = "2026-01-05T00:00:00Z".parse()?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let sim_carrier = tracklane_sim::carriers()
        .into_iter()
        .next()
        .context("the simulator has carriers")?;
    let mut numbers: Vec<Vec<String>> = Vec::with_capacity(shipments);
    let mut random = hub::seeded_random(seed ^ 1);
    for i in 0..shipments {
        let boxes: Vec<String> = (0..BOXES_PER_SHIPMENT)
            .map(|_| {
                tracklane_sim::tracking_number(&mut rng, &sim_carrier, ShippingMode::SmallParcel)
            })
            .collect();
        store
            .create_shipment(world_shipment(
                i,
                &seller.id,
                &carrier.code,
                &boxes,
                base,
                &mut random,
            ))
            .await?;
        numbers.push(boxes);
    }

    // Each round, every shipment's boxes get the next milestone; carriers report
    // shipments interleaved, so each round visits them in a shuffled order.
    let mut order: Vec<usize> = (0..shipments).collect();
    let mut items: Vec<(serde_json::Value, RawRow)> = Vec::with_capacity(events);
    'rounds: for (round, code) in JOURNEY.iter().enumerate() {
        shuffle(&mut order, seed.wrapping_add(round as u64));
        for &s in &order {
            for (b, number) in numbers[s].iter().enumerate() {
                if items.len() == events {
                    break 'rounds;
                }
                let (city, region, country) = PLACES[round];
                let occurred = base
                    .checked_add(
                        Span::new()
                            .hours(round as i64 * 60 + (s % 24) as i64)
                            .minutes(b as i64),
                    )
                    .context("bench times stay in range")?;
                let milestone = Milestone {
                    code: *code,
                    sub_code: None,
                    raw_code: Some(format!("S{round:02}")),
                    description: None,
                    location: Location {
                        city: Some(city.into()),
                        region: Some(region.into()),
                        country_code: Some(country.into()),
                    },
                    occurred_at: occurred,
                    event_id: None,
                };
                let json = serde_json::json!({
                    "trackingNumber": number,
                    "status": { "code": code.as_str(), "rawCode": milestone.raw_code },
                    "location": { "address": { "city": city, "region": region, "countryCode": country } },
                    "occurredAt": occurred.to_string(),
                });
                let raw = RawRow {
                    package_seq: (s * BOXES_PER_SHIPMENT + b + 1) as i64,
                    carrier: carrier.code.to_string(),
                    tracking_number: number.clone(),
                    milestone,
                };
                items.push((json, raw));
            }
        }
    }
    let bodies: Vec<Vec<u8>> = items
        .chunks(batch)
        .map(|chunk| serde_json::to_vec(&serde_json::json!({ "milestones": chunk.iter().map(|(j, _)| j).collect::<Vec<_>>() })))
        .collect::<Result<_, _>>()?;

    let now = base.checked_add(Span::new().hours(24 * 60))?;
    let state = AppState::new(
        store.clone(),
        Arc::new(FixedClock(now)),
        hub::seeded_random(seed),
    );
    let running = hub::start(state, "127.0.0.1:0").await?;
    let url = format!("{}/api/v1/carrier/milestones", running.url());
    let client = reqwest::Client::new();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT_REQUESTS {
        let (client, url, key, bodies, next, accepted) = (
            client.clone(),
            url.clone(),
            key.clone(),
            bodies.clone(),
            next.clone(),
            accepted.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else {
                    return anyhow::Ok(());
                };
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                ensure!(
                    response.status().is_success(),
                    "batch {i} got {}",
                    response.status()
                );
                let report: serde_json::Value = response.json().await?;
                accepted.fetch_add(
                    report["accepted"].as_u64().unwrap_or(0) as usize,
                    Ordering::Relaxed,
                );
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let accepted = accepted.load(Ordering::Relaxed);
    ensure!(
        accepted == items.len(),
        "the hub accepted {accepted} of {} milestones",
        items.len()
    );

    let rows: Vec<RawRow> = items.into_iter().map(|(_, r)| r).collect();
    let raw_path = dir.join("raw.db");
    let raw_seconds = tokio::task::spawn_blocking(move || {
        tracklane_store::sqlite::bench::raw_insert(&raw_path, &rows, batch)
    })
    .await??
    .as_secs_f64();
    let events_per_sec = events as f64 / seconds;
    let raw_events_per_sec = events as f64 / raw_seconds;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(IngestReport {
        backend: if db.is_some() { "postgres" } else { "sqlite" },
        events,
        batch,
        events_per_sec,
        raw_events_per_sec,
        ratio: events_per_sec / raw_events_per_sec,
        seconds,
        raw_seconds,
        accepted,
    })
}

/// The result of `bench list`.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// Shipments in the store.
    pub shipments: usize,
    /// Pages fetched per measurement.
    pub samples: usize,
    /// Median milliseconds for the page through HTTP.
    pub http_median_ms: f64,
    /// 95th percentile through HTTP.
    pub http_p95_ms: f64,
    /// Median milliseconds for the store query alone.
    pub store_median_ms: f64,
    /// Rows on each page.
    pub rows: usize,
}

/// A bench store holding `shipments` shipments of one seller, a third of them
/// missing tracking, created through the store's own path.
async fn filled_store(
    shipments: usize,
    seed: u64,
) -> anyhow::Result<(
    std::path::PathBuf,
    Arc<tracklane_store::sqlite::SqliteStore>,
    Seller,
)> {
    let (dir, store, carrier, seller) = bench_store().await?;
    let base: Timestamp = "2026-01-05T00:00:00Z".parse()?;
    let mut random = hub::seeded_random(seed ^ 2);
    // Many in flight so the writer groups them.
    let mut pending = Vec::new();
    for i in 0..shipments {
        let number = if i % 3 == 0 {
            String::new()
        } else {
            format!("BX{i:012}")
        };
        let created = base.checked_add(Span::new().seconds(i as i64))?;
        let mut shipment = world_shipment(
            i,
            &seller.id,
            &carrier.code,
            &[number],
            created,
            &mut random,
        );
        // Half of those `bench pages` gives no estimate (i % 3 == 2) have a
        // delivery window instead, over the next eight weeks.
        if i % 6 == 5 {
            let day = base.to_zoned(jiff::tz::TimeZone::UTC).date();
            let day = day.checked_add(Span::new().days((i as i64 * 13) % 56))?;
            shipment.delivery_window = Some((
                tracklane_core::DeliveryWindow::week_of(day),
                tracklane_core::WindowSource::Seller,
            ));
        }
        let store = store.clone();
        pending.push(tokio::spawn(async move {
            store.create_shipment(shipment).await
        }));
        if pending.len() >= 512 {
            for p in pending.drain(..) {
                p.await??;
            }
        }
    }
    for p in pending {
        p.await??;
    }
    Ok((dir, store, seller))
}

/// The result of `bench pages`.
#[derive(Debug, Serialize)]
pub struct PagesReport {
    /// Shipments in the store.
    pub shipments: usize,
    /// Requests per measurement.
    pub samples: usize,
    /// The start page (shipment progress, 50 rows, signed-in seller): median ms.
    pub page_median_ms: f64,
    /// … 95th percentile.
    pub page_p95_ms: f64,
    /// The start page filtered to "missing tracking": median ms.
    pub page_missing_median_ms: f64,
    /// … 95th percentile.
    pub page_missing_p95_ms: f64,
    /// Shipments with an open exception (one in [`EXCEPTION_EVERY`]), which
    /// the start page's "needs attention" counts.
    pub open_exceptions: usize,
    /// The start page filtered to one kind of open exception: median ms.
    pub page_exception_median_ms: f64,
    /// … 95th percentile.
    pub page_exception_p95_ms: f64,
    /// Shipments with an arrival estimate (two in three); a sixth more have
    /// only a delivery window, the rest neither.
    pub estimated: usize,
    /// The start page sorted by expected arrival (`?sort=arrival`): median ms.
    pub page_arrival_median_ms: f64,
    /// … 95th percentile.
    pub page_arrival_p95_ms: f64,
    /// The JSON listing of the same 50 rows sorted by expected arrival:
    /// median ms.
    pub json_arrival_median_ms: f64,
    /// … 95th percentile.
    pub json_arrival_p95_ms: f64,
    /// Baseline in the same run: the JSON listing of the same 50 rows, median ms.
    pub json_median_ms: f64,
    /// … 95th percentile.
    pub json_p95_ms: f64,
    /// Bytes of one start page.
    pub page_bytes: usize,
}

/// One shipment in this many of the `bench pages` store has an open
/// exception: 10 000 of 200 000, a hub with a lot going wrong.
const EXCEPTION_EVERY: usize = 20;

/// What an engine pass over the `bench pages` store left: how many
/// shipments have an open exception, and how many an estimate.
struct Verdicts {
    open_exceptions: usize,
    estimated: usize,
}

/// Stores an engine pass's verdicts on `store`, as a pass at `at` would:
/// an exception on one shipment in [`EXCEPTION_EVERY`], three kinds in turn,
/// and an arrival estimate on two in three, spread over the eight weeks
/// after `at` in an order unrelated to the shipments' own.
async fn assess(store: &dyn Store, at: Timestamp) -> anyhow::Result<Verdicts> {
    let kinds = ["stale_tracking", "customs_hold", "window_at_risk"];
    let (mut open_exceptions, mut estimated) = (0, 0);
    let assessments: Vec<Assessment> = store
        .changed_shipments(Timestamp::MIN, 0)
        .await?
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % EXCEPTION_EVERY == 0 || i % 3 != 2)
        .map(|(i, (_, shipment))| {
            let exceptions = if i % EXCEPTION_EVERY == 0 {
                open_exceptions += 1;
                vec![ExceptionDraft {
                    kind: kinds[(i / EXCEPTION_EVERY) % kinds.len()].to_owned(),
                    severity: "high".to_owned(),
                    since: at,
                    evidence: "bench".to_owned(),
                    next_step_en: "Look into it".to_owned(),
                    next_step_zh: "请查看".to_owned(),
                }]
            } else {
                Vec::new()
            };
            let estimate = (i % 3 != 2).then(|| {
                estimated += 1;
                // Minutes into the eight weeks, scattered by a multiplier
                // prime to their count.
                let minutes = (i as i64 * 7_919) % (56 * 24 * 60);
                let p50 = at
                    .saturating_add(Span::new().minutes(minutes))
                    .unwrap_or(at);
                let day = Span::new().hours(24);
                Estimate {
                    p10: p50.saturating_sub(day).unwrap_or(p50),
                    p50,
                    p90: p50.saturating_add(day).unwrap_or(p50),
                    basis: "bench".to_owned(),
                    assessed_at: at,
                }
            });
            Assessment {
                shipment,
                estimate,
                exceptions,
                handled: Vec::new(),
            }
        })
        .collect();
    for chunk in assessments.chunks(1_000) {
        store.put_assessments(chunk.to_vec(), at).await?;
    }
    Ok(Verdicts {
        open_exceptions,
        estimated,
    })
}

/// An API key for `seller` and the hub's state over `store`, on a fixed clock.
async fn seller_hub(
    store: &Arc<tracklane_store::sqlite::SqliteStore>,
    seller: &Seller,
    seed: u64,
) -> anyhow::Result<(String, AppState)> {
    let key = keys::issue(
        store.as_ref(),
        Principal::Seller(seller.id.clone()),
        hub::seeded_random(seed)(),
    )
    .await?;
    let base: Timestamp = "2026-01-05T00:00:00Z".parse()?;
    let state = AppState::new(
        store.clone(),
        Arc::new(FixedClock(base)),
        hub::seeded_random(seed),
    );
    Ok((key, state))
}

/// Fills a store with `shipments` shipments and times the start page over
/// HTTP, signed in as their seller, against the JSON listing of the same rows.
///
/// # Errors
/// When a part cannot start or a page does not come back whole.
pub async fn pages(shipments: usize, samples: usize, seed: u64) -> anyhow::Result<PagesReport> {
    let (dir, store, seller) = filled_store(shipments, seed).await?;
    let verdicts = assess(store.as_ref(), "2026-01-05T00:00:00Z".parse()?).await?;
    let (key, state) = seller_hub(&store, &seller, seed).await?;
    let token =
        tracklane_server::start_session(&state, Principal::Seller(seller.id.clone())).await?;
    let running = hub::start(state, "127.0.0.1:0").await?;
    let client = reqwest::Client::new();
    let cookie = format!("tl_session={token}");
    let time = |path: &'static str, json: bool| {
        let (client, url, cookie, key) = (
            client.clone(),
            format!("{}{path}", running.url()),
            cookie.clone(),
            key.clone(),
        );
        async move {
            let mut took = Vec::with_capacity(samples);
            let mut bytes = 0;
            for _ in 0..samples {
                let started = Instant::now();
                let request = if json {
                    client.get(&url).bearer_auth(&key)
                } else {
                    client.get(&url).header("cookie", &cookie)
                };
                let response = request.send().await?;
                ensure!(
                    response.status().is_success(),
                    "{url} answered {}",
                    response.status()
                );
                let body = response.bytes().await?;
                took.push(started.elapsed());
                bytes = body.len();
                ensure!(
                    json || body.windows(10).any(|w| w == b"id=\"shipme"),
                    "{url} is not the shipment list"
                );
            }
            anyhow::Ok((took, bytes))
        }
    };
    let (mut json, _) = time("/api/v1/shipments?limit=50", true).await?;
    let (mut page, bytes) = time("/", false).await?;
    let page_bytes = bytes;
    let (mut missing, _) = time("/?missing=1", false).await?;
    let (mut exception, _) = time("/?exception=customs_hold", false).await?;
    let (mut json_arrival, _) = time("/api/v1/shipments?limit=50&sort=arrival", true).await?;
    let (mut arrival, _) = time("/?sort=arrival", false).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(PagesReport {
        shipments,
        samples,
        page_median_ms: percentile_ms(&mut page, 0.5),
        page_p95_ms: percentile_ms(&mut page, 0.95),
        page_missing_median_ms: percentile_ms(&mut missing, 0.5),
        page_missing_p95_ms: percentile_ms(&mut missing, 0.95),
        open_exceptions: verdicts.open_exceptions,
        page_exception_median_ms: percentile_ms(&mut exception, 0.5),
        page_exception_p95_ms: percentile_ms(&mut exception, 0.95),
        estimated: verdicts.estimated,
        page_arrival_median_ms: percentile_ms(&mut arrival, 0.5),
        page_arrival_p95_ms: percentile_ms(&mut arrival, 0.95),
        json_arrival_median_ms: percentile_ms(&mut json_arrival, 0.5),
        json_arrival_p95_ms: percentile_ms(&mut json_arrival, 0.95),
        json_median_ms: percentile_ms(&mut json, 0.5),
        json_p95_ms: percentile_ms(&mut json, 0.95),
        page_bytes,
    })
}

/// Fills a store with `shipments` shipments (a third missing tracking) and times
/// the seller's "missing tracking" page.
///
/// # Errors
/// When a part cannot start.
pub async fn list(shipments: usize, samples: usize, seed: u64) -> anyhow::Result<ListReport> {
    let (dir, store, seller) = filled_store(shipments, seed).await?;
    let (key, state) = seller_hub(&store, &seller, seed).await?;
    let running = hub::start(state, "127.0.0.1:0").await?;
    let url = format!(
        "{}/api/v1/shipments?missingTracking=true&limit=50",
        running.url()
    );
    let client = reqwest::Client::new();
    let mut http = Vec::with_capacity(samples);
    let mut rows = 0;
    for _ in 0..samples {
        let started = Instant::now();
        let page: serde_json::Value = client
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await?
            .json()
            .await?;
        http.push(started.elapsed());
        rows = page["shipments"].as_array().map_or(0, Vec::len);
    }
    let mut direct = Vec::with_capacity(samples);
    let mut query = ShipmentQuery::new(Principal::Seller(seller.id.clone()));
    query.missing_tracking = true;
    for _ in 0..samples {
        let started = Instant::now();
        store.list_shipments(&query).await?;
        direct.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ListReport {
        shipments,
        samples,
        http_median_ms: percentile_ms(&mut http, 0.5),
        http_p95_ms: percentile_ms(&mut http, 0.95),
        store_median_ms: percentile_ms(&mut direct, 0.5),
        rows,
    })
}

/// The result of `bench engine`.
#[derive(Debug, Serialize)]
pub struct EngineReport {
    /// The hub's store: `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Shipments in flight.
    pub shipments: usize,
    /// Finished journeys the first pass learns from.
    pub finished: usize,
    /// Shipments given a new milestone between two passes.
    pub changed_per_pass: usize,
    /// Clock minutes between passes.
    pub pass_gap_minutes: i64,
    /// Passes timed of each kind after the first.
    pub passes: usize,
    /// The first pass, which reads every shipment: milliseconds.
    pub first_pass_ms: f64,
    /// Shipments the first pass read.
    pub first_pass_read: usize,
    /// Passes that read what changed: median milliseconds.
    pub changed_pass_median_ms: f64,
    /// … the slowest.
    pub changed_pass_max_ms: f64,
    /// Shipments each of them read, in order: the changes since a margin
    /// before the previous pass started.
    pub changed_pass_read: Vec<usize>,
    /// Verdicts each of them stored (those that changed).
    pub changed_pass_written: Vec<usize>,
    /// Baseline in the same run, after the same kind of changes: passes that
    /// read every open shipment again, as every pass did before passes read
    /// what changed. Median milliseconds.
    pub full_pass_median_ms: f64,
    /// `full_pass_median_ms / changed_pass_median_ms`.
    pub ratio: f64,
}

/// Builds a store with `shipments` shipments in flight (one box each, three
/// milestones in) and a tenth as many finished journeys, then times engine
/// passes `pass_gap_minutes` clock minutes apart: a first one, `passes` that
/// read what changed, and `passes` that read everything, with a new milestone
/// for `changed_percent` % of the shipments in flight before each. On the
/// PostgreSQL database `db` (empty) when given, else on a SQLite file.
///
/// # Errors
/// When a part cannot start, or the store refuses a write.
pub async fn engine(
    shipments: usize,
    changed_percent: f64,
    passes: usize,
    pass_gap_minutes: i64,
    db: Option<&str>,
) -> anyhow::Result<EngineReport> {
    let (dir, store, carrier, seller) = hub_store(db).await?;
    let finished = shipments / 10;
    let base: Timestamp = "2026-01-05T00:00:00Z".parse()?;
    let at = |minutes: i64| base.checked_add(Span::new().minutes(minutes));
    let number = |i: usize| format!("BX{i:012}");
    let mut random = hub::seeded_random(3);
    let mut pending = Vec::new();
    for i in 0..shipments + finished {
        let created = at(-(60 * 24 * 40))?;
        let shipment = world_shipment(
            i,
            &seller.id,
            &carrier.code,
            &[number(i)],
            created,
            &mut random,
        );
        let store = store.clone();
        pending.push(tokio::spawn(async move {
            store.create_shipment(shipment).await
        }));
        if pending.len() >= ENGINE_WRITES_IN_FLIGHT {
            for p in pending.drain(..) {
                p.await??;
            }
        }
    }
    for p in pending {
        p.await??;
    }
    // Three milestones for those in flight, the whole journey for the
    // finished ones (the model's history).
    let milestone = |i: usize, step: usize, occurred: Timestamp| {
        let (city, region, country) = PLACES[step];
        anyhow::Ok(tracklane_store::MilestoneDraft {
            index: 0,
            tracking_number: TrackingNumber::parse(&number(i))?,
            shipment: None,
            box_id: None,
            milestone: Milestone {
                code: JOURNEY[step],
                sub_code: None,
                raw_code: None,
                description: None,
                location: Location {
                    city: Some(city.into()),
                    region: Some(region.into()),
                    country_code: Some(country.into()),
                },
                occurred_at: occurred,
                event_id: None,
            },
        })
    };
    // Steps of 60 to 83 hours. The finished journeys began 40 to 65 days
    // before the store was written; the shipments in flight had their third
    // milestone in the two days before, as a busy hub's would.
    let step_minutes = |i: usize, step: usize| (60 + ((i * 7 + step * 5) % 24) as i64) * 60;
    let mut drafts = Vec::new();
    for i in 0..shipments + finished {
        let (steps, start_minutes) = if i < shipments {
            let journey: i64 = (1..3).map(|step| step_minutes(i, step)).sum();
            (3, -journey - (i % 48) as i64 * 60)
        } else {
            (JOURNEY.len(), -(60 * 24 * 40) - (i % 600) as i64 * 60)
        };
        let mut minutes = start_minutes;
        for step in 0..steps {
            if step > 0 {
                minutes += step_minutes(i, step);
            }
            drafts.push(milestone(i, step, at(minutes)?)?);
        }
    }
    for chunk in drafts.chunks(BATCH_SIZE_ENGINE) {
        store
            .append_milestones(&carrier.code, chunk.to_vec(), base)
            .await?;
    }
    drop(drafts);

    // The first pass a day after the world was written, so what it wrote
    // is behind every later pass's margin.
    let first = base.checked_add(Span::new().hours(24))?;
    let mut engine = crate::engine_pass::Engine::new();
    let started = Instant::now();
    let report = engine.pass(store.as_ref(), first).await?;
    let first_pass_ms = started.elapsed().as_secs_f64() * 1000.0;
    let first_pass_read = report.read;
    ensure!(
        report.judged == shipments,
        "the first pass judged {} of {shipments} shipments in flight",
        report.judged
    );
    let changed_per_pass = ((shipments as f64 * changed_percent / 100.0).round() as usize).max(1);
    let mut next_changed = 0usize;
    let mut changed = Vec::with_capacity(passes);
    let mut changed_pass_read = Vec::with_capacity(passes);
    let mut changed_pass_written = Vec::with_capacity(passes);
    let mut full = Vec::with_capacity(passes);
    for round in 1..=2 * passes {
        let now = first.checked_add(Span::new().minutes(round as i64 * pass_gap_minutes))?;
        // A new fact for the next share of shipments, stamped half a minute
        // before the pass.
        let drafts = (0..changed_per_pass)
            .map(|k| {
                let i = (next_changed + k) % shipments;
                let mut draft = milestone(i, 5, now.checked_sub(Span::new().hours(1))?)?;
                draft.index = k;
                anyhow::Ok(draft)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        next_changed = (next_changed + changed_per_pass) % shipments;
        let stamped = now.checked_sub(Span::new().seconds(30))?;
        for chunk in drafts.chunks(BATCH_SIZE_ENGINE) {
            store
                .append_milestones(&carrier.code, chunk.to_vec(), stamped)
                .await?;
        }
        let is_baseline = round > passes;
        if is_baseline {
            engine.read_all_next_pass();
        }
        let started = Instant::now();
        let report = engine.pass(store.as_ref(), now).await?;
        let took = started.elapsed();
        ensure!(
            report.is_full_read == is_baseline,
            "pass {round} read {} shipments, full read {}",
            report.read,
            report.is_full_read
        );
        if is_baseline {
            full.push(took);
        } else {
            changed.push(took);
            changed_pass_read.push(report.read);
            changed_pass_written.push(report.written);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let changed_pass_max_ms = changed
        .iter()
        .max()
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let changed_pass_median_ms = percentile_ms(&mut changed, 0.5);
    let full_pass_median_ms = percentile_ms(&mut full, 0.5);
    Ok(EngineReport {
        backend: if db.is_some() { "postgres" } else { "sqlite" },
        shipments,
        finished,
        changed_per_pass,
        pass_gap_minutes,
        passes,
        first_pass_ms,
        first_pass_read,
        changed_pass_median_ms,
        changed_pass_max_ms,
        changed_pass_read,
        changed_pass_written,
        full_pass_median_ms,
        ratio: full_pass_median_ms / changed_pass_median_ms,
    })
}

/// The result of `bench ids`.
#[derive(Debug, Serialize)]
pub struct IdsReport {
    /// Numbers checked (after a warm-up of one pass over the mix).
    pub checks: usize,
    /// Checks per second of CPU time this thread ran: one core's rate, not
    /// skewed by other work on a shared machine. Falls back to wall time
    /// where the kernel does not report thread CPU time.
    pub checks_per_sec: f64,
    /// Checks per second of wall-clock time, for comparison.
    pub checks_per_wall_sec: f64,
    /// Share of the mix judged valid.
    pub valid_share: f64,
}

/// Checks a realistic mix of tracking numbers on this thread.
pub fn ids(checks: usize) -> IdsReport {
    let mix = tracklane_ids::bench_mix(10_000);
    let warm_up: usize = mix
        .iter()
        .map(|n| usize::from(tracklane_ids::check(n).valid))
        .sum();
    std::hint::black_box(warm_up);
    let mut valid = 0usize;
    let cpu_started_ns = thread_cpu_ns();
    let started = Instant::now();
    for i in 0..checks {
        valid += usize::from(tracklane_ids::check(&mix[i % mix.len()]).valid);
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_started_ns
        .zip(thread_cpu_ns())
        .map_or(wall_seconds, |(a, b)| b.saturating_sub(a) as f64 / 1e9);
    IdsReport {
        checks,
        checks_per_sec: checks as f64 / cpu_seconds,
        checks_per_wall_sec: checks as f64 / wall_seconds,
        valid_share: valid as f64 / checks.max(1) as f64,
    }
}

/// Nanoseconds of CPU time this thread has run, from Linux's schedstat.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn percentile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

/// A fresh store in a temporary folder with the bench carrier and seller.
async fn bench_store() -> anyhow::Result<(
    std::path::PathBuf,
    Arc<tracklane_store::sqlite::SqliteStore>,
    Carrier,
    Seller,
)> {
    let dir = tempfile_dir()?;
    let store = Arc::new(tracklane_store::sqlite::SqliteStore::open(
        &dir.join("bench.db"),
    )?);
    let carrier = bench_carrier();
    let seller = Seller {
        id: SellerId::parse("A2BENCHSELLER").expect("a valid id"),
        name: "Bench".into(),
    };
    store.put_carrier(carrier.clone()).await?;
    store.put_seller(seller.clone()).await?;
    Ok((dir, store, carrier, seller))
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("tracklane-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// What `tracklane bench reroute` measured.
#[derive(Debug, Serialize)]
pub struct RerouteReport {
    /// Delayed shipments.
    pub shipments: usize,
    /// Warehouses (one marketplace, so every move is allowed).
    pub warehouses: usize,
    /// Slots over all warehouses.
    pub slots_total: u64,
    /// Shipments moved.
    pub moved: usize,
    /// Objective with the moves, in hundredths of a day.
    pub cost: i64,
    /// Objective if nothing moved.
    pub stay_cost: i64,
    /// Time to solve, in milliseconds (median of the runs).
    pub solve_ms: f64,
    /// Runs timed.
    pub runs: usize,
    /// Optimality checked independently (no negative cycle, capacity respected).
    pub certified_optimal: bool,
    /// Warehouses given more shipments than slots.
    pub capacity_violations: usize,
}

/// The run `simulate`'s speed target is set for: shipments, days.
pub const SIMULATE_TARGET_SIZE: (usize, u32) = (100_000, 90);
/// Its target, in seconds.
pub const SIMULATE_TARGET_SECONDS: f64 = 60.0;

/// What `tracklane bench simulate` measured.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct SimulateReport {
    /// The seed.
    pub seed: u64,
    /// Shipments created in the measured period (the pre-roll adds 30 %).
    pub shipments: usize,
    /// Days in the measured period.
    pub days: u32,
    /// Stream lines replayed.
    pub lines: u64,
    /// Building the world and its events, in seconds.
    pub generate_seconds: f64,
    /// Writing the stream and replaying it through ingest, store and engine
    /// (they overlap), in seconds.
    pub replay_seconds: f64,
    /// The whole run, in seconds.
    pub total_seconds: f64,
    /// The target, for the run it is set for (100 000 shipments over 90
    /// days): 60 seconds. Absent for other sizes.
    pub target_seconds: Option<f64>,
    /// Whether the whole run was within the target, if there is one.
    pub within_target: Option<bool>,
}

/// Times `tracklane simulate --seed SEED --shipments SHIPMENTS --days DAYS`
/// as the command runs it: the world, the stream piped into the replay, the
/// report (not printed).
pub async fn simulate(seed: u64, shipments: usize, days: u32) -> anyhow::Result<SimulateReport> {
    let started = Instant::now();
    let config = tracklane_sim::simulation::SimConfig {
        seed,
        shipments,
        days,
    };
    let (report, timings) =
        crate::simulate::run(config, None, crate::replay::ReplayOptions::default()).await?;
    let total_seconds = started.elapsed().as_secs_f64();
    let target_seconds =
        ((shipments, days) == SIMULATE_TARGET_SIZE).then_some(SIMULATE_TARGET_SECONDS);
    Ok(SimulateReport {
        seed,
        shipments,
        days,
        lines: report.ingest.lines,
        generate_seconds: timings.generate_seconds,
        replay_seconds: timings.replay_seconds,
        total_seconds,
        target_seconds,
        within_target: target_seconds.map(|t| total_seconds <= t),
    })
}

/// Times `tracklane_engine::reroute::solve` on `shipments` delayed shipments
/// spread over the congested fifth of `warehouses` sites, with slots for about
/// half of them elsewhere, costs as the planner builds them (wait + drive +
/// distance + a switching cost).
pub fn reroute(shipments: usize, warehouses: usize, seed: u64) -> RerouteReport {
    use tracklane_engine::reroute::{Transport, is_optimal, solve};
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut unit = move || (next() >> 11) as f64 / (1u64 << 53) as f64;
    // Sites on a 4 000 km square; a fifth are congested.
    let sites: Vec<(f64, f64, f64)> = (0..warehouses)
        .map(|j| {
            let congested = j % 5 == 0;
            let wait = if congested {
                5.0 + unit() * 6.0
            } else {
                unit() * 2.0
            };
            (unit() * 4000.0, unit() * 4000.0, wait)
        })
        .collect();
    let congested: Vec<usize> = (0..warehouses).filter(|j| j % 5 == 0).collect();
    let free_sites = warehouses - congested.len();
    let slots_each = ((shipments / 2) / free_sites.max(1)).max(1) as u32;
    let slots: Vec<u32> = (0..warehouses)
        .map(|j| {
            if j % 5 == 0 {
                0
            } else {
                (f64::from(slots_each) * (0.5 + unit())) as u32
            }
        })
        .collect();
    let mut stay_cost = Vec::with_capacity(shipments);
    let mut move_cost = Vec::with_capacity(shipments * warehouses);
    for _ in 0..shipments {
        let home = congested[(unit() * congested.len() as f64) as usize % congested.len()];
        let (hx, hy, hw) = sites[home];
        stay_cost.push((hw * 100.0) as i64);
        for (j, (x, y, w)) in sites.iter().enumerate() {
            if j == home {
                move_cost.push(tracklane_engine::reroute::FORBIDDEN);
                continue;
            }
            let km = ((x - hx).powi(2) + (y - hy).powi(2)).sqrt() * 1.25;
            let days = w + km / 550.0 + km / 1500.0 + 1.0;
            move_cost.push((days * 100.0) as i64);
        }
    }
    let problem = Transport {
        warehouse_slots: slots.clone(),
        stay_cost,
        move_cost,
    };
    let runs = 5;
    let mut times = Vec::with_capacity(runs);
    let mut assignment = None;
    for _ in 0..runs {
        let started = Instant::now();
        let a = solve(&problem);
        times.push(started.elapsed());
        assignment = Some(a);
    }
    let assignment = assignment.expect("at least one run");
    let load = assignment.load(warehouses);
    RerouteReport {
        shipments,
        warehouses,
        slots_total: slots.iter().map(|s| u64::from(*s)).sum(),
        moved: assignment.choice.iter().flatten().count(),
        cost: assignment.cost,
        stay_cost: problem.stay_cost.iter().sum(),
        solve_ms: percentile_ms(&mut times, 0.5),
        runs,
        certified_optimal: is_optimal(&problem, &assignment),
        capacity_violations: load.iter().zip(&slots).filter(|(l, s)| l > s).count(),
    }
}
