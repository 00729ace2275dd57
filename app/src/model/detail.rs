//! What each kind of record says beyond the common envelope.
//!
//! These structs are the wire format of the ingest API (unknown fields rejected)
//! and the stored body of a record, so one definition serves client and server.

use super::{DlpResult, EventKind, JobStatus, Micros, Severity, ThreadSource, ThreadType};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AiInteraction {
    /// `chat.completion`, `skill.run`, `automation.execute`, …
    pub action: String,
    /// `chat:conv_abc123`
    #[serde(default)]
    pub resource: Option<String>,
    pub model: String,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// USD; computed from the model's rates when the sender gives none.
    #[serde(default)]
    pub cost: Option<Micros>,
    pub dlp: DlpResult,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// Only the server refuses unknown fields: the browser ignores `cost`, which it lacks.
#[cfg_attr(feature = "ssr", serde(deny_unknown_fields))]
pub struct Job {
    pub job_id: String,
    pub status: JobStatus,
    pub agent: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    pub job_type: String,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// USD; computed from the model's rate when the sender gives none and the record
    /// used tokens. Left out when absent, so a job without one is stored as before.
    #[cfg(feature = "ssr")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Micros>,
    #[serde(default)]
    pub evaluator_status: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub response: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TranscriptMessage {
    pub role: String,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Thread {
    pub thread_id: String,
    pub source: ThreadSource,
    #[serde(rename = "type")]
    pub thread_type: ThreadType,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub message_count: u64,
    #[serde(default)]
    pub latest_message: Option<String>,
    #[serde(default)]
    pub transcript: Vec<TranscriptMessage>,
}

impl Thread {
    /// The first 30 characters of the latest message, as the console lists it.
    pub fn snippet(&self) -> Option<String> {
        self.latest_message.as_deref().map(|m| {
            let mut chars = m.chars();
            let head: String = chars.by_ref().take(30).collect();
            if chars.next().is_some() {
                format!("{head}…")
            } else {
                head
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SystemEvent {
    /// `cron.fired`, `agent.evaluation`, `integration.disconnected`, …
    #[serde(rename = "type")]
    pub event_type: String,
    pub severity: Severity,
    pub description: String,
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminAction {
    /// create, update, delete, assign, login, logout, invite, export, …
    pub action: String,
    /// user, member, role, api_key, settings, workflow, model, integration, prompt, …
    pub resource_type: String,
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Human name, e.g. "Role created".
    pub event_name: String,
    #[serde(default)]
    pub old_value: Option<serde_json::Value>,
    #[serde(default)]
    pub new_value: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreditUsage {
    pub ai_worker: String,
    #[serde(default)]
    pub executions: u64,
    pub credits_consumed: Micros,
    pub balance_after: Micros,
}

/// The kind-specific part of a record, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventDetail {
    AiInteraction(AiInteraction),
    Job(Job),
    Thread(Thread),
    SystemEvent(SystemEvent),
    AdminAction(AdminAction),
    CreditUsage(CreditUsage),
}

impl EventDetail {
    pub fn kind(&self) -> EventKind {
        match self {
            EventDetail::AiInteraction(_) => EventKind::AiInteraction,
            EventDetail::Job(_) => EventKind::Job,
            EventDetail::Thread(_) => EventKind::Thread,
            EventDetail::SystemEvent(_) => EventKind::SystemEvent,
            EventDetail::AdminAction(_) => EventKind::AdminAction,
            EventDetail::CreditUsage(_) => EventKind::CreditUsage,
        }
    }

    /// A one-line summary for lists.
    pub fn summary(&self) -> String {
        match self {
            EventDetail::AiInteraction(a) => format!(
                "{} on {} ({} → {} tokens, DLP {})",
                a.action, a.model, a.input_tokens, a.output_tokens, a.dlp
            ),
            EventDetail::Job(j) => {
                format!("{} {} by {} is {}", j.job_type, j.job_id, j.agent, j.status)
            }
            EventDetail::Thread(t) => format!(
                "{} thread {} via {} ({} messages)",
                t.thread_type, t.thread_id, t.source, t.message_count
            ),
            EventDetail::SystemEvent(s) => {
                format!("{} [{}] {}", s.event_type, s.severity, s.description)
            }
            EventDetail::AdminAction(a) => match &a.resource_id {
                Some(id) => format!("{} ({} {})", a.event_name, a.resource_type, id),
                None => format!("{} ({})", a.event_name, a.resource_type),
            },
            EventDetail::CreditUsage(c) => format!(
                "{} used {} credits in {} executions, balance {}",
                c.ai_worker, c.credits_consumed, c.executions, c.balance_after
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_cuts_at_thirty_characters() {
        let mut t = Thread {
            thread_id: "t1".into(),
            source: ThreadSource::Slack,
            thread_type: ThreadType::Chat,
            agent: None,
            message_count: 2,
            latest_message: Some("é".repeat(31)),
            transcript: vec![],
        };
        assert_eq!(t.snippet().expect("some"), format!("{}…", "é".repeat(30)));
        t.latest_message = Some("short".into());
        assert_eq!(t.snippet().as_deref(), Some("short"));
    }

    #[test]
    fn detail_is_tagged_by_kind() {
        let json = r#"{"kind":"system_event","type":"cron.fired","severity":"info","description":"nightly"}"#;
        let d: EventDetail = serde_json::from_str(json).expect("parse");
        assert_eq!(d.kind(), EventKind::SystemEvent);
        let back = serde_json::to_string(&d).expect("ser");
        assert!(back.starts_with(r#"{"kind":"system_event","type":"cron.fired""#));
    }
}
