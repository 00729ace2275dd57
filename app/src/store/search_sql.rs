//! The SQL pieces of a search: the exact condition, and the candidates each database's
//! search index hands out (SQLite's FTS5 tables, PostgreSQL's trigram indexes, the job
//! heads' prefix indexes). Which of them a page uses is decided in search.rs.

use super::narrow::Candidates;
use super::Dialect;
use crate::model::EventKind;
use sqlx::QueryBuilder;
use uuid::Uuid;

/// The columns a tab's search looks in, and whether it matches only their start.
/// Jobs: a job id or model prefix; events: an event type prefix; else free text.
pub(super) fn search_columns(kind: Option<EventKind>) -> (bool, &'static [&'static str]) {
    match kind {
        Some(EventKind::Job) => (true, &["subject", "model"]),
        Some(EventKind::SystemEvent) => (true, &["action"]),
        _ => (
            false,
            &["actor", "subject", "action", "model", "agent", "id"],
        ),
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards in `text` taken literally.
pub(super) fn like_pattern(text: &str, prefix_only: bool) -> String {
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

/// `(lower(a) LIKE p OR lower(b) LIKE p …)`: the exact search condition, and (with the
/// same expressions) what PostgreSQL's trigram indexes are built on.
pub(super) fn push_like_any<'a, 'c, DB: sqlx::Database>(
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

/// Candidates for a search from the database's search index, in the searched columns:
/// a superset of the matches (the exact condition is checked as well). A whole record id
/// is found by its key; ids are not in the trigram index.
pub(super) fn push_search_candidates<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    candidates: Candidates,
    tenant_id: &str,
    kind: Option<EventKind>,
    text: &str,
    heads: bool,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let (prefix_only, columns) = search_columns(kind);
    let dialect = match candidates {
        Candidates::Filter => Dialect::Sqlite,
        Candidates::Lookup(dialect) => dialect,
        Candidates::HeadPrefix(_) => return, // see `push_head_prefix`
    };
    let id = text.trim().parse::<Uuid>().ok().map(|id| id.to_string());
    if heads {
        q.push(" AND seq IN (SELECT seq FROM events WHERE tenant_id = ")
            .push_bind(tenant_id.to_owned())
            .push(" AND ");
    } else {
        q.push(" AND (");
    }
    match dialect {
        Dialect::Sqlite => {
            q.push("rowid IN (");
            push_fts_rowids(q, kind, text);
            if let Some(id) = id {
                // By rowid too: a lookup's table takes no index, a subquery's does.
                q.push(" UNION ALL SELECT rowid FROM events WHERE tenant_id = ")
                    .push_bind(tenant_id.to_owned())
                    .push(" AND id = ")
                    .push_bind(id);
            }
            q.push(")");
        }
        Dialect::Postgres => {
            q.push("(");
            push_trigram_conditions(q, kind, text, prefix_only, columns);
            q.push(")");
            if let Some(id) = id {
                q.push(" OR (tenant_id = ")
                    .push_bind(tenant_id.to_owned())
                    .push(" AND id = ")
                    .push_bind(id)
                    .push(")");
            }
        }
    }
    q.push(")");
}

/// `SELECT count(*)` of the records of `kind` (every kind if none; SQLite only) in every
/// tenant the search index matches for `text`, counting no further than `cap + 1`.
pub(super) fn push_match_count<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    dialect: Dialect,
    kind: Option<EventKind>,
    text: &str,
    cap: i64,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match dialect {
        Dialect::Sqlite => {
            q.push("SELECT count(*) FROM (");
            push_fts_rowids(q, kind, text);
            q.push(" LIMIT ").push_bind(cap + 1).push(")");
        }
        Dialect::Postgres => {
            let (prefix_only, columns) = search_columns(kind);
            q.push("SELECT count(*) FROM (SELECT 1 FROM events WHERE ");
            push_trigram_conditions(q, kind, text, prefix_only, columns);
            q.push(" LIMIT ").push_bind(cap + 1).push(") c");
        }
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
}
