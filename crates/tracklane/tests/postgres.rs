//! What only the PostgreSQL backend does: connect over TLS, when the URL
//! asks, only to a server whose certificate the URL's authority signed (the
//! suite's PostgreSQL run connects with `sslmode=verify-full`, see
//! scripts/postgres); and run a write again when the server aborts it to
//! break a deadlock. On the SQLite run there is no server, and these tests
//! have nothing to check.

use std::time::Duration;

use tracklane_store::postgres::PgStore;

use crate::support::tls::TestCa;
use crate::support::{TestDb, TestHub, UPS, milestone, on_postgres, shipment};

#[tokio::test]
async fn the_store_speaks_tls_and_refuses_a_certificate_its_authority_did_not_sign() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let TestDb::Postgres(url) = TestDb::fresh(dir.path()).await else {
        unreachable!("on PostgreSQL")
    };
    assert!(
        url.contains("sslmode=verify-full") && url.contains("sslrootcert="),
        "the suite's server is reached over TLS: {url}"
    );
    let store = PgStore::connect(&url).await.unwrap();
    let version = store.tls_version().await.unwrap();
    assert!(
        version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
        "{version:?}"
    );

    // Another authority than the one that signed the server's certificate.
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, TestCa::new().pem()).unwrap();
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with("sslrootcert="))
        .collect();
    let wrong = format!(
        "{base}?{}&sslrootcert={}",
        query.join("&"),
        other.to_str().unwrap()
    );
    let Err(refused) = PgStore::connect(&wrong).await else {
        panic!("a server certificate from another authority was accepted")
    };
    let chain = anyhow::Error::from(refused);
    let chain = format!("{chain:#}");
    assert!(chain.contains("invalid peer certificate"), "{chain}");

    // Without TLS the same server still answers, unencrypted.
    let plain = PgStore::connect(base).await.unwrap();
    assert_eq!(plain.tls_version().await.unwrap(), None);
}

#[tokio::test]
async fn a_write_aborted_to_break_a_deadlock_is_run_again() {
    if !on_postgres() {
        return;
    }
    let hub = TestHub::start().await;
    let mut shipments = Vec::new();
    for (n, number) in [(1, UPS[0]), (2, UPS[1])] {
        let s = hub
            .create(shipment(n, "A1SELLERA", Some("CARRIER_X"), 1))
            .await;
        hub.upload(&hub.carrier_x, &s, &[number]).await;
        shipments.push(s);
    }
    let TestDb::Postgres(url) = &hub.db else {
        unreachable!("on PostgreSQL")
    };
    let plain = url.split('?').next().unwrap();
    let (other, connection) = tokio_postgres::connect(plain, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // Another session holds the second shipment's row.
    other.batch_execute("BEGIN").await.unwrap();
    let lock = "SELECT 1 FROM shipment WHERE id = $1 FOR UPDATE";
    other
        .execute(lock, &[&shipments[1].id.as_str()])
        .await
        .unwrap();

    // The push locks both shipments in order: it takes the first and waits
    // for the second. Once it waits, the other session asks for the first:
    // a deadlock, which the push (waiting longer) is aborted to break.
    let push = hub.push(
        &hub.carrier_x,
        vec![
            milestone(UPS[0], "PICKED_UP", "2026-03-08T02:00:00Z"),
            milestone(UPS[1], "PICKED_UP", "2026-03-08T03:00:00Z"),
        ],
    );
    let other_side = async {
        loop {
            let waiting: i64 = other
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = other.execute(lock, &[&shipments[0].id.as_str()]).await;
        other.batch_execute("COMMIT").await.unwrap();
        got
    };
    let (pushed, got) = tokio::join!(push, other_side);
    assert!(
        got.is_ok(),
        "the other session was not the one aborted: {got:?}"
    );
    assert_eq!(pushed["accepted"], 2, "run again after the abort: {pushed}");
}
