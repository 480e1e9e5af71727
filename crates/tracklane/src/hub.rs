//! Starting a hub: open a store from a `--db` URL, build the server state with a
//! clock and a source of randomness, and serve it on a TCP listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use tokio::net::TcpListener;
use tracklane_server::{AppState, Clock};
use tracklane_store::Store;
use tracklane_store::postgres::PgStore;
use tracklane_store::sqlite::SqliteStore;

/// The default database when `--db` is not given.
pub const DEFAULT_DB: &str = "sqlite://tracklane-data/tracklane.db";

/// Opens the store a `--db` URL names: `sqlite://PATH`, or
/// `postgres://user:password@host:port/db` (also `postgresql://`).
///
/// # Errors
/// When the URL is neither, or the store cannot be opened.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let store = SqliteStore::open(&PathBuf::from(path))
            .with_context(|| format!("opening the SQLite store at {path}"))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        match store.tls_version().await? {
            Some(version) => tracing::info!("connected to PostgreSQL over {version}"),
            None => tracing::info!(
                "connected to PostgreSQL without TLS (add ?sslmode=verify-full to the URL to encrypt)"
            ),
        }
        return Ok(Arc::new(store));
    }
    bail!("--db takes sqlite://PATH or postgres://…, not `{url}`")
}

/// Takes or renews lease `name` for `holder`, for three `period`s from `now`
/// (see [`Store::lease`]); `false`, logged, when another process holds it or
/// the store cannot say.
pub async fn hold_lease(
    store: &dyn Store,
    name: &str,
    holder: &str,
    now: Timestamp,
    period: std::time::Duration,
) -> bool {
    let until = SignedDuration::try_from(period * 3)
        .ok()
        .and_then(|d| now.checked_add(d).ok())
        .unwrap_or(now);
    match store.lease(name, holder, now, until).await {
        Ok(held) => {
            if !held {
                tracing::debug!(lease = name, "another process holds the lease");
            }
            held
        }
        Err(error) => {
            tracing::warn!(lease = name, error = %error, "could not take the lease");
            false
        }
    }
}

/// A name for this process among those sharing a store, for leases.
pub fn process_name() -> String {
    os_random().iter().map(|b| format!("{b:02x}")).collect()
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one real clock.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that starts at `start` and runs `speed` times faster than real time:
/// the demo's carriers live through days in minutes.
pub struct FastClock {
    start: Timestamp,
    began: Instant,
    speed: f64,
}

impl FastClock {
    /// A clock at `start`, running `speed` times real time.
    pub fn new(start: Timestamp, speed: f64) -> Self {
        Self {
            start,
            began: Instant::now(),
            speed,
        }
    }
}

impl Clock for FastClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.began.elapsed().as_secs_f64() * self.speed;
        self.start
            .saturating_add(SignedDuration::from_secs_f64(elapsed))
            .unwrap_or(self.start)
    }
}

/// A fixed clock, for tests and benchmarks.
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// 16 bytes from the operating system.
pub fn os_random() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    // Without OS randomness ids would collide; that is worth stopping for.
    getrandom::fill(&mut bytes).expect("the operating system gave no random bytes");
    bytes
}

/// A seeded source of 16-byte blocks (SplitMix64), for reproducible ids in the
/// demo and in tests. Not for secrets.
pub fn seeded_random(seed: u64) -> impl FnMut() -> [u8; 16] + Send + 'static {
    let mut state = seed;
    move || {
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let (a, b) = (next(), next());
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        out
    }
}

/// A running hub.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (store, clock, metrics).
    pub state: AppState,
}

impl Running {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves `state` on `listen` in the background.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(state: AppState, listen: &str) -> anyhow::Result<Running> {
    serve_on(state, bind(listen).await?)
}

/// Binds `listen` (`HOST:PORT`), saying what to do when another program
/// already listens there.
///
/// # Errors
/// When the address cannot be bound.
pub async fn bind(listen: &str) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(listen).await {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "{listen} is already in use (another tracklane, or another program): stop it, \
             or pass --listen with another port (127.0.0.1:0 takes any free one)"
        ),
        Err(e) => Err(e).with_context(|| format!("binding {listen}")),
    }
}

/// Serves `state` on `listener` in the background.
///
/// # Errors
/// When the listener's address cannot be read.
pub fn serve_on(state: AppState, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr().context("reading the bound address")?;
    // With each connection's peer address: the per-address rate limits key on it.
    let app =
        tracklane_server::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, state })
}
