//! Records as appended (see commit.rs), and reading them back: pages by keyset,
//! filters, Live polls and search.

use super::row::{EventRow, ExportRow, PageRow};
use super::{to_ms, with_read, Store, StoreError, StoreResult};
use crate::model::{
    ActorType, Column, Condition, ConsoleQuery, Event, EventDetail, EventKind, EventPage, Join, Op,
    Scope,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

/// A validated record ready to append (built from wire input at the ingest edge).
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub account_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub actor_type: ActorType,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub detail: EventDetail,
}

/// Where an appended record landed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppendOutcome {
    pub id: Uuid,
    pub seq: i64,
    /// The id was already stored: nothing was written for it.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("account {account_id} is not an account of this tenant")]
    UnknownAccount { index: usize, account_id: String },
    #[error("id {id} is already used")]
    IdTaken { index: usize, id: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        AppendError::Store(StoreError::Db(e))
    }
}

/// The position after which the next page starts: (occurred_at, id) of the last row shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.occurred_at, self.id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (ms, id) = raw.split_once(':')?;
        Some(Cursor {
            occurred_at: ms.parse().ok()?,
            id: id.parse::<Uuid>().ok()?.to_string(),
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first by occurred-at: what the console shows.
    #[default]
    NewestFirst,
    /// Oldest first by chain position: for SIEM pulls that must miss nothing.
    ChainAscending { after_seq: i64 },
    /// Oldest first after a position: what Live mode polls for.
    NewerThan(Cursor),
}

#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    pub kind: Option<EventKind>,
    pub account_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<Cursor>,
    pub order: Order,
    pub limit: u32,
    /// Conditions that must all hold.
    pub all_of: Vec<Condition>,
    /// Conditions combined by `join` (the console's filter builder).
    pub builder: Vec<Condition>,
    /// `None` is AND.
    pub join: Option<Join>,
    pub search: Option<String>,
    /// Only the newest record of each subject (a job's current state).
    pub latest_per_subject: bool,
}

/// The search index a backend has (see migrations 0003).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchIndex {
    /// SQLite: an FTS5 trigram table per kind, `search_<kind>`, keyed by rowid, in
    /// a file of its own that an indexer keeps (see search_file.rs).
    Fts5,
    /// PostgreSQL: a pg_trgm GIN index on the lowered searchable columns.
    Trigram,
}

/// How a search page takes candidates from the search index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidates {
    /// Walk the tab's time index, keeping rows among FTS5's matches (SQLite, whose FTS5
    /// hands them out lazily; PostgreSQL walks on the exact condition alone).
    Filter,
    /// Read the index's (few) matches and sort them: by rowid from SQLite's FTS5, or
    /// from the kind's trigram index on PostgreSQL with the planner kept off the tab's
    /// time index.
    Lookup(SearchIndex),
    /// The Jobs tab: read the (few) job heads whose id or model starts with the term
    /// from the heads' prefix indexes, and sort them.
    HeadPrefix(SearchIndex),
}

impl Candidates {
    fn is_lookup(self) -> bool {
        matches!(self, Candidates::Lookup(_))
    }

    /// Whether the page reads a few candidates and sorts them: the planner must not
    /// walk a time index instead.
    fn reads_few(self) -> bool {
        matches!(self, Candidates::Lookup(_) | Candidates::HeadPrefix(_))
    }
}

/// What narrows a page beyond its query: a search's candidates, or its window.
#[derive(Clone, Debug, Default)]
struct Narrow {
    candidates: Option<Candidates>,
    /// The oldest row a search window reaches (inclusive): a position rather than a
    /// time, as many records can share a millisecond.
    floor: Option<Cursor>,
    /// A search window as a subquery: the newest this many rows the other filters
    /// select, searched in one statement (PostgreSQL, where finding the floor first
    /// meant reading those rows' heap twice).
    window: Option<u32>,
}

impl Narrow {
    fn to(candidates: Candidates) -> Narrow {
        Narrow {
            candidates: Some(candidates),
            ..Narrow::default()
        }
    }
}

/// A search walks at most this many of the newest records the other filters select
/// first (at least 20 pages): enough for a term in one record in twenty to fill a page.
/// The walk checks the exact condition on every row (on PostgreSQL, `lower()` calls are
/// most of its time): at 2,000 rows it cost more than reading a rarer term's matches.
const SEARCH_WINDOW: u32 = 1000;

/// A term with at most this many matches in its kind (as the search index counts them)
/// has them read one by one and sorted.
const SEARCH_LOOKUP_MAX: i64 = 2000;

/// Fewer matches than this in a search's window: too sparse among the newest records to
/// walk on (see `search_page`).
const SPARSE_IN_WINDOW: usize = 3;

/// Pages of at least this many rows are read from SQLite as one value (see `page`).
const BULK_ROWS: u32 = 200;

impl EventQuery {
    /// The console's selection, at `now`, as a store query.
    pub fn from_console(q: &ConsoleQuery, now: DateTime<Utc>) -> EventQuery {
        let (from, until) = q.range.bounds(now);
        EventQuery {
            kind: q.kind,
            account_id: q.account.clone(),
            from,
            until,
            all_of: q.quick.clone(),
            builder: q.builder.clone(),
            join: q.join,
            search: q.search.clone(),
            latest_per_subject: q.kind == Some(EventKind::Job),
            ..EventQuery::default()
        }
    }
}

/// The stored column a console filter reads (the kind fixes its meaning; see row.rs).
fn sql_column(c: Column) -> &'static str {
    match c {
        Column::Status | Column::Severity | Column::Dlp => "status",
        Column::Source | Column::ResourceType | Column::Provider => "category",
        Column::Agent => "agent",
        Column::User => "actor",
        Column::Model => "model",
        Column::Action => "action",
        Column::Account => "account_id",
    }
}

/// One condition as SQL. "is not equal" also matches records without the value.
fn push_condition<'a, DB: sqlx::Database>(q: &mut QueryBuilder<'a, DB>, c: &Condition)
where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let col = sql_column(c.column);
    // DLP "flagged" is every verdict but clean.
    let (col_op, value) = match (c.column, c.value.as_str(), c.op) {
        (Column::Dlp, "flagged", Op::Eq) => ("status <> ", "clean".to_owned()),
        (Column::Dlp, "flagged", Op::Ne) => ("status = ", "clean".to_owned()),
        (_, _, Op::Eq) => ("", c.value.clone()),
        (_, _, Op::Ne) => ("", c.value.clone()),
    };
    if !col_op.is_empty() {
        q.push("(").push(col_op).push_bind(value).push(")");
        return;
    }
    match c.op {
        Op::Eq => {
            q.push("(").push(col).push(" = ").push_bind(value).push(")");
        }
        Op::Ne => {
            q.push("(")
                .push(col)
                .push(" IS NULL OR ")
                .push(col)
                .push(" <> ")
                .push_bind(value)
                .push(")");
        }
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards in `text` taken literally.
fn like_pattern(text: &str, prefix_only: bool) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}

impl Store {
    /// One page of the console: `list`, shown newest first, with the cursor of the next
    /// page and, on Jobs, which of its jobs have a cancel request.
    pub async fn console_page(&self, scope: &Scope, query: &EventQuery) -> StoreResult<EventPage> {
        let (mut events, next) = self.list(scope, query).await?;
        let next_cursor = match query.order {
            Order::NewerThan(_) => {
                events.reverse(); // polled oldest first; shown newest first
                None
            }
            _ => next.map(|c| c.encode()),
        };
        let cancel_requested = if query.kind == Some(EventKind::Job) {
            let ids: Vec<String> = events
                .iter()
                .filter_map(|e| match &e.detail {
                    EventDetail::Job(j) => Some(j.job_id.clone()),
                    _ => None,
                })
                .collect();
            self.cancel_requests(scope, &ids).await?
        } else {
            Vec::new()
        };
        Ok(EventPage {
            events,
            next_cursor,
            cancel_requested,
        })
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

    /// The page's rows as `R`, and the cursor of the next page.
    async fn rows<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<(Vec<R>, Option<Cursor>)> {
        let limit = query.limit.clamp(1, 1000);
        let mut rows = match (&query.search, &query.order) {
            (Some(text), Order::NewestFirst) => {
                self.search_page::<R>(scope, query, text, limit).await?
            }
            _ => {
                self.page::<R>(scope, query, limit, &Narrow::default())
                    .await?
            }
        };
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => {
                let (occurred_at, id) = last.position();
                Some(Cursor {
                    occurred_at,
                    id: id.to_owned(),
                })
            }
            _ => None,
        };
        Ok((rows, next))
    }

    /// The page's rows, one more than `limit` if there is another page; a search takes
    /// its candidates from `candidates` when given.
    async fn page<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
        limit: u32,
        narrow: &Narrow,
    ) -> StoreResult<Vec<R>> {
        if let (super::Backend::Sqlite { bulk, .. }, true) = (&self.backend, limit >= BULK_ROWS) {
            // sqlx-sqlite hands rows from SQLite's thread to the task one at a time, and
            // at export sizes those hand-offs cost more than the rows: the page crosses
            // as one JSON array of rows instead. An aggregate's order is unspecified, so
            // the page's order is restored here (on rows that already have it: cheap).
            let mut q = QueryBuilder::new(format!(
                "SELECT json_group_array(json_array({})) FROM (",
                R::COLUMNS
            ));
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            q.push(")");
            let json: String = q.build_query_scalar().fetch_one(bulk).await?;
            let mut rows: Vec<R> =
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    id: "(page)".into(),
                    reason: e.to_string(),
                })?;
            match query.order {
                Order::NewestFirst => rows.sort_by(|a, b| b.position().cmp(&a.position())),
                Order::NewerThan(_) => rows.sort_by(|a, b| a.position().cmp(&b.position())),
                Order::ChainAscending { .. } => rows.sort_by_key(R::seq),
            }
            return Ok(rows);
        }
        if let (super::Backend::Postgres(pool), Some(settings)) =
            (&self.backend, pg_settings(query, narrow))
        {
            let mut tx = planned(pool, settings).await?;
            let mut q = QueryBuilder::new("");
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            let rows = q.build_query_as().fetch_all(&mut *tx).await?;
            tx.rollback().await?;
            return Ok(rows);
        }
        Ok(with_read!(self, |pool| {
            let mut q = QueryBuilder::new("");
            push_page(&mut q, scope, query, limit, 0, R::COLUMNS, narrow);
            q.build_query_as().fetch_all(pool).await?
        }))
    }

    /// A search's page. A term with few matches in the tab's kind (as the search index
    /// counts them) has them read from the index. A common term fills the page among the
    /// newest records, so those are walked (bounded); failing both, the tab is walked
    /// keeping the index's candidates. FTS5 counts lazily, so SQLite counts first;
    /// PostgreSQL must build a bitmap of every match to count, so it walks first. The
    /// exact condition is checked on every row in every path.
    async fn search_page<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
        text: &str,
        limit: u32,
    ) -> StoreResult<Vec<R>> {
        let index = self.search_index();
        // Jobs: the heads starting with the term, counted on their prefix indexes; more
        // than a lookup reads means the search index would count more still.
        let heads_counted = match self.head_prefix(query, text) {
            Some(prefix) => {
                let cap = self.head_lookup_max();
                if self.heads_with_prefix(scope, &prefix, cap).await? <= cap {
                    let heads = Narrow::to(Candidates::HeadPrefix(index));
                    return self.page(scope, query, limit, &heads).await;
                }
                true
            }
            None => false,
        };
        // Trigrams need three characters; PostgreSQL's indexes are per kind.
        let indexed = text.chars().count() >= 3;
        let countable =
            indexed && !heads_counted && (index == SearchIndex::Fts5 || query.kind.is_some());
        let lookup = Narrow::to(Candidates::Lookup(index));
        let count_first = index == SearchIndex::Fts5;
        if count_first && countable && self.few_matches(query.kind, text).await? {
            return self.page(scope, query, limit, &lookup).await;
        }
        let window = SEARCH_WINDOW.max(limit.saturating_mul(20));
        let in_window = match self.search_window(scope, query, limit, window).await? {
            Ok(rows) => return Ok(rows),
            Err(matches) => matches,
        };
        // PostgreSQL: few matches are read from the index. So are many when hardly any are
        // among the newest records: walking on to fill the page would read about
        // window × page ÷ matches rows (over 50,000 for a term in 1 of 4,096).
        if !count_first
            && countable
            && (in_window < SPARSE_IN_WINDOW || self.few_matches(query.kind, text).await?)
        {
            return self.page(scope, query, limit, &lookup).await;
        }
        let narrow = match (indexed, index) {
            (true, SearchIndex::Fts5) => Narrow::to(Candidates::Filter),
            // A shorter term, or PostgreSQL (see `pg_settings`), walks the tab.
            _ => Narrow::default(),
        };
        self.page(scope, query, limit, &narrow).await
    }

    /// Whether the search index matches `text` at most `SEARCH_LOOKUP_MAX` times in
    /// `kind` (in every tenant).
    async fn few_matches(&self, kind: Option<EventKind>, text: &str) -> StoreResult<bool> {
        Ok(self.search_matches(kind, text, SEARCH_LOOKUP_MAX).await? <= SEARCH_LOOKUP_MAX)
    }

    /// At most how many job heads a Jobs search reads one by one. PostgreSQL counts
    /// them from the heap, in the index's order (random): 2,000 took 12 ms.
    fn head_lookup_max(&self) -> i64 {
        match self.backend {
            super::Backend::Sqlite { .. } => SEARCH_LOOKUP_MAX,
            super::Backend::Postgres(_) => SEARCH_LOOKUP_MAX / 4,
        }
    }

    /// The range a Jobs search looks up among the heads' prefix indexes: the lowered
    /// term, ASCII only, where both databases' `lower` (which the indexes hold) agrees
    /// with ours.
    fn head_prefix(&self, query: &EventQuery, text: &str) -> Option<PrefixRange> {
        let heads = query.latest_per_subject && query.kind == Some(EventKind::Job);
        heads.then(|| PrefixRange::of(text)).flatten()
    }

    /// How many of the tenant's job heads have an id or model starting with `prefix`,
    /// counting no further than `cap + 1`.
    async fn heads_with_prefix(
        &self,
        scope: &Scope,
        prefix: &PrefixRange,
        cap: i64,
    ) -> StoreResult<i64> {
        // A head in both ranges counts twice: the count only decides how to read.
        match &self.backend {
            super::Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("SELECT count(*) FROM (");
                push_head_prefix_rowids(&mut q, &scope.tenant_id, prefix);
                q.push(" LIMIT ").push_bind(cap + 1).push(")");
                Ok(q.build_query_scalar().fetch_one(read).await?)
            }
            super::Backend::Postgres(pool) => {
                // Each range in its index's order, so that the planner reads the index
                // and stops (it chose bitmaps of every match, or the key's index).
                let mut q = QueryBuilder::new("SELECT count(*) FROM (");
                for (i, column) in HEAD_PREFIX_COLUMNS.iter().enumerate() {
                    let key = prefix_key(SearchIndex::Trigram, column);
                    if i > 0 {
                        q.push(" UNION ALL ");
                    }
                    q.push("(SELECT 1 FROM job_heads WHERE tenant_id = ")
                        .push_bind(scope.tenant_id.clone())
                        .push(" AND ");
                    prefix.push_on(&mut q, &key);
                    q.push(format!(" ORDER BY {key} LIMIT "))
                        .push_bind(cap + 1)
                        .push(")");
                }
                q.push(" LIMIT ").push_bind(cap + 1).push(") c");
                let mut tx = planned(pool, &[("max_parallel_workers_per_gather", "0")]).await?;
                let n = q.build_query_scalar().fetch_one(&mut *tx).await?;
                tx.rollback().await?;
                Ok(n)
            }
        }
    }

    /// The search's page among the `window` newest records the other filters select, or
    /// (`Err`) how many matches the window holds if too few to fill it.
    async fn search_window<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
        limit: u32,
        window: u32,
    ) -> StoreResult<Result<Vec<R>, usize>> {
        let filled = |rows: Vec<R>| match rows.len() > limit as usize {
            true => Ok(rows),
            false => Err(rows.len()),
        };
        if let super::Backend::Postgres(_) = self.backend {
            let within = Narrow {
                window: Some(window),
                ..Narrow::default()
            };
            return Ok(filled(self.page(scope, query, limit, &within).await?));
        }
        let others = EventQuery {
            search: None,
            ..query.clone()
        };
        // The window's oldest record; none: few enough to walk them all.
        let floor: Option<(i64, String)> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new("");
            let select = "occurred_at, id";
            push_page(
                &mut q,
                scope,
                &others,
                0,
                window - 1,
                select,
                &Narrow::default(),
            );
            q.build_query_as().fetch_optional(pool).await?
        });
        let Some((occurred_at, id)) = floor else {
            return self
                .page(scope, query, limit, &Narrow::default())
                .await
                .map(Ok);
        };
        let window = Narrow {
            floor: Some(Cursor { occurred_at, id }),
            ..Narrow::default()
        };
        Ok(filled(self.page(scope, query, limit, &window).await?))
    }

    /// How many records of `kind` (every kind if none; SQLite only) in every tenant the
    /// search index matches for `text`, counting no further than `cap + 1`.
    async fn search_matches(
        &self,
        kind: Option<EventKind>,
        text: &str,
        cap: i64,
    ) -> StoreResult<i64> {
        match &self.backend {
            super::Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("SELECT count(*) FROM (");
                push_fts_rowids(&mut q, kind, text);
                q.push(" LIMIT ").push_bind(cap + 1).push(")");
                Ok(q.build_query_scalar().fetch_one(read).await?)
            }
            super::Backend::Postgres(pool) => {
                let (prefix_only, columns) = search_columns(kind);
                let mut q = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM events WHERE ");
                push_trigram_conditions(&mut q, kind, text, prefix_only, columns);
                q.push(" LIMIT ").push_bind(cap + 1).push(") c");
                let mut tx = index_only(pool).await?;
                let n = q.build_query_scalar().fetch_one(&mut *tx).await?;
                tx.rollback().await?;
                Ok(n)
            }
        }
    }

    pub(crate) fn search_index(&self) -> SearchIndex {
        match self.backend {
            super::Backend::Sqlite { .. } => SearchIndex::Fts5,
            super::Backend::Postgres(_) => SearchIndex::Trigram,
        }
    }

    /// The database's plan for the page query `list` would run (EXPLAIN on both backends);
    /// for a search, the query that uses the search index (a rare term's).
    pub async fn explain_list(
        &self,
        scope: &Scope,
        query: &EventQuery,
    ) -> StoreResult<Vec<String>> {
        let limit = query.limit.clamp(1, 1000);
        let narrow = match (&query.search, self.search_index()) {
            (None, _) => Narrow::default(),
            (Some(text), index) if self.head_prefix(query, text).is_some() => {
                Narrow::to(Candidates::HeadPrefix(index))
            }
            (Some(_), index) => Narrow::to(Candidates::Lookup(index)),
        };
        Ok(match &self.backend {
            super::Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("EXPLAIN QUERY PLAN ");
                push_page(&mut q, scope, query, limit, 0, EventRow::COLUMNS, &narrow);
                let rows: Vec<(i64, i64, i64, String)> = q.build_query_as().fetch_all(read).await?;
                rows.into_iter().map(|r| r.3).collect()
            }
            super::Backend::Postgres(pool) => {
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

    /// One record by id, if `scope` may see it. Another scope's record is simply absent.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, scope: &Scope, id: Uuid) -> StoreResult<Option<Event>> {
        let sql = format!(
            "SELECT {} FROM events WHERE id = $1 AND tenant_id = $2",
            EventRow::COLUMNS
        );
        let row: Option<EventRow> = with_read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(id.to_string())
                .bind(&scope.tenant_id)
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(r) if scope.allows_account(r.account_id.as_deref()) => Ok(Some(r.into_event()?)),
            _ => Ok(None),
        }
    }
}

/// The whole page query `list` runs (and `explain_list` explains): `select` of up to
/// `limit + 1` rows after skipping `offset`.
fn push_page<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    scope: &Scope,
    query: &EventQuery,
    limit: u32,
    offset: u32,
    select: &str,
    narrow: &Narrow,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    // Reading a few candidates by rowid: no index may take over the walk, and a job's
    // record is checked to be its head by the heads' key instead.
    let lookup = narrow.candidates.is_some_and(Candidates::is_lookup);
    let heads =
        query.latest_per_subject && !matches!(query.order, Order::ChainAscending { .. }) && !lookup;
    if heads {
        // A job's current state is its head, kept at ingest: the page is chosen among
        // heads (indexed per filter), then its records are read by id. A few heads read
        // by rowid: as for a lookup, no index may take over the walk.
        let heads_table = match narrow.candidates {
            Some(Candidates::HeadPrefix(SearchIndex::Fts5)) => "job_heads NOT INDEXED",
            _ => "job_heads",
        };
        q.push(format!(
            "SELECT {select} FROM events WHERE id IN (SELECT id FROM "
        ));
        match narrow.window {
            Some(n) => push_window(q, scope, query, n, "job_heads", true),
            None => {
                q.push(heads_table);
            }
        }
        q.push(" WHERE tenant_id = ");
        push_where_on(q, scope, query, true, narrow);
        push_order(q, query, limit, offset);
        q.push(")");
        q.push(" ORDER BY ").push(order_terms(query));
    } else {
        let table = if narrow.candidates == Some(Candidates::Lookup(SearchIndex::Fts5)) {
            "events NOT INDEXED"
        } else {
            "events"
        };
        q.push(format!("SELECT {select} FROM "));
        match (narrow.window, narrow.candidates, &query.search) {
            (Some(n), _, _) => push_window(q, scope, query, n, "events", false),
            (None, Some(c @ Candidates::Lookup(SearchIndex::Trigram)), Some(text)) => {
                // The candidates alone, apart (OFFSET 0 keeps the planner from merging
                // the page's conditions into them): with them, it ANDed the index's
                // matches with a bitmap of the tenant's whole time range, 0.7 s for 1,660.
                let (prefix_only, columns) = search_columns(query.kind);
                q.push("(SELECT * FROM events WHERE TRUE");
                push_search_candidates(q, c, query.kind, text, prefix_only, columns, false);
                q.push(" OFFSET 0) AS events");
            }
            _ => {
                q.push(table);
            }
        }
        q.push(" WHERE tenant_id = ");
        push_where_on(q, scope, query, false, narrow);
        push_order(q, query, limit, offset);
    }
}

/// `(SELECT * FROM table … LIMIT n) AS table`: the newest `n` rows the query selects
/// without its search, under the table's own name, so the conditions that follow
/// (all of the query's again, and the search) read as on the table itself.
fn push_window<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    scope: &Scope,
    query: &EventQuery,
    n: u32,
    table: &str,
    heads: bool,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let others = EventQuery {
        search: None,
        ..query.clone()
    };
    q.push(format!("(SELECT * FROM {table} WHERE tenant_id = "));
    push_where_on(q, scope, &others, heads, &Narrow::default());
    push_order(q, &others, n.saturating_sub(1), 0);
    q.push(format!(") AS {table}"));
}

/// Scope and filters, after `WHERE tenant_id = `.
pub(crate) fn push_where<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    scope: &Scope,
    query: &EventQuery,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    push_where_on(q, scope, query, false, &Narrow::default());
}

/// The scope's accounts (none: the whole tenant) and the account filter, which narrows
/// within the scope and outside it matches nothing.
pub(crate) fn push_accounts<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    scope: &Scope,
    account: Option<&str>,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Some(accounts) = &scope.accounts {
        q.push(" AND account_id IN (");
        let mut list = q.separated(", ");
        for a in accounts {
            list.push_bind(a.clone());
        }
        if accounts.is_empty() {
            list.push("NULL");
        }
        q.push(")");
    }
    if let Some(a) = account {
        q.push(" AND account_id = ").push_bind(a.to_owned());
    }
}

/// Scope and filters over `events`, or over `job_heads` (which holds only jobs, and
/// only their newest records); a search narrowed first by `candidates` if given.
fn push_where_on<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    scope: &Scope,
    query: &EventQuery,
    heads: bool,
    narrow: &Narrow,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push_bind(scope.tenant_id.clone());
    push_accounts(q, scope, query.account_id.as_deref());
    if let (Some(k), false) = (query.kind, heads) {
        q.push(" AND kind = ").push_bind(k.as_str().to_owned());
    }
    // Live polls walk up from their cursor: make it the range's start, or the database
    // would walk up from the start of the time range instead.
    let from = match &query.order {
        Order::NewerThan(c) => Some(
            query
                .from
                .map_or(c.occurred_at, |f| to_ms(f).max(c.occurred_at)),
        ),
        _ => query.from.map(to_ms),
    };
    if let Some(t) = from {
        q.push(" AND occurred_at >= ").push_bind(t);
    }
    if let Some(t) = query.until {
        q.push(" AND occurred_at < ").push_bind(to_ms(t));
    }
    if let Some(f) = &narrow.floor {
        q.push(" AND (occurred_at, id) >= (")
            .push_bind(f.occurred_at)
            .push(", ")
            .push_bind(f.id.clone())
            .push(")");
    }
    if !query.all_of.is_empty() {
        for c in &query.all_of {
            q.push(" AND ");
            push_condition(q, c);
        }
    }
    if !query.builder.is_empty() {
        let glue = if query.join == Some(Join::Or) {
            " OR "
        } else {
            " AND "
        };
        q.push(" AND (");
        for (i, c) in query.builder.iter().enumerate() {
            if i > 0 {
                q.push(glue);
            }
            push_condition(q, c);
        }
        q.push(")");
    }
    if let Some(text) = &query.search {
        let (prefix_only, columns) = search_columns(query.kind);
        q.push(" AND ");
        push_like_any(q, columns.iter(), &like_pattern(text, prefix_only));
        match narrow.candidates {
            // Only ever on the heads (see `head_prefix`).
            Some(Candidates::HeadPrefix(index)) => {
                if let Some(prefix) = PrefixRange::of(text) {
                    push_head_prefix(q, index, &scope.tenant_id, &prefix);
                }
            }
            // Already the page's source (see `push_page`).
            Some(Candidates::Lookup(SearchIndex::Trigram)) if !heads => {}
            Some(c) => push_search_candidates(q, c, query.kind, text, prefix_only, columns, heads),
            None => {}
        }
    }
    if query.latest_per_subject && narrow.candidates.is_some_and(Candidates::is_lookup) {
        // The head's columns are its record's: the filters above held for both.
        q.push(
            " AND EXISTS (SELECT 1 FROM job_heads h WHERE h.tenant_id = events.tenant_id \
             AND h.subject = events.subject AND h.id = events.id)",
        );
    } else if query.latest_per_subject && !heads {
        q.push(
            " AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_id = events.tenant_id \
             AND n.kind = 'job' AND n.kind = events.kind AND n.subject = events.subject \
             AND (n.occurred_at, n.id) > (events.occurred_at, events.id))",
        );
    }
}

/// The columns a tab's search looks in, and whether it matches only their start.
/// Jobs: a job id or model prefix; events: an event type prefix; else free text.
fn search_columns(kind: Option<EventKind>) -> (bool, &'static [&'static str]) {
    match kind {
        Some(EventKind::Job) => (true, &["subject", "model"]),
        Some(EventKind::SystemEvent) => (true, &["action"]),
        _ => (
            false,
            &["actor", "subject", "action", "model", "agent", "id"],
        ),
    }
}

/// `SELECT rowid` of the records of the kind (every kind if none) whose FTS5 entry holds
/// every trigram of `text`, and of the records not indexed yet: a superset of the
/// matches (the index keeps neither columns nor positions, see search_file.rs), which the
/// page's exact condition narrows.
fn push_fts_rowids<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    kind: Option<EventKind>,
    text: &str,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let phrase = trigram_query(index_term(text));
    let kinds: Vec<EventKind> = kind.map_or_else(|| EventKind::ALL.to_vec(), |k| vec![k]);
    for k in &kinds {
        let table = format!("search_{}", k.as_str());
        q.push(format!("SELECT rowid FROM {table} WHERE {table} MATCH "))
            .push_bind(phrase.clone())
            .push(" UNION ALL ");
    }
    // And every record the indexer has yet to add (see search_file.rs): a candidate
    // like the others, so a search finds a record as soon as its append commits.
    q.push("SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state)");
    if let Some(k) = kind {
        q.push(format!(" AND kind = '{}'", k.as_str()));
    }
}

/// What a search asks the search index for: the term's longest run of letters and digits
/// that holds a digit and has at least 3 characters (an id's random part), or else the
/// whole term. A record holding the term holds that run, so the index's candidates still
/// include every match, and the exact condition narrows them as before. Ids' prefixes
/// (`thr_`, `chat:conv_`) are in nearly every record of their tab: asking the index for
/// them as well made it read nearly every record's entry to find one id (170 ms on
/// PostgreSQL at 11M records).
fn index_term(text: &str) -> &str {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && w.chars().any(|c| c.is_ascii_digit()))
        .max_by_key(|w| w.chars().count())
        .unwrap_or(text)
}

/// An FTS5 query for the entries holding every trigram of `text`: `"abc" AND "bcd"`.
fn trigram_query(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The searched columns' trigram conditions, for PostgreSQL's index of the kind: the
/// kind as a literal (a closed set of names), so the planner can use a partial index.
fn push_trigram_conditions<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    kind: Option<EventKind>,
    text: &str,
    prefix_only: bool,
    columns: &[&str],
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Some(k) = kind {
        q.push(format!("kind = '{}' AND ", k.as_str()));
    }
    let indexed = columns.iter().filter(|c| **c != "id");
    let term = index_term(text);
    // A part of the term can sit anywhere in a prefix-matched column.
    let pattern = like_pattern(term, prefix_only && term == text);
    push_like_any(q, indexed, &pattern);
}

/// `(lower(a) LIKE p OR lower(b) LIKE p …)`: the exact search condition, and (with the
/// same expressions) what PostgreSQL's trigram indexes are built on.
fn push_like_any<'a, 'c, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    columns: impl Iterator<Item = &'c &'c str>,
    pattern: &str,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push("(");
    for (i, col) in columns.enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        // Ids are stored in UUIDs' lowercase text form and need no `lower()`, whose calls
        // were most of the time of filtering a search window on PostgreSQL.
        match *col {
            "id" => q.push("id"),
            _ => q.push("lower(").push(*col).push(")"),
        };
        q.push(" LIKE ")
            .push_bind(pattern.to_owned())
            .push(" ESCAPE '\\'");
    }
    q.push(")");
}

/// Planner settings under which PostgreSQL may only use bitmap scans: a rare term's few
/// candidates come from the trigram index, never from walking the tab's time index in
/// the hope of meeting them (which can mean every record of the kind). No parallel
/// workers either: starting them took about 5 ms of a 6 ms count.
const INDEX_ONLY: &[(&str, &str)] = &[
    ("enable_seqscan", "off"),
    ("enable_indexscan", "off"),
    ("enable_indexonlyscan", "off"),
    ("max_parallel_workers_per_gather", "0"),
];

/// Planner settings under which PostgreSQL walks an index in order and stops at the
/// page's last row. A search with many matches, but too few among the newest records to
/// fill the window's page, walks its tab's time index checking the exact condition:
/// the trigram index would have to find every match first, and its estimates led the
/// planner to AND them with a bitmap of the tenant's whole time range (0.7 s).
const WALK: &[(&str, &str)] = &[
    ("enable_bitmapscan", "off"),
    ("max_parallel_workers_per_gather", "0"),
];

/// The planner settings a page is read under on PostgreSQL, if any.
fn pg_settings(
    query: &EventQuery,
    narrow: &Narrow,
) -> Option<&'static [(&'static str, &'static str)]> {
    match narrow.candidates {
        Some(c) if c.reads_few() => Some(INDEX_ONLY),
        _ if query.search.is_some() && narrow.window.is_none() => Some(WALK),
        _ => None,
    }
}

/// A read transaction in which PostgreSQL's planner keeps to bitmap scans (`INDEX_ONLY`).
async fn index_only(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    planned(pool, INDEX_ONLY).await
}

/// A read transaction with planner `settings` (`SET LOCAL`), set in one round trip.
async fn planned(
    pool: &sqlx::PgPool,
    settings: &[(&str, &str)],
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut q = QueryBuilder::<sqlx::Postgres>::new("SELECT ");
    let mut calls = q.separated(", ");
    for (name, value) in settings {
        calls
            .push("set_config(")
            .push_bind_unseparated(*name)
            .push_unseparated(", ")
            .push_bind_unseparated(*value)
            .push_unseparated(", true)");
    }
    q.build().execute(&mut *tx).await?;
    Ok(tx)
}

/// Candidates for a search from the backend's trigram index, in the searched columns:
/// a superset of the matches (the exact condition is checked as well). A whole record id
/// is found by its key; ids are not in the trigram index.
fn push_search_candidates<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    candidates: Candidates,
    kind: Option<EventKind>,
    text: &str,
    prefix_only: bool,
    columns: &[&str],
    heads: bool,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let index = match candidates {
        Candidates::Filter => SearchIndex::Fts5,
        Candidates::Lookup(index) => index,
        Candidates::HeadPrefix(_) => return, // see `push_head_prefix`
    };
    let id = text.trim().parse::<Uuid>().ok().map(|id| id.to_string());
    q.push(if heads {
        " AND id IN (SELECT id FROM events WHERE "
    } else {
        " AND ("
    });
    match index {
        SearchIndex::Fts5 => {
            q.push("rowid IN (");
            push_fts_rowids(q, kind, text);
            if let Some(id) = id {
                // By rowid too: a lookup's table takes no index, a subquery's does.
                q.push(" UNION ALL SELECT rowid FROM events WHERE id = ")
                    .push_bind(id);
            }
            q.push(")");
        }
        SearchIndex::Trigram => {
            q.push("(");
            push_trigram_conditions(q, kind, text, prefix_only, columns);
            q.push(")");
            if let Some(id) = id {
                q.push(" OR id = ").push_bind(id);
            }
        }
    }
    q.push(")");
}

/// The strings that start with a lowered ASCII term, as a byte-order range: from the
/// term up to the term with its last byte raised by one, which holds exactly those.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PrefixRange {
    start: String,
    end: String,
}

impl PrefixRange {
    fn of(text: &str) -> Option<PrefixRange> {
        let start = text.to_ascii_lowercase();
        let last = *start.as_bytes().last()?;
        // ASCII below DEL raised by one is still one ASCII byte.
        if !start.is_ascii() || last >= 0x7f {
            return None;
        }
        let mut end = start[..start.len() - 1].to_owned();
        end.push(char::from(last + 1));
        Some(PrefixRange { start, end })
    }

    /// `key >= start AND key < end`.
    fn push_on<'a, DB: sqlx::Database>(&self, q: &mut QueryBuilder<'a, DB>, key: &str)
    where
        String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    {
        q.push(format!("{key} >= "))
            .push_bind(self.start.clone())
            .push(format!(" AND {key} < "))
            .push_bind(self.end.clone());
    }
}

/// The job heads' columns a Jobs search matches by prefix, each with its index
/// (migrations 0003_search).
const HEAD_PREFIX_COLUMNS: [&str; 2] = ["subject", "model"];

/// A prefix index's key: PostgreSQL's compares byte-wise (`"C"`) whatever the
/// database's collation, as SQLite's always does.
fn prefix_key(index: SearchIndex, column: &str) -> String {
    match index {
        SearchIndex::Fts5 => format!("lower({column})"),
        SearchIndex::Trigram => format!("lower({column}) COLLATE \"C\""),
    }
}

/// The condition keeping the tenant's job heads whose lowered id or model is in
/// `prefix`: on SQLite their rowids from the two ranges (read by rowid after), on
/// PostgreSQL the ranges themselves (read as bitmaps).
fn push_head_prefix<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    index: SearchIndex,
    tenant_id: &str,
    prefix: &PrefixRange,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match index {
        SearchIndex::Fts5 => {
            q.push(" AND rowid IN (");
            push_head_prefix_rowids(q, tenant_id, prefix);
            q.push(")");
        }
        SearchIndex::Trigram => {
            q.push(" AND (");
            for (i, column) in HEAD_PREFIX_COLUMNS.iter().enumerate() {
                q.push(if i > 0 { " OR (" } else { "(" });
                prefix.push_on(q, &prefix_key(index, column));
                q.push(")");
            }
            q.push(")");
        }
    }
}

/// SQLite: `SELECT rowid` of the tenant's job heads whose lowered id or model is in
/// `prefix`, each range read from its prefix index (migration 0003_search).
fn push_head_prefix_rowids<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    tenant_id: &str,
    prefix: &PrefixRange,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    for (i, column) in HEAD_PREFIX_COLUMNS.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push("SELECT rowid FROM job_heads WHERE tenant_id = ")
            .push_bind(tenant_id.to_owned())
            .push(" AND ");
        prefix.push_on(q, &prefix_key(SearchIndex::Fts5, column));
    }
}

/// The ORDER BY terms of a page.
fn order_terms(query: &EventQuery) -> &'static str {
    match query.order {
        Order::NewerThan(_) => "occurred_at ASC, id ASC",
        Order::NewestFirst => "occurred_at DESC, id DESC",
        Order::ChainAscending { .. } => "seq ASC",
    }
}

fn push_order<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    query: &EventQuery,
    limit: u32,
    offset: u32,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match &query.order {
        Order::NewerThan(c) => {
            q.push(" AND (occurred_at, id) > (")
                .push_bind(c.occurred_at)
                .push(", ")
                .push_bind(c.id.clone())
                .push(")");
        }
        Order::NewestFirst => {
            if let Some(c) = &query.cursor {
                q.push(" AND (occurred_at, id) < (")
                    .push_bind(c.occurred_at)
                    .push(", ")
                    .push_bind(c.id.clone())
                    .push(")");
            }
        }
        Order::ChainAscending { after_seq } => {
            q.push(" AND seq > ").push_bind(*after_seq);
        }
    }
    q.push(" ORDER BY ").push(order_terms(query));
    // One extra row tells whether another page exists, without counting.
    q.push(" LIMIT ").push_bind(i64::from(limit) + 1);
    if offset > 0 {
        q.push(" OFFSET ").push_bind(i64::from(offset));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_asked_for_an_ids_random_part() {
        for (term, asked) in [
            ("thr_1cbd98f5", "1cbd98f5"),
            ("chat:conv_b02bb6", "b02bb6"),
            ("01a1f515-af10-7ae4-83e0-378f9753ef2a", "378f9753ef2a"),
            // Nothing with a digit, or too short to have a trigram: the whole term.
            ("ana@acme.test", "ana@acme.test"),
            ("gpt-4o", "gpt-4o"),
            ("job_1", "job_1"),
            ("Zoë", "Zoë"),
        ] {
            assert_eq!(index_term(term), asked, "{term}");
            assert!(term.contains(index_term(term)));
        }
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_strings_that_start_with_it() {
        let r = PrefixRange::of("Job_1").expect("ascii");
        assert_eq!((r.start.as_str(), r.end.as_str()), ("job_1", "job_2"));
        let inside = |s: &str| r.start.as_str() <= s && s < r.end.as_str();
        for s in ["job_1", "job_1ff", "job_1\u{10ffff}x", "job_1~"] {
            assert!(inside(s), "{s}");
        }
        for s in ["job_", "job_0ff", "job_2", "jo", "job_\u{10ffff}"] {
            assert!(!inside(s), "{s}");
        }
        assert_eq!(PrefixRange::of("gpt-").map(|r| r.end), Some("gpt.".into()));
        // Nothing to raise, or no byte range: left to the search index.
        assert_eq!(PrefixRange::of(""), None);
        assert_eq!(PrefixRange::of("jöb"), None);
        assert_eq!(PrefixRange::of("a\u{7f}"), None);
        assert_eq!(PrefixRange::of("a~").map(|r| r.end), Some("a\u{7f}".into()));
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            occurred_at: 1_700_000_000_123,
            id: Uuid::now_v7().to_string(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12:notauuid")), None);
    }
}

#[cfg(test)]
#[path = "sql/tests.rs"]
mod pinned_sql;
