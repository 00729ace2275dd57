//! Appending records: group commit, the hash chain, and what ingest keeps up to date
//! in the same transaction (each job's newest record, hourly usage sums).
//!
//! Concurrent appends share one transaction, so one commit (one fsync on SQLite) covers
//! several requests, and the rows they touch in hot index pages are written once. A
//! request is checked whole before any of its rows is written, so one that fails leaves
//! the others whole.

use super::row::{EventRow, COLUMNS, GENESIS};
use super::{to_ms, with_write, Store, StoreError};
use crate::store::events::{AppendError, AppendOutcome, NewEvent};
use chrono::Utc;
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;

/// Rows per INSERT: 25 columns × 1,000 stays under both backends' bind limits (32,766
/// and 65,535). Fewer, bigger statements: each one is a round trip between the writer's
/// task and its database thread.
const INSERT_CHUNK: usize = 1000;

/// Records per group commit at most (roughly): bounds a transaction's size and latency.
const GROUP_ROWS: usize = 10_000;

type Reply = Result<Vec<AppendOutcome>, AppendError>;

/// One caller's records, prepared outside the writer, waiting for a commit.
struct Pending {
    tenant_id: String,
    /// The records' ids, as `rows` holds them in text.
    ids: Vec<Uuid>,
    rows: Vec<EventRow>,
    reply: oneshot::Sender<Reply>,
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

    fn push(&self, p: Pending) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push(p);
    }
}

/// The chain position of one tenant within a group.
#[derive(Clone)]
struct Head {
    seq: i64,
    hash: String,
    loaded_seq: i64,
}

impl Store {
    /// The writer's time so far, by stage (see `WriterStats`).
    pub fn writer_stats(&self) -> WriterStats {
        *self.commits.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `events` to `tenant_id`'s chain: all or nothing.
    /// Ids already stored for this tenant are skipped and reported as duplicates.
    #[tracing::instrument(skip(self, events), fields(count = events.len()))]
    pub async fn append(
        &self,
        tenant_id: &str,
        events: &[NewEvent],
    ) -> Result<Vec<AppendOutcome>, AppendError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let received_at = to_ms(Utc::now());
        let rows = events
            .iter()
            .map(|e| EventRow::prepare(tenant_id, e, received_at))
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
            work.push((p.tenant_id, p.ids, p.rows));
        }
        match self.write_group(work).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // The caller may have gone away; its records are committed regardless.
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                let reason = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(AppendError::Store(StoreError::Interrupted(
                        reason.clone(),
                    ))));
                }
            }
        }
    }

    /// One transaction for the whole group.
    async fn write_group(
        &self,
        work: Vec<(String, Vec<Uuid>, Vec<EventRow>)>,
    ) -> Result<Vec<Reply>, StoreError> {
        let sqlite = matches!(self.backend, super::Backend::Sqlite { .. });
        let started = Instant::now();
        let mut stats = WriterStats {
            groups: 1,
            requests: work.len() as u64,
            rows: work.iter().map(|w| w.2.len() as u64).sum(),
            ..WriterStats::default()
        };
        let results = with_write!(self, |pool, for_update| {
            let mut tx = pool.begin().await?;
            // SQLite: a statement that writes many rows and may fail half-way keeps a
            // journal of every page it touches, to undo just itself (an eighth of the
            // writer's time). Every row is checked before it is written, so a failure
            // here is the database's and ends the whole transaction instead (OR
            // ROLLBACK), and foreign keys are checked at commit.
            let insert = if sqlite {
                sqlx::query("PRAGMA defer_foreign_keys = ON")
                    .execute(&mut *tx)
                    .await?;
                "INSERT OR ROLLBACK INTO"
            } else {
                "INSERT INTO"
            };
            let mut heads: HashMap<String, Head> = HashMap::new();
            let mut results = Vec::with_capacity(work.len());
            let mut written: Vec<EventRow> = Vec::new();
            for (tenant_id, ids, mut rows) in work {
                if !heads.contains_key(&tenant_id) {
                    sqlx::query(
                        "INSERT INTO chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) \
                         ON CONFLICT (tenant_id) DO NOTHING",
                    )
                    .bind(&tenant_id)
                    .bind(GENESIS)
                    .execute(&mut *tx)
                    .await?;
                    let (seq, hash): (i64, String) = sqlx::query_as(&format!(
                        "SELECT seq, hash FROM chain_heads WHERE tenant_id = $1{for_update}"
                    ))
                    .bind(&tenant_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    heads.insert(
                        tenant_id.clone(),
                        Head {
                            seq,
                            hash,
                            loaded_seq: seq,
                        },
                    );
                }
                let Some(head) = heads.get_mut(&tenant_id) else {
                    continue;
                };
                let before = head.clone();
                let t = Instant::now();
                // Every check comes before the request's first write, so a request that
                // fails them has written nothing and needs no savepoint (each page a
                // savepoint touches is first copied to its journal: a fifth of the
                // writer's time went to that). A database error fails the whole group.
                // Known ids: duplicates of this tenant, or ids another tenant owns.
                let mut existing: HashMap<String, (String, i64)> = HashMap::new();
                for chunk in rows.chunks(INSERT_CHUNK) {
                    let mut q =
                        QueryBuilder::new("SELECT id, tenant_id, seq FROM events WHERE id IN (");
                    let mut ids = q.separated(", ");
                    for r in chunk {
                        ids.push_bind(r.id.clone());
                    }
                    q.push(")");
                    let found: Vec<(String, String, i64)> =
                        q.build_query_as().fetch_all(&mut *tx).await?;
                    existing.extend(found.into_iter().map(|(id, t, s)| (id, (t, s))));
                }
                let accounts: HashSet<&str> = rows
                    .iter()
                    .filter_map(|r| r.account_id.as_deref())
                    .collect();
                let mut known: HashSet<String> = HashSet::new();
                if !accounts.is_empty() {
                    let mut q = QueryBuilder::new("SELECT id FROM accounts WHERE tenant_id = ");
                    q.push_bind(tenant_id.clone()).push(" AND id IN (");
                    let mut list = q.separated(", ");
                    for a in &accounts {
                        list.push_bind(a.to_string());
                    }
                    q.push(")");
                    known.extend(q.build_query_scalar::<String>().fetch_all(&mut *tx).await?);
                }
                let checked = match rows
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.account_id.as_ref().is_some_and(|a| !known.contains(a)))
                {
                    Some((index, r)) => Err(AppendError::UnknownAccount {
                        index,
                        account_id: r.account_id.clone().unwrap_or_default(),
                    }),
                    None => place(&mut rows, ids, &existing, &tenant_id, head),
                };
                stats.check += t.elapsed();
                let outcomes = match checked {
                    Ok(outcomes) => outcomes,
                    Err(e) => {
                        *head = before;
                        results.push(Err(e));
                        continue;
                    }
                };
                let t = Instant::now();
                // Placed rows took the positions after the head's: the others repeat ids.
                let fresh: Vec<EventRow> =
                    rows.into_iter().filter(|r| r.seq > before.seq).collect();
                for chunk in fresh.chunks(INSERT_CHUNK) {
                    let mut q = QueryBuilder::new(format!("{insert} events ({COLUMNS}) "));
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.id)
                            .push_bind(&r.tenant_id)
                            .push_bind(&r.account_id)
                            .push_bind(r.seq)
                            .push_bind(&r.kind)
                            .push_bind(r.occurred_at)
                            .push_bind(r.received_at)
                            .push_bind(&r.actor)
                            .push_bind(&r.actor_type)
                            .push_bind(&r.ip)
                            .push_bind(&r.user_agent)
                            .push_bind(&r.action)
                            .push_bind(&r.status)
                            .push_bind(&r.category)
                            .push_bind(&r.agent)
                            .push_bind(&r.model)
                            .push_bind(&r.subject)
                            .push_bind(r.tokens_in)
                            .push_bind(r.tokens_out)
                            .push_bind(r.cost_micros)
                            .push_bind(r.credits_micros)
                            .push_bind(r.executions)
                            .push_bind(&r.body)
                            .push_bind(&r.prev_hash)
                            .push_bind(&r.hash);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                stats.insert += t.elapsed();
                written.extend(fresh);
                results.push(Ok(outcomes));
            }
            for (tenant_id, head) in &heads {
                if head.seq != head.loaded_seq {
                    sqlx::query("UPDATE chain_heads SET seq = $1, hash = $2 WHERE tenant_id = $3")
                        .bind(head.seq)
                        .bind(&head.hash)
                        .bind(tenant_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }

            let t = Instant::now();
            let jobs = newest_jobs(&written);
            for chunk in jobs.chunks(INSERT_CHUNK) {
                let mut q = QueryBuilder::new(format!(
                    "{insert} job_heads (tenant_id, subject, id, account_id, occurred_at, \
                     actor, action, status, category, agent, model) "
                ));
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(&r.tenant_id)
                        .push_bind(&r.subject)
                        .push_bind(&r.id)
                        .push_bind(&r.account_id)
                        .push_bind(r.occurred_at)
                        .push_bind(&r.actor)
                        .push_bind(&r.action)
                        .push_bind(&r.status)
                        .push_bind(&r.category)
                        .push_bind(&r.agent)
                        .push_bind(&r.model);
                });
                q.push(
                    " ON CONFLICT (tenant_id, subject) DO UPDATE SET id = excluded.id, \
                     account_id = excluded.account_id, occurred_at = excluded.occurred_at, \
                     actor = excluded.actor, action = excluded.action, status = excluded.status, \
                     category = excluded.category, agent = excluded.agent, model = excluded.model \
                     WHERE (excluded.occurred_at, excluded.id) > (job_heads.occurred_at, job_heads.id)",
                );
                q.build().execute(&mut *tx).await?;
            }

            stats.job_heads += t.elapsed();
            let t = Instant::now();
            for (table, column, unit) in ROLLUPS {
                let sums: Vec<(UsageKey, UsageSums)> =
                    usage_sums(&written, unit).into_iter().collect();
                for chunk in sums.chunks(INSERT_CHUNK) {
                    let mut q = QueryBuilder::new(format!(
                        "{insert} {table} (tenant_id, dim, {column}, kind, account_id, name, \
                         records, executions, credits, tokens_in, tokens_out, cost) "
                    ));
                    q.push_values(chunk, |mut b, (k, s)| {
                        b.push_bind(&k.tenant_id)
                            .push_bind(k.dim)
                            .push_bind(k.bucket)
                            .push_bind(&k.kind)
                            .push_bind(&k.account_id)
                            .push_bind(&k.name)
                            .push_bind(s.records)
                            .push_bind(s.executions)
                            .push_bind(s.credits)
                            .push_bind(s.tokens_in)
                            .push_bind(s.tokens_out)
                            .push_bind(s.cost);
                    });
                    q.push(format!(
                        " ON CONFLICT (tenant_id, dim, {column}, kind, account_id, name) DO UPDATE SET \
                         records = {table}.records + excluded.records, \
                         executions = {table}.executions + excluded.executions, \
                         credits = {table}.credits + excluded.credits, \
                         tokens_in = {table}.tokens_in + excluded.tokens_in, \
                         tokens_out = {table}.tokens_out + excluded.tokens_out, \
                         cost = {table}.cost + excluded.cost"
                    ));
                    q.build().execute(&mut *tx).await?;
                }
            }
            stats.rollups += t.elapsed();
            let t = Instant::now();
            tx.commit().await?;
            stats.commit += t.elapsed();
            // SQLite's search index follows the append (see search_file.rs).
            self.indexer.wake.notify_one();
            Ok::<_, StoreError>(results)
        })?;
        stats.total = started.elapsed();
        self.commits
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(&stats);
        Ok(results)
    }
}

/// Places `rows` in the tenant's chain after `head` (which moves), skipping ids stored
/// before (`existing`: id → owner and position) or earlier in the same request.
fn place(
    rows: &mut [EventRow],
    ids: Vec<Uuid>,
    existing: &HashMap<String, (String, i64)>,
    tenant_id: &str,
    head: &mut Head,
) -> Result<Vec<AppendOutcome>, AppendError> {
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut in_batch: HashMap<Uuid, i64> = HashMap::new();
    for (index, (r, id)) in rows.iter_mut().zip(ids).enumerate() {
        let earlier = match existing.get(&r.id) {
            Some((owner, _)) if owner != tenant_id => {
                return Err(AppendError::IdTaken { index, id });
            }
            Some((_, seq)) => Some(*seq),
            None => in_batch.get(&id).copied(),
        };
        let seq = match earlier {
            Some(seq) => seq,
            None => {
                head.seq += 1;
                r.seal(head.seq, &head.hash);
                head.hash.clone_from(&r.hash);
                in_batch.insert(id, head.seq);
                head.seq
            }
        };
        outcomes.push(AppendOutcome {
            id,
            seq,
            duplicate: earlier.is_some(),
        });
    }
    Ok(outcomes)
}

/// Each job's newest record among `rows` (a conflict may update a row only once).
fn newest_jobs(rows: &[EventRow]) -> Vec<&EventRow> {
    let mut newest: HashMap<(&str, &str), &EventRow> = HashMap::new();
    for r in rows {
        let (true, Some(subject)) = (r.kind == "job", r.subject.as_deref()) else {
            continue;
        };
        let slot = newest.entry((&r.tenant_id, subject)).or_insert(r);
        if (r.occurred_at, &r.id) > (slot.occurred_at, &slot.id) {
            *slot = r;
        }
    }
    newest.into_values().collect()
}

/// The kinds whose tokens, cost and credits the Usage tab sums.
pub(crate) const USAGE_KINDS: [&str; 3] = ["ai_interaction", "job", "credit_usage"];
/// The dimensions usage is grouped by, as stored in `usage_hourly.dim`.
pub(crate) const USAGE_DIMS: [&str; 3] = ["actor", "agent", "model"];
pub(crate) const HOUR_MS: i64 = 3_600_000;
pub(crate) const DAY_MS: i64 = 86_400_000;
/// The roll-up tables: name, bucket column, bucket length.
pub(crate) const ROLLUPS: [(&str, &str, i64); 2] = [
    ("usage_hourly", "hour", HOUR_MS),
    ("usage_daily", "day", DAY_MS),
];

#[derive(Clone, PartialEq, Eq, Hash)]
struct UsageKey {
    tenant_id: String,
    dim: &'static str,
    bucket: i64,
    kind: String,
    account_id: String,
    name: String,
}

/// Usage sums of one group, as the roll-up tables and the Usage tab hold them.
#[derive(Clone, Copy, Debug, Default, sqlx::FromRow)]
pub(crate) struct UsageSums {
    pub records: i64,
    pub executions: i64,
    pub credits: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost: i64,
}

impl UsageSums {
    pub fn add(&mut self, o: &UsageSums) {
        self.records = self.records.saturating_add(o.records);
        self.executions = self.executions.saturating_add(o.executions);
        self.credits = self.credits.saturating_add(o.credits);
        self.tokens_in = self.tokens_in.saturating_add(o.tokens_in);
        self.tokens_out = self.tokens_out.saturating_add(o.tokens_out);
        self.cost = self.cost.saturating_add(o.cost);
    }
}

/// `rows` summed per bucket of `unit` ms, account, kind and each dimension's value.
fn usage_sums(rows: &[EventRow], unit: i64) -> HashMap<UsageKey, UsageSums> {
    let mut sums: HashMap<UsageKey, UsageSums> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| USAGE_KINDS.contains(&r.kind.as_str()))
    {
        for dim in USAGE_DIMS {
            let name = match dim {
                "actor" => Some(&r.actor),
                "agent" => r.agent.as_ref(),
                _ => r.model.as_ref(),
            };
            let key = UsageKey {
                tenant_id: r.tenant_id.clone(),
                dim,
                // `%` as both databases compute it, so backfilled and live hours agree.
                bucket: r.occurred_at - r.occurred_at % unit,
                kind: r.kind.clone(),
                account_id: r.account_id.clone().unwrap_or_default(),
                name: name.cloned().unwrap_or_default(),
            };
            sums.entry(key).or_default().add(&UsageSums {
                records: 1,
                executions: r.executions.unwrap_or(0),
                credits: r.credits_micros.unwrap_or(0),
                tokens_in: r.tokens_in.unwrap_or(0),
                tokens_out: r.tokens_out.unwrap_or(0),
                cost: r.cost_micros.unwrap_or(0),
            });
        }
    }
    sums
}
