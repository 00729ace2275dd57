//! What a page of records asks for: filters, order and the position it starts after.

use crate::model::{Condition, ConsoleQuery, EventKind, Join};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The position after which the next page starts: (occurred_at, seq) of the last row
/// shown. The chain position breaks ties of time: unlike an id, it is unique in a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: i64,
    pub seq: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.occurred_at, self.seq))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (ms, seq) = raw.split_once(':')?;
        Some(Cursor {
            occurred_at: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// How a single record is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordRef {
    /// By chain position: one record of the tenant.
    Seq(i64),
    /// By id, which each account (and the tenant-level records) may use once; in
    /// `account_id` if given (`""`: tenant-level).
    Id {
        id: Uuid,
        account_id: Option<String>,
    },
}

impl RecordRef {
    /// A console reference: a chain position, or an id.
    pub fn parse(text: &str) -> Option<RecordRef> {
        let text = text.trim();
        match text.parse::<i64>() {
            Ok(seq) if seq > 0 => Some(RecordRef::Seq(seq)),
            Ok(_) => None,
            Err(_) => text.parse().ok().map(|id| RecordRef::Id {
                id,
                account_id: None,
            }),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first by occurred-at: what the console shows.
    #[default]
    NewestFirst,
    /// Oldest first by chain position: for SIEM pulls that must miss nothing.
    ChainAscending { after_seq: i64 },
    /// Oldest first after a position: what Live mode polls for.
    NewerThan(Cursor),
}

#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    pub kind: Option<EventKind>,
    pub account_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<Cursor>,
    pub order: Order,
    pub limit: u32,
    /// Conditions that must all hold.
    pub all_of: Vec<Condition>,
    /// Conditions combined by `join` (the console's filter builder).
    pub builder: Vec<Condition>,
    /// `None` is AND.
    pub join: Option<Join>,
    pub search: Option<String>,
    /// Only the newest record of each subject (a job's current state).
    pub latest_per_subject: bool,
}

impl EventQuery {
    /// The console's selection, at `now`, as a store query.
    pub fn from_console(q: &ConsoleQuery, now: DateTime<Utc>) -> EventQuery {
        let (from, until) = q.range.bounds(now);
        EventQuery {
            kind: q.kind,
            account_id: q.account.clone(),
            from,
            until,
            all_of: q.quick.clone(),
            builder: q.builder.clone(),
            join: q.join,
            search: q.search.clone(),
            latest_per_subject: q.kind == Some(EventKind::Job),
            ..EventQuery::default()
        }
    }

    /// The same selection without its search: what a search window is taken from.
    pub(crate) fn without_search(&self) -> EventQuery {
        EventQuery {
            search: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            occurred_at: 1_700_000_000_123,
            seq: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12:notaseq")), None);
    }
}
