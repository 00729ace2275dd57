#!/usr/bin/env python3
"""Verifies a Vigil export bundle offline, written from README.md ("Export bundles").

    python3 scripts/verify_bundle.py BUNDLE.jsonl --key 'vigil+<key id>+<base64>' \
        [--checkpoint EARLIER]

--key is the log's verifier key, or a file holding it; BUNDLE may be - (stdin).
--checkpoint is a checkpoint of the log saved earlier: the bundle's must extend it.
Exit 0: verified (what was checked is printed). Exit 1: the bundle fails (one message
says what). Exit 2: usage (bad arguments or key, unreadable file).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_LINE = 256 << 20  # one record holds at most a request body (32 MiB), escaped
MAX_POS = 2**63 - 1  # seq and tree sizes are SQL BIGINTs
MAX_SIGNATURES = 100  # as Go's sumdb/note and Vigil's own parser
HASH = re.compile(r"[0-9a-f]{64}")


class Failed(Exception):
    """The bundle does not verify; the message says why."""


class Usage(Exception):
    """The arguments are unusable."""


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def node(left, right):  # RFC 6962 interior node
    return sha256(b"\x01", left, right)


def b64(text, what, size, error=Failed):
    """Canonical standard base64 of exactly `size` bytes (as Vigil's parser demands)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise error(f"{what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise error(f"{what} is not canonical base64")
    if size is not None and len(raw) != size:
        raise error(f"{what} is {len(raw)} bytes, not {size}")
    return raw


def valid_name(name):  # C2SP key names and origins: no space, '+' or control
    return name != "" and not any(c.isspace() or c in "+\x7f" or ord(c) < 0x20 for c in name)


def uint(value, low=0):
    """A JSON integer (not a bool or float) in low..MAX_POS, or None."""
    ok = type(value) is int and low <= value <= MAX_POS
    return value if ok else None


class Key:
    """A verifier key `name+keyid+base64(0x01 || Ed25519 public key)`."""

    def __init__(self, text):
        name, keyid, data = (text.split("+", 2) + ["", ""])[:3]
        # not printable: controls, or bytes the command line had that are not UTF-8
        if not (text.isprintable() and valid_name(name) and re.fullmatch("[0-9a-f]{8}", keyid)):
            raise Usage("--key is not name+<8 lowercase hex key id>+<base64>")
        raw = b64(data, "--key's public key", 33, Usage)
        if raw[0] != 0x01:
            raise Usage(f"--key has type {raw[0]:#04x}, not 0x01 (Ed25519)")
        self.name, self.id = name, sha256(name.encode(), b"\n", raw)[:4]
        if self.id.hex() != keyid:
            raise Usage(f"--key's key id {keyid} is not its name's and key's ({self.id.hex()})")
        try:
            self.public = Ed25519PublicKey.from_public_bytes(raw[1:])
        except ValueError:
            raise Usage("--key's public key is not an Ed25519 key") from None
        self.fingerprint = hashlib.sha256(text.encode()).hexdigest()
        self.label = f"{name} (id {keyid})"


def read_key(arg):
    if os.path.isfile(arg):  # --key may name a file holding the key string
        try:
            with open(arg, encoding="utf-8") as f:
                arg = f.read(4096)
        except (OSError, UnicodeDecodeError) as e:
            raise Usage(f"cannot read the key file {arg}: {e}") from None
    return Key(arg.strip())


def open_checkpoint(note, key):
    """Checks that `key` signed the note; returns its checkpoint (origin, size, root)."""
    if any(ord(c) < 0x20 and c != "\n" or 0xD800 <= ord(c) < 0xE000 for c in note):
        raise Failed("checkpoint: has a control character or a lone surrogate")
    cut = note.rfind("\n\n")  # the text ends at the last blank line (C2SP signed-note)
    if cut < 0 or not note.endswith("\n"):
        raise Failed("checkpoint: no blank line then signature lines ending in a newline")
    text, sigs = note[: cut + 1], note[cut + 2 : -1].split("\n")
    if len(sigs) > MAX_SIGNATURES:
        raise Failed(f"checkpoint: more than {MAX_SIGNATURES} signatures")
    signed = False
    for n, line in enumerate(sigs, 1):
        name, _, sig = line[2:].partition(" ")
        if not line.startswith("\u2014 ") or not valid_name(name):
            raise Failed(f"checkpoint: signature line {n} is not '\u2014 <key name> <base64>'")
        raw = b64(sig, f"checkpoint: signature line {n}", None)
        if len(raw) < 5:
            raise Failed(f"checkpoint: signature line {n} is shorter than 5 bytes")
        if (name, raw[:4]) != (key.name, key.id):
            continue  # another key's (a witness's cosignature, say): not ours to judge
        try:  # every line by our key must verify, as in Vigil's own verifier
            key.public.verify(raw[4:], text.encode())
        except InvalidSignature:
            raise Failed(f"checkpoint: the signature by key {key.label} does not verify") from None
        signed = True
    if not signed:
        raise Failed(f"checkpoint: no signature by key {key.label}")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or "" in lines or not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]):
        raise Failed("checkpoint: not origin, decimal tree size, root (and no empty line)")
    return lines[0], int(lines[1]), b64(lines[2], "checkpoint: root", 32)


def no_duplicates(pairs):  # a key given twice could be read two ways: refuse it
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("a key appears twice")
    return obj


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


class Lines:
    """The bundle's lines, one at a time: split at b"\\n" only (a record may hold U+2028)."""

    def __init__(self, f):
        self.f, self.no = f, 0

    def next(self):
        """(raw bytes without the newline, parsed JSON), or None at the end of the file."""
        raw = self.f.readline(MAX_LINE + 1)
        if not raw:
            return None
        self.no += 1
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE:
                raise Failed(f"line {self.no} is longer than {MAX_LINE} bytes")
            raise Failed(f"line {self.no} has no final newline (bundle cut short)")
        raw = raw[:-1]
        if raw.endswith(b"\r"):  # would only fail later, as a leaf no proof leads from
            raise Failed(f"line {self.no} ends in CR LF, not LF (line endings converted?)")
        try:
            text = raw.decode("utf-8")
            return raw, json.loads(text, object_pairs_hook=no_duplicates,
                                   parse_constant=refuse_constant)
        except UnicodeDecodeError as e:
            raise Failed(f"line {self.no} is not UTF-8 (byte {e.start + 1})") from None
        except (ValueError, RecursionError) as e:  # also: ints past Python's digit limit
            why = str(e).split(";")[0]  # not Python's advice on its digit limit
            raise Failed(f"line {self.no} is not JSON: {why}") from None

    def must(self):  # a line, where the bundle may not end yet
        if (line := self.next()) is None:
            raise Failed("bundle ends without its end line (cut short)")
        return line


def read_header(lines, key):
    """Checks the header line and its checkpoint; returns the header and the root."""
    h = (lines.next() or (None, None))[1]  # None: the file is empty
    if not isinstance(h, dict) or uint(h.get("vigil_bundle")) != 1:
        raise Failed('line 1 is not the header of a version 1 bundle ("vigil_bundle": 1)'
                     if lines.no else "the bundle is empty")
    for field in ("mode", "tenant_id", "origin", "tree_size", "checkpoint", "key_fingerprint",
                  "selection", "created_at"):
        if field not in h:
            raise Failed(f'header: no "{field}"')
    if h["mode"] not in ("range", "records"):
        raise Failed(f'header: mode {h["mode"]!r} is neither "range" nor "records"')
    for field in ("tenant_id", "origin", "checkpoint", "key_fingerprint"):
        if not isinstance(h[field], str):
            raise Failed(f'header: "{field}" is not a string')
    if uint(h["tree_size"]) is None:
        raise Failed(f"header: tree_size is not an integer in 0..{MAX_POS}")
    if h["key_fingerprint"] != key.fingerprint:
        raise Failed(f"key fingerprint {key.fingerprint} (of --key) does not match the "
                     f"bundle's {h['key_fingerprint']}")
    origin, size, root = open_checkpoint(h["checkpoint"], key)
    if origin != h["origin"]:
        raise Failed(f"checkpoint origin {origin!r} != header origin {h['origin']!r}")
    if origin != f"{key.name}/{h['tenant_id']}":  # Vigil's origin: <deployment>/<tenant>
        raise Failed(f"origin {origin!r} is not {key.name}/<header tenant_id {h['tenant_id']!r}>")
    if size != h["tree_size"]:
        raise Failed(f"checkpoint size {size} != header tree_size {h['tree_size']}")
    if h["mode"] == "range":
        first, last = uint(h.get("first"), 1), uint(h.get("last"), 1)
        if first is None or last is None or not first <= last <= size:
            raise Failed(f"header: first and last are not 1 <= first <= last <= {size}")
        h["range_proof"] = hashes(h.get("range_proof"), "header: range_proof")
    return h, root


def hashes(value, what):
    """A JSON array of lowercase hex SHA-256 hashes, as bytes."""
    if not isinstance(value, list):
        raise Failed(f"{what} is not an array of hashes")
    for n, v in enumerate(value, 1):
        if not isinstance(v, str) or not HASH.fullmatch(v):
            raise Failed(f"{what}: hash {n} is not 64 lowercase hex digits")
    return [bytes.fromhex(v) for v in value]


class Records:
    """The record lines, in order, with what every record must satisfy checked."""

    def __init__(self, lines, tenant, size):
        self.lines, self.tenant, self.size = lines, tenant, size
        self.count, self.first, self.last, self.end = 0, None, None, None

    def next(self):
        """(seq, leaf hash) of the next record, or None once the end line is read."""
        raw, obj = self.lines.must()
        if isinstance(obj, dict) and "end" in obj:  # no record has an "end" column
            self.end = obj
            return None
        no = self.lines.no
        if not isinstance(obj, dict):
            raise Failed(f"line {no} is neither a record (JSON object) nor the end line")
        seq = uint(obj.get("seq"), 1)
        if seq is None:
            raise Failed(f"line {no}: the record has no seq (an integer >= 1)")
        if self.last is not None and seq <= self.last:
            dup = " (duplicate)" if seq == self.last else ""
            raise Failed(f"records are not in increasing seq order at line {no}: "
                         f"seq {seq} after seq {self.last}{dup}")
        self.count += 1
        at = f"record {self.count} (seq {seq})"
        if seq > self.size:
            raise Failed(f"{at}: past the checkpoint's tree size {self.size}")
        if obj.get("tenant_id") != self.tenant:
            raise Failed(f"{at}: tenant_id {obj.get('tenant_id')!r} is not the header's "
                         f"{self.tenant!r}")
        self.first, self.last = self.first or seq, seq
        return seq, sha256(b"\x00", raw)  # the leaf: the exact bytes, as hashed


def inclusion_root(index, size, leaf, path):
    """RFC 9162 2.1.3.2: the root `path` leads to from leaf `index`, or why it cannot."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None, f"has {len(path)} hashes, too many"
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return (r, None) if sn == 0 else (None, f"has {len(path)} hashes, too few")


def consistent(m, n, old_root, new_root, proof):
    """RFC 9162 2.1.4.2: whether the tree of m leaves (old_root) is a prefix of the tree
    of n leaves (new_root), by `proof`; 0 < m <= n."""
    if m == n:
        return not proof and old_root == new_root
    if m & (m - 1) == 0:  # a complete subtree: its root starts the path
        proof = [old_root] + proof
    if not proof:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def check_earlier(h, root, note, key):
    """The bundle's checkpoint must extend `note`, a checkpoint saved earlier."""
    note = note.strip() + "\n"
    try:
        origin, m, old_root = open_checkpoint(note, key)
    except Failed as e:
        raise Failed(f"earlier {e}") from None
    n = h["tree_size"]
    if origin != h["origin"]:
        raise Failed(f"earlier checkpoint: origin {origin!r} is not the bundle's {h['origin']!r}")
    if m > n:
        raise Failed(f"earlier checkpoint: it signs {m} records, more than the bundle's {n}")
    c = h.get("consistency")
    proof = []
    if m not in (0, n):
        if not isinstance(c, dict) or uint(c.get("from")) != m:
            raise Failed(f"earlier checkpoint: the bundle proves no consistency with the tree "
                         f"of {m} records (export it with consistent_with={m})")
        proof = hashes(c.get("proof"), "header: consistency proof")
    if m and not consistent(m, n, old_root, root, proof):
        raise Failed(f"earlier checkpoint: the bundle's tree of {n} records is not consistent "
                     f"with the earlier one of {m}: the log rewrote or forked its history")
    return m


def verify_records(lines, records, root):
    """Records mode: each record line is followed by its inclusion proof."""
    while (record := records.next()) is not None:
        seq, leaf = record
        at = f"record {records.count} (seq {seq})"
        proof = lines.must()
        if isinstance(proof[1], dict) and "end" in proof[1]:
            raise Failed(f"{at}: no inclusion proof line after it")
        got, why = inclusion_root(seq - 1, records.size, leaf, hashes(proof[1], f"{at}: proof"))
        if why:
            raise Failed(f"{at}: inclusion proof {why}")
        if got != root:
            raise Failed(f"{at}: inclusion proof does not lead to the checkpoint's root")


def verify_range(h, records, root):
    """Range mode: RFC 6962's recursion over [0, N), pulling records and proof hashes in
    order, so memory stays O(log N) however many records there are."""
    first, last, proof = h["first"], h["last"], iter(h["range_proof"])
    span, want = f"range {first}..{last}", [first]

    def leaf():
        record = records.next()
        if record is None:
            raise Failed(f"{span}: seq {want[0]} is missing (the records end before it)")
        seq, hashed = record
        if seq < first:
            raise Failed(f"record {records.count} (seq {seq}): outside the {span}")
        if seq > want[0]:
            raise Failed(f"{span}: seq {want[0]} is missing")
        want[0] += 1
        return hashed

    def subtree(lo, hi):  # the hash of leaves lo..hi-1
        if hi <= first - 1 or lo >= last:  # wholly outside the range: the proof's
            hashed = next(proof, None)
            if hashed is None:
                raise Failed(f"range proof: too few hashes (none left for leaves {lo}..{hi - 1})")
            return hashed
        if hi - lo == 1:
            return leaf()
        k = 1 << ((hi - lo - 1).bit_length() - 1)  # largest power of two < hi - lo
        return node(subtree(lo, lo + k), subtree(lo + k, hi))

    got = subtree(0, records.size)
    unused = sum(1 for _ in proof)
    if unused:
        raise Failed(f"range proof: {unused} hash{'es' if unused > 1 else ''} unused")
    if got != root:
        raise Failed(f"{span}: the records and range proof do not lead to the checkpoint's root")
    if (record := records.next()) is not None:
        raise Failed(f"record {records.count} (seq {record[0]}): outside the {span}")


def verify(f, key, earlier=None):
    """Verifies the bundle read from `f` (binary), and that it extends the checkpoint
    `earlier` if given; returns the lines to print."""
    lines = Lines(f)
    h, root = read_header(lines, key)
    m = None if earlier is None else check_earlier(h, root, earlier, key)
    records = Records(lines, h["tenant_id"], h["tree_size"])
    if h["mode"] == "range":
        verify_range(h, records, root)
    else:
        verify_records(lines, records, root)
    end = records.end
    if list(end) != ["end"] or not isinstance(end["end"], dict) or list(end["end"]) != ["records"]:
        raise Failed(f'line {lines.no}: the end line is not {{"end": {{"records": <count>}}}}')
    if end["end"]["records"] != records.count or type(end["end"]["records"]) is not int:
        raise Failed(f"the end line counts {end['end']['records']!r} records; the bundle "
                     f"holds {records.count}")
    if f.read(1):
        raise Failed(f"something follows the end line (line {lines.no})")
    span = records.count and f", seq {records.first}..{records.last}, each a leaf of that tree"
    claim = (f"complete: every record of the range {h['first']}..{h['last']}"
             if h["mode"] == "range" else "completeness not claimed: a filtered selection")
    return [f"OK: Vigil bundle of tenant {h['tenant_id']} ({h['mode']} mode)",
            f"checkpoint: {h['origin']}, tree size {h['tree_size']}, signed by key {key.label}",
            f"records: {records.count}{span or ''}", claim] + (
        [] if m is None else [f"consistent with the earlier checkpoint of {m} records"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", metavar="FILE", help="the bundle (.jsonl), or - for stdin")
    parser.add_argument("--key", required=True, help="vigil+<key id>+<base64>, or a file of it")
    parser.add_argument("--checkpoint", help="a checkpoint of the log saved earlier (a file)")
    args = parser.parse_args(argv)
    for out in (sys.stdout, sys.stderr):  # a message must never fail to print
        if hasattr(out, "reconfigure"):
            out.reconfigure(errors="backslashreplace")
    try:
        key = read_key(args.key)
        earlier = None
        if args.checkpoint is not None:
            with open(args.checkpoint, encoding="utf-8") as e:
                earlier = e.read(1 << 20)
        f = sys.stdin.buffer if args.bundle == "-" else open(args.bundle, "rb")
        with f:
            report = verify(f, key, earlier)
    except Usage as e:
        print(f"usage error: {e}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as e:
        print(f"cannot read a file: {e}", file=sys.stderr)
        return 2
    except Failed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
