//! Webhook subscriptions: any key may subscribe to events about the shipments
//! it may see, list and remove its subscriptions, read what became of their
//! recent deliveries, and have a delivery sent again (one, or every failed one
//! as a switched-off subscription is switched back on).
//!
//! A subscription's `url` is an `http(s)` receiver, or `mailto:ADDRESS` to be
//! told by e-mail (`crate::mail`) on a hub that sends e-mail.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracklane_core::Problem;
use tracklane_store::{EventKind, PAGE_SIZE_MAX, Resend, StoreError, Webhook};

use super::json_body;
use crate::AppState;
use crate::auth::{Caller, hex};
use crate::error::{ApiError, Lang};

/// Subscriptions one key may hold.
pub const WEBHOOKS_PER_OWNER_MAX: usize = 20;
/// Deliveries listed when no limit is given.
const DELIVERIES_LIMIT_DEFAULT: usize = 50;
/// The longest URL accepted.
const URL_LEN_MAX: usize = 2048;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewWebhook {
    url: String,
    events: Option<Vec<String>>,
}

/// A subscription as the API shows it; the secret only when it is created.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookView<'a> {
    #[serde(flatten)]
    webhook: &'a Webhook,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    /// How many failed deliveries switching it on put back in the queue,
    /// when that was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    resent: Option<usize>,
}

fn invalid(field: &str, en: String, zh: String) -> Problem {
    Problem::new("webhook.invalid", field, en, zh)
}

/// Checks a receiver URL: absolute http or https with a host, or `mailto:`
/// with exactly one e-mail address (see [`check_mailto`]).
pub(crate) fn check_url(raw: &str) -> Result<String, Problem> {
    if raw.len() > URL_LEN_MAX {
        return Err(invalid(
            "url",
            format!(
                "url is {} characters long: give one of at most {URL_LEN_MAX}",
                raw.len()
            ),
            format!("url 长度为 {} 个字符：最多 {URL_LEN_MAX} 个", raw.len()),
        ));
    }
    if let Some(address) = strip_mailto(raw.trim()) {
        return check_mailto(address);
    }
    let url = super::http_url(
        "webhook.invalid",
        "url",
        raw,
        "https://example.com/hooks/tracklane",
    )
    .map_err(|_| {
        invalid(
            "url",
            format!(
                "url `{raw}` is not an absolute http(s) URL: give one such as https://example.com/hooks/tracklane, or mailto:you@example.com to be told by e-mail"
            ),
            format!(
                "url `{raw}` 不是完整的 http(s) 地址：请填写如 https://example.com/hooks/tracklane 的地址，或填写 mailto:you@example.com 以接收邮件"
            ),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url",
            "url carries a user name or password: remove them; deliveries are signed instead"
                .into(),
            "url 中包含用户名或密码：请删除；投递内容已有签名".into(),
        ));
    }
    Ok(url.to_string())
}

/// What follows `mailto:` (in any case) in `url`, if it starts so.
fn strip_mailto(url: &str) -> Option<&str> {
    let scheme = url.get(..crate::mail::MAILTO.len())?;
    scheme
        .eq_ignore_ascii_case(crate::mail::MAILTO)
        .then(|| &url[scheme.len()..])
}

/// Checks what follows `mailto:`: exactly one address, nothing else (no
/// `?subject=`, no second address), valid by `lettre`'s parser (RFC 5321's
/// local part; a domain, an internationalised one or an address literal).
/// Stored as `mailto:ADDRESS`.
fn check_mailto(address: &str) -> Result<String, Problem> {
    let example = "mailto:you@example.com";
    if address.is_empty() {
        return Err(invalid(
            "url",
            format!("url `mailto:` names no address: give one such as {example}"),
            format!("url `mailto:` 中没有邮箱地址：请填写如 {example} 的地址"),
        ));
    }
    if address.contains('?') {
        return Err(invalid(
            "url",
            format!(
                "url `mailto:{address}` carries `?…` fields: give the address alone, such as {example}; the hub writes each message's subject and text"
            ),
            format!(
                "url `mailto:{address}` 带有 `?…` 参数：请只填写邮箱地址，如 {example}；邮件的主题和正文由系统生成"
            ),
        ));
    }
    if address.contains([',', ';']) {
        return Err(invalid(
            "url",
            format!(
                "url `mailto:{address}` names more than one address: give exactly one, and add a subscription for each other address"
            ),
            format!(
                "url `mailto:{address}` 包含多个邮箱地址：每个订阅只能填写一个，其他地址请分别添加订阅"
            ),
        ));
    }
    let parsed: Result<lettre::Address, _> = address.parse();
    let Ok(parsed) = parsed else {
        let (en, zh) = match parsed {
            Err(lettre::address::AddressError::InvalidUser) => {
                ("the part before @ is not valid", "@ 前面的部分无效")
            }
            Err(lettre::address::AddressError::InvalidDomain) => (
                "the part after @ is not a domain",
                "@ 后面的部分不是有效的域名",
            ),
            _ => (
                "it is not one address with an @",
                "它不是一个带 @ 的邮箱地址",
            ),
        };
        return Err(invalid(
            "url",
            format!(
                "url `mailto:{address}` is not an e-mail address ({en}): give one such as {example}"
            ),
            format!("url `mailto:{address}` 不是有效的邮箱地址（{zh}）：请填写如 {example} 的地址"),
        ));
    };
    Ok(format!("{}{parsed}", crate::mail::MAILTO))
}

/// Checks a receiver URL as [`check_url`] does, and refuses a `mailto:` one
/// on a hub that sends no e-mail (no `serve --smtp-url`).
pub(crate) fn check_receiver(state: &AppState, raw: &str) -> Result<String, Problem> {
    let url = check_url(raw)?;
    if crate::mail::recipient(&url).is_some() && state.mail_from.is_none() {
        return Err(Problem::new(
            "webhook.no_mail",
            "url",
            "this hub sends no e-mail: its operator starts it with --smtp-url to send some; until then, subscribe an https:// URL",
            "此 tracklane 不发送邮件：需由其运维方使用 --smtp-url 启动后才能发送；在此之前，请订阅 https:// 地址",
        ));
    }
    Ok(url)
}

/// Reads the event kinds asked for; every kind when none are named.
pub(crate) fn check_events(events: Option<Vec<String>>) -> Result<Vec<EventKind>, Problem> {
    let Some(names) = events else {
        return Ok(EventKind::ALL.to_vec());
    };
    if names.is_empty() {
        return Err(invalid(
            "events",
            "events is empty: leave it out to receive every kind, or name at least one".into(),
            "events 为空：省略该字段即接收全部类型，或至少列出一种".into(),
        ));
    }
    let known = || {
        EventKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut kinds = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let kind = EventKind::parse(name).ok_or_else(|| {
            invalid(
                &format!("events[{i}]"),
                format!("event `{name}` is not one tracklane sends: use {}", known()),
                format!("事件 `{name}` 不存在：可选 {}", known()),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.sort();
    Ok(kinds)
}

/// A new subscription of `owner`: a random id and a secret from the
/// unpredictable source, shown to the owner once.
pub(crate) fn new_webhook(
    state: &AppState,
    owner: tracklane_store::Principal,
    url: String,
    events: Vec<EventKind>,
) -> Webhook {
    Webhook {
        id: format!("wh_{}", hex(&state.random_bytes()[..8])),
        owner,
        url,
        events,
        secret: format!(
            "whsec_{}{}",
            hex(&state.secret_bytes()),
            hex(&state.secret_bytes())
        ),
        created_at: state.clock.now(),
        disabled_at: None,
        disabled_reason: None,
    }
}

/// `POST /api/v1/webhooks`
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    description = "Subscribe to events about the shipments this key may see: {url, events?}. `url` is an absolute http(s) URL the deliveries are POSTed to, or `mailto:ADDRESS` (exactly one address) to be told by e-mail, in Chinese and English, when the hub sends e-mail (`serve --smtp-url`; otherwise 400 `webhook.no_mail`); e-mails are not signed. `events` defaults to every kind: SHIPMENT_TRACKING_MILESTONE_CHANGED (SP-API notification shape), EXCEPTION_OPENED, EXCEPTION_RESOLVED, DELIVERY_WINDOW_CHANGED, REROUTE_OFFERED, REROUTE_DECIDED, RECEIPT_RECORDED. The answer carries the signing secret, shown only this once; see docs/webhooks.md for the signature.",
    responses((status = 201, description = "{id, url, events, createdAt, secret}"), (status = 400, description = "The URL or an event kind is not valid, or the URL is mailto: and the hub sends no e-mail"), (status = 409, description = "This key already holds the most subscriptions allowed")))]
pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: NewWebhook = json_body(&body, lang)?;
    let url = check_receiver(&state, &input.url).map_err(|p| ApiError::bad_request(lang, p))?;
    let events = check_events(input.events).map_err(|p| ApiError::bad_request(lang, p))?;
    let held = state
        .store
        .webhooks(&caller.0)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    if held.len() >= WEBHOOKS_PER_OWNER_MAX {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Problem::new(
                "webhook.too_many",
                "url",
                format!(
                    "this key already holds {WEBHOOKS_PER_OWNER_MAX} subscriptions: delete one first"
                ),
                format!("此密钥已有 {WEBHOOKS_PER_OWNER_MAX} 个订阅：请先删除一个"),
            ),
            lang,
        ));
    }
    let webhook = new_webhook(&state, caller.0.clone(), url, events);
    state
        .store
        .put_webhook(webhook.clone())
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let view = WebhookView {
        webhook: &webhook,
        secret: Some(&webhook.secret),
        resent: None,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /api/v1/webhooks`
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    description = "This key's subscriptions, oldest first (without their secrets).",
    responses((status = 200, description = "{webhooks:[{id, url, events, createdAt}]}")))]
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
) -> Result<Response, ApiError> {
    let held = state
        .store
        .webhooks(&caller.0)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let views: Vec<WebhookView<'_>> = held
        .iter()
        .map(|webhook| WebhookView {
            webhook,
            secret: None,
            resent: None,
        })
        .collect();
    Ok(Json(serde_json::json!({ "webhooks": views })).into_response())
}

/// `DELETE /api/v1/webhooks/{id}`
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id (wh_…)")),
    description = "Remove one of this key's subscriptions with its pending deliveries.",
    responses((status = 204, description = "Removed"), (status = 404, description = "This key has no such subscription")))]
pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .store
        .delete_webhook(&caller.0, &id)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What `POST /api/v1/webhooks/{id}/enable` may be asked besides.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EnableOptions {
    /// Also put the subscription's failed deliveries of the last week back
    /// in the queue, oldest first, with their own notification ids.
    #[serde(default)]
    resend_failed: bool,
}

/// `POST /api/v1/webhooks/{id}/enable`
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id (wh_…)")),
    request_body(content = Option<EnableOptions>, content_type = "application/json", description = "Optional. {\"resendFailed\": true} also queues again, oldest first and in the same transaction, the subscription's deliveries that failed and are still kept (the last week), those failed because it was switched off among them."),
    description = "Switch a subscription back on after the hub switched it off (its receiver failed every attempt for about 45 hours; `disabledAt` and `disabledReason` say when and why). Changes from then on are delivered again. With `resendFailed`, deliveries that failed meanwhile are sent again with their own notification ids, and the answer's `resent` says how many were queued; without it they are not resent.",
    responses((status = 200, description = "The subscription, on: {id, url, events, createdAt, disabledAt: null, disabledReason: null, resent?}"), (status = 400, description = "The body is not {resendFailed: boolean}"), (status = 404, description = "This key has no such subscription")))]
pub(crate) async fn enable_webhook(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: a bare POST, as before there were options, and
    // `null` ask for nothing more.
    let options: EnableOptions = if body.trim_ascii().is_empty() {
        EnableOptions::default()
    } else {
        json_body::<Option<EnableOptions>>(&body, lang)?.unwrap_or_default()
    };
    let store_error = |e| ApiError::store(lang, e);
    let resent = if options.resend_failed {
        let queued = state
            .store
            .switch_on_webhook_resending(&caller.0, &id, state.clock.now())
            .await
            .map_err(store_error)?;
        Some(queued)
    } else {
        state
            .store
            .switch_on_webhook(&caller.0, &id)
            .await
            .map_err(store_error)?;
        None
    };
    let webhooks = state.store.webhooks(&caller.0).await.map_err(store_error)?;
    let Some(webhook) = webhooks.iter().find(|w| w.id == id) else {
        // Deleted between the two calls.
        return Err(store_error(StoreError::NotFound {
            what: "webhook",
            key: id,
        }));
    };
    Ok(Json(WebhookView {
        webhook,
        secret: None,
        resent,
    })
    .into_response())
}

/// `POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/resend`
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id (wh_…)"),
           ("deliveryId" = i64, Path, description = "The delivery's `id`, as the deliveries listing gives it")),
    description = "Send a finished delivery again: a FAILED one, or a DELIVERED one its receiver lost. It goes back in the queue as PENDING, due now, with its attempts counted from zero and the same `notificationId` (`{id}-{deliveryId}`), so a receiver that handled it already drops it. A milestone change carries the tracking as it stands when it is sent. The body is ignored.",
    responses((status = 202, description = "The delivery, queued again: {id, webhookId, kind, shipmentId, state: PENDING, attempts: 0, nextAttemptAt, …}"), (status = 404, description = "This key has no such subscription, or the subscription no such delivery (finished ones are kept for a week)"), (status = 409, description = "The delivery is still pending, or the subscription is switched off (switch it on first, with resendFailed)")))]
pub(crate) async fn resend_delivery(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path((id, delivery)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let resent = state
        .store
        .resend_delivery(&caller.0, &id, delivery, state.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound {
                what: "webhook delivery",
                ..
            } => ApiError::delivery_not_found(lang, &id, delivery),
            e => ApiError::store(lang, e),
        })?;
    match resent {
        Resend::Queued(queued) => Ok((StatusCode::ACCEPTED, Json(queued)).into_response()),
        Resend::StillPending(pending) => Err(ApiError::delivery_still_pending(
            lang,
            pending.id,
            pending.attempts,
            pending.next_attempt_at,
        )),
        Resend::SwitchedOff => Err(ApiError::webhook_switched_off(lang, &id)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryParams {
    limit: Option<usize>,
}

/// `GET /api/v1/webhooks/{id}/deliveries`
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id (wh_…)"),
           ("limit" = Option<usize>, Query, description = "At most this many (≤ 200; 50 by default)")),
    description = "The subscription's newest deliveries: kind, shipment, state (PENDING, DELIVERED, FAILED), attempts, the last HTTP status (for a mailto: subscription, the SMTP server's reply code) and error, and when the next attempt is due. Finished ones are kept for a week.",
    responses((status = 200, description = "{deliveries:[…]}"), (status = 404, description = "This key has no such subscription")))]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<DeliveryParams>,
) -> Result<Response, ApiError> {
    let limit = params
        .limit
        .unwrap_or(DELIVERIES_LIMIT_DEFAULT)
        .min(PAGE_SIZE_MAX);
    let found = state
        .store
        .deliveries(&caller.0, &id, limit)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(Json(serde_json::json!({ "deliveries": found })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_urls_must_be_absolute_http_with_a_host() {
        assert_eq!(
            check_url("https://example.com/hooks?x=1").unwrap(),
            "https://example.com/hooks?x=1"
        );
        assert!(check_url("http://127.0.0.1:9000/h").is_ok());
        for bad in [
            "",
            "example.com/hooks",
            "ftp://example.com/",
            "https://",
            "https://u:p@example.com/",
        ] {
            let problem = check_url(bad).unwrap_err();
            assert_eq!(problem.field, "url", "{bad}");
        }
    }

    /// Checks `raw` as a subscription URL: `Ok` with what is stored, or
    /// `Err` with words both messages contain.
    fn check(raw: &str, expected: Result<&str, (&str, &str)>) {
        match (check_url(raw), expected) {
            (Ok(url), Ok(stored)) => assert_eq!(url, stored, "{raw}"),
            (Err(problem), Err((en, zh))) => {
                assert_eq!(
                    (problem.code, problem.field.as_str()),
                    ("webhook.invalid", "url"),
                    "{raw}"
                );
                assert!(problem.en.contains(en), "{raw}: {}", problem.en);
                assert!(problem.zh.contains(zh), "{raw}: {}", problem.zh);
            }
            (got, expected) => panic!("{raw}: {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn a_mailto_url_holds_exactly_one_valid_address() {
        check("mailto:ops@example.com", Ok("mailto:ops@example.com"));
        check(
            " MailTo:Ops.Team+hub@example.co.uk ",
            Ok("mailto:Ops.Team+hub@example.co.uk"),
        );
        check("mailto:卖家@例子.中国", Ok("mailto:卖家@例子.中国"));
        check("mailto:", Err(("names no address", "没有邮箱地址")));
        check(
            "mailto:a@example.com,b@example.com",
            Err(("more than one address", "多个邮箱地址")),
        );
        check(
            "mailto:a@example.com?subject=hi",
            Err(("`?…` fields", "`?…` 参数")),
        );
        check(
            "mailto:example.com",
            Err(("not an e-mail address", "mailto:you@example.com")),
        );
        check(
            "mailto:a b@example.com",
            Err(("the part before @ is not valid", "@ 前面的部分无效")),
        );
        check(
            "mailto:ops@exa mple.com",
            Err(("the part after @ is not a domain", "不是有效的域名")),
        );
        check(
            "mailto:Ops <ops@example.com>",
            Err(("not an e-mail address", "不是有效的邮箱地址")),
        );
        check(
            "ops@example.com",
            Err(("or mailto:you@example.com", "或填写 mailto:you@example.com")),
        );
    }

    #[test]
    fn event_kinds_are_checked_one_by_one_and_default_to_all() {
        assert_eq!(check_events(None).unwrap(), EventKind::ALL);
        assert_eq!(
            check_events(Some(vec![
                "REROUTE_OFFERED".into(),
                "EXCEPTION_OPENED".into(),
                "REROUTE_OFFERED".into()
            ]))
            .unwrap(),
            vec![EventKind::ExceptionOpened, EventKind::RerouteOffered]
        );
        let problem = check_events(Some(vec![
            "EXCEPTION_OPENED".into(),
            "exception_opened".into(),
        ]))
        .unwrap_err();
        assert_eq!(problem.field, "events[1]");
        assert!(
            problem.en.contains("SHIPMENT_TRACKING_MILESTONE_CHANGED"),
            "{}",
            problem.en
        );
        assert_eq!(check_events(Some(vec![])).unwrap_err().field, "events");
    }
}
