//! Request rate limits over real HTTP: a key over its limit, an address over
//! its limit on the public routes, what the refused caller reads, that a
//! refused request stores nothing, and the count in `/metrics`.
//!
//! The limits here refill one request an hour, so which requests pass
//! depends on the burst alone, never on how fast the machine is.

use reqwest::Response;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use tracklane_server::{Rate, RateLimits};
use tracklane_store::ShipmentKey;

use crate::support::{TestHub, UPS, milestone, shipment};

/// One request an hour, `burst` at once.
fn hourly(burst: u32) -> Option<Rate> {
    Rate::new(1, 3600, burst)
}

/// A hub with these limits per key and per address.
async fn hub_with(per_key: Option<Rate>, per_ip: Option<Rate>) -> TestHub {
    TestHub::start_with(|state| state.with_rate_limits(RateLimits::new(per_key, per_ip))).await
}

/// `Retry-After` in seconds; panics when it is missing or not whole seconds.
fn retry_after_s(response: &Response) -> u64 {
    let value = response
        .headers()
        .get(RETRY_AFTER)
        .expect("a 429 says when to retry");
    value.to_str().unwrap().parse().unwrap()
}

/// The first problem of an error body.
async fn problem(response: Response) -> Value {
    let body: Value = response.json().await.unwrap();
    body["errors"][0].clone()
}

async fn get(hub: &TestHub, key: &str, path: &str) -> Response {
    hub.client
        .get(hub.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn get_anonymous(hub: &TestHub, path: &str) -> Response {
    hub.client.get(hub.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_key_over_its_limit_is_refused_and_other_keys_are_not() {
    let hub = hub_with(hourly(3), None).await;
    let mut statuses = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..5 {
        let r = get(&hub, &hub.seller_a, "/api/v1/shipments").await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refused.push(r);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    for r in refused {
        let wait = retry_after_s(&r);
        assert!((1..=3600).contains(&wait), "Retry-After: {wait}");
        let p = problem(r).await;
        assert_eq!(p["code"], "rate_limit.key");
        assert_eq!(p["field"], "Authorization");
        let message = p["message"].as_str().unwrap();
        assert!(
            message.starts_with("too many requests from this key: at most 1 every 3600 s, in bursts of up to 3; retry after"),
            "{message}"
        );
    }
    let r = get(&hub, &hub.seller_a, "/api/v1/shipments?lang=zh").await;
    assert_eq!(r.status(), 429);
    let message = problem(r).await["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("此密钥的请求过多"), "{message}");

    let r = get(&hub, &hub.seller_b, "/api/v1/shipments").await;
    assert_eq!(r.status(), 200, "seller B has a bucket of its own");
    let r = get_anonymous(&hub, "/track").await;
    assert_eq!(r.status(), 200, "the per-address limit is off");
}

#[tokio::test]
async fn a_refused_push_stores_nothing() {
    let hub = hub_with(hourly(3), None).await;
    let s = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    let mut statuses = Vec::new();
    for (day, code) in [(1, "PICKED_UP"), (2, "DEPARTED"), (3, "ARRIVED")] {
        let at = format!("2026-03-0{day}T08:00:00Z");
        let (status, _) = hub
            .send(
                reqwest::Method::POST,
                &hub.carrier_x,
                "/api/v1/carrier/milestones",
                serde_json::json!({ "milestones": [milestone(UPS[0], code, &at)] }),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [200, 200, 429],
        "the upload took the first request"
    );
    let detail = hub
        .store()
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.timelines[0].len(),
        2,
        "only the two accepted pushes are stored"
    );
}

#[tokio::test]
async fn the_public_routes_are_limited_per_address() {
    let hub = hub_with(None, hourly(3)).await;
    let page = format!("/track/{}", UPS[0]);
    let mut statuses = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..5 {
        let r = get_anonymous(&hub, &page).await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refused.push(r);
        }
    }
    assert_eq!(statuses[3..], [429, 429], "{statuses:?}");
    assert!(statuses[..3].iter().all(|s| *s != 429), "{statuses:?}");

    for r in refused {
        assert!((1..=3600).contains(&retry_after_s(&r)));
        let content_type = r.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Too many requests from your address: at most 1 every 3600 s, in bursts of up to 3. Wait"),
            "{html}"
        );
    }
    let r = get_anonymous(&hub, "/track?lang=zh").await;
    assert_eq!(r.status(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("您的地址请求过多：每 3600 秒最多 1 次，连续最多 3 次。")
    );

    // The as-you-type check and the token exchange share the address's
    // bucket, and answer in the API's error shape.
    let r = get_anonymous(&hub, &format!("/check/tracking?number={}", UPS[0])).await;
    assert_eq!(r.status(), 429);
    assert!(retry_after_s(&r) >= 1);
    let p = problem(r).await;
    assert_eq!(p["code"], "rate_limit.ip");
    let r = hub.token_exchange(&hub.seller_a).await;
    assert_eq!(r.status(), 429);
    assert_eq!(problem(r).await["code"], "rate_limit.ip");

    // Calls with a key are not paced by address.
    let r = get(&hub, &hub.seller_a, "/api/v1/shipments").await;
    assert_eq!(r.status(), 200);
}

/// Which of `n` anonymous tracking-page requests that say they come through
/// a proxy from `forwarded_for` were refused.
async fn track_as(hub: &TestHub, forwarded_for: &str, n: usize) -> Vec<bool> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        let r = hub
            .client
            .get(hub.url(&format!("/track/{}", UPS[0])))
            .header("X-Forwarded-For", forwarded_for)
            .send()
            .await
            .unwrap();
        statuses.push(r.status() == 429);
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    let loopback = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
    let hub = TestHub::start_with(|state| {
        state.with_rate_limits(RateLimits::new(None, hourly(2)).trusting_proxies(loopback))
    })
    .await;
    assert_eq!(track_as(&hub, "203.0.113.7", 3).await, [false, false, true]);
    assert_eq!(
        track_as(&hub, "198.51.100.9", 2).await,
        [false, false],
        "another client behind the same proxy"
    );
    // A client that forges hops left of the proxy's entry is still itself.
    assert_eq!(
        track_as(&hub, "192.0.2.1, 203.0.113.7", 1).await,
        [true],
        "the forged 192.0.2.1 is not read"
    );
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_bucket() {
    let hub = hub_with(None, hourly(2)).await;
    assert_eq!(track_as(&hub, "203.0.113.7", 2).await, [false, false]);
    assert_eq!(
        track_as(&hub, "198.51.100.9", 1).await,
        [true],
        "X-Forwarded-For is not read from a peer that is not a trusted proxy"
    );
}

#[tokio::test]
async fn credentials_that_name_nobody_are_limited_per_address() {
    let hub = hub_with(hourly(100), hourly(2)).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = get(&hub, "not-a-key", "/api/v1/shipments").await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    let r = get(&hub, &hub.seller_a, "/api/v1/shipments").await;
    assert_eq!(r.status(), 200, "a known key takes from its own bucket");
}

#[tokio::test]
async fn sp_api_access_tokens_share_their_principal_s_bucket() {
    let hub = hub_with(hourly(2), None).await;
    let token = |r: Value| r["access_token"].as_str().unwrap().to_owned();
    let first = token(
        hub.token_exchange(&hub.seller_a)
            .await
            .json()
            .await
            .unwrap(),
    );
    let second = token(
        hub.token_exchange(&hub.seller_a)
            .await
            .json()
            .await
            .unwrap(),
    );
    let path = "/inbound/fba/2024-03-20/inboundPlans/wfnone/shipments/shnone";
    let call = |token: String| {
        let request = hub
            .client
            .get(hub.url(path))
            .header("x-amz-access-token", token);
        async move { request.send().await.unwrap() }
    };
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(call(first.clone()).await.status().as_u16());
    }
    assert!(statuses.iter().all(|s| *s != 429), "{statuses:?}");
    let r = call(second).await;
    assert_eq!(r.status(), 429, "a new token does not bring a new bucket");
    assert!(retry_after_s(&r) >= 1);
    assert_eq!(problem(r).await["field"], "x-amz-access-token");
}

#[tokio::test]
async fn metrics_count_refusals_by_scope() {
    let hub = hub_with(hourly(1), hourly(1)).await;
    for _ in 0..3 {
        get(&hub, &hub.seller_a, "/api/v1/shipments").await;
    }
    for _ in 0..2 {
        get_anonymous(&hub, "/track").await;
    }
    let metrics = hub.metrics().await;
    assert!(
        metrics.contains("tracklane_requests_limited_total{scope=\"key\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tracklane_requests_limited_total{scope=\"ip\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn without_limits_nothing_is_refused() {
    let hub = TestHub::start().await;
    for _ in 0..70 {
        let r = get_anonymous(&hub, &format!("/check/tracking?number={}", UPS[0])).await;
        assert_eq!(r.status(), 200);
    }
    assert!(
        hub.metrics()
            .await
            .contains("tracklane_requests_limited_total{scope=\"ip\"} 0\n")
    );
}
