//! Invariant 3: arrival order does not matter. The same facts, permuted,
//! duplicated and cut into batches at random, give the same state.

use std::sync::Arc;

use jiff::{Span, Timestamp};
use proptest::prelude::*;
use tracklane_core::{BoxId, CarrierCode, Location, Milestone, MilestoneCode, TrackingNumber};
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{MilestoneDraft, Principal, ShipmentKey, Store, TrackingAssignment};

use crate::support::{UPS, carrier, now, shipment};

/// The state the projection and timeline show, without the receipt times that
/// differ by arrival.
fn state_of(detail: &tracklane_store::ShipmentDetail) -> String {
    let packages: Vec<_> = detail
        .shipment
        .packages
        .iter()
        .zip(&detail.timelines)
        .map(|(p, t)| {
            let timeline: Vec<_> = t
                .iter()
                .map(|m| (m.milestone.clone(), m.after_close))
                .collect();
            (p.box_id.clone(), p.track.clone(), timeline)
        })
        .collect();
    format!("{:?} {:?}", detail.status, packages)
}

const CODES: [MilestoneCode; 8] = [
    MilestoneCode::PickedUp,
    MilestoneCode::Departed,
    MilestoneCode::CustomsHoldDischargePort,
    MilestoneCode::CustomsCleared,
    MilestoneCode::OutForDelivery,
    MilestoneCode::Delivered,
    MilestoneCode::DeliveryAttempted,
    MilestoneCode::Delivered,
];

fn facts(spec: &[(usize, usize, i64)]) -> Vec<MilestoneDraft> {
    let base: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    spec.iter()
        .map(|&(package, code, hours)| MilestoneDraft {
            index: 0,
            tracking_number: TrackingNumber::parse(UPS[package]).unwrap(),
            shipment: None,
            box_id: None,
            milestone: Milestone {
                code: CODES[code],
                sub_code: None,
                raw_code: None,
                description: None,
                location: Location {
                    city: Some("Newark".into()),
                    region: None,
                    country_code: Some("US".into()),
                },
                occurred_at: base.checked_add(Span::new().hours(hours)).unwrap(),
                event_id: None,
            },
        })
        .collect()
}

async fn apply(batches: Vec<Vec<MilestoneDraft>>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("p.db")).unwrap());
    let x = CarrierCode::parse("CARRIER_X").unwrap();
    store.put_carrier(carrier("CARRIER_X", &[])).await.unwrap();
    let s = shipment(99, "A1SELLERA", Some("CARRIER_X"), 3);
    store.create_shipment(s.clone()).await.unwrap();
    let assignments = (0..3)
        .map(|i| TrackingAssignment {
            index: i,
            box_id: Some(BoxId::parse(s.packages[i].box_id.as_str()).unwrap()),
            tracking_number: TrackingNumber::parse(UPS[i]).unwrap(),
            mode: tracklane_core::LegMode::SmallParcel,
            source: tracklane_core::TrackingSource::Carrier,
            carrier: x.clone(),
        })
        .collect();
    store
        .assign_tracking(
            &Principal::Carrier(x.clone()),
            &ShipmentKey::new(s.id.as_str()),
            assignments,
            now(),
        )
        .await
        .unwrap();
    for batch in batches {
        store.append_milestones(&x, batch, now()).await.unwrap();
    }
    let detail = store
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    state_of(&detail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_permutation_duplication_and_batching_gives_the_same_state(
        spec in proptest::collection::vec((0usize..3, 0usize..CODES.len(), 0i64..200), 1..25),
        order_seed in any::<u64>(),
        repeats in proptest::collection::vec(any::<bool>(), 25),
        cut_seed in any::<u64>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let drafts = facts(&spec);
        let reference = runtime.block_on(apply(vec![drafts.clone()]));

        let mut shuffled: Vec<MilestoneDraft> = drafts.iter().zip(&repeats).flat_map(|(d, again)| {
            if *again { vec![d.clone(), d.clone()] } else { vec![d.clone()] }
        }).collect();
        let mut state = order_seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        for i in (1..shuffled.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        let mut batches = Vec::new();
        let mut cut = cut_seed | 1;
        while !shuffled.is_empty() {
            cut ^= cut << 13; cut ^= cut >> 7; cut ^= cut << 17;
            let n = 1 + (cut % 5) as usize;
            let rest = shuffled.split_off(n.min(shuffled.len()));
            batches.push(std::mem::replace(&mut shuffled, rest));
        }
        let permuted = runtime.block_on(apply(batches));
        prop_assert_eq!(reference, permuted);
    }
}
