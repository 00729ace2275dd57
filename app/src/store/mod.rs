//! The storage layer. One API; SQLite (embedded default) or PostgreSQL behind it.
//!
//! Both backends run the same SQL where the dialects agree; the `with_read!`/`with_write!`
//! macros expand one body for each pool type, so queries are written once and
//! type-checked against both drivers. Where the SQL differs, the store asks its one
//! `Dialect` value (dialect.rs).
//!
//! By concern: the query (query.rs) and the page SQL it becomes (sql.rs); searches
//! (search.rs plans them, search_sql.rs and head_prefix.rs write their SQL, planner.rs
//! holds PostgreSQL's planner settings, narrow.rs what a search narrows a page by);
//! reads (read.rs); appends (append.rs queues them, writer.rs commits a group in steps
//! on tx.rs's transaction, check.rs and rollup.rs are two of them); ingest keys
//! (keys.rs), users and sessions (identity.rs); provisioning by the operator
//! (provision.rs shares its error and pages): operator tokens (operators.rs), tenants
//! and accounts, and accounts ingest creates (tenants.rs), users' roles (users.rs),
//! invitations (invitations.rs); trust: the chain's `verify` (chain.rs)
//! and its recorded runs (verify_runs.rs), the Merkle tree (tree.rs), signed
//! checkpoints (checkpoints.rs) and witnesses' cosignatures of them (witnesses.rs);
//! retention's policy and purge (retention.rs); the console's members and invitations
//! (members.rs, invitations.rs), model rates (rates.rs) and settings (settings.rs);
//! what an operator asks: reachability, sizes, the writer's queue, a backup (health.rs).

mod append;
pub mod audit;
mod chain;
mod check;
pub mod checkpoints;
mod dialect;
mod head_prefix;
mod health;
mod identity;
pub mod invitations;
mod jobs;
mod keys;
mod members;
mod narrow;
pub mod operators;
mod planner;
mod provenance;
mod provision;
mod query;
mod rates;
mod read;
mod retention;
mod roles;
mod rollup;
mod row;
mod search;
mod search_file;
mod search_sql;
pub mod secret;
mod settings;
pub use settings::{ControlWebhook, TenantSettings};
mod sql;
mod tenants;
mod tree;
mod tx;
mod usage;
mod users;
mod verify_runs;
pub mod witnesses;
mod writer;

pub use append::{AppendError, AppendOutcome, NewEvent, WriterStats};
pub use chain::{VerifyFailure, VerifyReport};
pub use dialect::Dialect;
pub use health::{FileSize, WriterQueue};
pub use identity::{NewUser, UserLogin};
pub use invitations::{CreatedInvitation, Invitation, InvitationError, NewInvitation};
pub use keys::{ApiKeyRecord, ApiKeyRow, CreatedKey, KeyError};
pub use members::{Member, MemberUser};
pub use provision::{Listed, Page, ProvisionError};
pub use query::{Cursor, EventQuery, Order, RecordRef};
pub use rates::{ModelRate, RateError, TenantRate, MAX_TENANT_RATES};
pub use retention::PurgeRange;
pub use row::{EventRow, ExportRow, GENESIS};
pub use row::{DECODED_PAGE_BYTES, PAGE_BYTES};
pub use search_file::{database_files, IndexerStats};
pub use tenants::{
    AccountRow, AutoCreateError, TenantChange, TenantRow, MAX_AUTO_CREATED_ACCOUNTS,
};
pub use tree::{Prover, TreeError};
pub use users::{Grant, NewMember, UserRow};

use sqlx::{
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
    ConnectOptions,
};
use std::{str::FromStr, sync::Arc, time::Duration};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    #[error("corrupt stored record {id}: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("{0}")]
    Conflict(String),
    #[error("write interrupted: {0}")]
    Interrupted(String),
    /// The database did not answer (`Store::ping`).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug)]
enum Backend {
    /// SQLite allows one writer: a single-connection pool serialises appends
    /// (and so each tenant's chain) without busy errors; readers run in parallel.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        /// Reads of big pages (exports, pulls): kept apart from the console's readers.
        bulk: SqlitePool,
        /// The search indexer's connection (see `search_file`).
        index: SqlitePool,
    },
    Postgres {
        pool: PgPool,
        /// Reads of big pages (exports, pulls), as on SQLite: an export's back-to-back
        /// pages cannot take the console's connections.
        bulk: PgPool,
    },
}

#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// The SQL `backend`'s database speaks: asked wherever the statements differ.
    dialect: Dialect,
    commits: Arc<append::GroupCommit>,
    indexer: Arc<search_file::Indexer>,
    rates: Arc<rates::RateBook>,
}

/// Expands `$body` once per backend with `$pool` bound to the reader pool.
macro_rules! with_read {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { read: $pool, .. } => $body,
            $crate::store::Backend::Postgres { pool: $pool, .. } => $body,
        }
    };
}

/// Expands `$body` once per backend with `$pool` bound to the writer's pool.
macro_rules! with_write {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { write: $pool, .. } => $body,
            $crate::store::Backend::Postgres { pool: $pool, .. } => $body,
        }
    };
}
/// Expands `$body` once per backend with `$pool` bound to the bulk readers' pool: long
/// reads (a whole chain's `verify`) that must not hold the console's connections.
macro_rules! with_bulk {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { bulk: $pool, .. } => $body,
            $crate::store::Backend::Postgres { bulk: $pool, .. } => $body,
        }
    };
}
pub(crate) use {with_bulk, with_read, with_write};

/// Whether opening a PostgreSQL store runs the migrations. A serving role that may only
/// read and insert skips them; the owner role runs them (`vigil migrate`). SQLite's
/// file has one owner: it always migrates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Migrations {
    #[default]
    Run,
    Skip,
}

impl Store {
    /// Opens (creating if needed) the database and runs the migrations.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        Store::open(url, Migrations::Run).await
    }

    /// Opens (creating if needed) the database, running the migrations unless skipped.
    #[tracing::instrument(skip_all)]
    pub async fn open(url: &str, migrations: Migrations) -> StoreResult<Store> {
        let (backend, dialect) = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is fsynced before the API answers 201, so "accepted"
                // survives power loss too. Batches amortise the fsync.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .disable_statement_logging();
            // Every connection sees the search index's file as schema `search`.
            let search = search_file::path_for(opts.get_filename());
            let pool = move || {
                let search = search.clone();
                SqlitePoolOptions::new().after_connect(move |conn, _| {
                    let search = search.clone();
                    Box::pin(async move {
                        sqlx::query("ATTACH DATABASE $1 AS search")
                            .bind(search.to_string_lossy().into_owned())
                            .execute(conn)
                            .await
                            .map(drop)
                    })
                })
            };
            // The writer keeps the hot index pages of every append in its cache (256 MB:
            // at 10M records the indexes' growing edges alone outgrow 64 MB). The indexer's
            // connection checkpoints the WAL every second (see search_file.rs); the
            // writer does so itself only past 256 MB of WAL.
            let write = pool()
                .max_connections(1)
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", "-262144")
                        .pragma("wal_autocheckpoint", "65536"),
                )
                .await?;
            sqlx::migrate!("../migrations/sqlite").run(&write).await?;
            search_file::create(&write).await?;
            // Statistics for the planner, bounded so start-up stays fast on big files.
            sqlx::query("PRAGMA main.optimize").execute(&write).await?;
            // Plain (not read-only) connections: under load, read-only ones could wait
            // out the busy timeout on the WAL index, stalling requests for seconds.
            // 16 MB each: the OS page cache serves the rest, and eight caches of 64 MB
            // would dominate the server's memory.
            let read = pool()
                .max_connections(8)
                // Rows cross from SQLite's thread to the request task through a channel;
                // a deep one lets a page stream without a thread switch per row.
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", "-16384")
                        .row_buffer_size(1024),
                )
                .await?;
            // An export reads its pages back to back, and a pool opens a connection
            // whenever the last one is not back yet: through the console's pool it ended
            // up warming three 16 MB caches. Its own two connections, with 4 MB each (a
            // scan reads each page once), bound what exports hold and leave the
            // console's readers to the console.
            let bulk = pool()
                .max_connections(2)
                .connect_with(opts.clone().pragma("cache_size", "-4096"))
                .await?;
            // The indexer's: FTS5 keeps a batch's terms in memory until it commits.
            let index = pool()
                .max_connections(1)
                .connect_with(opts.pragma("cache_size", "-16384"))
                .await?;
            let backend = Backend::Sqlite {
                read,
                write,
                bulk,
                index,
            };
            (backend, Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No JIT: it compiles a query whose estimated cost passes `jit_above_cost`,
            // and a search lookup that reads a handful of rows spent 89 ms of its 139 ms
            // compiling (11M records). Vigil's queries read indexes and few rows; none
            // runs long enough to win the compile time back.
            let opts = PgConnectOptions::from_str(url)?
                .options([("jit", "off")])
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect_with(opts.clone())
                .await?;
            if migrations == Migrations::Run {
                sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            }
            let bulk = PgPoolOptions::new()
                .max_connections(2)
                .connect_with(opts)
                .await?;
            (Backend::Postgres { pool, bulk }, Dialect::Postgres)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let mut store = Store {
            backend,
            dialect,
            commits: Arc::default(),
            indexer: Arc::default(),
            rates: Arc::default(),
        };
        store.rates = Arc::new(store.load_rates().await?);
        // Before any append: the writer grows only trees that hold their whole chain.
        store.build_trees().await?;
        if let Backend::Sqlite { index, .. } = &store.backend {
            store.spawn_indexer(index.clone());
        }
        Ok(store)
    }

    /// Refreshes the planner's statistics (after a bulk load; PostgreSQL's autovacuum
    /// and SQLite's `PRAGMA optimize` at start-up do the same over time).
    pub async fn analyze(&self) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::raw_sql(self.dialect.analyze()).execute(pool).await?;
        });
        Ok(())
    }

    pub fn backend_name(&self) -> &'static str {
        self.dialect.name()
    }

    /// The SQL dialect of the database behind this store.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Runs raw SQL: for tests that must prove what the database refuses, and for
    /// tampering with rows behind the triggers' back.
    pub async fn execute_raw(&self, sql: &str) -> StoreResult<u64> {
        Ok(with_write!(self, |pool| {
            sqlx::raw_sql(sql).execute(pool).await?.rows_affected()
        }))
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                read,
                write,
                bulk,
                index,
            } => {
                read.close().await;
                write.close().await;
                bulk.close().await;
                index.close().await;
            }
            Backend::Postgres { pool, bulk } => {
                pool.close().await;
                bulk.close().await;
            }
        }
    }
}

/// Milliseconds since the Unix epoch: how both backends store instants.
pub(crate) fn to_ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A new record id: a UUIDv7 of `at`, so ids sort by time.
pub fn new_id(at: chrono::DateTime<chrono::Utc>) -> uuid::Uuid {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, &rand::random()).into_uuid()
}
