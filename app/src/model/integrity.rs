//! What the console shows of the log's integrity: the latest signed checkpoint, the key
//! that signs, what each witness cosigned, and the last `verify` of the chain.

use super::enums::wire_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A checkpoint as Vigil signed and stored it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignedCheckpoint {
    pub size: u64,
    /// The signed note: the checkpoint's body, a blank line, its signature line.
    pub note: String,
    pub signed_at: DateTime<Utc>,
}

/// The last checkpoint of the tenant's tree one witness cosigned. `size` and the
/// times are `None` for a registered witness that has not sent a cosignature yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WitnessStatus {
    /// The witness key's name.
    pub witness: String,
    /// Whether the server is started with this witness's key (`--witness-key`): one
    /// dropped since is still listed by what it cosigned.
    pub registered: bool,
    pub size: Option<u64>,
    /// When the witness cosigned it (its own clock).
    pub cosigned_at: Option<DateTime<Utc>>,
    /// When Vigil received the cosignature.
    pub received_at: Option<DateTime<Utc>>,
}

wire_enum!(
    /// What started a `verify` run.
    VerifyBy {
        Cli => "cli",
        Schedule => "schedule",
    }
);

/// One recorded `verify` of a tenant's hash chain and Merkle tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRun {
    pub ran_at: DateTime<Utc>,
    /// Records verified (up to the first failure), those retention purged included
    /// (their leaves, from the stored tree).
    pub records: u64,
    /// The first record still held once retention removed older ones (`None`: all).
    pub retained_from: Option<u64>,
    /// The recomputed tree's root (hex).
    pub tree_root: String,
    pub ok: bool,
    /// Where the chain first failed to match, and why.
    pub failure_seq: Option<i64>,
    pub failure_reason: Option<String>,
    pub by: VerifyBy,
}

/// The console's Integrity page: one tenant's trust at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityReport {
    /// The latest signed checkpoint (`None`: the tree is empty or not signed yet).
    pub checkpoint: Option<SignedCheckpoint>,
    /// The key that verifies the checkpoints, `name+id+base64` (C2SP note format).
    pub public_key: String,
    /// Every registered witness, then any that cosigned before it was dropped.
    pub witnesses: Vec<WitnessStatus>,
    /// The newest recorded `verify` (`None`: never run).
    pub last_verify: Option<VerifyRun>,
    pub retention: super::RetentionStatus,
}
