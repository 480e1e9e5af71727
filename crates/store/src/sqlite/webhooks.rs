//! Webhook subscriptions and their outbox in SQLite.
//!
//! The writer keeps the subscriptions in its cache: a hub without any (every
//! replay and benchmark) pays one check per change, and one with some reads
//! who may see a shipment only for the kinds someone wants.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::rows::{self, from_json, to_json, unavailable};
use super::writer::Writer;
use crate::{
    Attempt, Delivery, DeliveryState, EventKind, Principal, StoreError, StoreResult, Webhook,
};

const WEBHOOK_COLUMNS: &str = "w.seq, w.id, w.owner, w.url, w.events, w.secret, w.created_at";

type WebhookRow = (i64, String, String, String, String, String, i64);

fn webhook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn into_webhook(row: WebhookRow) -> StoreResult<(i64, Webhook)> {
    let (seq, id, owner, url, events, secret, created) = row;
    let events = events
        .split_ascii_whitespace()
        .map(|e| {
            EventKind::parse(e)
                .ok_or_else(|| StoreError::Corrupt(format!("event kind `{e}` of webhook {id}")))
        })
        .collect::<StoreResult<_>>()?;
    Ok((
        seq,
        Webhook {
            id,
            owner: from_json(&owner)?,
            url,
            events,
            secret,
            created_at: rows::timestamp(created)?,
        },
    ))
}

fn select_webhooks(
    conn: &Connection,
    clause: &str,
    values: impl rusqlite::Params,
) -> StoreResult<Vec<(i64, Webhook)>> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhook w {clause} ORDER BY w.seq");
    let found: Vec<WebhookRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map(values, webhook_row)?.collect())
        .map_err(unavailable("reading webhooks"))?;
    found.into_iter().map(into_webhook).collect()
}

/// The subscriptions of `owner`.
pub(crate) fn webhooks(conn: &Connection, owner: &Principal) -> StoreResult<Vec<Webhook>> {
    let owner = to_json(owner)?;
    Ok(select_webhooks(conn, "WHERE w.owner = ?1", [owner])?
        .into_iter()
        .map(|(_, w)| w)
        .collect())
}

/// The row number of subscription `id` of `owner`.
fn owned_seq(conn: &Connection, owner: &Principal, id: &str) -> StoreResult<i64> {
    let owner = to_json(owner)?;
    conn.prepare_cached("SELECT seq FROM webhook WHERE id = ?1 AND owner = ?2")
        .and_then(|mut s| s.query_row(params![id, owner], |r| r.get(0)).optional())
        .map_err(unavailable("finding a webhook"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "webhook",
            key: id.to_owned(),
        })
}

pub(crate) fn put_webhook(w: &mut Writer, webhook: &Webhook) -> StoreResult<()> {
    let events: Vec<&str> = webhook.events.iter().map(|e| e.as_str()).collect();
    let owner = to_json(&webhook.owner)?;
    let inserted = w
        .conn
        .prepare_cached(
            "INSERT OR IGNORE INTO webhook (id, owner, url, events, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                webhook.id,
                owner,
                webhook.url,
                events.join(" "),
                webhook.secret,
                webhook.created_at.as_microsecond()
            ])
        })
        .map_err(unavailable("storing a webhook"))?;
    if inserted == 0 {
        return Err(StoreError::Conflict {
            what: "webhook",
            key: webhook.id.clone(),
        });
    }
    w.cache.webhooks = None;
    Ok(())
}

pub(crate) fn delete_webhook(w: &mut Writer, owner: &Principal, id: &str) -> StoreResult<()> {
    let seq = owned_seq(&w.conn, owner, id)?;
    w.conn
        .execute("DELETE FROM webhook_delivery WHERE webhook_seq = ?1", [seq])
        .and_then(|_| w.conn.execute("DELETE FROM webhook WHERE seq = ?1", [seq]))
        .map_err(unavailable("deleting a webhook"))?;
    w.cache.webhooks = None;
    Ok(())
}

const DELIVERY_COLUMNS: &str = "d.seq, w.id, d.kind, d.shipment_id, d.subject, d.payload, d.created_at, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.delivered_at";

type DeliveryRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    i64,
    i64,
    u32,
    Option<i64>,
    Option<u16>,
    Option<String>,
    Option<i64>,
);

fn delivery_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<DeliveryRow> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
        r.get(at + 6)?,
        r.get(at + 7)?,
        r.get(at + 8)?,
        r.get(at + 9)?,
        r.get(at + 10)?,
        r.get(at + 11)?,
        r.get(at + 12)?,
    ))
}

fn into_delivery(row: DeliveryRow) -> StoreResult<Delivery> {
    let (
        seq,
        webhook_id,
        kind,
        shipment_id,
        subject,
        payload,
        created,
        state,
        attempts,
        next,
        status,
        error,
        delivered,
    ) = row;
    Ok(Delivery {
        id: seq,
        webhook_id,
        kind: rows::coded(kind, EventKind::from_number, "event kind")?,
        shipment_id,
        subject,
        payload: payload
            .as_deref()
            .map(from_json)
            .transpose()?
            .unwrap_or(Value::Null),
        created_at: rows::timestamp(created)?,
        state: rows::coded(state, DeliveryState::from_number, "delivery state")?,
        attempts,
        next_attempt_at: next.map(rows::timestamp).transpose()?,
        last_status: status,
        last_error: error,
        delivered_at: delivered.map(rows::timestamp).transpose()?,
    })
}

pub(crate) fn due_deliveries(
    conn: &Connection,
    now_us: i64,
    limit: usize,
) -> StoreResult<Vec<(Webhook, Delivery)>> {
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS}, {DELIVERY_COLUMNS}
         FROM webhook_delivery d JOIN webhook w ON w.seq = d.webhook_seq
         WHERE d.state = 0 AND d.next_attempt_at <= ?1
         ORDER BY d.next_attempt_at, d.seq LIMIT ?2"
    );
    let found: Vec<(WebhookRow, DeliveryRow)> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![now_us, limit as i64], |r| {
                Ok((webhook_row(r)?, delivery_row(r, 7)?))
            })?
            .collect()
        })
        .map_err(unavailable("reading due deliveries"))?;
    found
        .into_iter()
        .map(|(w, d)| Ok((into_webhook(w)?.1, into_delivery(d)?)))
        .collect()
}

pub(crate) fn deliveries(
    conn: &Connection,
    owner: &Principal,
    id: &str,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let seq = owned_seq(conn, owner, id)?;
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS}
         FROM webhook_delivery d JOIN webhook w ON w.seq = d.webhook_seq
         WHERE d.webhook_seq = ?1 ORDER BY d.seq DESC LIMIT ?2"
    );
    let found: Vec<DeliveryRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![seq, limit as i64], |r| delivery_row(r, 0))?
                .collect()
        })
        .map_err(unavailable("reading deliveries"))?;
    found.into_iter().map(into_delivery).collect()
}

/// How long a delivered row is kept for the deliveries listing.
const DELIVERED_KEPT_US: i64 = 7 * 24 * 3_600 * 1_000_000;

pub(crate) fn record_attempt(w: &mut Writer, id: i64, attempt: &Attempt) -> StoreResult<()> {
    let changed = match attempt {
        Attempt::Delivered { status, at } => w.conn.execute(
            "UPDATE webhook_delivery SET state = ?2, attempts = attempts + 1, next_attempt_at = NULL,
                 last_status = ?3, last_error = NULL, delivered_at = ?4
             WHERE seq = ?1",
            params![id, DeliveryState::Delivered.number(), status, at.as_microsecond()],
        ),
        Attempt::Failed {
            status,
            error,
            retry_at,
            ..
        } => w.conn.execute(
            "UPDATE webhook_delivery SET state = ?2, attempts = attempts + 1, next_attempt_at = ?3,
                 last_status = ?4, last_error = ?5
             WHERE seq = ?1",
            params![
                id,
                if retry_at.is_some() {
                    DeliveryState::Pending
                } else {
                    DeliveryState::Failed
                }
                .number(),
                retry_at.map(|t| t.as_microsecond()),
                status,
                error
            ],
        ),
    }
    .map_err(unavailable("recording a delivery attempt"))?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "webhook delivery",
            key: id.to_string(),
        });
    }
    if let Attempt::Delivered { at, .. } = attempt {
        // Delivered rows are history: a week of them is kept for the listing.
        w.conn
            .prepare_cached("DELETE FROM webhook_delivery WHERE state = ?1 AND delivered_at < ?2")
            .and_then(|mut s| {
                s.execute(params![
                    DeliveryState::Delivered.number(),
                    at.as_microsecond() - DELIVERED_KEPT_US
                ])
            })
            .map_err(unavailable("dropping old deliveries"))?;
    }
    Ok(())
}

impl Writer {
    /// Whether any subscription wants events of `kind`: callers build an
    /// event's payload only then.
    pub(crate) fn wants(&mut self, kind: EventKind) -> StoreResult<bool> {
        if self.cache.webhooks.is_none() {
            self.cache.webhooks = Some(select_webhooks(&self.conn, "", [])?);
        }
        Ok(self
            .cache
            .webhooks
            .as_ref()
            .is_some_and(|hooks| hooks.iter().any(|(_, h)| h.wants(kind))))
    }

    /// Leaves a delivery of event `kind` about shipment `shipment_seq` for its
    /// [`crate::webhook::audience`]: `carrier` names the carrier whose own
    /// milestone or offer it is, for those events.
    ///
    /// A milestone change is coalesced: while a delivery for the same
    /// tracking number has not been tried yet, that one will carry the newest
    /// state, and no second is queued.
    pub(crate) fn emit(
        &mut self,
        kind: EventKind,
        shipment_seq: i64,
        subject: &str,
        carrier: Option<&str>,
        payload: &Value,
        now_us: i64,
    ) -> StoreResult<()> {
        if !self.wants(kind)? {
            return Ok(());
        }
        let (shipment_id, seller_id): (String, String) = self
            .conn
            .prepare_cached("SELECT id, seller_id FROM shipment WHERE seq = ?1")
            .and_then(|mut s| s.query_row([shipment_seq], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(unavailable("reading a shipment's owner"))?;
        self.load_shipment(shipment_seq)?;
        let leg_carriers = self
            .cache
            .shipments
            .get(&shipment_seq)
            .map(|s| s.carriers.as_slice())
            .unwrap_or_default();
        let audience = crate::webhook::audience(
            self.cache.webhooks.as_deref().unwrap_or_default(),
            kind,
            &seller_id,
            leg_carriers,
            carrier,
        );
        let payload = match payload {
            Value::Null => None,
            v => Some(to_json(v)?),
        };
        for webhook_seq in audience {
            if kind == EventKind::MilestoneChanged {
                let queued = self
                    .conn
                    .prepare_cached(
                        "SELECT 1 FROM webhook_delivery
                         WHERE webhook_seq = ?1 AND subject = ?2 AND kind = ?3 AND state = 0 AND attempts = 0",
                    )
                    .and_then(|mut s| s.exists(params![webhook_seq, subject, kind.number()]))
                    .map_err(unavailable("reading queued deliveries"))?;
                if queued {
                    continue;
                }
            }
            self.conn
                .prepare_cached(
                    "INSERT INTO webhook_delivery (webhook_seq, kind, shipment_id, subject, payload, created_at, state, attempts, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        webhook_seq,
                        kind.number(),
                        shipment_id,
                        subject,
                        payload,
                        now_us
                    ])
                })
                .map_err(unavailable("queueing a webhook delivery"))?;
        }
        Ok(())
    }
}
