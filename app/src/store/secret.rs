//! Random secrets and how they are stored.

use sha2::{Digest, Sha256};

/// Hex SHA-256: how high-entropy secrets (API keys, session tokens) are stored.
/// They are random, so a slow password hash would add cost without adding safety.
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `bytes` random bytes from the OS generator, URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use rand::RngCore;
    let mut buf = vec![0_u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}
