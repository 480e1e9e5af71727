//! The public tracking page for buyers, `/track/{number}`: no sign-in; the
//! parcel's status, timeline, ETA and the carrier of every leg, and nothing
//! about the seller. Also the JSON check the tracking-ID inputs call as people
//! type.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::{Deserialize, Serialize};
use tracklane_core::{PackageStatus, TrackingNumber};
use tracklane_store::ShipmentKey;

use super::layout::{self, Nav};
use super::summary::{EtaView, timeline_list};
use super::{Ctx, PageError, PageResult, html as respond, i18n, percent};
use crate::AppState;
use crate::error::Lang;

pub(crate) fn ids_lang(lang: Lang) -> tracklane_ids::Lang {
    if lang.is_zh() {
        tracklane_ids::Lang::ZhCn
    } else {
        tracklane_ids::Lang::En
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct SearchParams {
    #[serde(default)]
    number: String,
}

fn search_form(lang: Lang, value: &str) -> maud::Markup {
    html! {
        form.card method="get" action="/track" role="search" {
            label for="track-number" { (lang.t("Tracking number", "追踪编号")) }
            input #track-number type="text" name="number" value=(value) required autocomplete="off" spellcheck="false"
                data-check="track-check" aria-describedby="track-check";
            p.hint #track-check aria-live="polite" {}
            button type="submit" { (lang.t("Track", "查询")) }
        }
    }
}

/// `GET /track?number=…`: the search form, or straight to the number's page.
pub(crate) async fn search(ctx: Ctx, Query(params): Query<SearchParams>) -> Response {
    let number = params.number.trim();
    if !number.is_empty() {
        return Redirect::to(&format!("/track/{}", percent(number))).into_response();
    }
    let lang = ctx.lang;
    let body = html! {
        h1 { (lang.t("Track a parcel", "包裹追踪")) }
        p { (lang.t("Enter the tracking number from your shipping notice. No account needed.", "请输入发货通知中的追踪编号，无需登录。")) }
        (search_form(lang, ""))
    };
    respond(layout::page(
        &ctx,
        lang.t("Track a parcel", "包裹追踪"),
        Nav::Track,
        body,
    ))
}

/// `GET /track/{number}`
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> PageResult {
    let lang = ctx.lang;
    let title = format!("{} {raw}", lang.t("Tracking", "追踪"));
    let verdict = tracklane_ids::check(&raw);
    let boxes = match TrackingNumber::normalize(&raw) {
        Ok(n) => state
            .store
            .find_tracking(&n)
            .await
            .map_err(|e| PageError::store(lang, e).into_response())?,
        Err(_) => Vec::new(),
    };
    let Some(first) = boxes.first() else {
        let body = html! {
            h1 { (lang.t("Track a parcel", "包裹追踪")) }
            p.notice.warn role="status" #track-unknown {
                (lang.t("We have no parcel with the number ", "没有找到追踪编号为 ")) strong.id { (raw) }
                (lang.t(". ", " 的包裹。"))
                @if let Some(m) = verdict.message(ids_lang(lang)) { (m) }
                @else { (lang.t("It may not have been handed to a carrier yet: try again later.", "包裹可能尚未交给承运商，请稍后再试。")) }
            }
            (search_form(lang, &raw))
        };
        return Ok((
            axum::http::StatusCode::NOT_FOUND,
            respond(layout::page(&ctx, &title, Nav::Track, body)),
        )
            .into_response());
    };
    let detail = state
        .store
        .shipment(&ShipmentKey::new(first.shipment_id.clone()))
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?
        .ok_or_else(|| {
            PageError::new(
                axum::http::StatusCode::NOT_FOUND,
                lang,
                "Not found",
                "未找到",
            )
            .into_response()
        })?;
    let carriers = state
        .store
        .carriers()
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    let warehouses = state
        .store
        .warehouses()
        .await
        .map_err(|e| PageError::store(lang, e).into_response())?;
    let Some((package, timeline)) = detail
        .shipment
        .packages
        .iter()
        .zip(&detail.timelines)
        .find(|(p, _)| p.box_id == first.box_id)
    else {
        return Err(PageError::new(
            axum::http::StatusCode::NOT_FOUND,
            lang,
            "Not found",
            "未找到",
        )
        .into_response());
    };
    let destination = warehouses
        .iter()
        .find(|w| w.code == detail.shipment.warehouse);
    let status = package.track.status(package.has_tracking());
    let body = html! {
        h1 { (lang.t("Parcel ", "包裹 ")) span.id { (raw) } }
        p.notice #track-status { strong { (i18n::package_status(lang, status)) }
            @if let Some(l) = &package.track.latest { " · " (i18n::milestone(lang, l.code)) " · " (super::when(l.occurred_at)) } }
        div.grid {
            section.card aria-labelledby="h-eta" {
                h2 #h-eta { (lang.t("Estimated arrival", "预计到达")) }
                @if status == PackageStatus::Delivered {
                    p #eta { (lang.t("Delivered.", "已送达。")) }
                } @else if let Some(eta) = detail.estimate.as_ref().map(EtaView::of) {
                    p #eta { strong { (eta.likely) } " (" (eta.earliest) " – " (eta.latest) ")" }
                } @else {
                    p.muted #eta { (lang.t("No estimate yet.", "暂无预计到达时间。")) }
                }
                @if let Some(w) = destination { p { (lang.t("Destination: ", "目的地：")) (w.address.city) ", " (w.address.country_code) } }
            }
            section.card aria-labelledby="h-legs" {
                h2 #h-legs { (lang.t("Carriers of every leg", "各段承运商")) }
                ol #legs {
                    @for leg in &package.legs {
                        li {
                            @match carriers.iter().find(|c| c.code == leg.carrier) {
                                Some(c) => { a href=(c.website) rel="noopener noreferrer" { (c.name) } },
                                None => { (leg.carrier) },
                            }
                            " · " (i18n::leg_mode(lang, leg.mode)) " · " span.id { (leg.tracking_number) }
                        }
                    }
                }
                @if boxes.len() > 1 { p.muted { (boxes.len()) (lang.t(" boxes travel under this number.", " 箱货物使用此编号。")) } }
            }
        }
        h2 { (lang.t("Timeline", "物流轨迹")) }
        (timeline_list(lang, timeline))
    };
    Ok(respond(layout::page(&ctx, &title, Nav::Track, body)))
}

#[derive(Deserialize)]
pub(crate) struct CheckParams {
    #[serde(default)]
    number: String,
    carrier: Option<String>,
}

/// The verdict on a typed tracking number.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckView {
    valid: bool,
    normalized: String,
    carrier: Option<&'static str>,
    service: Option<&'static str>,
    message: String,
    suggestion: Option<String>,
}

/// `GET /check/tracking?number=…&carrier=…`: validate-as-you-type, with the
/// explanation of a wrong digit in the reader's language. It applies the same
/// rule as saving does (`tracklane_ingest::tracking_number`), so what it calls
/// right is what the hub accepts.
pub(crate) async fn check_number(ctx: Ctx, Query(params): Query<CheckParams>) -> Json<CheckView> {
    let lang = ctx.lang;
    let carrier = params
        .carrier
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let verdict = tracklane_ids::check_for(&params.number, carrier);
    let accepted = tracklane_ingest::tracking_number(&params.number, carrier, None, "number");
    let message = match &accepted {
        Ok(_) => {
            let who = verdict.service.or(verdict.carrier).unwrap_or_default();
            format!("{}{who}", lang.t("Looks right. ", "格式正确。"))
        }
        Err(problem) => problem.message(lang.is_zh()).to_owned(),
    };
    Json(CheckView {
        valid: accepted.is_ok(),
        normalized: verdict.normalized.into_owned(),
        carrier: verdict.carrier,
        service: verdict.service,
        message,
        suggestion: verdict.suggestion.filter(|_| accepted.is_err()),
    })
}
