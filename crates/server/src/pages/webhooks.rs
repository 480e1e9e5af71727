//! Webhooks (Webhook 通知): the signed-in principal's subscriptions with what
//! became of each one's newest deliveries, a form to add one (its signing
//! secret is shown once, on the page that answers the form), a button to
//! delete one, and one to switch a switched-off one back on, with a checkbox
//! to resend the deliveries it missed. It is the integration engineer's view
//! of "what happened to my webhook"; the same subscriptions are served as JSON
//! under `/api/v1/webhooks`, whose checks this page reuses. A subscription to
//! `mailto:ADDRESS` is told by e-mail instead, on a hub that sends e-mail; the
//! page says so, and that e-mails are not signed.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use tracklane_core::Problem;
use tracklane_store::{Delivery, DeliveryState, EventKind, Resend, Session, StoreError, Webhook};

use super::layout::{self, Nav};
use super::session::{CsrfOnly, check_csrf};
use super::{Ctx, PageError, PageResult, html as respond, i18n, when};
use crate::AppState;
use crate::api::webhooks::{WEBHOOKS_PER_OWNER_MAX, check_events, check_receiver, new_webhook};
use crate::error::Lang;
use crate::webhooks::notification_id;

/// Deliveries shown per subscription, newest first.
const DELIVERIES_SHOWN: usize = 10;

/// What the subscription form shows: what was typed and, after a refused
/// post, why, next to the field at fault.
struct FormState {
    url: String,
    /// The wire names of the checked event kinds.
    events: Vec<String>,
    url_error: Option<String>,
    events_error: Option<String>,
}

impl Default for FormState {
    /// An empty URL and every event kind checked.
    fn default() -> Self {
        Self {
            url: String::new(),
            events: EventKind::ALL
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            url_error: None,
            events_error: None,
        }
    }
}

impl FormState {
    fn is_checked(&self, kind: EventKind) -> bool {
        self.events.iter().any(|e| e == kind.as_str())
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Flash {
    #[serde(default)]
    saved: String,
    /// How many failed deliveries switching a subscription on queued again.
    resent: Option<usize>,
}

fn flash_text(lang: Lang, flash: &Flash) -> Option<String> {
    let (en, zh) = match flash.saved.as_str() {
        "deleted" => (
            "Subscription deleted, with its pending deliveries.",
            "订阅已删除，其待投递的通知也已一并删除。",
        ),
        "enabled" => (
            "Subscription switched back on: changes from now on are delivered again.",
            "订阅已重新启用：此后的变化将再次投递。",
        ),
        "resent" => (
            "Delivery queued again, with its notification id unchanged: it is sent within a few seconds.",
            "投递已重新排队，通知编号不变：几秒内即会发送。",
        ),
        "pending" => (
            "That delivery is still waiting to be sent: it was left as it is.",
            "该投递仍在等待发送，未作改动。",
        ),
        "off" => (
            "That subscription is switched off: switch it back on first, with the box to resend what failed.",
            "该订阅已停用：请先重新启用，并勾选重新发送失败投递的复选框。",
        ),
        _ => return None,
    };
    let text = lang.t(en, zh);
    Some(match flash.resent {
        Some(resent) if resent > 0 && flash.saved == "enabled" => {
            let failed = i18n::failed_deliveries(lang, resent);
            lang.t(
                &format!("{text} Queued again: {failed}."),
                &format!("{text}已重新排队发送 {failed}。"),
            )
            .to_owned()
        }
        _ => text.to_owned(),
    })
}

/// `GET /webhooks`
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(flash): Query<Flash>,
) -> PageResult {
    let session = ctx.require()?;
    render(
        &state,
        &ctx,
        session,
        &flash,
        None,
        &FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// Reads the page's data and renders it with `status`.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    session: &Session,
    flash: &Flash,
    created: Option<&Webhook>,
    form: &FormState,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let err = |e| PageError::store(lang, e).into_response();
    let owner = &session.principal;
    let webhooks = state.store.webhooks(owner).await.map_err(err)?;
    // At most WEBHOOKS_PER_OWNER_MAX subscriptions, so this is a bounded
    // number of small reads.
    let mut deliveries = Vec::with_capacity(webhooks.len());
    for webhook in &webhooks {
        let found = match state
            .store
            .deliveries(owner, &webhook.id, DELIVERIES_SHOWN)
            .await
        {
            // Deleted by another tab between the two reads: nothing to show.
            Err(StoreError::NotFound { .. }) => Vec::new(),
            other => other.map_err(err)?,
        };
        deliveries.push(found);
    }
    // What the switch-on form offers to resend, for switched-off ones only.
    let mut failed_kept = Vec::with_capacity(webhooks.len());
    for webhook in &webhooks {
        let count = if webhook.disabled_at.is_none() {
            0
        } else {
            match state
                .store
                .failed_deliveries_kept(owner, &webhook.id, state.clock.now())
                .await
            {
                Err(StoreError::NotFound { .. }) => 0,
                other => other.map_err(err)?,
            }
        };
        failed_kept.push(count);
    }
    let body = html! {
        h1 { (lang.t("Webhooks", "Webhook 通知")) }
        p.muted { (lang.t(
            "tracklane posts events about the shipments you may see to your URL, each signed with the subscription's secret. Pending deliveries are retried for about 45 hours; delivered ones are listed for a week. A subscription whose receiver fails every attempt for those 45 hours is switched off until you switch it back on.",
            "tracklane 会把您可查看货件的事件 POST 到您的地址，每次投递都用该订阅的密钥签名。未成功的投递会在约 45 小时内重试；已投递的记录保留一周。若接收端在这 45 小时内每次都失败，订阅将被停用，直到您重新启用。")) }
        @if let Some(from) = state.mail_from.as_deref() { p.muted #mail-note { (mail_note(lang, from)) } }
        @if let Some(text) = flash_text(lang, flash) { p.notice.ok role="status" #flash { (text) } }
        @if let Some(webhook) = created {
            @match crate::mail::recipient(&webhook.url) {
                Some(address) => (mail_added(lang, address, state.mail_from.as_deref())),
                None => (secret_once(lang, webhook)),
            }
        }
        (subscriptions(lang, session, &webhooks, &failed_kept))
        (new_subscription_form(lang, session, webhooks.len(), form, state.mail_from.is_some()))
        (recent_deliveries(lang, session, &webhooks, &deliveries))
    };
    let mut response = (
        status,
        respond(layout::page(
            ctx,
            lang.t("Webhooks", "Webhook 通知"),
            Nav::Webhooks,
            body,
        )),
    )
        .into_response();
    if created.is_some() {
        // The secret is on this page and nowhere else: keep it out of caches.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// What the page says of e-mail on a hub that sends it from `from` (on
/// another, the URL field's hint says it sends none).
fn mail_note(lang: Lang, from: &str) -> String {
    if lang.is_zh() {
        format!(
            "如需通过邮件接收通知，请订阅 mailto:you@example.com：每个事件会由 {from} 发送一封简短的中英文邮件，附货件链接。邮件不带签名，适合人工阅读；程序对接请使用带签名的 Webhook。"
        )
    } else {
        format!(
            "To be told by e-mail instead, subscribe mailto:you@example.com: each event comes as a short message in Chinese and English from {from}, with a link to the shipment. E-mails are not signed: they are for people; programs should take the signed webhooks."
        )
    }
}

/// The notice for a subscription just added that is told by e-mail: no
/// secret, since e-mails are not signed.
fn mail_added(lang: Lang, address: &str, from: Option<&str>) -> Markup {
    html! {
        section.notice.ok #webhook-created role="status" aria-labelledby="h-mail-added" {
            h2 #h-mail-added { (lang.t("Subscription added", "订阅已添加")) }
            p { (lang.t("Events are e-mailed to ", "事件将通过邮件发送至 ")) span.id.wrap { (address) } @if let Some(from) = from { (lang.t(", from ", "，发件人为 ")) span.id.wrap { (from) } } (lang.t(".", "。")) }
            p #mail-unsigned { (lang.t(
                "E-mails are not signed, so there is no secret to keep. Each message's Message-ID holds its notification id, shown under the delivery's time below.",
                "邮件不带签名，因此无需保存密钥。每封邮件的 Message-ID 含有其通知编号，与下方投递记录时间下所示的编号一致。")) }
        }
    }
}

fn secret_once(lang: Lang, webhook: &Webhook) -> Markup {
    html! {
        section.notice.ok #webhook-created role="status" aria-labelledby="h-secret" {
            h2 #h-secret { (lang.t("Subscription added", "订阅已添加")) }
            p { (lang.t("Deliveries to ", "投递地址 ")) span.id.wrap { (webhook.url) } (lang.t(" are signed with this secret:", " 的通知将使用以下密钥签名：")) }
            p { code.id.secret #webhook-secret { (webhook.secret) } }
            p { (lang.t(
                "It is shown only this once: copy it now. Use it to verify the x-tracklane-signature header of each delivery, an HMAC-SHA256 over <t>.<body>; docs/webhooks.md gives the details.",
                "密钥仅显示这一次，请立即复制。请用它校验每次投递的 x-tracklane-signature 请求头，即对 <t>.<body> 计算的 HMAC-SHA256；详见 docs/webhooks.md。")) }
        }
    }
}

/// The subscriptions table; `failed_kept[i]` is how many failed deliveries
/// switching `webhooks[i]` back on can resend.
fn subscriptions(
    lang: Lang,
    session: &Session,
    webhooks: &[Webhook],
    failed_kept: &[usize],
) -> Markup {
    html! {
        section aria-labelledby="h-subscriptions" {
            h2 #h-subscriptions { (lang.t("Your subscriptions", "我的订阅")) }
            @if webhooks.is_empty() {
                p.muted #no-webhooks { (lang.t("No subscriptions yet. Add one below.", "暂无订阅，请在下方添加。")) }
            } @else {
                table.rows #webhooks {
                    thead { tr {
                        th scope="col" { (lang.t("URL", "接收地址 (URL)")) }
                        th scope="col" { (lang.t("Events", "事件类型")) }
                        th scope="col" { (lang.t("Created", "创建时间")) }
                        th scope="col" { span.muted { (lang.t("Actions", "操作")) } }
                    } }
                    tbody {
                        @for (w, failed) in webhooks.iter().zip(failed_kept) {
                            tr #{ "webhook-" (w.id) } {
                                // One element per cell: on a phone each cell of
                                // `table.rows` is a label column and a value column.
                                td data-label=(lang.t("URL", "接收地址")) {
                                    div { span.id.wrap { (w.url) } span.sub.id { (w.id) } }
                                }
                                td data-label=(lang.t("Events", "事件类型")) {
                                    div { @for kind in &w.events { span.id.wrap.sub title=(i18n::event_kind(lang, *kind)) { (kind.as_str()) } } }
                                }
                                td data-label=(lang.t("Created", "创建时间")) {
                                    div {
                                        (when(w.created_at))
                                        @if let Some(at) = w.disabled_at {
                                            span.badge.bad.switched-off { (lang.t("Switched off", "已停用")) }
                                            span.sub.wrap { (when(at)) ": " (w.disabled_reason.as_deref().unwrap_or_default()) }
                                        }
                                    }
                                }
                                td data-label=(lang.t("Actions", "操作")) {
                                    div.row-actions {
                                        @if w.disabled_at.is_some() {
                                            (switch_on_form(lang, session, w, *failed))
                                        }
                                        a href={ "#deliveries-" (w.id) } { (lang.t("Deliveries", "投递记录")) }
                                        form method="post" action={ "/webhooks/" (w.id) "/delete" } {
                                            input type="hidden" name="csrf" value=(session.csrf);
                                            button.secondary type="submit" aria-label={ (lang.t("Delete the subscription to ", "删除订阅 ")) (w.url) } {
                                                (lang.t("Delete", "删除"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The button that switches `webhook` back on, with a checkbox to resend
/// its `failed` deliveries still kept, when there are some. Left unchecked,
/// it does what it did before the checkbox: nothing missed is resent.
fn switch_on_form(lang: Lang, session: &Session, webhook: &Webhook, failed: usize) -> Markup {
    let resend_id = format!("resend-failed-{}", webhook.id);
    html! {
        form.switch-on method="post" action={ "/webhooks/" (webhook.id) "/enable" } {
            input type="hidden" name="csrf" value=(session.csrf);
            @if failed > 0 {
                label.check for=(resend_id) {
                    input id=(resend_id) type="checkbox" name="resend_failed" value="yes";
                    span { (lang.t("also resend the ", "同时重新发送 ")) (i18n::failed_deliveries(lang, failed)) }
                }
            }
            button type="submit" aria-label={ (lang.t("Switch back on the subscription to ", "重新启用订阅 ")) (webhook.url) } {
                (lang.t("Switch on", "重新启用"))
            }
        }
    }
}

fn new_subscription_form(
    lang: Lang,
    session: &Session,
    held: usize,
    form: &FormState,
    sends_mail: bool,
) -> Markup {
    html! {
        section aria-labelledby="h-add" {
            h2 #h-add { (lang.t("Add a subscription", "添加订阅")) }
            form.card #webhook-form method="post" action="/webhooks" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="webhook-url" { (lang.t("URL", "接收地址 (URL)")) }
                // Text, not `url`: a browser would refuse `mailto:` before
                // the server could explain, and on some phones hide the @.
                input #webhook-url type="text" name="url" required autocomplete="off" autocapitalize="none" spellcheck="false" value=(form.url)
                    placeholder="https://example.com/hooks/tracklane"
                    aria-describedby="webhook-url-hint webhook-url-error" aria-invalid=[form.url_error.as_ref().map(|_| "true")];
                p.hint #webhook-url-hint {
                    (lang.t("an https:// URL, or mailto:you@example.com for e-mail", "填写 https:// 地址，或填写 mailto:you@example.com 以接收邮件"))
                    @if !sends_mail { (lang.t(" (this hub sends no e-mail yet)", "（此 tracklane 暂不发送邮件）")) }
                }
                p.hint.bad #webhook-url-error aria-live="polite" { @if let Some(e) = &form.url_error { (e) } }
                fieldset #webhook-events style="border:none;padding:0;margin:0" aria-describedby="webhook-events-error" {
                    legend { (lang.t("Events", "事件类型")) }
                    @for kind in EventKind::ALL {
                        label.check for={ "event-" (kind.as_str()) } {
                            input #{ "event-" (kind.as_str()) } type="checkbox" name="events" value=(kind.as_str()) checked[form.is_checked(*kind)];
                            span { (i18n::event_kind(lang, *kind)) span.sub.id.wrap { (kind.as_str()) } }
                        }
                    }
                }
                p.hint.bad #webhook-events-error aria-live="polite" { @if let Some(e) = &form.events_error { (e) } }
                p.muted { (held) (lang.t(" of ", " / ")) (WEBHOOKS_PER_OWNER_MAX) (lang.t(" subscriptions used.", " 个订阅已使用。")) }
                button type="submit" { (lang.t("Add subscription", "添加订阅")) }
            }
        }
    }
}

fn recent_deliveries(
    lang: Lang,
    session: &Session,
    webhooks: &[Webhook],
    deliveries: &[Vec<Delivery>],
) -> Markup {
    html! {
        @if !webhooks.is_empty() {
            section aria-labelledby="h-deliveries" {
                h2 #h-deliveries { (lang.t("Recent deliveries", "最近投递")) }
                p.muted { (lang.t("The 10 newest per subscription.", "每个订阅显示最新 10 条。")) }
                p.muted.wrap #resend-hint { (lang.t(
                    "A delivery that failed, or one your receiver lost, can be sent again with its notification id unchanged: its Resend button, or POST /api/v1/webhooks/{id}/deliveries/{number}/resend, where the number ends the notification id shown under its time. To resend every failed delivery of a switched-off subscription, check the box by its Switch on button.",
                    "失败的投递，或接收端遗失的投递，可以重新发送，通知编号 (notificationId) 不变：点击其“重新发送”按钮，或调用 POST /api/v1/webhooks/{id}/deliveries/{number}/resend，其中 number 是时间下方所示通知编号末尾的数字。若要重新发送已停用订阅的全部失败投递，请在其“重新启用”按钮旁勾选复选框。")) }
                @for (w, found) in webhooks.iter().zip(deliveries) {
                    h3 #{ "deliveries-" (w.id) } { span.id.wrap { (w.url) } " " span.id.muted { (w.id) } }
                    @if found.is_empty() {
                        p.muted { (lang.t("No deliveries yet: one appears when a shipment you may see changes.", "暂无投递：您可查看的货件发生变化时会出现记录。")) }
                    } @else {
                        (delivery_table(lang, session, w, found))
                    }
                }
            }
        }
    }
}

fn delivery_table(
    lang: Lang,
    session: &Session,
    webhook: &Webhook,
    deliveries: &[Delivery],
) -> Markup {
    html! {
        table.rows.deliveries {
            thead { tr {
                th scope="col" { (lang.t("When", "时间")) }
                th scope="col" { (lang.t("Event", "事件")) }
                th scope="col" { (lang.t("Shipment", "货件")) }
                th scope="col" { (lang.t("State", "状态")) }
                th scope="col" .num { (lang.t("Attempts", "尝试次数")) }
                th scope="col" .num { (lang.t("Last status (HTTP, or SMTP for e-mail)", "最近状态码（HTTP；邮件为 SMTP）")) }
                th scope="col" { (lang.t("Last error", "最近错误")) }
                th scope="col" { (lang.t("Next attempt", "下次尝试")) }
                th scope="col" { (lang.t("Resend", "重新发送")) }
            } }
            tbody {
                @for d in deliveries {
                    tr {
                        td data-label=(lang.t("When", "时间")) {
                            div { (when(d.created_at)) span.sub.id.wrap { (notification_id(webhook, d)) } }
                        }
                        td data-label=(lang.t("Event", "事件")) {
                            div { span.id.wrap { (d.kind.as_str()) } span.sub { (i18n::event_kind(lang, d.kind)) } }
                        }
                        // Every signed-in role may open a shipment summary,
                        // and a delivery is only made for a shipment its
                        // owner may see; the summary checks again.
                        td data-label=(lang.t("Shipment", "货件")) { a.id href={ "/shipments/" (d.shipment_id) } { (d.shipment_id) } }
                        td data-label=(lang.t("State", "状态")) { div { (state_badge(lang, d)) } }
                        td.num data-label=(lang.t("Attempts", "尝试次数")) { (d.attempts) }
                        td.num data-label=(lang.t("Last status", "最近状态码")) {
                            @match d.last_status { Some(s) => (s), None => "—" }
                        }
                        td data-label=(lang.t("Last error", "最近错误")) {
                            @match &d.last_error { Some(e) => { span.wrap { (e) } }, None => "—" }
                        }
                        td data-label=(lang.t("Next attempt", "下次尝试")) {
                            @match d.next_attempt_at { Some(at) => (when(at)), None => "—" }
                        }
                        td {
                            // A pending one is tried anyway; a switched-off
                            // subscription is sent nothing.
                            @if d.state != DeliveryState::Pending && webhook.disabled_at.is_none() {
                                (resend_form(lang, session, webhook, d))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The button that sends `delivery` of `webhook` again.
fn resend_form(lang: Lang, session: &Session, webhook: &Webhook, delivery: &Delivery) -> Markup {
    html! {
        form.resend method="post" action={ "/webhooks/" (webhook.id) "/deliveries/" (delivery.id) "/resend" } {
            input type="hidden" name="csrf" value=(session.csrf);
            button.secondary type="submit" aria-label={ (lang.t("Resend ", "重新发送 ")) (notification_id(webhook, delivery)) } {
                (lang.t("Resend", "重新发送"))
            }
        }
    }
}

fn state_badge(lang: Lang, delivery: &Delivery) -> Markup {
    let label = i18n::delivery_state(lang, delivery.state);
    html! {
        @match delivery.state {
            DeliveryState::Delivered => span.badge.ok { (label) },
            DeliveryState::Failed => span.badge.bad { (label) },
            // A pending delivery that has failed before is being retried.
            DeliveryState::Pending if delivery.attempts > 0 => span.badge.warn { (label) },
            DeliveryState::Pending => span.badge.info { (label) },
        }
    }
}

/// The subscription form as posted. Its checkboxes repeat the `events` key,
/// which a struct cannot take from a form body, so the pairs are read in turn.
struct NewSubscription {
    csrf: String,
    url: String,
    events: Vec<String>,
}

impl NewSubscription {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = Self {
            csrf: String::new(),
            url: String::new(),
            events: Vec::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => input.csrf = value,
                "url" => input.url = value,
                "events" => input.events.push(value),
                _ => {}
            }
        }
        input
    }
}

/// `POST /webhooks`: adds a subscription and shows its secret once. A
/// refused URL or event choice shows the form again with what was typed and
/// the reason next to the field.
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    let input = NewSubscription::from_pairs(pairs);
    check_csrf(session, &input.csrf, lang)?;
    let url = check_receiver(&state, &input.url);
    // An empty choice is a form's own mistake: the API reads a missing list
    // as "every kind", which a form cannot send, so its fix is worded here.
    let events = if input.events.is_empty() {
        Err(Problem::new(
            "webhook.invalid",
            "events",
            "Events: check at least one kind of event to receive.",
            "事件类型：请至少勾选一种要接收的事件。",
        ))
    } else {
        check_events(Some(input.events.clone()))
    };
    let (url, events) = match (url, events) {
        (Ok(url), Ok(events)) => (url, events),
        (url, events) => {
            let message =
                |r: Result<_, Problem>| r.err().map(|p| p.message(lang.is_zh()).to_owned());
            let form = FormState {
                url: input.url,
                events: input.events,
                url_error: message(url.map(|_| ())),
                events_error: message(events.map(|_| ())),
            };
            return render(
                &state,
                &ctx,
                session,
                &Flash::default(),
                None,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let held = state
        .store
        .webhooks(&session.principal)
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    if held.len() >= WEBHOOKS_PER_OWNER_MAX {
        let problem = Problem::new(
            "webhook.too_many",
            "url",
            format!(
                "You already have {WEBHOOKS_PER_OWNER_MAX} subscriptions: delete one before adding another."
            ),
            format!("您已有 {WEBHOOKS_PER_OWNER_MAX} 个订阅：请先删除一个再添加。"),
        );
        let form = FormState {
            url: input.url,
            events: input.events,
            url_error: Some(problem.message(lang.is_zh()).to_owned()),
            events_error: None,
        };
        return render(
            &state,
            &ctx,
            session,
            &Flash::default(),
            None,
            &form,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let webhook = new_webhook(&state, session.principal.clone(), url, events);
    state
        .store
        .put_webhook(webhook.clone())
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    render(
        &state,
        &ctx,
        session,
        &Flash::default(),
        Some(&webhook),
        &FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The switch-on form as posted.
#[derive(Deserialize)]
pub(crate) struct SwitchOnForm {
    csrf: String,
    /// Present when the box to resend what failed is checked; a form sends
    /// nothing for an unchecked box.
    resend_failed: Option<String>,
}

/// `POST /webhooks/{id}/delete`
pub(crate) async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<CsrfOnly>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, &input.csrf, lang)?;
    match state.store.delete_webhook(&session.principal, &id).await {
        Ok(()) => Ok(Redirect::to("/webhooks?saved=deleted").into_response()),
        Err(e) => Err(store_failure(lang, &id, e)),
    }
}

/// `POST /webhooks/{id}/enable`: switches the subscription on, resending
/// what failed when the form's box is checked, and goes back to the page
/// with a notice of it.
pub(crate) async fn enable(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<SwitchOnForm>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, &input.csrf, lang)?;
    let owner = &session.principal;
    let back = if input.resend_failed.is_some() {
        state
            .store
            .switch_on_webhook_resending(owner, &id, state.clock.now())
            .await
            .map(|resent| format!("/webhooks?saved=enabled&resent={resent}"))
    } else {
        state
            .store
            .switch_on_webhook(owner, &id)
            .await
            .map(|()| "/webhooks?saved=enabled".to_owned())
    };
    match back {
        Ok(back) => Ok(Redirect::to(&back).into_response()),
        Err(e) => Err(store_failure(lang, &id, e)),
    }
}

/// `POST /webhooks/{id}/deliveries/{delivery}/resend`: queues one finished
/// delivery again, and goes back to the page with a notice of what became
/// of it.
pub(crate) async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, delivery)): Path<(String, i64)>,
    Form(input): Form<CsrfOnly>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, &input.csrf, lang)?;
    let done = state
        .store
        .resend_delivery(&session.principal, &id, delivery, state.clock.now())
        .await;
    let saved = match done {
        Ok(Resend::Queued(_)) => "resent",
        Ok(Resend::StillPending(_)) => "pending",
        Ok(Resend::SwitchedOff) => "off",
        Err(e) => return Err(store_failure(lang, &id, e)),
    };
    Ok(Redirect::to(&format!("/webhooks?saved={saved}#deliveries-{id}")).into_response())
}

/// The page for a store error about subscription `id`.
fn store_failure(lang: Lang, id: &str, error: StoreError) -> axum::response::Response {
    match error {
        StoreError::NotFound { .. } => not_yours(lang, id),
        e => PageError::store(lang, e).into_response(),
    }
}

/// The page for a subscription id the signed-in principal does not hold.
fn not_yours(lang: Lang, id: &str) -> axum::response::Response {
    PageError::new(
        StatusCode::NOT_FOUND,
        lang,
        format!("You have no subscription {id}. It may have been deleted already: reload the webhooks page."),
        format!("找不到您的订阅 {id}：它可能已被删除，请刷新 Webhook 通知页面。"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)], expected: (&str, &str, &[&str])) {
        let input = NewSubscription::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        assert_eq!(
            (input.csrf.as_str(), input.url.as_str(), input.events),
            (
                expected.0,
                expected.1,
                expected.2.iter().map(|e| (*e).to_owned()).collect()
            )
        );
    }

    fn check_flash(lang: Lang, saved: &str, resent: Option<usize>, expected: Option<&str>) {
        let flash = Flash {
            saved: saved.to_owned(),
            resent,
        };
        assert_eq!(flash_text(lang, &flash).as_deref(), expected);
    }

    #[test]
    fn switching_on_says_how_many_failed_deliveries_were_queued_again() {
        let on = "Subscription switched back on: changes from now on are delivered again.";
        check_flash(Lang::En, "enabled", None, Some(on));
        check_flash(Lang::En, "enabled", Some(0), Some(on));
        check_flash(
            Lang::En,
            "enabled",
            Some(1),
            Some(
                "Subscription switched back on: changes from now on are delivered again. Queued again: 1 delivery that failed.",
            ),
        );
        check_flash(
            Lang::Zh,
            "enabled",
            Some(3),
            Some("订阅已重新启用：此后的变化将再次投递。已重新排队发送 3 条失败的投递。"),
        );
        check_flash(Lang::En, "unknown", Some(3), None);
    }

    #[test]
    fn the_form_keeps_every_checked_event_in_order() {
        check(
            &[
                ("csrf", "c"),
                ("url", "https://example.com/h"),
                ("events", "REROUTE_OFFERED"),
                ("events", "EXCEPTION_OPENED"),
                ("other", "ignored"),
            ],
            (
                "c",
                "https://example.com/h",
                &["REROUTE_OFFERED", "EXCEPTION_OPENED"],
            ),
        );
        check(&[("url", "x")], ("", "x", &[]));
    }
}
