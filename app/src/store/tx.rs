//! The writer's transaction on either database, and the macro that writes a step's
//! SQL once for both.

/// Rows per INSERT: 25 columns × 1,000 stays under both backends' bind limits (32,766
/// and 65,535). Fewer, bigger statements: each one is a round trip between the writer's
/// task and its database thread.
pub(super) const INSERT_CHUNK: usize = 1000;

/// The writer's transaction, on either database.
pub(super) enum WriteTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Expands `$body` once per database with `$conn` bound to the transaction's
/// connection (as `with_read!` does with pools), so a step's SQL is written once and
/// type-checked against both drivers.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::store::tx::WriteTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::store::tx::WriteTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(super) use on_tx;

impl From<sqlx::Transaction<'static, sqlx::Sqlite>> for WriteTx {
    fn from(tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Self {
        WriteTx::Sqlite(tx)
    }
}

impl From<sqlx::Transaction<'static, sqlx::Postgres>> for WriteTx {
    fn from(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Self {
        WriteTx::Postgres(tx)
    }
}

impl WriteTx {
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
    }
}
