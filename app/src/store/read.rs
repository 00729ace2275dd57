//! Reading records back: the console's pages, exports, Live polls, one record by id,
//! and the plan of a page (for the bench).

use super::narrow::Narrow;
use super::planner::{pg_settings, planned};
use super::query::{Cursor, EventQuery, Order, RecordRef};
use super::row::{EventRow, ExportRow, Page, PageRow};
use super::search::explained;
use super::sql::{push_accounts, push_json_page, push_page};
use super::{with_read, Backend, Store, StoreError, StoreResult};
use crate::model::{Event, EventKind, EventPage, JobKey, Scope};
use futures_util::TryStreamExt;
use sqlx::QueryBuilder;

/// Pages of at least this many rows (exports, pulls) are read on the bulk pool, and from
/// SQLite as one value (see `page`).
const BULK_ROWS: u32 = 200;

impl Store {
    /// One page of the console: `list`, shown newest first, with the cursor of the next
    /// page and, on Jobs, which of its jobs have a cancel request.
    pub async fn console_page(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        // Read first: a record appended while the page is read is then polled again
        // rather than missed (Live skips ids it already shows).
        let head = match query.order {
            Order::ChainAscending { after_seq } => after_seq,
            _ => self.chain_position(&scope.tenant_id).await?,
        };
        let (events, next) = self.list(scope, query).await?;
        let (next_cursor, live_after_seq) = match query.order {
            Order::ChainAscending { .. } => (None, events.last().map_or(head, |e| e.seq)),
            _ => (next.map(|c| c.encode()), head),
        };
        let cancel_requested = if query.kind == Some(EventKind::Job) {
            let jobs: Vec<JobKey> = events.iter().filter_map(JobKey::of).collect();
            self.cancel_requests(scope, &jobs).await?
        } else {
            Vec::new()
        };
        Ok(EventPage {
            events,
            next_cursor,
            cancel_requested,
            live_after_seq,
        })
    }

    /// The tenant's last chain position (0 before its first record).
    pub async fn chain_position(&self, tenant_id: &str) -> StoreResult<i64> {
        let seq: Option<i64> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT seq FROM chain_heads WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(seq.unwrap_or(0))
    }

    /// One page of `scope`'s records. Returns the events and the cursor of the next page.
    #[tracing::instrument(skip(self))]
    pub async fn list(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<(Vec<Event>, Option<Cursor>)> {
        let (rows, next) = self.rows::<EventRow>(scope, query).await?;
        let events = rows
            .into_iter()
            .map(EventRow::into_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((events, next))
    }

    /// One page of `scope`'s records as an export writes them: only the columns it
    /// writes, with the body as stored (see `ExportRow`).
    #[tracing::instrument(skip(self))]
    pub async fn export_page(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<(Vec<ExportRow>, Option<Cursor>)> {
        self.rows(scope, query).await
    }

    /// One page of `scope`'s records in chain order after `after_seq`, every column as
    /// stored (what a bundle hashes and writes), with the filters of `query` (its order
    /// and limit replaced). Ends early at the byte budget; empty once none are left.
    #[tracing::instrument(skip(self))]
    pub async fn chain_rows(
        &self,
        scope: &Scope,
        query: &EventQuery,
        after_seq: i64,
    ) -> StoreResult<Vec<EventRow>> {
        let query = EventQuery {
            order: Order::ChainAscending { after_seq },
            latest_per_subject: false,
            ..query.clone()
        };
        Ok(self.rows::<EventRow>(scope, &query).await?.0)
    }

    /// The page's rows as `R`, and the cursor of the next page.
    async fn rows<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<(Vec<R>, Option<Cursor>)> {
        let limit = query.limit.clamp(1, 1000);
        let page = match (&query.search, &query.order) {
            (Some(text), Order::NewestFirst) => {
                self.search_page::<R>(scope, query, text, limit).await?
            }
            _ => {
                self.page::<R>(scope, query, limit, &Narrow::default())
                    .await?
            }
        };
        let more = page.cut || page.rows.len() > limit as usize;
        let mut rows = page.rows;
        rows.truncate(limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => {
                let (occurred_at, seq) = last.position();
                Some(Cursor { occurred_at, seq })
            }
            _ => None,
        };
        Ok((rows, next))
    }

    /// The page's rows, one more than `limit` if there is another page, and fewer if
    /// their bodies reach `R::PAGE_BYTES` (`cut`); a search takes its candidates from
    /// `narrow` when given.
    pub(super) async fn page<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
        limit: u32,
        narrow: &Narrow,
    ) -> StoreResult<Page<R>> {
        if let (Backend::Sqlite { bulk, .. }, true) = (&self.backend, limit >= BULK_ROWS) {
            // sqlx-sqlite hands rows from SQLite's thread to the task one at a time, and
            // at export sizes those hand-offs cost more than the rows: the page crosses
            // as one JSON array of rows instead, cut to the budget in SQL (it is one
            // string, which SQLite caps at 1 GB). An aggregate's order is unspecified, so
            // the page's order is restored here (on rows that already have it: cheap).
            let mut q = QueryBuilder::new("");
            push_json_page(
                &mut q,
                scope,
                query,
                limit,
                R::COLUMNS,
                narrow,
                R::PAGE_BYTES as i64,
            );
            let (json, left_out): (Option<String>, i64) =
                q.build_query_as().fetch_one(bulk).await?;
            let mut rows: Vec<R> =
                serde_json::from_str(json.as_deref().unwrap_or("[]")).map_err(|e| {
                    StoreError::Corrupt {
                        id: "(page)".into(),
                        reason: e.to_string(),
                    }
                })?;
            match query.order {
                Order::NewestFirst => rows.sort_by_key(|r| std::cmp::Reverse(r.position())),
                Order::NewerThan(_) => rows.sort_by_key(|r| r.position()),
                Order::ChainAscending { .. } => rows.sort_by_key(R::seq),
            }
            return Ok(Page {
                rows,
                cut: left_out > 0,
            });
        }
        if let (Backend::Postgres { pool, .. }, Some(settings)) =
            (&self.backend, pg_settings(query, narrow))
        {
            let mut tx = planned(pool, settings).await?;
            let mut q = QueryBuilder::new("");
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            let page = budgeted(q.build_query_as().fetch(&mut *tx)).await?;
            tx.rollback().await?;
            return Ok(page);
        }
        if let (Backend::Postgres { bulk, .. }, true) = (&self.backend, limit >= BULK_ROWS) {
            let mut q = QueryBuilder::new("");
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            return budgeted(q.build_query_as().fetch(bulk)).await;
        }
        Ok(with_read!(self, |pool| {
            let mut q = QueryBuilder::new("");
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            budgeted(q.build_query_as().fetch(pool)).await?
        }))
    }

    /// The database's plan for the page query `list` would run (EXPLAIN on both backends);
    /// for a search, the query that uses the search index (a rare term's).
    pub async fn explain_list(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<Vec<String>> {
        let limit = query.limit.clamp(1, 1000);
        let narrow = explained(self.dialect, query);
        Ok(match &self.backend {
            Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("EXPLAIN QUERY PLAN ");
                push_page(&mut q, scope, query, limit, 0, EventRow::COLUMNS, &narrow);
                let rows: Vec<(i64, i64, i64, String)> = q.build_query_as().fetch_all(read).await?;
                rows.into_iter().map(|r| r.3).collect()
            }
            Backend::Postgres { pool, .. } => {
                // As `page` runs it.
                let mut tx = match pg_settings(query, &narrow) {
                    Some(settings) => planned(pool, settings).await?,
                    None => pool.begin().await?,
                };
                let mut q = QueryBuilder::new("EXPLAIN ");
                push_page(&mut q, scope, query, limit, 0, EventRow::COLUMNS, &narrow);
                let plan = q.build_query_scalar().fetch_all(&mut *tx).await?;
                tx.rollback().await?;
                plan
            }
        })
    }

    /// The records `record` names that `scope` may see (another scope's are simply
    /// absent): one by its chain position; by id, one per account that used the id, at
    /// most `MAX_SAME_ID`.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, scope: &Scope, record: &RecordRef) -> StoreResult<Vec<Event>> {
        let rows: Vec<EventRow> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {} FROM events WHERE tenant_id = ",
                EventRow::COLUMNS
            ));
            q.push_bind(scope.tenant_id.clone());
            match record {
                RecordRef::Seq(seq) => {
                    q.push(" AND seq = ").push_bind(*seq);
                }
                RecordRef::Id { id, account_id } => {
                    q.push(" AND id = ").push_bind(id.to_string());
                    match account_id.as_deref() {
                        Some("") => {
                            q.push(" AND account_id IS NULL");
                        }
                        Some(a) => {
                            q.push(" AND account_id = ").push_bind(a.to_owned());
                        }
                        None => {}
                    }
                }
            }
            push_accounts(&mut q, scope, None);
            q.push(" ORDER BY seq LIMIT ").push_bind(MAX_SAME_ID);
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(EventRow::into_event).collect()
    }
}

/// Reads rows until their bodies reach `R::PAGE_BYTES`: the rows after are not kept
/// (nor, once the stream is dropped, read).
pub(super) async fn budgeted<R, S>(mut rows: S) -> StoreResult<Page<R>>
where
    R: PageRow,
    S: futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    let (mut page, mut bytes) = (Vec::new(), 0);
    while let Some(row) = rows.try_next().await? {
        if bytes >= R::PAGE_BYTES {
            return Ok(Page {
                rows: page,
                cut: true,
            });
        }
        bytes += row.body_len();
        page.push(row);
    }
    Ok(Page {
        rows: page,
        cut: false,
    })
}

/// The most records one id lookup returns (a tenant's accounts may each use an id).
const MAX_SAME_ID: i64 = 20;
