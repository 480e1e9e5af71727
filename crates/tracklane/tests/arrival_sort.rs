//! The listing by expected arrival (`sort=arrival`): its order over
//! estimates, windows, neither and finished shipments; cursor pages that
//! neither skip nor repeat a row, across every one of those boundaries; what
//! moves a shipment in it; and the answers to a sort or cursor that does not
//! fit.

use jiff::Timestamp;
use serde_json::{Value, json};
use tracklane_core::{DeliveryWindow, Shipment, WindowSource};
use tracklane_store::Assessment;

use crate::support::{TestHub, UPS, estimated, milestone, now, shipment};

/// Shipment `n` of `seller` on carrier X, with a delivery window in the
/// week of `day` when given.
fn with_window(n: u64, seller: &str, day: Option<&str>) -> Shipment {
    let mut s = shipment(n, seller, Some("CARRIER_X"), 1);
    s.delivery_window = day.map(|d| {
        (
            DeliveryWindow::week_of(d.parse().unwrap()),
            WindowSource::Seller,
        )
    });
    s
}

/// The engine's verdict on `s`: an estimate whose p50 is `p50`.
fn estimated_at(s: &Shipment, p50: &str) -> Assessment {
    let p50: Timestamp = p50.parse().unwrap();
    let mut a = estimated(s, ["2026-03-01", "2026-03-02", "2026-03-03"]);
    a.estimate.as_mut().unwrap().p50 = p50;
    a
}

/// The names' numbers ("Spring restock 12" → 12) of every row of
/// `/api/v1/shipments?{query}` for `key`, walked `limit` rows a page by
/// the cursor of each page.
async fn walk(hub: &TestHub, key: &str, query: &str, limit: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/shipments?{query}&limit={limit}&cursor={c}"),
            None => format!("/api/v1/shipments?{query}&limit={limit}"),
        };
        let (status, page) = hub.get(key, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
        let rows = page["shipments"].as_array().unwrap();
        assert!(rows.len() <= limit, "{page}");
        seen.extend(rows.iter().map(number));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return seen,
        }
    }
    panic!("{query} did not end within 100 pages: {seen:?}");
}

fn number(row: &Value) -> u64 {
    let name = row["name"].as_str().unwrap();
    name.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Walks `query` for `key` one, two, five and every row a page, and checks
/// each walk gives `expected`.
async fn check_walks(hub: &TestHub, key: &str, query: &str, expected: &[u64]) {
    for limit in [1, 2, 5, 200] {
        assert_eq!(
            walk(hub, key, query, limit).await,
            expected,
            "{query}, {limit} a page"
        );
    }
}

/// Seller A's shipments, created in the order of their numbers (which is
/// their `seq` order, the tie-break), with the arrival each is ordered by.
/// Returns the shipments by number.
async fn world(hub: &TestHub) -> Vec<Shipment> {
    let mut made = Vec::new();
    for (n, seller, window) in [
        (1, "A1SELLERA", Some("2026-03-25")), // window only: 03-22 00:00
        (2, "A1SELLERA", None),               // neither
        (3, "A1SELLERA", None),               // estimate 03-20 12:00
        (4, "A1SELLERA", Some("2026-03-25")), // estimate 04-02 12:00 beats the window
        (5, "A1SELLERA", Some("2026-03-23")), // window only: 03-22 00:00, as 1
        (6, "A1SELLERA", None),               // estimate 03-22 00:00, as 1 and 5
        (7, "A1SELLERA", None),               // neither
        (8, "A1SELLERA", None),               // estimate 03-09, then delivered
        (9, "A1SELLERA", Some("2026-03-11")), // window 03-08, cancelled
        (10, "A1SELLERA", None),              // estimate 03-20 12:00, as 3
        (11, "A1SELLERB", None),              // another seller's: estimate 03-01
        (12, "A1SELLERA", Some("2026-03-11")), // window only: 03-08 00:00
        (13, "A1SELLERA", Some("2026-04-01")), // estimate cleared: window 03-29
        (14, "A1SELLERA", None),              // delivered, then estimated
    ] {
        let mut s = with_window(n, seller, window);
        s.is_cancelled = n == 9;
        made.push(hub.create(s).await);
    }
    let s = |n: usize| &made[n - 1];
    hub.store()
        .put_assessments(
            vec![
                estimated_at(s(3), "2026-03-20T12:00:00Z"),
                estimated_at(s(4), "2026-04-02T12:00:00Z"),
                estimated_at(s(6), "2026-03-22T00:00:00Z"),
                estimated_at(s(8), "2026-03-09T12:00:00Z"),
                estimated_at(s(10), "2026-03-20T12:00:00Z"),
                estimated_at(s(11), "2026-03-01T12:00:00Z"),
                estimated_at(s(13), "2026-03-12T12:00:00Z"),
            ],
            now(),
        )
        .await
        .unwrap();
    // An estimate the engine takes back: the window orders it again.
    let mut cleared = estimated_at(s(13), "2026-03-12T12:00:00Z");
    cleared.estimate = None;
    hub.store()
        .put_assessments(vec![cleared], now())
        .await
        .unwrap();
    // Delivered with an estimate standing (ingest finishes it), and
    // delivered before the engine's estimate of its arrival.
    for (n, number) in [(8, UPS[0]), (14, UPS[1])] {
        hub.upload(&hub.carrier_x, s(n), &[number]).await;
        hub.push(
            &hub.carrier_x,
            vec![milestone(number, "DELIVERED", "2026-03-09T10:00:00Z")],
        )
        .await;
    }
    hub.store()
        .put_assessments(vec![estimated_at(s(14), "2026-03-09T10:00:00Z")], now())
        .await
        .unwrap();
    made
}

#[tokio::test]
async fn pages_by_arrival_walk_every_shipment_once_in_order() {
    let hub = TestHub::start().await;
    let made = world(&hub).await;
    // Times first (ties by creation), then those with neither, then the
    // finished ones, in order of creation.
    let expected = [12, 3, 10, 1, 5, 6, 13, 4, 2, 7, 8, 9, 14];
    check_walks(&hub, &hub.seller_a, "sort=arrival", &expected).await;
    // The operator's listing has no seller to walk by: the same order over
    // every seller's shipments.
    let everyone = [11, 12, 3, 10, 1, 5, 6, 13, 4, 2, 7, 8, 9, 14];
    check_walks(&hub, &hub.operator, "sort=arrival", &everyone).await;
    // Filters narrow the walk and keep its order.
    check_walks(
        &hub,
        &hub.seller_a,
        "sort=arrival&status=WORKING",
        &[12, 3, 10, 1, 5, 6, 13, 4, 2, 7],
    )
    .await;

    // A window set where there was none moves a shipment from the unknown
    // to its place; an estimate moves it again.
    let (status, body) = hub
        .send(
            reqwest::Method::PUT,
            &hub.seller_a,
            &format!(
                "/api/v1/shipments/{}/delivery-window",
                made[6].confirmation_id
            ),
            json!({ "startDate": "2026-03-15", "endDate": "2026-03-21" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let expected = [12, 7, 3, 10, 1, 5, 6, 13, 4, 2, 8, 9, 14];
    check_walks(&hub, &hub.seller_a, "sort=arrival", &expected).await;
    hub.store()
        .put_assessments(vec![estimated_at(&made[1], "2026-03-07T00:00:00Z")], now())
        .await
        .unwrap();
    let expected = [2, 12, 7, 3, 10, 1, 5, 6, 13, 4, 8, 9, 14];
    check_walks(&hub, &hub.seller_a, "sort=arrival", &expected).await;

    // The update orders still walk whole.
    let newest = walk(&hub, &hub.seller_a, "sort=newest", 200).await;
    assert_eq!(newest.len(), 13);
    check_walks(&hub, &hub.seller_a, "sort=newest", &newest).await;
    let oldest: Vec<u64> = newest.iter().rev().copied().collect();
    check_walks(&hub, &hub.seller_a, "sort=oldest", &oldest).await;
    check_walks(&hub, &hub.seller_a, "", &newest).await;
}

#[tokio::test]
async fn a_cursor_of_another_sort_or_an_unknown_sort_is_refused_by_name() {
    let hub = TestHub::start().await;
    world(&hub).await;
    let (_, first) = hub
        .get(&hub.seller_a, "/api/v1/shipments?sort=arrival&limit=2")
        .await;
    let cursor = first["nextCursor"].as_str().unwrap();
    for (query, lang, said) in [
        (
            format!("cursor={cursor}"),
            "en",
            "it continues a listing with sort=arrival, not sort=newest",
        ),
        (
            format!("sort=oldest&cursor={cursor}"),
            "zh-CN",
            "该游标属于 sort=arrival 的列表，不能用于 sort=oldest",
        ),
    ] {
        let (status, body) = hub
            .send_in(
                reqwest::Method::GET,
                &hub.seller_a,
                &format!("/api/v1/shipments?{query}"),
                Value::Null,
                lang,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["field"], "cursor", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
    }
    let (status, _) = hub
        .get(
            &hub.seller_a,
            &format!("/api/v1/shipments?sort=arrival&cursor={cursor}"),
        )
        .await;
    assert_eq!(status, 200, "the cursor continues its own sort");

    for (lang, said) in [
        ("en", "use one of newest, oldest, arrival"),
        ("zh-CN", "可选值：newest、oldest、arrival"),
    ] {
        let (status, body) = hub
            .send_in(
                reqwest::Method::GET,
                &hub.seller_a,
                "/api/v1/shipments?sort=soonest",
                Value::Null,
                lang,
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["field"], "sort", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
    }
    let (status, body) = hub
        .get(&hub.seller_a, "/api/v1/shipments/export?sort=soonest")
        .await;
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (400, &json!("sort")),
        "{body}"
    );
}

#[tokio::test]
async fn the_export_follows_the_sort() {
    let hub = TestHub::start().await;
    world(&hub).await;
    let csv = hub
        .client
        .get(hub.url("/api/v1/shipments/export?sort=arrival"))
        .bearer_auth(&hub.seller_a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let names: Vec<u64> = csv
        .lines()
        .skip(1)
        .filter_map(|line| {
            let at = line.find("Spring restock ")? + "Spring restock ".len();
            line[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(names, [12, 3, 10, 1, 5, 6, 13, 4, 2, 7, 8, 9, 14], "{csv}");
}
