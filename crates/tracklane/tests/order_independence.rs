//! Invariant 3: arrival order does not matter. The same facts, permuted,
//! duplicated and cut into batches at random, give the same state, whether each
//! batch is its own call or all go through one `Store::apply`.

use std::sync::Arc;

use jiff::{Span, Timestamp};
use proptest::prelude::*;
use tracklane_core::{BoxId, CarrierCode, Location, Milestone, MilestoneCode, TrackingNumber};
use tracklane_core::{DeliveryWindow, WindowSource};
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{
    MilestoneDraft, Principal, ShipmentKey, Store, StoreError, TrackingAssignment,
    WindowChangeRequest, Write, Written,
};

use crate::support::{TestDb, UPS, carrier, now, on_postgres, shipment};

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

/// How the writes reach the store.
#[derive(Clone, Copy)]
enum Calls {
    /// One method call per write, each awaited.
    OneByOne,
    /// Every write in one `Store::apply`.
    Bundled,
    /// Every write in one `Store::apply`, with a write that fails halfway
    /// through (the bundle is then run again, each write on its own).
    BundledWithFailure,
    /// A scratch store, every write its own `Store::apply` with the failing
    /// one halfway: the groups answered before it are not yet committed when
    /// it fails, and must survive its rollback.
    ScratchWithFailure,
    /// Two processes on one PostgreSQL database (two stores, two pools),
    /// appending alternate batches at the same time. SQLite has one writing
    /// process, so this runs only on PostgreSQL.
    TwoProcesses,
}

async fn apply(batches: Vec<Vec<MilestoneDraft>>, calls: Calls) -> String {
    let dir = tempfile::tempdir().unwrap();
    // A scratch store is SQLite's alone; the rest run on the backend under test.
    let db = TestDb::fresh(dir.path()).await;
    let store: Arc<dyn Store> = match calls {
        Calls::ScratchWithFailure => {
            Arc::new(SqliteStore::open_scratch(&dir.path().join("p.db")).unwrap())
        }
        _ => db.open().await,
    };
    let x = CarrierCode::parse("CARRIER_X").unwrap();
    store.put_carrier(carrier("CARRIER_X", &[])).await.unwrap();
    let s = shipment(99, "A1SELLERA", Some("CARRIER_X"), 3);
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
    let key = ShipmentKey::new(s.id.as_str());
    match calls {
        Calls::OneByOne => {
            store.create_shipment(s.clone()).await.unwrap();
            store
                .assign_tracking(&Principal::Carrier(x.clone()), &key, assignments, now())
                .await
                .unwrap();
            for batch in batches {
                store.append_milestones(&x, batch, now()).await.unwrap();
            }
        }
        Calls::TwoProcesses => {
            store.create_shipment(s.clone()).await.unwrap();
            store
                .assign_tracking(&Principal::Carrier(x.clone()), &key, assignments, now())
                .await
                .unwrap();
            let other = db.open().await;
            let (mine, theirs): (Vec<_>, Vec<_>) = batches
                .into_iter()
                .enumerate()
                .partition(|(i, _)| i % 2 == 0);
            let append = |store: Arc<dyn Store>, batches: Vec<(usize, Vec<MilestoneDraft>)>| {
                let x = x.clone();
                async move {
                    for (_, batch) in batches {
                        store.append_milestones(&x, batch, now()).await.unwrap();
                    }
                }
            };
            tokio::join!(append(store.clone(), mine), append(other, theirs));
        }
        Calls::Bundled | Calls::BundledWithFailure | Calls::ScratchWithFailure => {
            let mut writes = vec![
                Write::CreateShipment(Box::new(s.clone())),
                Write::AssignTracking {
                    actor: Principal::Carrier(x.clone()),
                    shipment: key.clone(),
                    assignments,
                    now: now(),
                },
            ];
            writes.extend(batches.into_iter().map(|drafts| Write::AppendMilestones {
                carrier: x.clone(),
                drafts,
                now: now(),
            }));
            let failing = (!matches!(calls, Calls::Bundled)).then(|| {
                let at = 2 + (writes.len() - 2) / 2;
                let start = jiff::civil::date(2026, 12, 6);
                writes.insert(
                    at,
                    Write::SetDeliveryWindow {
                        shipment: ShipmentKey::new("FBA15NOSUCH1"),
                        change: WindowChangeRequest {
                            window: DeliveryWindow::new(start, start + Span::new().days(6))
                                .unwrap(),
                            source: WindowSource::Seller,
                            actor: "seller:A1SELLERA".into(),
                            reason: "set by the seller".into(),
                            now: now(),
                        },
                    },
                );
                at
            });
            let results = if matches!(calls, Calls::ScratchWithFailure) {
                let mut results = Vec::new();
                for write in writes {
                    results.extend(store.apply(vec![write]).await);
                }
                results
            } else {
                store.apply(writes).await
            };
            for (i, result) in results.into_iter().enumerate() {
                assert_eq!(result.is_err(), Some(i) == failing, "write {i}: {result:?}");
            }
        }
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
        let reference = runtime.block_on(apply(vec![drafts.clone()], Calls::OneByOne));

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
        let permuted = runtime.block_on(apply(batches.clone(), Calls::OneByOne));
        prop_assert_eq!(&reference, &permuted);
        let bundled = runtime.block_on(apply(batches.clone(), Calls::Bundled));
        prop_assert_eq!(&reference, &bundled);
        let recovered = runtime.block_on(apply(batches.clone(), Calls::BundledWithFailure));
        prop_assert_eq!(&reference, &recovered);
        let scratch = runtime.block_on(apply(batches.clone(), Calls::ScratchWithFailure));
        prop_assert_eq!(&reference, &scratch);
        if on_postgres() {
            let two = runtime.block_on(apply(batches, Calls::TwoProcesses));
            prop_assert_eq!(reference, two);
        }
    }
}

/// A write of a bundle that fails is refused alone: the writes before and after
/// it are kept, and each result comes back in its place.
#[tokio::test]
async fn a_failing_write_in_a_bundle_loses_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = TestDb::fresh(dir.path()).await.open().await;
    let s = shipment(7, "A1SELLERA", Some("CARRIER_X"), 1);
    let window = |week: i64| {
        let start = jiff::civil::date(2026, 12, 6) + Span::new().weeks(week);
        DeliveryWindow::new(start, start + Span::new().days(6)).unwrap()
    };
    let change = |week: i64| WindowChangeRequest {
        window: window(week),
        source: WindowSource::Seller,
        actor: "seller:A1SELLERA".into(),
        reason: "set by the seller".into(),
        now: now(),
    };
    let results = store
        .apply(vec![
            Write::CreateShipment(Box::new(s.clone())),
            Write::SetDeliveryWindow {
                shipment: ShipmentKey::new("FBA15NOSUCH1"),
                change: change(0),
            },
            Write::SetDeliveryWindow {
                shipment: ShipmentKey::new(s.id.as_str()),
                change: change(1),
            },
        ])
        .await;
    assert!(matches!(results[0], Ok(Written::Done)), "{results:?}");
    assert!(
        matches!(&results[1], Err(StoreError::NotFound { key, .. }) if key == "FBA15NOSUCH1"),
        "{results:?}"
    );
    assert!(
        matches!(&results[2], Ok(Written::Window(c)) if c.to == window(1)),
        "{results:?}"
    );
    let detail = store
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.shipment.delivery_window.map(|(w, _)| w),
        Some(window(1))
    );
    assert_eq!(detail.window_history.len(), 1);
}
