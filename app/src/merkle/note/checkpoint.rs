//! The checkpoint body (c2sp.org/tlog-checkpoint): origin, tree size, root hash,
//! then optional extension lines, each ending in a newline.

use super::{valid_name, valid_text, NoteError};
use crate::merkle::Hash;
use base64::{engine::general_purpose::STANDARD, Engine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint of our own. Its origin must also be usable as a key name (no
    /// space, `+` or control), which the spec recommends and the signer's name
    /// should match.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, NoteError> {
        if !valid_name(origin) {
            return Err(NoteError::Checkpoint(
                "origin is empty or has a space, + or control",
            ));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Adds extension lines (opaque; the spec does not recommend them, as monitors
    /// cannot audit them).
    pub fn with_extensions(mut self, lines: Vec<String>) -> Result<Self, NoteError> {
        for line in &lines {
            if line.is_empty() || line.contains('\n') || !valid_text(line) {
                return Err(NoteError::Checkpoint(
                    "extension line is empty or has a control",
                ));
            }
        }
        self.extensions = lines;
        Ok(self)
    }

    /// Parses a note text as a checkpoint. Strict: canonical decimal size, a root of
    /// exactly 32 bytes in canonical base64, no empty line, final newline.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::Checkpoint("does not end in a newline"))?;
        if !valid_text(text) {
            return Err(NoteError::Checkpoint("has a control character"));
        }
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(NoteError::Checkpoint("fewer than three lines"));
        };
        if origin.is_empty() {
            return Err(NoteError::Checkpoint("origin is empty"));
        }
        let size_ok = size == "0" || (!size.starts_with('0') && !size.is_empty());
        if !size_ok || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NoteError::Checkpoint(
                "size is not a decimal without leading zeros",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| NoteError::Checkpoint("size is past 2^64 - 1"))?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(NoteError::Checkpoint("root is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::Checkpoint("has an empty line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text to sign.
    pub fn body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for line in &self.extensions {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn root(&self) -> &Hash {
        &self.root
    }
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }
}
