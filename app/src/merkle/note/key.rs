//! Note keys: the log's Ed25519 signing key and witnesses' cosigning keys, their
//! verifier keys (`<name>+<hex key id>+<base64(type || public key)>`) and key files
//! (`PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>`, the Go
//! golang.org/x/mod/sumdb/note encoding, which transparency-dev's note package also
//! reads for cosigners with type 0x04).

use super::{valid_name, NoteError};
use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The signature type of a key (c2sp.org/signed-note "Signature types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// 0x01: Ed25519 over the note text; what the log signs checkpoints with.
    Ed25519,
    /// 0x04: timestamped Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature).
    Cosignature,
}

impl KeyKind {
    fn type_byte(self) -> u8 {
        match self {
            KeyKind::Ed25519 => 0x01,
            KeyKind::Cosignature => 0x04,
        }
    }
    fn from_type_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyKind::Ed25519),
            0x04 => Some(KeyKind::Cosignature),
            _ => None,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Ed25519 => "Ed25519 note",
            KeyKind::Cosignature => "cosignature/v1",
        })
    }
}

/// Key ID = first four bytes of SHA-256(name || "\n" || type || public key): the
/// type byte keeps one Ed25519 key's note signatures and cosignatures apart.
fn key_id(name: &str, kind: KeyKind, public: &VerifyingKey) -> u32 {
    let sum = Sha256::new()
        .chain_update(name)
        .chain_update(b"\n")
        .chain_update([kind.type_byte()])
        .chain_update(public.as_bytes())
        .finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Splits `<name>+<8 hex>+<base64(type || 32 bytes)>` and checks the key ID.
fn parse_parts(s: &str) -> Result<(String, KeyKind, [u8; 32], u32), NoteError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::Key("not <name>+<key id>+<key>"));
    };
    if !valid_name(name) {
        return Err(NoteError::Key("name is empty or has a space, + or control"));
    }
    // u32::from_str_radix would take a sign; only 8 hex digits are a key ID.
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::Key("key id is not 8 hex digits"));
    }
    let id = u32::from_str_radix(hex, 16).map_err(|_| NoteError::Key("key id"))?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| NoteError::Key("key is not base64"))?;
    let Some((&type_byte, bytes)) = raw.split_first() else {
        return Err(NoteError::Key("key is empty"));
    };
    let kind = KeyKind::from_type_byte(type_byte).ok_or(NoteError::Key("unknown key type"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| NoteError::Key("key is not 32 bytes"))?;
    Ok((name.to_owned(), kind, bytes, id))
}

/// A public key that checks signatures by one name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    kind: KeyKind,
    key: VerifyingKey,
    key_id: u32,
}

impl VerifierKey {
    pub fn new(name: &str, kind: KeyKind, public: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key("name is empty or has a space, + or control"));
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| NoteError::Key("not an Ed25519 public key"))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            kind,
            key_id: key_id(name, kind, &key),
            key,
        })
    }

    /// Parses `<name>+<hex key id>+<base64(type || public key)>`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, kind, public, id) = parse_parts(vkey.trim())?;
        let key = VerifierKey::new(&name, kind, public)?;
        if key.key_id != id {
            return Err(NoteError::KeyHash);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn kind(&self) -> KeyKind {
        self.kind
    }
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    pub(super) fn key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.kind.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(raw)
        )
    }
}

/// A private key, named; shared by the log's signer and a witness's cosigner.
#[derive(Clone)]
pub(super) struct Secret {
    pub(super) key: SigningKey,
    pub(super) verifier: VerifierKey,
}

impl Secret {
    pub(super) fn from_seed(name: &str, kind: KeyKind, seed: [u8; 32]) -> Result<Self, NoteError> {
        let key = SigningKey::from_bytes(&seed);
        let verifier = VerifierKey::new(name, kind, key.verifying_key().to_bytes())?;
        Ok(Secret { key, verifier })
    }

    /// A fresh key from the operating system's randomness.
    pub(super) fn generate(name: &str, kind: KeyKind) -> Result<Self, NoteError> {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|_| NoteError::Randomness)?;
        Secret::from_seed(name, kind, seed)
    }

    /// Parses a key file of the given kind; its key ID must be the public key's.
    pub(super) fn parse(key_file: &str, want: KeyKind) -> Result<Self, NoteError> {
        let rest = key_file
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::Key("a key file starts with PRIVATE+KEY+"))?;
        let (name, kind, seed, id) = parse_parts(rest)?;
        if kind != want {
            return Err(NoteError::KeyKind { want, got: kind });
        }
        let secret = Secret::from_seed(&name, kind, seed)?;
        if secret.verifier.key_id != id {
            return Err(NoteError::KeyHash);
        }
        Ok(secret)
    }

    pub(super) fn to_key_file(&self) -> String {
        let v = &self.verifier;
        let mut raw = vec![v.kind.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        let b64 = STANDARD.encode(raw);
        format!("PRIVATE+KEY+{}+{:08x}+{b64}", v.name, v.key_id)
    }
}

/// Only the public half is printed.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("verifier", &self.verifier.to_string())
            .finish_non_exhaustive()
    }
}
