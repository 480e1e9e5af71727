//! `tracklane demo`: a live hub on a fresh SQLite file. It seeds a realistic world
//! (sellers, carriers, warehouses, hundreds of shipments in every state), loads the
//! history carriers and warehouses have already sent, then lets simulated carriers
//! keep pushing milestones and tracking numbers through the real carrier API over
//! HTTP, and warehouses report what they count, while a fast clock moves the world
//! along.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tracklane_core::{BoxId, CarrierCode, SellerId, TrackingNumber};
use tracklane_server::{AppState, Clock};
use tracklane_sim::{DemoWorld, ScriptedEvent, TrackingUpload, WarehouseReceipt};
use tracklane_store::{
    MilestoneDraft, Principal, ReceiptLine, ReceiptRequest, ShipmentKey, Store, TrackingAssignment,
};

use crate::hub::{self, Running};
use crate::keys;

/// Keys handed out to the demo's accounts.
#[derive(Debug, Clone)]
pub struct DemoKeys {
    /// The operator's key.
    pub operator: String,
    /// One key per seller.
    pub sellers: Vec<(SellerId, String)>,
    /// One key per carrier.
    pub carriers: Vec<(CarrierCode, String)>,
}

/// How many items the loader hands the store at once.
const LOAD_CHUNK: usize = 5_000;
/// How often (real time) the simulated carriers push what their clock has reached.
pub const PUSH_INTERVAL_MS: u64 = 1_000;

/// Where the demo listens unless told otherwise.
pub const LISTEN_DEFAULT: &str = "127.0.0.1:8080";

/// Claims the demo's SQLite file for this process, before anything wipes
/// it: a second `tracklane demo` started from the same folder would
/// otherwise delete the database the first is still writing. The claim is
/// an advisory lock on `PATH.lock`, released when the returned file is
/// dropped or the process ends, however it ends. `None` for a store that is
/// not a file.
///
/// # Errors
/// When another process holds the claim, or the lock file cannot be made.
pub fn claim(db: &str) -> anyhow::Result<Option<std::fs::File>> {
    let Some(path) = db.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let lock_path = format!("{path}.lock");
    if let Some(dir) = std::path::Path::new(&lock_path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(&lock_path).with_context(|| format!("creating {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another tracklane demo is running on {path} (it holds {lock_path}): stop it, \
             or start this one on another file with --db sqlite://tracklane-data/demo-2.db"
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {lock_path}"))
        }
    }
}

/// The demo's listener: `listen` when given, else [`LISTEN_DEFAULT`], or any
/// free port on loopback when another program has that one (the banner
/// prints the address either way).
///
/// # Errors
/// When `listen` cannot be bound, or no port can.
pub async fn listener(listen: Option<&str>) -> anyhow::Result<tokio::net::TcpListener> {
    listener_or(listen, LISTEN_DEFAULT).await
}

/// [`listener`] with `default` in place of [`LISTEN_DEFAULT`].
async fn listener_or(
    listen: Option<&str>,
    default: &str,
) -> anyhow::Result<tokio::net::TcpListener> {
    if let Some(listen) = listen {
        return hub::bind(listen).await;
    }
    match tokio::net::TcpListener::bind(default).await {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let listener = hub::bind("127.0.0.1:0").await?;
            eprintln!(
                "{default} is in use, so the demo listens on {} instead (--listen chooses)",
                listener.local_addr()?
            );
            Ok(listener)
        }
        Err(e) => Err(e).with_context(|| format!("binding {default}")),
    }
}

/// Stores the world's reference data and shipments, and issues keys.
///
/// # Errors
/// When the store fails.
pub async fn seed(store: &dyn Store, world: &DemoWorld, seed: u64) -> anyhow::Result<DemoKeys> {
    let mut random = hub::seeded_random(seed ^ 0x6b65_7973);
    for w in &world.warehouses {
        store.put_warehouse(w.clone()).await?;
    }
    for c in &world.carriers {
        store.put_carrier(c.clone()).await?;
    }
    for s in &world.sellers {
        store.put_seller(s.clone()).await?;
    }
    let operator = keys::issue(store, Principal::Operator, random()).await?;
    let mut sellers = Vec::new();
    for s in &world.sellers {
        sellers.push((
            s.id.clone(),
            keys::issue(store, Principal::Seller(s.id.clone()), random()).await?,
        ));
    }
    let mut carriers = Vec::new();
    for c in &world.carriers {
        carriers.push((
            c.code.clone(),
            keys::issue(store, Principal::Carrier(c.code.clone()), random()).await?,
        ));
    }
    for shipment in &world.shipments {
        store
            .create_shipment(shipment.clone())
            .await
            .with_context(|| format!("creating shipment {}", shipment.confirmation_id))?;
    }
    Ok(DemoKeys {
        operator,
        sellers,
        carriers,
    })
}

/// How long after a short close the demo's sellers record asking for a
/// reconciliation: closes younger than this still wait under "Received
/// short" when the demo starts.
const RECONCILE_AFTER: SignedDuration = SignedDuration::from_hours(72);

/// Loads uploads, milestones and warehouse receipts sent before `now` straight
/// into the store (the same store path the API uses, without HTTP), and the
/// sellers' reconciliation requests for short closes older than
/// [`RECONCILE_AFTER`]. Returns milestones loaded.
///
/// # Errors
/// When the store fails.
pub async fn load_history(
    store: &dyn Store,
    world: &DemoWorld,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut by_shipment: HashMap<(&str, &CarrierCode), Vec<&TrackingUpload>> = HashMap::new();
    for u in world.uploads.iter().filter(|u| u.at <= now) {
        by_shipment
            .entry((u.confirmation_id.as_str(), &u.carrier))
            .or_default()
            .push(u);
    }
    for ((confirmation, carrier), uploads) in by_shipment {
        let assignments = uploads
            .iter()
            .enumerate()
            .filter_map(|(index, u)| {
                Some(TrackingAssignment {
                    index,
                    box_id: Some(BoxId::parse(&u.box_id).ok()?),
                    tracking_number: TrackingNumber::normalize(&u.tracking_number).ok()?,
                    mode: tracklane_core::LegMode::SmallParcel,
                    source: tracklane_core::TrackingSource::Carrier,
                    carrier: carrier.clone(),
                })
            })
            .collect();
        store
            .assign_tracking(
                &Principal::Carrier(carrier.clone()),
                &ShipmentKey::new(confirmation),
                assignments,
                uploads[0].at,
            )
            .await?;
    }
    let mut by_carrier: HashMap<&CarrierCode, Vec<MilestoneDraft>> = HashMap::new();
    let mut loaded = 0;
    for e in world.feed.iter().filter(|e| e.at <= now) {
        let Ok(number) = TrackingNumber::normalize(&e.tracking_number) else {
            continue;
        };
        let drafts = by_carrier.entry(&e.carrier).or_default();
        drafts.push(MilestoneDraft {
            index: drafts.len(),
            tracking_number: number,
            shipment: Some(ShipmentKey::new(e.shipment_confirmation_id.clone())),
            box_id: BoxId::parse(&e.box_id).ok(),
            milestone: e.milestone.clone(),
        });
        if drafts.len() >= LOAD_CHUNK {
            let chunk = std::mem::take(drafts);
            loaded += chunk.len();
            store.append_milestones(&e.carrier, chunk, now).await?;
        }
    }
    for (carrier, drafts) in by_carrier {
        loaded += drafts.len();
        store.append_milestones(carrier, drafts, now).await?;
    }
    for r in world.receipts.iter().filter(|r| r.at <= now) {
        store
            .record_receipt(
                &ShipmentKey::new(r.confirmation_id.clone()),
                ReceiptRequest {
                    lines: receipt_lines(r),
                    closes: r.closes,
                    actor: "operator".into(),
                    now: r.at,
                },
            )
            .await?;
    }
    let shipments: HashMap<&str, &tracklane_core::Shipment> = world
        .shipments
        .iter()
        .map(|s| (s.confirmation_id.as_str(), s))
        .collect();
    for r in world
        .receipts
        .iter()
        .filter(|r| r.closes && r.at + RECONCILE_AFTER <= now)
    {
        let Some(shipment) = shipments.get(r.confirmation_id.as_str()) else {
            continue;
        };
        let counted: u32 = r.lines.iter().map(|(_, units)| units).sum();
        if counted < shipment.units_expected() {
            store
                .request_reconciliation(
                    &ShipmentKey::new(r.confirmation_id.clone()),
                    Principal::Seller(shipment.seller.clone()).audit_name(),
                    r.at + RECONCILE_AFTER,
                )
                .await?;
        }
    }
    Ok(loaded)
}

fn receipt_lines(r: &WarehouseReceipt) -> Vec<ReceiptLine> {
    r.lines
        .iter()
        .map(|(sku, units)| ReceiptLine {
            sku: sku.clone(),
            units_received: *units,
        })
        .collect()
}

/// The warehouses report what they counted of the shipments they are
/// receiving, through the API with the operator's key.
async fn post_receipts(
    client: &reqwest::Client,
    base: &str,
    operator: &str,
    receipts: &[WarehouseReceipt],
) {
    for r in receipts {
        let sent = client
            .post(format!(
                "{base}/api/v1/shipments/{}/receipts",
                r.confirmation_id
            ))
            .bearer_auth(operator)
            .json(&json!({ "items": receipt_lines(r), "receivingComplete": r.closes }))
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => {}
            Ok(answer) => tracing::warn!(status = %answer.status(), "a receipt was refused"),
            Err(e) => tracing::warn!(error = %e, "a simulated warehouse could not report"),
        }
    }
}

/// The JSON a carrier pushes for one scripted event.
pub fn milestone_json(e: &ScriptedEvent) -> Value {
    let m = &e.milestone;
    let mut status = json!({ "code": m.code.as_str() });
    if let Some(sub) = m.sub_code {
        status["subCode"] = json!(sub.as_str());
    }
    if let Some(d) = &m.description {
        status["description"] = json!(d);
    }
    if let Some(r) = &m.raw_code {
        status["rawCode"] = json!(r);
    }
    let mut item = json!({
        "trackingNumber": e.tracking_number,
        "shipmentId": e.shipment_confirmation_id,
        "boxId": e.box_id,
        "status": status,
        "occurredAt": m.occurred_at.to_string(),
    });
    if !m.location.is_empty() {
        item["location"] = json!({ "address": m.location });
    }
    if let Some(id) = &m.event_id {
        item["eventId"] = json!(id);
    }
    item
}

/// Days between a simulated carrier's confirmation and its appointment at the
/// new warehouse.
const REROUTE_APPOINTMENT_DAYS: i64 = 3;

/// The simulated carriers with Smart Reroute take every offer the hub makes,
/// booking a receiving appointment a few days out, as a forwarder whose trucks
/// wait at a congested warehouse would.
async fn confirm_reroutes(
    client: &reqwest::Client,
    base: &str,
    key_of: &HashMap<CarrierCode, String>,
    now: Timestamp,
) {
    let appointment = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(REROUTE_APPOINTMENT_DAYS))
        .unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC).date());
    for key in key_of.values() {
        let Ok(answer) = client
            .get(format!("{base}/api/v1/carrier/reroutes"))
            .bearer_auth(key)
            .send()
            .await
        else {
            continue;
        };
        let Ok(offers) = answer.json::<Value>().await else {
            continue;
        };
        for id in offers["reroutes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_i64())
        {
            let confirmed = client
                .post(format!("{base}/api/v1/carrier/reroutes/{id}/confirm"))
                .bearer_auth(key)
                .json(&json!({ "appointmentDate": appointment.to_string() }))
                .send()
                .await;
            if let Err(e) = confirmed {
                tracing::warn!(error = %e, "a simulated carrier could not confirm a reroute");
            }
        }
    }
}

/// Simulated carriers: every [`PUSH_INTERVAL_MS`], each carrier uploads the
/// tracking numbers and pushes the milestones whose send time the hub's clock has
/// reached, through the real HTTP API with its own key, and the warehouses
/// report their counts with the operator's.
pub async fn run_carriers(
    base: String,
    world: Arc<DemoWorld>,
    keys: DemoKeys,
    clock: Arc<dyn Clock>,
    start: Timestamp,
) {
    let client = reqwest::Client::new();
    let key_of: HashMap<CarrierCode, String> = keys.carriers.into_iter().collect();
    let (mut feed_at, mut upload_at) = (
        world.feed.partition_point(|e| e.at <= start),
        world.uploads.partition_point(|u| u.at <= start),
    );
    let mut receipt_at = world.receipts.partition_point(|r| r.at <= start);
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(PUSH_INTERVAL_MS));
    loop {
        ticker.tick().await;
        let now = clock.now();
        let mut uploads: HashMap<(&str, &CarrierCode), Vec<Value>> = HashMap::new();
        while upload_at < world.uploads.len() && world.uploads[upload_at].at <= now {
            let u = &world.uploads[upload_at];
            uploads
                .entry((u.confirmation_id.as_str(), &u.carrier))
                .or_default()
                .push(json!({ "boxId": u.box_id, "trackingNumber": u.tracking_number }));
            upload_at += 1;
        }
        for ((confirmation, carrier), boxes) in uploads {
            let Some(key) = key_of.get(carrier) else {
                continue;
            };
            let url = format!("{base}/api/v1/carrier/shipments/{confirmation}/tracking");
            if let Err(e) = client
                .put(&url)
                .bearer_auth(key)
                .json(&json!({ "boxes": boxes }))
                .send()
                .await
            {
                tracing::warn!(error = %e, "a simulated carrier could not upload tracking");
            }
        }
        let mut pushes: HashMap<&CarrierCode, Vec<Value>> = HashMap::new();
        while feed_at < world.feed.len() && world.feed[feed_at].at <= now {
            let e = &world.feed[feed_at];
            pushes
                .entry(&e.carrier)
                .or_default()
                .push(milestone_json(e));
            feed_at += 1;
        }
        for (carrier, items) in pushes {
            let Some(key) = key_of.get(carrier) else {
                continue;
            };
            for chunk in items.chunks(tracklane_ingest::BATCH_SIZE_MAX) {
                let sent = client
                    .post(format!("{base}/api/v1/carrier/milestones"))
                    .bearer_auth(key)
                    .json(&json!({ "milestones": chunk }))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => {
                        tracing::warn!(status = %r.status(), carrier = %carrier, "a push was refused")
                    }
                    Err(e) => tracing::warn!(error = %e, "a simulated carrier could not push"),
                }
            }
        }
        confirm_reroutes(&client, &base, &key_of, now).await;
        let due = world.receipts[receipt_at..].partition_point(|r| r.at <= now);
        post_receipts(
            &client,
            &base,
            &keys.operator,
            &world.receipts[receipt_at..receipt_at + due],
        )
        .await;
        receipt_at += due;
        if feed_at >= world.feed.len()
            && upload_at >= world.uploads.len()
            && receipt_at >= world.receipts.len()
        {
            tracing::info!("the simulated carriers have sent everything they had");
            return;
        }
    }
}

/// A link that opens the console already signed in as the demo's first
/// seller: the demo creates the session itself, so the browser it opens lands
/// on a live shipment list rather than a sign-in form.
///
/// # Errors
/// When the store cannot save the session.
pub async fn signin_link(running: &Running, keys: &DemoKeys) -> anyhow::Result<String> {
    let principal = match keys.sellers.first() {
        Some((id, _)) => Principal::Seller(id.clone()),
        None => Principal::Operator,
    };
    let token = tracklane_server::start_session(&running.state, principal)
        .await
        .context("creating the demo's browser session")?;
    Ok(format!("{}/signin/link?token={token}", running.url()))
}

/// Tolerance of the inbox's signature check, in the demo clock's seconds.
const INBOX_TOLERANCE_SECONDS: i64 = 300;

/// Starts a webhook receiver inside the demo and subscribes the first seller
/// to it through the API, so the webhooks page shows signed deliveries
/// arriving as the simulated carriers push. The receiver checks each
/// signature against the subscription's secret, on `clock` (the hub's), and
/// answers 204, or 401 to a body that is not signed by it. Returns its URL;
/// `None` when the world has no seller.
///
/// # Errors
/// When the receiver cannot listen or the hub refuses the subscription.
pub async fn subscribe_inbox(
    running: &Running,
    keys: &DemoKeys,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Option<String>> {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use tracklane_server::webhooks::{SIGNATURE_HEADER, verify};

    let Some((_, key)) = keys.sellers.first() else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("starting the demo's webhook receiver")?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let secret: Arc<std::sync::OnceLock<String>> = Arc::default();
    let known = secret.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (known, clock) = (known.clone(), clock.clone());
            async move {
                let signature = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                match known.get() {
                    Some(secret)
                        if verify(
                            secret,
                            signature,
                            &body,
                            clock.now(),
                            INBOX_TOLERANCE_SECONDS,
                        ) =>
                    {
                        StatusCode::NO_CONTENT
                    }
                    _ => StatusCode::UNAUTHORIZED,
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks", running.url()))
        .bearer_auth(key)
        .json(&json!({ "url": url }))
        .send()
        .await
        .context("subscribing the demo's webhook receiver")?;
    let status = response.status();
    let created: Value = response.json().await?;
    let Some(given) = created["secret"].as_str().filter(|_| status.is_success()) else {
        anyhow::bail!("the hub refused the demo's webhook subscription ({status}): {created}");
    };
    let _ = secret.set(given.to_owned());
    Ok(Some(url))
}

/// What `tracklane demo` prints once the hub is up.
pub fn banner(
    running: &Running,
    keys: &DemoKeys,
    world: &DemoWorld,
    link: &str,
    inbox: Option<&str>,
) -> String {
    let url = running.url();
    let mut out = format!(
        "\ntracklane demo is running at {url}\n  console, signed in as the first seller: {link}\n  (or sign in at {url}/signin with any key below)\n\n  {shipments} shipments, {carriers} carriers, {warehouses} warehouses; simulated carriers push milestones every second.\n\nKeys (send as `Authorization: Bearer <key>`):\n  operator  {op}\n",
        shipments = world.shipments.len(),
        carriers = world.carriers.len(),
        warehouses = world.warehouses.len(),
        op = keys.operator,
    );
    for (id, key) in &keys.sellers {
        out.push_str(&format!("  seller    {key}   ({id})\n"));
    }
    for (code, key) in keys.carriers.iter().take(3) {
        out.push_str(&format!("  carrier   {key}   ({code})\n"));
    }
    if keys.carriers.len() > 3 {
        out.push_str(&format!(
            "  … and {} more carrier keys in tracklane-data/demo-keys.json\n",
            keys.carriers.len() - 3
        ));
    }
    if let Some(inbox) = inbox {
        out.push_str(&format!(
            "\nWebhooks: the first seller is subscribed to {inbox}, a receiver inside the demo\n  that checks every signature; watch the deliveries at {url}/webhooks\n"
        ));
    }
    if let Some((_, seller_key)) = keys.sellers.first() {
        out.push_str(&format!(
            "\nTry:\n  curl -s -H 'Authorization: Bearer {seller_key}' '{url}/api/v1/shipments?missingTracking=true&limit=5'\n  curl -s -H 'Authorization: Bearer {seller_key}' '{url}/api/v1/carriers?capability=dw_automation'\n\nPress Ctrl-C to stop.\n"
        ));
    }
    out
}

/// Builds the demo's state on a fresh store.
///
/// # Errors
/// When the store cannot be opened or seeded.
pub async fn prepare(
    db: &str,
    seed: u64,
    shipments: usize,
    now: Timestamp,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(AppState, DemoWorld, DemoKeys)> {
    let store = hub::open_store(db).await?;
    let world = tracklane_sim::demo_world(seed, now, shipments);
    let keys = seed_and_load(store.as_ref(), &world, seed, now).await?;
    // Ids follow the seed; session tokens must not.
    let state =
        AppState::new(store, clock, hub::seeded_random(seed)).with_secret_random(hub::os_random);
    Ok((state, world, keys))
}

async fn seed_and_load(
    store: &dyn Store,
    world: &DemoWorld,
    seed_value: u64,
    now: Timestamp,
) -> anyhow::Result<DemoKeys> {
    let keys = seed(store, world, seed_value).await?;
    load_history(store, world, now).await?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_demo_on_the_same_file_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/data/demo.db", dir.path().display());
        let first = claim(&db).unwrap();
        assert!(first.is_some(), "a file store is claimed");
        let refused = claim(&db).unwrap_err().to_string();
        assert!(
            refused.contains("another tracklane demo is running") && refused.contains("--db"),
            "{refused}"
        );
        drop(first);
        assert!(
            claim(&db).unwrap().is_some(),
            "free again once the first ends"
        );
        assert!(claim("postgres://localhost/demo").unwrap().is_none());
    }

    #[tokio::test]
    async fn a_taken_port_is_refused_when_named_and_replaced_when_defaulted() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listen = taken.local_addr().unwrap().to_string();
        let refused = listener(Some(&listen)).await.unwrap_err().to_string();
        assert!(
            refused.contains("already in use") && refused.contains("127.0.0.1:0"),
            "{refused}"
        );
        // Without --listen, a taken default gives way to a free port.
        let chosen = listener_or(None, &listen).await.unwrap();
        assert_ne!(chosen.local_addr().unwrap().to_string(), listen);
    }
}
