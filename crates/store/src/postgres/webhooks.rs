//! Webhook subscriptions and their outbox in PostgreSQL. A write reads the
//! subscriptions once, in its own transaction, the first time it has
//! something to tell ([`Tx::wants`]).

use jiff::Timestamp;
use serde_json::Value;
use tokio_postgres::Row;

use super::{Tx, pg};
use crate::codec::to_json;
use crate::read_rows::{DELIVERY_COLUMNS, DeliveryRow, WEBHOOK_COLUMNS, WebhookRow};
use crate::{
    Attempt, Delivery, DeliveryState, EventKind, Principal, Resend, StoreError, StoreResult,
    Webhook,
};

fn webhook(r: &Row) -> StoreResult<(i64, Webhook)> {
    WebhookRow {
        seq: r.get(0),
        id: r.get(1),
        owner: r.get(2),
        url: r.get(3),
        events: r.get(4),
        secret: r.get(5),
        created_at: r.get(6),
        disabled_at: r.get(7),
        disabled_reason: r.get(8),
    }
    .into_webhook()
}

/// `sql`, shared with SQLite, with its `?n` placeholders spelled `$n`.
fn dollars(sql: &str) -> String {
    (1..=9).fold(sql.to_owned(), |s, n| {
        s.replace(&format!("?{n}"), &format!("${n}"))
    })
}

fn delivery(r: &Row, at: usize) -> StoreResult<Delivery> {
    DeliveryRow {
        seq: r.get(at),
        webhook_id: r.get(at + 1),
        kind: i64::from(r.get::<_, i32>(at + 2)),
        shipment_id: r.get(at + 3),
        subject: r.get(at + 4),
        payload: r.get(at + 5),
        created_at: r.get(at + 6),
        state: i64::from(r.get::<_, i32>(at + 7)),
        attempts: r.get(at + 8),
        next_attempt_at: r.get(at + 9),
        last_status: r.get::<_, Option<i32>>(at + 10).map(i64::from),
        last_error: r.get(at + 11),
        delivered_at: r.get(at + 12),
    }
    .into_delivery()
}

pub(crate) async fn webhooks(
    client: &tokio_postgres::Client,
    owner: &Principal,
) -> StoreResult<Vec<Webhook>> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhook w WHERE w.owner = $1 ORDER BY w.seq");
    let rows = client
        .query(&sql, &[&to_json(owner)?])
        .await
        .map_err(pg("reading webhooks"))?;
    rows.iter().map(|r| webhook(r).map(|(_, w)| w)).collect()
}

/// The row number of subscription `id` of `owner`.
async fn owned_seq(
    client: &impl tokio_postgres::GenericClient,
    owner: &Principal,
    id: &str,
) -> StoreResult<i64> {
    owned(client, owner, id).await.map(|(seq, _)| seq)
}

/// The row number of subscription `id` of `owner`, and when it was switched
/// off.
async fn owned(
    client: &impl tokio_postgres::GenericClient,
    owner: &Principal,
    id: &str,
) -> StoreResult<(i64, Option<i64>)> {
    client
        .query_opt(
            &dollars(crate::webhook::OWNED_WEBHOOK),
            &[&id, &to_json(owner)?],
        )
        .await
        .map_err(pg("finding a webhook"))?
        .map(|r| (r.get(0), r.get(1)))
        .ok_or_else(|| StoreError::NotFound {
            what: "webhook",
            key: id.to_owned(),
        })
}

pub(crate) async fn put_webhook(t: &mut Tx<'_>, webhook: &Webhook) -> StoreResult<()> {
    let events: Vec<&str> = webhook.events.iter().map(|e| e.as_str()).collect();
    let inserted = t
        .execute(
            "INSERT INTO webhook (id, owner, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING",
            &[
                &webhook.id,
                &to_json(&webhook.owner)?,
                &webhook.url,
                &events.join(" "),
                &webhook.secret,
                &webhook.created_at.as_microsecond(),
            ],
        )
        .await
        .map_err(pg("storing a webhook"))?;
    if inserted == 0 {
        return Err(StoreError::Conflict {
            what: "webhook",
            key: webhook.id.clone(),
        });
    }
    Ok(())
}

pub(crate) async fn delete_webhook(t: &mut Tx<'_>, owner: &Principal, id: &str) -> StoreResult<()> {
    let seq = owned_seq(&*t.tx, owner, id).await?;
    t.execute(
        "DELETE FROM webhook_delivery WHERE webhook_seq = $1",
        &[&seq],
    )
    .await
    .map_err(pg("deleting a webhook"))?;
    t.execute("DELETE FROM webhook WHERE seq = $1", &[&seq])
        .await
        .map_err(pg("deleting a webhook"))?;
    Ok(())
}

/// How long a delivery handed out by [`due_deliveries`] is kept from the other
/// replicas: longer than a send takes, so that two never post it at once.
const CLAIM_US: i64 = 5 * 60 * 1_000_000;

/// Claims the deliveries due at `now` for this process: each is pushed
/// [`CLAIM_US`] into the future under a row lock that other replicas skip,
/// so they do not take it too; the attempt recorded for it then sets its
/// real next time. A process that dies after claiming leaves the delivery
/// to be tried again once the claim runs out.
pub(crate) async fn due_deliveries(
    t: &mut Tx<'_>,
    now: Timestamp,
    limit: usize,
) -> StoreResult<Vec<(Webhook, Delivery)>> {
    let now_us = now.as_microsecond();
    let sql = format!(
        "WITH due AS (
             SELECT seq FROM webhook_delivery
             WHERE state = 0 AND next_attempt_at <= $1 AND NOT EXISTS (
                 SELECT 1 FROM webhook w
                 WHERE w.seq = webhook_delivery.webhook_seq AND w.disabled_at IS NOT NULL)
             ORDER BY next_attempt_at, seq LIMIT $2
             FOR UPDATE SKIP LOCKED
         ), claimed AS (
             UPDATE webhook_delivery d SET next_attempt_at = $3 FROM due WHERE d.seq = due.seq
             RETURNING d.*
         )
         SELECT {WEBHOOK_COLUMNS}, {DELIVERY_COLUMNS}
         FROM claimed d JOIN webhook w ON w.seq = d.webhook_seq
         ORDER BY d.seq"
    );
    let rows = t
        .query(&sql, &[&now_us, &(limit as i64), &(now_us + CLAIM_US)])
        .await
        .map_err(pg("claiming due deliveries"))?;
    rows.iter()
        .map(|r| {
            let mut delivery = delivery(r, 9)?;
            // The caller sees when it was due, not the claim.
            delivery.next_attempt_at = Some(now);
            Ok((webhook(r)?.1, delivery))
        })
        .collect()
}

pub(crate) async fn deliveries(
    client: &tokio_postgres::Client,
    owner: &Principal,
    id: &str,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let seq = owned_seq(client, owner, id).await?;
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS}
         FROM webhook_delivery d JOIN webhook w ON w.seq = d.webhook_seq
         WHERE d.webhook_seq = $1 ORDER BY d.seq DESC LIMIT $2"
    );
    let rows = client
        .query(&sql, &[&seq, &(limit as i64)])
        .await
        .map_err(pg("reading deliveries"))?;
    rows.iter().map(|r| delivery(r, 0)).collect()
}

pub(crate) async fn switch_off_webhook(
    t: &mut Tx<'_>,
    id: &str,
    since_us: i64,
    at_us: i64,
    reason: &str,
) -> StoreResult<bool> {
    let switched = t
        .execute(
            &dollars(crate::webhook::SWITCH_OFF),
            &[&id, &at_us, &reason, &since_us],
        )
        .await
        .map_err(pg("switching a webhook off"))?;
    if switched == 0 {
        return Ok(false);
    }
    t.execute(
        &dollars(crate::webhook::FAIL_PENDING),
        &[&id, &crate::webhook::SWITCHED_OFF_ERROR],
    )
    .await
    .map_err(pg("failing a switched-off webhook's deliveries"))?;
    Ok(true)
}

pub(crate) async fn switch_on_webhook(
    t: &mut Tx<'_>,
    owner: &Principal,
    id: &str,
) -> StoreResult<()> {
    let seq = owned_seq(&*t.tx, owner, id).await?;
    t.execute(&dollars(crate::webhook::SWITCH_ON), &[&seq])
        .await
        .map_err(pg("switching a webhook on"))?;
    Ok(())
}

pub(crate) async fn record_attempt(t: &mut Tx<'_>, id: i64, attempt: &Attempt) -> StoreResult<()> {
    let changed = match attempt {
        Attempt::Delivered { status, at } => {
            t.execute(
                &dollars(crate::webhook::RECORD_DELIVERED),
                &[
                    &id,
                    &i32::from(attempt.state().number()),
                    &i32::from(*status),
                    &at.as_microsecond(),
                ],
            )
            .await
        }
        Attempt::Failed {
            status,
            error,
            retry_at,
            ..
        } => {
            t.execute(
                &dollars(crate::webhook::RECORD_FAILED),
                &[
                    &id,
                    &i32::from(attempt.state().number()),
                    &retry_at.map(|r| r.as_microsecond()),
                    &status.map(i32::from),
                    error,
                ],
            )
            .await
        }
    }
    .map_err(pg("recording a delivery attempt"))?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "webhook delivery",
            key: id.to_string(),
        });
    }
    let (Attempt::Delivered { at, .. } | Attempt::Failed { at, .. }) = attempt;
    for (sql, cutoff) in crate::webhook::prune_finished(*at) {
        t.execute(&dollars(sql), &[&cutoff])
            .await
            .map_err(pg("dropping old deliveries"))?;
    }
    Ok(())
}

/// Delivery `delivery` of subscription (row) `webhook_seq`.
async fn delivery_of(t: &Tx<'_>, webhook_seq: i64, delivery_id: i64) -> StoreResult<Delivery> {
    let found = t
        .query_opt(
            &dollars(&crate::webhook::delivery_of_webhook()),
            &[&delivery_id, &webhook_seq],
        )
        .await
        .map_err(pg("reading a delivery"))?;
    match found {
        Some(row) => delivery(&row, 0),
        None => Err(StoreError::NotFound {
            what: "webhook delivery",
            key: delivery_id.to_string(),
        }),
    }
}

pub(crate) async fn resend_delivery(
    t: &mut Tx<'_>,
    owner: &Principal,
    id: &str,
    delivery_id: i64,
    now_us: i64,
) -> StoreResult<Resend> {
    let (webhook_seq, disabled_at) = owned(&*t.tx, owner, id).await?;
    let found = delivery_of(t, webhook_seq, delivery_id).await?;
    if disabled_at.is_some() {
        return Ok(Resend::SwitchedOff);
    }
    if found.state == DeliveryState::Pending {
        return Ok(Resend::StillPending(found));
    }
    let changed = t
        .execute(&dollars(crate::webhook::RESEND), &[&delivery_id, &now_us])
        .await
        .map_err(pg("resending a delivery"))?;
    if changed == 0 {
        // Another replica put it back in the queue after it was read here:
        // it is pending now, which is what was asked.
        return delivery_of(t, webhook_seq, delivery_id)
            .await
            .map(Resend::StillPending);
    }
    delivery_of(t, webhook_seq, delivery_id)
        .await
        .map(Resend::Queued)
}

pub(crate) async fn switch_on_webhook_resending(
    t: &mut Tx<'_>,
    owner: &Principal,
    id: &str,
    now: Timestamp,
) -> StoreResult<usize> {
    switch_on_webhook(t, owner, id).await?;
    let seq = owned_seq(&*t.tx, owner, id).await?;
    let queued = t
        .execute(
            &dollars(crate::webhook::RESEND_FAILED),
            &[
                &seq,
                &now.as_microsecond(),
                &crate::webhook::failed_kept_since_us(now),
            ],
        )
        .await
        .map_err(pg("resending failed deliveries"))?;
    Ok(usize::try_from(queued).unwrap_or(usize::MAX))
}

pub(crate) async fn failed_deliveries_kept(
    client: &tokio_postgres::Client,
    owner: &Principal,
    id: &str,
    now: Timestamp,
) -> StoreResult<usize> {
    let seq = owned_seq(client, owner, id).await?;
    let count: i64 = client
        .query_one(
            &dollars(crate::webhook::COUNT_FAILED),
            &[&seq, &crate::webhook::failed_kept_since_us(now)],
        )
        .await
        .map_err(pg("counting failed deliveries"))?
        .get(0);
    Ok(usize::try_from(count).unwrap_or_default())
}

impl Tx<'_> {
    /// Whether any subscription wants events of `kind`: callers build an
    /// event's payload only then.
    pub(crate) async fn wants(&mut self, kind: EventKind) -> StoreResult<bool> {
        if self.webhooks.is_none() {
            let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhook w ORDER BY w.seq");
            let rows = self
                .query(&sql, &[])
                .await
                .map_err(pg("reading webhooks"))?;
            self.webhooks = Some(rows.iter().map(webhook).collect::<StoreResult<_>>()?);
        }
        Ok(self.webhooks.iter().flatten().any(|(_, h)| h.wants(kind)))
    }

    /// Leaves a delivery of event `kind` about shipment `shipment_seq` for
    /// its [`crate::webhook::audience`]. An untried (and not resent)
    /// milestone change of the same number is not queued twice.
    pub(crate) async fn emit(
        &mut self,
        kind: EventKind,
        shipment_seq: i64,
        subject: &str,
        carrier: Option<&str>,
        payload: &Value,
        now_us: i64,
    ) -> StoreResult<()> {
        if !self.wants(kind).await? {
            return Ok(());
        }
        let row = self
            .query_one(
                "SELECT id, seller_id, ARRAY(SELECT DISTINCT carrier FROM leg WHERE shipment_seq = $1)
                 FROM shipment WHERE seq = $1",
                &[&shipment_seq],
            )
            .await
            .map_err(pg("reading a shipment's owner"))?;
        let (shipment_id, seller_id): (String, String) = (row.get(0), row.get(1));
        let leg_carriers: Vec<String> = row.get(2);
        let audience = crate::webhook::audience(
            self.webhooks.as_deref().unwrap_or_default(),
            kind,
            &seller_id,
            &leg_carriers,
            carrier,
        );
        let payload = match payload {
            Value::Null => None,
            v => Some(to_json(v)?),
        };
        let kind_n = i32::from(kind.number());
        for webhook_seq in audience {
            if kind == EventKind::MilestoneChanged {
                let queued = self
                    .query_opt(
                        &dollars(crate::webhook::UNTRIED_QUEUED),
                        &[&webhook_seq, &subject, &kind_n],
                    )
                    .await
                    .map_err(pg("reading queued deliveries"))?;
                if queued.is_some() {
                    continue;
                }
            }
            self
                .execute(
                    "INSERT INTO webhook_delivery (webhook_seq, kind, shipment_id, subject, payload, created_at, state, attempts, next_attempt_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $6)",
                    &[&webhook_seq, &kind_n, &shipment_id, &subject, &payload, &now_us],
                )
                .await
                .map_err(pg("queueing a webhook delivery"))?;
        }
        Ok(())
    }
}
