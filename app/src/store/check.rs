//! The writer's checks: each request of a group is checked whole, and its rows placed
//! in the tenant's chain, before any of them is written (see writer.rs).

use super::append::{AppendError, AppendOutcome};
use super::row::{EventRow, GENESIS};
use super::tx::{on_tx, WriteTx, INSERT_CHUNK};
use super::Dialect;
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The chain position of one tenant within a group.
#[derive(Clone)]
pub(super) struct Head {
    pub(super) seq: i64,
    pub(super) hash: String,
    pub(super) loaded_seq: i64,
    /// The records the tenant's Merkle tree held when loaded: `loaded_seq`, unless a
    /// database made before the tree has yet to build it (`Store::build_trees`).
    pub(super) tree_size: i64,
}

/// The tenant's chain head (created at the genesis if new), locked for the group.
pub(super) async fn load_head(
    tx: &mut WriteTx,
    dialect: Dialect,
    tenant_id: &str,
) -> Result<Head, sqlx::Error> {
    let for_update = dialect.for_update();
    let (seq, hash, tree_size): (i64, String, i64) = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) \
             ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
        sqlx::query_as(&format!(
            "SELECT seq, hash, tree_size FROM chain_heads WHERE tenant_id = $1{for_update}"
        ))
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?
    });
    Ok(Head {
        seq,
        hash,
        loaded_seq: seq,
        tree_size,
    })
}

/// Checks one request and places its rows after `head` (which moves): `Err` inside if
/// the request fails, having written nothing; outside, a database error, which fails
/// the whole group.
pub(super) async fn check(
    tx: &mut WriteTx,
    tenant_id: &str,
    ids: Vec<Uuid>,
    rows: &mut [EventRow],
    head: &mut Head,
) -> Result<Result<Vec<AppendOutcome>, AppendError>, sqlx::Error> {
    // Every check comes before the request's first write, so a request that
    // fails them has written nothing and needs no savepoint (each page a
    // savepoint touches is first copied to its journal: a fifth of the
    // writer's time went to that). A database error fails the whole group.
    let existing = existing_ids(tx, tenant_id, rows).await?;
    let known = known_accounts(tx, tenant_id, rows).await?;
    Ok(
        match rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.account_id.as_ref().is_some_and(|a| !known.contains(a)))
        {
            Some((index, r)) => Err(AppendError::UnknownAccount {
                index,
                account_id: r.account_id.clone().unwrap_or_default(),
            }),
            None => Ok(place(rows, ids, &existing, head)),
        },
    )
}

/// A record's id within its tenant: ids are unique per account (or among the
/// tenant-level records), so one account cannot claim another's.
type IdKey = (Option<String>, String);

/// The ids of `rows` already stored in their accounts: id → position.
async fn existing_ids(
    tx: &mut WriteTx,
    tenant_id: &str,
    rows: &[EventRow],
) -> Result<HashMap<IdKey, i64>, sqlx::Error> {
    let mut existing: HashMap<IdKey, i64> = HashMap::new();
    for chunk in rows.chunks(INSERT_CHUNK) {
        // By id alone, the index's lead: with the tenant in the condition too,
        // PostgreSQL walked a young table's tenant index instead (185 µs per record).
        let found: Vec<(String, String, Option<String>, i64)> = on_tx!(tx, |conn| {
            let mut q = QueryBuilder::new(
                "SELECT id, tenant_id, account_id, seq FROM events WHERE id IN (",
            );
            let mut ids = q.separated(", ");
            for r in chunk {
                ids.push_bind(r.id.clone());
            }
            q.push(")");
            q.build_query_as().fetch_all(&mut *conn).await?
        });
        existing.extend(
            found
                .into_iter()
                .filter(|(_, t, _, _)| t == tenant_id)
                .map(|(id, _, a, s)| ((a, id), s)),
        );
    }
    Ok(existing)
}

/// Which of the accounts `rows` name belong to the tenant.
async fn known_accounts(
    tx: &mut WriteTx,
    tenant_id: &str,
    rows: &[EventRow],
) -> Result<HashSet<String>, sqlx::Error> {
    let accounts: HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.account_id.as_deref())
        .collect();
    let mut known: HashSet<String> = HashSet::new();
    if !accounts.is_empty() {
        let found: Vec<String> = on_tx!(tx, |conn| {
            let mut q = QueryBuilder::new("SELECT id FROM accounts WHERE tenant_id = ");
            q.push_bind(tenant_id.to_owned()).push(" AND id IN (");
            let mut list = q.separated(", ");
            for a in &accounts {
                list.push_bind(a.to_string());
            }
            q.push(")");
            q.build_query_scalar::<String>()
                .fetch_all(&mut *conn)
                .await?
        });
        known.extend(found);
    }
    Ok(known)
}

/// Places `rows` in the tenant's chain after `head` (which moves), skipping ids stored
/// before in their accounts (`existing`) or earlier in the same request.
fn place(
    rows: &mut [EventRow],
    ids: Vec<Uuid>,
    existing: &HashMap<IdKey, i64>,
    head: &mut Head,
) -> Vec<AppendOutcome> {
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut in_batch: HashMap<IdKey, i64> = HashMap::new();
    for (r, id) in rows.iter_mut().zip(ids) {
        let key = (r.account_id.clone(), r.id.clone());
        let earlier = existing.get(&key).or_else(|| in_batch.get(&key)).copied();
        let seq = match earlier {
            Some(seq) => seq,
            None => {
                head.seq += 1;
                r.seal(head.seq, &head.hash);
                head.hash.clone_from(&r.hash);
                in_batch.insert(key, head.seq);
                head.seq
            }
        };
        outcomes.push(AppendOutcome {
            id,
            seq,
            duplicate: earlier.is_some(),
        });
    }
    outcomes
}
