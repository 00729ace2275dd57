//! SQLite's search index, kept behind the append in a database file of its own.
//!
//! The FTS5 trigram tables (one per kind, keyed by the events' rowids) are a projection
//! of `events`, not audit data. They keep which records hold a trigram, without columns
//! or positions (`detail='none'`: 40% less work and a third of the size): a search asks
//! for the records holding all of its trigrams, and checks its exact condition on them.
//! Building them inside the append transaction cost the single writer about as much as
//! the rows themselves, so an indexer adds each newly committed range of rows in a
//! transaction of its own. Being in another file (attached as `search` on every
//! connection), that transaction takes no lock the writer needs: appends and indexing
//! run on both cores at once.
//!
//! The indexer's connection also checkpoints the main database's WAL, off the writer's
//! thread.
//!
//! `search_state.upto` is the last rowid indexed, committed with the index itself. A
//! search takes its candidates from the index and every row after `upto` (see
//! `search_sql::push_fts_rowids`), so records are found the moment their append commits,
//! however far the indexer lags. Deleting the file only makes the indexer start again.

use super::tx::WriteTx;
use super::{Store, StoreResult};
use crate::model::EventKind;
use sqlx::SqlitePool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Rows per indexing transaction at most: big enough that FTS5 writes each trigram's
/// segment entry once for many rows, small enough to keep a transaction short.
const INDEX_BATCH: i64 = 50_000;

/// How often the indexer's connection checkpoints the main database's WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// How the indexer is woken, and what it has done.
#[derive(Debug, Default)]
pub(crate) struct Indexer {
    pub(crate) wake: Notify,
    stats: Mutex<IndexerStats>,
}

/// The indexer's work since start-up: `vigil bench` reports it per record.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct IndexerStats {
    pub batches: u64,
    pub rows: u64,
    /// From BEGIN to the end of COMMIT, summed.
    pub busy: Duration,
}

/// The search file's tables; idempotent. Not a migration: the file can be deleted and
/// is then made again here, and filled again by the indexer.
pub(crate) async fn create(write: &SqlitePool) -> StoreResult<()> {
    sqlx::raw_sql(
        "PRAGMA search.journal_mode = WAL; \
         CREATE TABLE IF NOT EXISTS search.search_state (\
             id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL); \
         INSERT OR IGNORE INTO search.search_state (id, upto) VALUES (1, 0);",
    )
    .execute(write)
    .await?;
    // An index ahead of the records belongs to other records (a database restored from
    // a backup beside a newer search file): start it again.
    let ahead: bool = sqlx::query_scalar(
        "SELECT upto > (SELECT coalesce(max(rowid), 0) FROM events) FROM search.search_state",
    )
    .fetch_one(write)
    .await?;
    let mut sql = String::new();
    if ahead {
        sql += "UPDATE search.search_state SET upto = 0;";
        for kind in EventKind::ALL {
            sql += &format!("DROP TABLE IF EXISTS search.search_{};", kind.as_str());
        }
    }
    for kind in EventKind::ALL {
        sql += &format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search.search_{} USING fts5(\
                 actor, subject, action, model, agent, content='', tokenize='trigram', \
                 detail='none');",
            kind.as_str()
        );
    }
    sqlx::raw_sql(&sql).execute(write).await?;
    Ok(())
}

/// The search file of the database at `path`: beside it, with `-search` appended.
pub(crate) fn path_for(database: &std::path::Path) -> std::path::PathBuf {
    suffixed(database, "-search")
}

/// `file` with `suffix` appended to its name, as SQLite names a database's companions.
pub(super) fn suffixed(file: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Every file the SQLite database at `database` may have: itself, its search file, and
/// their write-ahead logs and shared-memory indexes (to remove a throw-away database).
pub fn database_files(database: &std::path::Path) -> Vec<std::path::PathBuf> {
    let search = path_for(database);
    [database, search.as_path()]
        .into_iter()
        .flat_map(|file| ["", "-wal", "-shm"].map(|suffix| suffixed(file, suffix)))
        .collect()
}

impl Store {
    /// The indexer's work so far (SQLite; zero on PostgreSQL, whose indexes are the
    /// table's own).
    pub fn indexer_stats(&self) -> IndexerStats {
        *self.indexer.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many committed records the search index has yet to add (0 on PostgreSQL).
    pub async fn search_lag(&self) -> StoreResult<i64> {
        let super::Backend::Sqlite { read, .. } = &self.backend else {
            return Ok(0);
        };
        Ok(sqlx::query_scalar(
            "SELECT (SELECT coalesce(max(rowid), 0) FROM events) - upto FROM search_state",
        )
        .fetch_one(read)
        .await?)
    }

    /// Indexes the records committed after `search_state.upto`, a batch at a time,
    /// whenever an append commits (or every second), until the pool closes.
    pub(crate) fn spawn_indexer(&self, pool: SqlitePool) {
        let indexer: Arc<Indexer> = self.indexer.clone();
        tokio::spawn(async move {
            let mut checkpointed = Instant::now();
            loop {
                // The writer's checkpoints, taken off its thread: copying the WAL into the
                // database file had been a twelfth of its time. The writer still
                // checkpoints itself should the WAL outgrow its fallback threshold.
                if checkpointed.elapsed() >= CHECKPOINT_EVERY {
                    checkpointed = Instant::now();
                    if let Err(e) = sqlx::query("PRAGMA main.wal_checkpoint(PASSIVE)")
                        .execute(&pool)
                        .await
                    {
                        tracing::debug!(error = %e, "checkpoint skipped");
                    }
                }
                match index_batch(&pool, &indexer).await {
                    // More may be waiting: a batch stops at `INDEX_BATCH` rows.
                    Ok(rows) if rows > 0 => continue,
                    Ok(_) => {}
                    Err(_) if pool.is_closed() => return,
                    Err(e) => tracing::error!(error = %e, "search indexing failed"),
                }
                // A wake-up sent while indexing is kept by the Notify, so none is lost.
                let _ = tokio::time::timeout(Duration::from_secs(1), indexer.wake.notified()).await;
                if pool.is_closed() {
                    return;
                }
            }
        });
    }
}

/// Removes the index entries of `tenant_id`'s records `from..=upto`, in the purge's
/// transaction before it deletes them (store/retention.rs): FTS5 forgets a row of a
/// contentless table only when told its indexed values again. Rows after
/// `search_state.upto` were never indexed, and now never will be. PostgreSQL's trigram
/// entries go with the rows.
pub(super) async fn unindex(
    tx: &mut WriteTx,
    tenant_id: &str,
    from: i64,
    upto: i64,
) -> Result<(), sqlx::Error> {
    let WriteTx::Sqlite(tx) = tx else {
        return Ok(());
    };
    // The transaction's first touch of the search file is this write, so it waits out
    // the indexer's batch (busy timeout) rather than fail on a stale snapshot; holding
    // the file's write lock, it reads the `upto` the indexer will go on from.
    for kind in EventKind::ALL.iter().map(|k| k.as_str()) {
        sqlx::query(&format!(
            "INSERT INTO search_{kind} (search_{kind}, rowid, actor, subject, action, model, agent) \
             SELECT 'delete', rowid, actor, subject, action, model, agent FROM events \
             WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3 AND kind = '{kind}' \
             AND rowid <= (SELECT upto FROM search_state)"
        ))
        .bind(tenant_id)
        .bind(from)
        .bind(upto)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds the next batch of committed records to the search tables; returns how many.
async fn index_batch(pool: &SqlitePool, indexer: &Indexer) -> Result<u64, sqlx::Error> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    let upto: i64 = sqlx::query_scalar("SELECT upto FROM search_state")
        .fetch_one(&mut *tx)
        .await?;
    // This transaction's snapshot of events: only committed rows, and every row up to
    // `end` (the single writer gives rowids in increasing order).
    let (rows, end): (i64, Option<i64>) = sqlx::query_as(
        "SELECT count(*), max(rowid) FROM \
         (SELECT rowid FROM events WHERE rowid > $1 ORDER BY rowid LIMIT $2)",
    )
    .bind(upto)
    .bind(INDEX_BATCH)
    .fetch_one(&mut *tx)
    .await?;
    let Some(end) = end else {
        tx.rollback().await?;
        return Ok(0);
    };
    for kind in EventKind::ALL.iter().map(|k| k.as_str()) {
        sqlx::query(&format!(
            "INSERT INTO search_{kind} (rowid, actor, subject, action, model, agent) \
             SELECT rowid, actor, subject, action, model, agent FROM events \
             WHERE rowid > $1 AND rowid <= $2 AND kind = '{kind}'"
        ))
        .bind(upto)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE search_state SET upto = $1")
        .bind(end)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut stats = indexer.stats.lock().unwrap_or_else(|e| e.into_inner());
    stats.batches += 1;
    stats.rows += rows as u64;
    stats.busy += started.elapsed();
    Ok(rows as u64)
}
