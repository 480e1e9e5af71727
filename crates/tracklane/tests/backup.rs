//! `tracklane backup`: a copy of the embedded store taken while the hub
//! runs holds every committed write and opens as a store of its own; an
//! existing file is never overwritten, and a PostgreSQL store is sent to
//! pg_dump.

use tracklane::backup;
use tracklane_store::sqlite::SqliteStore;
use tracklane_store::{ShipmentKey, Store};

use crate::support::{TestDb, TestHub, UPS, milestone, now, shipment};

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

/// `tracklane restore`: the backup comes back in place of the store, whose
/// files are kept aside; a store a hub holds a lease in is left alone unless
/// forced; a file that is no store, or a newer one, is refused.
#[tokio::test]
async fn a_backup_is_restored_in_place_of_the_store_which_is_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tracklane.db");
    let db = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&path).unwrap();
    store
        .create_shipment(shipment(1, "A1SELLERA", Some("CARRIER_X"), 1))
        .await
        .unwrap();
    let copy = dir.path().join("copy.db");
    backup::run(&db, &copy).unwrap();
    let later = shipment(2, "A1SELLERA", Some("CARRIER_X"), 1);
    store.create_shipment(later.clone()).await.unwrap();
    // A running hub renews its engine lease every pass.
    let hour = jiff::SignedDuration::from_hours(1);
    assert!(
        store
            .lease("engine", "serve-1", now(), now() + hour)
            .await
            .unwrap()
    );
    drop(store);

    let message = backup::restore(&db, &copy, now(), false)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("a running hub holds") && message.contains("stop `serve` first"),
        "{message}"
    );
    let restored = backup::restore(&db, &copy, now() + hour + hour, false).unwrap();
    assert_eq!(restored.copy.shipments, 1);
    let previous = restored.previous.expect("the replaced store is kept");
    assert!(
        previous
            .to_string_lossy()
            .ends_with(".before-restore-20260310T020000Z"),
        "{}",
        previous.display()
    );

    let back = SqliteStore::open(&path).unwrap();
    let count = back.counts().await.unwrap().shipments;
    assert_eq!(count, 1, "the store is the backup again");
    let kept = SqliteStore::open(&previous).unwrap();
    assert!(
        kept.shipment(&ShipmentKey::new(later.id.as_str()))
            .await
            .unwrap()
            .is_some(),
        "what the replaced store held is still there"
    );
    drop((back, kept));

    std::fs::write(dir.path().join("notes.txt"), "not a database").unwrap();
    let message = backup::restore(&db, &dir.path().join("notes.txt"), now(), true)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("is not a backup this hub can restore"),
        "{message}"
    );
    let newer = dir.path().join("newer.db");
    std::fs::copy(&copy, &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let message = backup::restore(&db, &newer, now(), true)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("written by a newer tracklane"),
        "{message}"
    );
    let message = backup::restore(&db, &dir.path().join("none.db"), now(), true)
        .unwrap_err()
        .to_string();
    assert!(message.contains("there is no backup at"), "{message}");
    assert_eq!(
        SqliteStore::open(&path)
            .unwrap()
            .counts()
            .await
            .unwrap()
            .shipments,
        1,
        "a refused restore touches nothing"
    );
}
