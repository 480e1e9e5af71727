//! The pages' words in English and Simplified Chinese: one `t(en, zh)` for
//! sentences written where they are used, and labels for the domain's closed
//! vocabularies (statuses, milestone codes, modes, marketplaces, capabilities,
//! webhook events and delivery states, exception severities, reroute
//! outcomes). The e-mails of `crate::mail` use the same words.
//! A milestone code without a Chinese label here shows the SP-API model's
//! English description, so a new code is never blank.

use tracklane_core::{
    Capability, FreightMode, LegMode, Marketplace, MilestoneCode, PackageStatus, ShipmentStatus,
    ShippingMode, TrackingSource, WindowSource,
};
use tracklane_store::{DeliveryState, EventKind, RerouteStatus};

use crate::error::Lang;

impl Lang {
    /// `en` or `zh`, whichever this language reads.
    pub(crate) fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        if self.is_zh() { zh } else { en }
    }

    /// The `lang` attribute of an HTML page in this language.
    pub(crate) fn html_tag(self) -> &'static str {
        self.t("en", "zh-CN")
    }
}

/// A shipment status, for people.
pub(crate) fn shipment_status(lang: Lang, status: ShipmentStatus) -> &'static str {
    use ShipmentStatus as S;
    match status {
        S::Working => lang.t("Working", "处理中"),
        S::ReadyToShip => lang.t("Ready to ship", "待发货"),
        S::Shipped => lang.t("Shipped", "已发货"),
        S::InTransit => lang.t("In transit", "运输中"),
        S::Delivered => lang.t("Delivered", "已送达"),
        S::CheckedIn => lang.t("Checked in", "已签入"),
        S::Receiving => lang.t("Receiving", "接收中"),
        S::Closed => lang.t("Closed", "已完成"),
        S::Cancelled => lang.t("Cancelled", "已取消"),
    }
}

/// A package status, for people.
pub(crate) fn package_status(lang: Lang, status: PackageStatus) -> &'static str {
    use PackageStatus as P;
    match status {
        P::AwaitingTracking => lang.t("Awaiting tracking", "等待追踪编码"),
        P::AwaitingPickup => lang.t("Awaiting pickup", "等待揽收"),
        P::InTransit => lang.t("In transit", "运输中"),
        P::CustomsHold => lang.t("Held by customs", "海关扣留"),
        P::OutForDelivery => lang.t("Out for delivery", "派送中"),
        P::Delivered => lang.t("Delivered", "已送达"),
        P::Exception => lang.t("Exception", "异常"),
        P::Returned => lang.t("Returned", "已退回"),
        P::Lost => lang.t("Lost", "已丢失"),
        P::Cancelled => lang.t("Cancelled", "已取消"),
    }
}

/// A milestone code, for people.
pub(crate) fn milestone(lang: Lang, code: MilestoneCode) -> String {
    use MilestoneCode as C;
    let zh = match code {
        C::BookingConfirmed => "订舱已确认",
        C::BookingReceived => "已收到订舱",
        C::PickedUp => "已揽收",
        C::ReceivedAtOrigin => "已到达始发站",
        C::Containerized => "已装箱",
        C::CustomsDeclarationEmbarkPort => "起运港已报关",
        C::Loaded => "已装船 / 装机",
        C::LoadedTrain => "已装车（铁路）",
        C::Departed => "已离港",
        C::DepartedRailTerminal => "已离开铁路场站",
        C::DepartedTerminal => "已离开转运中心",
        C::Arrived => "已抵港",
        C::ArrivedAtRailTerminal => "已到达铁路场站",
        C::ArrivedAtTerminal => "已到达转运中心",
        C::ArrivedAtDestinationYard => "已到达目的地堆场",
        C::ArrivedInDestinationCountry => "已到达目的国",
        C::Unloaded => "已卸货",
        C::UnloadedTrain => "已卸车（铁路）",
        C::CustomsProcessing => "清关中",
        C::CustomsCleared => "已清关",
        C::CustomsHold => "海关扣留（始发地）",
        C::CustomsHoldDischargePort => "海关扣留（目的港）",
        C::CustomsDelay => "清关延误",
        C::CustomsPaymentRequired => "需缴纳关税",
        C::CarrierTransfer => "已转交承运商",
        C::ReceivedFromCarrier => "已从上一承运商接收",
        C::DeliveryAppointmentConfirmed => "送仓预约已确认",
        C::OutForDelivery => "派送中",
        C::DeliveryAttempted => "派送未成功",
        C::Delivered => "已送达",
        C::Delayed => "延误",
        C::Lost => "丢失",
        C::Returned => "已退回",
        C::Damaged => "破损",
        C::Shipped => "已发出",
        _ => "",
    };
    if lang.is_zh() && !zh.is_empty() {
        return zh.to_owned();
    }
    // The code itself in sentence case reads well and stays short
    // ("ARRIVED_AT_RAIL_TERMINAL" → "Arrived at rail terminal"); the model's
    // longer description is the page's tooltip.
    let words = code.as_str().replace('_', " ").to_lowercase();
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A freight mode, for people.
pub(crate) fn freight_mode(lang: Lang, mode: FreightMode) -> &'static str {
    match mode {
        FreightMode::Express => lang.t("Express", "国际快递"),
        FreightMode::Air => lang.t("Air", "空运"),
        FreightMode::Ocean => lang.t("Ocean", "海运"),
        FreightMode::Rail => lang.t("Rail", "铁路"),
    }
}

/// A shipping mode, for people.
pub(crate) fn shipping_mode(lang: Lang, mode: ShippingMode) -> &'static str {
    match mode {
        ShippingMode::SmallParcel => lang.t("Small parcel", "小包裹"),
        ShippingMode::Ltl => lang.t("LTL (less than truckload)", "零担（LTL）"),
        ShippingMode::Ftl => lang.t("FTL (full truckload)", "整车（FTL）"),
    }
}

/// A leg's mode, for people.
pub(crate) fn leg_mode(lang: Lang, mode: LegMode) -> &'static str {
    match mode {
        LegMode::SmallParcel => lang.t("parcel", "包裹"),
        LegMode::Ltl => lang.t("LTL", "零担"),
        LegMode::Ftl => lang.t("FTL", "整车"),
        LegMode::Ocean => lang.t("ocean", "海运"),
        LegMode::Air => lang.t("air", "空运"),
        LegMode::Rail => lang.t("rail", "铁路"),
        LegMode::Postal => lang.t("postal", "邮政"),
    }
}

/// A marketplace, for people.
pub(crate) fn marketplace(lang: Lang, m: Marketplace) -> &'static str {
    match m {
        Marketplace::Us => lang.t("United States", "美国"),
        Marketplace::Uk => lang.t("United Kingdom", "英国"),
        Marketplace::Fr => lang.t("France", "法国"),
        Marketplace::De => lang.t("Germany", "德国"),
        Marketplace::It => lang.t("Italy", "意大利"),
        Marketplace::Es => lang.t("Spain", "西班牙"),
        Marketplace::Jp => lang.t("Japan", "日本"),
        Marketplace::Ca => lang.t("Canada", "加拿大"),
    }
}

/// A carrier capability, for people (the FIST names stay as they are).
pub(crate) fn capability(lang: Lang, c: Capability) -> &'static str {
    match c {
        Capability::ShipTrack => lang.t("ShipTrack", "ShipTrack 追踪同步"),
        Capability::SmartReroute => lang.t("Smart Reroute", "Smart Reroute 智能改仓"),
        Capability::DwAutomation => lang.t("DW Automation", "DW Automation 送达时段自动更新"),
    }
}

/// Who supplied a tracking number.
pub(crate) fn tracking_source(lang: Lang, s: TrackingSource) -> &'static str {
    match s {
        TrackingSource::Carrier => lang.t("from the carrier", "承运商上传"),
        TrackingSource::Seller => lang.t("entered by the seller", "卖家录入"),
        TrackingSource::Import => lang.t("imported", "批量导入"),
    }
}

/// Who set a delivery window.
pub(crate) fn window_source(lang: Lang, s: WindowSource) -> &'static str {
    match s {
        WindowSource::Seller => lang.t("set by the seller", "卖家设置"),
        WindowSource::Carrier => lang.t("set by the carrier", "承运商设置"),
        WindowSource::CarrierAutomation => {
            lang.t("updated by the carrier's automation", "承运商自动更新")
        }
        WindowSource::Reroute => lang.t("set by a reroute", "改仓后设置"),
    }
}

/// An exception kind's name, from its wire name.
pub(crate) fn exception_kind(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "stale_tracking" => lang.t("Stale tracking", "追踪停滞"),
        "delivery_failed" => lang.t("Delivery failed", "派送失败"),
        "customs_hold" => lang.t("Customs hold", "海关扣留"),
        "missing_tracking" => lang.t("Tracking overdue", "追踪编码逾期未上传"),
        "window_at_risk" => lang.t("Window at risk", "可能错过送达时段"),
        "probably_lost" => lang.t("Probably lost", "可能丢失"),
        _ => lang.t("Exception", "异常"),
    }
}

/// A webhook event kind, for people (its wire name is shown beside it).
pub(crate) fn event_kind(lang: Lang, kind: EventKind) -> &'static str {
    match kind {
        EventKind::MilestoneChanged => lang.t("A tracking milestone changed", "物流节点变化"),
        EventKind::ExceptionOpened => lang.t("An exception was raised", "出现异常"),
        EventKind::ExceptionResolved => lang.t("An exception was resolved", "异常已解除"),
        EventKind::WindowChanged => lang.t("The delivery window changed", "送达时段变更"),
        EventKind::RerouteOffered => lang.t("A reroute was offered", "建议改仓"),
        EventKind::RerouteDecided => lang.t("A reroute was decided", "改仓已决定"),
        EventKind::ReceiptRecorded => lang.t("The warehouse counted units", "仓库已清点收货"),
    }
}

/// An exception's severity (`low`, `medium`, `high`), for people.
pub(crate) fn severity(lang: Lang, severity: &str) -> &'static str {
    match severity {
        "low" => lang.t("low", "低"),
        "medium" => lang.t("medium", "中"),
        "high" => lang.t("high", "高"),
        _ => lang.t("unknown", "未知"),
    }
}

/// What became of a reroute offer, for people.
pub(crate) fn reroute_status(lang: Lang, status: RerouteStatus) -> &'static str {
    match status {
        RerouteStatus::Offered => lang.t("Reroute offered", "建议改仓"),
        RerouteStatus::Confirmed => lang.t("Reroute confirmed", "改仓已确认"),
        RerouteStatus::Declined => lang.t("Reroute declined", "改仓已拒绝"),
        RerouteStatus::Withdrawn => lang.t("Reroute withdrawn", "改仓建议已撤回"),
    }
}

/// Where a webhook delivery stands, for people.
pub(crate) fn delivery_state(lang: Lang, state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => lang.t("Pending", "待投递"),
        DeliveryState::Delivered => lang.t("Delivered", "已投递"),
        DeliveryState::Failed => lang.t("Failed", "投递失败"),
    }
}

/// A number of webhook deliveries that failed, for people: "2 deliveries
/// that failed", "2 条失败的投递".
pub(crate) fn failed_deliveries(lang: Lang, count: usize) -> String {
    match (lang.is_zh(), count) {
        (true, _) => format!("{count} 条失败的投递"),
        (false, 1) => "1 delivery that failed".to_owned(),
        (false, _) => format!("{count} deliveries that failed"),
    }
}
