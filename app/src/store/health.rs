//! What an operator asks of the store: whether it answers (`/readyz`), how big its files
//! are and what waits for the writer (`/metrics`), and a consistent copy of a live
//! SQLite database (`vigil backup`).

use super::{search_file, Backend, Store, StoreError, StoreResult};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One of the database's files and its size, for `/metrics`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSize {
    /// `database`, `wal`, `search` or `search_wal` (SQLite); `database` (PostgreSQL).
    pub file: &'static str,
    pub bytes: u64,
}

/// What waits for the writer: requests queued and the records they hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterQueue {
    pub requests: usize,
    pub records: usize,
}

impl Store {
    /// Whether the database answers a trivial query within `within` (and, on SQLite,
    /// whether its file is still where it was opened: connections go on reading and
    /// writing a deleted file, whose records would vanish when they close).
    pub async fn ping(&self, within: Duration) -> StoreResult<()> {
        if let Some(path) = self.sqlite_path() {
            if !path.exists() {
                return Err(StoreError::Unavailable(format!(
                    "the database file {} is gone",
                    path.display()
                )));
            }
        }
        let query = async {
            let one: i32 = super::with_read!(self, |pool| {
                sqlx::query_scalar("SELECT 1").fetch_one(pool).await?
            });
            Ok::<_, StoreError>(one)
        };
        match tokio::time::timeout(within, query).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {} ms",
                within.as_millis()
            ))),
        }
    }

    /// The SQLite database's file (none on PostgreSQL).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.backend {
            Backend::Sqlite { read, .. } => {
                Some(read.connect_options().get_filename().to_path_buf())
            }
            Backend::Postgres { .. } => None,
        }
    }

    /// The database's size on disk: on SQLite each file (a missing one is left out), on
    /// PostgreSQL `pg_database_size` (its WAL is the cluster's, not the database's).
    pub async fn database_sizes(&self) -> StoreResult<Vec<FileSize>> {
        match &self.backend {
            Backend::Sqlite { read, .. } => {
                let main = read.connect_options().get_filename().to_path_buf();
                let search = search_file::path_for(&main);
                let files = [
                    ("database", main.clone()),
                    ("wal", search_file::suffixed(&main, "-wal")),
                    ("search", search.clone()),
                    ("search_wal", search_file::suffixed(&search, "-wal")),
                ];
                Ok(files
                    .into_iter()
                    .filter_map(|(file, path)| {
                        let bytes = std::fs::metadata(path).ok()?.len();
                        Some(FileSize { file, bytes })
                    })
                    .collect())
            }
            Backend::Postgres { pool, .. } => {
                let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(pool)
                    .await?;
                Ok(vec![FileSize {
                    file: "database",
                    bytes: u64::try_from(bytes).unwrap_or(0),
                }])
            }
        }
    }

    /// What waits for the writer now.
    pub fn writer_queue(&self) -> WriterQueue {
        let (requests, records) = self.commits.queued();
        WriterQueue { requests, records }
    }

    /// The bytes a copy of the SQLite database will take, about (its pages in use; a
    /// copy made with `VACUUM INTO` rebuilds the indexes, so it may differ a little).
    pub async fn sqlite_bytes_in_use(&self) -> StoreResult<u64> {
        let Backend::Sqlite { read, .. } = &self.backend else {
            return Err(StoreError::Unsupported("a SQLite database's size"));
        };
        let (pages, free, size): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT page_count FROM pragma_page_count()), \
             (SELECT freelist_count FROM pragma_freelist_count()), \
             (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(read)
        .await?;
        Ok(u64::try_from((pages - free).max(0) * size).unwrap_or(0))
    }

    /// Writes a consistent copy of the SQLite database to `to`, which must not exist:
    /// `VACUUM INTO` reads one snapshot, so appends committed meanwhile are not in it and
    /// go on unhindered (the WAL grows until it ends). Only the main file: the search
    /// file is rebuilt by whoever opens the copy. SQLite does not sync the copy; the
    /// caller does.
    pub async fn backup_into(&self, to: &Path) -> StoreResult<()> {
        let Backend::Sqlite { bulk, .. } = &self.backend else {
            return Err(StoreError::Unsupported(
                "vigil backup is SQLite's: back PostgreSQL up with pg_dump -Fc",
            ));
        };
        sqlx::query("VACUUM main INTO $1")
            .bind(to.to_string_lossy().into_owned())
            .execute(bulk)
            .await?;
        Ok(())
    }
}
