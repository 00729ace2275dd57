//! `vigil witness`: an independent party that fetches a Vigil's checkpoints, checks each
//! is signed by the log's key and consistent with the last one it cosigned, cosigns it
//! (C2SP cosignature/v1), keeps what it saw in a folder of its own and sends the
//! cosigned note back to the Vigil, which shows how far each witness has got. A Vigil
//! that rewrote its history cannot get a new cosignature: the consistency proof fails.

use crate::signing::owner_only_new;
use anyhow::Context;
use app::merkle::note::{Checkpoint, Cosigner, SignedNote, VerifierKey};
use app::merkle::{verify_consistency, Hash};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the witness watches, and where it keeps its key and what it saw.
pub struct Witness {
    /// The Vigil's base URL (`https://vigil.example`).
    pub url: String,
    /// An ingest key of the tenant whose tree is watched (read access is enough).
    pub api_key: String,
    /// The log's verifier key, from `GET /api/v1/public-key`, obtained out of band.
    pub log_key: VerifierKey,
    /// `witness.key` (the cosigning key, made on first run), `latest.json` (the last
    /// checkpoint cosigned) and `checkpoints.log` (every cosigned note, appended).
    pub dir: PathBuf,
    /// The cosigning key's name, made on first run.
    pub name: String,
}

/// The last checkpoint the witness cosigned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Seen {
    pub origin: String,
    pub size: u64,
    /// The root, hex.
    pub root: String,
    /// The note as cosigned.
    pub note: String,
    /// Whether the Vigil accepted the cosigned note (absent in files of witnesses that
    /// did not send it back: not sent).
    #[serde(default)]
    pub sent: bool,
}

/// What one round did.
#[derive(Debug, PartialEq, Eq)]
pub enum Round {
    /// A new checkpoint, consistent with the last, cosigned, and what became of
    /// sending it back.
    Cosigned { size: u64, sent: Sent },
    /// The same checkpoint as last time: nothing to cosign. `sent`: the cosignature
    /// the Vigil had not accepted yet, sent again.
    Unchanged { size: u64, sent: Option<Sent> },
}

/// What became of sending a cosigned note back to the Vigil. A failure stops nothing:
/// the cosignature is kept in DIR and sent again next round.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    Accepted,
    /// The Vigil's answer (status and body), or why it could not be reached.
    Failed(String),
}

impl std::fmt::Display for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sent::Accepted => f.write_str("sent to the log"),
            Sent::Failed(why) => write!(f, "NOT sent to the log (again next round): {why}"),
        }
    }
}

/// Characters of the Vigil's refusal kept in a report.
const MAX_REPORTED: usize = 500;

impl Witness {
    /// One round: fetch, check, cosign, keep. An `Err` that names a rewrite or rollback
    /// is the alarm the witness exists for.
    pub async fn round(&self, client: &reqwest::Client) -> anyhow::Result<Round> {
        std::fs::create_dir_all(&self.dir)?;
        let cosigner = self.cosigner()?;
        let text = self.get(client, "/api/v1/checkpoint").await?;
        let mut note =
            SignedNote::parse(text.as_bytes()).context("the checkpoint is not a signed note")?;
        note.verify(&self.log_key)
            .context("the checkpoint is not signed by the log's key")?;
        let body = Checkpoint::parse(note.text()).context("the note is not a checkpoint")?;
        let (size, root) = (body.size(), *body.root());
        if let Some(seen) = self.seen()? {
            anyhow::ensure!(
                seen.origin == body.origin(),
                "the checkpoint is of {:?}, this witness watches {:?}",
                body.origin(),
                seen.origin
            );
            let old_root: Hash = hex::decode(&seen.root)
                .ok()
                .and_then(|b| b.try_into().ok())
                .context("latest.json holds no root")?;
            anyhow::ensure!(
                size >= seen.size,
                "ROLLBACK: the log shrank from {} to {size} records since the last cosigned checkpoint",
                seen.size
            );
            if size == seen.size {
                anyhow::ensure!(
                    root == old_root,
                    "REWRITE: the tree of {size} records has another root than the one cosigned"
                );
                let sent = if seen.sent {
                    None
                } else {
                    Some(self.send(client, seen).await?)
                };
                return Ok(Round::Unchanged { size, sent });
            }
            let path = format!("/api/v1/proof/consistency?from={}&to={size}", seen.size);
            let proof: serde_json::Value = serde_json::from_str(&self.get(client, &path).await?)?;
            let proof: Vec<Hash> = proof["proof"]
                .as_array()
                .context("no proof in the answer")?
                .iter()
                .map(|h| {
                    h.as_str()
                        .and_then(|h| hex::decode(h).ok())
                        .and_then(|b| b.try_into().ok())
                        .context("a proof hash is not 32 bytes of hex")
                })
                .collect::<anyhow::Result<_>>()?;
            verify_consistency(seen.size, size, &old_root, &root, &proof).map_err(|e| {
                anyhow::anyhow!(
                    "REWRITE: the tree of {size} records does not extend the {} cosigned: {e}",
                    seen.size
                )
            })?;
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        note.add(cosigner.cosign(note.text(), now)?);
        let seen = Seen {
            origin: body.origin().to_owned(),
            size,
            root: hex::encode(root),
            note: note.to_string(),
            sent: false,
        };
        // Kept before it is sent: the witness's own record never depends on the Vigil.
        self.keep(&seen)?;
        let sent = self.send(client, seen).await?;
        Ok(Round::Cosigned { size, sent })
    }

    /// Sends the cosigned note back (`POST /api/v1/checkpoint/cosignature`), and once
    /// accepted marks it so in `latest.json`. `Err` only if the folder cannot be written.
    async fn send(&self, client: &reqwest::Client, mut seen: Seen) -> anyhow::Result<Sent> {
        let url = format!(
            "{}/api/v1/checkpoint/cosignature",
            self.url.trim_end_matches('/')
        );
        let answer = client
            .post(&url)
            .bearer_auth(&self.api_key)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(seen.note.clone())
            .send()
            .await;
        let sent = match answer {
            Ok(r) if r.status().is_success() => Sent::Accepted,
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                let text: String = text.chars().take(MAX_REPORTED).collect();
                Sent::Failed(format!("POST {url}: {status}: {text}"))
            }
            Err(e) => Sent::Failed(format!("POST {url}: {e}")),
        };
        if sent == Sent::Accepted {
            seen.sent = true;
            self.replace_latest(&seen)?;
        }
        Ok(sent)
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> anyhow::Result<String> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let r = client
            .get(&url)
            .bearer_auth(&self.api_key)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = r.status();
        let text = r.text().await?;
        anyhow::ensure!(status.is_success(), "GET {url}: {status}: {text}");
        Ok(text)
    }

    fn cosigner(&self) -> anyhow::Result<Cosigner> {
        cosigner(&self.dir, &self.name)
    }

    /// The witness's public key, to publish (a verifier of its cosignatures).
    pub fn public_key(&self) -> anyhow::Result<VerifierKey> {
        public_key(&self.dir, &self.name)
    }

    /// The last checkpoint cosigned, if any.
    pub fn seen(&self) -> anyhow::Result<Option<Seen>> {
        match std::fs::read_to_string(self.dir.join("latest.json")) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).context("latest.json")?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Appends the cosigned note to the log, then replaces `latest.json` atomically.
    fn keep(&self, seen: &Seen) -> anyhow::Result<()> {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("checkpoints.log"))?;
        writeln!(log, "{}", seen.note)?;
        log.sync_all()?;
        self.replace_latest(seen)
    }

    fn replace_latest(&self, seen: &Seen) -> anyhow::Result<()> {
        let tmp = self.dir.join("latest.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(seen)?)?;
        std::fs::rename(&tmp, self.dir.join("latest.json"))?;
        Ok(())
    }
}

/// The public key of the witness whose folder is `dir` (its key made first, named
/// `name`, if there is none yet): what the Vigil's operator registers with
/// `--witness-key`.
pub fn public_key(dir: &Path, name: &str) -> anyhow::Result<VerifierKey> {
    std::fs::create_dir_all(dir)?;
    Ok(cosigner(dir, name)?.verifier_key().clone())
}

/// The witness's own key, made on first run (owner-only, never overwritten).
fn cosigner(dir: &Path, name: &str) -> anyhow::Result<Cosigner> {
    let path = dir.join("witness.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Cosigner::parse(text.trim())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let cosigner = Cosigner::generate(name)?;
            let mut file = owner_only_new(&path)?;
            writeln!(file, "{}", cosigner.to_key_file())?;
            file.sync_all()?;
            Ok(cosigner)
        }
        Err(e) => Err(e.into()),
    }
}
