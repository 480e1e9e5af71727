//! The web pages over real HTTP: signing in, sessions and CSRF, roles on every
//! page, the start page's filters, the summary's forms, the webhooks page, and
//! the public tracking page. The browser walk itself is `tests/e2e` (headless Chromium);
//! these check the server's side of it without a browser.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use tracklane_core::{SellerId, Shipment};
use tracklane_store::{ExceptionDraft, Principal};

use crate::attention::verdict;
use crate::support::{TestHub, UPS, estimated, milestone, now, shipment};

/// A browser-like client on a test hub: no redirects followed, cookies by hand.
struct Browser<'a> {
    hub: &'a TestHub,
    client: reqwest::Client,
    cookie: String,
    lang: &'static str,
}

fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

impl<'a> Browser<'a> {
    fn new(hub: &'a TestHub, lang: &'static str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            hub,
            client,
            cookie: String::new(),
            lang,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .get(self.hub.url(path))
            .header(COOKIE, &self.cookie)
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (status, r.text().await.unwrap(), headers)
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .post(self.hub.url(path))
            .header(COOKIE, &self.cookie)
            .header("accept-language", self.lang)
            .form(form)
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (status, r.text().await.unwrap(), headers)
    }

    fn keep_cookies(&mut self, headers: &reqwest::header::HeaderMap) {
        for c in headers.get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            let mut kept: Vec<String> = self
                .cookie
                .split("; ")
                .filter(|p| !p.is_empty() && !p.starts_with(&format!("{name}=")))
                .map(str::to_owned)
                .collect();
            kept.push(pair);
            self.cookie = kept.join("; ");
        }
    }

    async fn sign_in(&mut self, key: &str) -> reqwest::header::HeaderMap {
        let (_, html, headers) = self.get("/signin").await;
        self.keep_cookies(&headers);
        let csrf = csrf_in(&html);
        let (status, _, headers) = self
            .post("/signin", &[("key", key), ("csrf", &csrf), ("next", "/")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        self.keep_cookies(&headers);
        headers
    }
}

#[tokio::test]
async fn signing_in_gives_an_http_only_lax_session_and_the_start_page() {
    let hub = TestHub::start().await;
    hub.create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let mut browser = Browser::new(&hub, "en");

    let (status, _, headers) = browser.get("/").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "signed out, the start page sends to sign-in"
    );
    assert_eq!(headers[LOCATION], "/signin?next=/");

    let headers = browser.sign_in(&hub.seller_a).await;
    let session = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("tl_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let (status, html, _) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Shipment progress") && html.contains("Spring restock 1"),
        "{html}"
    );
}

#[tokio::test]
async fn a_wrong_key_or_a_forged_form_is_refused() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let mut browser = Browser::new(&hub, "zh-CN");
    let (_, html, headers) = browser.get("/signin").await;
    browser.keep_cookies(&headers);
    let (status, html, _) = browser
        .post(
            "/signin",
            &[("key", "tls_wrong"), ("csrf", &csrf_in(&html))],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        html.contains("密钥无效"),
        "the refusal is in Chinese: {html}"
    );
    let (status, _, _) = browser
        .post("/signin", &[("key", &hub.seller_a), ("csrf", "forged")])
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the sign-in form is double-submit protected"
    );

    browser.sign_in(&hub.seller_a).await;
    let path = format!("/shipments/{}/automation", s.confirmation_id);
    let (status, _, _) = browser.post(&path, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let detail = hub
        .store()
        .shipment(&tracklane_store::ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert!(detail.shipment.allows_window_automation, "nothing changed");
}

#[tokio::test]
async fn every_page_respects_roles() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let summary = format!("/shipments/{}", s.confirmation_id);

    let mut other_seller = Browser::new(&hub, "en");
    other_seller.sign_in(&hub.seller_b).await;
    assert_eq!(other_seller.get(&summary).await.0, StatusCode::NOT_FOUND);
    assert!(!other_seller.get("/").await.1.contains("Spring restock 3"));
    assert_eq!(
        other_seller.get("/warehouses").await.0,
        StatusCode::FORBIDDEN
    );

    let mut carrier = Browser::new(&hub, "en");
    carrier.sign_in(&hub.carrier_y).await;
    assert_eq!(
        carrier.get(&summary).await.0,
        StatusCode::NOT_FOUND,
        "a carrier sees only what it carries"
    );

    let mut operator = Browser::new(&hub, "en");
    operator.sign_in(&hub.operator).await;
    let (status, html, _) = operator.get(&summary).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("/automation\""),
        "the operator reads; only the seller steers the window"
    );
    assert_eq!(operator.get("/warehouses").await.0, StatusCode::OK);
    assert_eq!(operator.get("/insights").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_seller_enters_tracking_and_steers_the_window() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(4, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let summary = format!("/shipments/{}", s.confirmation_id);
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let first = browser.get(&summary).await.1;
    assert!(
        first.contains("<dt>Carried by</dt><dd><span class=\"muted\">no tracking yet</span></dd>"),
        "{first}"
    );
    let csrf = csrf_in(&first);
    let box_id = s.packages[0].box_id.as_str();

    let wrong = "1Z999AA10123456785";
    let (status, html, _) = browser
        .post(
            &format!("{summary}/tracking"),
            &[
                ("csrf", &csrf),
                ("box", box_id),
                ("carrier", "UPS"),
                ("number", wrong),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("check digit") && html.contains(UPS[0]),
        "explains the digit and the fix"
    );

    let (status, _, headers) = browser
        .post(
            &format!("{summary}/tracking"),
            &[
                ("csrf", &csrf),
                ("box", box_id),
                ("carrier", "UPS"),
                ("number", UPS[0]),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[LOCATION]
            .to_str()
            .unwrap()
            .contains("saved=tracking")
    );
    let html = browser.get(&summary).await.1;
    assert!(
        html.contains("<dt>Carried by</dt><dd>UPS</dd>"),
        "the carrier of the new leg: {html}"
    );

    let (status, _, _) = browser
        .post(&format!("{summary}/automation"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = browser
        .post(
            &format!("{summary}/window"),
            &[
                ("csrf", &csrf),
                ("day", "2026-03-25"),
                ("reason", "vessel late"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let detail = hub
        .store()
        .shipment(&tracklane_store::ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert!(!detail.shipment.allows_window_automation);
    let (window, _) = detail.shipment.delivery_window.unwrap();
    assert_eq!(
        window.start_date.to_string(),
        "2026-03-22",
        "the Sunday of that week"
    );
    assert_eq!(detail.window_history.last().unwrap().reason, "vessel late");
    assert_eq!(
        detail.shipment.packages[0].legs[0].tracking_number.as_str(),
        UPS[0]
    );
}

/// The secret the webhooks page shows after adding a subscription.
fn secret_in(html: &str) -> String {
    let at = html
        .find("id=\"webhook-secret\">")
        .expect("the secret is shown")
        + 20;
    html[at..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_webhook_added_through_the_form_shows_its_secret_once() {
    let hub = TestHub::start().await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let (status, html, _) = browser.get("/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("No subscriptions yet") && html.contains("href=\"/webhooks\""),
        "an empty list, and the page is in the navigation: {html}"
    );
    let csrf = csrf_in(&html);
    // Nothing listens here: the delivery below fails and is retried.
    let receiver = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };

    let (status, html, headers) = browser
        .post(
            "/webhooks",
            &[
                ("csrf", &csrf),
                ("url", &receiver),
                ("events", "SHIPMENT_TRACKING_MILESTONE_CHANGED"),
                ("events", "EXCEPTION_OPENED"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[CACHE_CONTROL], "no-store",
        "the secret is not cached"
    );
    let secret = secret_in(&html);
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 64,
        "{secret}"
    );
    assert!(
        html.contains("shown only this once") && html.contains("x-tracklane-signature"),
        "says the secret is shown once and what it verifies"
    );
    let held = hub
        .store()
        .webhooks(&Principal::Seller(SellerId::parse("A1SELLERA").unwrap()))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let webhook = &held[0];
    assert_eq!(
        (webhook.secret.as_str(), webhook.url.as_str()),
        (secret.as_str(), receiver.as_str())
    );
    assert_eq!(
        webhook
            .events
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
        ["SHIPMENT_TRACKING_MILESTONE_CHANGED", "EXCEPTION_OPENED"]
    );

    let s = hub.picked_up(10, UPS[0]).await;
    let report = hub.send_webhooks().await;
    assert_eq!(report.retrying, 1, "nothing listens at {receiver}");

    let (status, html, _) = browser.get("/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&receiver) && html.contains(&webhook.id),
        "listed: {html}"
    );
    assert!(
        !html.contains("whsec_") && !html.contains("webhook-secret"),
        "the secret is shown only once"
    );
    assert!(
        html.contains("SHIPMENT_TRACKING_MILESTONE_CHANGED")
            && html.contains(&format!("href=\"/shipments/{}\"", s.id))
            && html.contains("Pending"),
        "the delivery, its shipment and its state: {html}"
    );
    assert_eq!(
        browser.get(&format!("/shipments/{}", s.id)).await.0,
        StatusCode::OK,
        "the shipment link opens its summary"
    );

    let delete = format!("/webhooks/{}/delete", webhook.id);
    let (status, _, _) = browser.post(&delete, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = browser.post(&delete, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[LOCATION], "/webhooks?saved=deleted");
    let html = browser.get("/webhooks?saved=deleted").await.1;
    assert!(
        html.contains("Subscription deleted") && html.contains("No subscriptions yet"),
        "{html}"
    );
    let (status, _, _) = browser.post(&delete, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already gone");
}

#[tokio::test]
async fn a_switched_off_webhook_says_why_and_is_switched_back_on_from_the_page() {
    let hub = TestHub::start().await;
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_a).await;
    let csrf = csrf_in(&browser.get("/webhooks").await.1);
    let (status, _, _) = browser
        .post(
            "/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "https://hooks.example.com/tracklane"),
                ("events", "EXCEPTION_OPENED"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let owner = Principal::Seller(SellerId::parse("A1SELLERA").unwrap());
    let id = hub.store().webhooks(&owner).await.unwrap()[0].id.clone();
    let reason = "all 8 attempts at a delivery made 2026-03-08T00:00:00Z failed; the last: the receiver answered 502 Bad Gateway";
    assert!(
        hub.store()
            .switch_off_webhook(&id, now(), now(), reason)
            .await
            .unwrap()
    );

    let html = browser.get("/webhooks").await.1;
    assert!(
        html.contains("已停用") && html.contains("502 Bad Gateway"),
        "the state and the reason: {html}"
    );
    let enable = format!("/webhooks/{id}/enable");
    assert!(html.contains(&format!("action=\"{enable}\"")), "{html}");
    let (status, _, _) = browser.post(&enable, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = browser.post(&enable, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[LOCATION], "/webhooks?saved=enabled");
    let html = browser.get("/webhooks?saved=enabled").await.1;
    assert!(
        html.contains("订阅已重新启用") && !html.contains("switched-off"),
        "{html}"
    );
    assert!(
        hub.store().webhooks(&owner).await.unwrap()[0]
            .disabled_at
            .is_none()
    );
    let (status, _, _) = browser
        .post("/webhooks/wh_0000000000000000/enable", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_webhook_form_names_the_field_in_chinese_and_keeps_the_input() {
    let hub = TestHub::start().await;
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.carrier_x).await;
    let csrf = csrf_in(&browser.get("/webhooks").await.1);

    let (status, html, _) = browser
        .post(
            "/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "example.com/hooks"),
                ("events", "REROUTE_OFFERED"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("url `example.com/hooks` 不是完整的 http(s) 地址")
            && html.contains("https://example.com/hooks/tracklane"),
        "names the field and the fix in Chinese: {html}"
    );
    assert!(
        html.contains("value=\"example.com/hooks\"")
            && html.contains("value=\"REROUTE_OFFERED\" checked")
            && !html.contains("value=\"EXCEPTION_OPENED\" checked"),
        "keeps what was typed and checked"
    );
    assert!(!html.contains("webhook-secret"));

    let (status, html, _) = browser
        .post(
            "/webhooks",
            &[("csrf", &csrf), ("url", "https://example.com/hooks")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("事件类型：请至少勾选一种")
            && html.contains("value=\"https://example.com/hooks\""),
        "no event checked: {html}"
    );
    let held = hub
        .store()
        .webhooks(&Principal::Carrier(
            tracklane_core::CarrierCode::parse("CARRIER_X").unwrap(),
        ))
        .await
        .unwrap();
    assert!(held.is_empty(), "nothing was added");
}

#[tokio::test]
async fn the_start_page_filters_by_sku_and_missing_tracking() {
    let hub = TestHub::start().await;
    let tracked = hub
        .create(shipment(5, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.create(shipment(6, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &tracked, &[UPS[1]]).await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;

    let html = browser.get("/?q=SKU-6").await.1;
    assert!(
        html.contains("Spring restock 6") && !html.contains("Spring restock 5"),
        "SKU search"
    );
    let html = browser.get(&format!("/?q={}", UPS[1])).await.1;
    assert!(
        html.contains("Spring restock 5") && !html.contains("Spring restock 6"),
        "tracking-number search"
    );
    let html = browser.get("/?missing=1").await.1;
    assert!(
        html.contains("Spring restock 6") && !html.contains("Spring restock 5"),
        "missing tracking"
    );
    let html = browser.get("/?status=FLYING").await.1;
    assert!(
        html.contains("Ignored filters") && html.contains("status"),
        "a bad filter is named, not fatal"
    );
}

/// The operator closes receiving of `s`, a one-SKU shipment from
/// `shipment`, with `units` of its SKU counted.
async fn close_receiving(hub: &TestHub, s: &Shipment, units: u32) {
    let sku = &s.packages[0].items[0].sku;
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.operator,
            &format!("/api/v1/shipments/{}/receipts", s.id),
            serde_json::json!({
                "items": [{ "sku": sku, "unitsReceived": units }],
                "receivingComplete": true,
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_summary_shows_what_the_warehouse_counted_and_the_list_marks_a_short_close() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(7, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let page = format!("/shipments/{}", s.confirmation_id);
    let html = browser.get(&page).await.1;
    assert!(
        html.contains("The warehouse has not reported any units yet."),
        "nothing counted yet"
    );

    close_receiving(&hub, &s, 46).await;
    let html = browser.get(&page).await.1;
    for part in [
        "Receiving closed ",
        "2 short",
        "<td class=\"num\" data-label=\"Sent\">48</td>",
        "<td class=\"num\" data-label=\"Received\">46</td>",
        "SKU-7</span> 0 → 46",
        "closed receiving",
    ] {
        assert!(html.contains(part), "summary lacks {part:?}");
    }
    let list = browser.get("/").await.1;
    assert!(list.contains("2 short"), "the list marks the short close");
    assert!(
        list.contains("Received short: compare with your packing list"),
        "the next step says what to do"
    );

    let insights = browser.get("/insights").await.1;
    assert!(
        insights.contains("Receiving time by warehouse") && insights.contains("(n=1) · 1 short"),
        "insights time the warehouse's receiving"
    );

    browser.lang = "zh-CN";
    let html = browser.get(&page).await.1;
    assert!(
        html.contains("仓库接收") && html.contains("短少 2"),
        "the summary in Chinese"
    );

    let mut operator = Browser::new(&hub, "en");
    operator.sign_in(&hub.operator).await;
    let warehouses = operator.get("/warehouses").await.1;
    assert!(
        warehouses.contains("1 closed, median ") && warehouses.contains("1 short</span> 2 units"),
        "the operator sees each warehouse's receiving"
    );
}

#[tokio::test]
async fn a_short_close_needs_attention_until_the_seller_records_its_reconciliation() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(11, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    close_receiving(&hub, &s, 45).await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let start = browser.get("/").await.1;
    assert!(
        start.contains(
            "<a class=\"chip\" href=\"/?short=1\">Received short <span class=\"count\">1</span></a>"
        ),
        "needs attention links the short close: {start}"
    );
    let listed = browser.get("/?short=1").await.1;
    assert!(listed.contains(s.confirmation_id.as_str()) && listed.contains("3 short"));

    let page = format!("/shipments/{}", s.confirmation_id);
    let html = browser.get(&page).await.1;
    assert!(
        html.contains("I have asked for a reconciliation"),
        "the form is offered"
    );
    let csrf = csrf_in(&html);
    let (status, _, _) = browser
        .post(&format!("{page}/reconciliation"), &[("csrf", "forged")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = browser
        .post(&format!("{page}/reconciliation"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let saved = format!("{page}?saved=reconciliation#receiving");
    assert_eq!(headers[LOCATION].to_str().unwrap(), saved);
    let html = browser.get(&saved).await.1;
    assert!(
        html.contains("Recorded: you asked for a reconciliation."),
        "the notice"
    );
    assert!(
        html.contains("Reconciliation asked for ") && html.contains("seller:A1SELLERA"),
        "when and by whom"
    );
    assert!(
        !html.contains("I have asked for a reconciliation"),
        "asked once"
    );
    let start = browser.get("/").await.1;
    assert!(
        !start.contains("href=\"/?short=1\""),
        "nothing waits any more"
    );
    assert!(start.contains("Received short: reconciliation asked for, follow the case"));

    browser.lang = "zh-CN";
    let html = browser.get(&page).await.1;
    assert!(html.contains("已申请对账于 "), "in Chinese");
}

#[tokio::test]
async fn the_operator_records_counts_from_the_summary_and_a_bad_count_is_named() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(9, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let page = format!("/shipments/{}", s.confirmation_id);
    let mut operator = Browser::new(&hub, "en");
    operator.sign_in(&hub.operator).await;
    let html = operator.get(&page).await.1;
    assert!(html.contains("Record what the warehouse counted"));
    assert!(
        html.contains("name=\"units-0\"") && html.contains("SKU-9</span> · sent 48"),
        "one field per SKU, with what was sent"
    );
    let csrf = csrf_in(&html);

    let (status, body, _) = operator
        .post(
            &format!("{page}/receipt"),
            &[("csrf", &csrf), ("units-0", "forty")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("The count for SKU SKU-9 is &quot;forty&quot;"),
        "the refusal names the SKU and the value"
    );

    let (status, _, headers) = operator
        .post(
            &format!("{page}/receipt"),
            &[("csrf", &csrf), ("units-0", "47"), ("complete", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[LOCATION].to_str().unwrap(),
        format!("{page}?saved=receipt#receiving")
    );
    let (_, detail) = hub
        .get(&hub.seller_a, &format!("/api/v1/shipments/{}", s.id))
        .await;
    assert_eq!(detail["status"], "CLOSED");
    assert_eq!(detail["unitsReceived"], 47);
    assert_eq!(detail["receiving"]["receipts"][0]["actor"], "operator");

    let mut carrier = Browser::new(&hub, "en");
    carrier.sign_in(&hub.carrier_x).await;
    let html = carrier.get(&page).await.1;
    assert!(!html.contains("Record what the warehouse counted"));
    let (status, _, _) = carrier
        .post(
            &format!("{page}/receipt"),
            &[
                ("csrf", &csrf_in(&carrier.get("/webhooks").await.1)),
                ("units-0", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_seller_cancels_a_shipment_from_its_summary_until_pickup() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(8, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let page = format!("/shipments/{}", s.confirmation_id);
    let html = browser.get(&page).await.1;
    assert!(html.contains("Cancel this shipment"), "the form is offered");
    let csrf = csrf_in(&html);

    let (status, _, headers) = browser
        .post(&format!("{page}/cancel"), &[("csrf", "forged")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    let (status, _, headers) = browser
        .post(&format!("{page}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[LOCATION].to_str().unwrap(),
        format!("{page}?saved=cancelled")
    );
    let html = browser.get(&format!("{page}?saved=cancelled")).await.1;
    assert!(html.contains("Shipment cancelled."), "the notice");
    assert!(
        !html.contains("Cancel this shipment"),
        "nothing left to cancel"
    );
}

#[tokio::test]
async fn the_start_page_downloads_what_its_filters_match_as_csv() {
    let hub = TestHub::start().await;
    let tracked = hub
        .create(shipment(5, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.create(shipment(6, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.create(shipment(7, "A1SELLERB", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &tracked, &[UPS[1]]).await;
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_a).await;

    let html = browser.get("/?missing=1").await.1;
    assert!(
        html.contains("href=\"/shipments.csv?missing=1\"")
            && html.contains("下载全部符合条件的货件 (CSV)"),
        "the link carries the filters"
    );
    let (status, csv, headers) = browser.get("/shipments.csv?missing=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"shipments-"),
        "{headers:?}"
    );
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("货件编号,"), "{csv}");
    assert_eq!(lines.len(), 2, "only the shipment missing tracking: {csv}");
    assert!(
        lines[1].contains("Spring restock 6") && lines[1].contains(",是,"),
        "{csv}"
    );

    // Signed out, there is nothing to download.
    let (status, _, headers) = Browser::new(&hub, "en").get("/shipments.csv").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
}

/// The start page sorted by expected arrival: the soonest first, the
/// caption says so, the form keeps the choice, the next page and the CSV
/// keep the sort, and a cursor of another sort is set aside, with a word.
#[tokio::test]
async fn the_start_page_sorts_by_arrival_and_keeps_the_sort() {
    let hub = TestHub::start().await;
    let later = hub
        .create(shipment(5, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let sooner = hub
        .create(shipment(6, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.create(shipment(7, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.store()
        .put_assessments(
            vec![
                estimated(&later, ["2026-03-20", "2026-03-21", "2026-03-22"]),
                estimated(&sooner, ["2026-03-12", "2026-03-13", "2026-03-14"]),
            ],
            now(),
        )
        .await
        .unwrap();
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_a).await;

    let html = browser.get("/?sort=arrival&limit=2").await.1;
    let at = |name: &str| {
        html.find(name)
            .unwrap_or_else(|| panic!("{name} in {html}"))
    };
    assert!(
        at("Spring restock 6") < at("Spring restock 5"),
        "soonest first"
    );
    assert!(
        !html.contains("Spring restock 7"),
        "no arrival known: the next page"
    );
    assert!(
        html.contains("按预计到达时间排序，最早到达在前"),
        "the caption"
    );
    assert!(
        html.contains("<option value=\"arrival\" selected>最早到达</option>"),
        "the form keeps the sort"
    );
    assert!(
        html.contains("href=\"/shipments.csv?sort=arrival&amp;limit=2\""),
        "the CSV keeps the sort"
    );
    let next = html.split("id=\"next-page\" href=\"").nth(1).unwrap();
    let next = next.split('"').next().unwrap().replace("&amp;", "&");
    assert!(
        next.starts_with("/?sort=arrival&limit=2&cursor=a."),
        "{next}"
    );
    let html = browser.get(&next).await.1;
    assert!(html.contains("Spring restock 7") && !html.contains("Spring restock 6"));

    let (_, csv, _) = browser.get("/shipments.csv?sort=arrival").await;
    let at = |name: &str| csv.find(name).unwrap_or_else(|| panic!("{name} in {csv}"));
    assert!(
        at("Spring restock 6") < at("Spring restock 5")
            && at("Spring restock 5") < at("Spring restock 7")
    );

    let cursor = next.split("cursor=").nth(1).unwrap();
    let html = browser
        .get(&format!("/?sort=oldest&cursor={cursor}"))
        .await
        .1;
    assert!(
        html.contains("以下筛选条件格式不正确，已忽略：cursor") && html.contains("按最早更新排序"),
        "a cursor of another sort starts the page over"
    );
}

#[tokio::test]
async fn the_start_page_shows_each_eta_and_the_most_urgent_next_step() {
    let hub = TestHub::start().await;
    let week = tracklane_core::DeliveryWindow::week_of(jiff::civil::date(2026, 3, 18));
    let mut late = shipment(5, "A1SELLERA", Some("CARRIER_X"), 1);
    late.delivery_window = Some((week, tracklane_core::WindowSource::Seller));
    let late = hub.create(late).await;
    let mut on_time = shipment(6, "A1SELLERA", Some("CARRIER_X"), 1);
    on_time.delivery_window = late.delivery_window;
    let on_time = hub.create(on_time).await;
    let mut late_verdict = estimated(&late, ["2026-03-20", "2026-03-24", "2026-03-28"]);
    let exception = |kind: &str, severity: &str, en: &str, zh: &str| ExceptionDraft {
        kind: kind.into(),
        severity: severity.into(),
        since: now(),
        evidence: "test".into(),
        next_step_en: en.into(),
        next_step_zh: zh.into(),
    };
    late_verdict.exceptions = vec![
        exception(
            "stale_tracking",
            "medium",
            "Ask the carrier for a scan",
            "请承运商补扫",
        ),
        exception(
            "customs_hold",
            "high",
            "Send the broker the invoice",
            "把发票发给报关行",
        ),
        exception("window_at_risk", "high", "Move the window", "调整送达时段"),
    ];
    hub.store()
        .put_assessments(
            vec![
                late_verdict,
                estimated(&on_time, ["2026-03-16", "2026-03-18", "2026-03-21"]),
            ],
            now(),
        )
        .await
        .unwrap();
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let html = browser.get("/").await.1;
    assert!(
        html.contains(r#"<span class="sub eta" title="2026-03-20 – 2026-03-28">ETA <span class="nw">2026-03-24</span> <span class="badge bad">after the window</span></span>"#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<span class="sub eta" title="2026-03-16 – 2026-03-21">ETA <span class="nw">2026-03-18</span></span>"#
        ),
        "inside the window, no badge: {html}"
    );
    assert!(
        html.contains("<strong>Customs hold</strong>: Send the broker the invoice"),
        "the next step of the first opened of the most severe exceptions: {html}"
    );
    assert!(
        html.contains("Add tracking IDs"),
        "a row without exceptions keeps the listing's next step: {html}"
    );
    let html = browser
        .get(&format!("/shipments/{}", late.confirmation_id))
        .await
        .1;
    assert!(
        html.contains(r#"<strong>2026-03-24</strong> (2026-03-20 – 2026-03-28) <span class="badge bad">after the window</span>"#),
        "the summary's ETA too: {html}"
    );
}

#[tokio::test]
async fn the_start_page_links_what_needs_attention_to_the_shipments_counted() {
    let hub = TestHub::start().await;
    let quiet = hub
        .create(shipment(5, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let held = hub
        .create(shipment(6, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &quiet, &[UPS[0]]).await;
    hub.upload(&hub.carrier_x, &held, &[UPS[1]]).await;
    hub.create(shipment(7, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    verdict(&hub, &quiet, &["stale_tracking"]).await;
    verdict(&hub, &held, &["customs_hold"]).await;
    let mut browser = Browser::new(&hub, "en");
    browser.sign_in(&hub.seller_a).await;
    let html = browser.get("/").await.1;
    for chip in [
        r#"<a class="chip" href="/?missing=1">Missing tracking <span class="count">1</span></a>"#,
        r#"<a class="chip" href="/?exception=stale_tracking">Stale tracking <span class="count">1</span></a>"#,
        r#"<a class="chip" href="/?exception=customs_hold">Customs hold <span class="count">1</span></a>"#,
        r#"<a class="chip" href="/?exceptions=1">Any open exception <span class="count">2</span></a>"#,
    ] {
        assert!(html.contains(chip), "{chip} in {html}");
    }
    let html = browser.get("/?exception=customs_hold").await.1;
    assert!(
        html.contains(r#"<a class="chip" href="/?exception=customs_hold" aria-current="true">"#),
        "the chip of the list shown is marked: {html}"
    );
    assert!(html.contains(held.confirmation_id.as_str()), "{html}");
    assert!(
        !html.contains(quiet.confirmation_id.as_str()),
        "only the held shipment is listed: {html}"
    );
    assert!(
        html.contains(r#"href="/shipments.csv?exception=customs_hold""#),
        "the download takes the filter: {html}"
    );
    let html = browser.get("/?exception=late").await.1;
    assert!(
        html.contains("Ignored filters that did not fit: exception"),
        "{html}"
    );

    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_b).await;
    let html = browser.get("/").await.1;
    assert!(
        html.contains("需要处理：</strong> <span class=\"muted\">暂无。</span>"),
        "{html}"
    );
}

#[tokio::test]
async fn tracking_ids_pasted_from_a_spreadsheet_are_saved_and_mistakes_listed_by_line() {
    let hub = TestHub::start().await;
    let first = hub
        .create(shipment(9, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let second = hub
        .create(shipment(10, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_a).await;
    let (status, html, _) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<a id="import" href="/tracking/import">"#),
        "{html}"
    );
    let (status, html, _) = browser.get("/tracking/import").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let csrf = csrf_in(&html);
    // As a spreadsheet copies them: tab-separated, Chinese headers, and
    // the second number with its last digit mistyped.
    let mistyped = format!(
        "{}{}",
        &UPS[1][..17],
        (UPS[1].as_bytes()[17] - b'0' + 1) % 10
    );
    let rows = format!(
        "货件编号\t箱号\t承运商\t追踪编码\n{}\t{}\tUPS\t{}\n{}\t{}\tUPS\t{mistyped}\n",
        first.confirmation_id,
        first.packages[0].box_id,
        UPS[0],
        second.confirmation_id,
        second.packages[0].box_id,
    );
    let (status, html, _) = browser
        .post("/tracking/import", &[("csrf", &csrf), ("rows", &rows)])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("共读取 2 行。已保存：1 个；此前已保存：0 个；未通过：1 行。"),
        "{html}"
    );
    let rejected = &html[html.find(r#"id="import-rejected""#).expect(&html)..];
    assert!(
        rejected.contains(r#"<td class="num" data-label="行号">3</td>"#)
            && rejected.contains("<code>trackingNumber</code>")
            && rejected.contains(UPS[1]),
        "line 3 is refused, naming the column and suggesting the right number: {rejected}"
    );
    assert!(
        html.contains(&mistyped),
        "the rows stay in the box to be fixed: {html}"
    );
    let (_, detail) = hub
        .send(
            reqwest::Method::GET,
            &hub.seller_a,
            &format!("/api/v1/shipments/{}", first.confirmation_id),
            serde_json::json!(null),
        )
        .await;
    assert_eq!(
        detail["packages"][0]["legs"][0]["trackingNumber"], UPS[0],
        "the good row is saved: {detail}"
    );
    assert_eq!(detail["packages"][0]["legs"][0]["source"], "IMPORT");

    let (status, html, _) = browser
        .post("/tracking/import", &[("csrf", &csrf), ("rows", "  ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请先粘贴表格内容或选择 CSV 文件"), "{html}");
    let (status, html, _) = browser
        .post(
            "/tracking/import",
            &[
                ("csrf", &csrf),
                ("rows", "shipment,box\nFBA1,FBA1U000001\n"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("表头缺少"),
        "a file that cannot be read says why: {html}"
    );
    let (status, _, _) = browser
        .post("/tracking/import", &[("csrf", "forged"), ("rows", &rows)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged form is refused");

    let mut carrier = Browser::new(&hub, "en");
    carrier.sign_in(&hub.carrier_x).await;
    let (status, html, _) = carrier.get("/tracking/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("carrier API"), "{html}");
}

#[tokio::test]
async fn the_start_page_is_stable() {
    let hub = TestHub::start().await;
    hub.create(shipment(7, "A1SELLERA", Some("CARRIER_X"), 2))
        .await;
    let tracked = hub
        .create(shipment(8, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &tracked, &[UPS[2]]).await;
    let mut browser = Browser::new(&hub, "zh-CN");
    browser.sign_in(&hub.seller_a).await;
    let html = browser.get("/").await.1;
    insta::assert_snapshot!("start_page_zh", html);
}

#[tokio::test]
async fn the_public_tracking_page_shows_the_parcel_not_the_seller() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(9, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &[UPS[3]]).await;
    let (status, _) = hub
        .send(
            reqwest::Method::POST,
            &hub.carrier_x,
            "/api/v1/carrier/milestones",
            serde_json::json!({ "milestones": [milestone(UPS[3], "PICKED_UP", "2026-03-09T08:00:00Z")] }),
        )
        .await;
    assert_eq!(status, 200);
    let buyer = Browser::new(&hub, "en");
    let (status, html, _) = buyer.get(&format!("/track/{}", UPS[3])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Carriers of every leg")
            && html.contains("CARRIER_X Logistics")
            && html.contains("Picked up"),
        "{html}"
    );
    assert!(
        !html.contains("A1SELLERA") && !html.contains("Anko"),
        "nothing about the seller"
    );
    assert!(html.contains("No estimate yet."), "{html}");
    hub.store()
        .put_assessments(
            vec![estimated(&s, ["2026-03-11", "2026-03-12", "2026-03-14"])],
            now(),
        )
        .await
        .unwrap();
    let (_, html, _) = buyer.get(&format!("/track/{}", UPS[3])).await;
    assert!(
        html.contains(r#"<p id="eta"><strong>2026-03-12</strong> (2026-03-11 – 2026-03-14)</p>"#),
        "the engine's estimate: {html}"
    );
    let (status, html, _) = buyer.get("/track/1Z999AA10123456785").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains(UPS[0]), "a mistyped number gets its fix");
}
