//! JSON views of store values for tracklane's own API (camelCase, like SP-API).

use jiff::Timestamp;
use serde::Serialize;
use tracklane_core::{DeliveryWindow, Leg, PackageStatus, WindowSource};
use tracklane_store::{
    ItemOutcome, ShipmentDetail, ShipmentSummary, StoredMilestone, WindowChange,
};

use crate::error::Lang;

/// A delivery window and who set it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WindowView {
    pub start_date: String,
    pub end_date: String,
    pub source: WindowSource,
}

impl WindowView {
    pub(crate) fn of(window: &Option<(DeliveryWindow, WindowSource)>) -> Option<Self> {
        window.as_ref().map(|(w, s)| Self {
            start_date: w.start_date.to_string(),
            end_date: w.end_date.to_string(),
            source: *s,
        })
    }
}

/// A listing row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SummaryView<'a> {
    #[serde(flatten)]
    pub summary: &'a ShipmentSummary,
    pub delivery_window: Option<WindowView>,
    /// The engine's latest arrival estimate, as the detail gives it.
    pub estimate: Option<&'a tracklane_store::Estimate>,
}

/// A listing page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageView<'a> {
    pub shipments: Vec<SummaryView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One box with its legs and timeline.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageView<'a> {
    pub box_id: &'a str,
    pub status: PackageStatus,
    pub weight_grams: u32,
    pub dimensions_mm: [u32; 3],
    pub items: &'a [tracklane_core::Item],
    pub legs: &'a [Leg],
    pub tracking_closed: bool,
    pub timeline: &'a [StoredMilestone],
}

/// A shipment's detail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DetailView<'a> {
    pub shipment_id: &'a str,
    pub inbound_plan_id: &'a str,
    pub confirmation_id: &'a str,
    pub name: &'a str,
    pub seller_id: &'a str,
    pub status: tracklane_core::ShipmentStatus,
    pub warehouse: &'a str,
    pub marketplace: tracklane_core::Marketplace,
    pub shipping_mode: tracklane_core::ShippingMode,
    pub freight_mode: tracklane_core::FreightMode,
    pub selected_carrier: Option<&'a str>,
    pub source_address: &'a tracklane_core::Address,
    pub delivery_window: Option<WindowView>,
    pub allows_window_automation: bool,
    pub window_history: &'a [WindowChange],
    pub missing_tracking: bool,
    pub units_expected: u32,
    pub units_received: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub packages: Vec<PackageView<'a>>,
    /// The engine's arrival estimate (p10 / p50 / p90), if it has one.
    pub estimate: Option<&'a tracklane_store::Estimate>,
    /// Exceptions, open first.
    pub exceptions: &'a [tracklane_store::ShipmentException],
    /// Reroute offers and decisions.
    pub reroutes: &'a [tracklane_store::Reroute],
    /// What the warehouse counted, per SKU, and its receipts.
    pub receiving: ReceivingView<'a>,
}

/// A shipment's receiving: units sent and counted per SKU, when receiving
/// closed, and every receipt that changed something.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceivingView<'a> {
    pub skus: Vec<tracklane_core::SkuCount>,
    pub receipts: &'a [tracklane_store::Receipt],
    /// When the seller asked for a reconciliation of a short receipt, and who
    /// recorded it; `null` before.
    pub reconciliation: Option<&'a tracklane_store::ReconciliationRequest>,
}

impl<'a> DetailView<'a> {
    pub(crate) fn of(d: &'a ShipmentDetail) -> Self {
        let s = &d.shipment;
        Self {
            shipment_id: s.id.as_str(),
            inbound_plan_id: s.inbound_plan_id.as_str(),
            confirmation_id: s.confirmation_id.as_str(),
            name: &s.name,
            seller_id: s.seller.as_str(),
            status: d.status,
            warehouse: s.warehouse.as_str(),
            marketplace: s.marketplace,
            shipping_mode: s.shipping_mode,
            freight_mode: s.freight_mode,
            selected_carrier: s.selected_carrier.as_ref().map(|c| c.as_str()),
            source_address: &s.source_address,
            delivery_window: WindowView::of(&s.delivery_window),
            allows_window_automation: s.allows_window_automation,
            window_history: &d.window_history,
            missing_tracking: s.is_missing_tracking(),
            units_expected: s.units_expected(),
            units_received: s.units_received(),
            created_at: s.created_at,
            updated_at: d.updated_at,
            packages: s
                .packages
                .iter()
                .zip(&d.timelines)
                .map(|(p, timeline)| PackageView {
                    box_id: p.box_id.as_str(),
                    status: p.track.status(p.has_tracking()),
                    weight_grams: p.weight_grams,
                    dimensions_mm: p.dimensions_mm,
                    items: &p.items,
                    legs: &p.legs,
                    tracking_closed: p.track.is_closed,
                    timeline,
                })
                .collect(),
            estimate: d.estimate.as_ref(),
            exceptions: &d.exceptions,
            reroutes: &d.reroutes,
            receiving: ReceivingView {
                skus: s.sku_counts(),
                receipts: &d.receipts,
                reconciliation: d.reconciliation.as_ref(),
            },
        }
    }
}

/// One item's result in a tracking upload.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemResultView {
    pub index: usize,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ItemResultView {
    pub(crate) fn of(outcome: &ItemOutcome, lang: Lang) -> Self {
        match outcome {
            ItemOutcome::Accepted { index, detected } => Self {
                index: *index,
                status: "ACCEPTED",
                detected: Some(*detected),
                code: None,
                field: None,
                message: None,
            },
            ItemOutcome::Duplicate { index } => Self {
                index: *index,
                status: "DUPLICATE",
                detected: None,
                code: None,
                field: None,
                message: None,
            },
            ItemOutcome::Rejected { index, problem } => Self {
                index: *index,
                status: "REJECTED",
                detected: None,
                code: Some(problem.code),
                field: Some(problem.field.clone()),
                message: Some(problem.message(lang.is_zh()).to_owned()),
            },
        }
    }
}

/// A rejected item's problem in the caller's language, placed beside its
/// position in the batch (`index`) or the file (`line`).
#[derive(Serialize)]
pub(crate) struct ProblemView {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl ProblemView {
    pub(crate) fn of(problem: tracklane_core::Problem, lang: Lang) -> Self {
        Self {
            code: problem.code,
            message: problem.message(lang.is_zh()).to_owned(),
            field: problem.field,
        }
    }
}
