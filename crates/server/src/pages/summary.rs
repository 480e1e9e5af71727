//! Shipment summary (货件一览): where it comes from and goes, what is in it,
//! per-box tracking with timelines (small parcel) or PRO / bill of lading with
//! freight milestones (LTL/FTL), the delivery window with the automation switch,
//! a manual edit and the audit of every change, a form to enter tracking IDs
//! by hand that checks them as they are typed, what the warehouse counted
//! (and a form to record it), and cancelling before pickup.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use tracklane_core::{
    Carrier, CarrierCode, DeliveryWindow, LegMode, Problem, ShipmentStatus, TrackingSource,
    Warehouse, WindowSource,
};
use tracklane_store::{
    Cancellation, Estimate, ItemOutcome, Principal, ReceiptLine, ReceiptRequest, Reconciliation,
    Session, ShipmentDetail, ShipmentKey, WindowChangeRequest,
};

use super::layout::{self, Nav};
use super::session::{CsrfOnly, check_csrf};
use super::shipments::status_badge;
use super::{Ctx, PageError, PageResult, html as respond, i18n, percent, when};
use crate::AppState;
use crate::error::Lang;

/// What the engine's last pass left on a shipment, as its summary shows it
/// ([`engine_view`] reads it from the `ShipmentDetail`).
pub(crate) struct EngineView {
    /// Estimated arrival: the most likely day and the interval around it.
    pub eta: Option<EtaView>,
    /// Open exceptions, with what to do.
    pub exceptions: Vec<ExceptionView>,
    /// Reroutes, oldest first.
    pub reroutes: Vec<RerouteView>,
    /// The delivery appointment at the warehouse.
    pub appointment: Option<String>,
}

/// An ETA as the pages show it: days in UTC, like every time on them.
pub(crate) struct EtaView {
    pub likely: jiff::civil::Date,
    pub earliest: jiff::civil::Date,
    pub latest: jiff::civil::Date,
}

impl EtaView {
    pub(crate) fn of(estimate: &Estimate) -> Self {
        let day = |t: jiff::Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
        EtaView {
            likely: day(estimate.p50),
            earliest: day(estimate.p10),
            latest: day(estimate.p90),
        }
    }

    /// Where the most likely day falls against `window`.
    pub(crate) fn against(&self, window: &DeliveryWindow) -> WindowFit {
        if self.likely < window.start_date {
            WindowFit::Before
        } else if self.likely > window.end_date {
            WindowFit::After
        } else {
            WindowFit::Inside
        }
    }
}

/// Where an ETA's most likely day falls against the delivery window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowFit {
    Before,
    Inside,
    After,
}

impl WindowFit {
    /// The words for it, such as "after the window".
    pub(crate) fn text(self, lang: Lang) -> &'static str {
        match self {
            WindowFit::Before => lang.t("before the window", "早于送达时段"),
            WindowFit::Inside => lang.t("in the window", "在送达时段内"),
            WindowFit::After => lang.t("after the window", "晚于送达时段"),
        }
    }

    /// A badge for a day outside the window, after a space; nothing inside
    /// it.
    pub(crate) fn badge(self, lang: Lang) -> Markup {
        html! {
            @match self {
                WindowFit::Inside => {},
                WindowFit::Before => { " " span.badge.warn { (self.text(lang)) } },
                WindowFit::After => { " " span.badge.bad { (self.text(lang)) } },
            }
        }
    }
}

/// One open exception and what to do about it, in both languages.
pub(crate) struct ExceptionView {
    pub kind: String,
    pub since: jiff::Timestamp,
    pub what_to_do: (String, String),
}

/// One reroute: from which warehouse to which, when and why.
pub(crate) struct RerouteView {
    pub at: jiff::Timestamp,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// The engine's figures for a shipment, from what its last pass stored.
fn engine_view(detail: &ShipmentDetail) -> EngineView {
    EngineView {
        eta: detail.estimate.as_ref().map(EtaView::of),
        exceptions: detail
            .exceptions
            .iter()
            .filter(|e| e.resolved_at.is_none())
            .map(|e| ExceptionView {
                kind: e.draft.kind.clone(),
                since: e.draft.since,
                what_to_do: (e.draft.next_step_en.clone(), e.draft.next_step_zh.clone()),
            })
            .collect(),
        reroutes: detail
            .reroutes
            .iter()
            .map(|r| RerouteView {
                at: r.decided_at.unwrap_or(r.offered_at),
                from: r.draft.from.to_string(),
                to: r.draft.to.to_string(),
                reason: format!("{} · {}", r.status, r.draft.reason),
            })
            .collect(),
        appointment: detail
            .reroutes
            .iter()
            .rev()
            .find_map(|r| r.appointment)
            .map(|d| d.to_string()),
    }
}

/// What the tracking form shows after a refused entry.
#[derive(Default)]
struct TrackingFormState {
    number: String,
    box_id: String,
    carrier: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Flash {
    #[serde(default)]
    saved: String,
}

async fn load(
    state: &AppState,
    ctx: &Ctx,
    session: &Session,
    id: &str,
) -> Result<ShipmentDetail, Response> {
    let detail = state
        .store
        .shipment(&ShipmentKey::new(id))
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    match detail {
        Some(d) if session.principal.can_see(&d) => Ok(d),
        _ => Err(PageError::shipment_not_found(ctx.lang, id).into_response()),
    }
}

/// `GET /shipments/{id}`
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let session = ctx.require()?;
    let detail = load(&state, &ctx, session, &id).await?;
    render(
        &state,
        &ctx,
        session,
        &detail,
        &flash.saved,
        TrackingFormState::default(),
        None,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)] // One page, its parts; a struct would only rename them.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    session: &Session,
    detail: &ShipmentDetail,
    saved: &str,
    form: TrackingFormState,
    window_error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let err = |e| PageError::store(lang, e).into_response();
    let warehouses = state.store.warehouses().await.map_err(err)?;
    let carriers = state.store.carriers().await.map_err(err)?;
    let warehouse = warehouses
        .iter()
        .find(|w| w.code == detail.shipment.warehouse);
    let engine = engine_view(detail);
    let body = summary(
        lang,
        session,
        detail,
        warehouse,
        &carriers,
        &engine,
        saved,
        &form,
        window_error.as_deref(),
    );
    let title = format!(
        "{} · {}",
        detail.shipment.name, detail.shipment.confirmation_id
    );
    Ok((
        status,
        respond(layout::page(ctx, &title, Nav::Shipments, body)),
    )
        .into_response())
}

fn flash_text(lang: Lang, saved: &str) -> Option<&'static str> {
    Some(match saved {
        "tracking" => lang.t(
            "Tracking ID saved. The carrier's milestones will appear below.",
            "追踪编码已保存，承运商的物流节点将显示在下方。",
        ),
        "automation-on" => lang.t(
            "The carrier may now update the delivery window.",
            "已允许承运商更新送达时段。",
        ),
        "automation-off" => lang.t(
            "Automatic window updates are off: only you change the window now.",
            "已关闭自动更新：送达时段现在只能由您修改。",
        ),
        "window" => lang.t(
            "Delivery window saved and recorded in the history.",
            "送达时段已保存，并已记入变更记录。",
        ),
        "cancelled" => lang.t(
            "Shipment cancelled. It no longer counts as missing tracking.",
            "货件已取消，不再计入缺少追踪信息。",
        ),
        "receipt" => lang.t(
            "Counts saved and recorded under Receiving.",
            "清点数量已保存，并已记入仓库接收记录。",
        ),
        "reconciliation" => lang.t(
            "Recorded: you asked for a reconciliation. The shipment leaves \"Received short\".",
            "已记录：您已申请对账。该货件不再列入“收货短少”。",
        ),
        "not-short" => lang.t(
            "Nothing to reconcile: receiving has not closed short.",
            "无需对账：收货尚未以短少结束。",
        ),
        "too-late" => lang.t(
            "Not cancelled: the carrier has picked it up already. Ask the carrier to stop or return it.",
            "未取消：承运商已揽收。请联系承运商拦截或退回。",
        ),
        _ => return None,
    })
}

#[allow(clippy::too_many_arguments)]
fn summary(
    lang: Lang,
    session: &Session,
    detail: &ShipmentDetail,
    warehouse: Option<&Warehouse>,
    carriers: &[Carrier],
    engine: &EngineView,
    saved: &str,
    form: &TrackingFormState,
    window_error: Option<&str>,
) -> Markup {
    let s = &detail.shipment;
    let is_seller = matches!(session.principal, Principal::Seller(_));
    let can_add_tracking = !matches!(session.principal, Principal::Operator);
    let carrier_name = |code: &CarrierCode| {
        carriers
            .iter()
            .find(|c| &c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    };
    let is_freight = s.shipping_mode.is_freight();
    // The carriers of its legs, in order of first appearance.
    let mut leg_carriers: Vec<&CarrierCode> = Vec::new();
    for leg in s.packages.iter().flat_map(|p| &p.legs) {
        if !leg_carriers.contains(&&leg.carrier) {
            leg_carriers.push(&leg.carrier);
        }
    }
    html! {
        p { a href="/" { (lang.t("« All shipments", "« 全部货件")) } }
        h1 { (s.name) " " (status_badge(lang, detail.status)) }
        p.id { (s.confirmation_id) " · " (s.id) " · " (lang.t("plan ", "计划 ")) (s.inbound_plan_id) }
        @if let Some(text) = flash_text(lang, saved) { p.notice.ok role="status" #flash { (text) } }

        div.grid {
            section.card aria-labelledby="h-from" {
                h2 #h-from { (lang.t("Ship from", "发货地")) }
                (address(&s.source_address))
            }
            section.card aria-labelledby="h-to" {
                h2 #h-to { (lang.t("Ship to", "目的仓库")) }
                @if let Some(w) = warehouse {
                    p { strong.id { (w.code) } " · " (w.name) br; (address(&w.address)) }
                } @else { p.id { (s.warehouse) } }
                p.muted { (s.marketplace.as_str()) " " (i18n::marketplace(lang, s.marketplace)) }
            }
            section.card aria-labelledby="h-facts" {
                h2 #h-facts { (lang.t("Shipment", "货件信息")) }
                dl.facts {
                    dt { (lang.t("Created", "创建时间")) } dd { (when(s.created_at)) }
                    dt { (lang.t("Last updated", "最近更新")) } dd { (when(detail.updated_at)) }
                    dt { (lang.t("Shipping mode", "货件类型")) } dd { (i18n::shipping_mode(lang, s.shipping_mode)) }
                    dt { (lang.t("Freight mode", "运输方式")) } dd { (i18n::freight_mode(lang, s.freight_mode)) }
                    dt { (lang.t("Selected carrier", "所选承运商")) }
                    dd { @match &s.selected_carrier { Some(c) => (carrier_name(c)), None => span.muted { (lang.t("none chosen", "未选择")) } } }
                    dt { (lang.t("Carried by", "实际承运商")) }
                    dd {
                        @if leg_carriers.is_empty() { span.muted { (lang.t("no tracking yet", "尚无追踪编码")) } }
                        @for (i, c) in leg_carriers.iter().enumerate() { @if i > 0 { ", " } (carrier_name(c)) }
                    }
                    dt { (lang.t("Boxes", "箱数")) } dd { (s.packages.len()) }
                    dt { (lang.t("SKUs", "SKU 数")) } dd { (s.sku_count()) }
                    dt { (lang.t("Units received / expected", "已接收 / 预计数量")) } dd { (s.units_received()) " / " (s.units_expected()) }
                }
            }
        }

        section aria-labelledby="h-eta" {
            h2 #h-eta { (lang.t("Estimated arrival", "预计到达")) }
            @if let Some(eta) = &engine.eta {
                p #eta {
                    strong { (eta.likely) } " (" (eta.earliest) " – " (eta.latest) ")"
                    @if let Some((w, _)) = &s.delivery_window { (eta.against(w).badge(lang)) }
                }
            } @else {
                p.muted #eta-none { (lang.t("No estimate yet.", "暂无预计到达时间。")) }
            }
            @if let Some(a) = &engine.appointment { p { (lang.t("Warehouse appointment: ", "送仓预约：")) (a) } }
        }

        section aria-labelledby="h-exc" {
            h2 #h-exc { (lang.t("Exceptions", "异常")) }
            @if engine.exceptions.is_empty() { p.muted { (lang.t("No open exceptions.", "没有未处理的异常。")) } }
            ul { @for e in &engine.exceptions { li { strong { (i18n::exception_kind(lang, &e.kind)) } " · " (when(e.since)) " — " (lang.t(&e.what_to_do.0, &e.what_to_do.1)) } } }
        }

        (receiving_section(lang, session, detail))
        @if is_seller && matches!(detail.status, ShipmentStatus::Working | ShipmentStatus::ReadyToShip) {
            form.card #cancel method="post" action={ "/shipments/" (s.confirmation_id) "/cancel" } {
                input type="hidden" name="csrf" value=(session.csrf);
                p { (lang.t("Not sending it after all? You can cancel it until the carrier picks it up.", "不再发货？在承运商揽收之前都可以取消。")) }
                button.secondary type="submit" { (lang.t("Cancel this shipment", "取消此货件")) }
            }
        }

        (window_section(lang, session, detail, is_seller, window_error))

        section aria-labelledby="h-reroute" {
            h2 #h-reroute { (lang.t("Reroutes", "改仓记录")) }
            @if engine.reroutes.is_empty() { p.muted { (lang.t("Never rerouted.", "未发生改仓。")) } }
            ul { @for r in &engine.reroutes { li { (when(r.at)) ": " (r.from) " → " (r.to) " — " (r.reason) } } }
        }

        section aria-labelledby="h-tracking" #tracking {
            h2 #h-tracking {
                @if is_freight { (lang.t("Freight tracking (PRO / bill of lading)", "货运追踪（PRO / 提单号）")) }
                @else { (lang.t("Tracking per box", "逐箱追踪")) }
            }
            @if can_add_tracking && (s.is_missing_tracking() || is_freight) {
                (tracking_form(lang, session, detail, carriers, form))
            }
            @for (i, (p, timeline)) in s.packages.iter().zip(&detail.timelines).enumerate() {
                details.box open[i < 3 || !form.box_id.is_empty() && form.box_id == p.box_id.as_str()] {
                    summary {
                        span.id { (p.box_id) } " · "
                        (i18n::package_status(lang, p.track.status(p.has_tracking())))
                        @if !p.has_tracking() { " " span.badge.bad { (lang.t("no tracking ID", "无追踪编码")) } }
                    }
                    p.muted {
                        @for (j, item) in p.items.iter().enumerate() {
                            @if j > 0 { ", " }
                            span.id { (item.sku) } " × " (item.units_expected)
                            @if item.units_received > 0 { " (" (item.units_received) (lang.t(" received", " 已接收")) ")" }
                        }
                        " · " (p.weight_grams / 1000) " kg · " (p.dimensions_mm[0]) "×" (p.dimensions_mm[1]) "×" (p.dimensions_mm[2]) " mm"
                    }
                    @if !p.legs.is_empty() {
                        ul {
                            @for leg in &p.legs {
                                li {
                                    @if matches!(leg.mode, LegMode::Ltl | LegMode::Ftl) { (lang.t("PRO / BOL ", "PRO / 提单号 ")) }
                                    a.id href={ "/track/" (percent(leg.tracking_number.as_str())) } { (leg.tracking_number) }
                                    " · " (carrier_name(&leg.carrier)) " · " (i18n::leg_mode(lang, leg.mode))
                                    " · " span.muted { (i18n::tracking_source(lang, leg.source)) }
                                }
                            }
                        }
                    }
                    @if p.track.is_closed { p.muted { (lang.t("Tracking closed on arrival at the warehouse.", "已到达仓库，追踪已结束。")) } }
                    (timeline_list(lang, timeline))
                }
            }
        }
    }
}

/// What the warehouse counted: per SKU, sent against received, and every
/// receipt that changed something.
fn receiving_section(lang: Lang, session: &Session, detail: &ShipmentDetail) -> Markup {
    let counts = detail.shipment.sku_counts();
    let closed = detail.receipts.iter().find(|r| r.closes);
    let may_record = !matches!(session.principal, Principal::Carrier(_))
        && detail.status != ShipmentStatus::Cancelled;
    html! {
        section aria-labelledby="h-receiving" #receiving {
            h2 #h-receiving { (lang.t("Receiving", "仓库接收")) }
            @if may_record {
                details #receipt-form-box {
                    summary { (lang.t("Record what the warehouse counted", "录入仓库清点数量")) }
                    form.card #receipt-form method="post" action={ "/shipments/" (detail.shipment.confirmation_id) "/receipt" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        p.muted { (lang.t(
                            "Enter each SKU's units received so far, over every box (a total, not what was added).",
                            "填写每个 SKU 截至目前的已接收总数（所有箱子合计，不是新增数量）。")) }
                        @for (i, c) in counts.iter().enumerate() {
                            label for={ "units-" (i) } { span.id { (c.sku) } (lang.t(" · sent ", " · 发货 ")) (c.units_expected) }
                            input id={ "units-" (i) } type="number" name={ "units-" (i) } min="0" max="10000000" required value=(c.units_received);
                        }
                        label.check for="receipt-complete" {
                            input #receipt-complete type="checkbox" name="complete" value="1" checked[closed.is_some()];
                            (lang.t("Receiving is finished (close it, short or not)", "接收已结束（无论是否短少都结束）"))
                        }
                        button type="submit" { (lang.t("Save counts", "保存清点数量")) }
                    }
                }
            }
            @if detail.receipts.is_empty() {
                p.muted { (lang.t("The warehouse has not reported any units yet.", "仓库尚未报告接收数量。")) }
            } @else {
                @if let Some(c) = closed {
                    @let (sent, got) = (detail.shipment.units_expected(), detail.shipment.units_received());
                    p #receiving-closed {
                        (lang.t("Receiving closed ", "接收已结束于 ")) (when(c.at))
                        @if got < sent { " " span.badge.bad { (super::shipments::short_by(lang, sent - got)) } }
                    }
                    @if got < sent {
                        (reconciliation(lang, session, detail))
                    }
                }
                table.receiving {
                    thead { tr {
                        th scope="col" { "SKU" }
                        th.num scope="col" { (lang.t("Sent", "发货数量")) }
                        th.num scope="col" { (lang.t("Received", "已接收")) }
                        th.num scope="col" { (lang.t("Difference", "差异")) }
                    } }
                    tbody {
                        @for c in &counts {
                            @let diff = i64::from(c.units_received) - i64::from(c.units_expected);
                            tr {
                                td.id data-label="SKU" { (c.sku) }
                                td.num data-label=(lang.t("Sent", "发货数量")) { (c.units_expected) }
                                td.num data-label=(lang.t("Received", "已接收")) { (c.units_received) }
                                td.num data-label=(lang.t("Difference", "差异")) {
                                    @if diff == 0 { "0" }
                                    @else if closed.is_some() && diff < 0 { span.badge.bad { (diff) } }
                                    @else if diff > 0 { "+" (diff) }
                                    @else { (diff) }
                                }
                            }
                        }
                    }
                }
                h3 { (lang.t("Receipts", "收货记录")) }
                ol.timeline reversed {
                    @for r in detail.receipts.iter().rev() {
                        li {
                            strong { (when(r.at)) } " · " (r.actor)
                            @for c in &r.changes { span.sub { span.id { (c.sku) } " " (c.from) " → " (c.to) } }
                            @if r.changes.is_empty() && !r.closes { span.sub { (lang.t("checked in", "已签入")) } }
                            @if r.closes { span.sub { (lang.t("closed receiving", "结束接收")) } }
                        }
                    }
                }
            }
        }
    }
}

/// Under a short close: when the seller asked for a reconciliation, or a
/// button to record that it has.
fn reconciliation(lang: Lang, session: &Session, detail: &ShipmentDetail) -> Markup {
    html! {
        @if let Some(r) = &detail.reconciliation {
            p #reconciliation {
                (lang.t("Reconciliation asked for ", "已申请对账于 ")) (when(r.at)) " · " (r.by)
            }
        } @else if !matches!(session.principal, Principal::Carrier(_)) {
            form.card #reconciliation-form method="post" action={ "/shipments/" (detail.shipment.confirmation_id) "/reconciliation" } {
                input type="hidden" name="csrf" value=(session.csrf);
                p { (lang.t(
                    "Compare the counts with your packing list, then ask the marketplace for a reconciliation (on Amazon, a shipment reconciliation case). Record it here so the shipment leaves \"Received short\".",
                    "请对照装箱单核对数量，然后向平台申请对账（在亚马逊上为货件对账申请）。在此记录后，该货件将不再列入“收货短少”。")) }
                button type="submit" { (lang.t("I have asked for a reconciliation", "我已申请对账")) }
            }
        }
    }
}

/// A package's milestones, newest first.
pub(crate) fn timeline_list(lang: Lang, timeline: &[tracklane_store::StoredMilestone]) -> Markup {
    html! {
        @if timeline.is_empty() {
            p.muted { (lang.t("No milestones yet.", "暂无物流节点。")) }
        } @else {
            ol.timeline reversed {
                @for m in timeline.iter().rev() {
                    li.late[m.after_close] {
                        strong { (i18n::milestone(lang, m.milestone.code)) }
                        " · " (when(m.milestone.occurred_at))
                        @let place: Vec<&str> = [&m.milestone.location.city, &m.milestone.location.country_code].into_iter().flatten().map(String::as_str).collect();
                        @if !place.is_empty() { " · " (place.join(", ")) }
                        @if let Some(d) = &m.milestone.description { span.sub { (d) } }
                        @if m.after_close { span.sub { (lang.t("received after tracking closed; changes nothing", "追踪结束后收到，不影响状态")) } }
                    }
                }
            }
        }
    }
}

fn address(a: &tracklane_core::Address) -> Markup {
    html! {
        p {
            (a.name) br; (a.address_line1) br;
            (a.city) @if let Some(r) = &a.state_or_province_code { ", " (r) } " " (a.postal_code) br;
            (a.country_code)
        }
    }
}

fn window_section(
    lang: Lang,
    session: &Session,
    detail: &ShipmentDetail,
    is_seller: bool,
    error: Option<&str>,
) -> Markup {
    let s = &detail.shipment;
    html! {
        section aria-labelledby="h-window" #window {
            h2 #h-window { (lang.t("Delivery window", "送达时段")) }
            @if let Some((w, source)) = &s.delivery_window {
                p #window-current { strong { (w.start_date) " – " (w.end_date) } " · " (i18n::window_source(lang, *source)) }
            } @else { p #window-current.muted { (lang.t("No delivery window yet.", "尚未设置送达时段。")) } }
            @if is_seller {
                div.grid {
                    form.card method="post" action={ "/shipments/" (s.confirmation_id) "/automation" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        label.check for="automation" {
                            input #automation type="checkbox" name="enabled" value="1" checked[s.allows_window_automation];
                            (lang.t("Allow the carrier to update my delivery window", "允许承运商更新我的送达时段"))
                        }
                        p.muted { (lang.t(
                            "Only carriers with DW Automation can, and every change is recorded below. You stay responsible for the window.",
                            "仅支持 DW Automation 的承运商可以更新，每次变更都会记录在下方。送达时段仍由您负责。")) }
                        button.secondary type="submit" { (lang.t("Save", "保存")) }
                    }
                    form.card method="post" action={ "/shipments/" (s.confirmation_id) "/window" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        label for="window-day" { (lang.t("Set the window to the week of", "将送达时段设为以下日期所在的一周")) }
                        input #window-day type="date" name="day" required
                            value=[s.delivery_window.map(|(w, _)| w.start_date.to_string())]
                            aria-describedby=[error.map(|_| "window-error")];
                        p.muted { (lang.t("A window is one Sunday–Saturday week.", "送达时段为周日至周六的一整周。")) }
                        label for="window-reason" { (lang.t("Reason (kept in the history)", "原因（记入变更记录）")) }
                        input #window-reason type="text" name="reason" maxlength="200";
                        @if let Some(e) = error { p.hint.bad #window-error role="alert" { (e) } }
                        button type="submit" { (lang.t("Set window", "设置送达时段")) }
                    }
                }
            } @else {
                p.muted { @if s.allows_window_automation { (lang.t("The seller allows carrier updates of the window.", "卖家允许承运商更新送达时段。")) } @else { (lang.t("The seller sets the window by hand.", "送达时段由卖家手动设置。")) } }
            }
            h3 { (lang.t("Changes", "变更记录")) }
            @if detail.window_history.is_empty() {
                p.muted { (lang.t("No changes recorded.", "暂无变更记录。")) }
            } @else {
                table #window-history {
                    thead { tr {
                        th scope="col" { (lang.t("When", "时间")) } th scope="col" { (lang.t("Who", "操作方")) }
                        th scope="col" { (lang.t("From", "原时段")) } th scope="col" { (lang.t("To", "新时段")) }
                        th scope="col" { (lang.t("Why", "原因")) }
                    } }
                    tbody {
                        @for c in detail.window_history.iter().rev() {
                            tr {
                                td { (when(c.at)) } td { (c.actor) span.sub { (i18n::window_source(lang, c.source)) } }
                                td { @match &c.from { Some(w) => { (w.start_date) " – " (w.end_date) }, None => "—" } }
                                td { (c.to.start_date) " – " (c.to.end_date) }
                                td { (c.reason) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn tracking_form(
    lang: Lang,
    session: &Session,
    detail: &ShipmentDetail,
    carriers: &[Carrier],
    form: &TrackingFormState,
) -> Markup {
    let s = &detail.shipment;
    let is_freight = s.shipping_mode.is_freight();
    let own_carrier = match &session.principal {
        Principal::Carrier(c) => Some(c),
        _ => None,
    };
    // The carrier the seller chose, else the one already carrying a box.
    let chosen = if form.carrier.is_empty() {
        s.selected_carrier
            .as_ref()
            .or_else(|| {
                s.packages
                    .iter()
                    .flat_map(|p| &p.legs)
                    .map(|l| &l.carrier)
                    .next()
            })
            .map(|c| c.to_string())
            .unwrap_or_default()
    } else {
        form.carrier.clone()
    };
    let boxes: Vec<_> = s.packages.iter().filter(|p| !p.has_tracking()).collect();
    html! {
        form.card #tracking-form method="post" action={ "/shipments/" (s.confirmation_id) "/tracking" } {
            h3 { (lang.t("Enter a tracking ID", "录入追踪编码")) }
            input type="hidden" name="csrf" value=(session.csrf);
            div.grid {
                @if !is_freight {
                    div {
                        label for="box" { (lang.t("Box", "箱号")) }
                        select #box name="box" required {
                            @for p in &boxes { option value=(p.box_id) selected[form.box_id == p.box_id.as_str()] { (p.box_id) } }
                        }
                    }
                }
                div {
                    label for="carrier" { (lang.t("Carrier", "承运商")) }
                    @if let Some(c) = own_carrier {
                        input type="hidden" name="carrier" value=(c);
                        p.id { (c) }
                    } @else {
                        select #carrier name="carrier" required {
                            @for c in carriers { option value=(c.code) selected[chosen == c.code.as_str()] { (c.name) " (" (c.code) ")" } }
                        }
                    }
                }
                div {
                    label for="number" {
                        @if is_freight { (lang.t("PRO or bill of lading number", "PRO 或提单号")) } @else { (lang.t("Tracking ID", "追踪编码")) }
                    }
                    input #number type="text" name="number" required autocomplete="off" spellcheck="false" value=(form.number)
                        data-check="number-check" aria-describedby="number-check" aria-invalid=[form.error.as_ref().map(|_| "true")];
                    p.hint.bad[form.error.is_some()] #number-check aria-live="polite" { @if let Some(e) = &form.error { (e) } }
                }
            }
            button type="submit" { (lang.t("Save tracking ID", "保存追踪编码")) }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TrackingInput {
    csrf: String,
    #[serde(rename = "box", default)]
    box_id: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    number: String,
}

/// `POST /shipments/{id}/tracking`: one tracking ID for one box, or a PRO / bill
/// of lading for every freight unit. A refused number shows the page again
/// with the reason and the typed value.
pub(crate) async fn add_tracking(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<TrackingInput>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, &input.csrf, lang)?;
    let (carrier, source) = match &session.principal {
        Principal::Carrier(c) => (Some(c.clone()), TrackingSource::Carrier),
        Principal::Seller(_) => (
            CarrierCode::parse(input.carrier.trim()).ok(),
            TrackingSource::Seller,
        ),
        Principal::Operator => {
            return Err(PageError::forbidden(
                lang,
                "The operator reads shipments; their seller or carrier enters tracking.",
                "运营方只能查看货件；追踪编码由卖家或承运商录入。",
            )
            .into_response());
        }
    };
    let detail = load(&state, &ctx, session, &id).await?;
    let refuse = |message: String| TrackingFormState {
        number: input.number.clone(),
        box_id: input.box_id.clone(),
        carrier: input.carrier.clone(),
        error: Some(message),
    };
    let Some(carrier) = carrier else {
        let form = refuse(
            lang.t(
                "Choose the carrier that issued the number.",
                "请选择签发该编码的承运商。",
            )
            .to_owned(),
        );
        return render(
            &state,
            &ctx,
            session,
            &detail,
            "",
            form,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let is_freight = detail.shipment.shipping_mode.is_freight();
    let item = tracklane_ingest::TrackingItem {
        box_id: (!is_freight).then(|| input.box_id.trim().to_owned()),
        tracking_number: input.number.clone(),
        carrier,
        mode: Some(if is_freight {
            LegMode::Ltl
        } else {
            LegMode::SmallParcel
        }),
        field: "number".into(),
    };
    let outcomes = tracklane_ingest::assign_tracking(
        state.store.as_ref(),
        &session.principal,
        &ShipmentKey::new(detail.shipment.id.as_str()),
        vec![item],
        source,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        tracklane_ingest::IngestError::Store(tracklane_store::StoreError::NotFound { .. }) => {
            PageError::shipment_not_found(lang, &id).into_response()
        }
        other => {
            let p = other.problem();
            PageError::new(
                StatusCode::BAD_REQUEST,
                lang,
                p.message(false),
                p.message(true),
            )
            .into_response()
        }
    })?;
    match outcomes.first() {
        Some(ItemOutcome::Rejected { problem, .. }) => {
            let form = refuse(problem.message(lang.is_zh()).to_owned());
            render(
                &state,
                &ctx,
                session,
                &detail,
                "",
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        _ => Ok(Redirect::to(&format!(
            "/shipments/{}?saved=tracking#tracking",
            detail.shipment.confirmation_id
        ))
        .into_response()),
    }
}

#[derive(Deserialize)]
pub(crate) struct AutomationInput {
    csrf: String,
    #[serde(default)]
    enabled: String,
}

/// `POST /shipments/{id}/receipt`: the receipt form, one `units-{i}` per
/// SKU in the order [`tracklane_core::Shipment::sku_counts`] gives them.
pub(crate) async fn record_receipt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<HashMap<String, String>>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, input.get("csrf").map_or("", String::as_str), lang)?;
    if matches!(session.principal, Principal::Carrier(_)) {
        return Err(PageError::forbidden(
            lang,
            "Warehouse counts are recorded by the shipment's seller or the hub's operator.",
            "仓库清点数量由货件的卖家或运营方录入。",
        )
        .into_response());
    }
    let detail = load(&state, &ctx, session, &id).await?;
    let mut lines = Vec::new();
    for (i, count) in detail.shipment.sku_counts().into_iter().enumerate() {
        let raw = input.get(&format!("units-{i}")).map_or("", |v| v.trim());
        let Ok(units) = raw.parse::<u32>() else {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                lang,
                format!(
                    "The count for SKU {} is \"{raw}\": enter a whole number of units, 0 or more.",
                    count.sku
                ),
                format!(
                    "SKU {} 的数量“{raw}”无效：请填写 0 或以上的整数。",
                    count.sku
                ),
            )
            .into_response());
        };
        lines.push(ReceiptLine {
            sku: count.sku,
            units_received: units,
        });
    }
    state
        .store
        .record_receipt(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            ReceiptRequest {
                lines,
                closes: input.get("complete").is_some_and(|v| !v.is_empty()),
                actor: session.principal.audit_name(),
                now: state.clock.now(),
            },
        )
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    Ok(Redirect::to(&format!(
        "/shipments/{}?saved=receipt#receiving",
        detail.shipment.confirmation_id
    ))
    .into_response())
}

/// `POST /shipments/{id}/cancel`
pub(crate) async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<CsrfOnly>,
) -> PageResult {
    let session = ctx.require()?;
    check_csrf(session, &input.csrf, ctx.lang)?;
    seller_only(session, ctx.lang)?;
    let detail = load(&state, &ctx, session, &id).await?;
    let outcome = state
        .store
        .cancel_shipment(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            state.clock.now(),
        )
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    let saved = match outcome {
        Cancellation::Cancelled | Cancellation::AlreadyCancelled => "cancelled",
        Cancellation::TooLate(_) => "too-late",
    };
    Ok(Redirect::to(&format!(
        "/shipments/{}?saved={saved}",
        detail.shipment.confirmation_id
    ))
    .into_response())
}

/// `POST /shipments/{id}/reconciliation`
pub(crate) async fn request_reconciliation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<CsrfOnly>,
) -> PageResult {
    let session = ctx.require()?;
    check_csrf(session, &input.csrf, ctx.lang)?;
    if matches!(session.principal, Principal::Carrier(_)) {
        return Err(PageError::forbidden(
            ctx.lang,
            "A reconciliation is recorded by the shipment's seller or the hub's operator.",
            "对账申请由货件的卖家或运营方记录。",
        )
        .into_response());
    }
    let detail = load(&state, &ctx, session, &id).await?;
    let outcome = state
        .store
        .request_reconciliation(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            session.principal.audit_name(),
            state.clock.now(),
        )
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    let saved = match outcome {
        Reconciliation::Requested(_) | Reconciliation::AlreadyRequested(_) => "reconciliation",
        Reconciliation::NotShort { .. } => "not-short",
    };
    Ok(Redirect::to(&format!(
        "/shipments/{}?saved={saved}#receiving",
        detail.shipment.confirmation_id
    ))
    .into_response())
}

fn seller_only(session: &Session, lang: Lang) -> Result<tracklane_core::SellerId, Response> {
    match &session.principal {
        Principal::Seller(id) => Ok(id.clone()),
        _ => Err(PageError::forbidden(
            lang,
            "Only the shipment's seller changes its delivery window.",
            "只有货件的卖家可以修改送达时段。",
        )
        .into_response()),
    }
}

/// `POST /shipments/{id}/automation`
pub(crate) async fn set_automation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<AutomationInput>,
) -> PageResult {
    let session = ctx.require()?;
    check_csrf(session, &input.csrf, ctx.lang)?;
    seller_only(session, ctx.lang)?;
    let detail = load(&state, &ctx, session, &id).await?;
    let enabled = !input.enabled.is_empty();
    state
        .store
        .set_window_automation(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            enabled,
            state.clock.now(),
        )
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    let saved = if enabled {
        "automation-on"
    } else {
        "automation-off"
    };
    Ok(Redirect::to(&format!(
        "/shipments/{}?saved={saved}#window",
        detail.shipment.confirmation_id
    ))
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct WindowFormInput {
    csrf: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    reason: String,
}

/// `POST /shipments/{id}/window`: the week containing `day` becomes the window.
pub(crate) async fn set_window(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<WindowFormInput>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    check_csrf(session, &input.csrf, lang)?;
    let seller = seller_only(session, lang)?;
    let detail = load(&state, &ctx, session, &id).await?;
    let Ok(day) = input.day.trim().parse::<jiff::civil::Date>() else {
        let problem = Problem::new(
            "window.day",
            "day",
            "Pick a day (YYYY-MM-DD): the window becomes the Sunday–Saturday week around it.",
            "请选择日期（YYYY-MM-DD）：送达时段将设为该日期所在的周日至周六。",
        );
        let message = problem.message(lang.is_zh()).to_owned();
        return render(
            &state,
            &ctx,
            session,
            &detail,
            "",
            TrackingFormState::default(),
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let reason = input.reason.trim();
    state
        .store
        .set_delivery_window(
            &ShipmentKey::new(detail.shipment.id.as_str()),
            WindowChangeRequest {
                window: DeliveryWindow::week_of(day),
                source: WindowSource::Seller,
                actor: format!("seller:{seller}"),
                reason: if reason.is_empty() {
                    "set by hand".into()
                } else {
                    reason.chars().take(200).collect()
                },
                now: state.clock.now(),
            },
        )
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    Ok(Redirect::to(&format!(
        "/shipments/{}?saved=window#window",
        detail.shipment.confirmation_id
    ))
    .into_response())
}
