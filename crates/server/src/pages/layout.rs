//! The frame around every page: head, skip link, navigation by role, the
//! language switch, sign-out, and the sign-in page.

use axum::response::Html;
use maud::{DOCTYPE, Markup, html};
use tracklane_store::{Principal, Session};

use super::{Ctx, percent};
use crate::error::Lang;

/// Which navigation entry is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Shipments,
    Carriers,
    Warehouses,
    Insights,
    Webhooks,
    Track,
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · tracklane" }
            link rel="stylesheet" href=(*super::assets::CSS_PATH);
            script src=(*super::assets::JS_PATH) defer {}
            meta name="color-scheme" content="light";
            @if lang.is_zh() { meta name="description" content="tracklane 货件可视化中心"; }
        }
    }
}

fn lang_switch(lang: Lang, back: &str) -> Markup {
    let (code, label, name) = if lang.is_zh() {
        ("en", "English", "Switch to English")
    } else {
        ("zh", "中文", "切换到中文")
    };
    html! {
        a.lang href={ "/lang/" (code) "?back=" (percent(back)) } hreflang=(code) lang=(if code == "zh" { "zh-CN" } else { "en" }) aria-label=(name) data-lang-switch { (label) }
    }
}

fn role_label(lang: Lang, principal: &Principal) -> String {
    match principal {
        Principal::Operator => lang.t("Operator", "运营方").to_owned(),
        Principal::Seller(id) => format!("{} {id}", lang.t("Seller", "卖家")),
        Principal::Carrier(code) => format!("{} {code}", lang.t("Carrier", "承运商")),
    }
}

/// A full page for a signed-in reader (or the public tracking page when
/// `ctx.session` is `None`).
pub(crate) fn page(ctx: &Ctx, title: &str, active: Nav, body: Markup) -> Markup {
    let lang = ctx.lang;
    let session: Option<&Session> = ctx.session.as_ref();
    let is_operator = session.is_some_and(|s| s.principal == Principal::Operator);
    let entry = |nav: Nav, href: &str, en: &str, zh: &str| {
        html! {
            li { a href=(href) aria-current=[(nav == active).then_some("page")] { (lang.t(en, zh)) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(lang.html_tag()) {
            (head(lang, title))
            body {
                a.skip href="#main" { (lang.t("Skip to content", "跳到正文")) }
                header.top {
                    a.brand href="/" { "tracklane" }
                    nav aria-label=(lang.t("Main", "主导航")) {
                        ul {
                            @if session.is_some() {
                                (entry(Nav::Shipments, "/", "Shipments", "货件处理进度"))
                                (entry(Nav::Carriers, "/carriers", "Carriers", "承运商"))
                                @if is_operator { (entry(Nav::Warehouses, "/warehouses", "Warehouses", "仓库")) }
                                (entry(Nav::Insights, "/insights", "Insights", "数据洞察"))
                                (entry(Nav::Webhooks, "/webhooks", "Webhooks", "Webhook 通知"))
                            }
                            (entry(Nav::Track, "/track", "Track a parcel", "包裹追踪"))
                        }
                    }
                    div.who {
                        (lang_switch(lang, &ctx.path_and_query))
                        @if let Some(s) = session {
                            span.role { (role_label(lang, &s.principal)) }
                            form method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button.link type="submit" { (lang.t("Sign out", "退出")) }
                            }
                        } @else {
                            a href="/signin" { (lang.t("Sign in", "登录")) }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer { (lang.t("tracklane — every shipment of every carrier, in one place.", "tracklane —— 所有承运商的所有货件，集中在一个控制台。")) }
            }
        }
    }
}

/// A page without navigation (errors).
pub(crate) fn bare(lang: Lang, title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.html_tag()) {
                (head(lang, title))
                body {
                    header.top { a.brand href="/" { "tracklane" } div.who { (lang_switch(lang, "/")) } }
                    main #main { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// The sign-in page.
pub(crate) fn signin(
    lang: Lang,
    csrf: &str,
    next: &str,
    error: Option<&str>,
    here: &str,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.html_tag()) {
            (head(lang, lang.t("Sign in", "登录")))
            body {
                header.top { a.brand href="/" { "tracklane" } div.who { (lang_switch(lang, here)) } }
                main #main.narrow {
                    h1 { (lang.t("Sign in", "登录")) }
                    p { (lang.t(
                        "One console for every shipment of every carrier. Sign in with the API key you were given: a seller's, a carrier's or the operator's.",
                        "一个控制台查看所有承运商的所有货件。请使用您获得的 API 密钥登录：卖家、承运商或运营方密钥均可。")) }
                    @if let Some(e) = error { p.notice.bad role="alert" #signin-error { (e) } }
                    form.card method="post" action="/signin" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="next" value=(next);
                        label for="key" { (lang.t("API key", "API 密钥")) }
                        input #key type="password" name="key" required autocomplete="current-password" autofocus
                            aria-describedby=[error.map(|_| "signin-error")];
                        button type="submit" { (lang.t("Sign in", "登录")) }
                    }
                    p.muted { (lang.t(
                        "Buyers do not need a key: ",
                        "买家无需密钥：")) a href="/track" { (lang.t("track a parcel", "查询包裹")) } }
                }
            }
        }
    }
}
