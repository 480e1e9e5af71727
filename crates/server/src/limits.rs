//! Request rate limits, so that one misbehaving client (a carrier integration
//! stuck in a retry loop, a scraper on the public tracking page) cannot take
//! the hub from everyone else.
//!
//! Two tables of token buckets, each a keyed GCRA from the `governor` crate:
//! - **per key**: every call that authenticates with an API key
//!   (`Authorization: Bearer`) takes from the bucket of that key, named by its
//!   stored SHA-256 hash, never the key itself. A call with an SP-API access
//!   token takes from the bucket of the principal the token was issued to:
//!   the token table does not remember which of the principal's keys was
//!   traded for it. A credential that authenticates as nobody takes from the
//!   bucket of the caller's address instead, so guessing keys is limited too.
//! - **per address**: the routes anyone can reach (the public tracking page
//!   `/track` and `/track/{number}`, the as-you-type check `/check/tracking`,
//!   `POST /signin`, the sign-in link `/signin/link` and the SP-API token
//!   exchange `POST /auth/o2/token`) take from the bucket of the client's IP
//!   address. That is the TCP peer's address (`ConnectInfo`), unless the peer
//!   is one of the operator's trusted proxies (`--trusted-proxy`): then it is
//!   read from `X-Forwarded-For`, right to left, skipping the trusted hops
//!   (see [`client_address`]). IPv6 addresses are taken by their /64, which
//!   one host usually holds whole.
//!
//! Pages behind a session (the seller's console) are left out: a session is
//! made by signing in with a key, which the per-address limit already paces.
//!
//! [`enforce`] runs before any handler, so a refused request has read no body
//! and stored nothing: it is answered 429 with `Retry-After` and the API's
//! error body, or a short page for the HTML routes.
//!
//! The buckets run on the monotonic clock, not the server's injected
//! [`crate::Clock`]: a limit paces real CPU seconds, and the demo's clock runs
//! hundreds of times faster than real time.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as GcraClock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;
use tracklane_store::Principal;

use crate::AppState;
use crate::auth::{self, Authenticated, Credential};
use crate::error::{ApiError, Lang, limit_text};

/// Buckets one table keeps at most (about 100 bytes each). Beyond it, new
/// callers share one overflow bucket until idle buckets are pruned: under a
/// flood from more sources than this, the public routes slow down for new
/// callers instead of the table growing without bound.
const BUCKETS_MAX: usize = 100_000;

/// Checks of one table between two prunings of its idle buckets (those that
/// have refilled completely, so they are no different from a fresh one). A
/// pruning walks the whole table, so this spreads its cost over the checks.
const PRUNE_EVERY_CHECKS: u64 = 4_096;

/// One limit: `burst` requests at once, refilled at `requests` every
/// `per_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    requests: NonZeroU32,
    per_seconds: NonZeroU32,
    burst: NonZeroU32,
}

impl Rate {
    /// `requests` a second in bursts of up to `burst` (at least 1); `None`,
    /// meaning no limit, when `requests` is 0.
    pub fn per_second(requests: u32, burst: u32) -> Option<Rate> {
        Rate::new(requests, 1, burst)
    }

    /// `requests` every `per_seconds` in bursts of up to `burst` (at least
    /// 1); `None`, meaning no limit, when `requests` or `per_seconds` is 0 or
    /// the rate is beyond a billion a second.
    pub fn new(requests: u32, per_seconds: u32, burst: u32) -> Option<Rate> {
        let rate = Rate {
            requests: NonZeroU32::new(requests)?,
            per_seconds: NonZeroU32::new(per_seconds)?,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        };
        rate.quota().map(|_| rate)
    }

    /// The limit as `governor` takes it: one request's worth of refill every
    /// `per_seconds / requests`.
    fn quota(&self) -> Option<Quota> {
        let interval = Duration::from_secs(u64::from(self.per_seconds.get())) / self.requests.get();
        Quota::with_period(interval).map(|q| q.allow_burst(self.burst))
    }

    /// The figures a refusal quotes: (requests, per seconds, burst).
    pub(crate) fn figures(&self) -> (u32, u32, u32) {
        (
            self.requests.get(),
            self.per_seconds.get(),
            self.burst.get(),
        )
    }
}

/// Which table a refusal came from, as `/metrics` labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The per-key table.
    Key,
    /// The per-address table.
    Ip,
}

impl Scope {
    /// The `scope` label of `tracklane_requests_limited_total`.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Key => "key",
            Scope::Ip => "ip",
        }
    }
}

/// Whose bucket an authenticated request takes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Holder {
    /// An API key, by its stored hash.
    Key(String),
    /// The principal an SP-API access token was issued to.
    Principal(String),
}

impl Holder {
    fn principal(principal: &Principal) -> Holder {
        Holder::Principal(principal.audit_name())
    }
}

/// A governor limiter over `Option<K>`: `None` is the overflow bucket.
type Limiter<K, C> = RateLimiter<
    Option<K>,
    DefaultKeyedStateStore<Option<K>>,
    C,
    NoOpMiddleware<<C as GcraClock>::Instant>,
>;

/// One table of buckets with its limit, bounded to `buckets_max` entries.
struct Table<K: Hash + Eq + Clone, C: GcraClock = MonotonicClock> {
    rate: Rate,
    limiter: Limiter<K, C>,
    buckets_max: usize,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone, C: GcraClock> Table<K, C> {
    fn new(rate: Rate, clock: C, buckets_max: usize) -> Self {
        // `Rate::new` only makes rates that have a quota.
        let quota = rate.quota().expect("a Rate always has a quota");
        Self {
            rate,
            limiter: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock),
            buckets_max,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `key`'s bucket: `Err` with the wait until its
    /// next request would pass when the bucket is empty.
    fn check(&self, key: K) -> Result<(), Duration> {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks.is_multiple_of(PRUNE_EVERY_CHECKS) {
            self.prune();
        }
        // A caller already in a full table lands in the overflow bucket too:
        // governor cannot say whether a key is present without adding it.
        let key = (self.limiter.len() < self.buckets_max).then_some(key);
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Drops the buckets that have refilled completely, and gives back the
    /// memory when that emptied most of the table.
    fn prune(&self) {
        let before = self.limiter.len();
        self.limiter.retain_recent();
        let after = self.limiter.len();
        if after < before / 2 {
            self.limiter.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.limiter.len()
    }
}

/// The hub's rate limits: per API key and per client address, each off
/// unless given. See the module documentation for who takes from which.
pub struct RateLimits {
    per_key: Option<Table<Holder>>,
    per_ip: Option<Table<IpAddr>>,
    /// The networks of the reverse proxies whose `X-Forwarded-For` is
    /// believed.
    trusted_proxies: Vec<IpNet>,
    /// Whether the missing client address has been logged.
    warned_no_address: AtomicBool,
}

impl RateLimits {
    /// No limits: what [`AppState::new`] starts with.
    pub fn off() -> Self {
        Self::new(None, None)
    }

    /// Limits per key and per address; `None` leaves that one off.
    pub fn new(per_key: Option<Rate>, per_ip: Option<Rate>) -> Self {
        Self {
            per_key: per_key.map(|r| Table::new(r, MonotonicClock, BUCKETS_MAX)),
            per_ip: per_ip.map(|r| Table::new(r, MonotonicClock, BUCKETS_MAX)),
            trusted_proxies: Vec::new(),
            warned_no_address: AtomicBool::new(false),
        }
    }

    /// Believes `X-Forwarded-For` from peers in these networks: the hub runs
    /// behind reverse proxies there. Without it, every client of a proxy
    /// would share the proxy's bucket.
    pub fn trusting_proxies(mut self, networks: Vec<IpNet>) -> Self {
        self.trusted_proxies = networks;
        self
    }

    /// Takes one request from the bucket of the request's client address.
    fn check_address(&self, parts: &Parts) -> Result<(), (Scope, Rate, Duration)> {
        let Some(table) = &self.per_ip else {
            return Ok(());
        };
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            if !self.warned_no_address.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the per-address rate limit is off: the server was not started with connect info"
                );
            }
            return Ok(());
        };
        let forwarded = parts
            .headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = client_address(peer.ip(), forwarded, &self.trusted_proxies);
        table
            .check(address_bucket(client))
            .map_err(|wait| (Scope::Ip, table.rate, wait))
    }
}

/// The header reverse proxies append the address they were called from to.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The address of the client behind `peer`: `peer` itself unless it is a
/// trusted proxy. Then the hops of `X-Forwarded-For` (each header value a
/// comma-separated list, the nearest hop last) are read from the right, and
/// the first one that is not a trusted proxy is the client. Everything to
/// its left was written by the client and may be forged, so it is never
/// read. An entry that is not an address stops the walk at the last trusted
/// hop, and so does the end of the list: the client cannot be placed further
/// than the proxies vouch for.
fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| {
        let ip = ip.to_canonical();
        trusted.iter().any(|net| net.contains(&ip))
    };
    let mut client = peer;
    let hops = forwarded.rev().flat_map(|value| value.rsplit(','));
    for hop in hops {
        if !is_trusted(client) {
            break;
        }
        match forwarded_address(hop) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` entry as an address: `203.0.113.7`, `2001:db8::1`,
/// or with a port as some proxies write it (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`).
fn forwarded_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The bucket of a client address: IPv4 addresses whole, IPv6 addresses by
/// their /64 (one host usually has all of it), an IPv4 address mapped into
/// IPv6 as the IPv4 address.
fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// How a route anyone can reach answers: a page or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PublicRoute {
    Page,
    Json,
}

/// Whether `path` is one of the routes limited per address, and how it
/// answers.
fn public_route(method: &Method, path: &str) -> Option<PublicRoute> {
    match path {
        "/track" => Some(PublicRoute::Page),
        p if p.starts_with("/track/") => Some(PublicRoute::Page),
        "/signin" if method == Method::POST => Some(PublicRoute::Page),
        "/signin/link" => Some(PublicRoute::Page),
        "/check/tracking" | "/auth/o2/token" => Some(PublicRoute::Json),
        _ => None,
    }
}

/// The middleware: takes one request from the caller's bucket, or answers
/// 429 without running the handler.
pub(crate) async fn enforce(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &state.limits;
    if limits.per_key.is_none() && limits.per_ip.is_none() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let verdict = match public_route(&parts.method, parts.uri.path()) {
        Some(route) => limits
            .check_address(&parts)
            .map_err(|refused| (refused, route)),
        None => check_caller(&state, &mut parts)
            .await
            .map_err(|refused| (refused, PublicRoute::Json)),
    };
    match verdict {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(((scope, rate, wait), route)) => {
            let counter = match scope {
                Scope::Key => &state.metrics.requests_limited_key,
                Scope::Ip => &state.metrics.requests_limited_ip,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let retry_after_s = whole_seconds_up(wait);
            tracing::debug!(
                scope = scope.label(),
                retry_after_s,
                "refused a request over its rate limit"
            );
            refusal(&parts, scope, rate, retry_after_s, route)
        }
    }
}

/// Takes one request from the bucket of the key the request authenticates
/// with; leaves the principal in the request for [`auth::Caller`], so the key
/// is looked up once. A request without a credential passes: it is refused
/// 401 at no cost to the store.
async fn check_caller(state: &AppState, parts: &mut Parts) -> Result<(), (Scope, Rate, Duration)> {
    let limits = &state.limits;
    let Some(table) = &limits.per_key else {
        return Ok(());
    };
    let found = match auth::credential(&parts.headers) {
        None => return Ok(()),
        Some(Credential::AccessToken(token)) => state
            .tokens
            .get(token, state.clock.now())
            .map(|principal| (Holder::principal(&principal), principal)),
        Some(Credential::Key(key)) => {
            let hash = auth::hash_key(key);
            match state.store.principal(&hash).await {
                Ok(principal) => principal.map(|p| (Holder::Key(hash), p)),
                // The handler's own lookup reports the store's trouble.
                Err(_) => return Ok(()),
            }
        }
    };
    match found {
        Some((holder, principal)) => {
            parts.extensions.insert(Authenticated(principal));
            table
                .check(holder)
                .map_err(|wait| (Scope::Key, table.rate, wait))
        }
        // Whoever sends credentials that name nobody is paced by address.
        None => limits.check_address(parts),
    }
}

/// `wait` in whole seconds, rounded up, at least 1: what `Retry-After` says.
fn whole_seconds_up(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

/// The 429 answer: the API's error body, or a page for the HTML routes; with
/// `Retry-After` either way.
fn refusal(
    parts: &Parts,
    scope: Scope,
    rate: Rate,
    retry_after_s: u64,
    route: PublicRoute,
) -> Response {
    let lang = Lang::pick(
        parts.uri.query(),
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let error = match scope {
        Scope::Key => {
            let field = if parts.headers.contains_key("x-amz-access-token") {
                "x-amz-access-token"
            } else {
                "Authorization"
            };
            ApiError::too_many_requests_from_key(lang, field, rate.figures(), retry_after_s)
        }
        Scope::Ip => ApiError::too_many_requests_from_address(lang, rate.figures(), retry_after_s),
    };
    let mut response = match route {
        PublicRoute::Json => error.into_response(),
        // Only the per-address routes answer pages.
        PublicRoute::Page => {
            let (limit_en, limit_zh) = limit_text(rate.figures());
            crate::pages::PageError::new(
                StatusCode::TOO_MANY_REQUESTS,
                crate::pages::page_lang(parts),
                format!(
                    "Too many requests from your address: {limit_en}. Wait {retry_after_s} s and try again."
                ),
                format!("您的地址请求过多：{limit_zh}。请等待 {retry_after_s} 秒后再试。"),
            )
            .into_response()
        }
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    response
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    /// A table of `rate` on a clock that moves only when told.
    fn table(
        rate: Rate,
        buckets_max: usize,
    ) -> (Table<&'static str, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (Table::new(rate, clock.clone(), buckets_max), clock)
    }

    /// Fires `n` requests at `key` at once: which passed (`None`) and which
    /// were refused with how many seconds to wait.
    fn fire(
        table: &Table<&'static str, FakeRelativeClock>,
        key: &'static str,
        n: usize,
    ) -> Vec<Option<u64>> {
        (0..n)
            .map(|_| table.check(key).err().map(whole_seconds_up))
            .collect()
    }

    #[test]
    fn a_burst_passes_then_the_bucket_refuses_with_the_wait() {
        let (t, _) = table(Rate::per_second(1, 3).unwrap(), 100);
        assert_eq!(fire(&t, "a", 5), [None, None, None, Some(1), Some(1)]);
        let (t, _) = table(Rate::new(1, 3600, 2).unwrap(), 100);
        assert_eq!(fire(&t, "a", 3), [None, None, Some(3600)]);
    }

    #[test]
    fn the_bucket_refills_at_the_rate() {
        let (t, clock) = table(Rate::per_second(2, 2).unwrap(), 100);
        assert_eq!(fire(&t, "a", 3), [None, None, Some(1)]);
        clock.advance(Duration::from_millis(500));
        assert_eq!(fire(&t, "a", 2), [None, Some(1)]);
        clock.advance(Duration::from_secs(10));
        assert_eq!(fire(&t, "a", 3), [None, None, Some(1)]);
    }

    #[test]
    fn keys_have_buckets_of_their_own() {
        let (t, _) = table(Rate::per_second(1, 2).unwrap(), 100);
        assert_eq!(fire(&t, "a", 3), [None, None, Some(1)]);
        assert_eq!(fire(&t, "b", 2), [None, None]);
    }

    #[test]
    fn pruning_drops_only_refilled_buckets() {
        let (t, clock) = table(Rate::per_second(1, 2).unwrap(), 100);
        fire(&t, "a", 2);
        clock.advance(Duration::from_secs(5));
        fire(&t, "b", 2);
        assert_eq!(t.len(), 2);
        t.prune();
        assert_eq!(t.len(), 1, "a has refilled, b has not");
        assert_eq!(fire(&t, "b", 1), [Some(1)], "b keeps its state");
    }

    #[test]
    fn pruning_comes_with_the_checks() {
        let (t, clock) = table(Rate::per_second(1, 1).unwrap(), usize::MAX);
        fire(&t, "a", 1);
        clock.advance(Duration::from_secs(5));
        for _ in 1..PRUNE_EVERY_CHECKS {
            let _ = t.check("b");
        }
        assert_eq!(
            t.len(),
            1,
            "a was pruned on the {PRUNE_EVERY_CHECKS}th check"
        );
    }

    #[test]
    fn a_full_table_sends_new_callers_to_one_overflow_bucket() {
        let (t, _) = table(Rate::per_second(1, 2).unwrap(), 2);
        fire(&t, "a", 1);
        fire(&t, "b", 1);
        // Two more callers share the overflow bucket's burst of 2.
        assert_eq!(fire(&t, "c", 1), [None]);
        assert_eq!(fire(&t, "d", 2), [None, Some(1)]);
        assert_eq!(t.len(), 3, "the table holds a, b and the overflow bucket");
    }

    #[test]
    fn rates_of_zero_are_no_limit() {
        assert_eq!(Rate::per_second(0, 10), None);
        assert_eq!(Rate::new(5, 0, 10), None);
        assert_eq!(
            Rate::per_second(5, 0).map(|r| r.figures()),
            Some((5, 1, 1)),
            "a burst of at least 1"
        );
        assert_eq!(
            Rate::per_second(50, 200).map(|r| r.figures()),
            Some((50, 1, 200))
        );
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        let check = |wait_ms: u64, seconds: u64| {
            assert_eq!(
                whole_seconds_up(Duration::from_millis(wait_ms)),
                seconds,
                "{wait_ms} ms"
            );
        };
        check(0, 1);
        check(1, 1);
        check(1_000, 1);
        check(1_001, 2);
        check(59_999, 60);
    }

    #[test]
    fn addresses_group_by_host() {
        let check = |ip: &str, bucket: &str| {
            assert_eq!(
                address_bucket(ip.parse().unwrap()),
                bucket.parse::<IpAddr>().unwrap(),
                "{ip}"
            );
        };
        check("203.0.113.7", "203.0.113.7");
        check("::ffff:203.0.113.7", "203.0.113.7");
        check("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::");
        check("2001:db8:1:2::1", "2001:db8:1:2::");
        check("::1", "::");
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
            "2001:db8:ffff::/48".parse().unwrap(),
        ];
        let check = |peer: &str, headers: &[&str], client: &str| {
            assert_eq!(
                client_address(peer.parse().unwrap(), headers.iter().copied(), &trusted),
                client.parse::<IpAddr>().unwrap(),
                "peer {peer}, X-Forwarded-For {headers:?}"
            );
        };
        // An untrusted peer is the client, whatever it says.
        check("203.0.113.7", &["198.51.100.1"], "203.0.113.7");
        // A trusted peer with nothing to say is the client.
        check("127.0.0.1", &[], "127.0.0.1");
        // One proxy.
        check("127.0.0.1", &["203.0.113.7"], "203.0.113.7");
        // The client's own forged entries, left of the proxy's, are not read.
        check("127.0.0.1", &["1.2.3.4, 203.0.113.7"], "203.0.113.7");
        // Two proxies, in one header or in two.
        check(
            "127.0.0.1",
            &["1.2.3.4, 203.0.113.7, 10.1.2.3"],
            "203.0.113.7",
        );
        check(
            "127.0.0.1",
            &["1.2.3.4, 203.0.113.7", "10.1.2.3"],
            "203.0.113.7",
        );
        // Ports and IPv6, as some proxies write them; IPv4 mapped into IPv6.
        check("127.0.0.1", &["203.0.113.7:4711"], "203.0.113.7");
        check("::ffff:10.0.0.1", &["[2001:db8::1]:4711"], "2001:db8::1");
        check("2001:db8:ffff::5", &["2001:db8::1"], "2001:db8::1");
        // What is not an address stops the walk at the last trusted hop.
        check("127.0.0.1", &["203.0.113.7, unknown"], "127.0.0.1");
        check("127.0.0.1", &["203.0.113.7, garbage, 10.0.0.9"], "10.0.0.9");
        // Every hop trusted: the client is the furthest one.
        check("127.0.0.1", &["10.0.0.2, 10.0.0.1"], "10.0.0.2");
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_address(peer, ["203.0.113.7"].into_iter(), &[]), peer);
    }

    #[test]
    fn the_public_routes_are_limited_by_address() {
        let check = |method: Method, path: &str, expected: Option<PublicRoute>| {
            assert_eq!(public_route(&method, path), expected, "{method} {path}");
        };
        check(Method::GET, "/track", Some(PublicRoute::Page));
        check(
            Method::GET,
            "/track/1Z999AA10123456784",
            Some(PublicRoute::Page),
        );
        check(Method::GET, "/check/tracking", Some(PublicRoute::Json));
        check(Method::POST, "/signin", Some(PublicRoute::Page));
        check(Method::GET, "/signin", None);
        check(Method::GET, "/signin/link", Some(PublicRoute::Page));
        check(Method::POST, "/auth/o2/token", Some(PublicRoute::Json));
        check(Method::GET, "/tracking/2026-01-30/shipments/track", None);
        check(Method::GET, "/trackers", None);
        check(Method::GET, "/api/v1/shipments", None);
        check(Method::GET, "/", None);
    }
}
