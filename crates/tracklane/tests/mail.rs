//! E-mail end to end: `mailto:` subscriptions through the API and the page,
//! refused on a hub that sends no e-mail, and deliveries sent by the real
//! sender through a real SMTP conversation on loopback (`support::smtp`),
//! retried on the webhooks' schedule with the server's answer listed; over
//! TLS from the start or after STARTTLS, with AUTH as the URL's user.

use serde_json::{Value, json};
use tracklane::mail::Mailer;
use tracklane::webhooks::Sender;
use tracklane_core::{SellerId, Shipment};
use tracklane_store::{Assessment, ExceptionDraft, Principal};

use crate::support::smtp::SmtpServer;
use crate::support::tls::TestCa;
use crate::support::{TestHub, now, shipment};
use crate::webhooks::{at, attempt_minutes, minutes, move_window, problem};

/// The sender of every test hub's e-mail.
const FROM: &str = "tracklane <hub@tracklane.test>";

/// A hub that sends e-mail, as `serve --smtp-url … --mail-from FROM` runs.
async fn mail_hub() -> TestHub {
    TestHub::start_with(|state| state.with_mail_from(FROM)).await
}

/// The hub's delivery sender, e-mailing through the SMTP server at `smtp_url`.
fn sender(hub: &TestHub, smtp_url: &str) -> Sender {
    Sender::new(reqwest::Client::builder(), &hub.running.url())
        .unwrap()
        .with_mailer(Mailer::new(smtp_url, FROM, None).unwrap())
}

/// The hub's delivery sender through `smtp_url`, trusting `ca` as
/// `--ca-file` makes it.
fn sender_trusting(hub: &TestHub, smtp_url: &str, ca: &TestCa) -> Sender {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    Sender::new(reqwest::Client::builder(), &hub.running.url())
        .unwrap()
        .with_mailer(Mailer::new(smtp_url, FROM, Some(&ca_file)).unwrap())
}

/// POSTs a subscription to `url` for `events` with `key`, answers in `lang`.
async fn subscribe(
    hub: &TestHub,
    key: &str,
    url: &str,
    events: &[&str],
    lang: &str,
) -> (u16, Value) {
    let r = hub
        .client
        .post(hub.url("/api/v1/webhooks"))
        .bearer_auth(key)
        .header("accept-language", lang)
        .json(&json!({ "url": url, "events": events }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Subscribes seller A's `url` to `events`; returns the subscription's id.
async fn subscribed(hub: &TestHub, url: &str, events: &[&str]) -> String {
    let (status, created) = subscribe(hub, &hub.seller_a, url, events, "en").await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn deliveries(hub: &TestHub, id: &str) -> Vec<Value> {
    let (status, body) = hub
        .get(&hub.seller_a, &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

/// A signed-in page session of seller A: its cookie and CSRF token.
async fn page_session(hub: &TestHub) -> (String, String) {
    let owner = Principal::Seller(SellerId::parse("A1SELLERA").unwrap());
    let token = tracklane_server::start_session(&hub.running.state, owner)
        .await
        .unwrap();
    let cookie = format!("tl_session={token}");
    let html = get_page(hub, &cookie, "/webhooks", "en").await;
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF token") + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    (cookie, csrf)
}

/// The HTML of page `path` for the session of `cookie`, in `lang`.
async fn get_page(hub: &TestHub, cookie: &str, path: &str, lang: &str) -> String {
    let r = hub
        .client
        .get(hub.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Posts the subscription form with `url` for exception events; the status
/// and the page answered, in `lang`.
async fn post_form(
    hub: &TestHub,
    session: &(String, String),
    url: &str,
    lang: &str,
) -> (u16, String) {
    let r = hub
        .client
        .post(hub.url("/webhooks"))
        .header(reqwest::header::COOKIE, &session.0)
        .header("accept-language", lang)
        .form(&[
            ("csrf", session.1.as_str()),
            ("url", url),
            ("events", "EXCEPTION_OPENED"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The engine holds `s` at customs: an exception opens.
async fn hold_at_customs(hub: &TestHub, s: &Shipment) {
    let hold = ExceptionDraft {
        kind: "customs_hold".into(),
        severity: "high".into(),
        since: now(),
        evidence: "CUSTOMS_HOLD at Los Angeles".into(),
        next_step_en: "Send the broker the invoice.".into(),
        next_step_zh: "把发票发给报关行。".into(),
    };
    let verdict = Assessment {
        shipment: s.id.clone(),
        estimate: None,
        exceptions: vec![hold],
        handled: Vec::new(),
    };
    hub.store()
        .put_assessments(vec![verdict], now())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_exception_reaches_the_mailbox_in_chinese_then_english_and_a_resend_keeps_its_id() {
    let smtp = SmtpServer::start().await;
    let hub = mail_hub().await;
    let (status, created) = subscribe(
        &hub,
        &hub.seller_a,
        " MAILTO:seller@example.com ",
        &["EXCEPTION_OPENED"],
        "en",
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["url"], "mailto:seller@example.com");
    assert!(
        created["secret"].as_str().unwrap().starts_with("whsec_"),
        "the API's shape is kept: {created}"
    );
    let id = created["id"].as_str().unwrap();
    let s = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hold_at_customs(&hub, &s).await;

    let sender = sender(&hub, &smtp.url());
    let report = sender.send_due(&hub.running.state).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0), "{report:?}");
    let got = smtp.got();
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.mail_from, "hub@tracklane.test");
    assert_eq!(mail.rcpt_to, ["seller@example.com"]);
    let header = |name: &str| mail.header(name).unwrap_or_default();
    assert_eq!(header("From"), FROM);
    assert_eq!(header("To"), "seller@example.com");
    let reference = s.confirmation_id.to_string();
    assert_eq!(
        header("Subject"),
        format!("[tracklane] 海关扣留 Customs hold · {reference}")
    );
    assert_eq!(header("Date"), "Tue, 10 Mar 2026 00:00:00 +0000");
    let listed = deliveries(&hub, id).await;
    let delivery = listed[0]["id"].as_i64().unwrap();
    let message_id = format!("<{id}-{delivery}@tracklane.test>");
    assert_eq!(header("Message-ID"), message_id);
    assert_eq!(header("Auto-Submitted"), "auto-generated");
    assert_eq!(header("X-Tracklane-Event"), "EXCEPTION_OPENED");
    assert_eq!(header("X-Tracklane-Delivery"), format!("{id}-{delivery}"));
    assert!(
        header("Content-Type").starts_with("text/plain; charset=utf-8"),
        "{}",
        header("Content-Type")
    );

    let text = mail.text();
    let link = format!("{}/shipments/{reference}", hub.running.url());
    let zh = text.find("下一步：把发票发给报关行。").expect(&text);
    let en = text
        .find("Next step: Send the broker the invoice.")
        .expect(&text);
    assert!(zh < en, "Chinese first: {text}");
    for line in [
        format!("货件 {reference}「Spring restock 1」出现异常：海关扣留"),
        "严重程度：高".to_owned(),
        format!("Shipment {reference} \"Spring restock 1\" has an exception: Customs hold"),
        "Severity: high".to_owned(),
        "Evidence: CUSTOMS_HOLD at Los Angeles".to_owned(),
        format!("货件页面：{link}"),
        format!("Shipment page: {link}"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
    assert_eq!(
        (&listed[0]["state"], &listed[0]["lastStatus"]),
        (&json!("DELIVERED"), &json!(250)),
        "accepted with the SMTP server's 250: {listed:?}"
    );

    // Resent, it is the same message to a mail program: the same Message-ID.
    let (status, body) = hub
        .send(
            reqwest::Method::POST,
            &hub.seller_a,
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery}/resend"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let report = sender.send_due(&hub.running.state).await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let got = smtp.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("Message-ID").unwrap(), message_id);
    assert_eq!(got[1].text(), text);
}

#[tokio::test]
async fn a_mailbox_answering_550_is_retried_on_the_schedule_then_switched_off() {
    let smtp = SmtpServer::start().await;
    smtp.refuse_recipients("550 5.1.1 mailbox unavailable");
    let hub = mail_hub().await;
    let id = subscribed(
        &hub,
        "mailto:gone@example.com",
        &["DELIVERY_WINDOW_CHANGED"],
    )
    .await;
    let s = hub
        .create(shipment(2, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    move_window(&hub, &s, "2026-03-22", "2026-03-28").await;
    let sender = sender(&hub, &smtp.url());

    let minutes_at = attempt_minutes();
    for (attempt, &m) in minutes_at.iter().enumerate() {
        if attempt > 0 {
            // Not due a minute early.
            let early = sender.send_due(&at(&hub, minutes(m - 1))).await.unwrap();
            assert_eq!(
                early.retrying + early.given_up,
                0,
                "before attempt {attempt}"
            );
        }
        let round = sender.send_due(&at(&hub, minutes(m))).await.unwrap();
        let is_last = attempt + 1 == minutes_at.len();
        assert_eq!(
            (round.retrying, round.given_up, round.switched_off),
            if is_last { (0, 1, 1) } else { (1, 0, 0) },
            "attempt {attempt} at minute {m}"
        );
        let listed = deliveries(&hub, &id).await;
        assert_eq!(
            (
                &listed[0]["attempts"],
                &listed[0]["lastStatus"],
                &listed[0]["lastError"]
            ),
            (
                &json!(attempt + 1),
                &json!(550),
                &json!("the mail server answered 550 5.1.1 mailbox unavailable")
            ),
            "{listed:?}"
        );
        if attempt == 0 {
            assert_eq!(listed[0]["nextAttemptAt"], json!(minutes(1)));
        }
    }
    assert_eq!(smtp.refused(), 8);
    assert!(smtp.got().is_empty());
    let (_, body) = hub.get(&hub.seller_a, "/api/v1/webhooks").await;
    let webhook = &body["webhooks"][0];
    assert!(webhook["disabledAt"].is_string(), "{webhook}");
    let reason = webhook["disabledReason"].as_str().unwrap();
    assert!(
        reason.starts_with("all 8 attempts") && reason.ends_with("550 5.1.1 mailbox unavailable"),
        "{reason}"
    );
    assert_eq!(deliveries(&hub, &id).await[0]["state"], "FAILED");
}

#[tokio::test]
async fn a_message_refused_at_its_data_is_sent_again_when_due_and_accepted() {
    let smtp = SmtpServer::start().await;
    smtp.refuse_data("451 4.3.0 try again later");
    let hub = mail_hub().await;
    let id = subscribed(
        &hub,
        "mailto:seller@example.com",
        &["DELIVERY_WINDOW_CHANGED"],
    )
    .await;
    let s = hub
        .create(shipment(3, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    move_window(&hub, &s, "2026-03-22", "2026-03-28").await;
    let sender = sender(&hub, &smtp.url());
    let first = sender.send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((first.delivered, first.retrying), (0, 1));
    let listed = deliveries(&hub, &id).await;
    assert_eq!(
        (&listed[0]["lastStatus"], &listed[0]["lastError"]),
        (
            &json!(451),
            &json!("the mail server answered 451 4.3.0 try again later")
        )
    );
    smtp.accept();
    let second = sender.send_due(&at(&hub, minutes(1))).await.unwrap();
    assert_eq!((second.delivered, second.retrying), (1, 0));
    let got = smtp.got();
    assert_eq!(got.len(), 1);
    let reference = s.confirmation_id.to_string();
    assert_eq!(
        got[0].header("Subject").unwrap(),
        format!("[tracklane] 送达时段已设定 Window set → 03-22–03-28 · {reference}")
    );
    assert!(
        got[0]
            .text()
            .contains("的送达时段已设为：2026-03-22 至 2026-03-28"),
        "{}",
        got[0].text()
    );
    let listed = deliveries(&hub, &id).await;
    assert_eq!(
        (&listed[0]["state"], &listed[0]["attempts"]),
        (&json!("DELIVERED"), &json!(2))
    );
}

#[tokio::test]
async fn a_hub_without_smtp_refuses_mailto_in_both_languages_and_says_so_when_sending() {
    let hub = TestHub::start().await;
    for (lang, words) in [
        (
            "en",
            "this hub sends no e-mail: its operator starts it with --smtp-url",
        ),
        (
            "zh-CN",
            "此 tracklane 不发送邮件：需由其运维方使用 --smtp-url 启动",
        ),
    ] {
        let (status, body) = subscribe(
            &hub,
            &hub.seller_a,
            "mailto:seller@example.com",
            &["EXCEPTION_OPENED"],
            lang,
        )
        .await;
        let (code, field, message) = problem(&body);
        assert_eq!(
            (status, code, field),
            (400, "webhook.no_mail", "url"),
            "{body}"
        );
        assert!(message.contains(words), "{message}");
    }
    // The page's form says so too, before and after.
    let session = page_session(&hub).await;
    let html = get_page(&hub, &session.0, "/webhooks", "en").await;
    assert!(html.contains("(this hub sends no e-mail yet)"), "{html}");
    let (status, html) = post_form(&hub, &session, "mailto:seller@example.com", "zh-CN").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("此 tracklane 不发送邮件")
            && html.contains("value=\"mailto:seller@example.com\""),
        "{html}"
    );
    assert!(
        hub.store()
            .webhooks(&Principal::Seller(SellerId::parse("A1SELLERA").unwrap()))
            .await
            .unwrap()
            .is_empty()
    );

    // A subscription made while the hub sent e-mail, sent by a hub that no
    // longer does: each attempt fails, saying why.
    let hub = mail_hub().await;
    let id = subscribed(&hub, "mailto:seller@example.com", &["EXCEPTION_OPENED"]).await;
    let s = hub
        .create(shipment(4, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hold_at_customs(&hub, &s).await;
    let report = hub.send_webhooks().await;
    assert_eq!(report.retrying, 1, "{report:?}");
    assert_eq!(
        deliveries(&hub, &id).await[0]["lastError"],
        "this hub sends no e-mail: its operator starts it with --smtp-url"
    );
}

#[tokio::test]
async fn a_bad_address_is_refused_naming_url_and_the_fix_in_both_languages() {
    let hub = mail_hub().await;
    for (url, lang, words) in [
        (
            "mailto:seller.example.com",
            "en",
            "is not an e-mail address",
        ),
        ("mailto:seller.example.com", "zh-CN", "不是有效的邮箱地址"),
        (
            "mailto:a@example.com,b@example.com",
            "en",
            "give exactly one",
        ),
        (
            "mailto:a@example.com?subject=hi",
            "zh-CN",
            "请只填写邮箱地址",
        ),
        ("mailto:", "en", "mailto:you@example.com"),
    ] {
        let (status, body) = subscribe(&hub, &hub.seller_a, url, &["EXCEPTION_OPENED"], lang).await;
        let (code, field, message) = problem(&body);
        assert_eq!(
            (status, code, field),
            (400, "webhook.invalid", "url"),
            "{url}: {body}"
        );
        assert!(message.contains(words), "{url} in {lang}: {message}");
    }
}

#[tokio::test]
async fn the_webhooks_form_takes_a_mailto_address_and_says_mail_is_not_signed() {
    let hub = mail_hub().await;
    let session = page_session(&hub).await;
    let html = get_page(&hub, &session.0, "/webhooks", "en").await;
    let input_at = html.find("id=\"webhook-url\"").expect("the URL field");
    let input = &html[input_at..input_at + html[input_at..].find('>').unwrap()];
    assert!(input.contains("type=\"text\""), "{input}");
    assert!(
        html.contains("an https:// URL, or mailto:you@example.com for e-mail")
            && html.contains("from tracklane &lt;hub@tracklane.test&gt;"),
        "the hint and the sender: {html}"
    );
    assert!(
        get_page(&hub, &session.0, "/webhooks", "zh-CN")
            .await
            .contains("填写 https:// 地址，或填写 mailto:you@example.com 以接收邮件")
    );

    let (status, html) = post_form(&hub, &session, "mailto:seller@example.com", "en").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"mail-unsigned\"")
            && html.contains("E-mails are not signed")
            && !html.contains("webhook-secret"),
        "no secret to keep: {html}"
    );
    assert!(html.contains("mailto:seller@example.com"), "listed: {html}");
    let owner = Principal::Seller(SellerId::parse("A1SELLERA").unwrap());
    let held = hub.store().webhooks(&owner).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].url, "mailto:seller@example.com");

    // A bad address is shown next to the field, with what was typed.
    let (status, html) = post_form(&hub, &session, "mailto:seller", "zh-CN").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("url `mailto:seller` 不是有效的邮箱地址")
            && html.contains("value=\"mailto:seller\""),
        "{html}"
    );
}

#[tokio::test]
async fn smtps_is_reached_when_its_authority_is_trusted_and_only_then() {
    let ca = TestCa::new();
    let smtp = SmtpServer::start_tls(ca.server(&["localhost"])).await;
    let hub = mail_hub().await;
    let id = subscribed(&hub, "mailto:seller@example.com", &["EXCEPTION_OPENED"]).await;
    let s = hub
        .create(shipment(5, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hold_at_customs(&hub, &s).await;

    let untrusting = sender(&hub, &smtp.url());
    let report = untrusting.send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1));
    let error = deliveries(&hub, &id).await[0]["lastError"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("UnknownIssuer"), "{error}");

    let trusting = sender_trusting(&hub, &smtp.url(), &ca);
    let report = trusting.send_due(&at(&hub, minutes(1))).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0), "{report:?}");
    assert_eq!(smtp.got().len(), 1);
}

/// The user and password of the STARTTLS tests, as a mail service has them:
/// the user an address, the password holding a colon.
const USER: &str = "hub@tracklane.test";
const PASSWORD: &str = "pass:word";

/// `smtp://USER:password@localhost:PORT?tls=…`, the `@` and `:` in the user
/// and `password` percent-encoded as an operator writes them.
fn login_url(smtp: &SmtpServer, password: &str, tls: &str) -> String {
    let encode = |s: &str| s.replace('@', "%40").replace(':', "%3A");
    format!(
        "smtp://{}:{}@localhost:{}?tls={tls}",
        encode(USER),
        encode(password),
        smtp.port()
    )
}

/// A port-587 relay: STARTTLS with a certificate from `ca`, then AUTH as
/// [`USER`] with [`PASSWORD`].
async fn relay(ca: &TestCa) -> SmtpServer {
    SmtpServer::setup()
        .starttls(ca.server(&["localhost"]))
        .login(USER, PASSWORD)
        .start()
        .await
}

/// A hub with seller A subscribed by e-mail to exceptions, and one due.
async fn hub_with_an_exception_to_mail(number: u64) -> (TestHub, String) {
    let hub = mail_hub().await;
    let id = subscribed(&hub, "mailto:seller@example.com", &["EXCEPTION_OPENED"]).await;
    let s = hub
        .create(shipment(number, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hold_at_customs(&hub, &s).await;
    (hub, id)
}

#[tokio::test]
async fn tls_required_upgrades_with_starttls_then_authenticates_as_the_urls_user() {
    let ca = TestCa::new();
    let smtp = relay(&ca).await;
    let (hub, id) = hub_with_an_exception_to_mail(6).await;

    let sender = sender_trusting(&hub, &login_url(&smtp, PASSWORD, "required"), &ca);
    let report = sender.send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0), "{report:?}");
    let got = smtp.got();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].tls, got[0].user.as_deref()),
        (true, Some(USER)),
        "over TLS, as the URL's user"
    );
    assert_eq!(got[0].mail_from, "hub@tracklane.test");
    assert_eq!(got[0].rcpt_to, ["seller@example.com"]);
    // The password went over TLS: AUTH only after STARTTLS.
    let commands = smtp.commands();
    let first = |verb: &str| commands.iter().position(|c| c == verb);
    assert!(
        first("STARTTLS").is_some() && first("STARTTLS") < first("AUTH"),
        "{commands:?}"
    );
    let listed = deliveries(&hub, &id).await;
    assert_eq!(
        (&listed[0]["state"], &listed[0]["lastStatus"]),
        (&json!("DELIVERED"), &json!(250)),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_attempt_listing_the_servers_535() {
    let ca = TestCa::new();
    let smtp = relay(&ca).await;
    let (hub, id) = hub_with_an_exception_to_mail(7).await;

    let sender = sender_trusting(&hub, &login_url(&smtp, "pass:wrong", "required"), &ca);
    let report = sender.send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1), "{report:?}");
    let listed = deliveries(&hub, &id).await;
    assert_eq!(
        (
            &listed[0]["attempts"],
            &listed[0]["lastStatus"],
            &listed[0]["lastError"]
        ),
        (
            &json!(1),
            &json!(535),
            &json!("the mail server answered 535 5.7.8 Authentication credentials invalid")
        ),
        "{listed:?}"
    );
    assert!(smtp.got().is_empty());
    let commands = smtp.commands();
    assert!(
        commands.contains(&"AUTH".to_owned()) && !commands.contains(&"MAIL".to_owned()),
        "refused at AUTH, before any message: {commands:?}"
    );
}

#[tokio::test]
async fn tls_required_refuses_a_server_without_starttls_before_sending_anything() {
    // It takes AUTH in the clear, and would take the message after it.
    let smtp = SmtpServer::setup().login(USER, PASSWORD).start().await;
    let (hub, id) = hub_with_an_exception_to_mail(8).await;

    let report = sender(&hub, &login_url(&smtp, PASSWORD, "required"))
        .send_due(&at(&hub, now()))
        .await
        .unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1), "{report:?}");
    let commands = smtp.commands();
    assert_eq!(
        commands,
        ["EHLO"],
        "neither the password nor the message in the clear"
    );
    assert!(smtp.got().is_empty());
    let listed = deliveries(&hub, &id).await;
    assert_eq!(listed[0]["lastStatus"], Value::Null, "{listed:?}");
    let error = listed[0]["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("the mail server does not offer what --smtp-url asks for: ")
            && error.contains("STARTTLS"),
        "{error}"
    );
}

#[tokio::test]
async fn tls_opportunistic_upgrades_when_offered_and_sends_in_the_clear_when_not() {
    let plain = SmtpServer::start().await;
    let (hub, _) = hub_with_an_exception_to_mail(9).await;
    let url = format!("smtp://localhost:{}?tls=opportunistic", plain.port());
    let report = sender(&hub, &url).send_due(&at(&hub, now())).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0), "{report:?}");
    let got = plain.got();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].tls, got[0].user.as_deref()), (false, None));
    assert!(!plain.commands().contains(&"STARTTLS".to_owned()));

    let ca = TestCa::new();
    let offering = SmtpServer::setup()
        .starttls(ca.server(&["localhost"]))
        .start()
        .await;
    let (hub, _) = hub_with_an_exception_to_mail(10).await;
    let url = format!("smtp://localhost:{}?tls=opportunistic", offering.port());
    let report = sender_trusting(&hub, &url, &ca)
        .send_due(&at(&hub, now()))
        .await
        .unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 0), "{report:?}");
    let got = offering.got();
    assert_eq!((got.len(), got[0].tls), (1, true));
}
