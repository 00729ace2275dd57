//! PostgreSQL's planner settings for the reads whose plan its estimates got wrong, and
//! the read transactions that carry them (`SET LOCAL`). SQLite needs none: its plans
//! are steered in the SQL itself (`NOT INDEXED`, see sql.rs).

use super::narrow::Narrow;
use super::query::EventQuery;
use sqlx::QueryBuilder;

/// Planner settings under which PostgreSQL may only use bitmap scans: a rare term's few
/// candidates come from the trigram index, never from walking the tab's time index in
/// the hope of meeting them (which can mean every record of the kind). No parallel
/// workers either: starting them took about 5 ms of a 6 ms count.
pub(super) const INDEX_ONLY: &[(&str, &str)] = &[
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

/// No parallel workers: for counting a Jobs search's heads, which reads a few index
/// entries and stops.
pub(super) const SERIAL: &[(&str, &str)] = &[("max_parallel_workers_per_gather", "0")];

/// The planner settings a page is read under on PostgreSQL, if any.
pub(super) fn pg_settings(
    query: &EventQuery,
    narrow: &Narrow,
) -> Option<&'static [(&'static str, &'static str)]> {
    match narrow.candidates {
        Some(c) if c.reads_few() => Some(INDEX_ONLY),
        _ if query.search.is_some() && narrow.window.is_none() => Some(WALK),
        _ => None,
    }
}

/// A read transaction with planner `settings` (`SET LOCAL`), set in one round trip.
pub(super) async fn planned(
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
