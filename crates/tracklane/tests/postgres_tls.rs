//! The PostgreSQL backend's connection: encrypted when the URL asks, and only
//! to a server whose certificate the URL's authority signed. The suite's
//! PostgreSQL run connects with `sslmode=verify-full` (scripts/postgres); on
//! the SQLite run there is no server, and these tests have nothing to check.

use tracklane_store::postgres::PgStore;

use crate::support::tls::TestCa;
use crate::support::{TestDb, on_postgres};

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
