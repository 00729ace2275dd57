"""Tests of scripts/verify_bundle.py against bundles made here, from the README's format
(the Rust exporter is not needed): python3 -m unittest scripts/test_verify_bundle.py"""

import base64
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_bundle  # noqa: E402


def H(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def b64(raw):
    return base64.b64encode(raw).decode()


def split(n):  # RFC 6962: the largest power of two < n
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves):  # RFC 6962 MTH
    if len(leaves) <= 1:
        return leaves[0] if leaves else H()
    k = split(len(leaves))
    return H(b"\x01", mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):  # RFC 6962 PATH(m, D[n]): the inclusion proof, leaf's sibling first
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def range_proof(first, last, leaves):  # the README's recursion, emitting what it takes
    out = []

    def walk(lo, hi):
        if hi <= first - 1 or lo >= last:
            out.append(mth(leaves[lo:hi]))
        elif hi - lo > 1:
            walk(lo, lo + split(hi - lo))
            walk(lo + split(hi - lo), hi)

    walk(0, len(leaves))
    return out


class Signer:
    def __init__(self, name="vigil"):
        self.name, self.sk = name, Ed25519PrivateKey.generate()
        pub = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.id = H(name.encode(), b"\n\x01", pub)[:4]
        self.vkey = "%s+%s+%s" % (name, self.id.hex(), b64(b"\x01" + pub))

    def line(self, text):
        return "\u2014 %s %s\n" % (self.name, b64(self.id + self.sk.sign(text.encode())))


A, B = Signer(), Signer()


def record(seq, actor="ann", tenant="t1"):  # canonical: compact, UTF-8, U+2028 kept raw
    return json.dumps({"id": f"019ab0-{seq}", "tenant_id": tenant, "account_id": None,
                       "seq": seq, "kind": "auth.login", "actor": actor,
                       "body": '{"detail":"line\u2028break"}'},
                      separators=(",", ":"), ensure_ascii=False).encode()


def dumps(value):  # a lone surrogate is written as its JSON escape, \udXXX
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")


class Bundle:
    """A tenant of n records and a bundle of it, as fields the cases can tamper with."""

    def __init__(self, mode, n=10, first=3, last=7, picks=(2, 5, 9), actor="ann", signer=A):
        recs = [record(s, actor) for s in range(1, n + 1)]
        leaves = [H(b"\x00", r) for r in recs]
        text = f"vigil/t1\n{n}\n{b64(mth(leaves))}\n"
        self.header = {"vigil_bundle": 1, "mode": mode, "tenant_id": "t1", "origin": "vigil/t1",
                       "tree_size": n, "checkpoint": text + "\n" + signer.line(text),
                       "key_fingerprint": hashlib.sha256(A.vkey.encode()).hexdigest(),
                       "selection": {"kind": "auth.login"}, "created_at": "2025-01-02T03:04:05Z"}
        if mode == "range":
            proof = [h.hex() for h in range_proof(first, last, leaves)]
            self.header.update(first=first, last=last, range_proof=proof)
            self.body = recs[first - 1 : last]
        else:
            self.body = [x for s in picks for x in (recs[s - 1], dumps([h.hex() for h in path(s - 1, leaves)]))]
        self.count = last - first + 1 if mode == "range" else len(picks)
        self.end, self.tail = None, b""

    def bytes(self):
        end = dumps({"end": {"records": self.count}}) if self.end is None else self.end
        lines = [dumps(self.header), *self.body] + ([end] if end else [])
        return b"".join(line + b"\n" for line in lines) + self.tail


def run(data, key=A.vkey):
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as f:
        f.write(data)
        f.flush()
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = verify_bundle.main([f.name, "--key", key])
    return code, out.getvalue() + err.getvalue()


def resign(b, signer):
    text = b.header["checkpoint"].split("\n\n")[0] + "\n"
    b.header["checkpoint"] = text + "\n" + signer.line(text)


def setitem(obj, key, value):
    obj[key] = value


def swap(body, i, j):
    body[i], body[j] = body[j], body[i]


BIG = b'{"id":"x","tenant_id":"t1","seq":' + b"9" * 5000 + b"}"
# (mode, what is done to the bundle, exit code, what the message must say)
CASES = [
    ("range", lambda b: None, 0, "complete: every record of the range 3..7"),
    ("range", lambda b: setitem(b.body, 1, b.body[1].replace(b"ann", b"eve")), 1,
     "range 3..7: the records and range proof do not lead to the checkpoint's root"),
    ("range", lambda b: (b.body.pop(2), setattr(b, "count", 4)), 1, "range 3..7: seq 5 is missing"),
    ("range", lambda b: b.body.pop(), 1, "range 3..7: seq 7 is missing (the records end before it)"),
    ("range", lambda b: b.body.insert(2, b.body[1]), 1,
     "records are not in increasing seq order at line 4: seq 4 after seq 4 (duplicate)"),
    ("range", lambda b: swap(b.body, 1, 2), 1, "range 3..7: seq 4 is missing"),
    ("range", lambda b: b.body.append(record(8)), 1, "record 6 (seq 8): outside the range 3..7"),
    ("range", lambda b: b.body.insert(0, record(2)), 1, "record 1 (seq 2): outside the range 3..7"),
    ("range", lambda b: b.header["range_proof"].pop(), 1, "range proof: too few hashes"),
    ("range", lambda b: b.header["range_proof"].append("00" * 32), 1, "range proof: 1 hash unused"),
    ("range", lambda b: setitem(b.header, "range_proof", Bundle("range", actor="bob").header["range_proof"]),
     1, "do not lead to the checkpoint's root"),
    ("range", lambda b: setitem(b.header["range_proof"], 0, "AB" * 32), 1, "hash 1 is not 64 lowercase hex"),
    ("range", lambda b: setitem(b.header, "last", 11), 1, "not 1 <= first <= last <= 10"),
    ("range", lambda b: resign(b, B), 1, "checkpoint: no signature by key vigil (id %s)" % A.id.hex()),
    ("range", lambda b: setitem(b.header, "checkpoint", b.header["checkpoint"] + B.line("x\n")), 0, "complete"),
    ("range", lambda b: setitem(b.header, "checkpoint", b.header["checkpoint"].replace("\n1", "\n2", 1)), 1,
     "checkpoint: the signature by key vigil (id %s) does not verify" % A.id.hex()),
    ("range", lambda b: setitem(b.header, "checkpoint", "\ud800" + b.header["checkpoint"]), 1, "lone surrogate"),
    ("range", lambda b: setitem(b.header, "tree_size", 11), 1, "checkpoint size 10 != header tree_size 11"),
    ("range", lambda b: setitem(b.header, "origin", "vigil/t2"), 1, "checkpoint origin 'vigil/t1' != header"),
    ("range", lambda b: setitem(b.header, "tenant_id", "t2"), 1, "is not vigil/<header tenant_id 't2'>"),
    ("range", lambda b: setitem(b.header, "vigil_bundle", True), 1, 'line 1 is not the header of a version 1 bundle'),
    ("range", lambda b: b.header.pop("tree_size"), 1, 'header: no "tree_size"'),
    ("range", lambda b: setitem(b.header, "tree_size", 1e400), 1, "line 1 is not JSON: Infinity"),
    ("range", lambda b: setattr(b, "end", b""), 1, "bundle ends without its end line (cut short)"),
    ("range", lambda b: setattr(b, "end", b'{"end":{"records":4}}'), 1, "the end line counts 4 records"),
    ("range", lambda b: setattr(b, "end", b'{"end":{"records":5},"x":1}'), 1, "the end line is not"),
    ("range", lambda b: setattr(b, "tail", b"\n"), 1, "something follows the end line"),
    ("range", lambda b: setattr(b, "tail", b"x"), 1, "something follows the end line"),
    ("range", lambda b: b.body.insert(2, b"garbage"), 1, "line 4 is not JSON"),
    ("range", lambda b: setitem(b.body, 0, b.body[0] + b"\r"), 1, "line 2 ends in CR LF"),
    ("range", lambda b: b.body.insert(2, b""), 1, "line 4 is not JSON"),
    ("range", lambda b: b.body.insert(2, b"\xff\xfe{}"), 1, "line 4 is not UTF-8 (byte 1)"),
    ("range", lambda b: b.body.insert(2, b"[" * 100000), 1, "line 4 is not JSON"),
    ("range", lambda b: b.body.insert(2, BIG), 1, "line 4 is not JSON: Exceeds the limit"),
    ("range", lambda b: b.body.insert(2, b'{"seq":5,"seq":6}'), 1, "line 4 is not JSON: a key appears twice"),
    ("range", lambda b: b.body.insert(2, b'{"seq":99999999999999999999}'), 1, "the record has no seq"),
    ("range", lambda b: b.body.insert(2, b'{"seq":5.0}'), 1, "the record has no seq"),
    ("range", lambda b: b.body.insert(2, b"[]"), 1, "neither a record"),
    ("range", lambda b: setitem(b.body, 0, b.body[0].replace(b'"t1"', b'"t2"')), 1,
     "record 1 (seq 3): tenant_id 't2' is not the header's 't1'"),
    ("records", lambda b: None, 0, "completeness not claimed: a filtered selection"),
    ("records", lambda b: setitem(b.body, 2, b.body[2].replace(b"ann", b"eve")), 1,
     "record 2 (seq 5): inclusion proof does not lead to the checkpoint's root"),
    ("records", lambda b: (b.body.pop(2), b.body.pop(2), setattr(b, "count", 2)), 0, "records: 2, seq 2..9"),
    ("records", lambda b: b.body.pop(3), 1, "record 2 (seq 5): proof is not an array of hashes"),
    ("records", lambda b: b.body.pop(), 1, "record 3 (seq 9): no inclusion proof line after it"),
    ("records", lambda b: b.body.insert(2, b.body[0]), 1, "line 4: seq 2 after seq 2 (duplicate)"),
    ("records", lambda b: setitem(b.body, slice(2, 2), b.body[0:2]), 1, "line 4: seq 2 after seq 2 (duplicate)"),
    ("records", lambda b: (swap(b.body, 0, 2), swap(b.body, 1, 3)), 1,
     "records are not in increasing seq order at line 4: seq 2 after seq 5"),
    ("records", lambda b: setitem(b.body, 3, dumps(json.loads(b.body[3])[:-1])), 1,
     "record 2 (seq 5): inclusion proof has 3 hashes, too few"),
    ("records", lambda b: setitem(b.body, 3, dumps(json.loads(b.body[3]) + ["00" * 32])), 1,
     "record 2 (seq 5): inclusion proof has 5 hashes, too many"),
    ("records", lambda b: setitem(b.body, 3, Bundle("records", actor="bob").body[3]), 1,
     "record 2 (seq 5): inclusion proof does not lead to the checkpoint's root"),
    ("records", lambda b: setitem(b.body, 3, Bundle("records", n=11).body[3]), 1,
     "record 2 (seq 5): inclusion proof does not lead to the checkpoint's root"),
    ("records", lambda b: b.body.extend([record(11), b"[]"]), 1, "record 4 (seq 11): past the checkpoint's tree size 10"),
    ("records", lambda b: setattr(b, "end", b""), 1, "bundle ends without its end line (cut short)"),
    ("records", lambda b: (b.body.clear(), setattr(b, "count", 0)), 0, "records: 0\n"),
]


class VerifyBundle(unittest.TestCase):
    def test_cases(self):
        for n, (mode, tamper, code, says) in enumerate(CASES):
            with self.subTest(case=n, mode=mode, says=says):
                b = Bundle(mode)
                tamper(b)
                got, text = run(b.bytes())
                self.assertEqual((got, says in text), (code, True), text)

    def test_another_key_and_bad_keys(self):
        self.assertIn("key fingerprint", run(Bundle("range").bytes(), B.vkey)[1])
        bad_id = A.vkey[:6] + ("0" if A.vkey[6] != "0" else "1") + A.vkey[7:]
        for key in ("vigil", "\udcff", bad_id, A.vkey + "A", "vigil+" + A.id.hex().upper() + A.vkey[14:]):
            self.assertEqual(run(Bundle("range").bytes(), key)[0], 2, key)

    def test_every_cut_fails_and_every_byte_flip_but_in_unsigned_fields(self):
        for data in (Bundle("records", n=5, picks=(1, 4)).bytes(), Bundle("range", n=5, first=2, last=3).bytes()):
            # selection and created_at are for the reader: nothing signs or proves them
            unsigned = range(data.index(b'"selection"'), data.index(b'Z"') + 2)
            for i in range(len(data)):
                self.assertEqual(run(data[:i])[0], 1, i)
                for flip in (0x01, 0x80):
                    code = run(data[:i] + bytes([data[i] ^ flip]) + data[i + 1 :])[0]
                    self.assertTrue(code == 1 or code == 0 and i in unsigned, (i, flip, code))

    def test_go_sumdb_note_known_answers(self):  # golang.org/x/mod/sumdb/note's doc example
        peter, enoch = ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                        "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop")
        text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        sigs = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
                "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n")
        for key in (peter, enoch):  # both signatures verify; the text is just no checkpoint
            with self.assertRaisesRegex(verify_bundle.Failed, "not origin, decimal tree size"):
                verify_bundle.open_checkpoint(text + "\n" + sigs, verify_bundle.Key(key))
        with self.assertRaisesRegex(verify_bundle.Failed, "no signature by key EnochRoot"):
            verify_bundle.open_checkpoint(text + "\n" + sigs.split("\n")[0] + "\n", verify_bundle.Key(enoch))

    def test_command_line(self):
        data, script = Bundle("range", n=1, first=1, last=1).bytes(), os.path.join(HERE, "verify_bundle.py")
        with tempfile.NamedTemporaryFile("w", suffix=".pub") as key:
            key.write(A.vkey + "\n")
            key.flush()
            for args, code in (([key.name], 0), ([A.vkey], 0), ([B.vkey], 1), (["nope"], 2)):
                p = subprocess.run([sys.executable, script, "-", "--key", *args], input=data, capture_output=True)
                self.assertEqual(p.returncode, code, p.stderr)
                self.assertNotIn(b"Traceback", p.stderr)
        p = subprocess.run([sys.executable, script, "/nonexistent"], capture_output=True)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
