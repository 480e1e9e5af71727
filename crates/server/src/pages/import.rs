//! Bulk tracking upload (批量上传追踪编码), `/tracking/import`: rows pasted
//! from a spreadsheet, or a CSV file the page's script reads into the box,
//! go through the same import as `POST /api/v1/tracking/import`. Every
//! number is checked as a typed one is; the rows with a mistake are listed
//! by line with the fix, the others are saved.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use tracklane_ingest::{IMPORT_ROWS_MAX, ImportReport, IngestError};
use tracklane_store::{Principal, Session};

use super::layout::{self, Nav};
use super::session::check_csrf;
use super::{Ctx, PageError, PageResult, html as respond};
use crate::AppState;
use crate::error::Lang;

/// The rows the form's example shows.
const EXAMPLE: &str = "shipmentId,boxId,carrier,trackingNumber\n\
FBA15XYZ1234,FBA15XYZ1234U000001,UPS,1Z999AA10123456784";

/// The form as posted.
#[derive(Deserialize)]
pub(crate) struct Upload {
    csrf: String,
    #[serde(default)]
    rows: String,
}

/// What the page shows under the form.
enum Outcome {
    /// Nothing sent yet.
    Blank,
    /// The rows were read: what was saved and what was refused.
    Read(ImportReport),
    /// The rows as a whole could not be read (no header, not UTF-8, too many).
    Refused(String),
}

/// Sellers and the operator upload; a carrier pushes through its API.
fn may_upload(session: &Session, lang: Lang) -> Result<(), axum::response::Response> {
    if matches!(session.principal, Principal::Carrier(_)) {
        return Err(PageError::forbidden(
            lang,
            "Carriers send tracking through the carrier API (PUT /api/v1/carrier/shipments/{id}/tracking). Sign in with a seller key to upload a spreadsheet.",
            "承运商请通过承运商 API（PUT /api/v1/carrier/shipments/{id}/tracking）上传追踪编码；上传表格请使用卖家密钥登录。",
        )
        .into_response());
    }
    Ok(())
}

/// `GET /tracking/import`
pub(crate) async fn page(ctx: Ctx) -> PageResult {
    let session = ctx.require()?;
    may_upload(session, ctx.lang)?;
    Ok(respond(render(&ctx, session, "", &Outcome::Blank)))
}

/// `POST /tracking/import`: imports the rows and shows the page again with
/// the outcome and the rows as sent, so the refused lines can be fixed and
/// the whole sent again (rows already saved count as duplicates).
pub(crate) async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<Upload>,
) -> PageResult {
    let session = ctx.require()?;
    let lang = ctx.lang;
    may_upload(session, lang)?;
    check_csrf(session, &input.csrf, lang)?;
    if input.rows.trim().is_empty() {
        let outcome = Outcome::Refused(
            lang.t(
                "Paste the rows, or choose a CSV file, first: the box is empty.",
                "请先粘贴表格内容或选择 CSV 文件：输入框为空。",
            )
            .to_owned(),
        );
        let page = render(&ctx, session, &input.rows, &outcome);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, respond(page)).into_response());
    }
    let imported = tracklane_ingest::import_tracking(
        state.store.as_ref(),
        &session.principal,
        input.rows.as_bytes(),
        state.clock.now(),
    )
    .await;
    let (status, outcome) = match imported {
        Ok(report) => (StatusCode::OK, Outcome::Read(report)),
        Err(IngestError::Store(e)) => return Err(PageError::store(lang, e).into_response()),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Refused(e.problem().message(lang.is_zh()).to_owned()),
        ),
    };
    let page = render(&ctx, session, &input.rows, &outcome);
    Ok((status, respond(page)).into_response())
}

fn render(ctx: &Ctx, session: &Session, rows: &str, outcome: &Outcome) -> Markup {
    let lang = ctx.lang;
    let body = html! {
        h1 { (lang.t("Upload tracking IDs", "批量上传追踪编码")) }
        p { (lang.t(
            "Paste rows copied from a spreadsheet, or choose a CSV file. The first line names the columns: shipmentId (FBA… or sh…), boxId (optional), carrier and trackingNumber; Chinese headers (货件编号, 箱号, 承运商, 追踪编码) work too. Every tracking ID is checked like a typed one: rows with a mistake are listed below with the fix, and the others are saved.",
            "粘贴从表格复制的内容，或选择 CSV 文件。第一行为列名：shipmentId（FBA… 或 sh…）、boxId（可选）、carrier、trackingNumber；也可使用中文列名（货件编号、箱号、承运商、追踪编码）。每个追踪编码都会像手动输入一样校验：有错误的行会在下方列出并说明如何修改，其余行会被保存。")) }
        @match outcome {
            Outcome::Blank => {}
            Outcome::Refused(message) => {
                p.notice.bad #import-refused role="alert" { (message) }
            }
            Outcome::Read(report) => { (report_view(lang, report)) }
        }
        form.card #import-form method="post" action="/tracking/import" {
            input type="hidden" name="csrf" value=(session.csrf);
            // Shown by the page's script, which reads the file into the box.
            div #file-pick hidden {
                label for="file" { (lang.t("CSV file (optional)", "CSV 文件（可选）")) }
                input #file type="file" accept=".csv,.tsv,.txt,text/csv,text/plain" data-fill="rows";
                p.muted { (lang.t(
                    "The file is read into the box below; a CSV that Excel saved in Chinese (GBK) is read too.",
                    "文件内容会读入下方输入框；Excel 以中文（GBK）编码保存的 CSV 也可读取。")) }
            }
            label for="rows" { (lang.t("Rows", "表格内容")) }
            textarea #rows name="rows" rows="12" spellcheck="false" placeholder=(EXAMPLE) { (rows) }
            p.muted { (lang.t("At most ", "最多 ")) (IMPORT_ROWS_MAX) (lang.t(" rows at a time.", " 行。")) }
            button type="submit" { (lang.t("Upload", "上传")) }
        }
        p { a href="/?missing=1" { (lang.t("Shipments still missing tracking", "仍缺少追踪信息的货件")) } }
    };
    layout::page(
        ctx,
        lang.t("Upload tracking IDs", "批量上传追踪编码"),
        Nav::Shipments,
        body,
    )
}

fn report_view(lang: Lang, report: &ImportReport) -> Markup {
    let class = if report.rejected.is_empty() {
        "notice ok"
    } else {
        "notice warn"
    };
    html! {
        p #import-result class=(class) role="status" {
            (lang.t("Rows read: ", "共读取 ")) (report.rows) (lang.t(". Saved: ", " 行。已保存："))
            (report.accepted) (lang.t(". Already saved before: ", " 个；此前已保存："))
            (report.duplicates) (lang.t(". Refused: ", " 个；未通过："))
            (report.rejected.len()) (lang.t(".", " 行。"))
        }
        @if !report.rejected.is_empty() {
            p { (lang.t(
                "Fix these lines and upload again: rows already saved are not saved twice.",
                "请修改以下各行后重新上传：已保存的行不会重复保存。")) }
            table.rows #import-rejected {
                thead { tr {
                    th scope="col" .num { (lang.t("Line", "行号")) }
                    th scope="col" { (lang.t("Column", "列")) }
                    th scope="col" { (lang.t("What to fix", "需要修改")) }
                } }
                tbody {
                    @for r in &report.rejected {
                        tr {
                            td.num data-label=(lang.t("Line", "行号")) { (r.line) }
                            td data-label=(lang.t("Column", "列")) { code { (r.problem.field) } }
                            td data-label=(lang.t("What to fix", "需要修改")) { (r.problem.message(lang.is_zh())) }
                        }
                    }
                }
            }
        }
    }
}
