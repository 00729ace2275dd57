//! The page query, written once for both databases with `QueryBuilder`: which table it
//! reads, the scope and filters, the keyset order. What a search adds comes from
//! search_sql.rs; which candidates and window it uses, from search.rs.

use super::head_prefix::{push_head_prefix, PrefixRange};
use super::narrow::{Candidates, Narrow};
use super::query::{EventQuery, Order};
use super::search_sql::{like_pattern, push_like_any, push_search_candidates, search_columns};
use super::{to_ms, Dialect};
use crate::model::{Column, Condition, Join, Op, Scope};
use sqlx::QueryBuilder;

#[cfg(test)]
mod tests;

/// The whole page query `list` runs (and `explain_list` explains): `select` of up to
/// `limit + 1` rows after skipping `offset`.
pub(super) fn push_page<'a, DB: sqlx::Database>(
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
        // heads (indexed per filter), then its records are read by position. A few heads read
        // by rowid: as for a lookup, no index may take over the walk.
        let heads_table = match narrow.candidates {
            Some(Candidates::HeadPrefix(Dialect::Sqlite)) => "job_heads NOT INDEXED",
            _ => "job_heads",
        };
        q.push(format!("SELECT {select} FROM events WHERE tenant_id = "))
            .push_bind(scope.tenant_id.clone())
            .push(" AND seq IN (SELECT seq FROM ");
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
        let table = if narrow.candidates == Some(Candidates::Lookup(Dialect::Sqlite)) {
            "events NOT INDEXED"
        } else {
            "events"
        };
        q.push(format!("SELECT {select} FROM "));
        match (narrow.window, narrow.candidates, &query.search) {
            (Some(n), _, _) => push_window(q, scope, query, n, "events", false),
            (None, Some(c @ Candidates::Lookup(Dialect::Postgres)), Some(text)) => {
                // The candidates alone, apart (OFFSET 0 keeps the planner from merging
                // the page's conditions into them): with them, it ANDed the index's
                // matches with a bitmap of the tenant's whole time range, 0.7 s for 1,660.
                q.push("(SELECT * FROM events WHERE TRUE");
                push_search_candidates(q, c, &scope.tenant_id, query.kind, text, false);
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

/// SQLite's bulk page (see `Store::page`): the page's rows as one JSON array of arrays
/// of `columns`, keeping rows, in the page's order, while the bodies before each sum to
/// less than `budget` characters (so always the first), and how many rows it left out.
/// The page is chosen and summed on narrow rows (position and body length), and only
/// the kept rows' columns are read: a window over whole rows held every candidate's
/// body in SQLite's temporary store.
pub(super) fn push_json_page<'a>(
    q: &mut QueryBuilder<'a, sqlx::Sqlite>,
    scope: &Scope,
    query: &EventQuery,
    limit: u32,
    columns: &str,
    narrow: &Narrow,
    budget: i64,
) {
    q.push(format!(
        "WITH page AS (SELECT seq, SUM(len) OVER (ORDER BY {} ROWS UNBOUNDED PRECEDING) \
         - len < ",
        order_terms(query)
    ));
    q.push_bind(budget).push(" AS kept FROM (");
    push_page(
        q,
        scope,
        query,
        limit,
        0,
        "occurred_at, seq, length(body) AS len",
        narrow,
    );
    q.push(format!(
        ")) SELECT (SELECT json_group_array(json_array({columns})) FROM events \
         WHERE tenant_id = "
    ));
    q.push_bind(scope.tenant_id.clone());
    q.push(
        " AND seq IN (SELECT seq FROM page WHERE kept)), \
         (SELECT count(*) FROM page WHERE NOT kept)",
    );
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
    let others = query.without_search();
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
        q.push(" AND (occurred_at, seq) >= (")
            .push_bind(f.occurred_at)
            .push(", ")
            .push_bind(f.seq)
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
            Some(Candidates::HeadPrefix(dialect)) => {
                if let Some(prefix) = PrefixRange::of(text) {
                    push_head_prefix(q, dialect, &scope.tenant_id, &prefix);
                }
            }
            // Already the page's source (see `push_page`).
            Some(Candidates::Lookup(Dialect::Postgres)) if !heads => {}
            Some(c) => push_search_candidates(q, c, &scope.tenant_id, query.kind, text, heads),
            None => {}
        }
    }
    if query.latest_per_subject && narrow.candidates.is_some_and(Candidates::is_lookup) {
        // The head's columns are its record's: the filters above held for both.
        q.push(
            " AND EXISTS (SELECT 1 FROM job_heads h WHERE h.tenant_id = events.tenant_id \
             AND h.account_id = COALESCE(events.account_id, '') \
             AND h.subject = events.subject AND h.seq = events.seq)",
        );
    } else if query.latest_per_subject && !heads {
        q.push(
            " AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_id = events.tenant_id \
             AND n.kind = 'job' AND n.kind = events.kind AND n.subject = events.subject \
             AND COALESCE(n.account_id, '') = COALESCE(events.account_id, '') \
             AND (n.occurred_at, n.seq) > (events.occurred_at, events.seq))",
        );
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

/// The ORDER BY terms of a page.
fn order_terms(query: &EventQuery) -> &'static str {
    match query.order {
        Order::NewerThan(_) => "occurred_at ASC, seq ASC",
        Order::NewestFirst => "occurred_at DESC, seq DESC",
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
            q.push(" AND (occurred_at, seq) > (")
                .push_bind(c.occurred_at)
                .push(", ")
                .push_bind(c.seq)
                .push(")");
        }
        Order::NewestFirst => {
            if let Some(c) = &query.cursor {
                q.push(" AND (occurred_at, seq) < (")
                    .push_bind(c.occurred_at)
                    .push(", ")
                    .push_bind(c.seq)
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
