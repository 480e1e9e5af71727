//! The PostgreSQL schema and its migrations, applied in order at open under an
//! advisory lock, so replicas starting together migrate once. `schema_version`
//! records how far a database has come.
//!
//! The columns and their stored forms are the SQLite backend's (times as
//! microseconds since the epoch, coded enums as their numbers, bodies as
//! JSON text), so the two backends read and write the same values. What
//! differs is the milestone log: PostgreSQL keeps one row per package with a
//! unique `(shipment_seq, package_seq, fingerprint)`, which drops a repeated
//! fact without reading anything first, and hash-partitions it by
//! `shipment_seq`, the column every read of it filters on, so that a read
//! goes to one partition. Each package row holds its tracking state (`track`,
//! JSON) so that a write touches only the packages it changes.

/// Migrations, oldest first. Never edit one that has shipped; append a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE warehouse (code TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE carrier (code TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE seller (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE api_key (key_hash TEXT PRIMARY KEY, principal TEXT NOT NULL);

CREATE TABLE shipment (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    confirmation_id TEXT NOT NULL UNIQUE,
    seller_id TEXT NOT NULL,
    name TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    marketplace INTEGER NOT NULL,
    shipping_mode INTEGER NOT NULL,
    freight_mode INTEGER NOT NULL,
    selected_carrier TEXT,
    window_start TEXT,
    window_end TEXT,
    window_source INTEGER,
    allows_window_automation BOOLEAN NOT NULL,
    is_cancelled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    -- projection, rewritten whenever a milestone or a tracking number changes it
    status INTEGER NOT NULL,
    latest_code INTEGER,
    latest_sub_code INTEGER,
    latest_at BIGINT,
    latest_fingerprint BIGINT,
    missing_tracking BOOLEAN NOT NULL,
    carriers TEXT NOT NULL,
    sku_count BIGINT NOT NULL,
    box_count BIGINT NOT NULL,
    units_expected BIGINT NOT NULL,
    units_received BIGINT NOT NULL,
    milestone_count BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    open_exceptions BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX shipment_by_seller ON shipment (seller_id, updated_at DESC, seq DESC);
CREATE INDEX shipment_by_update ON shipment (updated_at DESC, seq DESC);
CREATE INDEX shipment_missing_tracking ON shipment (seller_id, updated_at DESC, seq DESC) WHERE missing_tracking;

CREATE TABLE package (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL REFERENCES shipment (seq),
    box_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    -- the package's PackageTrack as JSON, folded from its milestones
    track TEXT NOT NULL
);
CREATE INDEX package_by_shipment ON package (shipment_seq, seq);

CREATE TABLE leg (
    package_seq BIGINT NOT NULL REFERENCES package (seq),
    shipment_seq BIGINT NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    mode INTEGER NOT NULL,
    source INTEGER NOT NULL,
    detected_by INTEGER NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (tracking_number, carrier, package_seq)
);
CREATE INDEX leg_by_package ON leg (package_seq);
CREATE INDEX leg_by_shipment ON leg (shipment_seq);
CREATE INDEX leg_by_carrier ON leg (carrier, shipment_seq);

CREATE TABLE milestone (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL,
    package_seq BIGINT NOT NULL,
    code INTEGER NOT NULL,
    sub_code INTEGER,
    raw_code TEXT,
    description TEXT,
    city TEXT,
    region TEXT,
    country_code TEXT,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    event_id TEXT,
    fingerprint BIGINT NOT NULL,
    UNIQUE (package_seq, fingerprint)
);
CREATE INDEX milestone_by_shipment ON milestone (shipment_seq, seq);

CREATE TABLE window_change (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_start TEXT,
    from_end TEXT,
    to_start TEXT NOT NULL,
    to_end TEXT NOT NULL,
    source INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX window_change_by_shipment ON window_change (shipment_seq, seq);

CREATE TABLE shipment_sku (
    sku TEXT NOT NULL,
    shipment_seq BIGINT NOT NULL,
    PRIMARY KEY (sku, shipment_seq)
);

CREATE TABLE estimate (
    shipment_seq BIGINT PRIMARY KEY,
    p10 BIGINT NOT NULL,
    p50 BIGINT NOT NULL,
    p90 BIGINT NOT NULL,
    basis TEXT NOT NULL,
    assessed_at BIGINT NOT NULL
);

CREATE TABLE exception (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    since BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    next_step_en TEXT NOT NULL,
    next_step_zh TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX exception_by_shipment ON exception (shipment_seq, resolved_at);
CREATE INDEX exception_open ON exception (opened_at DESC) WHERE resolved_at IS NULL;

CREATE TABLE reroute (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL,
    carrier TEXT NOT NULL,
    from_warehouse TEXT NOT NULL,
    to_warehouse TEXT NOT NULL,
    units BIGINT NOT NULL,
    stay_days DOUBLE PRECISION NOT NULL,
    move_days DOUBLE PRECISION NOT NULL,
    extra_km DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER NOT NULL,
    offered_at BIGINT NOT NULL,
    decided_at BIGINT,
    appointment TEXT
);
CREATE INDEX reroute_by_shipment ON reroute (shipment_seq, seq);
CREATE INDEX reroute_by_carrier ON reroute (carrier, status, seq);

CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE webhook (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_by_owner ON webhook (owner, seq);

CREATE TABLE webhook_delivery (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_seq BIGINT NOT NULL,
    kind INTEGER NOT NULL,
    shipment_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT,
    created_at BIGINT NOT NULL,
    state INTEGER NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at BIGINT
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE state = 0;
CREATE INDEX webhook_delivery_by_webhook ON webhook_delivery (webhook_seq, seq);
CREATE INDEX webhook_delivery_unsent ON webhook_delivery (webhook_seq, subject) WHERE state = 0 AND attempts = 0;

CREATE TABLE lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
"#,
    r#"
-- Finished deliveries are dropped a week after they finish, by these.
CREATE INDEX webhook_delivery_delivered ON webhook_delivery (delivered_at) WHERE state = 1;
CREATE INDEX webhook_delivery_failed ON webhook_delivery (created_at) WHERE state = 2;
"#,
    r#"
-- A subscription whose receiver kept failing is switched off.
ALTER TABLE webhook ADD COLUMN disabled_at BIGINT;
ALTER TABLE webhook ADD COLUMN disabled_reason TEXT;
"#,
    r#"
-- The milestone log, hash-partitioned by shipment. Every read of it is one
-- shipment's (`WHERE shipment_seq = $1 ORDER BY seq`), so PostgreSQL reads one
-- partition for it; and `shipment_seq` is the column Citus would distribute the
-- log by, next to the shipment and its packages.
--
-- A partitioned table's unique keys must hold its partition key. The dedupe
-- key becomes (shipment_seq, package_seq, fingerprint): it admits the same
-- rows as (package_seq, fingerprint) did, since a package is on exactly one
-- shipment. The primary key becomes (shipment_seq, seq); it also serves the
-- read above, which milestone_by_shipment (shipment_seq, seq) served before.
--
-- 16 partitions: a power of two, so that each can later be split in two
-- (PostgreSQL wants each hash modulus in use to divide the next larger one),
-- and enough that a partition's indexes and vacuums deal with a sixteenth of
-- the log. A partition's modulus is fixed once it exists. To grow, a later
-- migration splits them: detach milestone_pNN (remainder r of 16), create the
-- partitions for remainders r and r + 16 of 32, and insert the detached rows
-- back through `milestone` with OVERRIDING SYSTEM VALUE.
--
-- The rows move over with their seq values, and the identity then goes on
-- after the largest. This runs in the migration's transaction: writers wait
-- for it, for a time that grows with the log. A replica still running an
-- earlier tracklane cannot append afterwards (its ON CONFLICT names the old
-- key, which no index matches), so replicas are upgraded together.
ALTER TABLE milestone RENAME TO milestone_unpartitioned;
-- Frees the name the new table's identity takes.
ALTER SEQUENCE milestone_seq_seq RENAME TO milestone_unpartitioned_seq_seq;

CREATE TABLE milestone (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    shipment_seq BIGINT NOT NULL,
    package_seq BIGINT NOT NULL,
    code INTEGER NOT NULL,
    sub_code INTEGER,
    raw_code TEXT,
    description TEXT,
    city TEXT,
    region TEXT,
    country_code TEXT,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    event_id TEXT,
    fingerprint BIGINT NOT NULL
) PARTITION BY HASH (shipment_seq);

-- milestone_p00 … milestone_p15. The count is named here rather than in Rust:
-- changing it must not change a migration that has run somewhere.
DO $$
DECLARE
    partition_count CONSTANT INTEGER := 16;
BEGIN
    FOR remainder IN 0 .. partition_count - 1 LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF milestone FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
            'milestone_p' || lpad(remainder::TEXT, 2, '0'), partition_count, remainder);
    END LOOP;
END
$$;

INSERT INTO milestone (seq, shipment_seq, package_seq, code, sub_code, raw_code, description,
        city, region, country_code, occurred_at, received_at, carrier, tracking_number,
        event_id, fingerprint)
    OVERRIDING SYSTEM VALUE
    SELECT seq, shipment_seq, package_seq, code, sub_code, raw_code, description,
        city, region, country_code, occurred_at, received_at, carrier, tracking_number,
        event_id, fingerprint
    FROM milestone_unpartitioned;
DROP TABLE milestone_unpartitioned;

-- Added once the rows are in, and after the old table is gone: its index
-- names are free, and each index is built once rather than row by row.
ALTER TABLE milestone
    ADD PRIMARY KEY (shipment_seq, seq),
    ADD UNIQUE (shipment_seq, package_seq, fingerprint);
SELECT setval(pg_get_serial_sequence('milestone', 'seq'), max(seq))
    FROM milestone HAVING count(*) > 0;
"#,
    r#"
-- The listing's "open exception of this kind" filter and the start page's
-- counts of what needs attention read the open exceptions by kind, and a
-- seller's by seller: the shipment's seller is kept on its exceptions, so
-- counting them reads an index and no shipment rows.
ALTER TABLE exception ADD COLUMN seller_id TEXT;
UPDATE exception SET seller_id = (SELECT seller_id FROM shipment WHERE shipment.seq = exception.shipment_seq);
CREATE INDEX exception_open_by_kind ON exception (kind, shipment_seq) WHERE resolved_at IS NULL;
CREATE INDEX exception_open_by_seller ON exception (seller_id, kind, shipment_seq) WHERE resolved_at IS NULL;
"#,
    r#"
-- Warehouse receipts: when the warehouse checked a shipment in and closed
-- receiving, and an audit of every count it reported.
ALTER TABLE shipment ADD COLUMN checked_in_at BIGINT;
ALTER TABLE shipment ADD COLUMN receiving_closed_at BIGINT;
CREATE TABLE receipt (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    changes TEXT NOT NULL,
    closes BOOLEAN NOT NULL
);
CREATE INDEX receipt_by_shipment ON receipt (shipment_seq, seq);
"#,
    r#"
-- The listing's "arriving soonest" sort walks a seller's shipments by
-- arrival_order (see arrival.rs): the estimate's p50, else the window's
-- first day at 00:00 UTC, in microseconds; 9223372036854775806 when neither
-- is known; 9223372036854775807 once finished (status DELIVERED = 4 or later).
-- Engine passes, window changes and a shipment's finishing write it.
ALTER TABLE shipment ADD COLUMN arrival_order BIGINT NOT NULL DEFAULT 9223372036854775806;
UPDATE shipment SET arrival_order = CASE WHEN status >= 4 THEN 9223372036854775807
        ELSE COALESCE((SELECT p50 FROM estimate WHERE estimate.shipment_seq = shipment.seq),
                      EXTRACT(EPOCH FROM window_start::DATE)::BIGINT * 1000000, 9223372036854775806) END
    WHERE status >= 4 OR window_start IS NOT NULL OR seq IN (SELECT shipment_seq FROM estimate);
CREATE INDEX shipment_by_arrival ON shipment (seller_id, arrival_order, seq);
"#,
    r#"
-- A shipment whose receiving closed short waits for its seller to ask the
-- marketplace for a reconciliation: when that was recorded and by whom. The
-- listing's "received short" filter and the start page's count read the
-- partial index (its predicate is filter.rs's RECEIVED_SHORT).
ALTER TABLE shipment ADD COLUMN reconciliation_requested_at BIGINT;
ALTER TABLE shipment ADD COLUMN reconciliation_requested_by TEXT;
CREATE INDEX shipment_received_short ON shipment (seller_id, updated_at DESC, seq DESC)
    WHERE receiving_closed_at IS NOT NULL AND units_received < units_expected AND reconciliation_requested_at IS NULL;
"#,
];

/// PostgreSQL's spelling of [`crate::arrival::window_start_us`] over the
/// column `window_start` (`YYYY-MM-DD`, or NULL).
pub(crate) const WINDOW_START_US: &str =
    "(EXTRACT(EPOCH FROM window_start::DATE)::BIGINT * 1000000)";

/// The advisory lock key migrations run under.
pub(crate) const MIGRATION_LOCK: i64 = 0x7472_6163_6b6c_616e; // "tracklan"

/// Applies the migrations `client` has not seen yet.
pub(crate) async fn migrate(
    client: &mut tokio_postgres::Client,
) -> Result<(), tokio_postgres::Error> {
    apply(client, MIGRATIONS).await
}

/// Applies those of `migrations`, the first of [`MIGRATIONS`], that `client`
/// has not seen yet. Tests stop short of the last to build an older database.
async fn apply(
    client: &mut tokio_postgres::Client,
    migrations: &[&str],
) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await?;
    let applied: i64 = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .await?
        .map_or(0, |r| r.get(0));
    for (number, sql) in migrations
        .iter()
        .enumerate()
        .skip(usize::try_from(applied).unwrap_or(0))
    {
        tx.batch_execute(sql).await?;
        tx.execute("DELETE FROM schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(number as i64 + 1)],
        )
        .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::write::INSERT_MILESTONES;

    /// The PostgreSQL server the hub's suite runs against, when set (see
    /// `scripts/postgres`). Without it there is no server, and these tests
    /// have nothing to check.
    const POSTGRES_ENV: &str = "TRACKLANE_TEST_POSTGRES";

    /// A new, empty database `name` on the test server, over a plain
    /// connection, or `None` when no server is set.
    async fn fresh_database(name: &str) -> Option<tokio_postgres::Client> {
        let server = std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())?;
        // The URL's TLS parameters are the store's to read; a plain
        // connection suffices here.
        let server = server.split('?').next().unwrap_or(&server);
        let admin = connect(server).await;
        // One statement a call: several in one run as a transaction, and
        // these two cannot.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).await.unwrap();
        }
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        Some(connect(&format!("{base}/{name}")).await)
    }

    async fn connect(url: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        tokio::spawn(connection);
        client
    }

    /// Every milestone row, in full, in `seq` order.
    async fn milestone_rows(client: &tokio_postgres::Client) -> Vec<String> {
        client
            .query("SELECT m::TEXT FROM milestone m ORDER BY seq", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Migration 4 partitions a milestone log that has rows: they keep their
    /// `seq`, a new row gets a larger one, and a repeated fact is still
    /// dropped.
    #[tokio::test]
    async fn partitioning_keeps_a_populated_milestone_log() {
        let name = format!("tracklane_test_store_partitioning_{}", std::process::id());
        let Some(mut client) = fresh_database(&name).await else {
            return;
        };
        apply(&mut client, &MIGRATIONS[..3]).await.unwrap();
        // Three facts for each of two packages of each of 40 shipments, so
        // that the rows fall in most partitions; then one fact again, which
        // takes a number from the identity without storing a row.
        client
            .batch_execute(
                "INSERT INTO milestone (shipment_seq, package_seq, code, occurred_at, received_at,
                     carrier, tracking_number, fingerprint)
                 SELECT s, s * 10 + p, 3, f * 1000, 5000, 'CARRIER_X', '1Z' || s, s * 100 + p * 10 + f
                 FROM generate_series(1, 40) s, generate_series(1, 2) p, generate_series(1, 3) f;
                 INSERT INTO milestone (shipment_seq, package_seq, code, occurred_at, received_at,
                     carrier, tracking_number, fingerprint)
                 VALUES (7, 71, 3, 1000, 6000, 'CARRIER_X', '1Z7', 711)
                 ON CONFLICT (package_seq, fingerprint) DO NOTHING",
            )
            .await
            .unwrap();
        let before = milestone_rows(&client).await;
        assert_eq!(before.len(), 240);

        migrate(&mut client).await.unwrap();

        let version: i64 = client
            .query_one("SELECT version FROM schema_version", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert_eq!(milestone_rows(&client).await, before);
        let shape = client
            .query_one(
                "SELECT (SELECT count(*) FROM pg_inherits WHERE inhparent = 'milestone'::regclass),
                        (SELECT count(DISTINCT tableoid) FROM milestone),
                        (SELECT max(seq) FROM milestone)",
                &[],
            )
            .await
            .unwrap();
        let (partitions, partitions_used, seq_max): (i64, i64, i64) =
            (shape.get(0), shape.get(1), shape.get(2));
        assert_eq!(partitions, 16);
        assert!(
            partitions_used > 1,
            "all rows in {partitions_used} partition"
        );

        // A stored fact again, and a new one, through the store's own insert.
        let stored = client
            .query(
                INSERT_MILESTONES,
                &[
                    &vec![71_i64, 71],
                    &vec![7_i64, 7],
                    &vec![3_i32, 3],
                    &vec![None::<i32>, None],
                    &vec![None::<&str>, None],
                    &vec![None::<&str>, None],
                    &vec![None::<&str>, None],
                    &vec![None::<&str>, None],
                    &vec![None::<&str>, None],
                    &vec![1000_i64, 9000],
                    &7000_i64,
                    &"CARRIER_X",
                    &vec!["1Z7", "1Z7"],
                    &vec![None::<&str>, None],
                    &vec![711_i64, 719],
                ],
            )
            .await
            .unwrap();
        let stored: Vec<(i64, i64)> = stored.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_eq!(stored, [(71, 719)], "only the new fact is stored");
        let new_seq: i64 = client
            .query_one(
                "SELECT seq FROM milestone WHERE package_seq = 71 AND fingerprint = 719",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(new_seq > seq_max, "{new_seq} after {seq_max}");
    }
}
