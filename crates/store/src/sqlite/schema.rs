//! The SQLite schema and its migrations, applied in order at open. Each
//! migration runs once; `PRAGMA user_version` records how far a file has come.
//!
//! The milestone table is an append-only log with no secondary index: every index
//! on a random key (package, fingerprint) turns one appended row into a random
//! page write, which costs several times the insert itself. Instead each
//! milestone row points at the previous milestone of its shipment (`prev_seq`)
//! and the shipment row holds the newest (`head_milestone`), so a shipment's
//! history is a walk down that chain. Packages' tracking state and dedup
//! fingerprints are folded from the chain when a shipment is loaded; per batch
//! only the shipment rows, which the listing needs anyway, are rewritten. A
//! milestone of a number several packages share is one row that names them all
//! (`also_packages`), not one row per box.

use rusqlite::Connection;

/// Migrations, oldest first. Never edit one that has shipped; append a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE warehouse (
    code TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE carrier (
    code TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE seller (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_key (
    key_hash TEXT PRIMARY KEY,
    principal TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE shipment (
    seq INTEGER PRIMARY KEY,
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
    allows_window_automation INTEGER NOT NULL,
    is_cancelled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    -- projection, rewritten whenever a milestone or a tracking number changes it
    status INTEGER NOT NULL,
    latest_code INTEGER,
    latest_sub_code INTEGER,
    latest_at INTEGER,
    latest_fingerprint INTEGER,
    missing_tracking INTEGER NOT NULL,
    carriers TEXT NOT NULL,
    sku_count INTEGER NOT NULL,
    box_count INTEGER NOT NULL,
    units_expected INTEGER NOT NULL,
    units_received INTEGER NOT NULL,
    head_milestone INTEGER,
    milestone_count INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX shipment_by_seller ON shipment (seller_id, updated_at DESC, seq DESC);
CREATE INDEX shipment_missing_tracking ON shipment (seller_id, updated_at DESC, seq DESC) WHERE missing_tracking = 1;
-- Every index holding updated_at moves on every projection update, so there
-- are only these two: status, warehouse and carrier filters walk a seller's
-- index, and the operator's all-sellers listing sorts.

CREATE TABLE package (
    seq INTEGER PRIMARY KEY,
    shipment_seq INTEGER NOT NULL REFERENCES shipment (seq),
    box_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE INDEX package_by_shipment ON package (shipment_seq);

CREATE TABLE leg (
    package_seq INTEGER NOT NULL REFERENCES package (seq),
    shipment_seq INTEGER NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    mode INTEGER NOT NULL,
    source INTEGER NOT NULL,
    detected_by INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (tracking_number, carrier, package_seq)
) WITHOUT ROWID;
CREATE INDEX leg_by_package ON leg (package_seq);
CREATE INDEX leg_by_carrier ON leg (carrier, shipment_seq);

CREATE TABLE milestone (
    seq INTEGER PRIMARY KEY,
    package_seq INTEGER NOT NULL,
    prev_seq INTEGER,
    code INTEGER NOT NULL,
    sub_code INTEGER,
    raw_code TEXT,
    description TEXT,
    city TEXT,
    region TEXT,
    country_code TEXT,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    event_id TEXT,
    fingerprint INTEGER NOT NULL
);

CREATE TABLE window_change (
    seq INTEGER PRIMARY KEY,
    shipment_seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    from_start TEXT,
    from_end TEXT,
    to_start TEXT NOT NULL,
    to_end TEXT NOT NULL,
    source INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX window_change_by_shipment ON window_change (shipment_seq, seq);
"#,
    r#"
-- The engine's results. None of these touch shipment.updated_at.
ALTER TABLE shipment ADD COLUMN open_exceptions INTEGER NOT NULL DEFAULT 0;

CREATE TABLE estimate (
    shipment_seq INTEGER PRIMARY KEY,
    p10 INTEGER NOT NULL,
    p50 INTEGER NOT NULL,
    p90 INTEGER NOT NULL,
    basis TEXT NOT NULL,
    assessed_at INTEGER NOT NULL
);

CREATE TABLE exception (
    seq INTEGER PRIMARY KEY,
    shipment_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    since INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    next_step_en TEXT NOT NULL,
    next_step_zh TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX exception_by_shipment ON exception (shipment_seq, resolved_at);
CREATE INDEX exception_open ON exception (opened_at DESC) WHERE resolved_at IS NULL;

CREATE TABLE reroute (
    seq INTEGER PRIMARY KEY,
    shipment_seq INTEGER NOT NULL,
    carrier TEXT NOT NULL,
    from_warehouse TEXT NOT NULL,
    to_warehouse TEXT NOT NULL,
    units INTEGER NOT NULL,
    stay_days REAL NOT NULL,
    move_days REAL NOT NULL,
    extra_km REAL NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER NOT NULL,
    offered_at INTEGER NOT NULL,
    decided_at INTEGER,
    appointment TEXT
);
CREATE INDEX reroute_by_shipment ON reroute (shipment_seq, seq);
CREATE INDEX reroute_by_carrier ON reroute (carrier, status, seq);

-- Web sessions: the cookie carries a random token; only its hash is stored,
-- as for API keys. Each session has its own CSRF token for form posts.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Which shipments hold a SKU, so the listing's free-text search can find a
-- shipment by SKU through an index rather than by reading every package body.
CREATE TABLE shipment_sku (
    sku TEXT NOT NULL,
    shipment_seq INTEGER NOT NULL,
    PRIMARY KEY (sku, shipment_seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO shipment_sku (sku, shipment_seq)
    SELECT json_extract(item.value, '$.sku'), package.shipment_seq
    FROM package, json_each(package.body, '$.items') AS item;
"#,
    r#"
-- A milestone of a number that several packages share (an LTL or FTL PRO
-- number covers every box) is stored once: `package_seq` is the first package
-- it is new to, `also_packages` the others, as space-separated sequences.
ALTER TABLE milestone ADD COLUMN also_packages TEXT;
"#,
    r#"
-- Webhook subscriptions. `owner` is the principal as JSON, `events` the wire
-- names of the kinds it wants, space-separated.
CREATE TABLE webhook (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX webhook_by_owner ON webhook (owner, seq);

-- The outbox: one row per event and subscription, written in the transaction
-- of the change it tells of. `state` 0 pending, 1 delivered, 2 failed.
CREATE TABLE webhook_delivery (
    seq INTEGER PRIMARY KEY,
    webhook_seq INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    shipment_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT,
    created_at INTEGER NOT NULL,
    state INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE state = 0;
CREATE INDEX webhook_delivery_by_webhook ON webhook_delivery (webhook_seq, seq);
CREATE INDEX webhook_delivery_unsent ON webhook_delivery (webhook_seq, subject) WHERE state = 0 AND attempts = 0;
CREATE INDEX webhook_delivery_delivered ON webhook_delivery (delivered_at) WHERE state = 1;
"#,
    r#"
-- Leases on background work (engine passes, polling), for processes that
-- share the file: see Store::lease.
CREATE TABLE lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    r#"
-- Failed deliveries are dropped a week after their last attempt, by this.
CREATE INDEX webhook_delivery_failed ON webhook_delivery (created_at) WHERE state = 2;
"#,
    r#"
-- A subscription whose receiver kept failing is switched off.
ALTER TABLE webhook ADD COLUMN disabled_at INTEGER;
ALTER TABLE webhook ADD COLUMN disabled_reason TEXT;
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
ALTER TABLE shipment ADD COLUMN checked_in_at INTEGER;
ALTER TABLE shipment ADD COLUMN receiving_closed_at INTEGER;
CREATE TABLE receipt (
    seq INTEGER PRIMARY KEY,
    shipment_seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    changes TEXT NOT NULL,
    closes INTEGER NOT NULL
);
CREATE INDEX receipt_by_shipment ON receipt (shipment_seq, seq);
"#,
    r#"
-- The listing's "arriving soonest" sort walks a seller's shipments by
-- arrival_order (see arrival.rs): the estimate's p50, else the window's
-- first day at 00:00 UTC, in microseconds; 9223372036854775806 when neither
-- is known; 9223372036854775807 once finished (status DELIVERED = 4 or later).
-- Engine passes, window changes and a shipment's finishing write it; the
-- projection's updates of every milestone do not name it, so SQLite leaves
-- this index alone on them.
--
-- Ties (a week's windows, every shipment with no arrival known) are broken
-- by seq. SQLite seeks a cursor's (arrival_order, seq) > (?, ?) only over
-- index columns, and seq is the rowid, which it then reads past row by row:
-- a page deep into 100 000 tied shipments read them all. arrival_seq is seq
-- again as a virtual column, which an index holds as a column of its own.
ALTER TABLE shipment ADD COLUMN arrival_order INTEGER NOT NULL DEFAULT 9223372036854775806;
ALTER TABLE shipment ADD COLUMN arrival_seq INTEGER GENERATED ALWAYS AS (seq) VIRTUAL;
UPDATE shipment SET arrival_order = CASE WHEN status >= 4 THEN 9223372036854775807
        ELSE COALESCE((SELECT p50 FROM estimate WHERE estimate.shipment_seq = shipment.seq),
                      strftime('%s', window_start) * 1000000, 9223372036854775806) END
    WHERE status >= 4 OR window_start IS NOT NULL OR seq IN (SELECT shipment_seq FROM estimate);
CREATE INDEX shipment_by_arrival ON shipment (seller_id, arrival_order, arrival_seq);
"#,
    r#"
-- A shipment whose receiving closed short waits for its seller to ask the
-- marketplace for a reconciliation: when that was recorded and by whom. The
-- listing's "received short" filter and the start page's count read the
-- partial index (its predicate is filter.rs's RECEIVED_SHORT).
ALTER TABLE shipment ADD COLUMN reconciliation_requested_at INTEGER;
ALTER TABLE shipment ADD COLUMN reconciliation_requested_by TEXT;
CREATE INDEX shipment_received_short ON shipment (seller_id, updated_at DESC, seq DESC)
    WHERE receiving_closed_at IS NOT NULL AND units_received < units_expected AND reconciliation_requested_at IS NULL;
"#,
];

/// The column the arrival order's ties are broken by: `seq`, copied into a
/// column an index can seek by (see the migration that adds it).
pub(crate) const ARRIVAL_TIE_BREAK: &str = "arrival_seq";

/// SQLite's spelling of [`crate::arrival::window_start_us`] over the column
/// `window_start` (`YYYY-MM-DD`, or NULL).
pub(crate) const WINDOW_START_US: &str = "(strftime('%s', window_start) * 1000000)";

/// Settings for every connection: WAL so readers never block the writer, full
/// sync so a commit is on disk before a caller is told it happened (invariant 1),
/// and a 64 MiB page cache. A bigger cache makes commits slower, not faster:
/// a B-tree split parks a page at a scratch number past the end of any file
/// under 1 GiB, and the commit after it then walks the whole cache to drop
/// pages past the end (at 100 000 simulated shipments a 512 MiB cache cost
/// about a tenth of the run). The WAL is copied back into the database every
/// 65 536 pages (256 MiB) rather than SQLite's default 1 000: the shipment rows
/// and index pages a busy hub rewrites many times between two checkpoints are
/// copied once (a 30 000-shipment replay ran in 0.93 of the time it took with
/// 8 192). The price is a WAL file of up to that size next to the database.
pub(crate) const CONNECTION_PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA wal_autocheckpoint = 65536;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = OFF;
PRAGMA busy_timeout = 5000;
PRAGMA cache_size = -65536;
PRAGMA mmap_size = 4294967296;
PRAGMA temp_store = MEMORY;
";

/// Applies the migrations `conn` has not seen yet.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(0);
    for (number, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (number + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the first `count` migrations, as an older tracklane left them.
    fn migrated_to(conn: &mut Connection, count: usize) {
        for (number, sql) in MIGRATIONS.iter().enumerate().take(count) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (number + 1) as i64)
                .unwrap();
        }
    }

    #[test]
    fn exceptions_recorded_before_the_seller_was_kept_on_them_get_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        let with_seller = MIGRATIONS
            .iter()
            .position(|m| m.contains("exception_open_by_seller"))
            .unwrap();
        migrated_to(&mut conn, with_seller);
        conn.execute_batch(
            "INSERT INTO shipment (seq, id, confirmation_id, seller_id, name, warehouse, marketplace,
                 shipping_mode, freight_mode, allows_window_automation, is_cancelled, created_at, body,
                 status, missing_tracking, carriers, sku_count, box_count, units_expected,
                 units_received, updated_at)
             VALUES (7, 'sh7', 'FBA7', 'A1SELLERA', 'n', 'TEB9', 0, 0, 0, 1, 0, 0, '{}', 0, 0, '', 1, 1, 1, 0, 0);
             INSERT INTO exception (shipment_seq, kind, severity, since, evidence, next_step_en,
                 next_step_zh, opened_at)
             VALUES (7, 'customs_hold', 'high', 0, '', '', '', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let seller: String = conn
            .query_row(
                "SELECT seller_id FROM exception WHERE shipment_seq = 7",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(seller, "A1SELLERA");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    /// Shipments stored before there was an arrival order get theirs: the
    /// estimate's p50, else the window's first day, else unknown; finished
    /// ones last. SQLite's reading of a window's first day is the store's.
    #[test]
    fn shipments_stored_before_the_arrival_order_get_it() {
        use crate::arrival::{ARRIVAL_FINISHED, ARRIVAL_UNKNOWN, window_start_us};
        let mut conn = Connection::open_in_memory().unwrap();
        let with_arrival = MIGRATIONS
            .iter()
            .position(|m| m.contains("shipment_by_arrival"))
            .unwrap();
        migrated_to(&mut conn, with_arrival);
        // seq 1: window only; 2: window and estimate; 3: delivered, with an
        // estimate; 4: neither.
        for (seq, window, status) in [
            (1, "'2026-03-22'", 3),
            (2, "'2026-03-22'", 3),
            (3, "NULL", 4),
            (4, "NULL", 0),
        ] {
            conn.execute_batch(&format!(
                "INSERT INTO shipment (seq, id, confirmation_id, seller_id, name, warehouse, marketplace,
                     shipping_mode, freight_mode, window_start, allows_window_automation, is_cancelled,
                     created_at, body, status, missing_tracking, carriers, sku_count, box_count,
                     units_expected, units_received, updated_at)
                 VALUES ({seq}, 'sh{seq}', 'FBA{seq}', 'A1SELLERA', 'n', 'TEB9', 0, 0, 0, {window}, 1, 0,
                     0, '{{}}', {status}, 0, '', 1, 1, 1, 0, 0)"
            ))
            .unwrap();
        }
        for seq in [2, 3] {
            conn.execute_batch(&format!(
                "INSERT INTO estimate (shipment_seq, p10, p50, p90, basis, assessed_at)
                 VALUES ({seq}, 1, 1000{seq}, 3, 'b', 0)"
            ))
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let orders: Vec<i64> = conn
            .prepare("SELECT arrival_order FROM shipment ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let window = tracklane_core::DeliveryWindow::week_of("2026-03-22".parse().unwrap());
        assert_eq!(
            orders,
            [
                window_start_us(window),
                10002,
                ARRIVAL_FINISHED,
                ARRIVAL_UNKNOWN
            ]
        );
        for day in ["1970-01-01", "2026-02-28", "2031-12-31"] {
            let sqlite: i64 = conn
                .query_row(
                    &format!("SELECT {WINDOW_START_US} FROM (SELECT ?1 AS window_start)"),
                    [day],
                    |r| r.get(0),
                )
                .unwrap();
            let window = tracklane_core::DeliveryWindow {
                start_date: day.parse().unwrap(),
                end_date: day.parse().unwrap(),
            };
            assert_eq!(sqlite, window_start_us(window), "{day}");
        }
    }
}
