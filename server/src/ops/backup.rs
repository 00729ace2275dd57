//! `vigil backup --to FILE`: a consistent copy of a live SQLite database, taken while the
//! server goes on appending. SQLite's `VACUUM INTO` reads one snapshot into a file beside
//! the target, which is synced and only then linked into place, so FILE is whole or
//! absent, and never an existing file overwritten. The search file is not copied: a
//! projection of the records, rebuilt by whoever opens the copy (README, "Backups").
//! PostgreSQL is backed up with `pg_dump -Fc`.

use super::progress::Progress;
use app::store::{Dialect, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists: a backup never overwrites a file (choose a new name)")]
    Exists(PathBuf),
    #[error(
        "vigil backup copies a SQLite database; back PostgreSQL up with \
         `pg_dump -Fc -f FILE URL` (README, \"Backups\")"
    )]
    Postgres,
    #[error("{0}: no such database to back up")]
    Missing(PathBuf),
    #[error("copying the database: {0}")]
    Store(#[from] app::store::StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Before the store is opened (which would make a missing SQLite file, and back up an
/// empty database): the database at `database_url` exists.
pub fn check_source(database_url: &str) -> Result<(), BackupError> {
    use std::str::FromStr;
    let Ok(options) = sqlx::sqlite::SqliteConnectOptions::from_str(database_url) else {
        return Ok(()); // PostgreSQL, or a URL the store will name as wrong
    };
    let path = options.get_filename();
    if database_url.starts_with("sqlite:") && !path.exists() {
        return Err(BackupError::Missing(path.to_path_buf()));
    }
    Ok(())
}

/// Copies `store`'s SQLite database to `to`, showing progress on standard error.
pub async fn backup(store: &Store, to: &Path) -> Result<Backup, BackupError> {
    if store.dialect() == Dialect::Postgres {
        return Err(BackupError::Postgres);
    }
    if to.symlink_metadata().is_ok() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    let partial = partial_path(to);
    let total = store.sqlite_bytes_in_use().await?;
    let progress = Arc::new(Progress::new(
        format!("backup to {}", to.display()),
        total,
        "bytes",
    ));
    // The copy's size as it grows: SQLite says nothing until it is done.
    let watcher = tokio::spawn({
        let (progress, partial) = (progress.clone(), partial.clone());
        async move {
            loop {
                if let Ok(m) = tokio::fs::metadata(&partial).await {
                    progress.set(m.len());
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    });
    let copied = store.backup_into(&partial).await;
    watcher.abort();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    let placed = tokio::task::spawn_blocking({
        let (partial, to) = (partial.clone(), to.to_path_buf());
        move || place(&partial, &to)
    })
    .await
    .map_err(|e| BackupError::Io {
        path: to.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let _ = std::fs::remove_file(&partial);
    let bytes = placed?;
    progress.finish(bytes);
    Ok(Backup { bytes })
}

/// The file the copy is written to first: beside `to`, so linking it is one step.
fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    name.into()
}

/// Syncs the copy, links it as `to` (failing if `to` appeared meanwhile: a link never
/// replaces a file) and syncs the folder; returns its size.
fn place(partial: &Path, to: &Path) -> Result<u64, BackupError> {
    let file = std::fs::File::open(partial).map_err(io(partial))?;
    file.sync_all().map_err(io(partial))?;
    let bytes = file.metadata().map_err(io(partial))?.len();
    std::fs::hard_link(partial, to).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Exists(to.to_path_buf()),
        _ => io(to)(e),
    })?;
    let folder = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(bytes)
}
