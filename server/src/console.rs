//! The console's view of the store, handed to server functions as context.
//! Every method takes the viewer's scope from the session, never from the client.

use crate::audit::{self, Change, Who};
use crate::store::{from_ms, ApiKeyRow, Cursor, EventQuery, Order, Store};
use app::model::{
    AccountInfo, ApiKeyInfo, ConsoleQuery, Event, EventDetail, EventKind, EventPage, JobStatus,
    NewKeyShown, Role, UsageReport, Viewer,
};
use app::ssr::{BackendError, BoxFuture, ConsoleBackend, ListRequest, Origin};
use serde_json::json;

pub struct StoreBackend(pub Store);

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    tracing::error!(error = %e, "console backend failed");
    BackendError::Unavailable
}

/// A search the console cannot run (too short for the tab) is the caller's mistake.
fn check_search(query: &ConsoleQuery) -> Result<(), BackendError> {
    match query.search_problem() {
        Some(message) => Err(BackendError::Invalid {
            field: "search",
            message,
        }),
        None => Ok(()),
    }
}

fn who(viewer: &Viewer, origin: Origin) -> Who {
    Who::from_origin(&viewer.email, origin)
}

fn key_info(k: ApiKeyRow) -> ApiKeyInfo {
    ApiKeyInfo {
        id: k.id,
        prefix: k.prefix,
        name: k.name,
        account_id: k.account_id,
        created_at: from_ms(k.created_at),
        revoked_at: k.revoked_at.map(from_ms),
    }
}

impl StoreBackend {
    async fn keys_in_reach(&self, viewer: &Viewer) -> Result<Vec<ApiKeyRow>, BackendError> {
        self.0
            .api_keys_of(&viewer.scope.tenant_id, viewer.scope.accounts.as_deref())
            .await
            .map_err(unavailable)
    }
}

impl ConsoleBackend for StoreBackend {
    fn recent_events<'a>(
        &'a self,
        viewer: &'a Viewer,
        request: ListRequest,
    ) -> BoxFuture<'a, Result<EventPage, BackendError>> {
        Box::pin(async move {
            check_search(&request.query)?;
            // The account filter narrows within the scope; outside it, it matches nothing.
            let mut query = EventQuery::from_console(&request.query, chrono::Utc::now());
            query.cursor = request
                .cursor
                .map(|c| {
                    Cursor::decode(&c).ok_or(BackendError::Invalid {
                        field: "cursor",
                        message: "not a cursor this page produced".into(),
                    })
                })
                .transpose()?;
            query.limit = request.limit;
            if let Some((occurred_at, id)) = request.newer_than {
                let id = id
                    .parse::<uuid::Uuid>()
                    .map_err(|_| BackendError::Invalid {
                        field: "after_id",
                        message: "not a record id".into(),
                    })?;
                query.order = Order::NewerThan(Cursor {
                    occurred_at,
                    id: id.to_string(),
                });
            }
            let (mut events, next) = self
                .0
                .list(&viewer.scope, &query)
                .await
                .map_err(unavailable)?;
            let next_cursor = match query.order {
                Order::NewerThan(_) => {
                    events.reverse(); // polled oldest first; shown newest first
                    None
                }
                _ => next.map(|c| c.encode()),
            };
            let cancel_requested = if request.query.kind == Some(EventKind::Job) {
                let ids: Vec<String> = events
                    .iter()
                    .filter_map(|e| match &e.detail {
                        EventDetail::Job(j) => Some(j.job_id.clone()),
                        _ => None,
                    })
                    .collect();
                self.0
                    .cancel_requests(&viewer.scope, &ids)
                    .await
                    .map_err(unavailable)?
            } else {
                Vec::new()
            };
            Ok(EventPage {
                events,
                next_cursor,
                cancel_requested,
            })
        })
    }

    fn usage<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: ConsoleQuery,
    ) -> BoxFuture<'a, Result<UsageReport, BackendError>> {
        Box::pin(async move {
            check_search(&query)?;
            let query = EventQuery::from_console(&query, chrono::Utc::now());
            self.0
                .usage(&viewer.scope, &query)
                .await
                .map_err(unavailable)
        })
    }

    fn job_history<'a>(
        &'a self,
        viewer: &'a Viewer,
        job_id: String,
    ) -> BoxFuture<'a, Result<Vec<Event>, BackendError>> {
        Box::pin(async move {
            self.0
                .job_history(&viewer.scope, &job_id)
                .await
                .map_err(unavailable)
        })
    }

    fn cancel_job<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        job_id: String,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let history = self
                .0
                .job_history(&viewer.scope, &job_id)
                .await
                .map_err(unavailable)?;
            let Some(latest) = history.last() else {
                return Err(BackendError::NotFound);
            };
            let EventDetail::Job(job) = &latest.detail else {
                return Err(BackendError::NotFound);
            };
            if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
                return Err(BackendError::Invalid {
                    field: "job_id",
                    message: format!(
                        "the job is {}: only queued or running jobs can be cancelled",
                        job.status
                    ),
                });
            }
            let request = json!({"job_id": job_id, "agent": job.agent, "status": job.status, "requested_by": viewer.email});
            let change = Change {
                action: "job.cancel_requested",
                resource_type: "job",
                resource_id: Some(job_id.clone()),
                event_name: "Job cancel requested",
                old_value: Some(json!({"status": job.status})),
                new_value: Some(request.clone()),
            };
            audit::record(
                &self.0,
                &viewer.scope.tenant_id,
                latest.account_id.clone(),
                &who(viewer, origin),
                change,
            )
            .await
            .map_err(unavailable)?;
            if let Some(url) = self
                .0
                .control_webhook(&viewer.scope.tenant_id)
                .await
                .map_err(unavailable)?
            {
                crate::webhook::forward(url, request);
            }
            Ok(())
        })
    }

    fn event<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Event>, BackendError>> {
        Box::pin(async move {
            let Ok(id) = id.parse() else {
                return Ok(None);
            };
            self.0.get(&viewer.scope, id).await.map_err(unavailable)
        })
    }

    fn accounts<'a>(
        &'a self,
        viewer: &'a Viewer,
    ) -> BoxFuture<'a, Result<Vec<AccountInfo>, BackendError>> {
        Box::pin(async move {
            let all = self
                .0
                .accounts_of(&viewer.scope.tenant_id)
                .await
                .map_err(unavailable)?;
            Ok(all
                .into_iter()
                .filter(|(id, _)| viewer.scope.allows_account(Some(id)))
                .map(|(id, name)| AccountInfo { id, name })
                .collect())
        })
    }

    fn api_keys<'a>(
        &'a self,
        viewer: &'a Viewer,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyInfo>, BackendError>> {
        Box::pin(async move {
            Ok(self
                .keys_in_reach(viewer)
                .await?
                .into_iter()
                .map(key_info)
                .collect())
        })
    }

    fn create_api_key<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        name: String,
        account: Option<String>,
    ) -> BoxFuture<'a, Result<NewKeyShown, BackendError>> {
        Box::pin(async move {
            let name = name.trim().to_owned();
            if name.is_empty() || name.len() > 100 {
                return Err(BackendError::Invalid {
                    field: "name",
                    message: "give the key a name of at most 100 characters".into(),
                });
            }
            match (&account, viewer.role) {
                (None, Role::AccountAdmin) => {
                    return Err(BackendError::Invalid {
                        field: "account",
                        message: "account admins create keys for one of their accounts".into(),
                    })
                }
                (Some(a), _) if !viewer.scope.allows_account(Some(a)) => {
                    return Err(BackendError::NotFound)
                }
                _ => {}
            }
            let key = crate::auth::api_key::create_key(
                &self.0,
                &viewer.scope.tenant_id,
                account.as_deref(),
                &name,
            )
            .await
            .map_err(
                |e| match e.downcast_ref::<crate::auth::api_key::KeyError>() {
                    Some(_) => BackendError::NotFound,
                    None => unavailable(e),
                },
            )?;
            let change = Change {
                action: "create",
                resource_type: "api_key",
                resource_id: Some(key.id.clone()),
                event_name: "API key created",
                old_value: None,
                new_value: Some(json!({"prefix": key.prefix, "name": name, "account_id": account})),
            };
            audit::record(
                &self.0,
                &viewer.scope.tenant_id,
                account,
                &who(viewer, origin),
                change,
            )
            .await
            .map_err(unavailable)?;
            Ok(NewKeyShown {
                id: key.id,
                prefix: key.prefix,
                plaintext: key.plaintext,
            })
        })
    }

    fn deactivate_api_key<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        id: String,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let key = self
                .keys_in_reach(viewer)
                .await?
                .into_iter()
                .find(|k| k.id == id)
                .ok_or(BackendError::NotFound)?;
            let now = chrono::Utc::now().timestamp_millis();
            if !self
                .0
                .revoke_api_key(&key.id, now)
                .await
                .map_err(unavailable)?
            {
                return Ok(()); // already deactivated: nothing changed, nothing to audit
            }
            let change = Change {
                action: "deactivate",
                resource_type: "api_key",
                resource_id: Some(key.id.clone()),
                event_name: "API key deactivated",
                old_value: Some(json!({"active": true})),
                new_value: Some(json!({"active": false, "prefix": key.prefix})),
            };
            audit::record(
                &self.0,
                &viewer.scope.tenant_id,
                key.account_id,
                &who(viewer, origin),
                change,
            )
            .await
            .map_err(unavailable)
        })
    }
}
