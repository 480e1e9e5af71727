//! The start page: what the hub holds and where its APIs are. The seller's
//! console is built on the same APIs.

use axum::extract::State;
use axum::response::Html;

use crate::AppState;
use crate::error::Lang;

pub(crate) async fn index(State(state): State<AppState>, lang: Lang) -> Html<String> {
    let counts = state.store.counts().await.unwrap_or_default();
    let zh = lang.is_zh();
    let t = |en: &'static str, zh_text: &'static str| if zh { zh_text } else { en };
    let (other, other_label) = if zh {
        ("en", "English")
    } else {
        ("zh-CN", "中文")
    };
    Html(format!(
        r#"<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>tracklane</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}}
.n{{font-size:2rem;font-weight:600}} .grid{{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem}}
.card{{border:1px solid #d0d7de;border-radius:8px;padding:1rem}} a{{color:#0550ae}}</style></head>
<body><p style="text-align:right"><a href="/?lang={other}">{other_label}</a></p>
<h1>tracklane</h1><p>{tagline}</p>
<div class="grid"><div class="card"><div class="n">{shipments}</div>{l_shipments}</div>
<div class="card"><div class="n">{packages}</div>{l_packages}</div>
<div class="card"><div class="n">{milestones}</div>{l_milestones}</div></div>
<h2>{l_api}</h2><ul>
<li><a href="/openapi.json">/openapi.json</a> — {l_openapi}</li>
<li><code>GET /api/v1/shipments?missingTracking=true</code> — {l_missing}</li>
<li><code>POST /api/v1/carrier/milestones</code> — {l_push}</li>
<li><a href="/metrics">/metrics</a> — Prometheus</li></ul></body></html>"#,
        html_lang = if zh { "zh-CN" } else { "en" },
        tagline = t(
            "Every shipment of every carrier, in one place. This page refreshes every 5 seconds while carriers push milestones.",
            "所有承运商的所有货件，集中在一处。承运商推送节点时，本页每 5 秒刷新一次。"
        ),
        shipments = counts.shipments,
        packages = counts.packages,
        milestones = counts.milestones,
        l_shipments = t("shipments", "货件"),
        l_packages = t("boxes and pallets", "箱 / 托盘"),
        l_milestones = t("milestones", "物流节点"),
        l_api = t("APIs", "接口"),
        l_openapi = t(
            "every route, generated from the code",
            "全部接口说明，由代码生成"
        ),
        l_missing = t(
            "shipments missing tracking (seller key)",
            "缺少追踪信息的货件（卖家密钥）"
        ),
        l_push = t(
            "carriers push up to 10 000 milestones a call",
            "承运商每次最多推送 10 000 条节点"
        ),
    ))
}
