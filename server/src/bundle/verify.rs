//! `vigil verify-bundle`: checks a bundle with nothing but the log's public key, as the
//! README's "Export bundles" describes; streams it, so memory stays flat however many
//! records it holds.

use super::{fingerprint, End, Header, Mode, VERSION};
use app::merkle::note::{Checkpoint, NoteError, SignedNote, VerifierKey};
use app::merkle::range::{verify_range, RangeError};
use app::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, Read};

/// A line longer than this is refused: a record is at most about 7 MiB stored, and its
/// canonical form escapes its body at most twice over.
const MAX_LINE: u64 = 64 << 20;

/// How the end line starts; a record line starts `{"id":`.
const END: &[u8] = br#"{"end""#;

/// A proof of a tree of at most 2^64 leaves has at most this many hashes per level.
const MAX_PROOF: usize = 128;

/// What a bundle was found to prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub mode: Mode,
    pub tenant_id: String,
    pub tree_size: u64,
    pub key: String,
    pub records: u64,
    /// Chain positions of the first and last records, if any.
    pub first: Option<u64>,
    pub last: Option<u64>,
    /// The size of the earlier checkpoint the bundle's was found consistent with.
    pub consistent_with: Option<u64>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bundle of tenant {}: checkpoint of {} records, signed by {}",
            self.tenant_id, self.tree_size, self.key
        )?;
        if let Some(m) = self.consistent_with {
            writeln!(
                f,
                "consistent with the earlier checkpoint of {m} records: the log kept what it signed then"
            )?;
        }
        let span = match (self.first, self.last) {
            (Some(a), Some(b)) => format!("seq {a} to {b}"),
            _ => "none".into(),
        };
        match self.mode {
            Mode::Range => write!(
                f,
                "OK: {} records, {span}: complete, every record of the range is here and unaltered",
                self.records
            ),
            Mode::Records => write!(
                f,
                "OK: {} records, {span}: each is in the signed tree and unaltered; \
                 completeness is not claimed (a filtered selection)",
                self.records
            ),
        }
    }
}

/// Why a bundle was refused, naming the line at fault when there is one.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("line {line}: {what}")]
    At { line: u64, what: String },
    #[error("{0}")]
    Bundle(String),
    #[error("reading the bundle: {0}")]
    Io(#[from] std::io::Error),
}

fn bad(what: impl Into<String>) -> BundleError {
    BundleError::Bundle(what.into())
}

/// The fields of a record line the verifier reads; the rest is only hashed.
#[derive(Deserialize)]
struct Placed<'a> {
    #[serde(borrow)]
    tenant_id: Cow<'a, str>,
    seq: u64,
}

/// Checks the bundle `input` against `key`, the log's public key obtained out of band,
/// and, if given, against `earlier`: a checkpoint of the log saved before (a signed
/// note), which the bundle's must extend.
pub fn verify(
    input: impl BufRead,
    key: &VerifierKey,
    earlier: Option<&str>,
) -> Result<Report, BundleError> {
    let mut lines = Lines {
        input,
        buf: Vec::new(),
        line: 0,
    };
    let header_line = lines
        .next()?
        .ok_or_else(|| bad("the bundle is empty"))?
        .1
        .to_vec();
    let header: Header = serde_json::from_slice(&header_line)
        .map_err(|e| lines.at(format!("not a bundle header: {e}")))?;
    let root = check_header(&header, key)?;
    let consistent_with = earlier
        .map(|note| check_earlier(&header, &root, note, key))
        .transpose()?;
    let mut walk = Walk {
        lines,
        header: &header,
        records: 0,
        first: None,
        last: None,
    };
    match header.mode {
        Mode::Range => walk.range(&root)?,
        Mode::Records => walk.records(&root)?,
    }
    let (records, first, last) = (walk.records, walk.first, walk.last);
    walk.end()?;
    Ok(Report {
        mode: header.mode,
        tenant_id: header.tenant_id,
        tree_size: header.tree_size,
        key: format!("{} ({:08x})", key.name(), key.key_id()),
        records,
        first,
        last,
        consistent_with,
    })
}

/// A signed checkpoint's body, its signature by `key` checked.
fn open_note(note: &str, key: &VerifierKey) -> Result<Checkpoint, String> {
    let note = SignedNote::parse(note.as_bytes()).map_err(|e| format!("not a signed note: {e}"))?;
    note.verify(key).map_err(|e| match e {
        NoteError::NotSigned { .. } => format!("not signed by the given key: {e}"),
        other => format!("the signature does not verify: {other}"),
    })?;
    Checkpoint::parse(note.text()).map_err(|e| e.to_string())
}

/// Checks that the bundle's checkpoint (of `root`) extends `earlier`'s tree; returns
/// the earlier size.
fn check_earlier(
    header: &Header,
    root: &Hash,
    earlier: &str,
    key: &VerifierKey,
) -> Result<u64, BundleError> {
    // A note kept in a file or an email may have gained blank lines around it.
    let earlier = format!("{}\n", earlier.trim());
    let old = open_note(&earlier, key).map_err(|e| bad(format!("earlier checkpoint: {e}")))?;
    let (m, n) = (old.size(), header.tree_size);
    if old.origin() != header.origin {
        return Err(bad(format!(
            "earlier checkpoint: its origin {:?} is not the bundle's {:?}",
            old.origin(),
            header.origin
        )));
    }
    if m > n {
        return Err(bad(format!(
            "earlier checkpoint: it signs {m} records, more than the bundle's {n}: export the bundle again"
        )));
    }
    let proof = match &header.consistency {
        _ if m == n => Vec::new(),
        Some(c) if c.from == m => {
            hashes(&c.proof).map_err(|e| bad(format!("header: consistency proof: {e}")))?
        }
        _ => {
            return Err(bad(format!(
                "earlier checkpoint: the bundle proves no consistency with the tree of {m} records \
                 (export it with consistent_with={m})"
            )))
        }
    };
    verify_consistency(m, n, old.root(), root, &proof).map_err(|e| {
        bad(format!(
            "earlier checkpoint: the bundle's tree of {n} records is not consistent with the \
             earlier one of {m}: the log rewrote or forked its history ({e})"
        ))
    })?;
    Ok(m)
}

/// Checks the header's key and checkpoint; returns the signed root.
fn check_header(header: &Header, key: &VerifierKey) -> Result<Hash, BundleError> {
    if header.vigil_bundle != VERSION {
        return Err(bad(format!(
            "header: format version {} is not {VERSION}",
            header.vigil_bundle
        )));
    }
    let mine = fingerprint(key);
    if header.key_fingerprint != mine {
        return Err(bad(format!(
            "key: the bundle's checkpoint names the key with fingerprint {}, not the given key ({mine})",
            header.key_fingerprint
        )));
    }
    let checkpoint =
        open_note(&header.checkpoint, key).map_err(|e| bad(format!("checkpoint: {e}")))?;
    if checkpoint.origin() != header.origin {
        return Err(bad(format!(
            "checkpoint: its origin {:?} is not the header's {:?}",
            checkpoint.origin(),
            header.origin
        )));
    }
    // The key is named after the deployment (see `store::checkpoints::origin`).
    let origin = format!("{}/{}", key.name(), header.tenant_id);
    if header.origin != origin {
        return Err(bad(format!(
            "header: origin {:?} is not {origin:?}, the key's deployment and the tenant",
            header.origin
        )));
    }
    if checkpoint.size() != header.tree_size {
        return Err(bad(format!(
            "checkpoint: its size {} is not the header's tree_size {}",
            checkpoint.size(),
            header.tree_size
        )));
    }
    Ok(*checkpoint.root())
}

/// The bundle's lines, numbered from 1, each at most `MAX_LINE` bytes.
struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> Lines<R> {
    /// The next line without its newline, and its number; `None` at the input's end.
    fn next(&mut self) -> Result<Option<(u64, &[u8])>, BundleError> {
        self.buf.clear();
        let n = (&mut self.input)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.pop() != Some(b'\n') {
            return Err(self.at(if n as u64 > MAX_LINE {
                format!("longer than {MAX_LINE} bytes")
            } else {
                "ends without a newline: the bundle was cut short".into()
            }));
        }
        Ok(Some((self.line, &self.buf)))
    }

    /// An error at the line read last.
    fn at(&self, what: impl Into<String>) -> BundleError {
        at(self.line, what)
    }
}

fn at(line: u64, what: impl Into<String>) -> BundleError {
    BundleError::At {
        line,
        what: what.into(),
    }
}

/// The walk over the record lines, after the header.
struct Walk<'h, R> {
    lines: Lines<R>,
    header: &'h Header,
    records: u64,
    first: Option<u64>,
    last: Option<u64>,
}

impl<R: BufRead> Walk<'_, R> {
    /// The next record line's leaf, checked to be of the tenant and after the last one.
    /// `None`: the end line (left for `end`) or the end of the input.
    fn next_record(&mut self) -> Result<Option<(u64, Hash)>, BundleError> {
        let tenant = &self.header.tenant_id;
        let Some((n, line)) = self.lines.next()? else {
            return Ok(None);
        };
        if line.starts_with(END) {
            return Ok(None);
        }
        let placed: Placed =
            serde_json::from_slice(line).map_err(|e| at(n, format!("not a record: {e}")))?;
        let seq = placed.seq;
        if placed.tenant_id != tenant.as_str() {
            return Err(at(
                n,
                format!(
                    "record seq {seq} is of tenant {:?}, not {tenant:?}",
                    placed.tenant_id
                ),
            ));
        }
        if seq == 0 || seq > self.header.tree_size {
            return Err(at(
                n,
                format!(
                    "record seq {seq} is not in the checkpoint's tree of {} records",
                    self.header.tree_size
                ),
            ));
        }
        if let Some(last) = self.last.filter(|last| seq <= *last) {
            let why = if seq == last {
                "a duplicate"
            } else {
                "out of order"
            };
            return Err(at(n, format!("record seq {seq} after seq {last}: {why}")));
        }
        let leaf = leaf_hash(line);
        self.first.get_or_insert(seq);
        self.last = Some(seq);
        self.records += 1;
        Ok(Some((seq, leaf)))
    }

    /// Range mode: the records are exactly `first..=last`, and with the range proof
    /// they lead to the signed root.
    fn range(&mut self, root: &Hash) -> Result<(), BundleError> {
        let header = self.header;
        let (Some(first), Some(last), Some(proof)) =
            (header.first, header.last, header.range_proof.as_deref())
        else {
            return Err(bad(
                "header: a range bundle needs first, last and range_proof",
            ));
        };
        if first == 0 || first > last || last > header.tree_size {
            return Err(bad(format!(
                "header: range {first}..{last} is not inside the tree of {} records",
                header.tree_size
            )));
        }
        let proof = hashes(proof).map_err(|e| bad(format!("header: range_proof: {e}")))?;
        let mut expected = first;
        let result =
            verify_range(
                first - 1,
                last,
                header.tree_size,
                &proof,
                root,
                &mut || match self.next_record()? {
                    Some((seq, leaf)) if seq == expected => {
                        expected += 1;
                        Ok(leaf)
                    }
                    Some((seq, _)) => Err(self.lines.at(format!(
                        "range {first}..{last}: record seq {expected} is missing (found seq {seq})"
                    ))),
                    None => Err(self.lines.at(format!(
                        "range {first}..{last}: the records end at seq {}, before the range does",
                        expected - 1
                    ))),
                },
            );
        result.map_err(|e| match e {
            RangeError::Leaf(e) => e,
            RangeError::RootMismatch => bad(format!(
                "range {first}..{last}: the records and range proof do not lead to the checkpoint's root"
            )),
            other => bad(format!("range {first}..{last}: {other}")),
        })
    }

    /// Records mode: each record line is followed by its inclusion proof.
    fn records(&mut self, root: &Hash) -> Result<(), BundleError> {
        let size = self.header.tree_size;
        while let Some((seq, leaf)) = self.next_record()? {
            let Some((n, line)) = self.lines.next()? else {
                return Err(bad(format!(
                    "record seq {seq}: the bundle ends before its proof"
                )));
            };
            let proof: Vec<String> = serde_json::from_slice(line)
                .map_err(|e| at(n, format!("record seq {seq}: not a proof: {e}")))?;
            let proof = hashes(&proof)
                .map_err(|e| self.lines.at(format!("record seq {seq}: proof: {e}")))?;
            verify_inclusion(seq - 1, size, &leaf, &proof, root).map_err(|e| {
                self.lines.at(format!(
                    "record seq {seq}: its inclusion proof fails: {e} (the record or its proof was altered)"
                ))
            })?;
        }
        Ok(())
    }

    /// The end line counts the records; nothing follows it.
    fn end(mut self) -> Result<(), BundleError> {
        // Records mode stopped at the end line, or at the input's end (an empty buffer);
        // range mode right after its last record.
        if !self.lines.buf.starts_with(END) && self.lines.next()?.is_none() {
            return Err(bad(
                "the bundle ends without its end line: it was cut short",
            ));
        }
        let line = &self.lines.buf;
        if !line.starts_with(END) {
            return Err(self
                .lines
                .at("a record after the range's last: more records than the range holds"));
        }
        let end: End = serde_json::from_slice(line)
            .map_err(|e| self.lines.at(format!("not the end line: {e}")))?;
        if end.end.records != self.records {
            return Err(self.lines.at(format!(
                "the end line counts {} records, the bundle holds {}",
                end.end.records, self.records
            )));
        }
        if self.lines.next()?.is_some() {
            return Err(self.lines.at("something follows the end line"));
        }
        Ok(())
    }
}

/// Hex hashes, at most `MAX_PROOF`.
fn hashes(hex_hashes: &[String]) -> Result<Vec<Hash>, String> {
    if hex_hashes.len() > MAX_PROOF {
        return Err(format!("more than {MAX_PROOF} hashes"));
    }
    hex_hashes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(h, &mut out)
                .map_err(|_| format!("hash {i} is not 32 bytes of hex"))?;
            Ok(out)
        })
        .collect()
}
