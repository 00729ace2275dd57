//! Planning a search's page: which candidates it takes from the search index, and how
//! far among the newest records it walks. The SQL pieces are in search_sql.rs and
//! head_prefix.rs; PostgreSQL's planner settings in planner.rs.

use super::head_prefix::{push_heads_count, PrefixRange};
use super::narrow::{Candidates, Narrow};
use super::planner::{planned, INDEX_ONLY, SERIAL};
use super::query::{Cursor, EventQuery};
use super::row::{Page, PageRow};
use super::search_sql::push_match_count;
use super::sql::push_page;
use super::{with_read, Backend, Dialect, Store, StoreResult};
use crate::model::{EventKind, Scope};
use sqlx::QueryBuilder;

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

impl Dialect {
    /// At most how many job heads a Jobs search reads one by one. PostgreSQL counts
    /// them from the heap, in the index's order (random): 2,000 took 12 ms.
    fn head_lookup_max(self) -> i64 {
        match self {
            Dialect::Sqlite => SEARCH_LOOKUP_MAX,
            Dialect::Postgres => SEARCH_LOOKUP_MAX / 4,
        }
    }
}

/// The candidates `explain_list` shows the plan of for a search: the query that uses
/// the search index (a rare term's).
pub(super) fn explained(dialect: Dialect, query: &EventQuery) -> Narrow {
    match &query.search {
        None => Narrow::default(),
        Some(text) if head_prefix(query, text).is_some() => {
            Narrow::to(Candidates::HeadPrefix(dialect))
        }
        Some(_) => Narrow::to(Candidates::Lookup(dialect)),
    }
}

/// The range a Jobs search looks up among the heads' prefix indexes: the lowered
/// term, ASCII only, where both databases' `lower` (which the indexes hold) agrees
/// with ours.
fn head_prefix(query: &EventQuery, text: &str) -> Option<PrefixRange> {
    let heads = query.latest_per_subject && query.kind == Some(EventKind::Job);
    heads.then(|| PrefixRange::of(text)).flatten()
}

impl Store {
    /// A search's page. A term with few matches in the tab's kind (as the search index
    /// counts them) has them read from the index. A common term fills the page among the
    /// newest records, so those are walked (bounded); failing both, the tab is walked
    /// keeping the index's candidates. FTS5 counts lazily, so SQLite counts first;
    /// PostgreSQL must build a bitmap of every match to count, so it walks first. The
    /// exact condition is checked on every row in every path.
    pub(super) async fn search_page<R: PageRow>(
        &self,
        scope: &Scope,
        query: &EventQuery,
        text: &str,
        limit: u32,
    ) -> StoreResult<Page<R>> {
        let dialect = self.dialect;
        // Jobs: the heads starting with the term, counted on their prefix indexes; more
        // than a lookup reads means the search index would count more still.
        let heads_counted = match head_prefix(query, text) {
            Some(prefix) => {
                let cap = dialect.head_lookup_max();
                if self.heads_with_prefix(scope, &prefix, cap).await? <= cap {
                    let heads = Narrow::to(Candidates::HeadPrefix(dialect));
                    return self.page(scope, query, limit, &heads).await;
                }
                true
            }
            None => false,
        };
        // Trigrams need three characters; PostgreSQL's indexes are per kind.
        let indexed = text.chars().count() >= 3;
        let countable =
            indexed && !heads_counted && (dialect == Dialect::Sqlite || query.kind.is_some());
        let lookup = Narrow::to(Candidates::Lookup(dialect));
        let count_first = dialect == Dialect::Sqlite;
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
        let narrow = match (indexed, dialect) {
            (true, Dialect::Sqlite) => Narrow::to(Candidates::Filter),
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

    /// How many of the tenant's job heads have an id or model starting with `prefix`,
    /// counting no further than `cap + 1`.
    async fn heads_with_prefix(
        &self,
        scope: &Scope,
        prefix: &PrefixRange,
        cap: i64,
    ) -> StoreResult<i64> {
        let tenant = &scope.tenant_id;
        match &self.backend {
            Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("");
                push_heads_count(&mut q, self.dialect, tenant, prefix, cap);
                Ok(q.build_query_scalar().fetch_one(read).await?)
            }
            Backend::Postgres { pool, .. } => {
                let mut q = QueryBuilder::new("");
                push_heads_count(&mut q, self.dialect, tenant, prefix, cap);
                let mut tx = planned(pool, SERIAL).await?;
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
    ) -> StoreResult<Result<Page<R>, usize>> {
        // A page the byte budget ended is full too: there is more to read.
        let filled = |page: Page<R>| match page.cut || page.rows.len() > limit as usize {
            true => Ok(page),
            false => Err(page.rows.len()),
        };
        if self.dialect == Dialect::Postgres {
            let within = Narrow {
                window: Some(window),
                ..Narrow::default()
            };
            return Ok(filled(self.page(scope, query, limit, &within).await?));
        }
        let others = query.without_search();
        // The window's oldest record; none: few enough to walk them all.
        let floor: Option<(i64, i64)> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new("");
            let select = "occurred_at, seq";
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
        let Some((occurred_at, seq)) = floor else {
            return self
                .page(scope, query, limit, &Narrow::default())
                .await
                .map(Ok);
        };
        let window = Narrow {
            floor: Some(Cursor { occurred_at, seq }),
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
            Backend::Sqlite { read, .. } => {
                let mut q = QueryBuilder::new("");
                push_match_count(&mut q, self.dialect, kind, text, cap);
                Ok(q.build_query_scalar().fetch_one(read).await?)
            }
            Backend::Postgres { pool, .. } => {
                let mut q = QueryBuilder::new("");
                push_match_count(&mut q, self.dialect, kind, text, cap);
                let mut tx = planned(pool, INDEX_ONLY).await?;
                let n = q.build_query_scalar().fetch_one(&mut *tx).await?;
                tx.rollback().await?;
                Ok(n)
            }
        }
    }
}
