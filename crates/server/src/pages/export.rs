//! Shipment lists as CSV, for the spreadsheet a seller keeps beside the hub:
//! every shipment a filter matches (not one page of it), with headers and
//! labels in the reader's language.
//!
//! The file opens in Excel as it is: UTF-8 with a byte-order mark (without
//! it, Excel on Windows reads Chinese as mojibake), one row per shipment,
//! times in UTC. A cell that begins like a formula (`=`, `+`, `-`, `@`) is
//! written with a leading `'`, so a shipment name cannot run a formula in
//! the seller's spreadsheet.
//!
//! Rows are read a page at a time as the body is sent, each page's tracking
//! numbers in one more query, so an export of any size holds one page in
//! memory; the first page is read before the answer
//! starts, so a store that fails outright gets an error status, not an
//! empty file.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use tracklane_store::{PAGE_SIZE_MAX, Page, ShipmentQuery, ShipmentSummary, Store, StoreError};

use super::shipments::{Filters, RowExtras, next_step, row_extras};
use super::{Ctx, PageError, PageResult, i18n};
use crate::AppState;
use crate::error::Lang;

/// The byte-order mark that tells spreadsheets the file is UTF-8.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The columns, in English and Chinese.
const COLUMNS: [(&str, &str); 26] = [
    ("Confirmation ID", "货件编号"),
    ("Shipment ID", "SP-API 货件 ID"),
    ("Name", "货件名称"),
    ("Status", "状态"),
    ("Warehouse", "目的仓库"),
    ("Marketplace", "站点"),
    ("Freight mode", "运输方式"),
    ("Shipping mode", "货件类型"),
    ("Carriers", "承运商"),
    ("Tracking numbers", "追踪编码"),
    ("Latest milestone", "最新节点"),
    ("Latest milestone at (UTC)", "最新节点时间 (UTC)"),
    ("Window start", "送达时段开始"),
    ("Window end", "送达时段结束"),
    ("Window set by", "送达时段设置方"),
    ("ETA (UTC)", "预计到达 (UTC)"),
    ("ETA earliest", "预计最早"),
    ("ETA latest", "预计最晚"),
    ("ETA against window", "预计到达与送达时段"),
    ("Missing tracking", "缺少追踪编码"),
    ("Open exceptions", "未处理异常"),
    ("Next step", "下一步"),
    ("Boxes", "箱数"),
    ("Units expected", "预计数量"),
    ("Units received", "已接收数量"),
    ("Updated (UTC)", "更新时间 (UTC)"),
];

/// `GET /shipments.csv`: the start page's filters, every matching shipment.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(filters): Query<Filters>,
) -> PageResult {
    let session = ctx.require()?;
    let (query, _ignored) = filters.query(session.principal.clone());
    csv(&state, query, ctx.lang, state.clock.now())
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())
}

/// Every shipment `query` matches, from its first, as a CSV download in
/// `lang` named after the day of `now`.
///
/// # Errors
/// When the store cannot read the first page.
pub(crate) async fn csv(
    state: &AppState,
    mut query: ShipmentQuery,
    lang: Lang,
    now: jiff::Timestamp,
) -> Result<Response, StoreError> {
    query.cursor = None;
    query.limit = PAGE_SIZE_MAX;
    let first = state.store.list_shipments(&query).await?;
    let mut head = UTF8_BOM.to_vec();
    head.extend(header(lang));
    head.extend(page_rows(state.store.as_ref(), lang, &first).await?);
    let store = state.store.clone();
    // Each step sends what the page before found and reads the next.
    let rest = stream::unfold(first.next, move |cursor| {
        let store = store.clone();
        let mut query = query.clone();
        async move {
            query.cursor = Some(cursor?);
            let page = match store.list_shipments(&query).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            let rows = page_rows(store.as_ref(), lang, &page).await;
            Some((rows.map(Bytes::from), page.next))
        }
    });
    let body = stream::once(async { Ok::<_, StoreError>(Bytes::from(head)) });
    let filename = format!("shipments-{}.csv", now.strftime("%Y%m%d"));
    let mut response =
        Body::from_stream(futures_util::StreamExt::chain(body, rest)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The header line.
fn header(lang: Lang) -> Vec<u8> {
    lines(|out| out.write_record(COLUMNS.iter().map(|(en, zh)| lang.t(en, zh))))
}

/// The CSV lines of `page`'s shipments, with their tracking numbers and the
/// engine's figures (estimate, most urgent exception) read in one query each
/// for the page.
///
/// # Errors
/// When the store cannot read the tracking numbers or the engine's figures.
async fn page_rows(store: &dyn Store, lang: Lang, page: &Page) -> Result<Vec<u8>, StoreError> {
    let seqs: Vec<i64> = page.shipments.iter().map(|s| s.seq).collect();
    let (tracking, extras) =
        tokio::try_join!(store.tracking_of(&seqs), row_extras(store, &page.shipments))?;
    let mut numbers: HashMap<i64, Vec<String>> = HashMap::new();
    for (seq, carrier, number) in tracking {
        numbers
            .entry(seq)
            .or_default()
            .push(format!("{number} ({carrier})"));
    }
    Ok(lines(|out| {
        page.shipments
            .iter()
            .zip(&extras)
            .try_for_each(|(s, extra)| {
                let tracking = numbers.remove(&s.seq).unwrap_or_default().join("; ");
                out.write_record(record(lang, s, tracking, extra).map(safe))
            })
    }))
}

/// What `write` puts in a CSV writer, as bytes.
fn lines(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let written = write(&mut out);
    // Writing to memory fails only on a record of another width, which the
    // fixed columns rule out.
    debug_assert!(written.is_ok());
    out.into_inner().unwrap_or_default()
}

/// One shipment's cells, in [`COLUMNS`] order, with its `tracking` numbers
/// and the engine's figures: the ETA, the next step of its most urgent
/// exception.
fn record(lang: Lang, s: &ShipmentSummary, tracking: String, extra: &RowExtras) -> [String; 26] {
    let eta = extra.eta.as_ref();
    let yes_no = |b: bool| lang.t(if b { "yes" } else { "no" }, if b { "是" } else { "否" });
    let latest = s.latest_milestone.as_ref();
    let window = s.delivery_window.as_ref();
    [
        s.confirmation_id.clone(),
        s.shipment_id.clone(),
        s.name.clone(),
        i18n::shipment_status(lang, s.status).to_owned(),
        s.warehouse.to_string(),
        s.marketplace.as_str().to_owned(),
        i18n::freight_mode(lang, s.freight_mode).to_owned(),
        i18n::shipping_mode(lang, s.shipping_mode).to_owned(),
        s.carriers
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        tracking,
        latest.map_or_else(String::new, |m| i18n::milestone(lang, m.code)),
        latest.map_or_else(String::new, |m| utc(m.occurred_at)),
        window.map_or_else(String::new, |(w, _)| w.start_date.to_string()),
        window.map_or_else(String::new, |(w, _)| w.end_date.to_string()),
        window.map_or_else(String::new, |(_, by)| {
            i18n::window_source(lang, *by).to_owned()
        }),
        eta.map_or_else(String::new, |e| e.likely.to_string()),
        eta.map_or_else(String::new, |e| e.earliest.to_string()),
        eta.map_or_else(String::new, |e| e.latest.to_string()),
        eta.zip(window).map_or_else(String::new, |(e, (w, _))| {
            e.against(w).text(lang).to_owned()
        }),
        yes_no(s.missing_tracking).to_owned(),
        s.open_exceptions.to_string(),
        match &extra.urgent {
            Some(e) => format!(
                "{}{}{}",
                i18n::exception_kind(lang, &e.kind),
                lang.t(": ", "："),
                lang.t(&e.next_step_en, &e.next_step_zh)
            ),
            None => next_step(lang, s).to_owned(),
        },
        s.box_count.to_string(),
        s.units_expected.to_string(),
        s.units_received.to_string(),
        utc(s.updated_at),
    ]
}

fn utc(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `cell` as a spreadsheet will show it rather than run it: one that begins
/// like a formula gets a leading `'`.
fn safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        assert_eq!(safe("=HYPERLINK(\"x\")".to_owned()), "'=HYPERLINK(\"x\")");
        assert_eq!(safe("+1".to_owned()), "'+1");
        assert_eq!(safe("@SUM(A1)".to_owned()), "'@SUM(A1)");
        assert_eq!(safe("-2".to_owned()), "'-2");
        assert_eq!(safe("FBA15XYZ1234".to_owned()), "FBA15XYZ1234");
        assert_eq!(safe("秋季备货 = 第二批".to_owned()), "秋季备货 = 第二批");
    }

    #[test]
    fn the_header_is_in_the_readers_language() {
        let en = String::from_utf8(header(Lang::En)).unwrap();
        let zh = String::from_utf8(header(Lang::Zh)).unwrap();
        assert!(
            en.starts_with("Confirmation ID,Shipment ID,Name,Status,"),
            "{en}"
        );
        assert!(
            zh.starts_with("货件编号,SP-API 货件 ID,货件名称,状态,"),
            "{zh}"
        );
        assert_eq!(en.lines().next().unwrap().split(',').count(), COLUMNS.len());
    }
}
