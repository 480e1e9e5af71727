//! The operator API: the carrier directory, warehouses, their receiving
//! capacity and their congestion.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracklane_core::{Carrier, Problem, Warehouse, WarehouseCode};
use tracklane_store::Principal;

use super::{json_body, role_error};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

/// `GET /api/v1/warehouses`
#[utoipa::path(get, path = "/api/v1/warehouses", tag = "operator",
    description = "Every warehouse with its time zone, location, daily receiving capacity and backlog. Any key may read.",
    responses((status = 200, description = "{warehouses:[…]}")))]
pub(crate) async fn list_warehouses(
    State(state): State<AppState>,
    lang: Lang,
    _caller: Caller,
) -> Result<Response, ApiError> {
    let warehouses = state
        .store
        .warehouses()
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(Json(serde_json::json!({ "warehouses": warehouses })).into_response())
}

/// Refuses a body whose code is not the path's: the path names what is written.
fn same_code(problem: &'static str, body: &str, path: &str, lang: Lang) -> Result<(), ApiError> {
    if body == path {
        return Ok(());
    }
    Err(ApiError::bad_request(
        lang,
        Problem::new(
            problem,
            "code",
            format!("the body's code {body} differs from the path's {path}: make them the same"),
            format!("请求体中的代码 {body} 与路径中的 {path} 不一致：请保持一致"),
        ),
    ))
}

/// `PUT /api/v1/warehouses/{code}`
#[utoipa::path(put, path = "/api/v1/warehouses/{code}", tag = "operator",
    params(("code" = String, Path, description = "Warehouse code, such as TEB9")),
    description = "Add or replace a warehouse (operator keys only).",
    responses((status = 204, description = "Saved"), (status = 403, description = "Not an operator key")))]
pub(crate) async fn put_warehouse(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if caller.0 != Principal::Operator {
        return Err(role_error(lang, "operator"));
    }
    let warehouse: Warehouse = json_body(&body, lang)?;
    same_code(
        "warehouse.code_mismatch",
        warehouse.code.as_str(),
        &code,
        lang,
    )?;
    state
        .store
        .put_warehouse(warehouse)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /api/v1/carriers/{code}`
#[utoipa::path(put, path = "/api/v1/carriers/{code}", tag = "operator",
    params(("code" = String, Path, description = "Carrier code, such as SZ_FASTLINK")),
    description = "Add or replace a carrier of the directory (operator keys only): {code, name, website, marketplaces, modes, capabilities}. Capabilities are ship_track (may push tracking), dw_automation (may keep delivery windows current) and smart_reroute (receives reroute offers). A carrier must be here before its key can push.",
    responses((status = 204, description = "Saved"), (status = 400, description = "A field is not valid"), (status = 403, description = "Not an operator key")))]
pub(crate) async fn put_carrier(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if caller.0 != Principal::Operator {
        return Err(role_error(lang, "operator"));
    }
    let carrier: Carrier = json_body(&body, lang)?;
    same_code("carrier.code_mismatch", carrier.code.as_str(), &code, lang)?;
    if carrier.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            lang,
            Problem::new(
                "carrier.name",
                "name",
                "name is empty: give the name sellers know the carrier by",
                "name 为空：请填写卖家熟知的承运商名称",
            ),
        ));
    }
    super::http_url(
        "carrier.website",
        "website",
        &carrier.website,
        "https://www.example.com",
    )
    .map_err(|p| ApiError::bad_request(lang, p))?;
    state
        .store
        .put_carrier(carrier)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Congestion {
    backlog_units: u32,
}

/// `PUT /api/v1/warehouses/{code}/congestion`
#[utoipa::path(put, path = "/api/v1/warehouses/{code}/congestion", tag = "operator",
    params(("code" = String, Path, description = "Warehouse code, such as TEB9")),
    description = "Report a warehouse's receiving backlog: {backlogUnits}. Smart Reroute reads it.",
    responses((status = 204, description = "Saved"), (status = 404, description = "No such warehouse")))]
pub(crate) async fn put_congestion(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if caller.0 != Principal::Operator {
        return Err(role_error(lang, "operator"));
    }
    let input: Congestion = json_body(&body, lang)?;
    let code = WarehouseCode::parse(&code).map_err(|e| {
        ApiError::bad_request(
            lang,
            Problem::new(
                "warehouse.code",
                "code",
                e.to_string(),
                "仓库代码格式不正确，例如 TEB9".to_owned(),
            ),
        )
    })?;
    state
        .store
        .set_backlog(&code, input.backlog_units)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
