//! The Jobs tab's search: the job heads whose lowered id or model starts with the term,
//! read from the heads' prefix indexes (migrations 0003_search) as byte-order ranges.

use super::Dialect;
use sqlx::QueryBuilder;

/// The job heads' columns a Jobs search matches by prefix, each with its index
/// (migrations 0003_search).
const HEAD_PREFIX_COLUMNS: [&str; 2] = ["subject", "model"];

/// The strings that start with a lowered ASCII term, as a byte-order range: from the
/// term up to the term with its last byte raised by one, which holds exactly those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PrefixRange {
    start: String,
    end: String,
}

impl PrefixRange {
    pub(super) fn of(text: &str) -> Option<PrefixRange> {
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

impl Dialect {
    /// A prefix index's key: PostgreSQL's compares byte-wise (`"C"`) whatever the
    /// database's collation, as SQLite's always does.
    fn prefix_key(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("lower({column})"),
            Dialect::Postgres => format!("lower({column}) COLLATE \"C\""),
        }
    }
}

/// The condition keeping the tenant's job heads whose lowered id or model is in
/// `prefix`: on SQLite their rowids from the two ranges (read by rowid after), on
/// PostgreSQL the ranges themselves (read as bitmaps).
pub(super) fn push_head_prefix<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    dialect: Dialect,
    tenant_id: &str,
    prefix: &PrefixRange,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match dialect {
        Dialect::Sqlite => {
            q.push(" AND rowid IN (");
            push_head_prefix_rowids(q, tenant_id, prefix);
            q.push(")");
        }
        Dialect::Postgres => {
            q.push(" AND (");
            for (i, column) in HEAD_PREFIX_COLUMNS.iter().enumerate() {
                q.push(if i > 0 { " OR (" } else { "(" });
                prefix.push_on(q, &dialect.prefix_key(column));
                q.push(")");
            }
            q.push(")");
        }
    }
}

/// `SELECT count(*)` of the tenant's job heads with an id or model in `prefix`, counting
/// no further than `cap + 1`. A head in both ranges counts twice: the count only decides
/// how to read.
pub(super) fn push_heads_count<'a, DB: sqlx::Database>(
    q: &mut QueryBuilder<'a, DB>,
    dialect: Dialect,
    tenant_id: &str,
    prefix: &PrefixRange,
    cap: i64,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push("SELECT count(*) FROM (");
    match dialect {
        Dialect::Sqlite => {
            push_head_prefix_rowids(q, tenant_id, prefix);
            q.push(" LIMIT ").push_bind(cap + 1).push(")");
        }
        Dialect::Postgres => {
            // Each range in its index's order, so that the planner reads the index
            // and stops (it chose bitmaps of every match, or the key's index).
            for (i, column) in HEAD_PREFIX_COLUMNS.iter().enumerate() {
                let key = dialect.prefix_key(column);
                if i > 0 {
                    q.push(" UNION ALL ");
                }
                q.push("(SELECT 1 FROM job_heads WHERE tenant_id = ")
                    .push_bind(tenant_id.to_owned())
                    .push(" AND ");
                prefix.push_on(q, &key);
                q.push(format!(" ORDER BY {key} LIMIT "))
                    .push_bind(cap + 1)
                    .push(")");
            }
            q.push(" LIMIT ").push_bind(cap + 1).push(") c");
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
        prefix.push_on(q, &Dialect::Sqlite.prefix_key(column));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
