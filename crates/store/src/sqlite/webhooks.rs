//! Webhook subscriptions and their outbox in SQLite.
//!
//! The writer keeps the subscriptions in its cache: a hub without any (every
//! replay and benchmark) pays one check per change, and one with some reads
//! who may see a shipment only for the kinds someone wants.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::rows::{to_json, unavailable};
use super::writer::Writer;
use crate::read_rows::{DELIVERY_COLUMNS, DeliveryRow, WEBHOOK_COLUMNS, WebhookRow};
use crate::{
    Attempt, Delivery, DeliveryState, EventKind, Principal, Resend, StoreError, StoreResult,
    Webhook,
};

fn webhook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookRow> {
    Ok(WebhookRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        owner: r.get(2)?,
        url: r.get(3)?,
        events: r.get(4)?,
        secret: r.get(5)?,
        created_at: r.get(6)?,
        disabled_at: r.get(7)?,
        disabled_reason: r.get(8)?,
    })
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
    found.into_iter().map(WebhookRow::into_webhook).collect()
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
    owned(conn, owner, id).map(|(seq, _)| seq)
}

/// The row number of subscription `id` of `owner`, and when it was switched
/// off.
fn owned(conn: &Connection, owner: &Principal, id: &str) -> StoreResult<(i64, Option<i64>)> {
    let owner = to_json(owner)?;
    conn.prepare_cached(crate::webhook::OWNED_WEBHOOK)
        .and_then(|mut s| {
            s.query_row(params![id, owner], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
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

pub(crate) fn switch_off_webhook(
    w: &mut Writer,
    id: &str,
    since_us: i64,
    at_us: i64,
    reason: &str,
) -> StoreResult<bool> {
    let switched = w
        .conn
        .execute(
            crate::webhook::SWITCH_OFF,
            params![id, at_us, reason, since_us],
        )
        .map_err(unavailable("switching a webhook off"))?;
    if switched == 0 {
        return Ok(false);
    }
    w.conn
        .execute(
            crate::webhook::FAIL_PENDING,
            params![id, crate::webhook::SWITCHED_OFF_ERROR],
        )
        .map_err(unavailable("failing a switched-off webhook's deliveries"))?;
    w.cache.webhooks = None;
    Ok(true)
}

pub(crate) fn switch_on_webhook(w: &mut Writer, owner: &Principal, id: &str) -> StoreResult<()> {
    let seq = owned_seq(&w.conn, owner, id)?;
    w.conn
        .execute(crate::webhook::SWITCH_ON, [seq])
        .map_err(unavailable("switching a webhook on"))?;
    w.cache.webhooks = None;
    Ok(())
}

fn delivery_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        seq: r.get(at)?,
        webhook_id: r.get(at + 1)?,
        kind: r.get(at + 2)?,
        shipment_id: r.get(at + 3)?,
        subject: r.get(at + 4)?,
        payload: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        state: r.get(at + 7)?,
        attempts: r.get(at + 8)?,
        next_attempt_at: r.get(at + 9)?,
        last_status: r.get(at + 10)?,
        last_error: r.get(at + 11)?,
        delivered_at: r.get(at + 12)?,
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
         WHERE d.state = 0 AND d.next_attempt_at <= ?1 AND w.disabled_at IS NULL
         ORDER BY d.next_attempt_at, d.seq LIMIT ?2"
    );
    let found: Vec<(WebhookRow, DeliveryRow)> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![now_us, limit as i64], |r| {
                Ok((webhook_row(r)?, delivery_row(r, 9)?))
            })?
            .collect()
        })
        .map_err(unavailable("reading due deliveries"))?;
    found
        .into_iter()
        .map(|(w, d)| Ok((w.into_webhook()?.1, d.into_delivery()?)))
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
    found.into_iter().map(DeliveryRow::into_delivery).collect()
}

pub(crate) fn record_attempt(w: &mut Writer, id: i64, attempt: &Attempt) -> StoreResult<()> {
    let changed = match attempt {
        Attempt::Delivered { status, at } => w.conn.execute(
            crate::webhook::RECORD_DELIVERED,
            params![id, attempt.state().number(), status, at.as_microsecond()],
        ),
        Attempt::Failed {
            status,
            error,
            retry_at,
            ..
        } => w.conn.execute(
            crate::webhook::RECORD_FAILED,
            params![
                id,
                attempt.state().number(),
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
    let (Attempt::Delivered { at, .. } | Attempt::Failed { at, .. }) = attempt;
    for (sql, cutoff) in crate::webhook::prune_finished(*at) {
        w.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([cutoff]))
            .map_err(unavailable("dropping old deliveries"))?;
    }
    Ok(())
}

/// Delivery `delivery` of subscription (row) `webhook_seq`.
fn delivery_of(conn: &Connection, webhook_seq: i64, delivery: i64) -> StoreResult<Delivery> {
    let found = conn
        .prepare_cached(&crate::webhook::delivery_of_webhook())
        .and_then(|mut s| {
            s.query_row(params![delivery, webhook_seq], |r| delivery_row(r, 0))
                .optional()
        })
        .map_err(unavailable("reading a delivery"))?;
    found
        .ok_or_else(|| StoreError::NotFound {
            what: "webhook delivery",
            key: delivery.to_string(),
        })?
        .into_delivery()
}

pub(crate) fn resend_delivery(
    w: &mut Writer,
    owner: &Principal,
    id: &str,
    delivery: i64,
    now_us: i64,
) -> StoreResult<Resend> {
    let (webhook_seq, disabled_at) = owned(&w.conn, owner, id)?;
    let found = delivery_of(&w.conn, webhook_seq, delivery)?;
    if disabled_at.is_some() {
        return Ok(Resend::SwitchedOff);
    }
    if found.state == DeliveryState::Pending {
        return Ok(Resend::StillPending(found));
    }
    let changed = w
        .conn
        .prepare_cached(crate::webhook::RESEND)
        .and_then(|mut s| s.execute(params![delivery, now_us]))
        .map_err(unavailable("resending a delivery"))?;
    // The writer runs one job at a time, so nothing changed it since it was read.
    debug_assert_eq!(changed, 1);
    delivery_of(&w.conn, webhook_seq, delivery).map(Resend::Queued)
}

pub(crate) fn switch_on_webhook_resending(
    w: &mut Writer,
    owner: &Principal,
    id: &str,
    now: Timestamp,
) -> StoreResult<usize> {
    switch_on_webhook(w, owner, id)?;
    let seq = owned_seq(&w.conn, owner, id)?;
    w.conn
        .prepare_cached(crate::webhook::RESEND_FAILED)
        .and_then(|mut s| {
            s.execute(params![
                seq,
                now.as_microsecond(),
                crate::webhook::failed_kept_since_us(now)
            ])
        })
        .map_err(unavailable("resending failed deliveries"))
}

pub(crate) fn failed_deliveries_kept(
    conn: &Connection,
    owner: &Principal,
    id: &str,
    now: Timestamp,
) -> StoreResult<usize> {
    let seq = owned_seq(conn, owner, id)?;
    let count: i64 = conn
        .prepare_cached(crate::webhook::COUNT_FAILED)
        .and_then(|mut s| {
            s.query_row(
                params![seq, crate::webhook::failed_kept_since_us(now)],
                |r| r.get(0),
            )
        })
        .map_err(unavailable("counting failed deliveries"))?;
    Ok(usize::try_from(count).unwrap_or_default())
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
    /// tracking number has not been tried yet (nor resent), that one will
    /// carry the newest state, and no second is queued.
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
                    .prepare_cached(crate::webhook::UNTRIED_QUEUED)
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
