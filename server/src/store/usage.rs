//! Aggregates for the Usage tab, computed in the database over the selection.

use super::events::push_where;
use super::{with_read, with_write, EventQuery, Store, StoreResult};
use app::model::{EventKind, Micros, Scope, UsageReport, UsageRow};
use sqlx::QueryBuilder;

#[derive(sqlx::FromRow)]
struct Sums {
    name: Option<String>,
    records: i64,
    executions: i64,
    credits: i64,
    tokens_in: i64,
    tokens_out: i64,
    cost: i64,
}

/// Rows per aggregate table: the heaviest users, workers and models.
const TOP: i64 = 25;

impl Store {
    /// Sums over `query`'s selection (its kind is replaced per aggregate).
    #[tracing::instrument(skip(self))]
    pub async fn usage(&self, scope: &Scope, query: &EventQuery) -> StoreResult<UsageReport> {
        let credits = EventQuery {
            kind: Some(EventKind::CreditUsage),
            latest_per_subject: false,
            ..query.clone()
        };
        let credits_by_user = self.sums(scope, &credits, None, "actor", "credits").await?;
        let credits_by_worker = self.sums(scope, &credits, None, "agent", "credits").await?;
        let tokens = EventQuery {
            kind: None,
            latest_per_subject: false,
            ..query.clone()
        };
        let token_kinds = Some(&[EventKind::AiInteraction, EventKind::Job][..]);
        Ok(UsageReport {
            credits_by_user,
            credits_by_worker,
            tokens_by_user: self
                .sums(scope, &tokens, token_kinds, "actor", "tokens")
                .await?,
            tokens_by_agent: self
                .sums(scope, &tokens, token_kinds, "agent", "tokens")
                .await?,
            tokens_by_model: self
                .sums(scope, &tokens, token_kinds, "model", "tokens")
                .await?,
        })
    }

    /// `SUM`s grouped by `group` (a fixed column name, never input), biggest first.
    async fn sums(
        &self,
        scope: &Scope,
        query: &EventQuery,
        kinds: Option<&[EventKind]>,
        group: &'static str,
        order_by: &'static str,
    ) -> StoreResult<Vec<UsageRow>> {
        let rows: Vec<Sums> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {group} AS name, COUNT(*) AS records, \
                 CAST(COALESCE(SUM(executions), 0) AS BIGINT) AS executions, \
                 CAST(COALESCE(SUM(credits_micros), 0) AS BIGINT) AS credits, \
                 CAST(COALESCE(SUM(tokens_in), 0) AS BIGINT) AS tokens_in, \
                 CAST(COALESCE(SUM(tokens_out), 0) AS BIGINT) AS tokens_out, \
                 CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost \
                 FROM events WHERE tenant_id = "
            ));
            push_where(&mut q, scope, query);
            if let Some(kinds) = kinds {
                q.push(" AND kind IN (");
                let mut list = q.separated(", ");
                for k in kinds {
                    list.push_bind(k.as_str().to_owned());
                }
                q.push(")");
            }
            q.push(format!(" GROUP BY {group} ORDER BY "));
            q.push(if order_by == "credits" {
                "credits"
            } else {
                "COALESCE(SUM(tokens_in), 0) + COALESCE(SUM(tokens_out), 0)"
            });
            q.push(" DESC LIMIT ").push_bind(TOP);
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| UsageRow {
                name: r.name.unwrap_or_else(|| "(none)".into()),
                records: r.records,
                executions: r.executions,
                credits: Micros::from_micros(r.credits),
                input_tokens: r.tokens_in,
                output_tokens: r.tokens_out,
                cost: Micros::from_micros(r.cost),
            })
            .collect())
    }

    /// Every record of one job in `scope`, oldest first.
    pub async fn job_history(
        &self,
        scope: &Scope,
        job_id: &str,
    ) -> StoreResult<Vec<app::model::Event>> {
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
            q.push(" AND subject = ").push_bind(job_id.to_owned());
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

    /// Where the tenant wants job cancel requests forwarded, if anywhere.
    pub async fn control_webhook(&self, tenant_id: &str) -> StoreResult<Option<String>> {
        let url: Option<Option<String>> = with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT control_webhook_url FROM tenant_settings WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(url.flatten())
    }

    pub async fn set_control_webhook(&self, tenant_id: &str, url: Option<&str>) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, control_webhook_url) VALUES ($1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET control_webhook_url = excluded.control_webhook_url",
            )
            .bind(tenant_id)
            .bind(url)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
