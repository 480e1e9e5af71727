//! The seller API: create shipments, list and read them, enter tracking, steer
//! the delivery window, and find carriers.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracklane_core::{
    Address, Capability, CarrierCode, ConfirmationId, DeliveryWindow, FreightMode, InboundPlanId,
    Item, Marketplace, Package, PackageTrack, Problem, Shipment, ShipmentId, ShipmentKind,
    ShipmentStatus, ShippingMode, TrackingSource, WarehouseCode, WindowSource,
};
use tracklane_store::{
    Cancellation, Cursor, Estimate, PAGE_SIZE_MAX, Principal, Reconciliation,
    ReconciliationRequest, ShipmentKey, ShipmentQuery, ShipmentSort,
};

use super::carrier::{TrackingUpload, WindowInput};
use super::{
    DetailView, PageView, SummaryView, WindowView, bad_param, exception_kind_param, json_body,
    not_for_carriers, role_error, set_window, upload_tracking, visible_shipment,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

/// Query parameters of the listing and the export, as text: each is parsed
/// with a problem naming it when it does not fit.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// WORKING, READY_TO_SHIP, IN_TRANSIT, DELIVERED, RECEIVING, CLOSED, CANCELLED …
    pub status: Option<String>,
    /// Warehouse code
    pub warehouse: Option<String>,
    /// Carrier code
    pub carrier: Option<String>,
    /// US, UK, FR, DE, IT, ES, JP, CA
    pub marketplace: Option<String>,
    /// Only shipments with a box lacking a tracking number
    #[param(value_type = Option<bool>)]
    pub missing_tracking: Option<String>,
    /// Only shipments with an open exception
    #[param(value_type = Option<bool>)]
    pub with_exceptions: Option<String>,
    /// Only shipments whose receiving closed short and whose seller has not
    /// yet recorded asking for a reconciliation
    #[param(value_type = Option<bool>)]
    pub received_short: Option<String>,
    /// Only shipments with an open exception of this kind: stale_tracking, delivery_failed, customs_hold, missing_tracking, window_at_risk, probably_lost
    pub exception_kind: Option<String>,
    /// Shipment id, confirmation id, box id, tracking number, or part of the name
    pub q: Option<String>,
    /// RFC 3339 time
    pub updated_since: Option<String>,
    /// The order: `newest` (default: newest update first), `oldest` (oldest
    /// update first), or `arrival` (expected arrival, soonest first: the
    /// engine's estimate, else the delivery window's first day; then
    /// shipments with neither; delivered, received and cancelled ones last)
    pub sort: Option<String>,
    /// nextCursor of the previous page (the listing only), with the same sort
    pub cursor: Option<String>,
    /// 1–200, default 50 (the listing only)
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// A `true` / `false` query parameter (`1` / `0` also accepted).
fn flag(name: &str, value: &str) -> Result<bool, Problem> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad_param(
            name,
            value,
            "use true or false",
            "请使用 true 或 false",
        )),
    }
}

impl ListParams {
    /// The store query these parameters ask for, for `viewer`.
    pub(crate) fn query(&self, viewer: Principal) -> Result<ShipmentQuery, Problem> {
        let mut q = ShipmentQuery::new(viewer);
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(s) = nonempty(&self.status) {
            q.status = Some(ShipmentStatus::parse(&s).ok_or_else(|| {
                let all: Vec<&str> = ShipmentStatus::ALL.iter().map(|s| s.as_str()).collect();
                bad_param(
                    "status",
                    &s,
                    &format!("use one of {}", all.join(", ")),
                    &format!("可选值：{}", all.join("、")),
                )
            })?);
        }
        if let Some(s) = nonempty(&self.warehouse) {
            q.warehouse = Some(WarehouseCode::parse(&s).map_err(|_| {
                bad_param(
                    "warehouse",
                    &s,
                    "use a warehouse code such as TEB9",
                    "请使用仓库代码，例如 TEB9",
                )
            })?);
        }
        if let Some(s) = nonempty(&self.carrier) {
            q.carrier = Some(CarrierCode::parse(&s).map_err(|_| {
                bad_param(
                    "carrier",
                    &s,
                    "use a carrier code such as UPS",
                    "请使用承运商代码，例如 UPS",
                )
            })?);
        }
        if let Some(s) = nonempty(&self.marketplace) {
            q.marketplace = Some(Marketplace::parse(&s).ok_or_else(|| {
                bad_param(
                    "marketplace",
                    &s,
                    "use US, UK, FR, DE, IT, ES, JP or CA",
                    "可选值：US、UK、FR、DE、IT、ES、JP、CA",
                )
            })?);
        }
        if let Some(s) = nonempty(&self.missing_tracking) {
            q.missing_tracking = flag("missingTracking", &s)?;
        }
        if let Some(s) = nonempty(&self.with_exceptions) {
            q.with_exceptions = flag("withExceptions", &s)?;
        }
        if let Some(s) = nonempty(&self.received_short) {
            q.received_short = flag("receivedShort", &s)?;
        }
        if let Some(s) = nonempty(&self.exception_kind) {
            q.exception_kind = Some(exception_kind_param("exceptionKind", &s)?);
        }
        q.text = nonempty(&self.q);
        if let Some(s) = nonempty(&self.updated_since) {
            q.updated_since = Some(s.parse().map_err(|_| {
                bad_param(
                    "updatedSince",
                    &s,
                    "use an RFC 3339 time such as 2026-03-01T00:00:00Z",
                    "请使用 RFC 3339 时间，例如 2026-03-01T00:00:00Z",
                )
            })?);
        }
        if let Some(s) = nonempty(&self.sort) {
            q.sort = ShipmentSort::parse(&s).ok_or_else(|| {
                let all: Vec<&str> = ShipmentSort::ALL.iter().map(|s| s.as_str()).collect();
                bad_param(
                    "sort",
                    &s,
                    &format!("use one of {}", all.join(", ")),
                    &format!("可选值：{}", all.join("、")),
                )
            })?;
        }
        if let Some(s) = nonempty(&self.cursor) {
            let cursor = Cursor::decode(&s).ok_or_else(|| {
                bad_param(
                    "cursor",
                    &s,
                    "pass back the nextCursor of the previous page unchanged",
                    "请原样传回上一页的 nextCursor",
                )
            })?;
            if cursor.sort != q.sort {
                let (from, asked) = (cursor.sort.as_str(), q.sort.as_str());
                return Err(bad_param(
                    "cursor",
                    &s,
                    &format!(
                        "it continues a listing with sort={from}, not sort={asked}: pass sort={from} as on the page it came from, or leave the cursor out to start from the first page"
                    ),
                    &format!(
                        "该游标属于 sort={from} 的列表，不能用于 sort={asked}：请使用与上一页相同的 sort={from}，或去掉 cursor 从第一页开始"
                    ),
                ));
            }
            q.cursor = Some(cursor);
        }
        if let Some(s) = nonempty(&self.limit) {
            q.limit = s
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=PAGE_SIZE_MAX).contains(n))
                .ok_or_else(|| {
                    bad_param(
                        "limit",
                        &s,
                        &format!("use a number from 1 to {PAGE_SIZE_MAX}"),
                        &format!("请使用 1 到 {PAGE_SIZE_MAX} 之间的数字"),
                    )
                })?;
        }
        Ok(q)
    }
}

/// `GET /api/v1/shipments`
#[utoipa::path(get, path = "/api/v1/shipments", tag = "seller",
    description = "Shipments the key may see (a seller's own, a carrier's carried, all for the operator), in the order `sort` names (newest update first unless told), with cursor pagination: a nextCursor continues only the sort it came from.",
    params(ListParams),
    responses((status = 200, description = "{shipments:[…], nextCursor?}")))]
pub(crate) async fn list_shipments(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Response, ApiError> {
    let query = params
        .query(caller.0)
        .map_err(|p| ApiError::bad_request(lang, p))?;
    let page = state
        .store
        .list_shipments(&query)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let seqs: Vec<i64> = page.shipments.iter().map(|s| s.seq).collect();
    let estimates: HashMap<i64, Estimate> = state
        .store
        .estimates_of(&seqs)
        .await
        .map_err(|e| ApiError::store(lang, e))?
        .into_iter()
        .collect();
    let view = PageView {
        shipments: page
            .shipments
            .iter()
            .map(|s| SummaryView {
                summary: s,
                delivery_window: WindowView::of(&s.delivery_window),
                estimate: estimates.get(&s.seq),
            })
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    };
    Ok(Json(view).into_response())
}

/// `GET /api/v1/shipments/attention`
#[utoipa::path(get, path = "/api/v1/shipments/attention", tag = "seller",
    description = "How many of the shipments the key may see need a person: missing a tracking number, received short with no reconciliation asked for yet, with any open exception, and with an open exception of each kind (kinds without any are left out). Each count is the number of matching shipments, up to 1000: 1000 means 1000 or more. GET /api/v1/shipments?missingTracking=true, ?receivedShort=true, ?withExceptions=true or ?exceptionKind=KIND lists them.",
    responses((status = 200, description = "{missingTracking, receivedShort, withExceptions, byKind:{kind:count}}")))]
pub(crate) async fn attention(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
) -> Result<Response, ApiError> {
    let attention = state
        .store
        .attention(&caller.0, &super::exception_kinds())
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(Json(attention).into_response())
}

/// `GET /api/v1/shipments/export`
#[utoipa::path(get, path = "/api/v1/shipments/export", tag = "seller",
    description = "Every shipment the filters match (not one page), as CSV for a spreadsheet: UTF-8 with a byte-order mark, headers and labels in the language of Accept-Language (en or zh-CN), times in UTC. Same filters and sort as GET /api/v1/shipments; cursor and limit are not taken.",
    params(ListParams),
    responses((status = 200, description = "text/csv; one row per shipment", content_type = "text/csv")))]
pub(crate) async fn export_shipments(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Response, ApiError> {
    let query = params
        .query(caller.0)
        .map_err(|p| ApiError::bad_request(lang, p))?;
    crate::pages::export::csv(&state, query, lang, state.clock.now())
        .await
        .map_err(|e| ApiError::store(lang, e))
}

/// `GET /api/v1/shipments/{shipmentId}`
#[utoipa::path(get, path = "/api/v1/shipments/{shipmentId}", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "A shipment with its boxes, their legs and per-box timelines, and the audit of delivery-window changes.",
    responses((status = 200, description = "The shipment"), (status = 404, description = "Not visible to this key")))]
pub(crate) async fn get_shipment(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    Ok(Json(DetailView::of(&detail)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewShipment {
    name: String,
    warehouse: String,
    marketplace: Marketplace,
    shipping_mode: ShippingMode,
    freight_mode: FreightMode,
    carrier: Option<String>,
    source_address: Address,
    delivery_window: Option<WindowInput>,
    #[serde(default = "yes")]
    allow_window_automation: bool,
    boxes: Vec<NewBox>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewBox {
    weight_grams: u32,
    dimensions_mm: [u32; 3],
    items: Vec<NewItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewItem {
    sku: String,
    units: u32,
}

/// The most boxes one shipment may have.
const BOXES_MAX: usize = 5_000;

fn field_problem(field: &str, en: String, zh: String) -> Problem {
    Problem::new("shipment.invalid", field, en, zh)
}

fn new_shipment(
    state: &AppState,
    seller: tracklane_core::SellerId,
    input: NewShipment,
    warehouses: &[tracklane_core::Warehouse],
) -> Result<Shipment, Vec<Problem>> {
    let mut problems = Vec::new();
    if input.name.trim().is_empty() || input.name.chars().count() > 200 {
        problems.push(field_problem(
            "name",
            "name must be 1 to 200 characters: name the shipment as you will recognise it".into(),
            "name 必须为 1 到 200 个字符：请填写便于识别的货件名称".into(),
        ));
    }
    let warehouse = match warehouses
        .iter()
        .find(|w| w.code.as_str() == input.warehouse)
    {
        Some(w) if w.marketplace == input.marketplace => Some(w.code.clone()),
        Some(w) => {
            problems.push(field_problem(
                "warehouse",
                format!(
                    "warehouse {} serves the {} marketplace, not {}: choose a warehouse of {}",
                    w.code, w.marketplace, input.marketplace, input.marketplace
                ),
                format!(
                    "仓库 {} 属于 {} 站点而非 {}：请选择 {} 站点的仓库",
                    w.code, w.marketplace, input.marketplace, input.marketplace
                ),
            ));
            None
        }
        None => {
            problems.push(field_problem(
                "warehouse",
                format!("no warehouse has the code {}: use a code from GET /api/v1/warehouses, such as TEB9", input.warehouse),
                format!("找不到仓库 {}：请使用 GET /api/v1/warehouses 中的代码，例如 TEB9", input.warehouse),
            ));
            None
        }
    };
    let carrier = match input.carrier.as_deref().map(CarrierCode::parse).transpose() {
        Ok(c) => c,
        Err(e) => {
            problems.push(field_problem(
                "carrier",
                format!("{e}"),
                "carrier 格式不正确：请使用承运商代码，例如 UPS".into(),
            ));
            None
        }
    };
    let window = match input
        .delivery_window
        .map(|w| DeliveryWindow::new(w.start_date, w.end_date))
        .transpose()
    {
        Ok(w) => w,
        Err(p) => {
            problems.push(p.under("deliveryWindow"));
            None
        }
    };
    if input.boxes.is_empty() || input.boxes.len() > BOXES_MAX {
        problems.push(field_problem(
            "boxes",
            format!("a shipment has 1 to {BOXES_MAX} boxes: list each box with its items"),
            format!("货件须有 1 到 {BOXES_MAX} 个箱子：请逐箱填写内容"),
        ));
    }
    for (i, b) in input.boxes.iter().enumerate() {
        if b.items.is_empty() {
            problems.push(field_problem(
                &format!("boxes[{i}].items"),
                "every box holds at least one SKU: list its items".into(),
                "每个箱子至少包含一个 SKU：请填写箱内商品".into(),
            ));
        }
        for (j, item) in b.items.iter().enumerate() {
            if item.sku.trim().is_empty() || item.sku.len() > 40 || item.units == 0 {
                problems.push(field_problem(
                    &format!("boxes[{i}].items[{j}]"),
                    "each item needs a SKU of 1 to 40 characters and at least 1 unit".into(),
                    "每件商品需要 1 到 40 个字符的 SKU，且数量至少为 1".into(),
                ));
            }
        }
    }
    let (Some(warehouse), true) = (warehouse, problems.is_empty()) else {
        return Err(problems);
    };
    let sequence =
        u64::from_le_bytes(state.random_bytes()[..8].try_into().unwrap_or([0; 8])) % 78_364_164_096; // 36^7
    let confirmation = ConfirmationId::from_sequence(sequence);
    let now = state.clock.now();
    let packages = input
        .boxes
        .into_iter()
        .enumerate()
        .map(|(i, b)| Package {
            box_id: confirmation.box_id(i as u32 + 1),
            weight_grams: b.weight_grams,
            dimensions_mm: b.dimensions_mm,
            items: b
                .items
                .into_iter()
                .map(|it| Item {
                    sku: it.sku,
                    units_expected: it.units,
                    units_received: 0,
                })
                .collect(),
            legs: Vec::new(),
            track: PackageTrack::default(),
        })
        .collect();
    Ok(Shipment {
        id: ShipmentId::from_random(state.random_bytes()),
        inbound_plan_id: InboundPlanId::from_random(state.random_bytes()),
        confirmation_id: confirmation,
        seller,
        name: input.name,
        kind: ShipmentKind::Inbound,
        source_address: input.source_address,
        warehouse,
        marketplace: input.marketplace,
        shipping_mode: input.shipping_mode,
        freight_mode: input.freight_mode,
        selected_carrier: carrier,
        delivery_window: window.map(|w| (w, WindowSource::Seller)),
        allows_window_automation: input.allow_window_automation,
        created_at: now,
        is_cancelled: false,
        packages,
    })
}

/// `POST /api/v1/shipments`
#[utoipa::path(post, path = "/api/v1/shipments", tag = "seller",
    description = "Create an inbound shipment: {name, warehouse, marketplace, shippingMode, freightMode, carrier?, sourceAddress, deliveryWindow?, allowWindowAutomation?, boxes:[{weightGrams, dimensionsMm, items:[{sku, units}]}]}. Every problem is listed with its field.",
    responses((status = 201, description = "The new shipment"), (status = 400, description = "Problems, each naming its field")))]
pub(crate) async fn create_shipment(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Principal::Seller(seller) = caller.0.clone() else {
        return Err(role_error(lang, "seller"));
    };
    let input: NewShipment = json_body(&body, lang)?;
    let warehouses = state
        .store
        .warehouses()
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let shipment =
        new_shipment(&state, seller, input, &warehouses).map_err(|problems| ApiError {
            status: StatusCode::BAD_REQUEST,
            problems,
            lang,
        })?;
    let id = shipment.id.to_string();
    state
        .store
        .create_shipment(shipment)
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    Ok((StatusCode::CREATED, Json(DetailView::of(&detail))).into_response())
}

/// `PUT /api/v1/shipments/{shipmentId}/tracking`
#[utoipa::path(put, path = "/api/v1/shipments/{shipmentId}/tracking", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Enter tracking numbers by hand: {carrierCode, boxes:[{boxId, trackingNumber}]} or {carrierCode, proNumber}. Each number is validated (check digits, carrier format) and a wrong one is explained.",
    responses((status = 200, description = "{items:[…]}"), (status = 404, description = "Not your shipment")))]
pub(crate) async fn put_tracking(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !matches!(caller.0, Principal::Seller(_)) {
        return Err(role_error(lang, "seller"));
    }
    let upload: TrackingUpload = json_body(&body, lang)?;
    let Some(carrier) = upload
        .carrier_code
        .as_deref()
        .and_then(|c| CarrierCode::parse(c).ok())
    else {
        return Err(ApiError::bad_request(
            lang,
            Problem::new(
                "field.required",
                "carrierCode",
                "carrierCode is required: name the carrier that issued the numbers, such as UPS",
                "缺少 carrierCode：请填写签发追踪编码的承运商，例如 UPS",
            ),
        ));
    };
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    upload_tracking(
        &state,
        &caller,
        detail.shipment.id.as_str(),
        upload.items(&carrier),
        TrackingSource::Seller,
        lang,
    )
    .await
}

/// `PUT /api/v1/shipments/{shipmentId}/delivery-window`
#[utoipa::path(put, path = "/api/v1/shipments/{shipmentId}/delivery-window", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Set the delivery window by hand ({startDate, endDate, reason}): one Sunday–Saturday week. Audited.",
    responses((status = 200, description = "The audited change"), (status = 400, description = "Not one calendar week")))]
pub(crate) async fn put_delivery_window(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Principal::Seller(seller) = caller.0.clone() else {
        return Err(role_error(lang, "seller"));
    };
    let input: WindowInput = json_body(&body, lang)?;
    let window = DeliveryWindow::new(input.start_date, input.end_date)
        .map_err(|p| ApiError::bad_request(lang, p))?;
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    let reason = if input.reason.is_empty() {
        "set by hand".into()
    } else {
        input.reason
    };
    set_window(
        &state,
        &detail,
        window,
        WindowSource::Seller,
        format!("seller:{seller}"),
        reason,
        lang,
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AutomationInput {
    enabled: bool,
}

/// `PUT /api/v1/shipments/{shipmentId}/delivery-window/automation`
#[utoipa::path(put, path = "/api/v1/shipments/{shipmentId}/delivery-window/automation", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Allow or forbid the carrier to update the delivery window: {enabled: true|false}.",
    responses((status = 204, description = "Saved")))]
pub(crate) async fn put_automation(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !matches!(caller.0, Principal::Seller(_)) {
        return Err(role_error(lang, "seller"));
    }
    let input: AutomationInput = json_body(&body, lang)?;
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    state
        .store
        .set_window_automation(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            input.enabled,
            state.clock.now(),
        )
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/shipments/{shipmentId}/cancel`
#[utoipa::path(post, path = "/api/v1/shipments/{shipmentId}/cancel", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Cancel a shipment before the carrier picks it up (status WORKING or READY_TO_SHIP). It then no longer counts as missing tracking, and its exceptions resolve with the engine's next pass. Cancelling it again changes nothing. For the shipment's seller and the operator.",
    responses((status = 200, description = "{status: \"CANCELLED\"}"),
              (status = 404, description = "Not your shipment"),
              (status = 409, description = "Picked up already: the carrier has it")))]
pub(crate) async fn cancel_shipment(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    not_for_carriers(&caller, lang)?;
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    cancel(&state, &detail, lang).await?;
    Ok(Json(serde_json::json!({ "status": ShipmentStatus::Cancelled })).into_response())
}

/// Cancels `detail`'s shipment, or says why it cannot be.
pub(crate) async fn cancel(
    state: &AppState,
    detail: &tracklane_store::ShipmentDetail,
    lang: Lang,
) -> Result<(), ApiError> {
    let outcome = state
        .store
        .cancel_shipment(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            state.clock.now(),
        )
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    match outcome {
        Cancellation::Cancelled | Cancellation::AlreadyCancelled => Ok(()),
        Cancellation::TooLate(status) => Err(ApiError::new(
            StatusCode::CONFLICT,
            Problem::new(
                "shipment.not_cancellable",
                "shipmentId",
                format!(
                    "shipment {} is {} already: a shipment can be cancelled only before the carrier picks it up (WORKING or READY_TO_SHIP); ask the carrier to stop or return it",
                    detail.shipment.confirmation_id,
                    status.as_str()
                ),
                format!(
                    "货件 {} 已是 {} 状态：只有在承运商揽收之前（WORKING 或 READY_TO_SHIP）才能取消；请联系承运商拦截或退回",
                    detail.shipment.confirmation_id,
                    status.as_str()
                ),
            ),
            lang,
        )),
    }
}

/// `POST /api/v1/shipments/{shipmentId}/reconciliation`
#[utoipa::path(post, path = "/api/v1/shipments/{shipmentId}/reconciliation", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Record that the seller asked the marketplace to reconcile a shipment whose receiving closed short (on Amazon, a shipment reconciliation case). The shipment then leaves receivedShort in the listing and in the attention counts. Recording it again changes nothing and answers the first record. For the shipment's seller and the operator.",
    responses((status = 200, description = "{requestedAt, requestedBy}"),
              (status = 404, description = "Not your shipment"),
              (status = 409, description = "Receiving has not closed short")))]
pub(crate) async fn request_reconciliation(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    not_for_carriers(&caller, lang)?;
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    let request = reconcile(&state, &detail, &caller.0, lang).await?;
    Ok(
        Json(serde_json::json!({ "requestedAt": request.at, "requestedBy": request.by }))
            .into_response(),
    )
}

/// Records the reconciliation request for `detail`'s shipment, or says why
/// there is nothing to reconcile.
async fn reconcile(
    state: &AppState,
    detail: &tracklane_store::ShipmentDetail,
    principal: &Principal,
    lang: Lang,
) -> Result<ReconciliationRequest, ApiError> {
    let outcome = state
        .store
        .request_reconciliation(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            principal.audit_name(),
            state.clock.now(),
        )
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    match outcome {
        Reconciliation::Requested(request) | Reconciliation::AlreadyRequested(request) => {
            Ok(request)
        }
        Reconciliation::NotShort {
            status,
            units_expected,
            units_received,
        } => {
            let id = &detail.shipment.confirmation_id;
            let (en, zh) = if status == ShipmentStatus::Closed {
                (
                    format!(
                        "shipment {id} closed with {units_received} of {units_expected} units counted: nothing is short, so there is nothing to reconcile"
                    ),
                    format!(
                        "货件 {id} 已结束收货，清点 {units_received} / {units_expected} 件：没有短少，无需对账"
                    ),
                )
            } else {
                let status = status.as_str();
                (
                    format!(
                        "shipment {id} is {status} with {units_received} of {units_expected} units counted: a reconciliation is for a shipment whose receiving closed short; record it once the warehouse closes receiving"
                    ),
                    format!(
                        "货件 {id} 当前为 {status}，已清点 {units_received} / {units_expected} 件：只有收货已结束且数量短少的货件才需要对账；请在仓库结束收货后再记录"
                    ),
                )
            };
            Err(ApiError::new(
                StatusCode::CONFLICT,
                Problem::new("shipment.not_received_short", "shipmentId", en, zh),
                lang,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CarrierParams {
    capability: Option<String>,
    marketplace: Option<String>,
    mode: Option<String>,
    q: Option<String>,
}

/// `GET /api/v1/carriers`
#[utoipa::path(get, path = "/api/v1/carriers", tag = "seller",
    description = "The carrier directory, filtered by capability (ship_track, smart_reroute, dw_automation; comma-separated means all of them), marketplace, freight mode, and a name search.",
    params(("capability" = Option<String>, Query, description = "ship_track, smart_reroute, dw_automation"),
           ("marketplace" = Option<String>, Query, description = "US, UK, FR, DE, IT, ES, JP, CA"),
           ("mode" = Option<String>, Query, description = "EXPRESS, AIR, OCEAN, RAIL"),
           ("q" = Option<String>, Query, description = "Part of the name or code, any case")),
    responses((status = 200, description = "{carriers:[…]}")))]
pub(crate) async fn list_carriers(
    State(state): State<AppState>,
    lang: Lang,
    _caller: Caller,
    Query(params): Query<CarrierParams>,
) -> Result<Response, ApiError> {
    let mut capabilities = Vec::new();
    for c in params
        .capability
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        capabilities.push(Capability::parse(c).ok_or_else(|| {
            ApiError::bad_request(
                lang,
                bad_param(
                    "capability",
                    c,
                    "use ship_track, smart_reroute or dw_automation",
                    "可选值：ship_track、smart_reroute、dw_automation",
                ),
            )
        })?);
    }
    let marketplace = params
        .marketplace
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|m| {
            Marketplace::parse(m).ok_or_else(|| {
                ApiError::bad_request(
                    lang,
                    bad_param(
                        "marketplace",
                        m,
                        "use US, UK, FR, DE, IT, ES, JP or CA",
                        "可选值：US、UK、FR、DE、IT、ES、JP、CA",
                    ),
                )
            })
        })
        .transpose()?;
    let mode = params
        .mode
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|m| {
            FreightMode::parse(m).ok_or_else(|| {
                ApiError::bad_request(
                    lang,
                    bad_param(
                        "mode",
                        m,
                        "use EXPRESS, AIR, OCEAN or RAIL",
                        "可选值：EXPRESS、AIR、OCEAN、RAIL",
                    ),
                )
            })
        })
        .transpose()?;
    let needle = params
        .q
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let carriers = state
        .store
        .carriers()
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let filter = CarrierFilter {
        capabilities,
        marketplace,
        mode,
        needle,
    };
    let found: Vec<_> = carriers.into_iter().filter(|c| filter.matches(c)).collect();
    Ok(Json(serde_json::json!({ "carriers": found })).into_response())
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportView {
    rows: usize,
    accepted: usize,
    duplicates: usize,
    rejected: Vec<RowRejectedView>,
}

#[derive(serde::Serialize)]
struct RowRejectedView {
    line: usize,
    #[serde(flatten)]
    problem: super::ProblemView,
}

/// `POST /api/v1/tracking/import`
#[utoipa::path(post, path = "/api/v1/tracking/import", tag = "seller",
    request_body(content = String, content_type = "text/csv", description = "UTF-8 CSV whose header names the columns shipmentId, boxId (optional), carrier, trackingNumber, mode (optional); Chinese headers 货件编号, 箱号, 承运商, 追踪编码 are understood."),
    description = "Bulk tracking upload from a spreadsheet: every row is validated like a typed entry and recorded as imported. Bad rows are listed by line; the others are kept. At most 10 000 rows.",
    responses((status = 200, description = "{rows, accepted, duplicates, rejected:[{line, code, field, message}]}"), (status = 400, description = "Not UTF-8 CSV, or a required column is missing"), (status = 413, description = "More than 10 000 rows")))]
pub(crate) async fn import_tracking(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    not_for_carriers(&caller, lang)?;
    let report = tracklane_ingest::import_tracking(
        state.store.as_ref(),
        &caller.0,
        &body,
        state.clock.now(),
    )
    .await
    .map_err(|e| ApiError::ingest(lang, e))?;
    let view = ImportView {
        rows: report.rows,
        accepted: report.accepted,
        duplicates: report.duplicates,
        rejected: report
            .rejected
            .into_iter()
            .map(|r| RowRejectedView {
                line: r.line,
                problem: super::ProblemView::of(r.problem, lang),
            })
            .collect(),
    };
    Ok((super::BATCH_STATUS, Json(view)).into_response())
}

/// A carrier-directory filter, shared by the API and the carriers page: every
/// capability listed, the marketplace, the freight mode, and a lower-case
/// needle in the name or code.
#[derive(Default)]
pub(crate) struct CarrierFilter {
    pub capabilities: Vec<Capability>,
    pub marketplace: Option<Marketplace>,
    pub mode: Option<FreightMode>,
    pub needle: Option<String>,
}

impl CarrierFilter {
    /// Whether `c` passes every part of the filter.
    pub(crate) fn matches(&self, c: &tracklane_core::Carrier) -> bool {
        self.capabilities.iter().all(|cap| c.has(*cap))
            && self.marketplace.is_none_or(|m| c.marketplaces.contains(&m))
            && self.mode.is_none_or(|m| c.modes.contains(&m))
            && self.needle.as_deref().is_none_or(|n| {
                c.name.to_lowercase().contains(n) || c.code.as_str().to_lowercase().contains(n)
            })
    }
}
