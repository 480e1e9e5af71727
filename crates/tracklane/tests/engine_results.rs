//! What engine passes leave in the store: exceptions open and resolve as the
//! verdicts change, and a confirmed reroute moves the shipment with an audited
//! window (DESIGN.md invariant 4) while other carriers cannot decide it.

use jiff::ToSpan;
use tracklane_core::{CarrierCode, Shipment, WindowSource};
use tracklane_store::{
    Assessment, ExceptionDraft, ExceptionQuery, Principal, RerouteDecision, RerouteStatus,
    ShipmentDetail, ShipmentException, ShipmentKey, Store, StoreError,
};

use tracklane_core::Marketplace;

use crate::support::{TestHub, now, reroute_offer, shipment, warehouse};

/// What the store holds for shipment `s`.
async fn detail_of(store: &dyn Store, s: &Shipment) -> ShipmentDetail {
    store
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap()
}

/// The exceptions open on every shipment.
async fn open_exceptions(store: &dyn Store) -> Vec<ShipmentException> {
    store
        .exceptions(&ExceptionQuery {
            limit: 50,
            ..ExceptionQuery::default()
        })
        .await
        .unwrap()
}

fn draft(kind: &str, evidence: &str) -> ExceptionDraft {
    ExceptionDraft {
        kind: kind.into(),
        severity: "high".into(),
        since: now(),
        evidence: evidence.into(),
        next_step_en: "call the carrier".into(),
        next_step_zh: "联系承运商".into(),
    }
}

#[tokio::test]
async fn exceptions_open_refresh_and_resolve_with_the_verdicts() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(40, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let store = hub.store();
    let verdict = |exceptions: Vec<ExceptionDraft>| Assessment {
        shipment: s.id.clone(),
        estimate: None,
        exceptions,
        handled: Vec::new(),
    };
    store
        .put_assessments(
            vec![verdict(vec![draft("customs_hold", "held since Monday")])],
            now(),
        )
        .await
        .unwrap();
    let later = now() + 2.hours();
    store
        .put_assessments(
            vec![verdict(vec![
                draft("customs_hold", "held for 2 days"),
                draft("window_at_risk", "p50 after the window"),
            ])],
            later,
        )
        .await
        .unwrap();
    let open = open_exceptions(store).await;
    let seen: Vec<(&str, &str)> = open
        .iter()
        .map(|e| (e.draft.kind.as_str(), e.draft.evidence.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("window_at_risk", "p50 after the window"),
            ("customs_hold", "held for 2 days")
        ]
    );
    assert_eq!(
        open[1].opened_at,
        now(),
        "a refreshed exception keeps its opening time"
    );
    store
        .put_assessments(
            vec![verdict(vec![draft("window_at_risk", "still late")])],
            later + 1.hour(),
        )
        .await
        .unwrap();
    let detail = detail_of(store, &s).await;
    let states: Vec<(&str, bool)> = detail
        .exceptions
        .iter()
        .map(|e| (e.draft.kind.as_str(), e.resolved_at.is_some()))
        .collect();
    assert_eq!(
        states,
        vec![("window_at_risk", false), ("customs_hold", true)]
    );
    let other_seller = store
        .exceptions(&ExceptionQuery {
            seller: Some(tracklane_core::SellerId::parse("A1SELLERB").unwrap()),
            limit: 50,
            ..ExceptionQuery::default()
        })
        .await
        .unwrap();
    assert!(other_seller.is_empty());
}

#[tokio::test]
async fn a_risk_automation_handled_is_history_and_never_open() {
    let hub = TestHub::start().await;
    let s = hub
        .create(shipment(41, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let store = hub.store();
    let verdict = |exceptions: Vec<ExceptionDraft>, handled: Vec<ExceptionDraft>| Assessment {
        shipment: s.id.clone(),
        estimate: None,
        exceptions,
        handled,
    };
    // The window was moved away from a risk nobody had flagged yet.
    store
        .put_assessments(
            vec![verdict(
                Vec::new(),
                vec![draft("window_at_risk", "moved to the next week")],
            )],
            now(),
        )
        .await
        .unwrap();
    // Flagged on the new window, then moved away again: the open one is
    // resolved as usual, with no second record of the same risk.
    store
        .put_assessments(
            vec![verdict(
                vec![draft("window_at_risk", "late again")],
                Vec::new(),
            )],
            now() + 1.hour(),
        )
        .await
        .unwrap();
    store
        .put_assessments(
            vec![verdict(
                Vec::new(),
                vec![draft("window_at_risk", "moved once more")],
            )],
            now() + 2.hours(),
        )
        .await
        .unwrap();
    let detail = detail_of(store, &s).await;
    let mut history: Vec<(&str, bool, bool)> = detail
        .exceptions
        .iter()
        .map(|e| {
            (
                e.draft.evidence.as_str(),
                e.resolved_at.is_some(),
                e.resolved_at == Some(e.opened_at),
            )
        })
        .collect();
    history.sort_unstable();
    assert_eq!(
        history,
        vec![
            ("late again", true, false),
            ("moved to the next week", true, true)
        ]
    );
    let open = open_exceptions(store).await;
    assert!(open.is_empty(), "{open:?}");
}

#[tokio::test]
async fn a_confirmed_reroute_moves_the_shipment_and_audits_the_window() {
    let hub = TestHub::start().await;
    let store = hub.store();
    store
        .put_warehouse(warehouse("ABE8", Marketplace::Us))
        .await
        .unwrap();
    let s = hub
        .create(shipment(41, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    let offer = reroute_offer(&s);
    let stored = store
        .offer_reroutes(vec![offer.clone()], now())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let again = store.offer_reroutes(vec![offer], now()).await.unwrap();
    assert!(again.is_empty(), "one waiting offer per shipment");
    let id = stored[0].id;
    let appointment: jiff::civil::Date = "2026-03-18".parse().unwrap();
    let wrong = store
        .decide_reroute(
            &Principal::Carrier(CarrierCode::parse("CARRIER_Y").unwrap()),
            id,
            RerouteDecision::Confirm { appointment },
            now(),
        )
        .await;
    assert!(
        matches!(wrong, Err(StoreError::NotFound { .. })),
        "{wrong:?}"
    );
    let decided = store
        .decide_reroute(
            &Principal::Carrier(CarrierCode::parse("CARRIER_X").unwrap()),
            id,
            RerouteDecision::Confirm { appointment },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(decided.status, RerouteStatus::Confirmed);
    let detail = detail_of(store, &s).await;
    assert_eq!(detail.shipment.warehouse.as_str(), "ABE8");
    let window = detail.shipment.delivery_window.unwrap();
    assert_eq!(window.0.start_date.to_string(), "2026-03-15");
    assert_eq!(window.1, WindowSource::Reroute);
    let audit = detail.window_history.last().unwrap();
    assert_eq!(
        (audit.source, audit.actor.as_str()),
        (WindowSource::Reroute, "carrier:CARRIER_X")
    );
    assert_eq!(detail.reroutes[0].appointment, Some(appointment));
    let twice = store
        .decide_reroute(&Principal::Operator, id, RerouteDecision::Decline, now())
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
}
