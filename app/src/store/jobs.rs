//! Jobs: a job's history, its cancel requests, and what the console's Jobs page shows.

use super::sql::push_where;
use super::{with_read, EventQuery, Store, StoreResult};
use crate::model::{EventKind, Scope};
use sqlx::QueryBuilder;

impl Store {
    /// Every record of one job in `scope`, oldest first.
    pub async fn job_history(
        &self,
        scope: &Scope,
        job_id: &str,
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
            // Literal, so the planner can use the partial index on jobs' subjects.
            q.push(" AND kind = 'job' AND subject = ")
                .push_bind(job_id.to_owned());
            q.push(" ORDER BY occurred_at ASC, id ASC LIMIT 500");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(super::row::EventRow::into_event)
            .collect()
    }

    /// Which of `job_ids` have a cancel request on record.
    pub async fn cancel_requests(
        &self,
        scope: &Scope,
        job_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = EventQuery {
            kind: Some(EventKind::AdminAction),
            ..EventQuery::default()
        };
        Ok(with_read!(self, |pool| {
            let mut q = QueryBuilder::new("SELECT DISTINCT subject FROM events WHERE tenant_id = ");
            push_where(&mut q, scope, &query);
            q.push(" AND action = 'job.cancel_requested' AND subject IN (");
            let mut list = q.separated(", ");
            for id in job_ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build_query_scalar().fetch_all(pool).await?
        }))
    }
}
