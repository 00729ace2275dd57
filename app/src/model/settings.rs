//! A tenant's settings as the Settings page takes them: model rates with the date they
//! apply from, and business hours in a time zone. Parsed once at the edge; every
//! problem names its form field.

use super::members::FieldProblem;
use super::Micros;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

/// A model's name as records carry it (the ingest's limit on identifiers).
pub fn parse_model(text: &str) -> Result<String, FieldProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldProblem::new("model", "required"));
    }
    if text.len() > 512 {
        return Err(FieldProblem::new("model", "longer than 512 bytes"));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "model",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// The highest price per million tokens accepted: a million dollars.
pub const MAX_PRICE_MICROS: i64 = 1_000_000 * 1_000_000;

/// A USD price per million tokens (`2.5`, `0.15`), at most six decimals.
pub fn parse_price(field: &'static str, text: &str) -> Result<Micros, FieldProblem> {
    let price = Micros::parse(text)
        .map_err(|e| FieldProblem::new(field, format!("a USD amount such as 2.50 ({e})")))?;
    if price.micros() < 0 {
        return Err(FieldProblem::new(field, "must not be negative"));
    }
    if price.micros() > MAX_PRICE_MICROS {
        return Err(FieldProblem::new(
            field,
            "at most 1000000 USD per million tokens",
        ));
    }
    Ok(price)
}

/// The instant a rate applies from: a date (`2026-12-01`, from midnight UTC) or an
/// RFC 3339 instant, between 1970 and 2200.
pub fn parse_effective(text: &str) -> Result<DateTime<Utc>, FieldProblem> {
    let text = text.trim();
    let bad = || FieldProblem::new("effective_from", "a date (2026-12-01) or an RFC 3339 time");
    let at = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => day.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc(),
        Err(_) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| bad())?
            .with_timezone(&Utc),
    };
    if !(1970..=2200).contains(&at.year()) {
        return Err(FieldProblem::new("effective_from", "between 1970 and 2200"));
    }
    Ok(at)
}

/// Weekdays, a bit each: Monday = 1 … Sunday = 64 (as stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weekdays(u8);

pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_LABELS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Weekdays {
    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: i64) -> Option<Weekdays> {
        u8::try_from(bits)
            .ok()
            .filter(|b| *b != 0 && *b < 128)
            .map(Weekdays)
    }

    /// Whether day `i` (0 = Monday) is one of them.
    pub fn has(self, i: usize) -> bool {
        i < 7 && self.0 & (1 << i) != 0
    }

    pub fn names(self) -> Vec<&'static str> {
        (0..7)
            .filter(|i| self.has(*i))
            .map(|i| DAY_NAMES[i])
            .collect()
    }

    /// "Mon–Fri", "Mon, Wed, Fri", "Sat–Sun".
    pub fn describe(self) -> String {
        let mut runs: Vec<String> = Vec::new();
        let mut i = 0;
        while i < 7 {
            if !self.has(i) {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < 7 && self.has(i + 1) {
                i += 1;
            }
            runs.push(match i - start {
                0 => DAY_LABELS[start].to_owned(),
                1 => format!("{}, {}", DAY_LABELS[start], DAY_LABELS[i]),
                _ => format!("{}–{}", DAY_LABELS[start], DAY_LABELS[i]),
            });
            i += 1;
        }
        runs.join(", ")
    }
}

/// When the tenant's people work: some weekdays, one span of the day, in one zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusinessHours {
    pub days: Weekdays,
    /// Minutes after midnight; `start < end`, `end` at most 24:00.
    pub start: u16,
    pub end: u16,
    pub zone: Tz,
}

impl BusinessHours {
    /// From the form: the checked `days` (`mon` … `sun`), `start` and `end`
    /// (`09:00`), and an IANA `time_zone` (`Europe/Berlin`).
    pub fn parse(
        days: &[String],
        start: &str,
        end: &str,
        zone: &str,
    ) -> Result<BusinessHours, FieldProblem> {
        let mut bits = 0_u8;
        for d in days {
            let i = DAY_NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(d.trim()))
                .ok_or_else(|| FieldProblem::new("days", "mon, tue, wed, thu, fri, sat or sun"))?;
            bits |= 1 << i;
        }
        let days = Weekdays::from_bits(i64::from(bits))
            .ok_or_else(|| FieldProblem::new("days", "pick at least one day"))?;
        let start = parse_time("start", start, false)?;
        let end = parse_time("end", end, true)?;
        if end <= start {
            return Err(FieldProblem::new("end", "must be after the start"));
        }
        let zone = zone.trim();
        if zone.is_empty() || zone.len() > 64 {
            return Err(FieldProblem::new(
                "time_zone",
                "an IANA time zone such as Europe/Berlin",
            ));
        }
        let zone: Tz = zone.parse().map_err(|_| {
            FieldProblem::new(
                "time_zone",
                format!("unknown time zone {zone:?} (for example Europe/Berlin)"),
            )
        })?;
        Ok(BusinessHours {
            days,
            start,
            end,
            zone,
        })
    }

    /// As stored (`None` if the stored values are not a valid set).
    pub fn from_stored(days: i64, start: i64, end: i64, zone: &str) -> Option<BusinessHours> {
        let start = u16::try_from(start).ok()?;
        let end = u16::try_from(end).ok()?;
        (start < end && end <= 1440).then_some(())?;
        Some(BusinessHours {
            days: Weekdays::from_bits(days)?,
            start,
            end,
            zone: zone.parse().ok()?,
        })
    }

    /// As the audit records it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "days": self.days.names(),
            "start": clock(self.start),
            "end": clock(self.end),
            "time_zone": self.zone.name(),
        })
    }

    /// "Mon–Fri 09:00–17:00 Europe/Berlin".
    pub fn describe(&self) -> String {
        format!(
            "{} {}–{} {}",
            self.days.describe(),
            clock(self.start),
            clock(self.end),
            self.zone.name()
        )
    }

    /// Whether `at` falls within them, in their zone.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        let day = local.weekday().num_days_from_monday() as usize;
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.days.has(day) && (self.start..self.end).contains(&minute)
    }
}

/// `HH:MM` (24 hours); `24:00` only as an end.
fn parse_time(field: &'static str, text: &str, end: bool) -> Result<u16, FieldProblem> {
    let bad = || FieldProblem::new(field, "a time of day such as 09:00");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let ok = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || !ok(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let minutes = h * 60 + m;
    if m >= 60 || minutes > 1440 || (minutes == 1440 && !end) {
        return Err(bad());
    }
    Ok(minutes)
}

/// Minutes after midnight as `HH:MM`.
pub fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[&str]) -> Vec<String> {
        list.iter().map(|d| (*d).to_owned()).collect()
    }

    #[test]
    fn business_hours_parse_describe_and_contain() {
        let h = BusinessHours::parse(
            &days(&["mon", "tue", "wed", "thu", "fri"]),
            "09:00",
            "17:00",
            "Europe/Berlin",
        )
        .expect("valid");
        assert_eq!(h.describe(), "Mon–Fri 09:00–17:00 Europe/Berlin");
        assert_eq!(
            h.to_json()["days"],
            serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
        );
        // 2026-12-01 is a Tuesday; Berlin is UTC+1 in winter.
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        assert!(h.contains(at("2026-12-01T08:00:00Z")));
        assert!(!h.contains(at("2026-12-01T07:59:00Z")));
        assert!(!h.contains(at("2026-12-01T16:00:00Z")));
        assert!(!h.contains(at("2026-12-05T10:00:00Z")), "a Saturday");
        let stored = BusinessHours::from_stored(
            i64::from(h.days.bits()),
            i64::from(h.start),
            i64::from(h.end),
            "Europe/Berlin",
        );
        assert_eq!(stored, Some(h));
        assert_eq!(Weekdays(0b101_0101).describe(), "Mon, Wed, Fri, Sun");
        assert_eq!(Weekdays(0b110_0000).describe(), "Sat, Sun");
    }

    #[test]
    fn business_hours_name_the_field_at_fault() {
        let week = days(&["mon"]);
        for (d, start, end, zone, field) in [
            (days(&[]), "09:00", "17:00", "UTC", "days"),
            (days(&["funday"]), "09:00", "17:00", "UTC", "days"),
            (week.clone(), "9", "17:00", "UTC", "start"),
            (week.clone(), "24:00", "17:00", "UTC", "start"),
            (week.clone(), "09:60", "17:00", "UTC", "start"),
            (week.clone(), "09:00", "25:00", "UTC", "end"),
            (week.clone(), "17:00", "09:00", "UTC", "end"),
            (week.clone(), "09:00", "09:00", "UTC", "end"),
            (week.clone(), "09:00", "17:00", "Mars/Olympus", "time_zone"),
            (week.clone(), "09:00", "17:00", "", "time_zone"),
        ] {
            let e = BusinessHours::parse(&d, start, end, zone).expect_err("invalid");
            assert_eq!(e.field, field, "{d:?} {start} {end} {zone}: {}", e.message);
        }
        assert!(BusinessHours::parse(&week, "00:00", "24:00", "UTC").is_ok());
    }

    #[test]
    fn rates_parse_exactly_and_within_bounds() {
        assert_eq!(
            parse_price("input", "2.5").map(|m| m.micros()),
            Ok(2_500_000)
        );
        assert_eq!(
            parse_price("input", "-1").expect_err("invalid").field,
            "input"
        );
        assert_eq!(
            parse_price("output", "1e3").expect_err("invalid").field,
            "output"
        );
        assert_eq!(
            parse_price("output", "1000001").expect_err("invalid").field,
            "output"
        );
        assert_eq!(
            parse_effective("2026-12-01").map(|t| t.to_rfc3339()),
            Ok("2026-12-01T00:00:00+00:00".to_owned())
        );
        assert!(parse_effective("2026-12-01T10:00:00+01:00").is_ok());
        for bad in ["", "yesterday", "2026-13-01", "1969-12-31", "2201-01-01"] {
            assert_eq!(
                parse_effective(bad).expect_err("invalid").field,
                "effective_from",
                "{bad}"
            );
        }
        assert_eq!(parse_model(" gpt-4o ").as_deref(), Ok("gpt-4o"));
        assert_eq!(parse_model("").expect_err("invalid").field, "model");
        assert_eq!(parse_model("a\nb").expect_err("invalid").field, "model");
    }
}
