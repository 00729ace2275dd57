//! A stored audit record: the common envelope plus its kind-specific detail.

use super::{ActorType, EventDetail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Time-ordered (UUIDv7 unless the sender chose its own).
    pub id: Uuid,
    pub tenant_id: String,
    /// `None`: a tenant-level record, visible to tenant admins only.
    pub account_id: Option<String>,
    /// Position in the tenant's hash chain, from 1.
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub actor: String,
    pub actor_type: ActorType,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    pub detail: EventDetail,
    /// SHA-256 (hex) chaining this record to the previous one of its tenant.
    pub hash: String,
}

/// One page of records, newest first, with the cursor for the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
    /// Jobs of this page with a cancel request on record.
    #[serde(default)]
    pub cancel_requested: Vec<String>,
    /// Where Live mode polls from: the tenant's chain position before this page was
    /// read, or after a poll the last record it returned. Live asks for what arrived
    /// after it (by sequence, not by the time a sender claims).
    #[serde(default)]
    pub live_after_seq: i64,
}
