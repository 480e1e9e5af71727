//! What the engine found, over HTTP: exceptions for sellers (and the operator,
//! and carriers for what they carry), and Smart Reroute offers for carriers to
//! confirm or decline.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracklane_core::Problem;
use tracklane_store::{
    ExceptionQuery, PAGE_SIZE_MAX, Principal, Reroute, RerouteDecision, RerouteQuery,
    RerouteStatus, ShipmentException, ShipmentKey, StoreError,
};

use super::{bad_param, exception_kind_param, json_body, role_error};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

/// Exceptions listed when the caller gives no limit.
const EXCEPTIONS_LIMIT_DEFAULT: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExceptionParams {
    kind: Option<String>,
    severity: Option<String>,
    shipment_id: Option<String>,
    include_resolved: Option<bool>,
    limit: Option<usize>,
}

/// One exception with its next step in the caller's language.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionView<'a> {
    #[serde(flatten)]
    exception: &'a ShipmentException,
    next_step: &'a str,
}

/// `GET /api/v1/exceptions`
#[utoipa::path(get, path = "/api/v1/exceptions", tag = "seller",
    description = "Open exceptions (stale tracking, delivery failed, customs hold, missing tracking, window at risk, probably lost), newest first, each with severity, evidence and the next step in the caller's language. Sellers see their own shipments', carriers those they carry, the operator all.",
    params(("kind" = Option<String>, Query, description = "stale_tracking, delivery_failed, customs_hold, missing_tracking, window_at_risk, probably_lost"),
           ("severity" = Option<String>, Query, description = "low, medium, high"),
           ("shipmentId" = Option<String>, Query, description = "Only this shipment (sh… or FBA…)"),
           ("includeResolved" = Option<bool>, Query, description = "Resolved ones too"),
           ("limit" = Option<usize>, Query, description = "At most this many (≤ 200; 50 by default)")),
    responses((status = 200, description = "{exceptions:[…]}"), (status = 400, description = "A filter is not valid")))]
pub(crate) async fn list_exceptions(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Query(params): Query<ExceptionParams>,
) -> Result<Response, ApiError> {
    let mut query = ExceptionQuery {
        limit: params
            .limit
            .unwrap_or(EXCEPTIONS_LIMIT_DEFAULT)
            .min(PAGE_SIZE_MAX),
        include_resolved: params.include_resolved.unwrap_or(false),
        shipment: params.shipment_id.as_deref().map(ShipmentKey::new),
        ..ExceptionQuery::default()
    };
    match &caller.0 {
        Principal::Seller(seller) => query.seller = Some(seller.clone()),
        Principal::Carrier(carrier) => query.carrier = Some(carrier.clone()),
        Principal::Operator => {}
    }
    if let Some(kind) = params.kind.as_deref().filter(|k| !k.is_empty()) {
        query.kind =
            Some(exception_kind_param("kind", kind).map_err(|p| ApiError::bad_request(lang, p))?);
    }
    if let Some(severity) = params.severity.as_deref().filter(|s| !s.is_empty()) {
        if !matches!(severity, "low" | "medium" | "high") {
            return Err(ApiError::bad_request(
                lang,
                bad_param(
                    "severity",
                    severity,
                    "use low, medium or high",
                    "可选值：low、medium、high",
                ),
            ));
        }
        query.severity = Some(severity.to_owned());
    }
    let found = state
        .store
        .exceptions(&query)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let views: Vec<ExceptionView<'_>> = found
        .iter()
        .map(|e| ExceptionView {
            exception: e,
            next_step: if lang.is_zh() {
                &e.draft.next_step_zh
            } else {
                &e.draft.next_step_en
            },
        })
        .collect();
    Ok(Json(serde_json::json!({ "exceptions": views })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct RerouteParams {
    status: Option<String>,
}

/// `GET /api/v1/carrier/reroutes`
#[utoipa::path(get, path = "/api/v1/carrier/reroutes", tag = "carrier",
    description = "Smart Reroute offers for the calling carrier, newest first: shipment, from and to warehouse, units, expected days to receipt staying and moving, extra kilometres, and why.",
    params(("status" = Option<String>, Query, description = "OFFERED (default), CONFIRMED, DECLINED, WITHDRAWN or ALL")),
    responses((status = 200, description = "{reroutes:[…]}")))]
pub(crate) async fn list_reroutes(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Query(params): Query<RerouteParams>,
) -> Result<Response, ApiError> {
    let Principal::Carrier(carrier) = &caller.0 else {
        return Err(role_error(lang, "carrier"));
    };
    let status = match params.status.as_deref().unwrap_or("OFFERED") {
        "ALL" => None,
        s => Some(RerouteStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                lang,
                bad_param(
                    "status",
                    s,
                    "use OFFERED, CONFIRMED, DECLINED, WITHDRAWN or ALL",
                    "可选值：OFFERED、CONFIRMED、DECLINED、WITHDRAWN、ALL",
                ),
            )
        })?),
    };
    let reroutes = state
        .store
        .reroutes(&RerouteQuery {
            carrier: Some(carrier.clone()),
            status,
            limit: PAGE_SIZE_MAX,
        })
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(Json(serde_json::json!({ "reroutes": reroutes })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfirmInput {
    appointment_date: jiff::civil::Date,
}

/// `POST /api/v1/carrier/reroutes/{id}/confirm`
#[utoipa::path(post, path = "/api/v1/carrier/reroutes/{id}/confirm", tag = "carrier",
    params(("id" = i64, Path, description = "The offer's id")),
    description = "Confirm a reroute with the receiving appointment at the new warehouse ({appointmentDate: YYYY-MM-DD}). The shipment moves to the new warehouse and its delivery window to the appointment's week, audited as REROUTE.",
    responses((status = 200, description = "The confirmed reroute"), (status = 404, description = "No such offer for this carrier"), (status = 409, description = "Already decided")))]
pub(crate) async fn confirm_reroute(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: ConfirmInput = json_body(&body, lang)?;
    decide(
        &state,
        &caller,
        id,
        RerouteDecision::Confirm {
            appointment: input.appointment_date,
        },
        lang,
    )
    .await
}

/// `POST /api/v1/carrier/reroutes/{id}/decline`
#[utoipa::path(post, path = "/api/v1/carrier/reroutes/{id}/decline", tag = "carrier",
    params(("id" = i64, Path, description = "The offer's id")),
    description = "Decline a reroute: the shipment keeps its warehouse.",
    responses((status = 200, description = "The declined reroute"), (status = 404, description = "No such offer for this carrier"), (status = 409, description = "Already decided")))]
pub(crate) async fn decline_reroute(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    decide(&state, &caller, id, RerouteDecision::Decline, lang).await
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    decision: RerouteDecision,
    lang: Lang,
) -> Result<Response, ApiError> {
    if matches!(caller.0, Principal::Seller(_)) {
        return Err(role_error(lang, "carrier"));
    }
    let decided: Reroute = state
        .store
        .decide_reroute(&caller.0, id, decision, state.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                Problem::new(
                    "reroute.not_found",
                    "id",
                    format!("no reroute offer {id} is addressed to you: list yours with GET /api/v1/carrier/reroutes"),
                    format!("没有发给您的改派提议 {id}：可通过 GET /api/v1/carrier/reroutes 查看"),
                ),
                lang,
            ),
            StoreError::Conflict { .. } => ApiError::new(
                axum::http::StatusCode::CONFLICT,
                Problem::new(
                    "reroute.decided",
                    "id",
                    format!("reroute offer {id} has already been decided: it cannot be changed"),
                    format!("改派提议 {id} 已处理，无法更改"),
                ),
                lang,
            ),
            other => ApiError::store(lang, other),
        })?;
    Ok(Json(decided).into_response())
}
