//! Writing a bundle: the header with the tenant's latest signed checkpoint, the records
//! of the selection in chain order up to its size, their proofs, the end line. Streamed
//! page by page, so memory stays flat; an error ends the stream before the end line,
//! which a verifier reports as a bundle cut short.

use super::{fingerprint, Consistency, End, EndCount, Header, Mode, VERSION};
use app::merkle::note::NoteSigner;
use app::model::Scope;
use app::model::SignedCheckpoint;
use app::store::checkpoints::origin;
use app::store::{EventQuery, Store, StoreError, TreeError};
use axum::body::Bytes;
use chrono::Utc;
use std::io::Write;

/// Records read per round trip (pages also end at the store's byte budget).
const PAGE: u32 = 1000;

/// What a bundle will hold, fixed before its first byte is written.
pub struct Plan {
    pub scope: Scope,
    /// The selection's filters (records mode); a range bundle has none.
    pub query: EventQuery,
    pub mode: Mode,
    /// Chain positions of the records it may hold, inclusive; `last` is at most the
    /// checkpoint's size.
    pub first: u64,
    pub last: u64,
    pub checkpoint: SignedCheckpoint,
    /// The size of an earlier checkpoint to prove this one consistent with.
    pub consistent_with: Option<u64>,
    pub origin: String,
    pub key_fingerprint: String,
    pub selection: serde_json::Value,
}

/// Why a bundle cannot be made as asked: the field at fault, or the store.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> PlanError {
    PlanError::Invalid {
        field,
        message: message.into(),
    }
}

/// Whether the query selects a contiguous range of the chain: every record of the
/// tenant (the scope too), no filter. Only then can a bundle prove completeness.
fn is_range(scope: &Scope, q: &EventQuery) -> bool {
    scope.accounts.is_none()
        && q.kind.is_none()
        && q.account_id.is_none()
        && q.from.is_none()
        && q.until.is_none()
        && q.all_of.is_empty()
        && q.builder.is_empty()
        && q.search.is_none()
}

/// What was asked of a bundle besides its filters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    /// Chain positions, inclusive (default: the whole tree, from the first record
    /// retention kept).
    pub seq_from: Option<u64>,
    pub seq_to: Option<u64>,
    /// The size of an earlier checkpoint the auditor holds.
    pub consistent_with: Option<u64>,
}

/// Plans the bundle of `query` in `scope` within `bounds`, at the tenant's latest
/// checkpoint (signed now if the tree grew since).
pub async fn plan(
    store: &Store,
    signer: &NoteSigner,
    deployment: &str,
    scope: Scope,
    query: EventQuery,
    bounds: Bounds,
    selection: serde_json::Value,
) -> Result<Plan, PlanError> {
    let Bounds {
        seq_from,
        seq_to,
        consistent_with,
    } = bounds;
    if let (Some(from), Some(to)) = (seq_from, seq_to) {
        if to < from {
            return Err(invalid("seq_to", "must be at least seq_from"));
        }
    }
    let tenant_id = &scope.tenant_id;
    let checkpoint = store
        .sign_checkpoint_of(signer, deployment, tenant_id)
        .await?
        .ok_or_else(|| invalid("format", "no records to bundle: the tenant has none yet"))?;
    let size = checkpoint.size;
    if consistent_with.is_some_and(|m| m > size) {
        return Err(invalid(
            "consistent_with",
            format!("larger than the latest checkpoint ({size})"),
        ));
    }
    let mode = if is_range(&scope, &query) {
        Mode::Range
    } else {
        Mode::Records
    };
    // Records retention purged are gone: a range starts at the first one kept.
    let kept = store
        .retained_from(tenant_id)
        .await?
        .map_or(1, |s| s.max(1) as u64);
    if mode == Mode::Range && seq_from.is_some_and(|f| f < kept) {
        return Err(invalid(
            "seq_from",
            format!("records before {kept} were purged by retention"),
        ));
    }
    let first = seq_from.unwrap_or(kept).max(1);
    let last = seq_to.unwrap_or(size).min(size);
    if mode == Mode::Range && first > last {
        return Err(invalid(
            "seq_from",
            format!("after the last signed record ({size})"),
        ));
    }
    Ok(Plan {
        origin: origin(deployment, tenant_id),
        key_fingerprint: fingerprint(signer.verifier_key()),
        scope,
        query,
        mode,
        first,
        last,
        checkpoint,
        consistent_with,
        selection,
    })
}

/// Why writing stopped short.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("record {0} of the range is missing from the chain")]
    Gap(u64),
}

/// The bundle as chunks of bytes: about a page of records each.
pub fn stream(
    store: Store,
    plan: Plan,
) -> impl futures_util::Stream<Item = Result<Bytes, WriteError>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, WriteError>>(2);
    tokio::spawn(async move {
        let mut writer = Writer {
            store,
            plan,
            tx: &tx,
        };
        if let Err(e) = writer.run().await {
            tracing::error!(error = %e, "bundle cut short");
            let _ = tx.send(Err(e)).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}

struct Writer<'a> {
    store: Store,
    plan: Plan,
    tx: &'a tokio::sync::mpsc::Sender<Result<Bytes, WriteError>>,
}

impl Writer<'_> {
    /// Writes the bundle; `Ok` also when the reader went away.
    async fn run(&mut self) -> Result<(), WriteError> {
        let plan = &self.plan;
        let mut prover = self
            .store
            .prover(&plan.scope.tenant_id, plan.checkpoint.size)
            .await?;
        let range_proof = match plan.mode {
            Mode::Range => Some(
                prover
                    .range(plan.first - 1, plan.last)
                    .await?
                    .iter()
                    .map(hex::encode)
                    .collect(),
            ),
            Mode::Records => None,
        };
        let consistency = match plan.consistent_with {
            Some(from) => Some(Consistency {
                from,
                proof: self
                    .store
                    .consistency_proof(&plan.scope.tenant_id, from, plan.checkpoint.size)
                    .await?
                    .iter()
                    .map(hex::encode)
                    .collect(),
            }),
            None => None,
        };
        let range = plan.mode == Mode::Range;
        let header = Header {
            vigil_bundle: VERSION,
            mode: plan.mode,
            tenant_id: plan.scope.tenant_id.clone(),
            origin: plan.origin.clone(),
            tree_size: plan.checkpoint.size,
            checkpoint: plan.checkpoint.note.clone(),
            key_fingerprint: plan.key_fingerprint.clone(),
            selection: plan.selection.clone(),
            created_at: Utc::now(),
            first: range.then_some(plan.first),
            last: range.then_some(plan.last),
            range_proof,
            consistency,
        };
        let mut chunk = json_line(&header);
        let query = match plan.mode {
            Mode::Range => EventQuery::default(),
            Mode::Records => plan.query.clone(),
        };
        let query = EventQuery {
            limit: PAGE,
            ..query
        };
        let (mut after, mut records) = (plan.first - 1, 0_u64);
        'pages: loop {
            let rows = self
                .store
                .chain_rows(&plan.scope, &query, after as i64)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let seq = row.seq.max(0) as u64;
                if seq > plan.last {
                    break 'pages;
                }
                if range && seq != after + 1 {
                    return Err(WriteError::Gap(after + 1));
                }
                chunk.extend_from_slice(&row.canonical());
                chunk.push(b'\n');
                if !range {
                    proof_line(&mut chunk, &prover.inclusion(seq - 1).await?);
                }
                after = seq;
                records += 1;
            }
            if !self.send(std::mem::take(&mut chunk)).await {
                return Ok(());
            }
        }
        if range && after != plan.last {
            return Err(WriteError::Gap(after + 1));
        }
        chunk.extend(json_line(&End {
            end: EndCount { records },
        }));
        self.send(chunk).await;
        Ok(())
    }

    /// Sends a chunk; false if the reader went away.
    async fn send(&self, chunk: Vec<u8>) -> bool {
        self.tx.send(Ok(Bytes::from(chunk))).await.is_ok()
    }
}

fn json_line(value: &impl serde::Serialize) -> Vec<u8> {
    // Serialising these structs of strings, numbers and JSON values cannot fail.
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    line
}

fn proof_line(out: &mut Vec<u8>, proof: &[app::merkle::Hash]) {
    out.push(b'[');
    for (i, hash) in proof.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "\"{}\"", hex::encode(hash));
    }
    out.extend_from_slice(b"]\n");
}

/// Writes the bundle of `plan` to the file `path` (made anew, written whole, then
/// synced): for archives and the bench. Returns the bytes written.
pub async fn to_file(store: &Store, plan: Plan, path: &std::path::Path) -> anyhow::Result<u64> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, &mut file);
    let mut chunks = std::pin::pin!(stream(store.clone(), plan));
    let mut bytes = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    file.sync_all().await?;
    Ok(bytes)
}
