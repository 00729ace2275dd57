//! What the console asks for: a kind, a time range, filters, a search, a page.
//! It lives in the URL query string, so a link reproduces the view.

use super::enums::wire_enum;
use super::EventKind;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

wire_enum!(
    /// The time range presets, all in UTC.
    TimePreset {
        AllTime => "all_time",
        LastHour => "last_hour",
        Today => "today",
        Yesterday => "yesterday",
        ThisWeek => "this_week",
        ThisMonth => "this_month",
        LastMonth => "last_month",
        Last7Days => "last_7_days",
        Last30Days => "last_30_days",
        Last90Days => "last_90_days",
        ThisYear => "this_year",
        LastYear => "last_year",
        Custom => "custom",
    }
);

impl TimePreset {
    pub const fn label(self) -> &'static str {
        match self {
            TimePreset::AllTime => "All Time",
            TimePreset::LastHour => "Last Hour",
            TimePreset::Today => "Today",
            TimePreset::Yesterday => "Yesterday",
            TimePreset::ThisWeek => "This Week",
            TimePreset::ThisMonth => "This Month",
            TimePreset::LastMonth => "Last Month",
            TimePreset::Last7Days => "Last 7 Days",
            TimePreset::Last30Days => "Last 30 Days",
            TimePreset::Last90Days => "Last 90 Days",
            TimePreset::ThisYear => "This Year",
            TimePreset::LastYear => "Last Year",
            TimePreset::Custom => "Custom range",
        }
    }
}

/// A preset, or a custom range of whole UTC days (`to` inclusive, default today).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub preset: TimePreset,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange {
            preset: TimePreset::Last30Days,
            from: None,
            to: None,
        }
    }
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn month_start(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

impl TimeRange {
    /// `[from, until)` in UTC; `None` is unbounded.
    pub fn bounds(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let today = now.date_naive();
        let start_of_today = day_start(today);
        let days = |n: i64| Some(now - Duration::days(n));
        match self.preset {
            TimePreset::AllTime => (None, None),
            TimePreset::LastHour => (Some(now - Duration::hours(1)), None),
            TimePreset::Today => (Some(start_of_today), None),
            TimePreset::Yesterday => (
                Some(start_of_today - Duration::days(1)),
                Some(start_of_today),
            ),
            TimePreset::ThisWeek => {
                let monday =
                    today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (Some(day_start(monday)), None)
            }
            TimePreset::ThisMonth => (
                Some(day_start(month_start(today.year(), today.month()))),
                None,
            ),
            TimePreset::LastMonth => {
                let this = month_start(today.year(), today.month());
                let last = if today.month() == 1 {
                    month_start(today.year() - 1, 12)
                } else {
                    month_start(today.year(), today.month() - 1)
                };
                (Some(day_start(last)), Some(day_start(this)))
            }
            TimePreset::Last7Days => (days(7), None),
            TimePreset::Last30Days => (days(30), None),
            TimePreset::Last90Days => (days(90), None),
            TimePreset::ThisYear => (Some(day_start(month_start(today.year(), 1))), None),
            TimePreset::LastYear => (
                Some(day_start(month_start(today.year() - 1, 1))),
                Some(day_start(month_start(today.year(), 1))),
            ),
            TimePreset::Custom => {
                let to = self.to.unwrap_or(today);
                (
                    self.from.map(day_start),
                    Some(day_start(to) + Duration::days(1)),
                )
            }
        }
    }

    /// The range in words, as the console shows it.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        let fmt = |t: DateTime<Utc>| super::when::short_date(&t);
        match (self.preset, self.bounds(now)) {
            (TimePreset::AllTime, _) => "All Time".into(),
            (TimePreset::LastHour, _) => "Last Hour".into(),
            (TimePreset::Custom, (from, _)) => format!(
                "{} – {} (UTC)",
                from.map_or("the beginning".into(), fmt),
                fmt(day_start(self.to.unwrap_or(now.date_naive())))
            ),
            (p, (Some(from), until)) => {
                let last = until.map_or(now, |u| u - Duration::seconds(1));
                if from.date_naive() == last.date_naive() {
                    format!("{}: {} (UTC)", p.label(), fmt(from))
                } else {
                    format!("{}: {} – {} (UTC)", p.label(), fmt(from), fmt(last))
                }
            }
            (p, _) => p.label().into(),
        }
    }
}

wire_enum!(
    /// What the filters can look at.
    Column {
        Status => "status",
        Source => "source",
        Severity => "severity",
        Agent => "agent",
        User => "user",
        Model => "model",
        Provider => "provider",
        Action => "action",
        ResourceType => "resource_type",
        Dlp => "dlp",
        Account => "account",
    }
);

impl Column {
    pub const fn label(self) -> &'static str {
        match self {
            Column::Status => "Status",
            Column::Source => "Source",
            Column::Severity => "Severity",
            Column::Agent => "Agent",
            Column::User => "User",
            Column::Model => "Model",
            Column::Provider => "Provider",
            Column::Action => "Action",
            Column::ResourceType => "Resource type",
            Column::Dlp => "DLP result",
            Column::Account => "Account",
        }
    }
}

wire_enum!(
    Op {
        Eq => "eq",
        Ne => "ne",
    }
);

wire_enum!(
    /// How the builder's rows combine: all with AND, or all with OR (never mixed).
    Join {
        And => "and",
        Or => "or",
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub column: Column,
    pub op: Op,
    pub value: String,
}

impl Condition {
    /// `agent.ne.support-triage` (the value may contain dots).
    pub fn parse(text: &str) -> Option<Condition> {
        let mut parts = text.splitn(3, '.');
        let column = parts.next()?.parse().ok()?;
        let op = parts.next()?.parse().ok()?;
        let value = parts.next()?.to_owned();
        (!value.is_empty()).then_some(Condition { column, op, value })
    }

    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.column, self.op, self.value)
    }
}

/// Everything that selects the rows of a console tab (and of its export).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleQuery {
    pub kind: Option<EventKind>,
    pub range: TimeRange,
    /// Narrows a tenant admin's view to one account.
    pub account: Option<String>,
    /// The tab's quick filters: each must hold (AND).
    pub quick: Vec<Condition>,
    /// The filter builder's rows, combined by `join`.
    pub builder: Vec<Condition>,
    pub join: Option<Join>,
    /// Free text: ids, models, event types, actors, descriptions.
    pub search: Option<String>,
}

/// The fewest characters a search may have outside Jobs. Shorter terms can use neither
/// backend's trigram index, so finding one that few records hold meant checking every
/// record in the range: seconds at 10M records. Jobs match job ids and models by
/// prefix, on an index, from the first character.
pub const MIN_SEARCH_CHARS: usize = 3;
/// The most characters a search may have, filter-builder rows a query may hold, and
/// bytes a filter value may have: what one request may make the database compare.
pub const MAX_SEARCH_CHARS: usize = 200;
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_VALUE_BYTES: usize = 512;

/// Percent-encodes a query-string value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ConsoleQuery {
    /// Why the query cannot run, if it cannot: the field at fault (`search`, `filters`,
    /// `account`) and why. A search needs `MIN_SEARCH_CHARS` characters outside Jobs;
    /// every size is bounded; no text may hold a NUL (PostgreSQL cannot compare one).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let nul = |t: &str| t.contains('\0');
        if let Some(text) = self.search.as_deref() {
            let chars = text.chars().count();
            if chars < MIN_SEARCH_CHARS && self.kind != Some(EventKind::Job) {
                return Some((
                    "search",
                    format!(
                        "at least {MIN_SEARCH_CHARS} characters (on Jobs, any start of a job id or model)"
                    ),
                ));
            }
            if chars > MAX_SEARCH_CHARS {
                return Some(("search", format!("at most {MAX_SEARCH_CHARS} characters")));
            }
            if nul(text) {
                return Some(("search", "contains a NUL character".into()));
            }
        }
        if self.quick.len() + self.builder.len() > MAX_CONDITIONS {
            return Some(("filters", format!("at most {MAX_CONDITIONS} filters")));
        }
        let values = self
            .quick
            .iter()
            .chain(&self.builder)
            .map(|c| c.value.as_str());
        for v in values.chain(self.account.as_deref()) {
            if v.len() > MAX_VALUE_BYTES || nul(v) {
                let field = if Some(v) == self.account.as_deref() {
                    "account"
                } else {
                    "filters"
                };
                return Some((
                    field,
                    format!("values of at most {MAX_VALUE_BYTES} bytes, without NUL characters"),
                ));
            }
        }
        None
    }

    /// Reads the query from a query string's name–value pairs (the first value of a name,
    /// or every value of a repeated one such as `f`).
    pub fn from_pairs(kind: Option<EventKind>, pairs: &[(String, String)]) -> ConsoleQuery {
        ConsoleQuery::from_params(
            kind,
            |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            |k| {
                pairs
                    .iter()
                    .filter(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .collect()
            },
        )
    }

    /// Reads the query from URL parameters (`get` the first value, `get_all` every value).
    pub fn from_params(
        kind: Option<EventKind>,
        get: impl Fn(&str) -> Option<String>,
        get_all: impl Fn(&str) -> Vec<String>,
    ) -> ConsoleQuery {
        let nonempty = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let date = |k: &str| nonempty(k).and_then(|d| super::when::parse_date(&d));
        let preset = nonempty("range")
            .and_then(|r| r.parse().ok())
            .unwrap_or(TimePreset::Last30Days);
        let range = TimeRange {
            preset,
            from: (preset == TimePreset::Custom)
                .then(|| date("from"))
                .flatten(),
            to: (preset == TimePreset::Custom).then(|| date("to")).flatten(),
        };
        let quick = Column::ALL
            .iter()
            .filter(|c| **c != Column::Account)
            .filter_map(|c| {
                nonempty(c.as_str()).map(|value| Condition {
                    column: *c,
                    op: Op::Eq,
                    value,
                })
            })
            .collect();
        ConsoleQuery {
            kind,
            range,
            account: nonempty("account"),
            quick,
            builder: get_all("f")
                .iter()
                .filter_map(|f| Condition::parse(f))
                .collect(),
            join: nonempty("join").and_then(|j| j.parse().ok()),
            search: nonempty("q"),
        }
    }

    /// The query as URL parameters, in a stable order (defaults left out).
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if self.range.preset != TimePreset::Last30Days {
            pairs.push(("range".into(), self.range.preset.as_str().into()));
        }
        if let Some(d) = self.range.from {
            pairs.push(("from".into(), d.to_string()));
        }
        if let Some(d) = self.range.to {
            pairs.push(("to".into(), d.to_string()));
        }
        if let Some(a) = &self.account {
            pairs.push(("account".into(), a.clone()));
        }
        for c in &self.quick {
            pairs.push((c.column.as_str().into(), c.value.clone()));
        }
        for c in &self.builder {
            pairs.push(("f".into(), c.encode()));
        }
        if let Some(j) = self.join {
            pairs.push(("join".into(), j.as_str().into()));
        }
        if let Some(q) = &self.search {
            pairs.push(("q".into(), q.clone()));
        }
        pairs
    }

    /// `path?query` with `extra` parameters appended.
    pub fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut parts: Vec<String> = self
            .to_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", urlencode(&v)))
            .collect();
        parts.extend(extra.iter().map(|(k, v)| format!("{k}={}", urlencode(v))));
        if parts.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }

    pub fn quick_value(&self, column: Column) -> Option<&str> {
        self.quick
            .iter()
            .find(|c| c.column == column)
            .map(|c| c.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_needs_three_characters_outside_jobs() {
        let q = |kind, text: &str| ConsoleQuery {
            kind,
            search: Some(text.into()),
            ..ConsoleQuery::default()
        };
        assert!(q(Some(EventKind::Thread), "ab").problem().is_some());
        assert!(q(None, "é").problem().is_some());
        assert_eq!(q(Some(EventKind::Thread), "abé").problem(), None);
        assert_eq!(q(Some(EventKind::Job), "j").problem(), None);
        assert_eq!(
            q(None, &"x".repeat(201)).problem().map(|p| p.0),
            Some("search")
        );
        assert_eq!(q(None, "ab\0c").problem().map(|p| p.0), Some("search"));
        let mut many = q(None, "abc");
        many.builder = vec![
            Condition {
                column: Column::User,
                op: Op::Eq,
                value: "u".into(),
            };
            MAX_CONDITIONS + 1
        ];
        assert_eq!(many.problem().map(|p| p.0), Some("filters"));
        assert_eq!(ConsoleQuery::default().problem(), None);
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    #[test]
    fn presets_have_the_right_bounds() {
        let now = at("2026-03-04T15:00:00Z"); // a Wednesday
        let r = |p| {
            TimeRange {
                preset: p,
                from: None,
                to: None,
            }
            .bounds(now)
        };
        assert_eq!(
            r(TimePreset::Today),
            (Some(at("2026-03-04T00:00:00Z")), None)
        );
        assert_eq!(
            r(TimePreset::Yesterday),
            (
                Some(at("2026-03-03T00:00:00Z")),
                Some(at("2026-03-04T00:00:00Z"))
            )
        );
        assert_eq!(r(TimePreset::ThisWeek).0, Some(at("2026-03-02T00:00:00Z")));
        assert_eq!(
            r(TimePreset::LastMonth),
            (
                Some(at("2026-02-01T00:00:00Z")),
                Some(at("2026-03-01T00:00:00Z"))
            )
        );
        assert_eq!(
            r(TimePreset::LastYear),
            (
                Some(at("2025-01-01T00:00:00Z")),
                Some(at("2026-01-01T00:00:00Z"))
            )
        );
        assert_eq!(r(TimePreset::Last7Days).0, Some(at("2026-02-25T15:00:00Z")));
        assert_eq!(r(TimePreset::AllTime), (None, None));
        let jan = at("2026-01-10T00:00:00Z");
        let last_month = TimeRange {
            preset: TimePreset::LastMonth,
            from: None,
            to: None,
        }
        .bounds(jan);
        assert_eq!(last_month.0, Some(at("2025-12-01T00:00:00Z")));
    }

    #[test]
    fn custom_range_includes_its_last_day_and_reads_well() {
        let now = at("2026-03-04T15:00:00Z");
        let custom = TimeRange {
            preset: TimePreset::Custom,
            from: NaiveDate::from_ymd_opt(2026, 2, 10),
            to: None,
        };
        assert_eq!(
            custom.bounds(now),
            (
                Some(at("2026-02-10T00:00:00Z")),
                Some(at("2026-03-05T00:00:00Z"))
            )
        );
        assert_eq!(custom.describe(now), "Feb 10, 2026 – Mar 4, 2026 (UTC)");
        let month = TimeRange {
            preset: TimePreset::LastMonth,
            from: None,
            to: None,
        };
        assert_eq!(
            month.describe(now),
            "Last Month: Feb 1, 2026 – Feb 28, 2026 (UTC)"
        );
    }

    #[test]
    fn query_round_trips_through_the_url() {
        let pairs = [
            ("range", "custom"),
            ("from", "2026-02-10"),
            ("status", "failed"),
            ("agent", "triage bot"),
            ("f", "model.ne.gpt-4o"),
            ("f", "user.eq.ann@x.test"),
            ("join", "or"),
            ("q", "job_12"),
            ("f", "bogus"),
        ];
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        };
        let get_all = |k: &str| {
            pairs
                .iter()
                .filter(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
                .collect()
        };
        let q = ConsoleQuery::from_params(Some(EventKind::Job), get, get_all);
        assert_eq!(q.range.preset, TimePreset::Custom);
        assert_eq!(q.quick_value(Column::Status), Some("failed"));
        assert_eq!(q.builder.len(), 2, "the malformed row is dropped");
        assert_eq!(q.join, Some(Join::Or));
        assert_eq!(
            q.href("/jobs", &[("cursor", "abc")]),
            "/jobs?range=custom&from=2026-02-10&status=failed&agent=triage%20bot&f=model.ne.gpt-4o&f=user.eq.ann%40x.test&join=or&q=job_12&cursor=abc"
        );
        let none = ConsoleQuery::from_params(None, |_| None, |_| vec![]);
        assert_eq!(none.range, TimeRange::default());
        assert_eq!(none.href("/ai", &[]), "/ai");
    }

    #[test]
    fn conditions_round_trip() {
        let c = Condition::parse("model.ne.gpt-4.1").expect("parse");
        assert_eq!(
            (c.column, c.op, c.value.as_str()),
            (Column::Model, Op::Ne, "gpt-4.1")
        );
        assert_eq!(c.encode(), "model.ne.gpt-4.1");
        assert_eq!(Condition::parse("colour.eq.red"), None);
        assert_eq!(Condition::parse("model.eq."), None);
    }
}
