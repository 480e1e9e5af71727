//! Warehouses, for the operator: receiving capacity, backlog, congestion (the
//! backlog in days of capacity) and the volume on its way, by day.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;
use tracklane_store::Principal;

use super::layout::{self, Nav};
use super::{Ctx, PageError, PageResult, html as respond, i18n, svg};
use crate::AppState;

/// Backlog, in days of receiving capacity, above which a warehouse counts as
/// congested on this page.
const CONGESTED_DAYS: f64 = 3.0;
/// … and above which it is busy.
const BUSY_DAYS: f64 = 1.0;
/// Days of incoming volume drawn, from today.
const INCOMING_DAYS_SHOWN: i64 = 28;

/// Units per day from `today` for [`INCOMING_DAYS_SHOWN`] days (zero where
/// nothing is expected), and the units whose window has already passed.
fn incoming(
    today: jiff::civil::Date,
    by_day: &[(jiff::civil::Date, u64)],
) -> (Vec<(String, u64)>, u64) {
    let overdue = by_day
        .iter()
        .filter(|(d, _)| *d < today)
        .map(|(_, u)| u)
        .sum();
    let days = (0..INCOMING_DAYS_SHOWN)
        .filter_map(|i| today.checked_add(jiff::Span::new().days(i)).ok())
        .map(|d| {
            let units = by_day
                .iter()
                .find(|(day, _)| *day == d)
                .map_or(0, |(_, u)| *u);
            (d.to_string(), units)
        })
        .collect();
    (days, overdue)
}

/// `GET /warehouses`
pub(crate) async fn page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    if session.principal != Principal::Operator {
        return Err(PageError::forbidden(
            lang,
            "Warehouses are for the hub's operator. Sign in with the operator key.",
            "仓库页面仅限运营方：请使用运营方密钥登录。",
        )
        .into_response());
    }
    let err = |e| PageError::store(lang, e).into_response();
    let warehouses = state.store.warehouses().await.map_err(err)?;
    let stats = state
        .store
        .hub_stats(&Principal::Operator)
        .await
        .map_err(err)?;
    let today = state.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let body = html! {
        h1 { (lang.t("Warehouses", "仓库")) }
        p.muted { (lang.t(
            "Congestion is the backlog in days of receiving capacity. Incoming volume spreads each shipment's units over its delivery window until estimated arrivals are available.",
            "拥堵程度 = 积压量 ÷ 日接收能力（天）。在预计到达时间可用之前，来货量按各货件的送达时段平均分摊。")) }
        table.rows #warehouses {
            thead { tr {
                th scope="col" { (lang.t("Warehouse", "仓库")) }
                th scope="col" .num { (lang.t("Capacity / day", "日接收能力")) }
                th scope="col" .num { (lang.t("Backlog (units)", "积压（件）")) }
                th scope="col" { (lang.t("Congestion", "拥堵程度")) }
                th scope="col" .num { (lang.t("Inbound shipments / units", "在途货件 / 件数")) }
                th scope="col" { (lang.t("Incoming by day", "每日来货量")) }
                th scope="col" { (lang.t("Receiving", "接收情况")) }
            } }
            tbody {
                @for w in &warehouses {
                    @let days = f64::from(w.backlog_units) / f64::from(w.receiving_capacity_units_per_day.max(1));
                    @let load = stats.warehouses.iter().find(|l| l.warehouse == w.code);
                    tr {
                        td data-label=(lang.t("Warehouse", "仓库")) { strong.id { (w.code) } " · " (w.name) span.sub { (w.address.city) " · " (i18n::marketplace(lang, w.marketplace)) } }
                        td.num data-label=(lang.t("Capacity / day", "日接收能力")) { (w.receiving_capacity_units_per_day) }
                        td.num data-label=(lang.t("Backlog", "积压")) { (w.backlog_units) }
                        td data-label=(lang.t("Congestion", "拥堵程度")) {
                            @if days > CONGESTED_DAYS { span.badge.bad { (lang.t("congested", "拥堵")) } }
                            @else if days > BUSY_DAYS { span.badge.warn { (lang.t("busy", "繁忙")) } }
                            @else { span.badge.ok { (lang.t("clear", "畅通")) } }
                            " " (format!("{days:.1}")) (lang.t(" days", " 天"))
                        }
                        td.num data-label=(lang.t("Inbound", "在途")) {
                            @match load { Some(l) => { (l.inbound_shipments) " / " (l.inbound_units) }, None => "0 / 0" }
                        }
                        td data-label=(lang.t("Incoming by day", "每日来货量")) {
                            @let (days, overdue) = incoming(today, load.map_or(&[][..], |l| &l.incoming_by_day[..]));
                            (svg::columns(&format!("{} {}", lang.t("Units expected per day at", "每日预计来货量"), w.code), &days))
                            span.sub {
                                (days.first().map_or("", |d| d.0.as_str())) " – " (days.last().map_or("", |d| d.0.as_str()))
                                @if overdue > 0 { " · " (overdue) (lang.t(" units past their window", " 件已超过送达时段")) }
                            }
                        }
                        td data-label=(lang.t("Receiving", "接收情况")) {
                            @match stats.receiving.iter().find(|r| r.warehouse == w.code) {
                                Some(r) => {
                                    (r.receiving) (lang.t(" being received", " 个接收中"))
                                    @if r.closed > 0 {
                                        span.sub { (r.closed) (lang.t(" closed, median ", " 个已完成，中位数 ")) (format!("{:.1}", r.days_to_close_median)) (lang.t(" d", " 天")) }
                                    }
                                    @if r.closed_short > 0 {
                                        span.sub { span.badge.bad { (r.closed_short) (lang.t(" short", " 个短少")) } " " (r.units_short) (lang.t(" units", " 件")) }
                                    }
                                }
                                None => { span.muted { "—" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(layout::page(
        &ctx,
        lang.t("Warehouses", "仓库"),
        Nav::Warehouses,
        body,
    )))
}
