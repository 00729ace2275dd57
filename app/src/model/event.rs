//! A stored audit record: the common envelope plus its kind-specific detail.

use super::{ActorType, EventDetail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// Who wrote it to Vigil (unlike `actor`, not the sender's to choose).
    pub written_by: WrittenBy,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
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
    pub cancel_requested: Vec<JobKey>,
    /// Where Live mode polls from: the tenant's chain position before this page was
    /// read, or after a poll the last record it returned. Live asks for what arrived
    /// after it (by sequence, not by the time a sender claims).
    #[serde(default)]
    pub live_after_seq: i64,
}

/// One record as the console's detail shows it: with who wrote it, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordView {
    pub event: Event,
    /// `written_by` as a person reads it: the key's name, the user's email, or Vigil.
    pub writer: String,
}

/// A job: its id is its account's (another account may use the same id).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobKey {
    /// `None`: a tenant-level job.
    pub account_id: Option<String>,
    pub job_id: String,
}

impl JobKey {
    /// What makes this key unusable as a query (the field and why): a value longer than
    /// any stored one, or a NUL, which PostgreSQL's text cannot compare.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let bad =
            |v: &str| v.is_empty() || v.len() > super::filter::MAX_VALUE_BYTES || v.contains('\0');
        let why = || {
            format!(
                "1 to {} bytes, without NUL characters",
                super::filter::MAX_VALUE_BYTES
            )
        };
        if bad(&self.job_id) {
            return Some(("job_id", why()));
        }
        match self.account_id.as_deref() {
            Some(a) if bad(a) => Some(("account_id", why())),
            _ => None,
        }
    }

    /// The job `event` (a job record) belongs to.
    pub fn of(event: &Event) -> Option<JobKey> {
        match &event.detail {
            EventDetail::Job(j) => Some(JobKey {
                account_id: event.account_id.clone(),
                job_id: j.job_id.clone(),
            }),
            _ => None,
        }
    }
}

/// Who wrote a record to Vigil, from the credential it came with: stored as
/// `api_key:<key id>`, `console:<user id>`, `operator:<token id>` or `vigil`, and
/// written so in the API.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WrittenBy {
    /// An ingest key, by its id.
    ApiKey(String),
    /// A signed-in console user, by the user's id.
    Console(String),
    /// An operator token of the provisioning API (`/api/v1/admin/`), by its id.
    Operator(String),
    /// Vigil itself: its sign-in page, its command line.
    Vigil,
}

impl WrittenBy {
    pub fn parse(text: &str) -> Option<WrittenBy> {
        match text.split_once(':') {
            Some(("api_key", id)) if !id.is_empty() => Some(WrittenBy::ApiKey(id.to_owned())),
            Some(("console", id)) if !id.is_empty() => Some(WrittenBy::Console(id.to_owned())),
            Some(("operator", id)) if !id.is_empty() => Some(WrittenBy::Operator(id.to_owned())),
            None if text == "vigil" => Some(WrittenBy::Vigil),
            _ => None,
        }
    }
}

impl std::fmt::Display for WrittenBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WrittenBy::ApiKey(id) => write!(f, "api_key:{id}"),
            WrittenBy::Console(id) => write!(f, "console:{id}"),
            WrittenBy::Operator(id) => write!(f, "operator:{id}"),
            WrittenBy::Vigil => f.write_str("vigil"),
        }
    }
}

impl Serialize for WrittenBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WrittenBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        WrittenBy::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown writer {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::WrittenBy;

    #[test]
    fn written_by_round_trips_and_refuses_others() {
        for w in [
            WrittenBy::ApiKey("k_1".into()),
            WrittenBy::Console("u:1".into()),
            WrittenBy::Operator("op_1".into()),
            WrittenBy::Vigil,
        ] {
            assert_eq!(WrittenBy::parse(&w.to_string()), Some(w));
        }
        for bad in ["", "api_key:", "console", "operator:", "vigil:x", "key:k_1"] {
            assert_eq!(WrittenBy::parse(bad), None, "{bad}");
        }
    }
}
