//! Invariant 7: bad input gets a clear error naming the field and the fix, in
//! English and Chinese; valid items in the same batch are kept; rejected items
//! are listed by index. Also invariant 1: accepted means committed.

use crate::support::{TestHub, UPS, milestone, shipment};
use serde_json::json;
use tracklane_store::ShipmentKey;

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

    // The operator sees which carrier sends what wrong.
    let metrics = hub.metrics().await;
    let name = "tracklane_milestones_rejected_by_code_total";
    for (code, count) in [
        ("field.required", 1),
        ("status.code.unknown", 1),
        ("tracking_number.check_digit", 1),
    ] {
        let line = format!("{name}{{carrier=\"CARRIER_X\",code=\"{code}\"}} {count}\n");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
    assert!(
        metrics.contains("tracklane_milestones_rejected_total 3\n"),
        "{metrics}"
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
    // A second, independent connection sees it at once: the store committed
    // before answering.
    let other = hub.db.open().await;
    let detail = other
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.timelines[0].len(), 1);
    assert_eq!(detail.timelines[0][0].milestone.code.as_str(), "DEPARTED");
}

/// A spreadsheet of tracking numbers: each bad row is named by its line, in the
/// caller's language, and the good rows are kept and recorded as imported.
#[tokio::test]
async fn csv_import_keeps_good_rows_and_names_bad_lines() {
    let hub = TestHub::start().await;
    let mine = hub
        .create(shipment(30, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let theirs = hub
        .create(shipment(31, "A1SELLERB", Some("CARRIER_X"), 1))
        .await;
    let csv = format!(
        "\u{feff}货件编号,箱号,承运商,追踪编码\n{c},{b0},UPS,{good}\n{c},{b1},UPS,1Z999AA10123456785\n{t},{tb},UPS,{other}\n",
        c = mine.confirmation_id,
        b0 = mine.packages[0].box_id.as_str(),
        b1 = mine.packages[1].box_id.as_str(),
        t = theirs.confirmation_id,
        tb = theirs.packages[0].box_id.as_str(),
        good = UPS[0],
        other = UPS[1],
    );
    let import = |lang: &'static str| {
        let request = hub
            .client
            .post(hub.url("/api/v1/tracking/import"))
            .bearer_auth(&hub.seller_a)
            .header("content-type", "text/csv")
            .header("accept-language", lang)
            .body(csv.clone());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let report = import("zh-CN").await;
    assert_eq!(
        (report["rows"].as_u64(), report["accepted"].as_u64()),
        (Some(3), Some(1)),
        "{report}"
    );
    let rejected: Vec<(u64, &str, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["code"].as_str().unwrap(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (3, "tracking_number.check_digit", "trackingNumber"),
            (4, "shipment.not_found", "shipmentId"),
        ]
    );
    let message = report["rejected"][0]["message"].as_str().unwrap();
    assert!(
        message.contains('4'),
        "names the expected check digit: {message}"
    );
    assert!(
        report["rejected"][1]["message"]
            .as_str()
            .unwrap()
            .contains("第 4 行")
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", mine.id))
        .await;
    assert_eq!(
        detail["packages"][0]["legs"][0]["source"], "IMPORT",
        "{detail}"
    );
    let again = import("en").await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(1)),
        "{again}"
    );
    let (_, other) = hub
        .get(&hub.seller_b, &format!("/api/v1/shipments/{}", theirs.id))
        .await;
    assert_eq!(
        other["missingTracking"], true,
        "another seller's shipment is untouched"
    );
}

/// `tracklane import FILE` posts the file and reports each rejected row.
#[tokio::test]
async fn import_command_reports_rejected_lines() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(32, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tracking.csv");
    std::fs::write(
        &file,
        format!(
            "shipmentId,carrier,trackingNumber\n{},UPS,{}\nFBA15NOTMINE,UPS,{}\n",
            s.id, UPS[0], UPS[1]
        ),
    )
    .unwrap();
    let mut out = Vec::new();
    let rejected = tracklane::import::run(
        file.to_str().unwrap(),
        &hub.url(""),
        &hub.seller_a,
        false,
        false,
        &mut out,
    )
    .await
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(rejected, 1, "{out}");
    assert!(out.contains("2 rows, 1 accepted"), "{out}");
    assert!(
        out.contains("line 3\tshipmentId\tshipment.not_found"),
        "{out}"
    );
    let refused = tracklane::import::run(
        file.to_str().unwrap(),
        &hub.url(""),
        &hub.carrier_x,
        false,
        false,
        &mut Vec::new(),
    )
    .await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("seller or operator")),
        "carrier keys are refused"
    );
}
