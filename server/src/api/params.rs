//! The query parameters of a pull and of an export, read once for both: each refusal
//! names its parameter.

use super::record::FieldError;
use app::model::EventKind;
use app::store::{Cursor, EventQuery, Order};
use chrono::{DateTime, Utc};

/// What the parameters are for: a pull pages, an export takes every page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    Pull,
    Export,
}

/// The parameters of a pull (`kind`, `account_id`, `from`, `until`, `cursor`,
/// `after_seq`, `limit`) or an export (the first four), each named in its error; an
/// unknown or repeated one is refused.
pub(super) fn api_query(
    pairs: Vec<(String, String)>,
    purpose: Use,
) -> Result<EventQuery, FieldError> {
    let paging = ["cursor", "after_seq", "limit"];
    let mut query = EventQuery {
        limit: 100,
        ..EventQuery::default()
    };
    let (mut cursor, mut after_seq, mut seen) = (None, None, Vec::new());
    for (name, value) in pairs {
        if seen.contains(&name) {
            return Err(FieldError::new(name, "given more than once"));
        }
        let known = purpose == Use::Pull || !paging.contains(&name.as_str());
        match if known { name.as_str() } else { "" } {
            "kind" => {
                let kind = value.parse::<EventKind>();
                query.kind = Some(kind.map_err(|e| FieldError::new("kind", e.to_string()))?);
            }
            "account_id" => query.account_id = Some(value),
            "from" => query.from = Some(parse_time("from", &value)?),
            "until" => query.until = Some(parse_time("until", &value)?),
            "cursor" => {
                let c = Cursor::decode(&value);
                cursor =
                    Some(c.ok_or_else(|| {
                        FieldError::new("cursor", "not a cursor this API returned")
                    })?);
            }
            "after_seq" => {
                let n = value.parse::<i64>().ok().filter(|n| *n >= 0);
                after_seq =
                    Some(n.ok_or_else(|| {
                        FieldError::new("after_seq", "a sequence number: 0 or more")
                    })?);
            }
            "limit" => {
                let n = value.parse::<u32>().ok().filter(|n| (1..=1000).contains(n));
                query.limit = n.ok_or_else(|| FieldError::new("limit", "between 1 and 1000"))?;
            }
            _ => {
                let names = match purpose {
                    Use::Pull => "kind, account_id, from, until, cursor, after_seq, limit",
                    Use::Export => "format, kind, account_id, from, until",
                };
                return Err(FieldError::new(
                    name,
                    format!("unknown parameter (use {names})"),
                ));
            }
        }
        seen.push(name);
    }
    if let (Some(from), Some(until)) = (query.from, query.until) {
        if from >= until {
            return Err(FieldError::new("until", "must be after from"));
        }
    }
    match (cursor, after_seq) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "after_seq",
            "use either cursor or after_seq",
        )),
        (cursor, None) => Ok(EventQuery { cursor, ..query }),
        (None, Some(after_seq)) => Ok(EventQuery {
            order: Order::ChainAscending { after_seq },
            ..query
        }),
    }
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                field,
                "expected an RFC 3339 time such as 2026-11-23T10:00:00Z",
            )
        })
}

/// Query parameters, each known and given once.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn read(pairs: Vec<(String, String)>, known: &[&str]) -> Result<Params, FieldError> {
        let mut seen: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            if !known.contains(&name.as_str()) {
                return Err(FieldError::new(
                    name,
                    format!("unknown parameter (use {})", known.join(", ")),
                ));
            }
            if seen.iter().any(|(n, _)| *n == name) {
                return Err(FieldError::new(name, "given more than once"));
            }
            seen.push((name, value));
        }
        Ok(Params(seen))
    }

    pub(super) fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn each_refusal_names_its_parameter() {
        for (q, field) in [
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "x")], "limit"),
            (vec![("after_seq", "-1")], "after_seq"),
            (vec![("kind", "nope")], "kind"),
            (vec![("from", "garbage")], "from"),
            (vec![("bogus", "1")], "bogus"),
            (vec![("limit", "5"), ("limit", "6")], "limit"),
            (
                vec![
                    ("from", "2026-11-02T00:00:00Z"),
                    ("until", "2026-11-01T00:00:00Z"),
                ],
                "until",
            ),
        ] {
            let e = api_query(pairs(&q), Use::Pull).expect_err("refused");
            assert_eq!(e.field, field, "{q:?}");
        }
        let ok =
            api_query(pairs(&[("after_seq", "0"), ("limit", "1000")]), Use::Pull).expect("valid");
        assert_eq!(ok.order, Order::ChainAscending { after_seq: 0 });
        assert_eq!(ok.limit, 1000);
        let e = api_query(pairs(&[("limit", "5")]), Use::Export).expect_err("no paging");
        assert_eq!(e.field, "limit");
        let ok = api_query(
            pairs(&[("from", "2026-10-01T00:00:00Z"), ("account_id", "a1")]),
            Use::Export,
        )
        .expect("valid");
        assert!(ok.from.is_some() && ok.account_id.as_deref() == Some("a1"));
    }
}
