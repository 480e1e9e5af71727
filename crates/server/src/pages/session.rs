//! Signing in and out, and the language switch.
//!
//! A browser signs in with an API key once; the hub then hands it a session
//! cookie (`HttpOnly`, `SameSite=Lax`) holding a random token, and stores only
//! the token's hash with the principal and a per-session CSRF token. Every form
//! post carries that CSRF token in a hidden field and is refused without it.
//! The sign-in form itself is protected by a double-submit token: a random
//! value in a cookie and in the form, which must match.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use serde::Deserialize;
use tracklane_store::Session;

use super::{Ctx, PageError, PageResult, cookie, html, layout};
use crate::AppState;
use crate::auth::hex;
use crate::error::Lang;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "tl_session";
/// The language cookie's name (`en` or `zh`).
pub(crate) const LANG_COOKIE: &str = "tl_lang";
/// The sign-in form's double-submit cookie.
const SIGNIN_CSRF_COOKIE: &str = "tl_signin";
/// How long a session lasts.
pub(crate) const SESSION_TTL_HOURS: i64 = 12;
/// How long the language choice is remembered.
const LANG_COOKIE_MAX_AGE_SECONDS: i64 = 365 * 24 * 3600;

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses a post whose CSRF token is not the session's.
pub(crate) fn check_csrf(session: &Session, token: &str, lang: Lang) -> Result<(), Response> {
    if same_token(&session.csrf, token) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            lang,
            "This form has expired or did not come from this site. Reload the page and try again.",
            "表单已过期或并非来自本站：请刷新页面后重试。",
        )
        .into_response())
    }
}

/// Where to go after signing in: a local path only, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct NextParam {
    next: Option<String>,
}

/// `GET /signin`
pub(crate) async fn signin_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<NextParam>,
) -> Response {
    let token = hex(&state.secret_bytes());
    let next = safe_next(params.next.as_deref());
    let mut response = html(layout::signin(
        ctx.lang,
        &token,
        &next,
        None,
        &ctx.path_and_query,
    ));
    set_cookie(
        &mut response,
        &format!(
            "{SIGNIN_CSRF_COOKIE}={token}; Path=/signin; HttpOnly; SameSite=Lax; Max-Age=3600"
        ),
    );
    response
}

#[derive(Deserialize)]
pub(crate) struct SigninInput {
    key: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /signin`
pub(crate) async fn signin(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Form(input): Form<SigninInput>,
) -> Response {
    let lang = ctx.lang;
    let next = safe_next(input.next.as_deref());
    let again = |en: &str, zh: &str, status: StatusCode| {
        let token = hex(&state.secret_bytes());
        let mut response = (
            status,
            html(layout::signin(
                lang,
                &token,
                &next,
                Some(lang.t(en, zh)),
                &ctx.path_and_query,
            )),
        )
            .into_response();
        set_cookie(
            &mut response,
            &format!(
                "{SIGNIN_CSRF_COOKIE}={token}; Path=/signin; HttpOnly; SameSite=Lax; Max-Age=3600"
            ),
        );
        response
    };
    if !cookie(&headers, SIGNIN_CSRF_COOKIE).is_some_and(|c| same_token(c, &input.csrf)) {
        return again(
            "The sign-in form expired. Enter your key again.",
            "登录表单已过期，请重新输入密钥。",
            StatusCode::FORBIDDEN,
        );
    }
    let principal = match crate::auth::principal_for_key(&state, input.key.trim(), lang).await {
        Ok(p) => p,
        Err(_) => {
            return again(
                "That key is not known here. Paste the whole key as it was issued (the demo prints its keys and writes them to tracklane-data/demo-keys.json).",
                "该密钥无效：请完整粘贴签发的密钥（演示模式会打印密钥，并写入 tracklane-data/demo-keys.json）。",
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    match start_session(&state, principal).await {
        Ok(token) => {
            let mut response = Redirect::to(&next).into_response();
            set_cookie(&mut response, &session_cookie(&token));
            set_cookie(
                &mut response,
                &format!("{SIGNIN_CSRF_COOKIE}=; Path=/signin; Max-Age=0"),
            );
            response
        }
        Err(e) => PageError::store(lang, e).into_response(),
    }
}

/// Creates a web session for `principal` and returns the cookie's token (the
/// demo uses it to open the browser already signed in, through
/// `/signin/link?token=…`).
///
/// # Errors
/// When the store cannot save it.
pub async fn start_session(
    state: &AppState,
    principal: tracklane_store::Principal,
) -> Result<String, tracklane_store::StoreError> {
    let token = hex(&state.secret_bytes());
    let now = state.clock.now();
    state
        .store
        .put_session(Session {
            token_hash: crate::hash_key(&token),
            principal,
            csrf: hex(&state.secret_bytes()),
            created_at: now,
            expires_at: now
                .checked_add(SignedDuration::from_hours(SESSION_TTL_HOURS))
                .unwrap_or(now),
        })
        .await?;
    Ok(token)
}

fn session_cookie(token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_TTL_HOURS * 3600
    )
}

#[derive(Deserialize)]
pub(crate) struct LinkParams {
    token: String,
}

/// `GET /signin/link?token=…`: a sign-in link made by `tracklane demo`, which
/// creates a session in the store and opens the browser on this link. The
/// token is the session's own, so the link is as secret as the cookie.
pub(crate) async fn signin_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<LinkParams>,
) -> PageResult {
    let found = state
        .store
        .session(&crate::hash_key(&params.token), state.clock.now())
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    if found.is_none() {
        return Ok(Redirect::to("/signin").into_response());
    }
    let mut response = Redirect::to("/").into_response();
    set_cookie(&mut response, &session_cookie(&params.token));
    Ok(response)
}

/// A form that posts nothing but its CSRF token: a button.
#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    pub csrf: String,
}

/// `POST /signout`
pub(crate) async fn signout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<CsrfOnly>,
) -> PageResult {
    let session = ctx.require()?;
    check_csrf(session, &input.csrf, ctx.lang)?;
    state
        .store
        .delete_session(&session.token_hash)
        .await
        .map_err(|e| PageError::store(ctx.lang, e).into_response())?;
    let mut response = Redirect::to("/signin").into_response();
    set_cookie(
        &mut response,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

/// `GET /lang/{en|zh}?back=/path`: remembers the language in a cookie and
/// goes back. Changing the language changes no data, so it needs no CSRF token.
pub(crate) async fn switch_lang(
    Path(code): Path<String>,
    Query(params): Query<BackParam>,
) -> Response {
    let code = if code.starts_with("zh") { "zh" } else { "en" };
    let back = safe_next(params.back.as_deref());
    let mut response = Redirect::to(&back).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age={LANG_COOKIE_MAX_AGE_SECONDS}"
        ),
    );
    response
}

#[derive(Deserialize)]
pub(crate) struct BackParam {
    back: Option<String>,
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/shipments/FBA1?x=1")),
            "/shipments/FBA1?x=1"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""));
    }
}
