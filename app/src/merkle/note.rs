//! Signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line,
//! then signature lines `— <key name> <base64(key id || signature)>`. The log signs
//! its checkpoints with Ed25519 (type 0x01); witnesses add cosignature/v1 lines
//! (type 0x04, c2sp.org/tlog-cosignature), Ed25519 over
//! `cosignature/v1\ntime <t>\n` + the checkpoint, as `8-byte big-endian t || sig`.

mod checkpoint;
mod key;

pub use checkpoint::Checkpoint;
pub use key::{KeyKind, VerifierKey};

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, Signer};
use key::Secret;
use std::fmt;

/// More signature lines than this make a note malformed. The spec asks verifiers
/// to take at least 16; Go's sumdb/note stops at 100.
pub const MAX_SIGNATURES: usize = 100;

const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(&'static str),
    #[error("malformed key: {0}")]
    Key(&'static str),
    #[error("the key id does not match the key's name and public key")]
    KeyHash,
    #[error("a {got} key where a {want} key is needed")]
    KeyKind { want: KeyKind, got: KeyKind },
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("the note is not signed by {name}+{key_id:08x}")]
    NotSigned { name: String, key_id: u32 },
    #[error("the signature by {name}+{key_id:08x} does not verify")]
    BadSignature { name: String, key_id: u32 },
    #[error("cosignature time {0} is past 2^63 - 1")]
    Timestamp(u64),
    #[error("the operating system gave no randomness")]
    Randomness,
}

/// Key names (and our origins), as the spec has them: non-empty, no Unicode space,
/// no `+`; and no ASCII control, which no note may hold anyway.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_ascii_control())
}

/// Note text: no ASCII control character but newline.
fn valid_text(text: &str) -> bool {
    !text.bytes().any(|b| b < 0x20 && b != b'\n')
}

/// One signature line, by key name and key ID; `bytes` follow the key ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    bytes: Vec<u8>,
}

impl NoteSignature {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The time in a line shaped like an Ed25519 cosignature (8 + 64 bytes). Only
    /// [`SignedNote::verify`] with the witness's key says it is one.
    pub fn cosignature_time(&self) -> Option<u64> {
        let (time, _) = self.bytes.split_first_chunk::<8>()?;
        (self.bytes.len() == 72).then(|| u64::from_be_bytes(*time))
    }

    fn parse(line: &str) -> Result<Self, NoteError> {
        let line = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
            "a signature line starts with an em dash",
        ))?;
        let (name, b64) = line.split_once(' ').ok_or(NoteError::Malformed(
            "a signature line has a name and a signature",
        ))?;
        if !valid_name(name) {
            return Err(NoteError::Malformed("a signature's key name is not valid"));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
        match raw.split_first_chunk::<4>() {
            Some((id, bytes)) if !bytes.is_empty() => Ok(NoteSignature {
                name: name.to_owned(),
                key_id: u32::from_be_bytes(*id),
                bytes: bytes.to_vec(),
            }),
            _ => Err(NoteError::Malformed("a signature is shorter than 5 bytes")),
        }
    }
}

impl fmt::Display for NoteSignature {
    /// The line, newline included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.bytes);
        writeln!(f, "{SIG_PREFIX}{} {}", self.name, STANDARD.encode(raw))
    }
}

/// What a verified signature said: a cosignature's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub timestamp: Option<u64>,
}

/// A note text and its signature lines (verified or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// An unsigned note; the text must end in a newline and have no control but it.
    pub fn new(text: String) -> Result<Self, NoteError> {
        if !text.ends_with('\n') || !valid_text(&text) {
            return Err(NoteError::Malformed(
                "text must end in a newline, without controls",
            ));
        }
        Ok(SignedNote {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note as served; the signatures are checked by [`Self::verify`].
    pub fn parse(msg: &[u8]) -> Result<Self, NoteError> {
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if !valid_text(msg) {
            return Err(NoteError::Malformed("has a control character"));
        }
        // The text ends at the last blank line; it may hold blank lines of its own.
        let split = msg
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
        let sigs = sigs.strip_suffix('\n').ok_or(NoteError::Malformed(
            "no signature line, or no final newline",
        ))?;
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(NoteSignature::parse(line)?);
        }
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line, replacing any by the same key.
    pub fn add(&mut self, sig: NoteSignature) {
        self.signatures
            .retain(|s| (s.name.as_str(), s.key_id) != (sig.name.as_str(), sig.key_id));
        self.signatures.push(sig);
    }

    /// Checks the lines by `key`. Lines by other keys are ignored (the spec's
    /// MUST); there must be one by `key`, and every one by it must verify.
    pub fn verify(&self, key: &VerifierKey) -> Result<Verified, NoteError> {
        let (name, key_id) = (key.name().to_owned(), key.key_id());
        let bad = || NoteError::BadSignature {
            name: name.clone(),
            key_id,
        };
        let mut verified = None;
        let mine = self
            .signatures
            .iter()
            .filter(|s| s.name == key.name() && s.key_id == key_id);
        for sig in mine {
            let (message, timestamp, bytes) = match key.kind() {
                KeyKind::Ed25519 => (self.text.clone(), None, sig.bytes.as_slice()),
                KeyKind::Cosignature => {
                    let t = sig.cosignature_time().ok_or_else(bad)?;
                    if t > i64::MAX as u64 {
                        return Err(bad());
                    }
                    (cosigned_message(t, &self.text), Some(t), &sig.bytes[8..])
                }
            };
            let bytes: &[u8; 64] = bytes.try_into().map_err(|_| bad())?;
            key.key()
                .verify_strict(message.as_bytes(), &Signature::from_bytes(bytes))
                .map_err(|_| bad())?;
            verified.get_or_insert(Verified { timestamp });
        }
        verified.ok_or(NoteError::NotSigned { name, key_id })
    }
}

impl fmt::Display for SignedNote {
    /// The served form: text, blank line, signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        self.signatures.iter().try_for_each(|s| write!(f, "{s}"))
    }
}

/// tlog-cosignature: what an Ed25519 cosignature signs.
fn cosigned_message(time: u64, text: &str) -> String {
    format!("cosignature/v1\ntime {time}\n{text}")
}

/// The log's signing key (type 0x01). Prints only its public half.
#[derive(Debug, Clone)]
pub struct NoteSigner(Secret);

impl NoteSigner {
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        Secret::generate(name, KeyKind::Ed25519).map(NoteSigner)
    }
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        Secret::from_seed(name, KeyKind::Ed25519, seed).map(NoteSigner)
    }
    /// Reads a `PRIVATE+KEY+…` key file of type 0x01.
    pub fn parse(key_file: &str) -> Result<Self, NoteError> {
        Secret::parse(key_file, KeyKind::Ed25519).map(NoteSigner)
    }
    /// The key file: the secret itself, to keep out of logs.
    pub fn to_key_file(&self) -> String {
        self.0.to_key_file()
    }
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.0.verifier
    }

    /// Signs a note text (a checkpoint's body, say).
    pub fn sign(&self, text: &str) -> Result<NoteSignature, NoteError> {
        let note = SignedNote::new(text.to_owned())?;
        let v = &self.0.verifier;
        Ok(NoteSignature {
            name: v.name().to_owned(),
            key_id: v.key_id(),
            bytes: self.0.key.sign(note.text.as_bytes()).to_bytes().to_vec(),
        })
    }
}

/// A witness's cosigning key (type 0x04). Prints only its public half.
#[derive(Debug, Clone)]
pub struct Cosigner(Secret);

impl Cosigner {
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        Secret::generate(name, KeyKind::Cosignature).map(Cosigner)
    }
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        Secret::from_seed(name, KeyKind::Cosignature, seed).map(Cosigner)
    }
    /// Reads a `PRIVATE+KEY+…` key file of type 0x04.
    pub fn parse(key_file: &str) -> Result<Self, NoteError> {
        Secret::parse(key_file, KeyKind::Cosignature).map(Cosigner)
    }
    pub fn to_key_file(&self) -> String {
        self.0.to_key_file()
    }
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.0.verifier
    }

    /// Cosigns a checkpoint's text as of `time` (Unix seconds): the statement that,
    /// then, this was the largest consistent tree the witness had seen of the log.
    pub fn cosign(&self, text: &str, time: u64) -> Result<NoteSignature, NoteError> {
        if time > i64::MAX as u64 {
            return Err(NoteError::Timestamp(time));
        }
        Checkpoint::parse(text)?;
        let sig = self.0.key.sign(cosigned_message(time, text).as_bytes());
        let mut bytes = time.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        let v = &self.0.verifier;
        Ok(NoteSignature {
            name: v.name().to_owned(),
            key_id: v.key_id(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests;
