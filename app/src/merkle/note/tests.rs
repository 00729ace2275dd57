use super::*;
use crate::merkle::{leaf_hash, Hash};

/// Known answers from Go's golang.org/x/mod/sumdb/note (note.go's package doc and
/// note_test.go): Ed25519 is deterministic, so our signature must be theirs.
mod go_sumdb_note {
    use super::*;

    pub const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    pub const PETER_VKEY: &str =
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    pub const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    pub const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                            then you don't know what your problem is.\n";
    pub const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    pub const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    #[test]
    fn signs_exactly_as_go_does() {
        let signer = NoteSigner::parse(PETER_SKEY).expect("key file");
        assert_eq!(signer.verifier_key().to_string(), PETER_VKEY);
        assert_eq!(signer.verifier_key().key_id(), 0xc74f20a3);
        let sig = signer.sign(TEXT).expect("sign");
        assert_eq!(sig.to_string(), PETER_SIG);
        let mut note = SignedNote::new(TEXT.to_owned()).expect("text");
        note.add(sig);
        assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));
        assert_eq!(signer.to_key_file(), PETER_SKEY);
    }

    #[test]
    fn opens_a_note_signed_by_two_keys() {
        let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let note = SignedNote::parse(msg.as_bytes()).expect("parse");
        assert_eq!(note.text(), TEXT);
        assert_eq!(note.signatures().len(), 2);
        assert_eq!(note.to_string(), msg);
        for vkey in [PETER_VKEY, ENOCH_VKEY] {
            let key = VerifierKey::parse(vkey).expect("vkey");
            assert_eq!(
                note.verify(&key),
                Ok(Verified { timestamp: None }),
                "{vkey}"
            );
        }
        // A key that did not sign is not satisfied by the others.
        let stranger = NoteSigner::from_seed("PeterNeumann", [9; 32]).expect("key");
        assert!(matches!(
            note.verify(stranger.verifier_key()),
            Err(NoteError::NotSigned { .. })
        ));
    }

    /// note_test.go TestNewVerifier / TestNewSigner: every substring and every
    /// byte+1 of a good key is refused.
    #[test]
    fn mangled_keys_are_refused() {
        for good in [PETER_VKEY, PETER_SKEY] {
            let b = good.as_bytes();
            let parse = |s: &[u8]| {
                let s = std::str::from_utf8(s).expect("ascii");
                if good == PETER_VKEY {
                    VerifierKey::parse(s).is_ok()
                } else {
                    NoteSigner::parse(s).is_ok()
                }
            };
            assert!(parse(b));
            for i in 0..=b.len() {
                for j in i + 1..=b.len() {
                    if (i, j) != (0, b.len()) {
                        assert!(!parse(&b[i..j]), "{:?}", &good[i..j]);
                    }
                }
            }
            for i in 0..b.len() {
                let mut m = b.to_vec();
                m[i] += 1;
                assert!(!parse(&m), "{:?}", String::from_utf8_lossy(&m));
            }
        }
        // Wrong length and unknown type, each with its key id recomputed (Go's cases).
        for bad in [
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            assert!(matches!(VerifierKey::parse(bad), Err(NoteError::Key(_))));
        }
    }

    /// note_test.go TestOpen's malformed messages.
    #[test]
    fn malformed_notes_are_refused() {
        let bad_name = "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
        let cases = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            format!("\x01{TEXT}\n{PETER_SIG}"),
            format!("{TEXT}\n{bad_name}"),
            format!("{TEXT}\n{bad_name}\n"),
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            format!("{TEXT}\n{PETER_SIG}\n"),
            format!("{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann AAAAAA==\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann not*base64\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann \n"),
            format!("{TEXT}\n\u{2014}  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
            format!("{TEXT}\t\n{PETER_SIG}"),
        ];
        for msg in cases {
            assert!(
                matches!(
                    SignedNote::parse(msg.as_bytes()),
                    Err(NoteError::Malformed(_))
                ),
                "{msg:?}"
            );
        }
        let mut invalid_utf8 = b"\xff".to_vec();
        invalid_utf8.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
        assert!(SignedNote::parse(&invalid_utf8).is_err());
    }

    #[test]
    fn signature_lines_are_bounded() {
        let at_limit = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES));
        assert!(SignedNote::parse(at_limit.as_bytes()).is_ok());
        let over = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
        assert_eq!(
            SignedNote::parse(over.as_bytes()),
            Err(NoteError::TooManySignatures)
        );
    }

    /// note_test.go: "ABCD" spliced into Peter's signature; Peter's key must reject
    /// the note rather than skip the line.
    #[test]
    fn a_bad_line_by_a_known_key_fails_the_note() {
        let spliced = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        let msg = format!("{TEXT}\n{PETER_SIG}{spliced}");
        let note = SignedNote::parse(msg.as_bytes()).expect("well-formed");
        let peter = VerifierKey::parse(PETER_VKEY).expect("vkey");
        assert!(matches!(
            note.verify(&peter),
            Err(NoteError::BadSignature { .. })
        ));
    }
}

fn checkpoint(size: u64) -> Checkpoint {
    Checkpoint::new("vigil.example/t/acme", size, leaf_hash(&size.to_be_bytes())).expect("cp")
}

#[test]
fn a_signed_checkpoint_round_trips_and_resists_tampering() {
    let log = NoteSigner::generate("vigil.example/t/acme").expect("key");
    let body = checkpoint(42).body();
    let mut note = SignedNote::new(body.clone()).expect("text");
    note.add(log.sign(&body).expect("sign"));
    let served = note.to_string();
    let opened = SignedNote::parse(served.as_bytes()).expect("parse");
    let key = VerifierKey::parse(&log.verifier_key().to_string()).expect("vkey");
    assert_eq!(opened.verify(&key), Ok(Verified { timestamp: None }));
    assert_eq!(Checkpoint::parse(opened.text()), Ok(checkpoint(42)));

    // A changed body: size, root, or an added extension line.
    for (from, to) in [("\n42\n", "\n43\n"), ("acme\n", "acme2\n")] {
        let forged = served.replacen(from, to, 1);
        let forged = SignedNote::parse(forged.as_bytes()).expect("parse");
        assert!(matches!(
            forged.verify(&key),
            Err(NoteError::BadSignature { .. })
        ));
    }
    let extended = served.replacen("=\n\n", "=\nextra\n\n", 1);
    let extended = SignedNote::parse(extended.as_bytes()).expect("parse");
    assert!(matches!(
        extended.verify(&key),
        Err(NoteError::BadSignature { .. })
    ));

    // Another key under the same name: its line is ignored, ours is still needed.
    let other = NoteSigner::generate("vigil.example/t/acme").expect("key");
    let mut by_other = SignedNote::new(body.clone()).expect("text");
    by_other.add(other.sign(&body).expect("sign"));
    assert!(matches!(
        by_other.verify(&key),
        Err(NoteError::NotSigned { .. })
    ));
    by_other.add(log.sign(&body).expect("sign"));
    assert_eq!(by_other.verify(&key), Ok(Verified { timestamp: None }));

    // Another key's signature under our name and key id.
    let mut stolen = other.sign(&body).expect("sign");
    stolen.key_id = key.key_id();
    let mut forged = SignedNote::new(body).expect("text");
    forged.add(stolen);
    assert!(matches!(
        forged.verify(&key),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn witnesses_cosign_with_a_timestamp() {
    let witness = Cosigner::generate("witness.example/w1").expect("key");
    let body = checkpoint(7).body();
    let sig = witness.cosign(&body, 1_679_315_147).expect("cosign");
    assert_eq!(sig.cosignature_time(), Some(1_679_315_147));
    assert_eq!(sig.bytes().len(), 72);
    let mut note = SignedNote::new(body.clone()).expect("text");
    note.add(sig.clone());
    let key = witness.verifier_key();
    assert_eq!(
        note.verify(key),
        Ok(Verified {
            timestamp: Some(1_679_315_147)
        })
    );

    // The signed message is exactly the spec's.
    let message = format!("cosignature/v1\ntime 1679315147\n{body}");
    let raw: [u8; 64] = sig.bytes()[8..].try_into().expect("64 bytes");
    assert!(key
        .key()
        .verify_strict(message.as_bytes(), &Signature::from_bytes(&raw))
        .is_ok());

    // A moved time is a bad signature.
    let mut moved = sig.clone();
    moved.bytes[7] ^= 1;
    let mut forged = SignedNote::new(body.clone()).expect("text");
    forged.add(moved);
    assert!(matches!(
        forged.verify(key),
        Err(NoteError::BadSignature { .. })
    ));

    // The same key as a plain Ed25519 verifier has another key id: not a signer here.
    let plain = VerifierKey::new(key.name(), KeyKind::Ed25519, key.key().to_bytes()).expect("key");
    assert_ne!(plain.key_id(), key.key_id());
    assert!(matches!(
        note.verify(&plain),
        Err(NoteError::NotSigned { .. })
    ));

    assert_eq!(
        witness.cosign(&body, 1 << 63),
        Err(NoteError::Timestamp(1 << 63))
    );
    assert!(witness.cosign("not a checkpoint\n", 1).is_err());
}

/// Key ids with type 0x04 and cosignature times: transparency-dev/formats
/// note/note_cosigv1_test.go (remora.n621.de's key, the "works" timestamp) and the
/// example cosignature in c2sp.org/tlog-cosignature (signed at "time 1679315147").
#[test]
fn cosignature_known_answers() {
    let remora =
        VerifierKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .expect("0x04 vkey");
    assert_eq!(
        (remora.kind(), remora.key_id()),
        (KeyKind::Cosignature, 0xda77ade7)
    );
    assert_eq!(
        remora.to_string(),
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    );
    let test = VerifierKey::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
        .expect("0x01 vkey");
    assert_eq!(test.kind(), KeyKind::Ed25519);

    let c2sp = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
    let sig = NoteSignature::parse(c2sp).expect("line");
    assert_eq!(sig.cosignature_time(), Some(1_679_315_147));
    let td = "\u{2014} x ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==";
    assert_eq!(
        NoteSignature::parse(td).expect("line").cosignature_time(),
        Some(1_727_964_367)
    );
    let plain = "\u{2014} x eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=";
    assert_eq!(
        NoteSignature::parse(plain)
            .expect("line")
            .cosignature_time(),
        None
    );
}

/// The example checkpoint of c2sp.org/tlog-checkpoint.
#[test]
fn checkpoints_parse_strictly() {
    let text =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp = Checkpoint::parse(text).expect("spec example");
    assert_eq!(
        (cp.origin(), cp.size()),
        ("example.com/behind-the-sofa", 20_852_163)
    );
    assert_eq!(cp.body(), text);
    let with_ext = format!("{text}ext one\next two\n");
    let cp = Checkpoint::parse(&with_ext).expect("extensions");
    assert_eq!(cp.extensions(), ["ext one", "ext two"]);
    assert_eq!(cp.body(), with_ext);
    // Origins of others need only be non-empty; ours must be key-name safe.
    assert!(
        Checkpoint::parse("Moon Log\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").is_ok()
    );
    let root: Hash = [0; 32];
    for origin in ["", "a b", "a+b", "a\nb"] {
        assert!(Checkpoint::new(origin, 1, root).is_err(), "{origin:?}");
    }
    assert!(checkpoint(1).with_extensions(vec![String::new()]).is_err());
    assert!(checkpoint(1).with_extensions(vec!["a\nb".into()]).is_err());

    let r = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    for bad in [
        format!("o\n1\n{r}"),
        format!("\n1\n{r}\n"),
        "o\n1\n".to_owned(),
        format!("o\n{r}\n"),
        format!("o\n+1\n{r}\n"),
        format!("o\n01\n{r}\n"),
        format!("o\n-1\n{r}\n"),
        format!("o\n\n{r}\n"),
        format!("o\n 1\n{r}\n"),
        format!("o\n18446744073709551616\n{r}\n"),
        "o\n1\nYmFuYW5hcw==\n".to_owned(),
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".to_owned(),
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_owned(),
        format!("o\n1\n{r}\n\n"),
        format!("o\n1\n{r}\next\n\n"),
        format!("o\t\n1\n{r}\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        Checkpoint::parse(&format!("o\n18446744073709551615\n{r}\n")).map(|c| c.size()),
        Ok(u64::MAX)
    );
}

#[test]
fn key_files_round_trip_and_keep_their_kind() {
    let log = NoteSigner::generate("vigil.example").expect("key");
    let file = log.to_key_file();
    assert!(file.starts_with("PRIVATE+KEY+vigil.example+"));
    let again = NoteSigner::parse(&format!("{file}\n")).expect("key file");
    assert_eq!(again.verifier_key(), log.verifier_key());
    // Ed25519 is deterministic: the same key signs the same line.
    let body = checkpoint(3).body();
    assert_eq!(again.sign(&body), log.sign(&body));

    let witness = Cosigner::generate("witness.example").expect("key");
    let wfile = witness.to_key_file();
    let wagain = Cosigner::parse(&wfile).expect("key file");
    assert_eq!(wagain.verifier_key(), witness.verifier_key());
    assert_eq!(wagain.cosign(&body, 5), witness.cosign(&body, 5));

    assert_eq!(
        NoteSigner::parse(&wfile).map(|_| ()),
        Err(NoteError::KeyKind {
            want: KeyKind::Ed25519,
            got: KeyKind::Cosignature
        })
    );
    assert!(Cosigner::parse(&file).is_err());
    assert!(NoteSigner::parse(&file.replacen("PRIVATE+KEY", "PUBLIC+KEY", 1)).is_err());
    // A key id that is not the key's.
    let id = format!("{:08x}", log.verifier_key().key_id());
    let wrong = format!("{:08x}", log.verifier_key().key_id() ^ 1);
    assert_eq!(
        NoteSigner::parse(&file.replacen(&id, &wrong, 1)).map(|_| ()),
        Err(NoteError::KeyHash)
    );
    // Debug shows the public half only.
    let shown = format!("{log:?} {witness:?}");
    // `PRIVATE+KEY+<name>+<id>+<base64>`: the base64 may hold `+` itself.
    let seed_b64 = file.splitn(5, '+').last().expect("b64");
    assert!(
        !shown.contains(seed_b64) && shown.contains("vigil.example+"),
        "{shown}"
    );
}

#[test]
fn key_names_are_checked() {
    for name in ["", "a b", "a+b", "a\nb", "a\u{2003}b", "a\u{7f}b"] {
        assert!(NoteSigner::from_seed(name, [1; 32]).is_err(), "{name:?}");
        assert!(Cosigner::from_seed(name, [1; 32]).is_err(), "{name:?}");
    }
    assert!(NoteSigner::from_seed("vigil.example/t/0190-abc", [1; 32]).is_ok());
    // Not an Ed25519 point (y = 2 does not decompress).
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert!(VerifierKey::new("x", KeyKind::Ed25519, not_a_point).is_err());
}

#[test]
fn notes_need_a_final_newline_and_no_controls() {
    assert!(SignedNote::new("no newline".into()).is_err());
    assert!(SignedNote::new("tab\there\n".into()).is_err());
    let log = NoteSigner::from_seed("k", [2; 32]).expect("key");
    assert!(log.sign("no newline").is_err());
    // Blank lines inside the text are the text's own: the last one splits.
    let text = "a\n\nb\n";
    let mut note = SignedNote::new(text.into()).expect("text");
    note.add(log.sign(text).expect("sign"));
    let parsed = SignedNote::parse(note.to_string().as_bytes()).expect("parse");
    assert_eq!(parsed.text(), text);
    assert!(parsed.verify(log.verifier_key()).is_ok());
}
