//! Shipment progress (货件处理进度), the start page: every shipment the reader
//! may see, newest update first or in the order the reader picks (oldest
//! update, or arriving soonest), with filters kept in the URL and cursor
//! pagination that costs the same on the millionth shipment as on the first.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use tracklane_core::{
    Carrier, CarrierCode, FreightMode, Marketplace, PackageStatus, ShipmentStatus, ShippingMode,
    WarehouseCode,
};
use tracklane_engine::{ExceptionKind, Severity};
use tracklane_store::{
    ATTENTION_COUNT_MAX, Attention, Cursor, Estimate, ExceptionDraft, PAGE_SIZE_MAX, Principal,
    ShipmentQuery, ShipmentSort, ShipmentSummary, Store, StoreResult,
};

use super::layout::{self, Nav};
use super::summary::EtaView;
use super::{Ctx, PageError, PageResult, html as respond, i18n, percent, when_cell};
use crate::AppState;
use crate::error::Lang;

/// Rows per page unless the URL says otherwise.
const PAGE_ROWS: usize = 50;
/// How often the open list refreshes itself, in milliseconds (with the script).
const LIVE_REFRESH_MS: u32 = 5_000;

/// The filters as the URL carries them. Every field is text so that a bad
/// value is reported rather than failing the whole page.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    warehouse: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    marketplace: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    shipping: String,
    #[serde(default)]
    missing: String,
    /// "Received short": receiving closed short, no reconciliation asked for.
    #[serde(default)]
    short: String,
    /// "Only with exceptions": shipments the last engine pass left an open
    /// exception on.
    #[serde(default)]
    exceptions: String,
    /// Only shipments with an open exception of this kind (wire name).
    #[serde(default)]
    exception: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    limit: String,
}

impl Filters {
    fn is_on(v: &str) -> bool {
        matches!(v, "1" | "true" | "on")
    }

    /// The store query, and the names of parameters that were ignored because
    /// they did not parse.
    pub(crate) fn query(&self, viewer: Principal) -> (ShipmentQuery, Vec<&'static str>) {
        let mut q = ShipmentQuery::new(viewer);
        let mut ignored = Vec::new();
        let t = |s: &str| s.trim().to_owned();
        macro_rules! parse {
            ($field:ident, $name:literal, $parse:expr) => {
                if !self.$field.trim().is_empty() {
                    match $parse(self.$field.trim()) {
                        Some(v) => Some(v),
                        None => {
                            ignored.push($name);
                            None
                        }
                    }
                } else {
                    None
                }
            };
        }
        q.status = parse!(status, "status", ShipmentStatus::parse);
        q.warehouse = parse!(warehouse, "warehouse", |s: &str| WarehouseCode::parse(s)
            .ok());
        q.carrier = parse!(carrier, "carrier", |s: &str| CarrierCode::parse(s).ok());
        q.marketplace = parse!(marketplace, "marketplace", Marketplace::parse);
        q.freight_mode = parse!(mode, "mode", FreightMode::parse);
        q.shipping_mode = parse!(shipping, "shipping", ShippingMode::parse);
        q.cursor = parse!(cursor, "cursor", Cursor::decode);
        q.exception_kind = parse!(exception, "exception", |s: &str| ExceptionKind::parse(s)
            .map(|k| k.as_str().to_owned()));
        q.sort = parse!(sort, "sort", ShipmentSort::parse).unwrap_or_default();
        if !q.cursor_fits() {
            // A cursor of another order (an edited URL): the first page of
            // this order, with a word about it, as for any filter that
            // does not fit.
            q.cursor = None;
            ignored.push("cursor");
        }
        q.missing_tracking = Self::is_on(&self.missing);
        q.received_short = Self::is_on(&self.short);
        q.with_exceptions = Self::is_on(&self.exceptions);
        let text = t(&self.q);
        q.text = (!text.is_empty()).then_some(text);
        q.limit = self
            .limit
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=PAGE_SIZE_MAX).contains(n))
            .unwrap_or(PAGE_ROWS);
        (q, ignored)
    }

    /// This filter set as a query string, with `cursor` replaced.
    fn href(&self, cursor: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("status", &self.status),
            ("warehouse", &self.warehouse),
            ("carrier", &self.carrier),
            ("marketplace", &self.marketplace),
            ("mode", &self.mode),
            ("shipping", &self.shipping),
            ("missing", &self.missing),
            ("short", &self.short),
            ("exceptions", &self.exceptions),
            ("exception", &self.exception),
            ("q", &self.q),
            ("sort", &self.sort),
            ("limit", &self.limit),
        ];
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", percent(v.trim())))
            .collect();
        if query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", query.join("&"))
        }
    }

    fn is_filtered(&self) -> bool {
        self.href(None) != "/"
    }

    /// The CSV download of every shipment this filter set matches.
    fn csv_href(&self) -> String {
        format!("/shipments.csv{}", self.href(None).trim_start_matches('/'))
    }
}

/// Per-row figures from the engine that the listing's own row lacks, each
/// read for the whole page in one query.
pub(crate) struct RowExtras {
    /// The arrival estimate of its last pass, while the shipment is on its
    /// way (one that has arrived keeps its last estimate in the store).
    pub eta: Option<EtaView>,
    /// Its most urgent open exception, whose next step is the row's.
    pub urgent: Option<ExceptionDraft>,
}

/// The engine's per-row figures for `rows`, in their order.
pub(crate) async fn row_extras(
    store: &dyn Store,
    rows: &[ShipmentSummary],
) -> StoreResult<Vec<RowExtras>> {
    let seqs: Vec<i64> = rows.iter().map(|s| s.seq).collect();
    // Only rows the last pass counted exceptions on have any to read.
    let troubled: Vec<i64> = rows
        .iter()
        .filter(|s| s.open_exceptions > 0)
        .map(|s| s.seq)
        .collect();
    let (estimates, exceptions) = tokio::try_join!(
        store.estimates_of(&seqs),
        store.open_exceptions_of(&troubled)
    )?;
    let mut estimates: HashMap<i64, Estimate> = estimates.into_iter().collect();
    let rank = |e: &ExceptionDraft| Severity::parse(&e.severity);
    let mut urgent: HashMap<i64, ExceptionDraft> = HashMap::new();
    for (seq, exception) in exceptions {
        match urgent.get(&seq) {
            // The first opened of the most severe.
            Some(kept) if rank(kept) >= rank(&exception) => {}
            _ => {
                urgent.insert(seq, exception);
            }
        }
    }
    Ok(rows
        .iter()
        .map(|s| RowExtras {
            eta: estimates
                .remove(&s.seq)
                .filter(|_| is_on_its_way(s.status))
                .map(|e| EtaView::of(&e)),
            urgent: urgent.remove(&s.seq),
        })
        .collect())
}

/// Whether a shipment has yet to reach its warehouse, so that an ETA means
/// something.
fn is_on_its_way(status: ShipmentStatus) -> bool {
    matches!(
        status,
        ShipmentStatus::Working
            | ShipmentStatus::ReadyToShip
            | ShipmentStatus::Shipped
            | ShipmentStatus::InTransit
    )
}

/// The next thing a person does about a shipment, from what the listing shows.
pub(crate) fn next_step(lang: Lang, s: &ShipmentSummary) -> &'static str {
    let problem = s
        .latest_milestone
        .as_ref()
        .map(|m| PackageStatus::of_code(m.code))
        .is_some_and(|p| {
            matches!(
                p,
                PackageStatus::Exception | PackageStatus::CustomsHold | PackageStatus::Lost
            )
        });
    if problem {
        return lang.t(
            "Contact the carrier about the latest event",
            "就最新异常联系承运商",
        );
    }
    if s.missing_tracking && !matches!(s.status, ShipmentStatus::Cancelled | ShipmentStatus::Closed)
    {
        return lang.t("Add tracking IDs", "添加追踪编码");
    }
    match s.status {
        ShipmentStatus::Working => lang.t("Book the carrier", "预约承运商"),
        ShipmentStatus::ReadyToShip => lang.t("Hand over to the carrier", "等待承运商揽收"),
        ShipmentStatus::Shipped | ShipmentStatus::InTransit => {
            lang.t("Watch progress and the window", "关注运输进度与送达时段")
        }
        ShipmentStatus::Delivered | ShipmentStatus::CheckedIn => {
            lang.t("Warehouse will start receiving", "等待仓库开始接收")
        }
        ShipmentStatus::Receiving => lang.t("Check received units", "核对已接收数量"),
        ShipmentStatus::Closed if s.units_short().is_some() => {
            if s.reconciliation.is_some() {
                lang.t(
                    "Received short: reconciliation asked for, follow the case",
                    "收货短少：已申请对账，请跟进处理结果",
                )
            } else {
                lang.t(
                    "Received short: compare with your packing list and ask for reconciliation",
                    "收货短少：请核对装箱单并申请对账",
                )
            }
        }
        ShipmentStatus::Closed => lang.t("Done", "已完成"),
        ShipmentStatus::Cancelled => "—",
    }
}

/// "N short": units sent that the warehouse did not count.
pub(crate) fn short_by(lang: Lang, units: u32) -> String {
    match lang {
        Lang::Zh => format!("短少 {units}"),
        Lang::En => format!("{units} short"),
    }
}

/// A status as a coloured badge.
pub(crate) fn status_badge(lang: Lang, status: ShipmentStatus) -> Markup {
    let class = match status {
        ShipmentStatus::Delivered
        | ShipmentStatus::CheckedIn
        | ShipmentStatus::Receiving
        | ShipmentStatus::Closed => "badge ok",
        ShipmentStatus::Shipped | ShipmentStatus::InTransit => "badge info",
        ShipmentStatus::Working | ShipmentStatus::ReadyToShip => "badge warn",
        ShipmentStatus::Cancelled => "badge",
    };
    html! { span class=(class) { (i18n::shipment_status(lang, status)) } }
}

fn select(
    lang: Lang,
    id: &str,
    label: (&str, &str),
    current: &str,
    options: impl IntoIterator<Item = (String, String)>,
) -> Markup {
    html! {
        div {
            label for=(id) { (lang.t(label.0, label.1)) }
            select #(id) name=(id) {
                option value="" { (lang.t("Any", "全部")) }
                @for (value, text) in options {
                    option value=(value) selected[value == current] { (text) }
                }
            }
        }
    }
}

/// `GET /`
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(filters): Query<Filters>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    let (query, ignored) = filters.query(session.principal.clone());
    let err = |e| PageError::store(lang, e).into_response();
    let page = state.store.list_shipments(&query).await.map_err(err)?;
    let kinds = crate::api::exception_kinds();
    let (warehouses, carriers, extras, attention) = tokio::try_join!(
        state.store.warehouses(),
        state.store.carriers(),
        row_extras(state.store.as_ref(), &page.shipments),
        state.store.attention(&session.principal, &kinds),
    )
    .map_err(err)?;
    let next = page.next.map(|c| filters.href(Some(&c.encode())));

    let body = html! {
        h1 { (lang.t("Shipment progress", "货件处理进度")) }
        @if !ignored.is_empty() {
            p.notice.warn role="status" {
                (lang.t("Ignored filters that did not fit: ", "以下筛选条件格式不正确，已忽略："))
                (ignored.join(", "))
            }
        }
        form.filters.card method="get" action="/" role="search" aria-label=(lang.t("Filter shipments", "筛选货件")) {
            div.wide {
                label for="q" { (lang.t("Search", "搜索")) }
                input #q type="search" name="q" value=(filters.q)
                    placeholder=(lang.t("Shipment ID, name, tracking number or SKU", "货件编号、名称、追踪编码或 SKU"));
            }
            (select(lang, "status", ("Status", "状态"), &filters.status,
                ShipmentStatus::ALL.iter().map(|s| (s.as_str().to_owned(), i18n::shipment_status(lang, *s).to_owned()))))
            (select(lang, "warehouse", ("Warehouse", "目的仓库"), &filters.warehouse,
                warehouses.iter().map(|w| (w.code.to_string(), format!("{} · {}", w.code, w.name)))))
            (select(lang, "carrier", ("Carrier", "承运商"), &filters.carrier,
                carriers.iter().map(|c| (c.code.to_string(), c.name.clone()))))
            (select(lang, "marketplace", ("Marketplace", "站点"), &filters.marketplace,
                Marketplace::ALL.iter().map(|m| (m.as_str().to_owned(), format!("{} {}", m.as_str(), i18n::marketplace(lang, *m))))))
            (select(lang, "mode", ("Freight mode", "运输方式"), &filters.mode,
                FreightMode::ALL.iter().map(|m| (m.as_str().to_owned(), i18n::freight_mode(lang, *m).to_owned()))))
            (select(lang, "shipping", ("Shipping mode", "货件类型"), &filters.shipping,
                ShippingMode::ALL.iter().map(|m| (m.as_str().to_owned(), i18n::shipping_mode(lang, *m).to_owned()))))
            (select(lang, "exception", ("Open exception", "未处理异常"), &filters.exception,
                ExceptionKind::ALL.iter().map(|k| (k.as_str().to_owned(), i18n::exception_kind(lang, k.as_str()).to_owned()))))
            div {
                label for="sort" { (lang.t("Sort", "排序")) }
                select #sort name="sort" {
                    option value="" { (lang.t("Newest update first", "最近更新在前")) }
                    option value="oldest" selected[query.sort == ShipmentSort::OldestUpdate] { (lang.t("Oldest update first", "最早更新在前")) }
                    option value="arrival" selected[query.sort == ShipmentSort::ArrivalSoonest] { (lang.t("Arriving soonest", "最早到达")) }
                }
            }
            div {
                label.check for="missing" {
                    input #missing type="checkbox" name="missing" value="1" checked[Filters::is_on(&filters.missing)];
                    (lang.t("Only shipments missing tracking", "仅显示缺少追踪信息的货件"))
                }
                label.check for="exceptions" {
                    input #exceptions type="checkbox" name="exceptions" value="1" checked[Filters::is_on(&filters.exceptions)];
                    (lang.t("Only with exceptions", "仅显示有异常的货件"))
                }
                label.check for="short" {
                    input #short type="checkbox" name="short" value="1" checked[Filters::is_on(&filters.short)];
                    (lang.t("Only received short, not yet reconciled", "仅显示收货短少且未申请对账的货件"))
                }
            }
            div.actions {
                button type="submit" { (lang.t("Apply", "筛选")) }
                @if filters.is_filtered() { a href="/" { (lang.t("Clear", "清除")) } }
            }
        }
        p.live { span #live-status aria-live="polite" {} }
        div data-live=(LIVE_REFRESH_MS) {
            (attention_links(lang, &attention, &filters))
            @if page.shipments.is_empty() {
                p.notice #no-rows { (lang.t("No shipments match these filters.", "没有符合筛选条件的货件。")) }
            } @else {
                p.muted {
                    (sort_caption(lang, query.sort))
                    (page.shipments.len()) (lang.t(" shipments on this page.", " 个货件（本页）。"))
                    " "
                    a #export href=(filters.csv_href()) download {
                        (lang.t("Download every matching shipment (CSV)", "下载全部符合条件的货件 (CSV)"))
                    }
                    @if !matches!(session.principal, Principal::Carrier(_)) {
                        " · "
                        a #import href="/tracking/import" {
                            (lang.t("Upload tracking IDs from a spreadsheet", "从表格批量上传追踪编码"))
                        }
                    }
                }
                table.rows #shipments aria-label=(lang.t("Shipments", "货件列表")) {
                    thead { tr {
                        th scope="col" { (lang.t("Shipment", "货件")) }
                        th scope="col" { (lang.t("Created / updated", "创建 / 更新")) }
                        th scope="col" { (lang.t("Destination and window", "目的仓库与送达时段")) }
                        th scope="col" .num { (lang.t("SKUs", "SKU 数")) }
                        th scope="col" .num { (lang.t("Units received / expected", "已接收 / 预计数量")) }
                        th scope="col" { (lang.t("Status", "状态")) }
                        th scope="col" { (lang.t("Carrier", "承运商")) }
                        th scope="col" { (lang.t("Latest milestone", "最新节点")) }
                        th scope="col" .num { (lang.t("Open exceptions", "未处理异常")) }
                        th scope="col" { (lang.t("Next step", "下一步")) }
                    } }
                    tbody {
                        @for (s, extra) in page.shipments.iter().zip(&extras) {
                            (row(lang, s, extra, &carriers))
                        }
                    }
                }
            }
            nav.pager aria-label=(lang.t("Pages", "分页")) {
                @if query.cursor.is_some() { a href=(filters.href(None)) { (lang.t("« First page", "« 第一页")) } }
                @if let Some(next) = &next { a #next-page href=(next) rel="next" { (lang.t("Next page »", "下一页 »")) } }
            }
        }
    };
    Ok(respond(layout::page(
        &ctx,
        lang.t("Shipment progress", "货件处理进度"),
        Nav::Shipments,
        body,
    )))
}

/// The line that says which order the rows are in.
fn sort_caption(lang: Lang, sort: ShipmentSort) -> &'static str {
    match sort {
        ShipmentSort::NewestUpdate => lang.t("Newest update first. ", "按最近更新排序。"),
        ShipmentSort::OldestUpdate => lang.t("Oldest update first. ", "按最早更新排序。"),
        ShipmentSort::ArrivalSoonest => lang.t(
            "Arriving soonest first, by the estimated arrival or else the delivery window; then shipments with neither; finished ones last. ",
            "按预计到达时间排序，最早到达在前（依据预计到达时间，没有则依据送达时段）；两者皆无的货件随后，已完成的货件排在最后。",
        ),
    }
}

/// "Needs attention": how many shipments lack tracking or have an open
/// exception, of each kind, each a link to the list of them. The link whose
/// list is the one shown is marked current.
fn attention_links(lang: Lang, attention: &Attention, filters: &Filters) -> Markup {
    let shown = filters.href(None);
    let link = |only: Filters, label: &str, count: u64| {
        let href = only.href(None);
        html! {
            " "
            a.chip href=(href) aria-current=[(href == shown).then_some("true")] {
                (label) " " span.count {
                    (count) @if count >= ATTENTION_COUNT_MAX { "+" }
                }
            }
        }
    };
    let nothing = attention.missing_tracking == 0
        && attention.received_short == 0
        && attention.with_exceptions == 0;
    html! {
        nav.attention #attention aria-label=(lang.t("Needs attention", "需要处理")) {
            strong { (lang.t("Needs attention:", "需要处理：")) }
            @if nothing {
                " " span.muted { (lang.t("nothing right now.", "暂无。")) }
            }
            @if attention.missing_tracking > 0 {
                (link(Filters { missing: "1".to_owned(), ..Filters::default() },
                    lang.t("Missing tracking", "缺少追踪信息"), attention.missing_tracking))
            }
            @if attention.received_short > 0 {
                (link(Filters { short: "1".to_owned(), ..Filters::default() },
                    lang.t("Received short", "收货短少"), attention.received_short))
            }
            @for kind in ExceptionKind::ALL {
                @if let Some(&count) = attention.by_kind.get(kind.as_str()) {
                    (link(Filters { exception: kind.as_str().to_owned(), ..Filters::default() },
                        i18n::exception_kind(lang, kind.as_str()), count))
                }
            }
            @if attention.with_exceptions > 0 {
                (link(Filters { exceptions: "1".to_owned(), ..Filters::default() },
                    lang.t("Any open exception", "全部有异常的货件"), attention.with_exceptions))
            }
        }
    }
}

/// One shipment's row. `carriers` gives the names its carriers' codes stand
/// for; a code with no carrier behind it is shown as it is.
fn row(lang: Lang, s: &ShipmentSummary, extra: &RowExtras, carriers: &[Carrier]) -> Markup {
    let href = format!("/shipments/{}", s.confirmation_id);
    html! {
        tr {
            td data-label=(lang.t("Shipment", "货件")) {
                a href=(href) { (s.name) }
                span.sub.id { (s.confirmation_id) }
            }
            td data-label=(lang.t("Created / updated", "创建 / 更新")) {
                (when_cell(s.created_at)) span.sub { (when_cell(s.updated_at)) }
            }
            td data-label=(lang.t("Destination", "目的仓库")) {
                span.id { (s.warehouse) } " · " (s.marketplace.as_str())
                span.sub {
                    @if let Some((w, _)) = &s.delivery_window {
                        span.nw { (w.start_date) } " – " span.nw { (w.end_date) }
                    }
                    @else { (lang.t("no window", "未设送达时段")) }
                }
                @if let Some(eta) = &extra.eta {
                    span.sub.eta title={ (eta.earliest) " – " (eta.latest) } {
                        (lang.t("ETA ", "预计 ")) span.nw { (eta.likely) }
                        @if let Some((w, _)) = &s.delivery_window { (eta.against(w).badge(lang)) }
                    }
                }
            }
            td.num data-label=(lang.t("SKUs", "SKU 数")) { (s.sku_count) }
            td.num data-label=(lang.t("Units", "数量")) {
                (s.units_received) " / " (s.units_expected)
                @if let Some(short) = s.units_short() {
                    span.sub { span.badge.bad { (short_by(lang, short)) } }
                }
            }
            td data-label=(lang.t("Status", "状态")) {
                (status_badge(lang, s.status))
                @if s.missing_tracking { " " span.badge.bad { (lang.t("missing tracking", "缺少追踪")) } }
            }
            td data-label=(lang.t("Carrier", "承运商")) {
                @if s.carriers.is_empty() { span.muted { "—" } }
                @for (i, code) in s.carriers.iter().enumerate() {
                    @if i > 0 { ", " }
                    @match carriers.iter().find(|c| c.code == *code) {
                        Some(c) => span title=(code) { (c.name) },
                        None => (code),
                    }
                }
            }
            td data-label=(lang.t("Latest milestone", "最新节点")) {
                @if let Some(m) = &s.latest_milestone {
                    span title=(m.code.description()) { (i18n::milestone(lang, m.code)) } span.sub { (when_cell(m.occurred_at)) }
                } @else { span.muted { (lang.t("none yet", "暂无")) } }
            }
            td.num data-label=(lang.t("Open exceptions", "未处理异常")) { (s.open_exceptions) }
            td data-label=(lang.t("Next step", "下一步")) {
                @if let Some(e) = &extra.urgent {
                    strong { (i18n::exception_kind(lang, &e.kind)) } (lang.t(": ", "：")) (lang.t(&e.next_step_en, &e.next_step_zh))
                } @else { (next_step(lang, s)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(query: &str) -> Filters {
        serde_urlencoded_like(query)
    }

    // axum's Query uses serde_urlencoded; mirror it for the test through axum.
    fn serde_urlencoded_like(query: &str) -> Filters {
        let uri: axum::http::Uri = format!("/?{query}").parse().unwrap();
        axum::extract::Query::<Filters>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn filters_become_a_store_query_and_back() {
        let f = filters(
            "status=IN_TRANSIT&warehouse=TEB9&mode=OCEAN&missing=1&short=1&q=lamp&sort=oldest",
        );
        let (q, ignored) = f.query(Principal::Operator);
        assert!(ignored.is_empty());
        assert_eq!(q.status, Some(ShipmentStatus::InTransit));
        assert_eq!(q.freight_mode, Some(FreightMode::Ocean));
        assert!(q.missing_tracking);
        assert!(q.received_short);
        assert_eq!(q.sort, ShipmentSort::OldestUpdate);
        assert_eq!(q.text.as_deref(), Some("lamp"));
        assert_eq!(
            f.href(Some("a.b")),
            "/?status=IN_TRANSIT&warehouse=TEB9&mode=OCEAN&missing=1&short=1&q=lamp&sort=oldest&cursor=a.b"
        );
        assert_eq!(
            f.csv_href(),
            "/shipments.csv?status=IN_TRANSIT&warehouse=TEB9&mode=OCEAN&missing=1&short=1&q=lamp&sort=oldest"
        );
        assert_eq!(filters("").csv_href(), "/shipments.csv");
    }

    #[test]
    fn bad_filters_are_named_not_fatal() {
        let (q, ignored) = filters("status=FLYING&marketplace=XX").query(Principal::Operator);
        assert_eq!(ignored, vec!["status", "marketplace"]);
        assert_eq!(q.status, None);
        let (q, ignored) = filters("sort=fastest").query(Principal::Operator);
        assert_eq!(
            (q.sort, ignored),
            (ShipmentSort::NewestUpdate, vec!["sort"])
        );
    }

    #[test]
    fn a_cursor_of_another_order_starts_the_page_over() {
        let cursor = |sort| {
            Cursor {
                sort,
                key: 7,
                seq: 3,
            }
            .encode()
        };
        let arrival = cursor(ShipmentSort::ArrivalSoonest);
        let (q, ignored) =
            filters(&format!("sort=arrival&cursor={arrival}")).query(Principal::Operator);
        assert_eq!(q.cursor.map(|c| (c.key, c.seq)), Some((7, 3)));
        assert!(ignored.is_empty());
        let (q, ignored) =
            filters(&format!("sort=oldest&cursor={arrival}")).query(Principal::Operator);
        assert_eq!((q.cursor, ignored), (None, vec!["cursor"]));
    }
}
