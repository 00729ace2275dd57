//! Export bundles: records with the signed checkpoint and the proofs that tie them to
//! it, which an auditor checks offline (README, "Export bundles"). `write` makes them,
//! `verify` checks them; `scripts/verify_bundle.py` is a second verifier, written from
//! the README alone.

pub mod verify;
pub mod write;

use app::merkle::note::VerifierKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format's version, the header's `vigil_bundle`.
pub const VERSION: u32 = 1;

/// Whether a bundle claims completeness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every record of a contiguous range of the chain, with one proof that none is
    /// missing.
    Range,
    /// A filtered selection: each record with its own inclusion proof.
    Records,
}

/// The bundle's first line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub vigil_bundle: u32,
    pub mode: Mode,
    pub tenant_id: String,
    pub origin: String,
    pub tree_size: u64,
    /// The signed note of the checkpoint at `tree_size`.
    pub checkpoint: String,
    pub key_fingerprint: String,
    /// What was asked for, for the reader; nothing is checked against it.
    pub selection: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Range mode: the chain positions of the first and last records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<u64>,
    /// Range mode: the roots of the subtrees outside the range, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_proof: Option<Vec<String>>,
    /// When asked for (`consistent_with`): the proof that the tree of an earlier
    /// checkpoint the auditor holds is a prefix of this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Consistency>,
}

/// RFC 9162 §2.1.4: the consistency proof from the tree of `from` records to the
/// checkpoint's, hex.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Consistency {
    pub from: u64,
    pub proof: Vec<String>,
}

/// The bundle's last line, `{"end":{"records":N}}`: a bundle cut short lacks it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    pub end: EndCount,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndCount {
    pub records: u64,
}

/// What a bundle names its key by: the hex SHA-256 of the verifier key's text.
pub fn fingerprint(key: &VerifierKey) -> String {
    hex::encode(Sha256::digest(key.to_string().as_bytes()))
}
