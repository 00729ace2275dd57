//! Jobs: a job's history, its cancel requests, and what the console's Jobs page shows.
//! A job id is its account's: another account's job of the same id is another job.

use super::read::budgeted;
use super::sql::push_where;
use super::{with_read, EventQuery, Store, StoreResult};
use crate::model::{EventKind, JobKey, Scope};
use sqlx::QueryBuilder;

/// Pushes the condition that a row belongs to `job`'s account.
fn push_job_account<'a, DB: sqlx::Database>(q: &mut QueryBuilder<'a, DB>, job: &JobKey)
where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match &job.account_id {
        Some(a) => q.push(" AND account_id = ").push_bind(a.clone()),
        None => q.push(" AND account_id IS NULL"),
    };
}

impl Store {
    /// One job's records in `scope`, oldest first: its newest 500, or fewer if their
    /// bodies reach a page's byte budget (records are decoded whole).
    pub async fn job_history(
        &self,
        scope: &Scope,
        job: &JobKey,
    ) -> StoreResult<Vec<crate::model::Event>> {
        let query = EventQuery {
            kind: Some(EventKind::Job),
            ..EventQuery::default()
        };
        let rows: Vec<super::row::EventRow> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {} FROM events WHERE tenant_id = ",
                super::row::COLUMNS
            ));
            push_where(&mut q, scope, &query);
            push_job_account(&mut q, job);
            // Literal, so the planner can use the partial index on jobs' subjects.
            q.push(" AND kind = 'job' AND subject = ")
                .push_bind(job.job_id.clone());
            q.push(" ORDER BY occurred_at DESC, seq DESC LIMIT 500");
            budgeted(q.build_query_as().fetch(pool)).await?.rows
        });
        rows.into_iter()
            .rev()
            .map(super::row::EventRow::into_event)
            .collect()
    }

    /// Which of `jobs` have a cancel request on record (in the job's own account).
    pub async fn cancel_requests(
        &self,
        scope: &Scope,
        jobs: &[JobKey],
    ) -> StoreResult<Vec<JobKey>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let query = EventQuery {
            kind: Some(EventKind::AdminAction),
            ..EventQuery::default()
        };
        let found: Vec<(Option<String>, String)> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new(
                "SELECT DISTINCT account_id, subject FROM events WHERE tenant_id = ",
            );
            push_where(&mut q, scope, &query);
            q.push(" AND action = 'job.cancel_requested' AND subject IN (");
            let mut list = q.separated(", ");
            for job in jobs {
                list.push_bind(job.job_id.clone());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(jobs
            .iter()
            .filter(|j| {
                found
                    .iter()
                    .any(|(a, id)| *a == j.account_id && *id == j.job_id)
            })
            .cloned()
            .collect())
    }
}
