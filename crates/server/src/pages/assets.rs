//! The stylesheet and the script, compiled into the binary and served with a
//! versioned path so browsers may cache them for a long time.

use axum::http::header;
use axum::response::IntoResponse;

/// The stylesheet's path; the query changes when the file does.
pub(crate) const CSS_PATH: &str = concat!("/assets/app.css?v=", env!("CARGO_PKG_VERSION"), "-1");
/// The script's path.
pub(crate) const JS_PATH: &str = concat!("/assets/app.js?v=", env!("CARGO_PKG_VERSION"), "-1");

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");
const CACHE: &str = "public, max-age=86400";

/// `GET /assets/app.css`
pub(crate) async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
}

/// `GET /assets/app.js`
pub(crate) async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        JS,
    )
}
