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

    /// `SUM(x)` of a BIGINT expression, exact and held within BIGINT's range instead of
    /// failing (0 where every `x` is NULL), for sums of records whose values the ingest
    /// accepts up to i64::MAX. PostgreSQL sums BIGINT as numeric. SQLite's SUM fails on
    /// overflow and its TOTAL is a float, exact only to 2^53: so it sums the high 32 bits
    /// (shifted arithmetically) and the low 32 bits apart, neither of which can overflow
    /// below 2^31 rows per group, moves the low sum's carry into the high one, and lets an
    /// overflowing product or sum turn into a REAL that the bounds and the cast clamp.
    pub(crate) fn saturating_sum(self, x: &str) -> String {
        match self {
            Dialect::Sqlite => {
                let (high, low) = (format!("SUM({x} >> 32)"), format!("SUM({x} & 4294967295)"));
                format!(
                    "COALESCE(CAST(MIN(MAX(({high} + ({low} >> 32)) * 4294967296 + ({low} & 4294967295), \
                     -9223372036854775808), 9223372036854775807) AS INTEGER), 0)"
                )
            }
            Dialect::Postgres => format!(
                "CAST(LEAST(GREATEST(COALESCE(SUM({x}), 0), -9223372036854775808), 9223372036854775807) AS BIGINT)"
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

    /// The suffix that locks a row read for writing: SQLite's single writer needs none.
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

#[cfg(test)]
mod tests {
    use super::Dialect;
    use sqlx::{Connection, SqliteConnection};

    /// SQLite's sum of `values` as `saturating_sum` writes it.
    async fn sqlite_sum(conn: &mut SqliteConnection, values: &[Option<i64>]) -> i64 {
        let rows = if values.is_empty() {
            "SELECT NULL WHERE 0".to_owned()
        } else {
            format!("VALUES {}", vec!["(?)"; values.len()].join(", "))
        };
        let sql = format!(
            "WITH t(x) AS ({rows}) SELECT {} FROM t",
            Dialect::Sqlite.saturating_sum("x")
        );
        let mut q = sqlx::query_scalar(&sql);
        for v in values {
            q = q.bind(*v);
        }
        q.fetch_one(&mut *conn).await.expect(&sql)
    }

    fn expected(values: &[Option<i64>]) -> i64 {
        let sum: i128 = values.iter().flatten().map(|&v| i128::from(v)).sum();
        sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The split into 32-bit halves is exact wherever the true sum fits, and clamps
    /// beyond, both ways (negatives the ingest refuses included).
    #[tokio::test]
    async fn sqlite_sums_are_exact_then_saturate() {
        let mut conn = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("sqlite");
        let (max, min, half) = (i64::MAX, i64::MIN, 1_i64 << 62);
        let mut cases: Vec<Vec<Option<i64>>> = [
            &[][..],
            &[None],
            &[Some(1), None, Some(2)],
            &[Some(max), Some(1)],
            &[Some(max), Some(max), Some(max)],
            &[Some(min), Some(-1)],
            &[Some(min), Some(min)],
            &[Some(max), Some(min)],
            &[Some(min), Some(max), Some(5)],
            &[Some(half), Some(half - 1)],
            &[Some(half), Some(half)],
            &[Some(-half), Some(-half)],
            &[Some(-half), Some(-half), Some(-1)],
            // Above 2^53, where a float sum would lose the last digits.
            &[
                Some(4_000_000_000_000_000_001),
                Some(4_000_000_000_000_000_003),
            ],
            &[Some(-(1 << 32) + 1), Some(-1), Some(1 << 32)],
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        // Large values of both signs, whose running sums cross the limits and come back.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for len in [2, 7, 50, 300] {
            cases.push(
                (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        Some((seed as i64) >> (seed % 4))
                    })
                    .collect(),
            );
        }
        for values in &cases {
            assert_eq!(
                sqlite_sum(&mut conn, values).await,
                expected(values),
                "{values:?}"
            );
        }
    }

    #[test]
    fn the_sums_sql_per_dialect() {
        assert_eq!(
            Dialect::Postgres.saturating_sum("cost"),
            "CAST(LEAST(GREATEST(COALESCE(SUM(cost), 0), -9223372036854775808), \
             9223372036854775807) AS BIGINT)"
        );
        assert_eq!(
            Dialect::Sqlite.saturating_sum("cost"),
            "COALESCE(CAST(MIN(MAX((SUM(cost >> 32) + (SUM(cost & 4294967295) >> 32)) \
             * 4294967296 + (SUM(cost & 4294967295) & 4294967295), -9223372036854775808), \
             9223372036854775807) AS INTEGER), 0)"
        );
    }
}
