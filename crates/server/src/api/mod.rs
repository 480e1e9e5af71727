//! tracklane's own JSON API: carrier, seller and operator routes, and the views
//! they render.

pub(crate) mod carrier;
pub(crate) mod engine;
pub(crate) mod operator;
pub(crate) mod receipts;
pub(crate) mod seller;
mod views;
pub(crate) mod webhooks;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tracklane_core::Problem;
use tracklane_store::{ShipmentDetail, ShipmentKey};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

pub(crate) use views::*;

/// Parses a JSON body, naming the field at fault when it does not fit.
pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes, lang: Lang) -> Result<T, ApiError> {
    tracklane_ingest::parse_json(body).map_err(|problem| ApiError::bad_request(lang, problem))
}

/// Loads a shipment the caller may see, or 404 either way.
pub(crate) async fn visible_shipment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    lang: Lang,
) -> Result<ShipmentDetail, ApiError> {
    let detail = state
        .store
        .shipment(&ShipmentKey::new(id))
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    match detail {
        Some(d) if caller.0.can_see(&d) => Ok(d),
        _ => Err(ApiError::shipment_not_found(lang, id)),
    }
}

/// A query parameter that does not parse, with the values that would.
pub(crate) fn bad_param(name: &str, value: &str, fix_en: &str, fix_zh: &str) -> Problem {
    Problem::new(
        "query.invalid",
        name,
        format!("{name}={value} is not valid: {fix_en}"),
        format!("参数 {name}={value} 无效：{fix_zh}"),
    )
}

/// Every exception kind's wire name, in the engine's order.
pub(crate) fn exception_kinds() -> Vec<&'static str> {
    tracklane_engine::ExceptionKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

/// `value` of the query parameter `name` as an exception kind's wire name,
/// or the problem listing the kinds.
pub(crate) fn exception_kind_param(name: &str, value: &str) -> Result<String, Problem> {
    match tracklane_engine::ExceptionKind::parse(value) {
        Some(kind) => Ok(kind.as_str().to_owned()),
        None => {
            let all = exception_kinds();
            Err(bad_param(
                name,
                value,
                &format!("use one of {}", all.join(", ")),
                &format!("可选值：{}", all.join("、")),
            ))
        }
    }
}

/// `raw` as an absolute http(s) URL with a host, or the problem naming
/// `field` (code `code`) with `example` as the fix.
pub(crate) fn http_url(
    code: &'static str,
    field: &str,
    raw: &str,
    example: &str,
) -> Result<url::Url, Problem> {
    url::Url::parse(raw.trim())
        .ok()
        .filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
        .ok_or_else(|| {
            Problem::new(
                code,
                field,
                format!(
                    "{field} `{raw}` is not an absolute http(s) URL: give one such as {example}"
                ),
                format!("{field} `{raw}` 不是完整的 http(s) 地址：请填写如 {example} 的地址"),
            )
        })
}

/// 403 for a carrier's key on a route for the shipment's seller and the
/// operator (receipts, cancelling, reconciliations, imports).
pub(crate) fn not_for_carriers(caller: &Caller, lang: Lang) -> Result<(), ApiError> {
    match caller.0 {
        tracklane_store::Principal::Carrier(_) => Err(role_error(lang, "seller or operator")),
        _ => Ok(()),
    }
}

/// 403 unless the caller is the role the route is for.
pub(crate) fn role_error(lang: Lang, role: &str) -> ApiError {
    ApiError::forbidden(
        lang,
        format!("this route is for {role} keys: use a {role} key"),
        format!(
            "此接口仅限{}密钥：请使用{}密钥",
            zh_role(role),
            zh_role(role)
        ),
    )
}

fn zh_role(role: &str) -> &'static str {
    match role {
        "carrier" => "承运商",
        "seller" => "卖家",
        "seller or operator" => "卖家或运营方",
        _ => "运营方",
    }
}

/// Status 200 for a batch with item results, whatever was rejected: per-item
/// rejections are data, not a failed request.
pub(crate) const BATCH_STATUS: StatusCode = StatusCode::OK;

/// Sets a shipment's delivery window for `actor` with an audit entry, and renders
/// the change.
pub(crate) async fn set_window(
    state: &AppState,
    detail: &ShipmentDetail,
    window: tracklane_core::DeliveryWindow,
    source: tracklane_core::WindowSource,
    actor: String,
    reason: String,
    lang: Lang,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let change = state
        .store
        .set_delivery_window(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            tracklane_store::WindowChangeRequest {
                window,
                source,
                actor,
                reason,
                now: state.clock.now(),
            },
        )
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(axum::Json(change).into_response())
}

/// Validates and attaches tracking numbers for `caller`, and renders each item's
/// result. A shipment the caller cannot see is a 404 naming `shipment_id`.
pub(crate) async fn upload_tracking(
    state: &AppState,
    caller: &Caller,
    shipment_id: &str,
    items: Vec<tracklane_ingest::TrackingItem>,
    source: tracklane_core::TrackingSource,
    lang: Lang,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let outcomes = tracklane_ingest::assign_tracking(
        state.store.as_ref(),
        &caller.0,
        &ShipmentKey::new(shipment_id),
        items,
        source,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        tracklane_ingest::IngestError::Store(tracklane_store::StoreError::NotFound { .. }) => {
            ApiError::shipment_not_found(lang, shipment_id)
        }
        other => ApiError::ingest(lang, other),
    })?;
    let view = carrier::TrackingResultView {
        items: outcomes
            .iter()
            .map(|o| ItemResultView::of(o, lang))
            .collect(),
    };
    Ok((BATCH_STATUS, axum::Json(view)).into_response())
}
