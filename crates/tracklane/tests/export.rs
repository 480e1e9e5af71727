//! `GET /api/v1/shipments/export`: every shipment a filter matches as CSV,
//! past the listing's page size, in the caller's language, safe to open in a
//! spreadsheet.

use jiff::civil::date;
use tracklane_core::{DeliveryWindow, WindowSource};

use crate::support::{TestHub, UPS, estimated, milestone, now, shipment};

/// The export at `path` as `key` in `lang`: status and body.
async fn export(hub: &TestHub, key: &str, path: &str, lang: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(hub.url(path))
        .bearer_auth(key)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The records of a CSV export, its header first, without the byte-order mark.
fn records(body: &str) -> Vec<Vec<String>> {
    let text = body
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark first, for spreadsheets");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn every_matching_shipment_is_exported_past_one_page() {
    let hub = TestHub::start().await;
    // More than a listing page holds (200), so the export pages through.
    for n in 1..=230 {
        hub.create(shipment(n, "A1SELLERA", Some("CARRIER_X"), 1))
            .await;
    }
    let two_boxes = hub
        .create(shipment(231, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    hub.upload(&hub.carrier_x, &two_boxes, &[UPS[0], UPS[1]])
        .await;
    hub.create(shipment(900, "A1SELLERB", Some("CARRIER_X"), 1))
        .await;

    let (status, body) = export(&hub, &hub.seller_a, "/api/v1/shipments/export", "en").await;
    assert_eq!(status, 200, "{body}");
    let header = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes())
        .headers()
        .unwrap()
        .clone();
    assert_eq!(&header[0], "Confirmation ID");
    assert_eq!(header.len(), 26);
    assert_eq!(&header[9], "Tracking numbers");
    let rows = records(&body);
    assert_eq!(rows.len(), 231, "each of the seller's shipments once");
    let mut names: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 231, "no shipment twice across pages");
    assert!(
        !names.contains(&"Spring restock 900"),
        "another seller's shipment is not exported"
    );
    // Newest update first: the shipment whose boxes just got numbers.
    let tracked = &rows[0];
    assert_eq!(&tracked[2], "Spring restock 231");
    // Added at the same moment (the test clock stands still): by number.
    let mut numbers = [UPS[0], UPS[1]];
    numbers.sort_unstable();
    assert_eq!(
        tracked[9],
        format!("{} (CARRIER_X); {} (CARRIER_X)", numbers[0], numbers[1]),
        "both boxes' numbers"
    );
    assert_eq!(&tracked[19], "no", "missing tracking");
    let row = &rows[1];
    assert_eq!(&row[3], "Working");
    assert_eq!(&row[4], "TEB9");
    assert_eq!(&row[9], "", "no tracking numbers yet");
    assert_eq!(&row[19], "yes", "missing tracking");
    assert_eq!(&row[21], "Add tracking IDs", "next step");
    assert_eq!(&row[23], "24", "units expected");

    // The operator sees every seller's; a filter narrows it.
    let (_, body) = export(&hub, &hub.operator, "/api/v1/shipments/export", "en").await;
    assert_eq!(records(&body).len(), 232);
    let (_, body) = export(
        &hub,
        &hub.seller_a,
        "/api/v1/shipments/export?q=Spring%20restock%20230",
        "en",
    )
    .await;
    assert_eq!(records(&body).len(), 1);
}

#[tokio::test]
async fn headers_and_labels_follow_the_language_and_formulas_stay_text() {
    let hub = TestHub::start().await;
    let mut risky = shipment(1, "A1SELLERA", Some("CARRIER_X"), 1);
    risky.name = "=HYPERLINK(\"http://evil.example\",\"click\")".into();
    hub.create(risky).await;

    let (status, body) = export(&hub, &hub.seller_a, "/api/v1/shipments/export", "zh-CN").await;
    assert_eq!(status, 200);
    let text = body.trim_start_matches('\u{feff}');
    assert!(
        text.starts_with("货件编号,SP-API 货件 ID,货件名称,状态,"),
        "{text}"
    );
    let rows = records(&body);
    assert_eq!(&rows[0][3], "处理中");
    assert_eq!(&rows[0][19], "是");
    assert_eq!(
        &rows[0][2], "'=HYPERLINK(\"http://evil.example\",\"click\")",
        "a name that starts like a formula is written as text"
    );
}

#[tokio::test]
async fn a_bad_filter_names_the_field_and_no_key_gets_nothing() {
    let hub = TestHub::start().await;
    let (status, body) = export(
        &hub,
        &hub.seller_a,
        "/api/v1/shipments/export?marketplace=XX",
        "zh-CN",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["errors"][0]["field"], "marketplace", "{problem}");
    let (status, _) = export(&hub, "tls_wrong", "/api/v1/shipments/export", "en").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn each_shipment_s_eta_is_listed_and_exported_against_its_window() {
    let hub = TestHub::start().await;
    let week = DeliveryWindow::week_of(date(2026, 3, 18));
    let mut ids = Vec::new();
    for n in 1..=3 {
        let mut s = shipment(n, "A1SELLERA", Some("CARRIER_X"), 1);
        s.delivery_window = Some((week, WindowSource::Seller));
        ids.push(hub.create(s).await);
    }
    let mut late = estimated(&ids[0], ["2026-03-20", "2026-03-24", "2026-03-28"]);
    late.exceptions = vec![tracklane_store::ExceptionDraft {
        kind: "window_at_risk".into(),
        severity: "medium".into(),
        since: now(),
        evidence: "p50 after the window".into(),
        next_step_en: "Ask the carrier to move the window".into(),
        next_step_zh: "请承运商调整送达时段".into(),
    }];
    hub.store()
        .put_assessments(
            vec![
                late,
                estimated(&ids[1], ["2026-03-16", "2026-03-18", "2026-03-21"]),
            ],
            now(),
        )
        .await
        .unwrap();

    let (status, body) = export(&hub, &hub.seller_a, "/api/v1/shipments/export", "en").await;
    assert_eq!(status, 200, "{body}");
    let rows = records(&body);
    let eta_of = |name: &str| -> Vec<String> {
        let row = rows.iter().find(|r| r[2] == name).expect(name);
        row[12..19].to_vec()
    };
    assert_eq!(
        eta_of("Spring restock 1"),
        [
            "2026-03-15",
            "2026-03-21",
            "set by the seller",
            "2026-03-24",
            "2026-03-20",
            "2026-03-28",
            "after the window"
        ]
    );
    assert_eq!(
        eta_of("Spring restock 2")[3..],
        ["2026-03-18", "2026-03-16", "2026-03-21", "in the window"]
    );
    assert_eq!(
        eta_of("Spring restock 3")[3..],
        ["", "", "", ""],
        "no estimate yet"
    );

    // Once it has arrived, its last estimate is no longer shown.
    hub.upload(&hub.carrier_x, &ids[1], &[UPS[1]]).await;
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[1], "DELIVERED", "2026-03-09T10:00:00Z")],
    )
    .await;
    let (_, body) = export(&hub, &hub.seller_a, "/api/v1/shipments/export", "en").await;
    let delivered = records(&body)
        .into_iter()
        .find(|r| r[2] == "Spring restock 2")
        .unwrap();
    assert_eq!(&delivered[3], "Delivered");
    assert_eq!(delivered[15..19], ["", "", "", ""], "no ETA once arrived");

    let (_, body) = export(&hub, &hub.seller_a, "/api/v1/shipments/export", "zh-CN").await;
    let rows = records(&body);
    let late = rows.iter().find(|r| r[2] == "Spring restock 1").unwrap();
    assert_eq!(&late[18], "晚于送达时段");
    assert_eq!(
        &late[21], "可能错过送达时段：请承运商调整送达时段",
        "its exception's next step"
    );

    // The listing gives each row's estimate as the detail does.
    let page = hub
        .send(
            reqwest::Method::GET,
            &hub.seller_a,
            "/api/v1/shipments",
            serde_json::Value::Null,
        )
        .await;
    let estimate_of = |name: &str| {
        let rows = page.1["shipments"].as_array().unwrap();
        let row = rows.iter().find(|r| r["name"] == name).expect(name);
        row["estimate"].clone()
    };
    assert_eq!(
        estimate_of("Spring restock 1")["p50"],
        "2026-03-24T12:00:00Z"
    );
    assert_eq!(
        estimate_of("Spring restock 2")["p90"],
        "2026-03-21T12:00:00Z"
    );
    assert!(estimate_of("Spring restock 3").is_null());
}
