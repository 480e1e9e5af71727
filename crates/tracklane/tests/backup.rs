//! `tracklane backup`: a copy of the embedded store taken while the hub
//! runs holds every committed write and opens as a store of its own; an
//! existing file is never overwritten, and a PostgreSQL store is sent to
//! pg_dump.

use tracklane::backup;
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{ShipmentKey, Store};

use crate::support::{TestDb, TestHub, UPS, milestone, shipment};

#[tokio::test]
async fn a_copy_taken_while_the_hub_runs_opens_as_a_store() {
    let hub = TestHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = match &hub.db {
        TestDb::Sqlite(path) => path,
        TestDb::Postgres(url) => {
            let message = backup::run(url, &dir.path().join("copy.db"))
                .unwrap_err()
                .to_string();
            assert!(message.contains("pg_dump --format=custom"), "{message}");
            return;
        }
    };
    let s = hub
        .create(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await;
    hub.upload(&hub.carrier_x, &s, &[UPS[0]]).await;
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "PICKED_UP", "2026-03-09T10:00:00Z")],
    )
    .await;

    let to = dir.path().join("copy.db");
    let db = format!("sqlite://{}", path.display());
    let copy = backup::run(&db, &to).unwrap();
    assert_eq!((copy.shipments, copy.milestones), (1, 1));
    assert!(copy.bytes > 0);

    // The hub goes on; the copy has what was committed before it.
    hub.push(
        &hub.carrier_x,
        vec![milestone(UPS[0], "DEPARTED", "2026-03-09T18:00:00Z")],
    )
    .await;
    let restored = SqliteStore::open(&to).unwrap();
    let detail = restored
        .shipment(&ShipmentKey::new(s.id.as_str()))
        .await
        .unwrap()
        .expect("the shipment is in the copy");
    assert_eq!(detail.timelines[0].len(), 1, "the later milestone is not");
    assert_eq!(
        detail.shipment.packages[0].legs.len(),
        1,
        "its tracking number is"
    );

    // Never over a file, nor from a store that is not there.
    let message = backup::run(&db, &to).unwrap_err().to_string();
    assert!(message.contains("exists already"), "{message}");
    let missing = format!("sqlite://{}", dir.path().join("nope.db").display());
    let message = backup::run(&missing, &dir.path().join("other.db"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("there is no store at"), "{message}");
    assert!(!dir.path().join("other.db").exists());
    assert!(
        !dir.path().join("nope.db").exists(),
        "no empty store is made"
    );
}
