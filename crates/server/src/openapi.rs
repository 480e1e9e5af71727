//! `GET /openapi.json`: the OpenAPI description, generated from the handlers'
//! own annotations so it cannot drift from the routes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, spapi};

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "tracklane", description = "Shipment-visibility hub: carriers push tracking, sellers see every shipment of every carrier. Authenticate with `Authorization: Bearer <key>`; SP-API routes take `x-amz-access-token` from `/auth/o2/token`. Errors are `{errors:[{code, message, field}]}`; send `Accept-Language: zh-CN` for Chinese."),
    modifiers(&Security),
    security(("bearer" = [])),
    paths(
        api::carrier::push_milestones,
        api::carrier::put_tracking,
        api::carrier::put_delivery_window,
        api::engine::list_reroutes,
        api::engine::confirm_reroute,
        api::engine::decline_reroute,
        api::engine::list_exceptions,
        api::seller::list_shipments,
        api::seller::export_shipments,
        api::seller::attention,
        api::seller::get_shipment,
        api::seller::create_shipment,
        api::seller::put_tracking,
        api::seller::put_delivery_window,
        api::seller::put_automation,
        api::receipts::post_receipt,
        api::seller::cancel_shipment,
        api::seller::request_reconciliation,
        api::seller::import_tracking,
        api::seller::list_carriers,
        api::operator::list_warehouses,
        api::operator::put_carrier,
        api::operator::put_warehouse,
        api::operator::put_congestion,
        api::webhooks::create_webhook,
        api::webhooks::list_webhooks,
        api::webhooks::delete_webhook,
        api::webhooks::list_deliveries,
        api::webhooks::enable_webhook,
        api::webhooks::resend_delivery,
        spapi::token,
        spapi::get_shipment_tracking,
        spapi::get_shipment,
        spapi::update_tracking_details,
        spapi::list_delivery_window_options,
    )
)]
pub(crate) struct ApiDoc;

pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
