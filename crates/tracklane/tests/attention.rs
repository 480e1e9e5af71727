//! What needs a person: `GET /api/v1/shipments/attention` counts, per viewer,
//! the shipments missing tracking and those with open exceptions of each kind,
//! and `exceptionKind` lists (and exports) exactly the shipments counted.

use reqwest::Method;
use serde_json::{Value, json};
use tracklane_core::Shipment;
use tracklane_store::ExceptionDraft;

use crate::support::{TestHub, UPS, estimated, now, shipment};
use crate::webhooks::problem;

/// An open exception of `kind`, as an engine pass would draft it.
pub(crate) fn exception(kind: &str) -> ExceptionDraft {
    ExceptionDraft {
        kind: kind.into(),
        severity: "high".into(),
        since: now(),
        evidence: "test".into(),
        next_step_en: "Look".into(),
        next_step_zh: "查看".into(),
    }
}

/// Stores a verdict with these open exceptions for `shipment`.
pub(crate) async fn verdict(hub: &TestHub, shipment: &Shipment, kinds: &[&str]) {
    let mut assessment = estimated(shipment, ["2026-03-20", "2026-03-24", "2026-03-28"]);
    assessment.exceptions = kinds.iter().map(|k| exception(k)).collect();
    hub.store()
        .put_assessments(vec![assessment], now())
        .await
        .unwrap();
}

async fn attention(hub: &TestHub, key: &str) -> Value {
    let (status, body) = hub
        .send(Method::GET, key, "/api/v1/shipments/attention", json!(null))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The confirmation ids a listing returns, sorted.
async fn listed(hub: &TestHub, key: &str, query: &str) -> Vec<String> {
    let (status, body) = hub
        .send(
            Method::GET,
            key,
            &format!("/api/v1/shipments?{query}"),
            json!(null),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = body["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["confirmationId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn what_needs_attention_is_counted_per_viewer_and_listed_by_kind() {
    let hub = TestHub::start().await;
    // Seller A: one shipment without tracking, two tracked by carrier X.
    let untracked = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let held = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let late = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &held, &[UPS[0]]).await;
    hub.upload(&hub.carrier_x, &late, &[UPS[1]]).await;
    // Seller B: one tracked by carrier Y, gone quiet.
    let quiet = hub
        .create(shipment(4, "A1SELLERB", Some("CARRIER_Y"), 1))
        .await;
    hub.upload(&hub.carrier_y, &quiet, &[UPS[2]]).await;
    verdict(&hub, &held, &["customs_hold", "window_at_risk"]).await;
    verdict(&hub, &late, &["window_at_risk"]).await;
    verdict(&hub, &quiet, &["stale_tracking"]).await;

    assert_eq!(
        attention(&hub, &hub.seller_a).await,
        json!({"missingTracking": 1, "receivedShort": 0, "withExceptions": 2,
               "byKind": {"customs_hold": 1, "window_at_risk": 2}}),
        "a shipment with two kinds counts once in withExceptions and under each kind"
    );
    assert_eq!(
        attention(&hub, &hub.seller_b).await,
        json!({"missingTracking": 0, "receivedShort": 0, "withExceptions": 1, "byKind": {"stale_tracking": 1}}),
        "a seller counts only its own"
    );
    assert_eq!(
        attention(&hub, &hub.carrier_x).await,
        json!({"missingTracking": 0, "receivedShort": 0, "withExceptions": 2,
               "byKind": {"customs_hold": 1, "window_at_risk": 2}}),
        "a carrier counts only what it carries"
    );
    assert_eq!(
        attention(&hub, &hub.operator).await,
        json!({"missingTracking": 1, "receivedShort": 0, "withExceptions": 3,
               "byKind": {"customs_hold": 1, "stale_tracking": 1, "window_at_risk": 2}})
    );

    let ids = |list: &[&Shipment]| -> Vec<String> {
        let mut ids: Vec<String> = list.iter().map(|s| s.confirmation_id.to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        listed(&hub, &hub.seller_a, "exceptionKind=window_at_risk").await,
        ids(&[&held, &late])
    );
    assert_eq!(
        listed(&hub, &hub.seller_a, "exceptionKind=customs_hold").await,
        ids(&[&held])
    );
    assert_eq!(
        listed(&hub, &hub.seller_a, "exceptionKind=stale_tracking").await,
        Vec::<String>::new(),
        "seller B's stale shipment is not seller A's"
    );
    assert_eq!(
        listed(&hub, &hub.seller_a, "missingTracking=true").await,
        ids(&[&untracked])
    );

    // The hold clears: the next verdict no longer has it.
    verdict(&hub, &held, &["window_at_risk"]).await;
    assert_eq!(
        attention(&hub, &hub.seller_a).await["byKind"],
        json!({"window_at_risk": 2}),
        "a resolved exception is not counted"
    );
    assert_eq!(
        listed(&hub, &hub.seller_a, "exceptionKind=customs_hold").await,
        Vec::<String>::new()
    );

    // The export takes the same filter.
    let csv = hub
        .client
        .get(hub.url("/api/v1/shipments/export?exceptionKind=window_at_risk"))
        .bearer_auth(&hub.seller_a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and two rows: {csv}");
    assert!(!csv.contains(untracked.confirmation_id.as_str()), "{csv}");
}

#[tokio::test]
async fn an_unknown_exception_kind_is_named_with_the_kinds_to_use() {
    let hub = TestHub::start().await;
    for (lang, fix) in [
        ("en", "use one of stale_tracking, delivery_failed"),
        ("zh-CN", "可选值：stale_tracking、delivery_failed"),
    ] {
        let (status, body) = hub
            .send_in(
                Method::GET,
                &hub.seller_a,
                "/api/v1/shipments?exceptionKind=late",
                json!(null),
                lang,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let (code, field, message) = problem(&body);
        assert_eq!((code, field), ("query.invalid", "exceptionKind"));
        assert!(
            message.contains("late") && message.contains(fix),
            "{message}"
        );
    }
}

#[tokio::test]
async fn counts_stop_at_the_cap_so_the_start_page_costs_the_same() {
    let hub = TestHub::start().await;
    let over = tracklane_store::ATTENTION_COUNT_MAX + 1;
    // Created together, so the writer commits them in groups.
    futures_util::future::join_all(
        (1..=over).map(|n| hub.create(shipment(n, "A1SELLERA", Some("CARRIER_X"), 1))),
    )
    .await;
    assert_eq!(
        attention(&hub, &hub.seller_a).await["missingTracking"],
        json!(tracklane_store::ATTENTION_COUNT_MAX),
        "one more than the cap is counted as the cap"
    );
    let page = hub
        .client
        .get(hub.url("/"))
        .header(
            "cookie",
            format!(
                "tl_session={}",
                tracklane_server::start_session(
                    &hub.running.state,
                    tracklane_store::Principal::Seller(
                        tracklane_core::SellerId::parse("A1SELLERA").unwrap()
                    ),
                )
                .await
                .unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"Missing tracking <span class="count">1000+</span>"#),
        "{page}"
    );
}
