//! The writer: one transaction for a whole group of appends, in named steps. Each
//! request is checked whole (check.rs) before any of its rows is written, so one that
//! fails leaves the others whole; then the rows, the chain heads, each job's newest
//! record and the usage roll-ups (rollup.rs) are written, and the group commits.

use super::append::{Reply, Work, WriterStats};
use super::check::{check, load_head, Head};
use super::rollup::add_rollups;
use super::row::{EventRow, COLUMNS};
use super::tree::grow;
use super::tx::{on_tx, WriteTx, INSERT_CHUNK};
use super::{with_write, Dialect, Store, StoreError};
use crate::merkle::Hash;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use std::time::Instant;

impl Store {
    /// One transaction for the whole group.
    pub(super) async fn write_group(&self, work: &mut [Work]) -> Result<Vec<Reply>, StoreError> {
        let dialect = self.dialect;
        let started = Instant::now();
        let mut stats = WriterStats {
            groups: 1,
            requests: work.len() as u64,
            rows: work.iter().map(|w| w.rows.len() as u64).sum(),
            ..WriterStats::default()
        };
        let mut tx = self.begin_write().await?;
        let mut heads: HashMap<String, Head> = HashMap::new();
        let mut results = Vec::with_capacity(work.len());
        // (request, row) of every row written, for the job heads and roll-ups.
        let mut written: Vec<(usize, usize)> = Vec::new();
        for (request, w) in work.iter_mut().enumerate() {
            if !heads.contains_key(&w.tenant_id) {
                let head = load_head(&mut tx, dialect, &w.tenant_id).await?;
                heads.insert(w.tenant_id.clone(), head);
            }
            let Some(head) = heads.get_mut(&w.tenant_id) else {
                continue;
            };
            let before = head.clone();
            let t = Instant::now();
            let checked = check(&mut tx, &w.tenant_id, w.ids.clone(), &mut w.rows, head).await?;
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
            // Placed rows took new positions: the others repeat ids.
            let fresh: Vec<usize> = (0..w.rows.len())
                .filter(|i| outcomes.get(*i).is_some_and(|o| !o.duplicate))
                .collect();
            let rows: Vec<&EventRow> = fresh.iter().map(|i| &w.rows[*i]).collect();
            insert_rows(&mut tx, dialect, &rows).await?;
            stats.insert += t.elapsed();
            written.extend(fresh.into_iter().map(|i| (request, i)));
            results.push(Ok(outcomes));
        }
        let written: Vec<&EventRow> = written.iter().map(|(w, r)| &work[*w].rows[*r]).collect();
        let t = Instant::now();
        grow_trees(&mut tx, &mut heads, &written).await?;
        stats.tree += t.elapsed();
        update_chain_heads(&mut tx, &heads).await?;

        let t = Instant::now();
        update_job_heads(&mut tx, dialect, &written).await?;
        stats.job_heads += t.elapsed();
        let t = Instant::now();
        add_rollups(&mut tx, dialect, &written).await?;
        stats.rollups += t.elapsed();
        let t = Instant::now();
        tx.commit().await?;
        stats.commit += t.elapsed();
        // SQLite's search index follows the append (see search_file.rs).
        self.indexer.wake.notify_one();
        stats.total = started.elapsed();
        self.commits.record(&stats);
        Ok(results)
    }

    /// BEGIN on the writer's connection. SQLite: a statement that writes many rows and
    /// may fail half-way keeps a journal of every page it touches, to undo just itself
    /// (an eighth of the writer's time). Every row is checked before it is written, so a
    /// failure here is the database's and ends the whole transaction instead (OR
    /// ROLLBACK, `Dialect::insert_into`), and foreign keys are checked at commit.
    pub(super) async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let mut tx = with_write!(self, |pool| WriteTx::from(pool.begin().await?));
        if let Some(sql) = self.dialect.begin_write() {
            on_tx!(&mut tx, |conn| {
                sqlx::query(sql).execute(&mut *conn).await?;
            });
        }
        Ok(tx)
    }
}

/// Inserts a request's checked rows.
async fn insert_rows(
    tx: &mut WriteTx,
    dialect: Dialect,
    fresh: &[&EventRow],
) -> Result<(), sqlx::Error> {
    let insert = dialect.insert_into();
    for chunk in fresh.chunks(INSERT_CHUNK) {
        on_tx!(tx, |conn| {
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
                    .push_bind(&r.written_by)
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
            q.build().execute(&mut *conn).await?;
        });
    }
    Ok(())
}

/// Adds the group's records to their tenants' Merkle trees, in chain order (the order
/// they were placed in), for each tree that held its whole chain.
async fn grow_trees(
    tx: &mut WriteTx,
    heads: &mut HashMap<String, Head>,
    written: &[&EventRow],
) -> Result<(), StoreError> {
    for (tenant_id, head) in heads.iter_mut() {
        if head.seq == head.loaded_seq || head.tree_size != head.loaded_seq {
            continue;
        }
        let leaves: Vec<Hash> = written
            .iter()
            .filter(|r| r.tenant_id == *tenant_id)
            .map(|r| {
                r.leaf
                    .ok_or_else(|| StoreError::Interrupted("a row was not sealed".into()))
            })
            .collect::<Result<_, _>>()?;
        grow(tx, tenant_id, head.tree_size as u64, &leaves).await?;
        head.tree_size = head.seq;
    }
    Ok(())
}

/// Moves each tenant's chain head (and its tree's size) that the group advanced.
async fn update_chain_heads(
    tx: &mut WriteTx,
    heads: &HashMap<String, Head>,
) -> Result<(), sqlx::Error> {
    for (tenant_id, head) in heads {
        if head.seq != head.loaded_seq {
            on_tx!(tx, |conn| {
                sqlx::query(
                    "UPDATE chain_heads SET seq = $1, hash = $2, tree_size = $3 \
                     WHERE tenant_id = $4",
                )
                .bind(head.seq)
                .bind(&head.hash)
                .bind(head.tree_size)
                .bind(tenant_id)
                .execute(&mut *conn)
                .await?;
            });
        }
    }
    Ok(())
}

/// Keeps each job's newest record in `job_heads`: what the Jobs tab lists.
async fn update_job_heads(
    tx: &mut WriteTx,
    dialect: Dialect,
    written: &[&EventRow],
) -> Result<(), sqlx::Error> {
    let insert = dialect.insert_into();
    let jobs = newest_jobs(written);
    for chunk in jobs.chunks(INSERT_CHUNK) {
        on_tx!(tx, |conn| {
            let mut q = QueryBuilder::new(format!(
                "{insert} job_heads (tenant_id, account_id, subject, seq, occurred_at, \
                 actor, action, status, category, agent, model) "
            ));
            q.push_values(chunk, |mut b, r| {
                b.push_bind(&r.tenant_id)
                    .push_bind(r.account_id.clone().unwrap_or_default())
                    .push_bind(&r.subject)
                    .push_bind(r.seq)
                    .push_bind(r.occurred_at)
                    .push_bind(&r.actor)
                    .push_bind(&r.action)
                    .push_bind(&r.status)
                    .push_bind(&r.category)
                    .push_bind(&r.agent)
                    .push_bind(&r.model);
            });
            q.push(
                " ON CONFLICT (tenant_id, account_id, subject) DO UPDATE SET seq = excluded.seq, \
                 occurred_at = excluded.occurred_at, actor = excluded.actor, \
                 action = excluded.action, status = excluded.status, \
                 category = excluded.category, agent = excluded.agent, model = excluded.model \
                 WHERE (excluded.occurred_at, excluded.seq) > (job_heads.occurred_at, job_heads.seq)",
            );
            q.build().execute(&mut *conn).await?;
        });
    }
    Ok(())
}

/// Each job's newest record among `rows` (a conflict may update a row only once). A job
/// is its account's: the same id in another account is another job.
fn newest_jobs<'a>(rows: &[&'a EventRow]) -> Vec<&'a EventRow> {
    let mut newest: HashMap<(&str, Option<&str>, &str), &EventRow> = HashMap::new();
    for &r in rows {
        let (true, Some(subject)) = (r.kind == "job", r.subject.as_deref()) else {
            continue;
        };
        let slot = newest
            .entry((&r.tenant_id, r.account_id.as_deref(), subject))
            .or_insert(r);
        if (r.occurred_at, r.seq) > (slot.occurred_at, slot.seq) {
            *slot = r;
        }
    }
    newest.into_values().collect()
}
