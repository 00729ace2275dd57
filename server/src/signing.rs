//! The checkpoint signing key, kept in a file outside the database (whoever can write
//! the database must not be able to sign), and the schedule that signs grown trees.

use anyhow::Context;
use app::merkle::note::NoteSigner;
use app::store::Store;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How often the server signs a checkpoint of every tree that grew.
pub const EVERY: Duration = Duration::from_secs(60);

/// The key in `path`, named `name`.
pub fn load(path: &Path, name: &str) -> anyhow::Result<NoteSigner> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    let signer = NoteSigner::parse(text.trim())
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    anyhow::ensure!(
        signer.verifier_key().name() == name,
        "the signing key {} is named {:?}, not the origin {name:?}: \
         pass --origin {:?} or another key",
        path.display(),
        signer.verifier_key().name(),
        signer.verifier_key().name()
    );
    Ok(signer)
}

/// The key in `path`, or a new one named `name` written there first, readable by its
/// owner only (created exclusively: an existing file is never overwritten).
pub fn load_or_create(path: &Path, name: &str) -> anyhow::Result<NoteSigner> {
    match std::fs::metadata(path) {
        Ok(_) => load(path, name),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer = NoteSigner::generate(name).context("making a signing key")?;
            let mut file = owner_only_new(path)
                .with_context(|| format!("creating the signing key {}", path.display()))?;
            writeln!(file, "{}", signer.to_key_file())?;
            file.sync_all()?;
            tracing::warn!(path = %path.display(), key = %signer.verifier_key(),
                "made a new checkpoint signing key: keep it safe, publish its public key");
            Ok(signer)
        }
        Err(e) => Err(e).with_context(|| format!("reading the signing key {}", path.display())),
    }
}

/// A new file only its owner may read (an existing one is never overwritten).
#[cfg(unix)]
pub(crate) fn owner_only_new(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn owner_only_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Signs a checkpoint of every grown tree now, then every `EVERY`, for as long as the
/// server runs.
pub fn spawn(store: Store, signer: Arc<NoteSigner>, origin: String) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = store.sign_checkpoints(&signer, &origin).await {
                tracing::error!(error = %e, "signing checkpoints failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_owner_only_and_read_back() {
        let dir = std::env::temp_dir().join(format!("vigil-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("k");
        let made = load_or_create(&path, "vigil.test").expect("made");
        let again = load_or_create(&path, "vigil.test").expect("read");
        assert_eq!(made.verifier_key(), again.verifier_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            load_or_create(&path, "other").is_err(),
            "a key of another name"
        );
        std::fs::write(&path, "not a key").expect("write");
        assert!(load_or_create(&path, "vigil.test").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
