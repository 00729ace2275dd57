//! Password hashing with Argon2id (the argon2 crate's defaults).

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Shortest and longest password a new user may choose, in characters (the longest
/// bounds Argon2's input from a hostile request).
pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 1024;

/// Whether `password` may be a new user's: `vigil init`, `vigil user create`, the
/// operator API, an accepted invitation.
pub fn check_new(password: &str) -> Result<(), app::model::Refused> {
    let n = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&n) && !password.contains('\0') {
        Ok(())
    } else {
        Err(app::model::Refused(format!(
            "{MIN_CHARS} to {MAX_CHARS} characters, without NUL"
        )))
    }
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of a random password: checked against when the email is unknown,
/// so a wrong email takes as long as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&app::store::secret::random_token(16)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifies_only_the_right_password() {
        let h = super::hash("correct horse").expect("hash");
        assert!(super::verify("correct horse", &h));
        assert!(!super::verify("wrong", &h));
        assert!(!super::verify("x", "not a hash"));
    }
}
