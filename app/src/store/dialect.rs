//! The one value that tells the two databases' SQL apart. Where the statements differ,
//! the store asks `Store::dialect` rather than matching on its pools: `Backend` is
//! matched only where a different pool (or a PostgreSQL transaction with planner
//! settings) must be picked.

/// Which database's SQL the store writes, and so which search index it has (see
/// migrations 0003): search.rs and search_sql.rs ask it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Searches an FTS5 trigram table per kind, `search_<kind>`, keyed by rowid, in a
    /// file of its own that an indexer keeps (see search_file.rs).
    Sqlite,
    /// Searches a pg_trgm GIN index on the lowered searchable columns.
    Postgres,
}

impl Dialect {
    /// The database's name, as `vigil` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// How the writer starts an INSERT: on SQLite, a failing statement ends the whole
    /// transaction rather than journal its pages to undo just itself (see
    /// `Store::begin_write`).
    pub(crate) fn insert_into(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INSERT OR ROLLBACK INTO",
            Dialect::Postgres => "INSERT INTO",
        }
    }

    /// What the writer runs first in its transaction: SQLite checks foreign keys at
    /// commit (see `Store::begin_write`).
    pub(crate) fn begin_write(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => Some("PRAGMA defer_foreign_keys = ON"),
            Dialect::Postgres => None,
        }
    }

    /// The suffix that locks a row read for writing: SQLite's single writer needs none.
    /// `a + b` for two BIGINT expressions, held within BIGINT's range instead of
    /// failing: PostgreSQL adds as numeric; SQLite turns an overflowing sum into a REAL,
    /// which the bounds and the cast bring back to an integer.
    pub(crate) fn saturating_add(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "CAST(MIN(MAX({a} + {b}, -9223372036854775808), 9223372036854775807) AS INTEGER)"
            ),
            Dialect::Postgres => format!(
                "CAST(LEAST(GREATEST({a}::numeric + {b}, -9223372036854775808), 9223372036854775807) AS BIGINT)"
            ),
        }
    }

    /// What makes a read transaction one snapshot: PostgreSQL's default gives each
    /// statement its own; SQLite's read transaction (WAL) already is one.
    pub(crate) fn snapshot(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
        }
    }

    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// Refreshing the planner's statistics: SQLite's bounded so it stays fast on big
    /// files.
    pub(crate) fn analyze(self) -> &'static str {
        match self {
            Dialect::Sqlite => "PRAGMA analysis_limit = 2000; ANALYZE main;",
            Dialect::Postgres => "ANALYZE",
        }
    }
}
