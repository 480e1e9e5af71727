//! What a webhook delivery looks like as an e-mail, for a subscription whose
//! `url` is `mailto:ADDRESS`: a short subject and a plain-text body, Chinese
//! first and English after, since most sellers of a cross-border hub read
//! Chinese. Sending is the caller's (the binary's delivery loop, over SMTP);
//! this module only turns a stored delivery into words, as `webhooks.rs`
//! turns one into JSON.
//!
//! A mail says what happened, to which shipment, how bad it is and what to do
//! next (an exception's own next step in both languages), and links to the
//! shipment's page on the hub. It uses the pages' words for milestone codes,
//! exception kinds and window sources, so a seller reads the same names in a
//! mail and on the page it links to. Like a webhook body it is rendered when
//! it is sent: a milestone change tells of the tracking as it stands then.

use jiff::Timestamp;
use serde::Deserialize;
use tracklane_core::{DeliveryWindow, MilestoneCode, ShipmentStatus, TrackingNumber, WindowSource};
use tracklane_store::{Delivery, EventKind, RerouteStatus, ShipmentDetail, ShipmentKey, Webhook};

use crate::AppState;
use crate::error::Lang;
use crate::pages::i18n;
use crate::webhooks::{RenderError, notification_id};

/// The scheme of a subscription that is told by e-mail.
pub const MAILTO: &str = "mailto:";

/// The value of the `Auto-Submitted` header (RFC 3834): mail a program sent
/// on its own, which vacation responders must not answer.
pub const AUTO_SUBMITTED: &str = "auto-generated";

/// The header naming the event kind, as `x-tracklane-event` does on a
/// webhook's POST, for mail filters.
pub const EVENT_HEADER: &str = "X-Tracklane-Event";
/// The header carrying the notification id, as `x-tracklane-delivery` does.
pub const DELIVERY_HEADER: &str = "X-Tracklane-Delivery";

/// The address a subscription's `url` sends e-mail to: `Some` for a
/// `mailto:ADDRESS` URL (as `api::webhooks::check_url` stores it), `None` for
/// an `http(s)` receiver.
pub fn recipient(url: &str) -> Option<&str> {
    url.strip_prefix(MAILTO)
}

/// An e-mail's words: its subject and its plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// One line: `[tracklane] 海关扣留 Customs hold · FBA15XYZ1234`.
    pub subject: String,
    /// UTF-8 text, lines ending in `\n`.
    pub text: String,
}

/// The `Message-ID` of the mail of `delivery` of `webhook`, whose sender's
/// address is at `domain`: `<NOTIFICATION_ID@DOMAIN>`. Like the notification
/// id it is the same on every retry and every resend, so a mail program shows
/// a resent mail as the one it already has.
pub fn message_id(webhook: &Webhook, delivery: &Delivery, domain: &str) -> String {
    format!("<{}@{domain}>", notification_id(webhook, delivery))
}

/// The mail of `delivery` for `webhook`. `base_url` is the hub's public
/// address, for the links to the shipment's page.
///
/// # Errors
/// [`RenderError::Gone`] when a milestone change's shipment or number no
/// longer exists; [`RenderError::Store`] when the store cannot be read.
pub async fn render(
    state: &AppState,
    webhook: &Webhook,
    delivery: &Delivery,
    base_url: &str,
) -> Result<Mail, RenderError> {
    let detail = state
        .store
        .shipment(&ShipmentKey::new(delivery.shipment_id.as_str()))
        .await?;
    let facts = Facts::read(delivery, detail.as_ref())?;
    Ok(compose(
        delivery,
        &notification_id(webhook, delivery),
        &facts,
        base_url,
    ))
}

/// What a mail tells of its shipment, read when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    /// The shipment's confirmation id (`FBA15…`), as sellers name it; its
    /// SP-API id when the shipment is no longer stored.
    reference: String,
    /// The seller's name for it.
    name: Option<String>,
    /// For a milestone change: the tracking number's newest milestone.
    latest: Option<Latest>,
}

/// A tracking number's newest milestone, in the words a mail needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Latest {
    code: MilestoneCode,
    at: Timestamp,
    /// `Shenzhen, CN`.
    place: Option<String>,
    /// The carrier's own description.
    description: Option<String>,
}

impl Facts {
    /// The facts of `delivery` from its shipment's `detail`, if it is stored.
    fn read(delivery: &Delivery, detail: Option<&ShipmentDetail>) -> Result<Facts, RenderError> {
        let Some(detail) = detail else {
            // The other kinds carry their event as it happened; only a
            // milestone change needs the shipment as it stands.
            if delivery.kind == EventKind::MilestoneChanged {
                return Err(gone(delivery));
            }
            return Ok(Facts {
                reference: delivery.shipment_id.clone(),
                name: None,
                latest: None,
            });
        };
        let latest = if delivery.kind == EventKind::MilestoneChanged {
            Some(latest_milestone(delivery, detail).ok_or_else(|| gone(delivery))?)
        } else {
            None
        };
        let name = detail.shipment.name.trim();
        Ok(Facts {
            reference: detail.shipment.confirmation_id.to_string(),
            name: (!name.is_empty()).then(|| name.to_owned()),
            latest,
        })
    }
}

fn gone(delivery: &Delivery) -> RenderError {
    RenderError::Gone(format!(
        "tracking `{}` of shipment {} is no longer stored",
        delivery.subject, delivery.shipment_id
    ))
}

/// The newest milestone of the package that carries a milestone change's
/// number: the one `latestMilestone` of the webhook body shows.
fn latest_milestone(delivery: &Delivery, detail: &ShipmentDetail) -> Option<Latest> {
    let (carrier, number) = delivery.tracking()?;
    let number = TrackingNumber::normalize(number).ok()?;
    let (_, timeline) = detail.package_carrying(&number, Some(carrier))?;
    let newest = timeline.iter().rev().find(|m| !m.after_close)?;
    let location = &newest.milestone.location;
    let place: Vec<&str> = [&location.city, &location.region, &location.country_code]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    Some(Latest {
        code: newest.milestone.code,
        at: newest.milestone.occurred_at,
        place: (!place.is_empty()).then(|| place.join(", ")),
        description: newest.milestone.description.clone(),
    })
}

/// An exception as its events carry it (`EXCEPTION_OPENED`, `…_RESOLVED`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ExceptionPayload {
    kind: String,
    severity: String,
    since: Option<Timestamp>,
    evidence: String,
    next_step_en: String,
    next_step_zh: String,
    resolved_at: Option<Timestamp>,
}

/// A delivery-window change as `DELIVERY_WINDOW_CHANGED` carries it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WindowPayload {
    at: Timestamp,
    actor: String,
    from: Option<DeliveryWindow>,
    to: DeliveryWindow,
    source: String,
    #[serde(default)]
    reason: String,
}

/// A warehouse receipt as `RECEIPT_RECORDED` carries it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptPayload {
    at: Timestamp,
    actor: String,
    changes: Vec<tracklane_store::ReceiptChange>,
    closes: bool,
    status: String,
    units_received: u32,
    units_expected: u32,
}

/// A reroute as `REROUTE_OFFERED` and `REROUTE_DECIDED` carry it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReroutePayload {
    carrier: String,
    from: String,
    to: String,
    units: u32,
    stay_days: f64,
    move_days: f64,
    extra_km: f64,
    #[serde(default)]
    reason: String,
    status: String,
    appointment: Option<jiff::civil::Date>,
}

/// One language's part of a mail: its words for the subject, and its lines.
struct Part {
    subject: String,
    /// What follows both languages' words in the subject, the same in both:
    /// `TEB9 → ABE8`.
    subject_tail: Option<String>,
    lines: Vec<String>,
}

/// The mail of `delivery`, notification `id`, about a shipment of which
/// `facts` are known, linking to the hub at `base_url`.
fn compose(delivery: &Delivery, id: &str, facts: &Facts, base_url: &str) -> Mail {
    let base_url = base_url.trim_end_matches('/');
    let [zh, en] = [Lang::Zh, Lang::En].map(|lang| part(lang, delivery, facts, base_url));
    let tail = en
        .subject_tail
        .as_ref()
        .map_or(String::new(), |t| format!(" {t}"));
    let subject = format!(
        "[tracklane] {} {}{tail} · {}",
        zh.subject, en.subject, facts.reference
    );
    let mut text = String::new();
    for line in zh.lines.iter().chain([&String::new()]).chain(&en.lines) {
        text.push_str(line);
        text.push('\n');
    }
    // "-- " (with its space) is where mail programs know a signature starts.
    text.push_str(&format!(
        "\n-- \ntracklane · {kind} · {id}\n\
         您收到这封邮件，是因为此地址订阅了 tracklane 的通知。如需停止，请在 {base_url}/webhooks 删除该订阅。\n\
         You get this e-mail because this address subscribes to tracklane's notifications. To stop them, delete the subscription at {base_url}/webhooks.\n",
        kind = delivery.kind.as_str(),
    ));
    Mail { subject, text }
}

/// One language's part of the mail of `delivery`.
fn part(lang: Lang, delivery: &Delivery, facts: &Facts, base_url: &str) -> Part {
    let zh = lang.is_zh();
    let shipment = match (&facts.name, zh) {
        (Some(name), true) => format!("货件 {}「{name}」", facts.reference),
        (Some(name), false) => format!("Shipment {} \"{name}\"", facts.reference),
        (None, true) => format!("货件 {}", facts.reference),
        (None, false) => format!("Shipment {}", facts.reference),
    };
    let mut part = match delivery.kind {
        EventKind::MilestoneChanged => milestone_part(lang, delivery, facts, &shipment, base_url),
        EventKind::ExceptionOpened | EventKind::ExceptionResolved => {
            match serde_json::from_value::<ExceptionPayload>(delivery.payload.clone()) {
                Ok(e) => exception_part(lang, delivery.kind, &e, &shipment),
                Err(_) => generic_part(lang, delivery.kind, &shipment),
            }
        }
        EventKind::WindowChanged => {
            match serde_json::from_value::<WindowPayload>(delivery.payload.clone()) {
                Ok(w) => window_part(lang, &w, &shipment),
                Err(_) => generic_part(lang, delivery.kind, &shipment),
            }
        }
        EventKind::RerouteOffered | EventKind::RerouteDecided => {
            match serde_json::from_value::<ReroutePayload>(delivery.payload.clone()) {
                Ok(r) => reroute_part(lang, &r, &shipment),
                Err(_) => generic_part(lang, delivery.kind, &shipment),
            }
        }
        EventKind::ReceiptRecorded => {
            match serde_json::from_value::<ReceiptPayload>(delivery.payload.clone()) {
                Ok(r) => receipt_part(lang, &r, &shipment),
                Err(_) => generic_part(lang, delivery.kind, &shipment),
            }
        }
    };
    part.lines.push(labelled(
        zh,
        "Shipment page",
        "货件页面",
        &format!("{base_url}/shipments/{}", facts.reference),
    ));
    part
}

fn milestone_part(
    lang: Lang,
    delivery: &Delivery,
    facts: &Facts,
    shipment: &str,
    base_url: &str,
) -> Part {
    let zh = lang.is_zh();
    let (carrier, number) = delivery.tracking().unwrap_or(("", &delivery.subject));
    let Some(latest) = &facts.latest else {
        return generic_part(lang, delivery.kind, shipment);
    };
    let name = i18n::milestone(lang, latest.code);
    let mut lines = vec![if zh {
        format!(
            "{}的追踪编码 {number}（{carrier}）有新的物流节点：{name}",
            zh_then(shipment)
        )
    } else {
        format!("{shipment}: tracking number {number} ({carrier}) reached a new milestone: {name}")
    }];
    lines.push(labelled(zh, "When", "时间", &when(latest.at)));
    if let Some(place) = &latest.place {
        lines.push(labelled(zh, "Where", "地点", place));
    }
    if let Some(description) = &latest.description {
        lines.push(labelled(zh, "The carrier says", "承运商说明", description));
    }
    lines.push(labelled(
        zh,
        "Public tracking page",
        "公开追踪页面",
        &format!("{base_url}/track/{number}"),
    ));
    Part {
        subject: name,
        subject_tail: None,
        lines,
    }
}

fn exception_part(lang: Lang, kind: EventKind, e: &ExceptionPayload, shipment: &str) -> Part {
    let zh = lang.is_zh();
    let name = i18n::exception_kind(lang, &e.kind);
    if kind == EventKind::ExceptionResolved {
        let mut lines = vec![if zh {
            format!("{}的异常已解除：{name}", zh_then(shipment))
        } else {
            format!("{shipment}: the exception \"{name}\" was resolved")
        }];
        if let Some(at) = e.resolved_at {
            lines.push(labelled(zh, "Resolved", "解除时间", &when(at)));
        }
        let subject = if zh {
            format!("已解除：{name}")
        } else {
            format!("Resolved: {name}")
        };
        return Part {
            subject,
            subject_tail: None,
            lines,
        };
    }
    let mut lines = vec![if zh {
        format!("{}出现异常：{name}", zh_then(shipment))
    } else {
        format!("{shipment} has an exception: {name}")
    }];
    lines.push(labelled(
        zh,
        "Severity",
        "严重程度",
        i18n::severity(lang, &e.severity),
    ));
    if let Some(since) = e.since {
        lines.push(labelled(zh, "Since", "起始时间", &when(since)));
    }
    if !e.evidence.is_empty() {
        lines.push(labelled(zh, "Evidence", "依据", &e.evidence));
    }
    let next = if zh { &e.next_step_zh } else { &e.next_step_en };
    if !next.is_empty() {
        lines.push(labelled(zh, "Next step", "下一步", next));
    }
    Part {
        subject: name.to_owned(),
        subject_tail: None,
        lines,
    }
}

fn window_part(lang: Lang, w: &WindowPayload, shipment: &str) -> Part {
    let zh = lang.is_zh();
    let span = |window: &DeliveryWindow| {
        if zh {
            format!("{} 至 {}", window.start_date, window.end_date)
        } else {
            format!("{} to {}", window.start_date, window.end_date)
        }
    };
    // The subject has room for days only: "03-15–03-21 → 03-22–03-28".
    let short = |window: &DeliveryWindow| {
        format!(
            "{}–{}",
            window.start_date.strftime("%m-%d"),
            window.end_date.strftime("%m-%d")
        )
    };
    let first = match (&w.from, zh) {
        (Some(from), true) => format!(
            "{}的送达时段已变更：{} → {}",
            zh_then(shipment),
            span(from),
            span(&w.to)
        ),
        (Some(from), false) => format!(
            "{shipment}: the delivery window moved from {} to {}",
            span(from),
            span(&w.to)
        ),
        (None, true) => format!("{}的送达时段已设为：{}", zh_then(shipment), span(&w.to)),
        (None, false) => format!("{shipment}: the delivery window was set to {}", span(&w.to)),
    };
    let by = match WindowSource::parse(&w.source) {
        Some(source) => format!("{} ({})", i18n::window_source(lang, source), w.actor),
        None => w.actor.clone(),
    };
    let mut lines = vec![first, labelled(zh, "By", "变更方", &by)];
    if !w.reason.is_empty() {
        lines.push(labelled(zh, "Reason", "原因", &w.reason));
    }
    lines.push(labelled(zh, "When", "时间", &when(w.at)));
    let (subject, moved) = match &w.from {
        Some(from) => (
            lang.t("Window moved", "送达时段变更"),
            format!("{} → {}", short(from), short(&w.to)),
        ),
        None => (
            lang.t("Window set", "送达时段已设定"),
            format!("→ {}", short(&w.to)),
        ),
    };
    Part {
        subject: subject.to_owned(),
        subject_tail: Some(moved),
        lines,
    }
}

fn receipt_part(lang: Lang, r: &ReceiptPayload, shipment: &str) -> Part {
    let zh = lang.is_zh();
    let short = r.units_expected.saturating_sub(r.units_received);
    let status = ShipmentStatus::parse(&r.status).map_or_else(
        || r.status.clone(),
        |s| i18n::shipment_status(lang, s).to_owned(),
    );
    let first = match (r.closes, short > 0, zh) {
        (true, true, true) => format!(
            "{}已结束接收，短少 {short} 件：请核对装箱单并申请对账",
            zh_then(shipment)
        ),
        (true, true, false) => format!(
            "{shipment}: receiving closed {short} units short. Compare with your packing list and ask for reconciliation"
        ),
        (true, false, true) => format!("{}已全部接收", zh_then(shipment)),
        (true, false, false) => format!("{shipment}: receiving closed, every unit counted"),
        (false, _, true) => format!("{}仓库已清点部分货物", zh_then(shipment)),
        (false, _, false) => format!("{shipment}: the warehouse counted units"),
    };
    let mut lines = vec![first];
    for c in &r.changes {
        lines.push(format!("  {}: {} → {}", c.sku, c.from, c.to));
    }
    let counted = format!("{} / {} · {status}", r.units_received, r.units_expected);
    lines.push(labelled(zh, "Received / sent", "已接收 / 发货", &counted));
    lines.push(labelled(zh, "By", "报告方", &r.actor));
    lines.push(labelled(zh, "When", "时间", &when(r.at)));
    let subject = match (r.closes, short > 0) {
        (true, true) => lang.t("Received short", "收货短少"),
        (true, false) => lang.t("Receiving closed", "接收完成"),
        (false, _) => lang.t("Units counted", "仓库清点"),
    };
    Part {
        subject: subject.to_owned(),
        subject_tail: Some(format!("{} / {}", r.units_received, r.units_expected)),
        lines,
    }
}

fn reroute_part(lang: Lang, r: &ReroutePayload, shipment: &str) -> Part {
    let zh = lang.is_zh();
    let status = RerouteStatus::parse(&r.status).unwrap_or(RerouteStatus::Offered);
    let what = i18n::reroute_status(lang, status);
    let route = format!("{} → {}", r.from, r.to);
    let mut lines = vec![if zh {
        format!("{shipment}：{what}，{route}（承运商 {}）", r.carrier)
    } else {
        format!("{shipment}: {what}, {route} (carrier {})", r.carrier)
    }];
    lines.push(labelled(zh, "Units", "件数", &r.units.to_string()));
    lines.push(if zh {
        format!(
            "预计入库：留在 {} 约 {:.1} 天，改到 {} 约 {:.1} 天；多行驶 {:.0} 公里",
            r.from, r.stay_days, r.to, r.move_days, r.extra_km
        )
    } else {
        format!(
            "Expected receipt: {:.1} days staying at {}, {:.1} days at {}; {:.0} km further",
            r.stay_days, r.from, r.move_days, r.to, r.extra_km
        )
    });
    if let Some(day) = r.appointment {
        lines.push(labelled(
            zh,
            "Receiving appointment",
            "收货预约",
            &day.to_string(),
        ));
    }
    if !r.reason.is_empty() {
        lines.push(labelled(zh, "Reason", "原因", &r.reason));
    }
    Part {
        subject: what.to_owned(),
        subject_tail: Some(route),
        lines,
    }
}

/// The part of an event whose payload this version cannot read: its kind.
fn generic_part(lang: Lang, kind: EventKind, shipment: &str) -> Part {
    let name = i18n::event_kind(lang, kind);
    Part {
        subject: name.to_owned(),
        subject_tail: None,
        lines: vec![if lang.is_zh() {
            format!("{shipment}：{name}")
        } else {
            format!("{shipment}: {name}")
        }],
    }
}

/// `货件 X` and a phrase: `货件 X 出现异常`, with no space after a name's
/// closing bracket (`货件 X「name」出现异常`).
fn zh_then(shipment: &str) -> String {
    if shipment.ends_with('」') {
        shipment.to_owned()
    } else {
        format!("{shipment} ")
    }
}

/// `Label: value` in English, `标签：value` in Chinese.
fn labelled(zh: bool, en: &str, zh_label: &str, value: &str) -> String {
    if zh {
        format!("{zh_label}：{value}")
    } else {
        format!("{en}: {value}")
    }
}

/// An instant as the pages show it: `2026-03-10 08:00 UTC`.
fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tracklane_store::DeliveryState;

    use super::*;

    fn delivery(kind: EventKind, subject: &str, payload: serde_json::Value) -> Delivery {
        Delivery {
            id: 42,
            webhook_id: "wh_3f2a".into(),
            kind,
            shipment_id: "shAAAA".into(),
            subject: subject.into(),
            payload,
            created_at: "2026-03-10T04:00:00Z".parse().unwrap(),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: None,
            last_status: None,
            last_error: None,
            delivered_at: None,
        }
    }

    fn facts(latest: Option<Latest>) -> Facts {
        Facts {
            reference: "FBA15XYZ1234".into(),
            name: Some("Spring restock".into()),
            latest,
        }
    }

    /// Composes the mail of `delivery` about `facts` and checks its subject
    /// and its body's lines before the signature.
    fn check(delivery: &Delivery, facts: &Facts, subject: &str, lines: &[&str]) {
        let mail = compose(delivery, "wh_3f2a-42", facts, "https://hub.example/");
        assert_eq!(mail.subject, subject);
        let body = mail.text.split("\n-- \n").next().unwrap();
        assert_eq!(body.lines().collect::<Vec<_>>(), lines, "{}", mail.text);
    }

    #[test]
    fn an_exception_tells_what_how_bad_and_what_to_do_in_chinese_then_english() {
        let opened = delivery(
            EventKind::ExceptionOpened,
            "",
            json!({
                "id": 7, "shipmentId": "shAAAA", "kind": "customs_hold", "severity": "high",
                "since": "2026-03-09T18:00:00Z", "evidence": "CUSTOMS_HOLD at Los Angeles",
                "nextStepEn": "Send the broker the invoice.", "nextStepZh": "把发票发给报关行。",
                "openedAt": "2026-03-10T04:00:00Z", "resolvedAt": null,
            }),
        );
        check(
            &opened,
            &facts(None),
            "[tracklane] 海关扣留 Customs hold · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」出现异常：海关扣留",
                "严重程度：高",
                "起始时间：2026-03-09 18:00 UTC",
                "依据：CUSTOMS_HOLD at Los Angeles",
                "下一步：把发票发给报关行。",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\" has an exception: Customs hold",
                "Severity: high",
                "Since: 2026-03-09 18:00 UTC",
                "Evidence: CUSTOMS_HOLD at Los Angeles",
                "Next step: Send the broker the invoice.",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
        let mail = compose(&opened, "wh_3f2a-42", &facts(None), "https://hub.example");
        assert!(
            mail.text.ends_with(
                "\n-- \ntracklane · EXCEPTION_OPENED · wh_3f2a-42\n\
                 您收到这封邮件，是因为此地址订阅了 tracklane 的通知。如需停止，请在 https://hub.example/webhooks 删除该订阅。\n\
                 You get this e-mail because this address subscribes to tracklane's notifications. To stop them, delete the subscription at https://hub.example/webhooks.\n"
            ),
            "{}",
            mail.text
        );

        let resolved = delivery(
            EventKind::ExceptionResolved,
            "",
            json!({ "kind": "probably_lost", "resolvedAt": "2026-03-11T00:00:00Z" }),
        );
        check(
            &resolved,
            &facts(None),
            "[tracklane] 已解除：可能丢失 Resolved: Probably lost · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」的异常已解除：可能丢失",
                "解除时间：2026-03-11 00:00 UTC",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\": the exception \"Probably lost\" was resolved",
                "Resolved: 2026-03-11 00:00 UTC",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_milestone_change_names_the_new_milestone_and_links_the_public_page() {
        let change = delivery(
            EventKind::MilestoneChanged,
            "CARRIER_X 1Z999AA10123456784",
            serde_json::Value::Null,
        );
        let latest = Latest {
            code: MilestoneCode::PickedUp,
            at: "2026-03-08T02:00:00Z".parse().unwrap(),
            place: Some("Shenzhen, CN".into()),
            description: None,
        };
        check(
            &change,
            &facts(Some(latest)),
            "[tracklane] 已揽收 Picked up · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」的追踪编码 1Z999AA10123456784（CARRIER_X）有新的物流节点：已揽收",
                "时间：2026-03-08 02:00 UTC",
                "地点：Shenzhen, CN",
                "公开追踪页面：https://hub.example/track/1Z999AA10123456784",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\": tracking number 1Z999AA10123456784 (CARRIER_X) reached a new milestone: Picked up",
                "When: 2026-03-08 02:00 UTC",
                "Where: Shenzhen, CN",
                "Public tracking page: https://hub.example/track/1Z999AA10123456784",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_window_change_says_from_and_to_and_who_moved_it() {
        let moved = delivery(
            EventKind::WindowChanged,
            "",
            json!({
                "at": "2026-03-10T04:00:00Z", "actor": "carrier:CARRIER_X",
                "from": { "startDate": "2026-03-15", "endDate": "2026-03-21" },
                "to": { "startDate": "2026-03-22", "endDate": "2026-03-28" },
                "source": "CARRIER_AUTOMATION", "reason": "ETA moved a week",
            }),
        );
        let unnamed = Facts {
            name: None,
            ..facts(None)
        };
        check(
            &moved,
            &unnamed,
            "[tracklane] 送达时段变更 Window moved 03-15–03-21 → 03-22–03-28 · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234 的送达时段已变更：2026-03-15 至 2026-03-21 → 2026-03-22 至 2026-03-28",
                "变更方：承运商自动更新 (carrier:CARRIER_X)",
                "原因：ETA moved a week",
                "时间：2026-03-10 04:00 UTC",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234: the delivery window moved from 2026-03-15 to 2026-03-21 to 2026-03-22 to 2026-03-28",
                "By: updated by the carrier's automation (carrier:CARRIER_X)",
                "Reason: ETA moved a week",
                "When: 2026-03-10 04:00 UTC",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_short_close_says_how_many_units_are_missing_and_what_to_do() {
        let closed = delivery(
            EventKind::ReceiptRecorded,
            "",
            json!({
                "at": "2026-03-10T04:00:00Z", "actor": "operator",
                "changes": [{ "sku": "LAMP-01", "from": 12, "to": 18 }],
                "closes": true, "status": "CLOSED", "unitsReceived": 18, "unitsExpected": 20,
            }),
        );
        check(
            &closed,
            &facts(None),
            "[tracklane] 收货短少 Received short 18 / 20 · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」已结束接收，短少 2 件：请核对装箱单并申请对账",
                "  LAMP-01: 12 → 18",
                "已接收 / 发货：18 / 20 · 已完成",
                "报告方：operator",
                "时间：2026-03-10 04:00 UTC",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\": receiving closed 2 units short. Compare with your packing list and ask for reconciliation",
                "  LAMP-01: 12 → 18",
                "Received / sent: 18 / 20 · Closed",
                "By: operator",
                "When: 2026-03-10 04:00 UTC",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_reroute_says_where_to_and_what_became_of_it() {
        let decided = delivery(
            EventKind::RerouteDecided,
            "",
            json!({
                "id": 3, "shipment": "shAAAA", "carrier": "CARRIER_X", "from": "TEB9", "to": "ABE8",
                "units": 24, "stayDays": 9.0, "moveDays": 3.5, "extraKm": 120.0,
                "reason": "TEB9 has 9 days of backlog", "status": "CONFIRMED",
                "offeredAt": "2026-03-09T00:00:00Z", "decidedAt": "2026-03-10T00:00:00Z",
                "appointment": "2026-03-14",
            }),
        );
        check(
            &decided,
            &facts(None),
            "[tracklane] 改仓已确认 Reroute confirmed TEB9 → ABE8 · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」：改仓已确认，TEB9 → ABE8（承运商 CARRIER_X）",
                "件数：24",
                "预计入库：留在 TEB9 约 9.0 天，改到 ABE8 约 3.5 天；多行驶 120 公里",
                "收货预约：2026-03-14",
                "原因：TEB9 has 9 days of backlog",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\": Reroute confirmed, TEB9 → ABE8 (carrier CARRIER_X)",
                "Units: 24",
                "Expected receipt: 9.0 days staying at TEB9, 3.5 days at ABE8; 120 km further",
                "Receiving appointment: 2026-03-14",
                "Reason: TEB9 has 9 days of backlog",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_payload_it_cannot_read_still_names_the_event_and_the_shipment() {
        check(
            &delivery(EventKind::WindowChanged, "", json!({ "unexpected": true })),
            &facts(None),
            "[tracklane] 送达时段变更 The delivery window changed · FBA15XYZ1234",
            &[
                "货件 FBA15XYZ1234「Spring restock」：送达时段变更",
                "货件页面：https://hub.example/shipments/FBA15XYZ1234",
                "",
                "Shipment FBA15XYZ1234 \"Spring restock\": The delivery window changed",
                "Shipment page: https://hub.example/shipments/FBA15XYZ1234",
            ],
        );
    }

    #[test]
    fn a_gone_shipment_fails_a_milestone_change_but_not_other_kinds() {
        let change = delivery(EventKind::MilestoneChanged, "CARRIER_X 1Z9", json!(null));
        assert!(matches!(
            Facts::read(&change, None),
            Err(RenderError::Gone(why)) if why.contains("1Z9")
        ));
        let opened = delivery(EventKind::ExceptionOpened, "", json!({}));
        assert_eq!(
            Facts::read(&opened, None).unwrap(),
            Facts {
                reference: "shAAAA".into(),
                name: None,
                latest: None
            }
        );
    }

    #[test]
    fn the_message_id_is_the_notification_id_at_the_senders_domain() {
        let webhook = Webhook {
            id: "wh_3f2a".into(),
            owner: tracklane_store::Principal::Operator,
            url: "mailto:ops@example.com".into(),
            events: EventKind::ALL.to_vec(),
            secret: "whsec_x".into(),
            created_at: "2026-03-10T00:00:00Z".parse().unwrap(),
            disabled_at: None,
            disabled_reason: None,
        };
        let d = delivery(EventKind::ExceptionOpened, "", json!({}));
        assert_eq!(
            message_id(&webhook, &d, "hub.example"),
            "<wh_3f2a-42@hub.example>"
        );
        assert_eq!(recipient(&webhook.url), Some("ops@example.com"));
        assert_eq!(recipient("https://example.com/mailto:x"), None);
    }
}
