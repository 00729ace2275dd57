//! The stored form of a record: indexable projections of its detail, and its hash.

use super::{from_ms, to_ms, NewEvent, StoreError};
use crate::merkle::{self, Hash};
use crate::model::{ActorType, Event, EventDetail, WrittenBy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Every column of `events`, in table order.
pub(crate) const COLUMNS: &str = "id, tenant_id, account_id, seq, kind, occurred_at, received_at, \
    actor, actor_type, ip, user_agent, written_by, action, status, category, agent, model, subject, \
    tokens_in, tokens_out, cost_micros, credits_micros, executions, body, prev_hash, hash";

/// What a page of records can be read as: every column (`EventRow`), or what an export
/// writes (`ExportRow`). Read either from the database's rows or, in bulk, from a JSON
/// array of its `COLUMNS`, in that order (see `Store::page`).
pub(crate) trait PageRow:
    Sized
    + Send
    + Unpin
    + serde::de::DeserializeOwned
    + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
{
    const COLUMNS: &'static str;
    /// `(occurred_at, seq)`: the console's order and the keyset cursor.
    fn position(&self) -> (i64, i64);
    /// The position in the tenant's chain.
    fn seq(&self) -> i64;
    /// The stored body's size: what a page's byte budget counts.
    fn body_len(&self) -> usize;
    /// The stored bodies a page of these rows holds at most, besides its last record.
    const PAGE_BYTES: usize;
}

/// A page's rows, and whether the byte budget ended it before its limit (there is more).
pub(super) struct Page<R> {
    pub(super) rows: Vec<R>,
    pub(super) cut: bool,
}

/// The stored bodies a page of pulled or exported records holds at most, besides its
/// last record: written from their stored text, they take about that much memory.
pub const PAGE_BYTES: usize = 16 << 20;

/// The same for the console's pages and Live polls, whose records are decoded whole:
/// an admin action's values decode into some thirty times their text.
pub const DECODED_PAGE_BYTES: usize = 4 << 20;

/// The hash of "no previous record": the start of every tenant's chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Deserialize: also read from a JSON array of the columns in table order (see
/// `Store::page`); the two hashes are read but, being no part of the hashed form, never
/// serialised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub seq: i64,
    pub kind: String,
    pub occurred_at: i64,
    pub received_at: i64,
    pub actor: String,
    pub actor_type: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub written_by: String,
    pub action: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub agent: Option<String>,
    pub model: Option<String>,
    pub subject: Option<String>,
    pub tokens_in: Option<i64>,
    pub tokens_out: Option<i64>,
    pub cost_micros: Option<i64>,
    pub credits_micros: Option<i64>,
    pub executions: Option<i64>,
    pub body: String,
    #[serde(skip_serializing)]
    pub prev_hash: String,
    #[serde(skip_serializing)]
    pub hash: String,
    /// The record's leaf in its tenant's Merkle tree, once sealed (not a column).
    #[serde(skip)]
    #[sqlx(skip)]
    pub leaf: Option<Hash>,
}

impl PageRow for EventRow {
    const COLUMNS: &'static str = COLUMNS;
    const PAGE_BYTES: usize = DECODED_PAGE_BYTES;
    fn position(&self) -> (i64, i64) {
        (self.occurred_at, self.seq)
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn body_len(&self) -> usize {
        self.body.len()
    }
}

/// A record as an export writes it: the envelope and the body as stored, without the
/// filter projections or the previous hash. Decoding the body is left to the writer,
/// which can pass its detail and metadata through as they were stored (see
/// `server/src/api/export/encode.rs`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, sqlx::FromRow)]
pub struct ExportRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub seq: i64,
    pub kind: String,
    pub occurred_at: i64,
    pub received_at: i64,
    pub actor: String,
    pub actor_type: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub written_by: String,
    pub body: String,
    pub hash: String,
}

impl PageRow for ExportRow {
    const PAGE_BYTES: usize = PAGE_BYTES;
    const COLUMNS: &'static str = "id, tenant_id, account_id, seq, kind, occurred_at, \
        received_at, actor, actor_type, ip, user_agent, written_by, body, hash";
    fn position(&self) -> (i64, i64) {
        (self.occurred_at, self.seq)
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn body_len(&self) -> usize {
        self.body.len()
    }
}

/// The stored body's two parts as their JSON text, unparsed.
#[derive(Deserialize)]
pub struct RawBody<'a> {
    #[serde(borrow)]
    pub detail: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    pub metadata: &'a serde_json::value::RawValue,
}

impl ExportRow {
    /// The body's detail and metadata as stored: what `serde_json` writes for the typed
    /// values, since Vigil wrote them from those types (see `EventRow::prepare`).
    pub fn raw_body(&self) -> Result<RawBody<'_>, StoreError> {
        serde_json::from_str(&self.body).map_err(|e| StoreError::Corrupt {
            id: self.id.clone(),
            reason: e.to_string(),
        })
    }
}

/// What is stored whole in `body`: the detail and the sender's metadata.
#[derive(Serialize, Deserialize)]
struct Body {
    detail: EventDetail,
    metadata: serde_json::Map<String, serde_json::Value>,
}

/// Columns the console filters on, one meaning per kind (the kind is always in the filter).
#[derive(Default)]
struct Projection {
    action: Option<String>,
    status: Option<String>,
    category: Option<String>,
    agent: Option<String>,
    model: Option<String>,
    subject: Option<String>,
    tokens_in: Option<i64>,
    tokens_out: Option<i64>,
    cost_micros: Option<i64>,
    credits_micros: Option<i64>,
    executions: Option<i64>,
}

fn clamp(n: u64) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

fn project(detail: &EventDetail) -> Projection {
    match detail {
        EventDetail::AiInteraction(a) => Projection {
            action: Some(a.action.clone()),
            status: Some(a.dlp.to_string()),
            model: Some(a.model.clone()),
            subject: a.resource.clone(),
            tokens_in: clamp(a.input_tokens),
            tokens_out: clamp(a.output_tokens),
            cost_micros: a.cost.map(|c| c.micros()),
            ..Projection::default()
        },
        EventDetail::Job(j) => Projection {
            action: Some(j.job_type.clone()),
            status: Some(j.status.as_str().to_owned()),
            category: j.provider.clone(),
            agent: Some(j.agent.clone()),
            model: j.model.clone(),
            subject: Some(j.job_id.clone()),
            tokens_in: clamp(j.input_tokens),
            tokens_out: clamp(j.output_tokens),
            cost_micros: j.cost.map(|c| c.micros()),
            ..Projection::default()
        },
        EventDetail::Thread(t) => Projection {
            action: Some(t.thread_type.as_str().to_owned()),
            category: Some(t.source.as_str().to_owned()),
            agent: t.agent.clone(),
            subject: Some(t.thread_id.clone()),
            ..Projection::default()
        },
        EventDetail::SystemEvent(s) => Projection {
            action: Some(s.event_type.clone()),
            status: Some(s.severity.as_str().to_owned()),
            agent: s.agent.clone(),
            ..Projection::default()
        },
        EventDetail::AdminAction(a) => Projection {
            action: Some(a.action.clone()),
            category: Some(a.resource_type.clone()),
            subject: a.resource_id.clone(),
            ..Projection::default()
        },
        EventDetail::CreditUsage(c) => Projection {
            agent: Some(c.ai_worker.clone()),
            credits_micros: Some(c.credits_consumed.micros()),
            executions: clamp(c.executions),
            ..Projection::default()
        },
    }
}

impl EventRow {
    /// The row for `event`, not yet placed in the chain: the work that can be done
    /// before taking the writer (projection, body encoding).
    pub fn prepare(
        tenant_id: &str,
        written_by: &WrittenBy,
        event: &NewEvent,
        received_at: i64,
    ) -> Result<EventRow, StoreError> {
        let body = serde_json::to_string(&Body {
            detail: event.detail.clone(),
            metadata: event.metadata.clone(),
        })
        .map_err(|e| StoreError::Corrupt {
            id: event.id.to_string(),
            reason: e.to_string(),
        })?;
        let p = project(&event.detail);
        Ok(EventRow {
            id: event.id.to_string(),
            tenant_id: tenant_id.to_owned(),
            account_id: event.account_id.clone(),
            seq: 0,
            kind: event.detail.kind().as_str().to_owned(),
            occurred_at: to_ms(event.occurred_at),
            received_at,
            actor: event.actor.clone(),
            actor_type: event.actor_type.as_str().to_owned(),
            ip: event.ip.clone(),
            user_agent: event.user_agent.clone(),
            written_by: written_by.to_string(),
            action: p.action,
            status: p.status,
            category: p.category,
            agent: p.agent,
            model: p.model,
            subject: p.subject,
            tokens_in: p.tokens_in,
            tokens_out: p.tokens_out,
            cost_micros: p.cost_micros,
            credits_micros: p.credits_micros,
            executions: p.executions,
            body,
            prev_hash: String::new(),
            hash: String::new(),
            leaf: None,
        })
    }

    /// Places the row at `seq` of its tenant's chain, after `prev_hash`, and makes its
    /// leaf of the tenant's Merkle tree.
    pub fn seal(&mut self, seq: i64, prev_hash: &str) {
        self.seq = seq;
        prev_hash.clone_into(&mut self.prev_hash);
        let canonical = self.canonical();
        self.hash = self.chain_hash(&canonical);
        self.leaf = Some(merkle::leaf_hash(&canonical));
    }

    /// The canonical encoding, what the chain and the tree hash: a JSON object of every
    /// column but the two hashes, in table order.
    pub fn canonical(&self) -> Vec<u8> {
        // Serialising a struct of strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// SHA-256 over the previous hash, a newline, and the canonical encoding.
    pub fn compute_hash(&self) -> String {
        self.chain_hash(&self.canonical())
    }

    /// The chain hash over `canonical`, this row's canonical encoding.
    pub(crate) fn chain_hash(&self, canonical: &[u8]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(canonical);
        hex::encode(hasher.finalize())
    }

    /// The typed record; fails only if the stored row is not one Vigil wrote.
    pub fn into_event(self) -> Result<Event, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: self.id.clone(),
            reason,
        };
        let body: Body = serde_json::from_str(&self.body).map_err(|e| corrupt(e.to_string()))?;
        let id = self
            .id
            .parse()
            .map_err(|_| corrupt("id is not a UUID".into()))?;
        let actor_type: ActorType = self
            .actor_type
            .parse()
            .map_err(|_| corrupt("unknown actor type".into()))?;
        let written_by =
            WrittenBy::parse(&self.written_by).ok_or_else(|| corrupt("unknown writer".into()))?;
        Ok(Event {
            id,
            tenant_id: self.tenant_id,
            account_id: self.account_id,
            seq: self.seq,
            occurred_at: from_ms(self.occurred_at),
            received_at: from_ms(self.received_at),
            actor: self.actor,
            actor_type,
            ip: self.ip,
            user_agent: self.user_agent,
            written_by,
            metadata: body.metadata,
            detail: body.detail,
            hash: self.hash,
        })
    }
}
