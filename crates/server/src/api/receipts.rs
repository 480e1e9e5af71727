//! Warehouse receipts: what the warehouse counted of a shipment once it
//! arrived. The operator reports them for the warehouses it runs; a seller
//! may report its own shipment's, as its Amazon account shows them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracklane_core::{Problem, ShipmentStatus};
use tracklane_store::{ReceiptLine, ReceiptRequest, ShipmentKey, StoreError};

use super::{BATCH_STATUS, ItemResultView, json_body, not_for_carriers, visible_shipment};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

/// The most SKU lines one receipt may hold.
pub const RECEIPT_LINES_MAX: usize = 5_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReceiptInput {
    #[serde(default)]
    items: Vec<LineInput>,
    #[serde(default)]
    receiving_complete: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineInput {
    sku: String,
    units_received: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptView {
    items: Vec<ItemResultView>,
    status: ShipmentStatus,
    units_received: u32,
    units_expected: u32,
}

/// `POST /api/v1/shipments/{shipmentId}/receipts`
#[utoipa::path(post, path = "/api/v1/shipments/{shipmentId}/receipts", tag = "seller",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Report what the warehouse counted: {items:[{sku, unitsReceived}], receivingComplete}. unitsReceived is the SKU's total received so far over every box, not an increment, so sending a receipt again changes nothing. The first receipt checks the shipment in (CHECKED_IN, then RECEIVING once units are counted); receivingComplete: true closes it (CLOSED), short or not. Each line is accepted, a duplicate of the stored count, or rejected by index with the field and the fix (a SKU the shipment does not hold); the others are kept. Every change is audited. For the operator and the shipment's seller.",
    responses((status = 200, description = "{items:[{index, status, code?, field?, message?}], status, unitsReceived, unitsExpected}"),
              (status = 400, description = "Not a receipt: no items and not complete, too many lines, or a field of the wrong type"),
              (status = 403, description = "A carrier key"),
              (status = 404, description = "Not your shipment")))]
pub(crate) async fn post_receipt(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    not_for_carriers(&caller, lang)?;
    let input: ReceiptInput = json_body(&body, lang)?;
    if input.items.is_empty() && !input.receiving_complete {
        return Err(ApiError::bad_request(
            lang,
            Problem::new(
                "receipt.empty",
                "items",
                "the receipt counts nothing: give items [{sku, unitsReceived}], or receivingComplete: true to close receiving",
                "收货记录为空：请填写 items [{sku, unitsReceived}]，或用 receivingComplete: true 结束收货",
            ),
        ));
    }
    if input.items.len() > RECEIPT_LINES_MAX {
        return Err(ApiError::bad_request(
            lang,
            Problem::new(
                "receipt.too_many_lines",
                "items",
                format!(
                    "a receipt holds at most {RECEIPT_LINES_MAX} SKUs and this one has {}: send one line per SKU of the shipment",
                    input.items.len()
                ),
                format!(
                    "一份收货记录最多 {RECEIPT_LINES_MAX} 个 SKU，本次有 {} 个：每个 SKU 只需一行",
                    input.items.len()
                ),
            ),
        ));
    }
    let detail = visible_shipment(&state, &caller, &id, lang).await?;
    let request = ReceiptRequest {
        lines: input
            .items
            .into_iter()
            .map(|l| ReceiptLine {
                sku: l.sku,
                units_received: l.units_received,
            })
            .collect(),
        closes: input.receiving_complete,
        actor: caller.0.audit_name(),
        now: state.clock.now(),
    };
    let recorded = state
        .store
        .record_receipt(&ShipmentKey::new(detail.shipment.id.as_str()), request)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ApiError::shipment_not_found(lang, &id),
            other => ApiError::store(lang, other),
        })?;
    let view = ReceiptView {
        items: recorded
            .items
            .iter()
            .map(|o| ItemResultView {
                detected: None,
                ..ItemResultView::of(o, lang)
            })
            .collect(),
        status: recorded.status,
        units_received: recorded.units_received,
        units_expected: recorded.units_expected,
    };
    Ok((BATCH_STATUS, Json(view)).into_response())
}
