//! Vigil audits itself: sign-ins, key and user changes become `admin_action` records
//! in the actor's scope, on the same tamper-evident chain as everything else.

use super::{new_id, AppendError, NewEvent, Store};
use crate::model::{ActorType, AdminAction, EventDetail, RetentionDays, Role, Viewer, WrittenBy};
use crate::ssr::Origin;
use axum::http::HeaderMap;
use std::net::SocketAddr;

/// The event names of the records only Vigil writes: its console's sign-ins, its
/// exports, its cancel requests and its retention purges. An ingest key may not write
/// them, so a record that carries one was written by Vigil (compared without case or
/// surrounding space).
/// Names a platform also uses of its own things ("API key created", "User created")
/// are told apart by the record's provenance, not reserved.
pub const RESERVED_EVENT_NAMES: &[&str] = &[
    "Signed in",
    "Signed out",
    "Sign-in failed",
    "Sign-in refused: locked",
    "Audit log exported",
    "Job cancel requested",
    "Retention purge",
];

/// The actions Vigil's own records take that the console acts on: a forged cancel
/// request would hide a job's Cancel button.
pub const RESERVED_ACTIONS: &[&str] = &["job.cancel_requested"];

/// Whether `text` is one of `reserved`, as a person would read it.
pub fn is_reserved(reserved: &[&str], text: &str) -> bool {
    let text = text.trim();
    reserved.iter().any(|r| r.eq_ignore_ascii_case(text))
}

/// Who did it, from where, and through what.
#[derive(Clone, Debug)]
pub struct Who {
    pub actor: String,
    pub actor_type: ActorType,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The credential the record is written with (Vigil itself unless `via` says so).
    pub written_by: WrittenBy,
}

impl Who {
    /// A person at `email` on Vigil's own pages (the sign-in page: no session yet).
    pub fn user(email: &str, headers: &HeaderMap, peer: Option<SocketAddr>) -> Who {
        Who::from_origin(email, Origin::from_request(headers, peer))
    }

    /// A person at `email` acting from `origin`.
    pub fn from_origin(email: &str, origin: Origin) -> Who {
        Who {
            actor: email.to_owned(),
            actor_type: ActorType::User,
            ip: origin.ip,
            user_agent: origin.user_agent,
            written_by: WrittenBy::Vigil,
        }
    }

    /// The same, acting through `written_by` (a session, a key).
    pub fn via(self, written_by: WrittenBy) -> Who {
        Who { written_by, ..self }
    }

    /// A signed-in viewer acting on something of `account`. A tenant admin's address
    /// and user agent stay out of an account's records, which that account's admins
    /// read (the README's promise); their own scope's records keep them.
    pub fn viewer_in(viewer: &Viewer, origin: Origin, account: Option<&str>) -> Who {
        let mut who =
            Who::from_origin(&viewer.email, origin).via(WrittenBy::Console(viewer.user_id.clone()));
        if viewer.role == Role::TenantAdmin && account.is_some() {
            who.ip = None;
            who.user_agent = None;
        }
        who
    }

    /// Vigil itself, on its own schedule (retention's purge).
    pub fn vigil() -> Who {
        Who {
            actor: "vigil".into(),
            actor_type: ActorType::System,
            ip: None,
            user_agent: None,
            written_by: WrittenBy::Vigil,
        }
    }

    /// An operator token of the provisioning API (`/api/v1/admin/`), from `origin`:
    /// actor `operator:<token name>`, written by `operator:<token id>`.
    pub fn operator(token_id: &str, token_name: &str, origin: Origin) -> Who {
        Who {
            actor: format!("operator:{token_name}"),
            actor_type: ActorType::ApiKey,
            ip: origin.ip,
            user_agent: origin.user_agent,
            written_by: WrittenBy::Operator(token_id.to_owned()),
        }
    }

    /// The same without the address and user agent: for records an account's admins
    /// read (as a tenant admin's, see `viewer_in`).
    pub fn without_origin(self) -> Who {
        Who {
            ip: None,
            user_agent: None,
            ..self
        }
    }

    /// The command line on the server itself.
    pub fn cli() -> Who {
        Who {
            actor: "vigil-cli".into(),
            actor_type: ActorType::System,
            ip: None,
            user_agent: None,
            written_by: WrittenBy::Vigil,
        }
    }
}

/// What happened, to what.
pub struct Change<'a> {
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<String>,
    pub event_name: &'a str,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

impl Change<'static> {
    /// "API key created", from the console or the command line alike.
    pub fn api_key_created(key: &super::CreatedKey, name: &str, account: Option<&str>) -> Self {
        Change {
            action: "create",
            resource_type: "api_key",
            resource_id: Some(key.id.clone()),
            event_name: "API key created",
            old_value: None,
            new_value: Some(
                serde_json::json!({"prefix": key.prefix, "name": name, "account_id": account}),
            ),
        }
    }
}

impl Change<'static> {
    /// "Tenant created": by `vigil init` or the operator API.
    pub fn tenant_created(tenant: &super::TenantRow) -> Self {
        Change {
            action: "create",
            resource_type: "tenant",
            resource_id: Some(tenant.id.clone()),
            event_name: "Tenant created",
            old_value: None,
            new_value: Some(serde_json::json!({
                "id": tenant.id,
                "name": tenant.name,
                "auto_create_accounts": tenant.auto_create_accounts,
            })),
        }
    }

    /// "Tenant settings changed": its name or `auto_create_accounts`, by the operator
    /// API or `vigil tenant set`.
    pub fn tenant_changed(before: &super::TenantRow, after: &super::TenantRow) -> Self {
        let settings = |t: &super::TenantRow| serde_json::json!({"name": t.name, "auto_create_accounts": t.auto_create_accounts});
        Change {
            action: "update",
            resource_type: "tenant",
            resource_id: Some(after.id.clone()),
            event_name: "Tenant settings changed",
            old_value: Some(settings(before)),
            new_value: Some(settings(after)),
        }
    }

    /// "Account created": by the operator API, or by ingest naming it (`caused_by`: the
    /// id of the key whose record named it first).
    pub fn account_created(id: &str, name: &str, caused_by: Option<&str>) -> Self {
        let mut value = serde_json::json!({"id": id, "name": name});
        if let Some(key_id) = caused_by {
            value["auto_created"] = serde_json::json!(true);
            value["api_key_id"] = serde_json::json!(key_id);
        }
        Change {
            action: "create",
            resource_type: "account",
            resource_id: Some(id.to_owned()),
            event_name: "Account created",
            old_value: None,
            new_value: Some(value),
        }
    }

    /// "User created", with their role: by `vigil init`, `vigil user create` or the
    /// operator API.
    pub fn user_created(user_id: &str, email: &str, grant: &super::Grant) -> Self {
        Change {
            action: "create",
            resource_type: "user",
            resource_id: Some(user_id.to_owned()),
            event_name: "User created",
            old_value: None,
            new_value: Some(serde_json::json!({
                "email": email,
                "role": grant.role.as_str(),
                "account_id": grant.account_id,
            })),
        }
    }
}

impl Change<'static> {
    /// A tenant's retention policy changed (`None`: forever), from the console or the
    /// command line alike.
    pub fn retention_set(before: Option<RetentionDays>, after: Option<RetentionDays>) -> Self {
        let days =
            |d: Option<RetentionDays>| serde_json::json!({"days": d.map(RetentionDays::days)});
        Change {
            action: "retention.set",
            resource_type: "retention",
            resource_id: None,
            event_name: "Retention policy set",
            old_value: Some(days(before)),
            new_value: Some(days(after)),
        }
    }
}

/// One admin action as a record of `account_id` (`None`: tenant-level).
fn admin_record(account_id: Option<String>, who: &Who, change: Change<'_>) -> NewEvent {
    let now = chrono::Utc::now();
    NewEvent {
        id: new_id(now),
        account_id,
        occurred_at: now,
        actor: who.actor.clone(),
        actor_type: who.actor_type,
        ip: who.ip.clone(),
        user_agent: who.user_agent.clone(),
        metadata: serde_json::Map::new(),
        detail: EventDetail::AdminAction(AdminAction {
            action: change.action.into(),
            resource_type: change.resource_type.into(),
            resource_id: change.resource_id,
            event_name: change.event_name.into(),
            old_value: change.old_value,
            new_value: change.new_value,
        }),
    }
}

impl Store {
    /// Appends one admin action; callers fail the action when this fails, so nothing
    /// audited goes unrecorded.
    pub async fn audit(
        &self,
        tenant_id: &str,
        account_id: Option<String>,
        who: &Who,
        change: Change<'_>,
    ) -> Result<uuid::Uuid, AppendError> {
        let event = admin_record(account_id, who, change);
        let id = event.id;
        self.append(tenant_id, &who.written_by, &[event])
            .await
            .map(|_| id)
    }

    /// Appends several admin actions by one actor in one append (all or none).
    pub async fn audit_all<'a>(
        &self,
        tenant_id: &str,
        who: &Who,
        changes: impl IntoIterator<Item = (Option<String>, Change<'a>)>,
    ) -> Result<(), AppendError> {
        let events: Vec<NewEvent> = changes
            .into_iter()
            .map(|(account, change)| admin_record(account, who, change))
            .collect();
        if events.is_empty() {
            return Ok(());
        }
        self.append(tenant_id, &who.written_by, &events)
            .await
            .map(drop)
    }
}
