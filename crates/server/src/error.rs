//! Errors as callers see them: a status code and a body listing each problem
//! with its code, field and message, in the caller's language.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracklane_core::Problem;
use tracklane_ingest::IngestError;
use tracklane_store::StoreError;

/// The language a caller reads: from `?lang=`, then `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Whether the language is Chinese.
    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    /// Picks a language from a query string and an `Accept-Language` header.
    pub fn pick(query: Option<&str>, accept: Option<&str>) -> Self {
        if let Some(q) = query {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("lang=") {
                    return if v.starts_with("zh") {
                        Lang::Zh
                    } else {
                        Lang::En
                    };
                }
            }
        }
        match accept {
            Some(a) if a.trim_start().to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accept = parts
            .headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok());
        Ok(Lang::pick(parts.uri.query(), accept))
    }
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The problems, at least one.
    pub problems: Vec<Problem>,
    /// Language to render in.
    pub lang: Lang,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    errors: Vec<ErrorItem<'a>>,
}

/// SP-API's `Error` shape (`code`, `message`, `details`), with tracklane's field.
#[derive(Serialize)]
struct ErrorItem<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    field: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    details: &'a str,
}

impl ApiError {
    /// One problem with a status.
    pub fn new(status: StatusCode, problem: Problem, lang: Lang) -> Self {
        Self {
            status,
            problems: vec![problem],
            lang,
        }
    }

    /// 401: no or unknown key.
    pub fn unauthorized(lang: Lang) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            Problem::new(
                "auth.missing_key",
                "Authorization",
                "send your API key as `Authorization: Bearer <key>` (SP-API clients: `x-amz-access-token`)",
                "请在请求头中携带 API 密钥：`Authorization: Bearer <key>`（SP-API 客户端使用 `x-amz-access-token`）",
            ),
            lang,
        )
    }

    /// 403: the key's role may not do this.
    pub fn forbidden(lang: Lang, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            Problem::new("auth.forbidden", "", en, zh),
            lang,
        )
    }

    /// 429 for a key over its rate limit (`limits.rs`). `field` is the header
    /// that carried the credential; `limit` is (requests, per seconds, burst).
    pub fn too_many_requests_from_key(
        lang: Lang,
        field: &str,
        limit: (u32, u32, u32),
        retry_after_s: u64,
    ) -> Self {
        let (en, zh) = limit_text(limit);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                "rate_limit.key",
                field,
                format!(
                    "too many requests from this key: {en}; retry after {retry_after_s} s (the Retry-After header), and space out retries"
                ),
                format!(
                    "此密钥的请求过多：{zh}；请在 {retry_after_s} 秒后重试（见 Retry-After 响应头），并拉开重试间隔"
                ),
            ),
            lang,
        )
    }

    /// 429 for a client address over its rate limit on the routes anyone can
    /// reach (`limits.rs`); `limit` is (requests, per seconds, burst).
    pub fn too_many_requests_from_address(
        lang: Lang,
        limit: (u32, u32, u32),
        retry_after_s: u64,
    ) -> Self {
        let (en, zh) = limit_text(limit);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                "rate_limit.ip",
                "",
                format!(
                    "too many requests from this address: {en}; retry after {retry_after_s} s (the Retry-After header)"
                ),
                format!(
                    "此地址的请求过多：{zh}；请在 {retry_after_s} 秒后重试（见 Retry-After 响应头）"
                ),
            ),
            lang,
        )
    }

    /// 404 for a shipment the caller cannot see, whether or not it exists, so that
    /// ids of other sellers' shipments are not confirmed.
    pub fn shipment_not_found(lang: Lang, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            Problem::new(
                "shipment.not_found",
                "shipmentId",
                format!(
                    "no shipment {id} is visible to this key: check the id (sh… or FBA…) and that the key belongs to its seller or carrier"
                ),
                format!(
                    "此密钥下找不到货件 {id}：请核对编号（sh… 或 FBA…），并确认密钥属于该货件的卖家或承运商"
                ),
            ),
            lang,
        )
    }

    /// 404 for a delivery that subscription `webhook` of the caller does not
    /// have: never made, another subscription's, or no longer kept.
    pub fn delivery_not_found(lang: Lang, webhook: &str, delivery: i64) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            Problem::new(
                "webhook.delivery_not_found",
                "deliveryId",
                format!(
                    "subscription {webhook} has no delivery {delivery}: take the id from GET /api/v1/webhooks/{webhook}/deliveries; finished deliveries are kept for a week"
                ),
                format!(
                    "订阅 {webhook} 下没有投递 {delivery}：请从 GET /api/v1/webhooks/{webhook}/deliveries 的结果中取编号；已完成的投递只保留一周"
                ),
            ),
            lang,
        )
    }

    /// 409 for resending a delivery that is still pending: it is sent anyway.
    pub fn delivery_still_pending(
        lang: Lang,
        delivery: i64,
        attempts: u32,
        next_attempt_at: Option<jiff::Timestamp>,
    ) -> Self {
        let next = next_attempt_at.map_or_else(|| "-".to_owned(), |at| at.to_string());
        Self::new(
            StatusCode::CONFLICT,
            Problem::new(
                "webhook.delivery_pending",
                "deliveryId",
                format!(
                    "delivery {delivery} is still pending ({attempts} attempts made, the next due at {next}) and will be sent without asking: resend it once it is DELIVERED or FAILED"
                ),
                format!(
                    "投递 {delivery} 仍在等待中（已尝试 {attempts} 次，下次尝试时间 {next}），系统会自动继续投递：请在其状态变为 DELIVERED 或 FAILED 后再重新发送"
                ),
            ),
            lang,
        )
    }

    /// 409 for resending a delivery of a switched-off subscription.
    pub fn webhook_switched_off(lang: Lang, webhook: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            Problem::new(
                "webhook.switched_off",
                "id",
                format!(
                    "subscription {webhook} is switched off, so nothing is sent to it: switch it on with POST /api/v1/webhooks/{webhook}/enable and the body {{\"resendFailed\": true}}, which resends every delivery that failed"
                ),
                format!(
                    "订阅 {webhook} 已停用，不会向其发送任何通知：请调用 POST /api/v1/webhooks/{webhook}/enable 并附请求体 {{\"resendFailed\": true}} 重新启用，所有失败的投递将一并重新发送"
                ),
            ),
            lang,
        )
    }

    /// 400 for one problem.
    pub fn bad_request(lang: Lang, problem: Problem) -> Self {
        Self::new(StatusCode::BAD_REQUEST, problem, lang)
    }

    /// Maps a store error.
    pub fn store(lang: Lang, error: StoreError) -> Self {
        let status = match &error {
            StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            StoreError::Conflict { .. } => StatusCode::CONFLICT,
            StoreError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %error, "store error");
        }
        Self::new(status, IngestError::Store(error).problem(), lang)
    }

    /// Maps an ingest error.
    pub fn ingest(lang: Lang, error: IngestError) -> Self {
        match error {
            IngestError::Store(e) => Self::store(lang, e),
            IngestError::TooLarge { .. } | IngestError::TooManyRows { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, error.problem(), lang)
            }
            IngestError::Body(_) => Self::new(StatusCode::BAD_REQUEST, error.problem(), lang),
            IngestError::CapabilityMissing { .. } => {
                Self::new(StatusCode::FORBIDDEN, error.problem(), lang)
            }
        }
    }
}

/// A rate limit in words, (English, Chinese): "at most 50 a second, in
/// bursts of up to 200".
pub(crate) fn limit_text((requests, per_seconds, burst): (u32, u32, u32)) -> (String, String) {
    if per_seconds == 1 {
        (
            format!("at most {requests} a second, in bursts of up to {burst}"),
            format!("每秒最多 {requests} 次，连续最多 {burst} 次"),
        )
    } else {
        (
            format!("at most {requests} every {per_seconds} s, in bursts of up to {burst}"),
            format!("每 {per_seconds} 秒最多 {requests} 次，连续最多 {burst} 次"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            errors: self
                .problems
                .iter()
                .map(|p| ErrorItem {
                    code: p.code,
                    message: p.message(self.lang.is_zh()),
                    field: &p.field,
                    details: "",
                })
                .collect(),
        };
        (self.status, Json(body)).into_response()
    }
}
