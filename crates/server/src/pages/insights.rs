//! Insights: the hub's own figures drawn as pictures, over the shipments the
//! reader may see — on-time rate by carrier, transit time by lane and mode,
//! tracking coverage over time, problem milestones by type, and how deliveries
//! met their windows.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;

use super::layout::{self, Nav};
use super::{Ctx, PageError, PageResult, html as respond, i18n, svg};
use crate::AppState;
use crate::error::Lang;

/// Carriers shown in the on-time chart (most deliveries first).
const CARRIERS_SHOWN_MAX: usize = 15;

/// `GET /insights`
pub(crate) async fn page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    let stats = state
        .store
        .hub_stats(&session.principal)
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;

    let mut carriers: Vec<_> = stats
        .carriers
        .iter()
        .filter(|c| c.with_window > 0)
        .collect();
    carriers.sort_by_key(|c| std::cmp::Reverse(c.with_window));
    carriers.truncate(CARRIERS_SHOWN_MAX);
    let on_time: Vec<(String, f64, String)> = carriers
        .iter()
        .map(|c| {
            let rate = c.on_time_rate().unwrap_or(0.0) * 100.0;
            (
                c.carrier.to_string(),
                rate,
                format!("{rate:.0}% (n={})", c.with_window),
            )
        })
        .collect();
    let lanes: Vec<(String, f64, f64, f64, String)> = stats
        .lanes
        .iter()
        .map(|l| {
            (
                format!(
                    "→ {} · {}",
                    l.lane.marketplace.as_str(),
                    i18n::freight_mode(lang, l.lane.freight_mode)
                ),
                l.days_p10,
                l.days_median,
                l.days_p90,
                format!(
                    "{:.1} {} (n={})",
                    l.days_median,
                    lang.t("d", "天"),
                    l.delivered
                ),
            )
        })
        .collect();
    let lane_max = stats
        .lanes
        .iter()
        .map(|l| l.days_p90)
        .fold(0.0, f64::max)
        .ceil();
    let coverage: Vec<(String, f64)> = stats
        .tracking_by_day
        .iter()
        .map(|d| {
            (
                d.day.strftime("%m-%d").to_string(),
                f64::from(d.with_tracking) / f64::from(d.shipments.max(1)),
            )
        })
        .collect();
    let problems: Vec<(String, f64, String)> = stats
        .problem_milestones
        .iter()
        .map(|(code, n)| (i18n::milestone(lang, *code), f64::from(*n), n.to_string()))
        .collect();
    let problem_max = stats
        .problem_milestones
        .first()
        .map_or(1.0, |p| f64::from(p.1));
    let receiving: Vec<(String, f64, String)> = stats
        .receiving
        .iter()
        .filter(|r| r.closed > 0)
        .map(|r| {
            let short = match (r.closed_short, lang) {
                (0, _) => String::new(),
                (n, Lang::Zh) => format!(" · 短少 {n}"),
                (n, Lang::En) => format!(" · {n} short"),
            };
            (
                r.warehouse.to_string(),
                r.days_to_close_median,
                format!(
                    "{:.1} {} (n={}){short}",
                    r.days_to_close_median,
                    lang.t("d", "天"),
                    r.closed
                ),
            )
        })
        .collect();
    let receiving_max = receiving.iter().map(|r| r.1).fold(1.0, f64::max).ceil();
    let hits = stats.window_hits;
    let window_total = hits.early + hits.hit + hits.late;

    let body = html! {
        h1 { (lang.t("Insights", "数据洞察")) }
        p.muted { (stats.shipments) (lang.t(" shipments measured, from the hub's own data.", " 个货件，数据来自本系统自身记录。")) }
        div.charts {
            section.card aria-labelledby="h-ontime" {
                h2 #h-ontime { (lang.t("On-time rate by carrier", "各承运商准时率")) }
                @if on_time.is_empty() { p.muted { (lang.t("No delivery with a window yet.", "暂无带送达时段的送达记录。")) } }
                @else { (svg::bars("chart-ontime", lang.t("On-time rate by carrier, percent", "各承运商准时率（%）"), &on_time, 100.0, "#1a7f37")) }
            }
            section.card aria-labelledby="h-transit" {
                h2 #h-transit { (lang.t("Transit time by lane and mode (days)", "各线路与运输方式的运输时长（天）")) }
                @if lanes.is_empty() { p.muted { (lang.t("No deliveries yet.", "暂无送达记录。")) } }
                @else {
                    (svg::ranges("chart-transit", lang.t("Transit days: 10th to 90th percentile, with the median marked", "运输天数：第 10 至 90 百分位，标记为中位数"), &lanes, lane_max))
                    p.muted { (lang.t("Bar: 10th–90th percentile. Mark: median.", "色条：第 10–90 百分位；竖线：中位数。")) }
                }
            }
            section.card aria-labelledby="h-coverage" {
                h2 #h-coverage { (lang.t("Valid tracking rate over time", "有效追踪率趋势")) }
                p.muted { (lang.t("Share of shipments created each day that have a validated tracking ID on every box.", "每天创建的货件中，每箱都有已校验追踪编码的比例。")) }
                @if coverage.is_empty() { p.muted { (lang.t("No shipments yet.", "暂无货件。")) } }
                @else { (svg::line("chart-coverage", lang.t("Valid tracking rate by day of creation", "按创建日期的有效追踪率"), &coverage)) }
            }
            section.card aria-labelledby="h-problems" {
                h2 #h-problems { (lang.t("Exceptions by type", "各类异常")) }
                p.muted { (lang.t("Shipments whose latest milestone is a problem.", "最新节点为异常的货件数量。")) }
                @if problems.is_empty() { p.muted { (lang.t("None now.", "当前没有。")) } }
                @else { (svg::bars("chart-problems", lang.t("Shipments by problem milestone", "按异常节点统计的货件数"), &problems, problem_max, "#cf222e")) }
            }
            section.card aria-labelledby="h-receiving" {
                h2 #h-receiving { (lang.t("Receiving time by warehouse (days)", "各仓库接收时长（天）")) }
                p.muted { (lang.t("Median days from arrival at the warehouse to the close of receiving, and the shipments closed short.", "从到达仓库到接收完成的天数中位数，以及收货短少的货件。")) }
                @if receiving.is_empty() { p.muted { (lang.t("No shipment fully received yet.", "暂无接收完成的货件。")) } }
                @else { (svg::bars("chart-receiving", lang.t("Median days from arrival to the close of receiving, by warehouse", "各仓库从到达到接收完成的天数中位数"), &receiving, receiving_max, "#8250df")) }
            }
            section.card aria-labelledby="h-window" {
                h2 #h-window { (lang.t("Delivery window hit rate", "送达时段命中率")) }
                @if window_total == 0 { p.muted { (lang.t("No delivery with a window yet.", "暂无带送达时段的送达记录。")) } }
                @else {
                    (svg::stacked("chart-window", lang.t("Deliveries before, inside and after their window", "早于、处于、晚于送达时段的送达"), &[
                        (lang.t("early", "提前").to_owned(), hits.early, "#54aeff"),
                        (lang.t("in window", "时段内").to_owned(), hits.hit, "#1a7f37"),
                        (lang.t("late", "延迟").to_owned(), hits.late, "#cf222e"),
                    ]))
                }
            }
        }
    };
    Ok(respond(layout::page(
        &ctx,
        lang.t("Insights", "数据洞察"),
        Nav::Insights,
        body,
    )))
}
