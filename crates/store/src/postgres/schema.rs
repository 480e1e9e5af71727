//! The PostgreSQL schema and its migrations, applied in order at open under an
//! advisory lock, so replicas starting together migrate once. `schema_version`
//! records how far a database has come.
//!
//! The columns and their stored forms are the SQLite backend's (times as
//! microseconds since the epoch, coded enums as their numbers, bodies as
//! JSON text), so the two backends read and write the same values. What
//! differs is the milestone log: PostgreSQL keeps one row per package with a
//! unique `(package_seq, fingerprint)`, which drops a repeated fact without
//! reading anything first, and each package row holds its tracking state
//! (`track`, JSON) so that a write touches only the packages it changes.

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
];

/// The advisory lock key migrations run under.
pub(crate) const MIGRATION_LOCK: i64 = 0x7472_6163_6b6c_616e; // "tracklan"

/// Applies the migrations `client` has not seen yet.
pub(crate) async fn migrate(
    client: &mut tokio_postgres::Client,
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
    for (number, sql) in MIGRATIONS
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
