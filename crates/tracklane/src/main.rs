//! The `tracklane` command line. Each subcommand is a thin wrapper over the
//! library in `lib.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracklane::{
    backup, bench, demo, engine_pass, hub, idcheck, import, keys, mail, outbound, pull, replay,
    simulate, webhooks,
};
use tracklane_server::AppState;
use tracklane_store::Principal;

#[global_allocator]
static ALLOCATOR: tracklane_alloc::Allocator = tracklane_alloc::Allocator {};

/// How often `serve` runs an engine pass (estimates, exceptions, window
/// automation, reroute offers).
const ENGINE_PERIOD_SERVE: std::time::Duration = std::time::Duration::from_secs(60);
/// The demo's clock runs fast, so its engine passes come often.
const ENGINE_PERIOD_DEMO: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Parser)]
#[command(
    name = "tracklane",
    version,
    about = "A self-hostable shipment-visibility hub: carriers push tracking, sellers see every shipment of every carrier."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hub.
    Serve {
        /// sqlite://PATH (embedded) or postgres://…
        #[arg(long, default_value = hub::DEFAULT_DB)]
        db: String,
        /// HOST:PORT to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The address users and webhook receivers reach this hub at, for the
        /// tracking links in notifications (default: http://LISTEN).
        #[arg(long, env = "TRACKLANE_PUBLIC_URL")]
        public_url: Option<String>,
        /// Polling carriers' tracking APIs.
        #[command(flatten)]
        poll: Box<PollArgs>,
        /// A PEM file of certificate authorities to trust for outbound HTTPS
        /// (webhook receivers, carrier APIs) besides the system's and Mozilla's.
        #[arg(long, env = "TRACKLANE_CA_FILE")]
        ca_file: Option<std::path::PathBuf>,
        /// Request rate limits per API key and per client address.
        #[command(flatten)]
        limits: LimitArgs,
        /// E-mail for `mailto:` subscriptions.
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Run a live hub with simulated carriers on a fresh SQLite file, and open it.
    Demo {
        /// Where the demo's database goes (replaced at each start).
        #[arg(long, default_value = "sqlite://tracklane-data/demo.db")]
        db: String,
        /// HOST:PORT to listen on [default: 127.0.0.1:8080, or any free port
        /// on loopback when that one is taken].
        #[arg(long)]
        listen: Option<String>,
        /// Seed of the simulated world: the same seed gives the same world.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Shipments in the world.
        #[arg(long, default_value_t = 400)]
        shipments: usize,
        /// How much faster than real time the demo's clock runs.
        #[arg(long, default_value_t = 600.0)]
        speed: f64,
        /// Do not open a browser.
        #[arg(long)]
        no_open: bool,
    },
    /// Tracking numbers.
    Id {
        #[command(subcommand)]
        command: IdCommand,
    },
    /// Upload a CSV file of tracking numbers to a running hub; each bad row is
    /// named by its line and the good rows are kept. Exits 1 when any row was
    /// rejected.
    Import {
        /// The CSV file (`-` for stdin). Header: shipmentId,boxId,carrier,trackingNumber[,mode]
        /// (or 货件编号,箱号,承运商,追踪编码).
        file: String,
        /// The hub's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        hub: String,
        /// A seller (or operator) key; read from TRACKLANE_KEY when not given.
        #[arg(long, env = "TRACKLANE_KEY", hide_env_values = true)]
        key: String,
        /// Messages in Chinese.
        #[arg(long)]
        zh: bool,
        /// Print the hub's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Copy an SQLite store to a new file while the hub keeps running, and
    /// check the copy. (A PostgreSQL store is copied with pg_dump.)
    Backup {
        /// The store to copy: sqlite://PATH, as `serve` is given it.
        #[arg(long, default_value = hub::DEFAULT_DB)]
        db: String,
        /// The new file to write; an existing one is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of a stopped hub's store; the store it replaces
    /// is kept beside it.
    Restore {
        /// The store to replace: sqlite://PATH, as `serve` is given it.
        #[arg(long, default_value = hub::DEFAULT_DB)]
        db: String,
        /// The backup to restore, as `tracklane backup --to` wrote it.
        #[arg(long)]
        from: PathBuf,
        /// Replace the store even though a hub seems to hold it (one that
        /// crashed leaves its leases behind).
        #[arg(long)]
        force: bool,
    },
    /// Benchmarks through the real parts.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Simulate a world of inbound shipments, replay it through the real ingest,
    /// store and engine, and print the KPIs.
    Simulate {
        /// Seed of every random draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Shipments created in the measured period (plus 30 % warm-up).
        #[arg(long, default_value_t = 2_000)]
        shipments: usize,
        /// Days of the measured period.
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Also write the stream to this NDJSON file (docs/simulation-format.md).
        #[arg(long)]
        emit: Option<std::path::PathBuf>,
        /// One line of JSON instead of pretty JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a simulation stream (docs/simulation-format.md) through the real
    /// ingest, store and engine on a virtual clock.
    Replay {
        /// The NDJSON stream.
        file: std::path::PathBuf,
        /// Print JSON with every shipment's ETA, window, reroute and exception history.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum IdCommand {
    /// Validate tracking numbers (arguments, or one per line on stdin).
    Check {
        /// Print one JSON object per number.
        #[arg(long)]
        json: bool,
        /// The carrier the numbers should belong to, such as UPS.
        #[arg(long)]
        carrier: Option<String>,
        /// Explain in Chinese.
        #[arg(long)]
        zh: bool,
        /// Numbers to check.
        numbers: Vec<String>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue a key: `operator`, `seller:ID` or `carrier:CODE`. Printed once.
    New {
        #[arg(long, default_value = hub::DEFAULT_DB)]
        db: String,
        /// operator | seller:ID | carrier:CODE
        role: String,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// HTTP batches → durable commit → projection, against raw SQLite inserts.
    Ingest {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run the hub on this empty PostgreSQL database (`postgres://…`)
        /// instead of a SQLite file.
        #[arg(long)]
        db: Option<String>,
    },
    /// The "missing tracking" listing page over a large store.
    List(LargeStore),
    /// The start page (shipment progress) over a large store, against the JSON listing.
    Pages(LargeStore),
    /// Tracking-number checks per second on one core.
    Ids {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 5_000_000)]
        checks: usize,
    },
    /// `tracklane simulate` end to end: the world, the stream, the replay.
    Simulate {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = bench::SIMULATE_TARGET_SIZE.0)]
        shipments: usize,
        #[arg(long, default_value_t = bench::SIMULATE_TARGET_SIZE.1)]
        days: u32,
    },
    /// Engine passes over many shipments in flight: the first (reads them
    /// all) and later ones (read what changed), against passes that read
    /// every open shipment again.
    Engine {
        #[arg(long)]
        json: bool,
        /// Shipments in flight (a tenth as many finished ones come with them).
        #[arg(long, default_value_t = 20_000)]
        shipments: usize,
        /// Share of the shipments in flight given a new milestone before each
        /// pass, in percent.
        #[arg(long, default_value_t = 1.0)]
        changed_percent: f64,
        /// Passes timed of each kind after the first.
        #[arg(long, default_value_t = 10)]
        passes: usize,
        /// Clock minutes between passes (`serve` runs one a minute).
        #[arg(long, default_value_t = 1)]
        pass_gap_minutes: i64,
        /// Run on this empty PostgreSQL database (`postgres://…`) instead of
        /// a SQLite file.
        #[arg(long)]
        db: Option<String>,
    },
    /// Smart Reroute's optimiser on delayed shipments × warehouses.
    Reroute {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10_000)]
        shipments: usize,
        #[arg(long, default_value_t = 100)]
        warehouses: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// A carrier API's two credentials, when both are given; an error naming
/// the missing one when only one is.
fn both<'a>(
    api: &str,
    first: (&'a Option<String>, &str),
    second: (&'a Option<String>, &str),
) -> anyhow::Result<Option<(&'a String, &'a String)>> {
    match (first.0, second.0) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        (Some(_), None) => anyhow::bail!("{api} polling needs {} as well as {}", second.1, first.1),
        (None, Some(_)) => anyhow::bail!("{api} polling needs {} as well as {}", first.1, second.1),
    }
}

/// Polling the tracking APIs of carriers that do not push
/// (docs/pull-adapters.md).
#[derive(Args)]
struct PollArgs {
    /// A key for DHL's unified tracking API: the hub then polls the open
    /// tracking numbers of --dhl-carriers there (see docs/pull-adapters.md).
    #[arg(long, env = "TRACKLANE_DHL_API_KEY", hide_env_values = true)]
    dhl_api_key: Option<String>,
    /// Where DHL's API is.
    #[arg(long, env = "TRACKLANE_DHL_BASE_URL", default_value = tracklane_adapters::dhl::DEFAULT_BASE_URL)]
    dhl_base_url: String,
    /// The hub's carrier codes whose numbers DHL's API answers for.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "DHL,DHL_ECOMMERCE,DHL_PARCEL"
    )]
    dhl_carriers: Vec<String>,
    /// Seconds between two requests to DHL (its rate limit).
    #[arg(long, default_value_t = 5)]
    dhl_gap_seconds: u64,
    /// The client id of an app on developer.ups.com: with
    /// --ups-client-secret, the hub polls the open tracking numbers of
    /// --ups-carriers through UPS's Tracking API.
    #[arg(long, env = "TRACKLANE_UPS_CLIENT_ID")]
    ups_client_id: Option<String>,
    /// The app's client secret.
    #[arg(long, env = "TRACKLANE_UPS_CLIENT_SECRET", hide_env_values = true)]
    ups_client_secret: Option<String>,
    /// Where UPS's API is.
    #[arg(long, env = "TRACKLANE_UPS_BASE_URL", default_value = tracklane_adapters::ups::DEFAULT_BASE_URL)]
    ups_base_url: String,
    /// The hub's carrier codes whose numbers UPS's API answers for.
    #[arg(long, value_delimiter = ',', default_value = "UPS")]
    ups_carriers: Vec<String>,
    /// Seconds between two requests to UPS.
    #[arg(long, default_value_t = 1)]
    ups_gap_seconds: u64,
    /// The API key of a project on developer.fedex.com: with
    /// --fedex-secret-key, the hub polls the open tracking numbers of
    /// --fedex-carriers through FedEx's Track API.
    #[arg(long, env = "TRACKLANE_FEDEX_API_KEY", hide_env_values = true)]
    fedex_api_key: Option<String>,
    /// The project's secret key.
    #[arg(long, env = "TRACKLANE_FEDEX_SECRET_KEY", hide_env_values = true)]
    fedex_secret_key: Option<String>,
    /// Where FedEx's API is.
    #[arg(long, env = "TRACKLANE_FEDEX_BASE_URL", default_value = tracklane_adapters::fedex::DEFAULT_BASE_URL)]
    fedex_base_url: String,
    /// The hub's carrier codes whose numbers FedEx's API answers for.
    #[arg(long, value_delimiter = ',', default_value = "FEDEX")]
    fedex_carriers: Vec<String>,
    /// Seconds between two requests to FedEx.
    #[arg(long, default_value_t = 1)]
    fedex_gap_seconds: u64,
    /// The consumer key of an app on developer.usps.com: with
    /// --usps-client-secret, the hub polls the open tracking numbers of
    /// --usps-carriers through USPS's Tracking API.
    #[arg(long, env = "TRACKLANE_USPS_CLIENT_ID")]
    usps_client_id: Option<String>,
    /// The app's consumer secret.
    #[arg(long, env = "TRACKLANE_USPS_CLIENT_SECRET", hide_env_values = true)]
    usps_client_secret: Option<String>,
    /// Where USPS's API is.
    #[arg(long, env = "TRACKLANE_USPS_BASE_URL", default_value = tracklane_adapters::usps::DEFAULT_BASE_URL)]
    usps_base_url: String,
    /// The hub's carrier codes whose numbers USPS's API answers for.
    #[arg(long, value_delimiter = ',', default_value = "USPS")]
    usps_carriers: Vec<String>,
    /// Seconds between two requests to USPS.
    #[arg(long, default_value_t = 1)]
    usps_gap_seconds: u64,
    /// The key ("17token") of an account on api.17track.net: the hub then
    /// polls the open tracking numbers of --seventeen-track-carriers through
    /// 17TRACK's Tracking API, registering each with 17TRACK the first time
    /// (one unit of the account's quota per number).
    #[arg(long, env = "TRACKLANE_17TRACK_KEY", hide_env_values = true)]
    seventeen_track_key: Option<String>,
    /// Where 17TRACK's API is.
    #[arg(long, env = "TRACKLANE_17TRACK_BASE_URL", default_value = tracklane_adapters::seventeen_track::DEFAULT_BASE_URL)]
    seventeen_track_base_url: String,
    /// The hub's carrier codes whose numbers 17TRACK answers for: the
    /// Chinese lines that do not push (none of them polled through another
    /// carrier's API).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "YUNEXPRESS,YANWEN,4PX,CAINIAO,CHINA_POST,CHINA_EMS,SF"
    )]
    seventeen_track_carriers: Vec<String>,
    /// Seconds between two requests to 17TRACK. A request asks about up to
    /// 40 numbers; a batch with numbers seen for the first time takes a
    /// second request to register them (17TRACK allows about three a second).
    #[arg(long, default_value_t = 1)]
    seventeen_track_gap_seconds: u64,
    /// Minutes between two polling rounds.
    #[arg(long, default_value_t = 60)]
    poll_every_minutes: u64,
}

/// Request rate limits of `serve` (README.md, "Rate limits"): a token bucket
/// per API key for authenticated calls, and one per client address for the
/// routes anyone can reach. A carrier pushing 10 000 milestones a call stays
/// far below the per-key default.
#[derive(Args)]
struct LimitArgs {
    /// Requests a second each API key may make on average (0: no limit).
    #[arg(long, env = "TRACKLANE_LIMIT_KEY_PER_SECOND", default_value_t = 50)]
    limit_key_per_second: u32,
    /// Requests an API key may make at once before the rate applies.
    #[arg(long, env = "TRACKLANE_LIMIT_KEY_BURST", default_value_t = 200,
        value_parser = clap::value_parser!(u32).range(1..))]
    limit_key_burst: u32,
    /// Requests a second each client address may make on average to the
    /// public tracking page, the tracking-ID check, sign-in and the SP-API
    /// token exchange (0: no limit).
    #[arg(long, env = "TRACKLANE_LIMIT_IP_PER_SECOND", default_value_t = 10)]
    limit_ip_per_second: u32,
    /// Requests a client address may make at once before the rate applies.
    #[arg(long, env = "TRACKLANE_LIMIT_IP_BURST", default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..))]
    limit_ip_burst: u32,
    /// Networks of the reverse proxies in front of the hub, as
    /// `10.0.0.0/8` or a single address: from a peer there, the client's
    /// address is read from `X-Forwarded-For`. Without it, every client
    /// behind a proxy shares the proxy's per-address limit.
    #[arg(long, env = "TRACKLANE_TRUSTED_PROXY", value_delimiter = ',',
        value_parser = parse_network)]
    trusted_proxy: Vec<ipnet::IpNet>,
}

/// A network as `ADDRESS/PREFIX`, or one address.
fn parse_network(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            format!("`{text}` is neither a network like 10.0.0.0/8 or fd00::/8 nor an address")
        })
}

impl LimitArgs {
    fn rate_limits(&self) -> tracklane_server::RateLimits {
        tracklane_server::RateLimits::new(
            tracklane_server::Rate::per_second(self.limit_key_per_second, self.limit_key_burst),
            tracklane_server::Rate::per_second(self.limit_ip_per_second, self.limit_ip_burst),
        )
        .trusting_proxies(self.trusted_proxy.clone())
    }
}

/// E-mail of `serve` (docs/webhooks.md, "E-mail"): subscriptions to
/// `mailto:` addresses are told through this SMTP server.
#[derive(Args)]
struct MailArgs {
    /// The SMTP server for e-mail to mailto: subscriptions:
    /// smtps://user:password@smtp.example.com:465 (TLS), or
    /// smtp://user:password@smtp.example.com:587?tls=required (STARTTLS).
    /// Without it the hub sends no e-mail and refuses mailto: subscriptions.
    #[arg(long, env = "TRACKLANE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Who the e-mails come from: `name <address>` or an address. Most SMTP
    /// services accept only a sender they know.
    #[arg(long, env = "TRACKLANE_MAIL_FROM", default_value = mail::DEFAULT_FROM)]
    mail_from: String,
}

/// The options of a benchmark over a large generated store.
#[derive(Args)]
struct LargeStore {
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 1_000_000)]
    shipments: usize,
    #[arg(long, default_value_t = 200)]
    samples: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Writes `report` to stdout as it is serialised: a replay's report with every
/// shipment's history runs to hundreds of megabytes, which are never held
/// whole in memory.
fn print_report(json: bool, report: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer(&mut out, report)?;
    } else {
        serde_json::to_writer_pretty(&mut out, report)?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn parse_role(role: &str) -> anyhow::Result<Principal> {
    match role.split_once(':') {
        None if role == "operator" => Ok(Principal::Operator),
        Some(("seller", id)) => Ok(Principal::Seller(tracklane_core::SellerId::parse(id)?)),
        Some(("carrier", code)) => Ok(Principal::Carrier(tracklane_core::CarrierCode::parse(
            code,
        )?)),
        _ => anyhow::bail!("the role is `operator`, `seller:ID` or `carrier:CODE`, not `{role}`"),
    }
}

impl Command {
    /// Whether the command runs a batch job to its end rather than serving:
    /// it keeps the memory it frees (see `tracklane_alloc`).
    fn is_batch(&self) -> bool {
        matches!(
            self,
            Command::Simulate { .. } | Command::Replay { .. } | Command::Bench { .. }
        )
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.command.is_batch() {
        tracklane_alloc::keep_freed_memory();
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli.command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match command {
        Command::Serve {
            db,
            listen,
            public_url,
            poll,
            ca_file,
            limits,
            mail: mail_options,
        } => {
            let ups = both(
                "UPS",
                (&poll.ups_client_id, "--ups-client-id"),
                (&poll.ups_client_secret, "--ups-client-secret"),
            )?;
            let fedex = both(
                "FedEx",
                (&poll.fedex_api_key, "--fedex-api-key"),
                (&poll.fedex_secret_key, "--fedex-secret-key"),
            )?;
            let usps = both(
                "USPS",
                (&poll.usps_client_id, "--usps-client-id"),
                (&poll.usps_client_secret, "--usps-client-secret"),
            )?;
            let mailer = match &mail_options.smtp_url {
                Some(url) => Some(mail::Mailer::new(
                    url,
                    &mail_options.mail_from,
                    ca_file.as_deref(),
                )?),
                None => None,
            };
            let trust = match ca_file {
                Some(path) => outbound::Trust::with_pem_file(&path)?,
                None => outbound::Trust::default(),
            };
            let store = hub::open_store(&db).await?;
            let clock: Arc<dyn tracklane_server::Clock> = Arc::new(hub::SystemClock);
            let state = AppState::new(store.clone(), clock.clone(), hub::os_random)
                .with_secret_random(hub::os_random)
                .with_rate_limits(limits.rate_limits());
            let state = match &mailer {
                Some(mailer) => state.with_mail_from(mailer.from()),
                None => state,
            };
            let running = hub::start(state, &listen).await?;
            let holder = hub::process_name();
            let sender = webhooks::Sender::new(
                trust.client(),
                public_url.as_deref().unwrap_or(&running.url()),
            )?;
            tokio::spawn(engine_pass::run_forever(
                store,
                clock,
                ENGINE_PERIOD_SERVE,
                holder.clone(),
            ));
            tokio::spawn(webhooks::run_forever(
                running.state.clone(),
                match mailer {
                    Some(mailer) => sender.with_mailer(mailer),
                    None => sender,
                },
            ));
            let polling = pull::Polling {
                state: &running.state,
                every: std::time::Duration::from_secs(poll.poll_every_minutes.max(1) * 60),
                holder: &holder,
            };
            if let Some(key) = &poll.dhl_api_key {
                polling.start(
                    tracklane_adapters::dhl::Dhl::new(trust.client(), &poll.dhl_base_url, key)?,
                    ("--dhl-carriers", &poll.dhl_carriers),
                    poll.dhl_gap_seconds,
                )?;
            }
            if let Some((key, secret)) = fedex {
                polling.start(
                    tracklane_adapters::fedex::Fedex::new(
                        trust.client(),
                        &poll.fedex_base_url,
                        key,
                        secret,
                    )?,
                    ("--fedex-carriers", &poll.fedex_carriers),
                    poll.fedex_gap_seconds,
                )?;
            }
            if let Some((id, secret)) = usps {
                polling.start(
                    tracklane_adapters::usps::Usps::new(
                        trust.client(),
                        &poll.usps_base_url,
                        id,
                        secret,
                    )?,
                    ("--usps-carriers", &poll.usps_carriers),
                    poll.usps_gap_seconds,
                )?;
            }
            if let Some((id, secret)) = ups {
                polling.start(
                    tracklane_adapters::ups::Ups::new(
                        trust.client(),
                        &poll.ups_base_url,
                        id,
                        secret,
                    )?,
                    ("--ups-carriers", &poll.ups_carriers),
                    poll.ups_gap_seconds,
                )?;
            }
            if let Some(key) = &poll.seventeen_track_key {
                polling.start(
                    tracklane_adapters::seventeen_track::SeventeenTrack::new(
                        trust.client(),
                        &poll.seventeen_track_base_url,
                        key,
                    )?,
                    ("--seventeen-track-carriers", &poll.seventeen_track_carriers),
                    poll.seventeen_track_gap_seconds,
                )?;
            }
            eprintln!("tracklane is serving {db} at {}", running.url());
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
        }
        Command::Demo {
            db,
            listen,
            seed,
            shipments,
            speed,
            no_open,
        } => {
            // Claimed and bound before the old database goes: a second demo
            // in the same folder, or a taken port, stops here with the fix.
            let _claim = demo::claim(&db)?;
            let listener = demo::listener(listen.as_deref()).await?;
            if let Some(path) = db.strip_prefix("sqlite://") {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            #[allow(clippy::disallowed_methods)] // The demo starts from the real time.
            let now = jiff::Timestamp::now();
            let clock: Arc<dyn tracklane_server::Clock> = Arc::new(hub::FastClock::new(now, speed));
            eprintln!("building the demo world ({shipments} shipments, seed {seed})…");
            let (state, world, demo_keys) =
                demo::prepare(&db, seed, shipments, now, clock.clone()).await?;
            let running = hub::serve_on(state, listener)?;
            let link = demo::signin_link(&running, &demo_keys).await?;
            let inbox = demo::subscribe_inbox(&running, &demo_keys, clock.clone()).await?;
            let keys_json = serde_json::json!({
                "url": running.url(),
                "signinLink": link,
                "operator": demo_keys.operator,
                "sellers": demo_keys.sellers.iter().map(|(id, k)| serde_json::json!({"id": id, "key": k})).collect::<Vec<_>>(),
                "carriers": demo_keys.carriers.iter().map(|(c, k)| serde_json::json!({"code": c, "key": k})).collect::<Vec<_>>(),
            });
            std::fs::create_dir_all("tracklane-data").context("creating tracklane-data/")?;
            std::fs::write(
                "tracklane-data/demo-keys.json",
                serde_json::to_string_pretty(&keys_json)?,
            )
            .context("writing tracklane-data/demo-keys.json")?;
            println!(
                "{}",
                demo::banner(&running, &demo_keys, &world, &link, inbox.as_deref())
            );
            if !no_open {
                open_browser(&link);
            }
            tokio::spawn(engine_pass::run_forever(
                running.state.store.clone(),
                clock.clone(),
                ENGINE_PERIOD_DEMO,
                hub::process_name(),
            ));
            tokio::spawn(webhooks::run_forever(
                running.state.clone(),
                webhooks::Sender::new(outbound::Trust::default().client(), &running.url())?,
            ));
            let world = Arc::new(world);
            tokio::spawn(demo::run_carriers(
                running.url(),
                world,
                demo_keys,
                clock,
                now,
            ));
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
        }
        Command::Id {
            command:
                IdCommand::Check {
                    json,
                    carrier,
                    zh,
                    numbers,
                },
        } => {
            let invalid = idcheck::run(
                &numbers,
                carrier.as_deref(),
                json,
                zh,
                &mut std::io::stdout().lock(),
            )?;
            if invalid > 0 {
                std::process::exit(1);
            }
        }
        Command::Import {
            file,
            hub,
            key,
            zh,
            json,
        } => {
            let rejected =
                import::run(&file, &hub, &key, zh, json, &mut std::io::stdout().lock()).await?;
            if rejected > 0 {
                std::process::exit(1);
            }
        }
        Command::Key {
            command: KeyCommand::New { db, role },
        } => {
            let store = hub::open_store(&db).await?;
            let key = keys::issue(store.as_ref(), parse_role(&role)?, hub::os_random()).await?;
            println!("{key}");
        }
        Command::Backup { db, to } => {
            let started = std::time::Instant::now();
            let copy = backup::run(&db, &to)?;
            println!(
                "copied {db} to {}: {} shipments, {} milestones, {} bytes, in {:.1} s; checked",
                to.display(),
                copy.shipments,
                copy.milestones,
                copy.bytes,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Restore { db, from, force } => {
            let now = tracklane_server::Clock::now(&hub::SystemClock);
            let restored = backup::restore(&db, &from, now, force)?;
            println!(
                "restored {} to {db}: {} shipments, {} milestones; checked",
                from.display(),
                restored.copy.shipments,
                restored.copy.milestones
            );
            if let Some(previous) = restored.previous {
                println!("the store it replaced is kept at {}", previous.display());
            }
        }
        Command::Bench { command } => match command {
            BenchCommand::Ingest {
                json,
                events,
                batch,
                seed,
                db,
            } => print_report(
                json,
                &bench::ingest(events, batch, seed, db.as_deref()).await?,
            )?,
            BenchCommand::List(b) => {
                print_report(b.json, &bench::list(b.shipments, b.samples, b.seed).await?)?
            }
            BenchCommand::Pages(b) => {
                print_report(b.json, &bench::pages(b.shipments, b.samples, b.seed).await?)?
            }
            BenchCommand::Ids { json, checks } => print_report(json, &bench::ids(checks))?,
            BenchCommand::Simulate {
                json,
                seed,
                shipments,
                days,
            } => print_report(json, &bench::simulate(seed, shipments, days).await?)?,
            BenchCommand::Engine {
                json,
                shipments,
                changed_percent,
                passes,
                pass_gap_minutes,
                db,
            } => print_report(
                json,
                &bench::engine(
                    shipments,
                    changed_percent,
                    passes,
                    pass_gap_minutes,
                    db.as_deref(),
                )
                .await?,
            )?,
            BenchCommand::Reroute {
                json,
                shipments,
                warehouses,
                seed,
            } => print_report(json, &bench::reroute(shipments, warehouses, seed))?,
        },
        Command::Simulate {
            seed,
            shipments,
            days,
            emit,
            json,
        } => {
            let config = tracklane_sim::simulation::SimConfig {
                seed,
                shipments,
                days,
            };
            let (report, timings) =
                simulate::run(config, emit.as_deref(), replay::ReplayOptions::default()).await?;
            eprintln!(
                "simulate: generate {:.1} s, write and replay {:.1} s",
                timings.generate_seconds, timings.replay_seconds
            );
            print_report(json, &report)?;
        }
        Command::Replay { file, json } => {
            let started = std::time::Instant::now();
            let report = replay::replay_file(
                &file,
                replay::ReplayOptions {
                    with_shipments: json,
                },
            )
            .await?;
            eprintln!("replay: {:.1} s", started.elapsed().as_secs_f64());
            print_report(json, &report)?;
        }
    }
    Ok(())
}

/// Opens `url` in the desktop's browser when there is one; says so when not.
fn open_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        if std::process::Command::new(opener)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
        {
            return;
        }
    }
    eprintln!("(no browser found to open; visit {url})");
}
