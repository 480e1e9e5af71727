//! The web console, served by the same binary as the APIs: the shipment
//! progress start page, the shipment summary, the carrier directory,
//! warehouses, insights, webhook subscriptions, and the public tracking page,
//! in English and Simplified Chinese.
//!
//! Pages are rendered on the server with maud; forms work without JavaScript,
//! and one small script (validate-as-you-type, live refresh) and one stylesheet
//! are compiled into the binary. Handlers stay thin: parse, authorise through
//! the session, call the store (or `ingest`), render a view.
//!
//! The engine's results show through [`summary::EngineView`] (estimate,
//! open exceptions, reroutes, appointment) and [`shipments::RowExtras`] (the
//! ETA and the most urgent open exception per row).

mod assets;
mod carriers;
pub(crate) mod export;
pub(crate) mod i18n;
mod import;
mod insights;
mod layout;
mod session;
mod shipments;
mod summary;
mod svg;
mod track;
mod warehouses;
mod webhooks;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tracklane_store::Session;

use crate::AppState;
use crate::error::Lang;

pub(crate) use session::SESSION_COOKIE;
pub use session::start_session;

/// The pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(shipments::page))
        .route("/shipments.csv", get(export::page))
        .route("/signin", get(session::signin_form).post(session::signin))
        .route("/signin/link", get(session::signin_link))
        .route("/signout", post(session::signout))
        .route("/lang/{code}", get(session::switch_lang))
        .route("/tracking/import", get(import::page).post(import::upload))
        .route("/shipments/{id}", get(summary::page))
        .route("/shipments/{id}/tracking", post(summary::add_tracking))
        .route("/shipments/{id}/automation", post(summary::set_automation))
        .route("/shipments/{id}/cancel", post(summary::cancel))
        .route(
            "/shipments/{id}/reconciliation",
            post(summary::request_reconciliation),
        )
        .route("/shipments/{id}/receipt", post(summary::record_receipt))
        .route("/shipments/{id}/window", post(summary::set_window))
        .route("/carriers", get(carriers::page))
        .route("/warehouses", get(warehouses::page))
        .route("/insights", get(insights::page))
        .route("/webhooks", get(webhooks::page).post(webhooks::create))
        .route("/webhooks/{id}/delete", post(webhooks::delete))
        .route("/webhooks/{id}/enable", post(webhooks::enable))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/resend",
            post(webhooks::resend),
        )
        .route("/track", get(track::search))
        .route("/track/{number}", get(track::page))
        .route("/check/tracking", get(track::check_number))
        .route("/assets/app.css", get(assets::css))
        .route("/assets/app.js", get(assets::js))
}

/// What every page knows about its request: the reader's language, the
/// session if there is one, and where the request went (for the language
/// switch and sign-in redirects).
pub(crate) struct Ctx {
    pub lang: Lang,
    pub session: Option<Session>,
    pub path_and_query: String,
}

impl Ctx {
    /// The session, or a redirect to the sign-in page that comes back here.
    pub fn require(&self) -> Result<&Session, Response> {
        self.session.as_ref().ok_or_else(|| {
            Redirect::to(&format!("/signin?next={}", percent(&self.path_and_query))).into_response()
        })
    }
}

/// The value of cookie `name` in `headers`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The page language: `?lang=`, then the language cookie, then
/// `Accept-Language`. The rate limits (`limits.rs`) answer pages in it too.
pub(crate) fn page_lang(parts: &Parts) -> Lang {
    let query = parts.uri.query().unwrap_or("");
    let has_query_lang = query.split('&').any(|p| p.starts_with("lang="));
    if !has_query_lang && let Some(code) = cookie(&parts.headers, session::LANG_COOKIE) {
        return Lang::pick(Some(&format!("lang={code}")), None);
    }
    Lang::pick(
        Some(query),
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = page_lang(parts);
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) if !token.is_empty() => state
                .store
                .session(&crate::hash_key(token), state.clock.now())
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not read a session");
                    None
                }),
            _ => None,
        };
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ok(Ctx {
            lang,
            session,
            path_and_query,
        })
    }
}

/// An error shown as a page, in the reader's language.
pub(crate) struct PageError {
    pub status: StatusCode,
    pub lang: Lang,
    pub en: String,
    pub zh: String,
}

impl PageError {
    pub fn new(
        status: StatusCode,
        lang: Lang,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self {
            status,
            lang,
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// 404 for a shipment the reader cannot see, whether or not it exists.
    pub fn shipment_not_found(lang: Lang, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            lang,
            format!(
                "No shipment {id} is visible to you. Check the id, or sign in with the key of its seller or carrier."
            ),
            format!("找不到货件 {id}：请核对编号，或使用该货件卖家或承运商的密钥登录。"),
        )
    }

    /// 403 for a page another role uses.
    pub fn forbidden(lang: Lang, en: &str, zh: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, lang, en, zh)
    }

    /// 503 or 500 for a store failure, logged.
    pub fn store(lang: Lang, error: tracklane_store::StoreError) -> Self {
        tracing::error!(error = %error, "store error on a page");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            lang,
            "The hub could not read its data just now. Try again in a moment.",
            "系统暂时无法读取数据，请稍后重试。",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let body = maud::html! {
            h1 { (lang.t("Something needs your attention", "需要您处理")) }
            p.notice.bad role="alert" { (lang.t(&self.en, &self.zh)) }
            p { a href="/" { (lang.t("Back to shipment progress", "返回货件处理进度")) } }
        };
        let page = layout::bare(lang, lang.t("Error", "出错了"), body);
        (self.status, page).into_response()
    }
}

/// A response that is either a page or a redirect (sign-in, after a post).
pub(crate) type PageResult = Result<Response, Response>;

/// Turns a rendered page into a response.
pub(crate) fn html(markup: maud::Markup) -> Response {
    Html(markup.into_string()).into_response()
}

/// Percent-encodes `text` for a query-string value.
pub(crate) fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An instant on a page: `2026-03-10 08:00 UTC`, inside a `<time>` whose
/// `datetime` the page's script reads to show the reader's own time zone
/// (`2026-03-10 16:00 UTC+8`), keeping the UTC text as the title. Without the
/// script, or for a reader on UTC, the UTC text stays.
pub(crate) fn when(at: jiff::Timestamp) -> maud::Markup {
    maud::html! {
        time.at datetime=(at.strftime("%Y-%m-%dT%H:%M:%SZ")) { (at.strftime("%Y-%m-%d %H:%M UTC")) }
    }
}

/// [`when`] for a narrow table cell: it wraps between the day and the time
/// only, where a browser would otherwise break the day at its hyphens.
pub(crate) fn when_cell(at: jiff::Timestamp) -> maud::Markup {
    maud::html! {
        time.at datetime=(at.strftime("%Y-%m-%dT%H:%M:%SZ")) {
            span.nw { (at.strftime("%Y-%m-%d")) } " " span.nw { (at.strftime("%H:%M UTC")) }
        }
    }
}
