//! The stylesheet and the script, compiled into the binary and served with a
//! versioned path so browsers may cache them for a long time.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// The stylesheet's path: its query is the file's hash, so it changes
/// whenever the file does and a browser never keeps an old one.
pub(crate) static CSS_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/assets/app.css?v={:016x}", fnv1a(CSS)));
/// The script's path, the same way.
pub(crate) static JS_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/assets/app.js?v={:016x}", fnv1a(JS)));

/// The 64-bit FNV-1a hash of `text`: a fingerprint, not a safeguard.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

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
