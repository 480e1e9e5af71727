//! The carrier directory: find a carrier by FIST capability (ShipTrack, Smart
//! Reroute, DW Automation), marketplace, mode and name; each links to its
//! website and shows its on-time rate and median transit time per lane,
//! measured from the hub's own deliveries.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::html;
use serde::Deserialize;
use tracklane_core::{Capability, FreightMode, Marketplace};
use tracklane_store::Principal;

use super::layout::{self, Nav};
use super::{Ctx, PageError, PageResult, html as respond, i18n};
use crate::AppState;
use crate::api::seller::CarrierFilter;

#[derive(Deserialize, Default)]
pub(crate) struct Params {
    #[serde(default)]
    ship_track: String,
    #[serde(default)]
    smart_reroute: String,
    #[serde(default)]
    dw_automation: String,
    #[serde(default)]
    marketplace: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    q: String,
}

impl Params {
    fn filter(&self) -> CarrierFilter {
        let on = |v: &str| !v.is_empty();
        let mut capabilities = Vec::new();
        for (flag, cap) in [
            (&self.ship_track, Capability::ShipTrack),
            (&self.smart_reroute, Capability::SmartReroute),
            (&self.dw_automation, Capability::DwAutomation),
        ] {
            if on(flag) {
                capabilities.push(cap);
            }
        }
        let q = self.q.trim().to_lowercase();
        CarrierFilter {
            capabilities,
            marketplace: Marketplace::parse(self.marketplace.trim()),
            mode: FreightMode::parse(self.mode.trim()),
            needle: (!q.is_empty()).then_some(q),
        }
    }

    fn flag(&self, cap: Capability) -> bool {
        !match cap {
            Capability::ShipTrack => &self.ship_track,
            Capability::SmartReroute => &self.smart_reroute,
            Capability::DwAutomation => &self.dw_automation,
        }
        .is_empty()
    }
}

/// `GET /carriers`
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> PageResult {
    ctx.require()?;
    let lang = ctx.lang;
    let err = |e| PageError::store(lang, e).into_response();
    let filter = params.filter();
    let carriers: Vec<_> = state
        .store
        .carriers()
        .await
        .map_err(err)?
        .into_iter()
        .filter(|c| filter.matches(c))
        .collect();
    // The directory helps choose a carrier, so its figures are the whole
    // hub's, not only the reader's own shipments.
    let stats = state
        .store
        .hub_stats(&Principal::Operator)
        .await
        .map_err(err)?;
    let body = html! {
        h1 { (lang.t("Carrier directory", "承运商目录")) }
        form.filters.card method="get" action="/carriers" role="search" aria-label=(lang.t("Find carriers", "查找承运商")) {
            div.wide {
                label for="q" { (lang.t("Name", "名称")) }
                input #q type="search" name="q" value=(params.q) placeholder=(lang.t("Part of the name or code", "名称或代码的一部分"));
            }
            div {
                label for="marketplace" { (lang.t("Marketplace", "站点")) }
                select #marketplace name="marketplace" {
                    option value="" { (lang.t("Any", "全部")) }
                    @for m in Marketplace::ALL { option value=(m.as_str()) selected[params.marketplace == m.as_str()] { (m.as_str()) " " (i18n::marketplace(lang, *m)) } }
                }
            }
            div {
                label for="mode" { (lang.t("Mode", "运输方式")) }
                select #mode name="mode" {
                    option value="" { (lang.t("Any", "全部")) }
                    @for m in FreightMode::ALL { option value=(m.as_str()) selected[params.mode == m.as_str()] { (i18n::freight_mode(lang, *m)) } }
                }
            }
            fieldset.wide style="border:none;padding:0;margin:0" {
                legend.muted { (lang.t("Must support", "须支持")) }
                @for cap in Capability::ALL {
                    label.check for=(cap.as_str()) {
                        input #(cap.as_str()) type="checkbox" name=(cap.as_str()) value="1" checked[params.flag(*cap)];
                        (i18n::capability(lang, *cap))
                    }
                }
            }
            div.actions { button type="submit" { (lang.t("Find", "查找")) } a href="/carriers" { (lang.t("Clear", "清除")) } }
        }
        p.muted {
            (carriers.len()) (lang.t(" carriers. On-time: delivered by the last day of the delivery window. Transit: from shipment creation to delivery, median (10th–90th percentile) in days.",
                " 家承运商。准时：在送达时段最后一天或之前送达。运输时长：从创建货件到送达的天数中位数（第 10–90 百分位）。"))
        }
        table.rows #carriers {
            thead { tr {
                th scope="col" { (lang.t("Carrier", "承运商")) }
                th scope="col" { (lang.t("Capabilities", "能力")) }
                th scope="col" { (lang.t("Marketplaces and modes", "站点与运输方式")) }
                th scope="col" .num { (lang.t("On time", "准时率")) }
                th scope="col" { (lang.t("Median transit per lane", "各线路运输时长中位数")) }
            } }
            tbody {
                @for c in &carriers {
                    @let measured = stats.carrier(&c.code);
                    tr {
                        td data-label=(lang.t("Carrier", "承运商")) {
                            a href=(c.website) rel="noopener noreferrer" { (c.name) }
                            span.sub.id { (c.code) }
                        }
                        td data-label=(lang.t("Capabilities", "能力")) {
                            div.caps { @for cap in &c.capabilities { span.badge.info { (i18n::capability(lang, *cap)) } } }
                        }
                        td data-label=(lang.t("Marketplaces", "站点")) {
                            (c.marketplaces.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" "))
                            span.sub { (c.modes.iter().map(|m| i18n::freight_mode(lang, *m)).collect::<Vec<_>>().join(" · ")) }
                        }
                        td.num data-label=(lang.t("On time", "准时率")) {
                            @match measured.and_then(|m| m.on_time_rate().map(|r| (r, m.with_window))) {
                                Some((rate, n)) => { strong { (format!("{:.0}%", rate * 100.0)) } span.sub { (lang.t("of ", "共 ")) (n) (lang.t(" deliveries", " 次送达")) } },
                                None => { span.muted { (lang.t("not measured yet", "暂无数据")) } },
                            }
                        }
                        td data-label=(lang.t("Transit", "运输时长")) {
                            @match measured {
                                Some(m) if !m.lanes.is_empty() => {
                                    ul style="margin:0;padding-left:1rem" {
                                        @for l in &m.lanes {
                                            li { "→ " (l.lane.marketplace.as_str()) " " (i18n::freight_mode(lang, l.lane.freight_mode)) ": "
                                                strong { (format!("{:.1}", l.days_median)) } (lang.t(" d", " 天"))
                                                " (" (format!("{:.1}–{:.1}", l.days_p10, l.days_p90)) ", n=" (l.delivered) ")" }
                                        }
                                    }
                                },
                                _ => { span.muted { (lang.t("no deliveries yet", "暂无送达记录")) } },
                            }
                        }
                    }
                }
            }
        }
        @if carriers.is_empty() { p.notice #no-carriers { (lang.t("No carrier matches. Remove a filter to see more.", "没有符合条件的承运商，请减少筛选条件。")) } }
    };
    Ok(respond(layout::page(
        &ctx,
        lang.t("Carrier directory", "承运商目录"),
        Nav::Carriers,
        body,
    )))
}
