//! Witnesses' cosignatures of a tenant's checkpoints, sent back by `vigil witness`:
//! kept only when the note is a checkpoint Vigil signed for the tenant and each
//! cosignature verifies with a key the operator registered (migrations'
//! 0006_witness.sql). What each witness last cosigned shows how far behind it is.

use super::checkpoints::origin;
use super::{from_ms, to_ms, with_read, with_write, Store, StoreError};
use crate::merkle::note::{Checkpoint, NoteSignature, SignedNote, VerifierKey};
use crate::model::WitnessStatus;
use chrono::{DateTime, Duration, Utc};

/// How far ahead of Vigil's clock a cosignature's time may be: witnesses' clocks
/// drift, but one dated hours ahead would hide how far behind the witness is.
const MAX_CLOCK_SKEW: Duration = Duration::minutes(10);

/// Why a cosigned note was refused; each names the part of the request at fault.
#[derive(Debug, thiserror::Error)]
pub enum CosignatureError {
    /// The note is not a checkpoint Vigil signed for the caller's tenant.
    #[error("{0}")]
    Note(String),
    /// A signature line by a key the operator did not register (`--witness-key`).
    #[error("{0}")]
    UnknownWitness(String),
    /// A registered witness's line that does not verify, or no cosignature at all.
    #[error("{0}")]
    Cosignature(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One cosignature as accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Cosignature {
    pub witness: String,
    /// The key id, 8 hex digits.
    pub key_id: String,
    pub size: u64,
    pub cosigned_at: DateTime<Utc>,
    /// The line as received.
    pub signature: String,
    /// `false`: the same witness's cosignature of this size was already kept.
    pub new: bool,
}

impl Store {
    /// Checks `note` (a checkpoint with the log's signature and witnesses' cosignature
    /// lines) against `tenant_id`'s stored checkpoint of its size, `log_key` and the
    /// registered `witnesses`, then keeps each cosignature. Append-only: a cosignature
    /// already kept for that size and key stays as first received.
    pub async fn add_cosignatures(
        &self,
        tenant_id: &str,
        deployment: &str,
        note: &[u8],
        log_key: &VerifierKey,
        witnesses: &[VerifierKey],
    ) -> Result<Vec<Cosignature>, CosignatureError> {
        let note = parse_note(note)?;
        let body = Checkpoint::parse(note.text())
            .map_err(|e| CosignatureError::Note(format!("not a checkpoint: {e}")))?;
        let mine = origin(deployment, tenant_id);
        if body.origin() != mine {
            return Err(CosignatureError::Note(format!(
                "the checkpoint is of {:?}; this key's tenant's tree is {mine:?}",
                body.origin()
            )));
        }
        let size = body.size();
        let Some(stored) = self.checkpoint_at(tenant_id, size).await? else {
            let latest = self.checkpoints(tenant_id, 1).await?;
            let latest = latest.first().map_or(0, |c| c.size);
            return Err(CosignatureError::Note(if size > latest {
                format!("its size {size} is past the latest checkpoint Vigil signed ({latest})")
            } else {
                format!("Vigil signed no checkpoint of size {size}")
            }));
        };
        let signed =
            SignedNote::parse(stored.note.as_bytes()).map_err(|e| StoreError::Corrupt {
                id: format!("checkpoint {size}"),
                reason: e.to_string(),
            })?;
        if signed.text() != note.text() {
            return Err(CosignatureError::Note(format!(
                "it differs from the checkpoint Vigil signed at size {size}"
            )));
        }
        note.verify(log_key).map_err(|e| {
            CosignatureError::Note(format!("the log's signature does not verify: {e}"))
        })?;
        let now = Utc::now();
        // Every line checked before any is kept: a refused note leaves nothing behind.
        let lines = cosignature_lines(&note, log_key, witnesses)?
            .into_iter()
            .map(|(line, key)| Ok((line, key, cosigned_at(&note, key, now)?)))
            .collect::<Result<Vec<_>, CosignatureError>>()?;
        let mut kept = Vec::new();
        for (line, key, cosigned_at) in lines {
            // The line as it would be served, without its newline.
            let line = line.to_string().trim_end().to_owned();
            let new = self
                .keep_cosignature(tenant_id, size, key, &line, cosigned_at, now)
                .await?;
            kept.push(Cosignature {
                witness: key.name().to_owned(),
                key_id: format!("{:08x}", key.key_id()),
                size,
                cosigned_at,
                signature: line,
                new,
            });
        }
        Ok(kept)
    }

    /// Inserts one cosignature; `false` if one of this size by this key was kept before.
    async fn keep_cosignature(
        &self,
        tenant_id: &str,
        size: u64,
        key: &VerifierKey,
        line: &str,
        cosigned_at: DateTime<Utc>,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO witness_cosignatures (tenant_id, size, witness, key_id, signature, \
                 cosigned_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (tenant_id, witness, size, key_id) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(size as i64)
            .bind(key.name())
            .bind(format!("{:08x}", key.key_id()))
            .bind(line)
            .bind(to_ms(cosigned_at))
            .bind(to_ms(received_at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    /// What each witness last cosigned of `tenant_id`'s tree: every name in
    /// `registered` (in order, `None` where nothing arrived yet), then names no longer
    /// registered that cosigned before.
    pub async fn witness_status(
        &self,
        tenant_id: &str,
        registered: &[VerifierKey],
    ) -> Result<Vec<WitnessStatus>, StoreError> {
        // Each witness's largest size; of two keys of one name there, the later arrival.
        let rows: Vec<(String, i64, i64, i64)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT w.witness, w.size, w.cosigned_at, w.received_at \
                 FROM witness_cosignatures w WHERE w.tenant_id = $1 AND w.size = \
                 (SELECT MAX(x.size) FROM witness_cosignatures x \
                  WHERE x.tenant_id = w.tenant_id AND x.witness = w.witness) \
                 ORDER BY w.witness, w.received_at DESC",
            )
            .bind(tenant_id)
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<WitnessStatus> = Vec::new();
        for key in registered {
            if !out.iter().any(|s| s.witness == key.name()) {
                out.push(silent(key.name(), true));
            }
        }
        for (witness, size, cosigned_at, received_at) in rows {
            let at = match out.iter().position(|s| s.witness == witness) {
                Some(at) => at,
                None => {
                    out.push(silent(&witness, false));
                    out.len() - 1
                }
            };
            let status = &mut out[at];
            if status.size.is_none() {
                status.size = Some(size.max(0) as u64);
                status.cosigned_at = Some(from_ms(cosigned_at));
                status.received_at = Some(from_ms(received_at));
            }
        }
        Ok(out)
    }
}

/// A witness that has sent nothing yet.
fn silent(witness: &str, registered: bool) -> WitnessStatus {
    WitnessStatus {
        witness: witness.to_owned(),
        registered,
        size: None,
        cosigned_at: None,
        received_at: None,
    }
}

/// The note as sent; blank lines around it (a file, a paste) do not matter.
fn parse_note(bytes: &[u8]) -> Result<SignedNote, CosignatureError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| CosignatureError::Note("not UTF-8 text".into()))?;
    SignedNote::parse(format!("{}\n", text.trim()).as_bytes())
        .map_err(|e| CosignatureError::Note(format!("not a signed note: {e}")))
}

/// Every line but the log's, each with the registered key it names; one line per key.
fn cosignature_lines<'k>(
    note: &SignedNote,
    log_key: &VerifierKey,
    witnesses: &'k [VerifierKey],
) -> Result<Vec<(NoteSignature, &'k VerifierKey)>, CosignatureError> {
    let mut lines: Vec<(NoteSignature, &VerifierKey)> = Vec::new();
    for line in note.signatures() {
        if (line.name(), line.key_id()) == (log_key.name(), log_key.key_id()) {
            continue;
        }
        let key = witnesses
            .iter()
            .find(|k| (k.name(), k.key_id()) == (line.name(), line.key_id()))
            .ok_or_else(|| {
                CosignatureError::UnknownWitness(format!(
                    "{}+{:08x} is not a registered witness key (the server's --witness-key)",
                    line.name(),
                    line.key_id()
                ))
            })?;
        if !lines
            .iter()
            .any(|(_, k)| k.key_id() == key.key_id() && k.name() == key.name())
        {
            lines.push((line.clone(), key));
        }
    }
    if lines.is_empty() {
        return Err(CosignatureError::Cosignature(
            "the note carries no cosignature, only the log's signature".into(),
        ));
    }
    Ok(lines)
}

/// The time `key`'s cosignature of `note` states, once it verifies.
fn cosigned_at(
    note: &SignedNote,
    key: &VerifierKey,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, CosignatureError> {
    let named = || format!("{}+{:08x}", key.name(), key.key_id());
    let verified = note.verify(key).map_err(|_| {
        CosignatureError::Cosignature(format!("the cosignature by {} does not verify", named()))
    })?;
    let at = verified
        .timestamp
        .and_then(|t| i64::try_from(t).ok())
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .ok_or_else(|| {
            CosignatureError::Cosignature(format!(
                "the cosignature by {} has no usable time",
                named()
            ))
        })?;
    if at > now + MAX_CLOCK_SKEW {
        return Err(CosignatureError::Cosignature(format!(
            "the cosignature by {} is dated {at}, ahead of Vigil's clock ({now})",
            named()
        )));
    }
    Ok(at)
}
