//! The ingest body as JSON that every later reader agrees on: no duplicate keys (which
//! two parsers may resolve differently), no NUL characters (PostgreSQL's text refuses
//! them), and no deeper nesting than reading the stored record back allows. A refusal
//! names the path of the value at fault (`[3].metadata.tags[0]`).

use super::record::FieldError;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Levels of arrays and objects in one request body, the batch's array included. A
/// stored record wraps its values two levels deeper, far inside what reading accepts
/// (serde_json's 128).
pub const MAX_DEPTH: usize = 32;

/// Parses `body`, or names the first value that breaks a rule.
pub fn parse(body: &[u8]) -> Result<Value, FieldError> {
    let fault = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Strict {
        depth: 0,
        at: &Seg::Root,
        fault: &fault,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| {
        fault
            .into_inner()
            .unwrap_or_else(|| FieldError::new("body", format!("not valid JSON: {e}")))
    })
}

/// Where a value sits: the chain of keys and indexes from the body's root.
enum Seg<'a> {
    Root,
    Index(usize, &'a Seg<'a>),
    Key(&'a str, &'a Seg<'a>),
}

impl Seg<'_> {
    fn path(&self) -> String {
        match self {
            Seg::Root => "body".to_owned(),
            Seg::Index(i, Seg::Root) => format!("[{i}]"),
            Seg::Key(k, Seg::Root) if plain(k) => (*k).to_owned(),
            Seg::Key(k, Seg::Root) => quoted(k),
            Seg::Index(i, parent) => format!("{}[{i}]", parent.path()),
            Seg::Key(k, parent) if plain(k) => format!("{}.{k}", parent.path()),
            Seg::Key(k, parent) => format!("{}{}", parent.path(), quoted(k)),
        }
    }
}

/// Whether a key reads unambiguously after a `.` in a path.
fn plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '.' | '[' | ']' | '"'))
}

/// `["key"]`, the key as a JSON string: for an empty key, or one a `.` path would garble.
fn quoted(key: &str) -> String {
    format!("[{}]", serde_json::to_string(key).unwrap_or_default())
}

#[derive(Clone, Copy)]
struct Strict<'a> {
    depth: usize,
    at: &'a Seg<'a>,
    fault: &'a RefCell<Option<FieldError>>,
}

impl Strict<'_> {
    /// Records the innermost fault once (outer levels see the same error pass by).
    fn fault<E: de::Error>(&self, at: &Seg<'_>, message: impl fmt::Display) -> E {
        let mut slot = self.fault.borrow_mut();
        if slot.is_none() {
            *slot = Some(FieldError::new(at.path(), message.to_string()));
        }
        E::custom(message)
    }

    fn nested<E: de::Error>(&self) -> Result<usize, E> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(self.fault(
                self.at,
                format_args!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(depth)
    }
}

fn no_nul<E: de::Error>(s: &Strict<'_>, at: &Seg<'_>, text: &str) -> Result<(), E> {
    if text.contains('\0') {
        return Err(s.fault(at, "contains a NUL character (\\u0000)"));
    }
    Ok(())
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| self.fault(self.at, "not a finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        no_nul(&self, self.at, v)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        no_nul(&self, self.at, &v)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.nested()?;
        let mut items = Vec::new();
        loop {
            let at = Seg::Index(items.len(), self.at);
            let seed = Strict {
                depth,
                at: &at,
                fault: self.fault,
            };
            match seq.next_element_seed(seed) {
                Ok(Some(v)) => items.push(v),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => return Err(self.fault(&at, &e)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.nested()?;
        let mut object = Map::new();
        loop {
            let key = match map.next_key::<String>() {
                Ok(Some(k)) => k,
                Ok(None) => return Ok(Value::Object(object)),
                Err(e) => return Err(self.fault(self.at, &e)),
            };
            let at = Seg::Key(&key, self.at);
            no_nul(&self, &at, &key)?;
            if object.contains_key(&key) {
                return Err(self.fault(&at, "given more than once"));
            }
            let seed = Strict {
                depth,
                at: &at,
                fault: self.fault,
            };
            let value = map
                .next_value_seed(seed)
                .map_err(|e| self.fault::<A::Error>(&at, &e))?;
            object.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> FieldError {
        parse(body.as_bytes()).expect_err(body)
    }

    #[test]
    fn accepts_ordinary_json_as_serde_json_reads_it() {
        let body =
            r#"[{"kind":"job","n":-3,"f":1.5,"u":18446744073709551615,"x":null,"t":[true,{}]}]"#;
        let ours = parse(body.as_bytes()).expect("valid");
        let theirs: Value = serde_json::from_str(body).expect("valid");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn names_the_value_at_fault() {
        for (body, field) in [
            (r#"{"model":"a","model":"b"}"#, "model"),
            (r#"[{"a":1},{"m":{"k":1,"k":2}}]"#, "[1].m.k"),
            (r#"[{},{"action":"a\u0000b"}]"#, "[1].action"),
            (r#"{"meta":{"a\u0000":1}}"#, r#"meta["a\u0000"]"#),
            (r#"{"":1,"":2}"#, r#"[""]"#),
            (r#"{"a":{"x.y":[1,}}}"#, r#"a["x.y"][1]"#),
            (r#"{"account_id":"a",""ccount_id":1}"#, r#"[""]"#),
            (r#"{"cost":1e400}"#, "cost"),
            (r#"[{"t":[1,2,}]"#, "[0].t[2]"),
            (r#"{"a":1} x"#, "body"),
            ("", "body"),
        ] {
            assert_eq!(refusal(body).field, field, "{body}");
        }
    }

    #[test]
    fn refuses_nesting_past_the_limit() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(MAX_DEPTH).as_bytes()).is_ok());
        let e = refusal(&deep(MAX_DEPTH + 1));
        assert!(e.message.contains("nested deeper"), "{e:?}");
        // Far past serde_json's own limit: still a refusal, never a stack overflow.
        assert!(refusal(&deep(100_000)).message.contains("nested deeper"));
    }
}
