//! SP-API-compatible routes. Shapes, identifiers and patterns follow the models
//! in `reference/sp-api/` exactly, so a seller's SP-API client pointed at
//! tracklane works unchanged: it trades a key for an access token at
//! `/auth/o2/token` and then calls these routes with `x-amz-access-token`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracklane_core::{
    CarrierCode, DeliveryWindow, LegMode, Problem, ShippingMode, TrackingSource, Warehouse,
};
use tracklane_ingest::TrackingItem;
use tracklane_store::{
    ItemOutcome, Principal, ShipmentDetail, ShipmentKey, ShipmentQuery, StoredMilestone,
};

use crate::AppState;
use crate::api::visible_shipment;
use crate::auth::{Caller, principal_for_key};
use crate::error::{ApiError, Lang};

/// Delivery-window options offered: this many weeks from the current one.
const WINDOW_OPTIONS_WEEKS: i64 = 6;

fn uuid(bytes: [u8; 16]) -> String {
    // A shipment id is `sh` + UUID; reuse its formatting and drop the prefix.
    tracklane_core::ShipmentId::from_random(bytes).as_str()[2..].to_owned()
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    refresh_token: Option<String>,
}

/// `POST /auth/o2/token`: a Login-with-Amazon-style token exchange. The seller's
/// API key is the refresh token.
#[utoipa::path(post, path = "/auth/o2/token", tag = "sp-api",
    description = "Form fields grant_type=refresh_token, refresh_token=<API key>, client_id, client_secret. Returns {access_token, token_type, expires_in, refresh_token}; send the access token as x-amz-access-token.",
    responses((status = 200, description = "The access token"), (status = 400, description = "invalid_grant")))]
pub(crate) async fn token(
    State(state): State<AppState>,
    lang: Lang,
    Form(form): Form<TokenForm>,
) -> Response {
    let invalid = |description: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": description })),
        )
            .into_response()
    };
    if form.grant_type.as_deref() != Some("refresh_token") {
        return invalid("grant_type must be refresh_token");
    }
    let Some(key) = form.refresh_token.filter(|k| !k.is_empty()) else {
        return invalid("refresh_token is required: send your tracklane API key");
    };
    let Ok(principal) = principal_for_key(&state, &key, lang).await else {
        return invalid("the refresh token is not a valid tracklane key");
    };
    let now = state.clock.now();
    let access = format!(
        "Atza|{}{}",
        uuid(state.random_bytes()),
        uuid(state.random_bytes())
    );
    let expires = now
        .saturating_add(Span::new().seconds(crate::SPAPI_TOKEN_TTL_SECONDS))
        .unwrap_or(now);
    state.tokens.insert(&access, principal, expires, now);
    Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": crate::SPAPI_TOKEN_TTL_SECONDS,
        "refresh_token": key,
    }))
    .into_response()
}

/// SP-API error list with one error.
fn sp_error(status: StatusCode, code: &str, message: String, details: &str) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if !details.is_empty() {
        error["details"] = Value::String(details.to_owned());
    }
    (
        status,
        [("x-amzn-RequestId", "tracklane")],
        Json(json!({ "errors": [error] })),
    )
        .into_response()
}

fn sp_from(error: ApiError) -> Response {
    let problem = error
        .problems
        .first()
        .cloned()
        .unwrap_or_else(|| Problem::new("error", "", "error", "错误"));
    let code = match error.status {
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Unauthorized",
        s if s.is_server_error() => "InternalFailure",
        _ => "InvalidInput",
    };
    sp_error(
        error.status,
        code,
        problem.message(error.lang.is_zh()).to_owned(),
        &problem.field,
    )
}

#[derive(Deserialize)]
pub(crate) struct TrackParams {
    #[serde(rename = "carrierTracking.trackingNumber")]
    tracking_number: Option<String>,
    #[serde(rename = "carrierTracking.carrierCode")]
    carrier_code: Option<String>,
    #[serde(rename = "containerNumber")]
    container_number: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MilestoneView {
    status: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Value>,
    occurred_at: String,
}

/// SP-API `Instant`: whole seconds in UTC with a `Z`.
fn instant(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn milestone_view(m: &StoredMilestone) -> MilestoneView {
    let mut status = json!({ "code": m.milestone.code.as_str(), "description": m.milestone.display_description() });
    if let Some(sub) = m.milestone.sub_code {
        status["subCode"] = Value::String(sub.as_str().to_owned());
    }
    let l = &m.milestone.location;
    let location = (!l.is_empty()).then(|| json!({ "address": l }));
    MilestoneView {
        status,
        location,
        occurred_at: instant(m.milestone.occurred_at),
    }
}

/// `GET /tracking/2026-01-30/shipments/track` (`getShipmentTracking`).
#[utoipa::path(get, path = "/tracking/2026-01-30/shipments/track", tag = "sp-api",
    description = "SP-API getShipmentTracking: the milestone history of a tracking number (carrierTracking.trackingNumber, optionally carrierTracking.carrierCode) or container number, most recent first.",
    params(("carrierTracking.trackingNumber" = Option<String>, Query, description = "Tracking number"),
           ("carrierTracking.carrierCode" = Option<String>, Query, description = "Carrier code"),
           ("containerNumber" = Option<String>, Query, description = "Container number")),
    responses((status = 200, description = "GetShipmentTrackingResponse"), (status = 404, description = "ErrorList")))]
pub(crate) async fn get_shipment_tracking(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    caller: Result<Caller, ApiError>,
    Query(params): Query<TrackParams>,
) -> Response {
    // The public tracking page of this hub, as the caller reached it.
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return sp_from(e),
    };
    let (raw, is_container) = match (&params.tracking_number, &params.container_number) {
        (Some(n), _) => (n.clone(), false),
        (None, Some(c)) => (c.clone(), true),
        _ => {
            return sp_error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                "Give carrierTracking.trackingNumber (or containerNumber) to look up.".into(),
                "carrierTracking.trackingNumber",
            );
        }
    };
    let number = match tracklane_core::TrackingNumber::normalize(&raw) {
        Ok(n) => n,
        Err(e) => {
            return sp_error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                e.to_string(),
                "carrierTracking.trackingNumber",
            );
        }
    };
    let mut query = ShipmentQuery::new(caller.0.clone());
    query.text = Some(number.to_string());
    query.limit = 5;
    let page = match state.store.list_shipments(&query).await {
        Ok(p) => p,
        Err(e) => return sp_from(ApiError::store(lang, e)),
    };
    for summary in &page.shipments {
        let Ok(detail) = visible_shipment(&state, &caller, &summary.shipment_id, lang).await else {
            continue;
        };
        let Some(detail_json) = tracking_detail(
            &detail,
            &number,
            params.carrier_code.as_deref(),
            is_container,
            &format!("http://{host}"),
        ) else {
            continue;
        };
        return (
            StatusCode::OK,
            [("x-amzn-RequestId", "tracklane")],
            Json(json!({ "trackingDetail": detail_json })),
        )
            .into_response();
    }
    sp_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No shipment visible to this account has tracking number {number}."),
        "",
    )
}

/// The SP-API `trackingDetail` of tracking number `number` (of `carrier_code`,
/// when given) in shipment `detail`, most recent milestone first, with the
/// engine's estimate while the package is on its way; `None` when no box of
/// the shipment carries it. `base_url` is the hub's address, for the public
/// tracking page.
pub(crate) fn tracking_detail(
    detail: &ShipmentDetail,
    number: &tracklane_core::TrackingNumber,
    carrier_code: Option<&str>,
    is_container: bool,
    base_url: &str,
) -> Option<Value> {
    let (package, timeline) = detail.package_carrying(number, carrier_code)?;
    let carrier = package
        .legs
        .iter()
        .find(|l| l.tracking_number == *number)
        .map(|l| l.carrier.to_string());
    let history: Vec<MilestoneView> = timeline
        .iter()
        .rev()
        .filter(|m| !m.after_close)
        .map(milestone_view)
        .collect();
    let identifier = if is_container {
        json!({ "containerNumber": number.as_str() })
    } else {
        json!({ "carrierTracking": { "trackingNumber": number.as_str(), "carrierCode": carrier } })
    };
    let mut detail_json = json!({
        "identifier": identifier,
        "milestoneHistory": history,
        "trackingUrl": format!("{base_url}/track/{number}"),
    });
    // The engine's interval (p10 to p90) as SP-API's estimated delivery
    // window, until the package's tracking closes on delivery.
    if let Some(estimate) = detail
        .estimate
        .as_ref()
        .filter(|_| !package.track.is_closed)
    {
        detail_json["trackingEstimates"] = json!([{
            "type": "ESTIMATED_DELIVERY_DATE",
            "estimatedInterval": {
                "startTime": estimate.p10.round(jiff::Unit::Second).unwrap_or(estimate.p10).to_string(),
                "endTime": estimate.p90.round(jiff::Unit::Second).unwrap_or(estimate.p90).to_string(),
            },
            "lastUpdatedTime": estimate.assessed_at.round(jiff::Unit::Second).unwrap_or(estimate.assessed_at).to_string(),
        }]);
    }
    if let Some(latest) = timeline.iter().rev().find(|m| !m.after_close) {
        detail_json["latestMilestone"] =
            serde_json::to_value(milestone_view(latest)).unwrap_or(Value::Null);
    }
    Some(detail_json)
}

/// Loads the shipment of an SP-API path, checking that the plan id matches.
async fn plan_shipment(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    plan_id: &str,
    shipment_id: &str,
    lang: Lang,
) -> Result<(Caller, ShipmentDetail), Response> {
    let caller = caller.map_err(sp_from)?;
    let detail = visible_shipment(state, &caller, shipment_id, lang)
        .await
        .map_err(sp_from)?;
    if detail.shipment.inbound_plan_id.as_str() != plan_id {
        return Err(sp_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Shipment {shipment_id} is not part of inbound plan {plan_id}."),
            "inboundPlanId",
        ));
    }
    Ok((caller, detail))
}

fn sp_address(a: &tracklane_core::Address) -> Value {
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut v = json!({
        "addressLine1": cut(&a.address_line1, 180),
        "city": cut(&a.city, 30),
        "countryCode": a.country_code,
        "name": cut(&a.name, 50),
        "postalCode": cut(&a.postal_code, 32),
    });
    if let Some(l2) = a.address_line2.as_deref().filter(|s| !s.is_empty()) {
        v["addressLine2"] = Value::String(cut(l2, 60));
    }
    if let Some(s) = a
        .state_or_province_code
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        v["stateOrProvinceCode"] = Value::String(cut(s, 64));
    }
    v
}

fn date_time(d: jiff::civil::Date, end_of_day: bool) -> String {
    if end_of_day {
        format!("{d}T23:59:59Z")
    } else {
        format!("{d}T00:00:00Z")
    }
}

/// A stable 36-character id derived from a shipment id (`sh` + UUID).
fn derived_id(prefix: &str, shipment_id: &str) -> String {
    format!("{prefix}{}", &shipment_id[2..])
}

fn shipment_json(detail: &ShipmentDetail, warehouse: Option<&Warehouse>) -> Value {
    let s = &detail.shipment;
    let mut destination =
        json!({ "destinationType": "AMAZON_WAREHOUSE", "warehouseId": s.warehouse.as_str() });
    if let Some(w) = warehouse {
        destination["address"] = sp_address(&w.address);
    }
    let mut body = json!({
        "shipmentId": s.id.as_str(),
        "shipmentConfirmationId": s.confirmation_id.as_str(),
        "name": s.name,
        "placementOptionId": derived_id("pl", s.id.as_str()),
        "status": detail.status.as_str(),
        "source": { "sourceType": "SELLER_FACILITY", "address": sp_address(&s.source_address) },
        "destination": destination,
    });
    if let Some((w, _)) = &s.delivery_window {
        body["selectedDeliveryWindow"] = json!({
            "availabilityType": "AVAILABLE",
            "deliveryWindowOptionId": derived_id("dw", s.id.as_str()),
            "startDate": date_time(w.start_date, false),
            "endDate": date_time(w.end_date, true),
        });
    }
    if s.shipping_mode == ShippingMode::SmallParcel {
        let items: Vec<Value> = s
            .packages
            .iter()
            .flat_map(|p| {
                p.legs.last().map(|l| {
                    json!({ "boxId": p.box_id.as_str(), "trackingId": l.tracking_number.as_str(), "trackingNumberValidationStatus": "VALIDATED" })
                })
            })
            .collect();
        body["trackingDetails"] = json!({ "spdTrackingDetail": { "spdTrackingItems": items } });
    } else {
        let numbers: Vec<&str> = {
            let mut n: Vec<&str> = s
                .packages
                .iter()
                .flat_map(|p| p.legs.iter().map(|l| l.tracking_number.as_str()))
                .collect();
            n.sort_unstable();
            n.dedup();
            n
        };
        let mut ltl = json!({ "freightBillNumber": numbers });
        if let Some(first) = numbers.first() {
            ltl["billOfLadingNumber"] = Value::String((*first).to_owned());
        }
        body["trackingDetails"] = json!({ "ltlTrackingDetail": ltl });
    }
    body
}

/// `GET /inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}` (`getShipment`).
#[utoipa::path(get, path = "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}", tag = "sp-api",
    params(("inboundPlanId" = String, Path, description = "wf… (38 characters)"), ("shipmentId" = String, Path, description = "sh… (38 characters)")),
    description = "SP-API getShipment: the Shipment model, with its tracking details and selected delivery window.",
    responses((status = 200, description = "Shipment"), (status = 404, description = "ErrorList")))]
pub(crate) async fn get_shipment(
    State(state): State<AppState>,
    lang: Lang,
    caller: Result<Caller, ApiError>,
    Path((plan_id, shipment_id)): Path<(String, String)>,
) -> Response {
    let (_caller, detail) = match plan_shipment(&state, caller, &plan_id, &shipment_id, lang).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let warehouses = state.store.warehouses().await.unwrap_or_default();
    let warehouse = warehouses
        .iter()
        .find(|w| w.code == detail.shipment.warehouse);
    (
        StatusCode::OK,
        [("x-amzn-RequestId", "tracklane")],
        Json(shipment_json(&detail, warehouse)),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateTrackingRequest {
    tracking_details: Option<TrackingDetailsInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrackingDetailsInput {
    spd_tracking_detail: Option<SpdInput>,
    ltl_tracking_detail: Option<LtlInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdInput {
    spd_tracking_items: Vec<SpdItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdItem {
    box_id: String,
    tracking_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LtlInput {
    freight_bill_number: Vec<String>,
    bill_of_lading_number: Option<String>,
}

/// `PUT …/shipments/{shipmentId}/trackingDetails` (`updateShipmentTrackingDetails`).
#[utoipa::path(put, path = "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/trackingDetails", tag = "sp-api",
    params(("inboundPlanId" = String, Path, description = "wf… (38 characters)"), ("shipmentId" = String, Path, description = "sh… (38 characters)")),
    description = "SP-API updateShipmentTrackingDetails: per-box tracking ids (spdTrackingDetail) or freight bill / bill of lading numbers (ltlTrackingDetail). Each number is validated; valid ones are kept even when others are rejected, and the 400 lists each rejected item.",
    responses((status = 202, description = "{operationId}"), (status = 400, description = "ErrorList, one error per rejected item")))]
pub(crate) async fn update_tracking_details(
    State(state): State<AppState>,
    lang: Lang,
    caller: Result<Caller, ApiError>,
    Path((plan_id, shipment_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (caller, detail) = match plan_shipment(&state, caller, &plan_id, &shipment_id, lang).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let request: UpdateTrackingRequest = match crate::api::json_body(&body, lang) {
        Ok(r) => r,
        Err(e) => return sp_from(e),
    };
    let Some(details) = request.tracking_details else {
        return sp_error(
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            "trackingDetails is required.".into(),
            "trackingDetails",
        );
    };
    // The SP-API carries no carrier with the numbers: use the seller's chosen
    // carrier, else the carrier the number's format names.
    let carrier_for = |number: &str| -> CarrierCode {
        detail
            .shipment
            .selected_carrier
            .clone()
            .or_else(|| {
                tracklane_ids::check(number)
                    .carrier
                    .and_then(|c| CarrierCode::parse(c).ok())
            })
            .unwrap_or_else(|| {
                CarrierCode::parse("UNSPECIFIED").expect("UNSPECIFIED is a valid carrier code")
            })
    };
    let mut items = Vec::new();
    if let Some(spd) = details.spd_tracking_detail {
        for (i, item) in spd.spd_tracking_items.into_iter().enumerate() {
            items.push(TrackingItem {
                box_id: Some(item.box_id),
                carrier: carrier_for(&item.tracking_id),
                tracking_number: item.tracking_id,
                mode: Some(LegMode::SmallParcel),
                field: format!("trackingDetails.spdTrackingDetail.spdTrackingItems[{i}]"),
            });
        }
    }
    if let Some(ltl) = details.ltl_tracking_detail {
        for number in ltl
            .freight_bill_number
            .into_iter()
            .chain(ltl.bill_of_lading_number)
        {
            items.push(TrackingItem {
                box_id: None,
                carrier: carrier_for(&number),
                tracking_number: number,
                mode: Some(LegMode::Ltl),
                field: "trackingDetails.ltlTrackingDetail".into(),
            });
        }
    }
    let source = if matches!(caller.0, Principal::Carrier(_)) {
        TrackingSource::Carrier
    } else {
        TrackingSource::Seller
    };
    let outcomes = match tracklane_ingest::assign_tracking(
        state.store.as_ref(),
        &caller.0,
        &ShipmentKey::new(detail.shipment.id.as_str()),
        items,
        source,
        state.clock.now(),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return sp_from(ApiError::ingest(lang, e)),
    };
    let errors: Vec<Value> = outcomes
        .iter()
        .filter_map(|o| match o {
            ItemOutcome::Rejected { problem, .. } => Some(json!({
                "code": "InvalidInput",
                "message": problem.message(lang.is_zh()),
                "details": format!("{} ({}); the other items were saved", problem.field, problem.code),
            })),
            _ => None,
        })
        .collect();
    if !errors.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            [("x-amzn-RequestId", "tracklane")],
            Json(json!({ "errors": errors })),
        )
            .into_response();
    }
    (
        StatusCode::ACCEPTED,
        [("x-amzn-RequestId", "tracklane")],
        Json(json!({ "operationId": uuid(state.random_bytes()) })),
    )
        .into_response()
}

/// `GET …/shipments/{shipmentId}/deliveryWindowOptions` (`listDeliveryWindowOptions`).
#[utoipa::path(get, path = "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/deliveryWindowOptions", tag = "sp-api",
    params(("inboundPlanId" = String, Path, description = "wf… (38 characters)"), ("shipmentId" = String, Path, description = "sh… (38 characters)")),
    description = "SP-API listDeliveryWindowOptions: the calendar weeks the shipment can be booked into, from this week on.",
    responses((status = 200, description = "ListDeliveryWindowOptionsResponse")))]
pub(crate) async fn list_delivery_window_options(
    State(state): State<AppState>,
    lang: Lang,
    caller: Result<Caller, ApiError>,
    Path((plan_id, shipment_id)): Path<(String, String)>,
) -> Response {
    let (_caller, detail) = match plan_shipment(&state, caller, &plan_id, &shipment_id, lang).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let now = state.clock.now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let first = DeliveryWindow::week_of(today);
    let options: Vec<Value> = (0..WINDOW_OPTIONS_WEEKS)
        .filter_map(|week| {
            let start = first
                .start_date
                .checked_add(Span::new().days(7 * week))
                .ok()?;
            let w = DeliveryWindow::week_of(start);
            let id = format!("dw{:02}{}", week, &detail.shipment.id.as_str()[4..]);
            Some(json!({
                "availabilityType": "AVAILABLE",
                "deliveryWindowOptionId": id,
                "startDate": date_time(w.start_date, false),
                "endDate": date_time(w.end_date, true),
                "validUntil": date_time(w.start_date, false),
            }))
        })
        .collect();
    (
        StatusCode::OK,
        [("x-amzn-RequestId", "tracklane")],
        Json(json!({ "deliveryWindowOptions": options })),
    )
        .into_response()
}
