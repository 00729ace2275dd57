//! Appending records: the group commit queue. Concurrent appends share one transaction,
//! so one commit (one fsync on SQLite) covers several requests, and the rows they touch
//! in hot index pages are written once. The transaction itself, in named steps, is in
//! writer.rs (the checks in check.rs, the usage sums in rollup.rs).

use super::row::EventRow;
use super::{to_ms, Store, StoreError};
use crate::model::{ActorType, EventDetail, WrittenBy};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use uuid::Uuid;

/// A validated record ready to append (built from wire input at the ingest edge).
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub account_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub actor_type: ActorType,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub detail: EventDetail,
}

/// Where an appended record landed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AppendOutcome {
    pub id: Uuid,
    pub seq: i64,
    /// The id was already stored: nothing was written for it.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("account {account_id} is not an account of this tenant")]
    UnknownAccount { index: usize, account_id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        AppendError::Store(StoreError::Db(e))
    }
}

/// Records per group commit at most (roughly): bounds a transaction's size and latency.
const GROUP_ROWS: usize = 10_000;

/// What one request of a group is answered.
pub(super) type Reply = Result<Vec<AppendOutcome>, AppendError>;

/// One caller's records, prepared outside the writer, waiting for a commit.
struct Pending {
    tenant_id: String,
    /// The records' ids, as `rows` holds them in text.
    ids: Vec<Uuid>,
    rows: Vec<EventRow>,
    reply: oneshot::Sender<Reply>,
}

/// One request's records, as the writer takes them: the rows are sealed in place, and
/// sealed again if the group is retried (see `Store::commit_group`).
pub(super) struct Work {
    pub tenant_id: String,
    /// The records' ids, as `rows` holds them in text.
    pub ids: Vec<Uuid>,
    pub rows: Vec<EventRow>,
}

/// The queue of appends waiting for the writer, and the writer itself.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<Pending>>,
    writer: Arc<tokio::sync::Mutex<()>>,
    stats: Mutex<WriterStats>,
}

/// Where the writer's time goes, summed over every group commit since start-up:
/// `vigil bench` reports it per record to explain the ingest rates.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct WriterStats {
    pub groups: u64,
    pub requests: u64,
    pub rows: u64,
    /// Looking up ids and accounts, and placing the rows in the chain.
    pub check: Duration,
    /// The rows themselves, with the table's indexes (on PostgreSQL, the trigram
    /// search indexes too; SQLite's follow in the indexer).
    pub insert: Duration,
    pub job_heads: Duration,
    pub rollups: Duration,
    /// The tenants' Merkle trees: their partial tiles read, grown and written.
    pub tree: Duration,
    /// COMMIT: writing the pages out and syncing (and any checkpoint it runs).
    pub commit: Duration,
    /// The whole transaction, from BEGIN to the end of COMMIT.
    pub total: Duration,
}

impl WriterStats {
    /// What happened between `earlier` and this snapshot.
    pub fn since(&self, earlier: &WriterStats) -> WriterStats {
        WriterStats {
            groups: self.groups.saturating_sub(earlier.groups),
            requests: self.requests.saturating_sub(earlier.requests),
            rows: self.rows.saturating_sub(earlier.rows),
            check: self.check.saturating_sub(earlier.check),
            insert: self.insert.saturating_sub(earlier.insert),
            job_heads: self.job_heads.saturating_sub(earlier.job_heads),
            rollups: self.rollups.saturating_sub(earlier.rollups),
            tree: self.tree.saturating_sub(earlier.tree),
            commit: self.commit.saturating_sub(earlier.commit),
            total: self.total.saturating_sub(earlier.total),
        }
    }

    fn add(&mut self, other: &WriterStats) {
        self.groups += other.groups;
        self.requests += other.requests;
        self.rows += other.rows;
        self.check += other.check;
        self.insert += other.insert;
        self.job_heads += other.job_heads;
        self.rollups += other.rollups;
        self.tree += other.tree;
        self.commit += other.commit;
        self.total += other.total;
    }
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// The oldest waiting requests, up to about `GROUP_ROWS` records (at least one).
    fn take(&self) -> Vec<Pending> {
        // A panic while holding this lock cannot leave the Vec half-changed.
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let mut rows = 0;
        let n = queue
            .iter()
            .take_while(|p| {
                let take = rows < GROUP_ROWS;
                rows += p.rows.len();
                take
            })
            .count();
        queue.drain(..n).collect()
    }

    /// The writer itself, for work that must not interleave with group commits.
    pub(super) async fn exclusive(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.writer.clone().lock_owned().await
    }

    fn push(&self, p: Pending) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push(p);
    }

    /// Requests and records waiting for the writer.
    pub(super) fn queued(&self) -> (usize, usize) {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        (queue.len(), queue.iter().map(|p| p.rows.len()).sum())
    }

    /// Adds one group commit's timings to the writer's (see `WriterStats`), and its
    /// size and time to the metrics (`vigil --metrics-addr`).
    pub(super) fn record(&self, group: &WriterStats) {
        metrics::histogram!("vigil_writer_group_records").record(group.rows as f64);
        metrics::histogram!("vigil_writer_group_seconds").record(group.total.as_secs_f64());
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(group);
    }
}

impl Store {
    /// The writer's time so far, by stage (see `WriterStats`).
    pub fn writer_stats(&self) -> WriterStats {
        *self.commits.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `events`, which `written_by` sent, to `tenant_id`'s chain: all or
    /// nothing. Ids already stored in the same account (or among the tenant-level
    /// records) are skipped and reported as duplicates.
    #[tracing::instrument(skip(self, events), fields(count = events.len()))]
    pub async fn append(
        &self,
        tenant_id: &str,
        written_by: &WrittenBy,
        events: &[NewEvent],
    ) -> Result<Vec<AppendOutcome>, AppendError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let received_at = to_ms(Utc::now());
        let rows = events
            .iter()
            .map(|e| EventRow::prepare(tenant_id, written_by, e, received_at))
            .collect::<Result<Vec<_>, _>>()?;
        let (reply, answer) = oneshot::channel();
        self.commits.push(Pending {
            tenant_id: tenant_id.to_owned(),
            ids: events.iter().map(|e| e.id).collect(),
            rows,
            reply,
        });
        // Whoever gets the writer commits everything queued by then, ours included
        // unless an earlier holder already took it. In a task of its own: a caller that
        // goes away must neither cut a commit short nor leave its records waiting.
        let store = self.clone();
        tokio::spawn(async move {
            let _writer = store.commits.writer.clone().lock_owned().await;
            let group = store.commits.take();
            if !group.is_empty() {
                store.commit_group(group).await;
            }
        });
        answer.await.unwrap_or_else(|_| {
            Err(AppendError::Store(StoreError::Interrupted(
                "the commit did not finish".into(),
            )))
        })
    }

    #[tracing::instrument(skip_all, fields(requests = group.len()))]
    async fn commit_group(&self, group: Vec<Pending>) {
        let mut replies = Vec::with_capacity(group.len());
        let mut work = Vec::with_capacity(group.len());
        for p in group {
            replies.push(p.reply);
            work.push(Work {
                tenant_id: p.tenant_id,
                ids: p.ids,
                rows: p.rows,
            });
        }
        let results = match self.write_group(&mut work).await {
            Ok(results) => results,
            // A database error the checks did not foresee: each request again in a
            // transaction of its own, so only the one that causes it fails.
            Err(e) if work.len() > 1 => {
                tracing::warn!(error = %e, "group commit failed; retrying its requests one by one");
                let mut results = Vec::with_capacity(work.len());
                for one in work.chunks_mut(1) {
                    results.push(match self.write_group(one).await {
                        Ok(mut r) => r.pop().unwrap_or_else(|| Err(interrupted("no result"))),
                        Err(e) => {
                            tracing::error!(error = %e, "append failed");
                            Err(interrupted(&e.to_string()))
                        }
                    });
                }
                results
            }
            Err(e) => {
                tracing::error!(error = %e, "append failed");
                vec![Err(interrupted(&e.to_string()))]
            }
        };
        for (reply, result) in replies.into_iter().zip(results) {
            // The caller may have gone away; its records are committed regardless.
            let _ = reply.send(result);
        }
    }
}

fn interrupted(reason: &str) -> AppendError {
    AppendError::Store(StoreError::Interrupted(reason.to_owned()))
}
