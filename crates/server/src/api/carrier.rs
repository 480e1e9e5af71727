//! The carrier API: milestones, tracking numbers and delivery windows pushed by
//! the carriers that move the freight.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracklane_core::{
    Capability, CarrierCode, DeliveryWindow, LegMode, TrackingSource, WindowSource,
};
use tracklane_ingest::TrackingItem;
use tracklane_store::Principal;

use super::{
    BATCH_STATUS, ItemResultView, json_body, role_error, set_window, upload_tracking,
    visible_shipment,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Lang};

fn carrier_of(caller: &Caller, lang: Lang) -> Result<CarrierCode, ApiError> {
    match &caller.0 {
        Principal::Carrier(code) => Ok(code.clone()),
        _ => Err(role_error(lang, "carrier")),
    }
}

#[derive(Serialize)]
struct RejectedView {
    index: usize,
    #[serde(flatten)]
    problem: super::ProblemView,
}

#[derive(Serialize)]
struct BatchView {
    accepted: usize,
    duplicates: usize,
    detected: usize,
    rejected: Vec<RejectedView>,
}

/// `POST /api/v1/carrier/milestones`
#[utoipa::path(post, path = "/api/v1/carrier/milestones", tag = "carrier",
    description = "Push up to 10 000 milestones. Each item is accepted, recognised as a duplicate, or rejected by index with the field and the fix; the response comes after the accepted items are committed.",
    responses((status = 200, description = "{accepted, duplicates, detected, rejected:[{index, code, field, message}]}"),
              (status = 400, description = "The body is not a JSON object with a milestones array"),
              (status = 413, description = "More than 10 000 items")))]
pub(crate) async fn push_milestones(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let carrier = carrier_of(&caller, lang)?;
    let report =
        tracklane_ingest::push_milestones(state.store.as_ref(), &carrier, &body, state.clock.now())
            .await
            .map_err(|e| ApiError::ingest(lang, e))?;
    let m = &state.metrics;
    m.milestones_accepted
        .fetch_add(report.accepted as u64, Ordering::Relaxed);
    m.milestones_duplicate
        .fetch_add(report.duplicates as u64, Ordering::Relaxed);
    m.milestones_rejected
        .fetch_add(report.rejected.len() as u64, Ordering::Relaxed);
    m.add_rejections(&carrier, report.rejected.iter().map(|r| &r.problem));
    m.carriers_detected
        .fetch_add(report.detected as u64, Ordering::Relaxed);
    let view = BatchView {
        accepted: report.accepted,
        duplicates: report.duplicates,
        detected: report.detected,
        rejected: report
            .rejected
            .into_iter()
            .map(|r| RejectedView {
                index: r.index,
                problem: super::ProblemView::of(r.problem, lang),
            })
            .collect(),
    };
    Ok((BATCH_STATUS, Json(view)).into_response())
}

/// A tracking upload: per-box numbers for small parcel, or one PRO / bill of
/// lading for LTL/FTL freight.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TrackingUpload {
    #[serde(default)]
    pub boxes: Vec<BoxTracking>,
    pub pro_number: Option<String>,
    pub bill_of_lading_number: Option<String>,
    /// For sellers: the carrier that issued the numbers.
    pub carrier_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct BoxTracking {
    pub box_id: String,
    pub tracking_number: String,
}

impl TrackingUpload {
    pub(crate) fn items(self, carrier: &CarrierCode) -> Vec<TrackingItem> {
        let mut items: Vec<TrackingItem> = self
            .boxes
            .into_iter()
            .enumerate()
            .map(|(i, b)| TrackingItem {
                box_id: Some(b.box_id),
                tracking_number: b.tracking_number,
                carrier: carrier.clone(),
                mode: Some(LegMode::SmallParcel),
                field: format!("boxes[{i}]"),
            })
            .collect();
        for (field, number) in [
            ("proNumber", self.pro_number),
            ("billOfLadingNumber", self.bill_of_lading_number),
        ] {
            if let Some(number) = number {
                items.push(TrackingItem {
                    box_id: None,
                    tracking_number: number,
                    carrier: carrier.clone(),
                    mode: Some(LegMode::Ltl),
                    field: field.into(),
                });
            }
        }
        items
    }
}

#[derive(Serialize)]
pub(crate) struct TrackingResultView {
    pub items: Vec<ItemResultView>,
}

/// `PUT /api/v1/carrier/shipments/{shipmentId}/tracking`
#[utoipa::path(put, path = "/api/v1/carrier/shipments/{shipmentId}/tracking", tag = "carrier",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Upload per-box tracking numbers ({boxes:[{boxId, trackingNumber}]}) or a PRO / bill of lading number ({proNumber, billOfLadingNumber}) for LTL/FTL. A carrier the seller did not select is attached and recorded as detected.",
    responses((status = 200, description = "{items:[{index, status, detected?, code?, field?, message?}]}"), (status = 404, description = "No such shipment")))]
pub(crate) async fn put_tracking(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(shipment_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let carrier = carrier_of(&caller, lang)?;
    let upload: TrackingUpload = json_body(&body, lang)?;
    let items = upload.items(&carrier);
    upload_tracking(
        &state,
        &caller,
        &shipment_id,
        items,
        TrackingSource::Carrier,
        lang,
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WindowInput {
    pub start_date: jiff::civil::Date,
    pub end_date: jiff::civil::Date,
    #[serde(default)]
    pub reason: String,
}

/// `PUT /api/v1/carrier/shipments/{shipmentId}/delivery-window`
#[utoipa::path(put, path = "/api/v1/carrier/shipments/{shipmentId}/delivery-window", tag = "carrier",
    params(("shipmentId" = String, Path, description = "sh… shipment id or FBA… confirmation id")),
    description = "Move the delivery window to another Sunday–Saturday week ({startDate, endDate, reason}). Allowed only when the seller allows automation and the carrier has dw_automation; every change is audited.",
    responses((status = 200, description = "The audited change"), (status = 403, description = "Automation not allowed for this shipment or carrier"), (status = 400, description = "Not one calendar week")))]
pub(crate) async fn put_delivery_window(
    State(state): State<AppState>,
    lang: Lang,
    caller: Caller,
    Path(shipment_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let carrier_code = carrier_of(&caller, lang)?;
    let input: WindowInput = json_body(&body, lang)?;
    let window = DeliveryWindow::new(input.start_date, input.end_date)
        .map_err(|p| ApiError::bad_request(lang, p))?;
    let detail = visible_shipment(&state, &caller, &shipment_id, lang).await?;
    let carriers = state
        .store
        .carriers()
        .await
        .map_err(|e| ApiError::store(lang, e))?;
    let has_automation = carriers
        .iter()
        .any(|c| c.code == carrier_code && c.has(Capability::DwAutomation));
    // DESIGN.md invariant 4: both opt-ins are needed, as FIST requires.
    if !detail.shipment.allows_window_automation {
        return Err(ApiError::forbidden(
            lang,
            "the seller has not allowed carriers to update this shipment's delivery window: ask the seller to switch automation on",
            "卖家未允许承运商更新此货件的送达时段：请联系卖家开启自动更新",
        ));
    }
    if !has_automation {
        return Err(ApiError::forbidden(
            lang,
            "your carrier account does not have the dw_automation capability: ask the hub operator to enable it",
            "您的承运商账户未开通 DW Automation（送达时段自动更新）：请联系平台运营方开通",
        ));
    }
    let reason = if input.reason.is_empty() {
        "carrier update".into()
    } else {
        input.reason
    };
    set_window(
        &state,
        &detail,
        window,
        WindowSource::Carrier,
        format!("carrier:{carrier_code}"),
        reason,
        lang,
    )
    .await
}
