//! A job's history, and cancelling it.

#[cfg(feature = "ssr")]
use super::error::ConsoleError;
use super::error::ConsoleResult;
use crate::model::Event;
#[cfg(feature = "ssr")]
use crate::model::JobKey;
use leptos::prelude::*;

/// A job's status history (every record of the job), oldest first; `account_id`
/// absent for a tenant-level job.
#[server]
pub async fn job_history(job_id: String, account_id: Option<String>) -> ConsoleResult<Vec<Event>> {
    let job = JobKey { account_id, job_id };
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        check_job(&job)?;
        Ok(store.job_history(&viewer.scope, &job).await?)
    })
    .await
}

/// Requests cancellation of a queued or running job: appends a `job.cancel_requested`
/// admin action and forwards it to the tenant's control webhook, if one is set.
/// A form's fields: `account_id` absent for a tenant-level job.
#[server]
pub async fn cancel_job(job_id: String, account_id: Option<String>) -> ConsoleResult<()> {
    use crate::model::{EventDetail, JobStatus};
    use crate::store::audit::{Change, Who};
    use serde_json::json;
    let job = JobKey { account_id, job_id };
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        check_job(&job)?;
        let history = store.job_history(&viewer.scope, &job).await?;
        let Some(latest) = history.last() else {
            return Err(ConsoleError::NotFound);
        };
        let EventDetail::Job(state) = &latest.detail else {
            return Err(ConsoleError::NotFound);
        };
        if !store
            .cancel_requests(&viewer.scope, std::slice::from_ref(&job))
            .await?
            .is_empty()
        {
            return Err(ConsoleError::invalid(
                "job_id",
                "a cancel request for this job is already on record",
            ));
        }
        if !matches!(state.status, JobStatus::Queued | JobStatus::Running) {
            return Err(ConsoleError::invalid(
                "job_id",
                format!(
                    "the job is {}: only queued or running jobs can be cancelled",
                    state.status
                ),
            ));
        }
        let request = json!({
            "job_id": job.job_id,
            "account_id": job.account_id,
            "agent": state.agent,
            "status": state.status,
            "requested_by": viewer.email,
        });
        let change = Change {
            action: "job.cancel_requested",
            resource_type: "job",
            resource_id: Some(job.job_id.clone()),
            event_name: "Job cancel requested",
            old_value: Some(json!({"status": state.status})),
            new_value: Some(request.clone()),
        };
        let who = Who::viewer_in(
            &viewer,
            crate::ssr::origin().await,
            latest.account_id.as_deref(),
        );
        let delivery = store
            .audit(
                &viewer.scope.tenant_id,
                latest.account_id.clone(),
                &who,
                change,
            )
            .await?;
        if let Some(hook) = store.control_webhook(&viewer.scope.tenant_id).await? {
            let policy = use_context::<crate::webhook::WebhookPolicy>().unwrap_or_default();
            crate::webhook::forward(hook, delivery, request, policy);
        }
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn check_job(job: &JobKey) -> Result<(), ConsoleError> {
    match job.problem() {
        Some((field, message)) => Err(ConsoleError::invalid(field, message)),
        None => Ok(()),
    }
}
