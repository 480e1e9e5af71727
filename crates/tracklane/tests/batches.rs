//! Invariant 7: bad input gets a clear error naming the field and the fix, in
//! English and Chinese; valid items in the same batch are kept; rejected items
//! are listed by index. Also invariant 1: accepted means committed.

use crate::support::{TestHub, UPS, milestone, shipment};
use serde_json::json;
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{ShipmentKey, Store};

#[tokio::test]
async fn bad_items_are_rejected_by_index_and_valid_ones_kept() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..2]).await;
    let report = hub
        .push(
            &hub.carrier_x,
            vec![
                milestone(UPS[0], "PICKED_UP", "2026-03-01T08:00:00Z"),
                milestone("1Z999AA10123456785", "PICKED_UP", "2026-03-01T08:00:00Z"),
                milestone(UPS[1], "NOT_A_CODE", "2026-03-01T08:00:00Z"),
                json!({ "trackingNumber": UPS[1], "status": { "code": "DEPARTED" } }),
                milestone(UPS[1], "DEPARTED", "2026-03-02T08:00:00Z"),
            ],
        )
        .await;
    assert_eq!(report["accepted"], 2, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    let got: Vec<(u64, &str, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["code"].as_str().unwrap(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                "tracking_number.check_digit",
                "milestones[1].trackingNumber"
            ),
            (2, "status.code.unknown", "milestones[2].status.code"),
            (3, "field.required", "milestones[3].occurredAt"),
        ]
    );
    let check_digit = rejected[0]["message"].as_str().unwrap();
    assert!(
        check_digit.contains("1Z999AA10123456784"),
        "the fix is suggested: {check_digit}"
    );
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let hub = TestHub::start().await;
    let body = json!({ "milestones": [milestone("1Z999AA10123456785", "PICKED_UP", "2026-03-01T08:00:00Z")] });
    let r = hub
        .client
        .post(hub.url("/api/v1/carrier/milestones"))
        .bearer_auth(&hub.carrier_x)
        .header("accept-language", "zh-CN,zh;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    let message = report["rejected"][0]["message"].as_str().unwrap();
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "Chinese expected: {message}"
    );
}

#[tokio::test]
async fn a_malformed_body_and_an_oversized_batch_are_refused_whole() {
    let hub = TestHub::start().await;
    let r = hub
        .client
        .post(hub.url("/api/v1/carrier/milestones"))
        .bearer_auth(&hub.carrier_x)
        .body("{\"milestones\": 5}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "milestones");
    let too_many: Vec<_> = (0..10_001).map(|_| json!({})).collect();
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_x,
            "/api/v1/carrier/milestones",
            json!({ "milestones": too_many }),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["code"], "batch.too_large");
}

#[tokio::test]
async fn an_accepted_milestone_is_committed_before_the_response() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &UPS[..1]).await;
    let report = hub
        .push(
            &hub.carrier_x,
            vec![milestone(UPS[0], "DEPARTED", "2026-03-01T08:00:00Z")],
        )
        .await;
    assert_eq!(report["accepted"], 1);
    // A second, independent connection to the file sees it at once: the writer
    // committed before answering.
    let other = SqliteStore::open(&hub.db).unwrap();
    let detail = other
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.timelines[0].len(), 1);
    assert_eq!(detail.timelines[0][0].milestone.code.as_str(), "DEPARTED");
}
