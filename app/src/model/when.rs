//! Dates and times as the console prints and reads them. Written out by hand rather
//! than with chrono's `format("%…")`/`parse_from_str`, whose run-time format-string
//! engine is sizeable in the browser's WASM; the text is the same (tests compare).

use chrono::format::{Item, Numeric, Pad, Parsed};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// `%Y`: four digits, zero-padded; a sign outside 0..=9999.
fn year(y: i32) -> String {
    if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else {
        format!("{y:+05}")
    }
}

/// `%H:%M:%S` (a leap second reads `60`).
fn hms(t: &DateTime<Utc>) -> String {
    let s = t.second() + t.nanosecond() / 1_000_000_000;
    format!("{:02}:{:02}:{s:02}", t.hour(), t.minute())
}

/// `%Y-%m-%d`
fn ymd(t: &DateTime<Utc>) -> String {
    format!("{}-{:02}-{:02}", year(t.year()), t.month(), t.day())
}

/// `%Y-%m-%d %H:%M:%S`
pub fn date_time(t: &DateTime<Utc>) -> String {
    format!("{} {}", ymd(t), hms(t))
}

/// `%Y-%m-%d %H:%M`
pub fn date_minutes(t: &DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", ymd(t), t.hour(), t.minute())
}

/// `%H:%M:%S`
pub fn time_of_day(t: &DateTime<Utc>) -> String {
    hms(t)
}

/// `%b %-d, %Y`, e.g. `Feb 1, 2026`.
pub fn short_date(t: &DateTime<Utc>) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {}, {}",
        MONTHS[t.month0() as usize],
        t.day(),
        year(t.year())
    )
}

/// The years a console date may name: arithmetic on the range (a day added to its end)
/// stays far inside chrono's limits, so no date in a URL can overflow it.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Parses like `NaiveDate::parse_from_str(text, "%Y-%m-%d")` (the same chrono items,
/// without parsing the format string at run time), within [`YEARS`].
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    const ITEMS: [Item<'static>; 5] = [
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
    ];
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, ITEMS.iter()).ok()?;
    parsed
        .to_naive_date()
        .ok()
        .filter(|d| YEARS.contains(&d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn dates_outside_the_window_are_refused() {
        for text in ["+262142-12-31", "-0001-01-01", "1969-12-31", "10000-01-01"] {
            assert_eq!(parse_date(text), None, "{text}");
        }
        assert!(parse_date("9999-12-31").is_some());
        assert!(parse_date("1970-01-01").is_some());
    }

    #[test]
    fn text_matches_chrono_strftime() {
        let mut times = vec![
            Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(12, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap(),
            Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap(),
            // A leap second.
            Utc.with_ymd_and_hms(2016, 12, 31, 23, 59, 59).unwrap() + Duration::nanoseconds(0),
        ];
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .map(|n| Utc.from_utc_datetime(&n))
            .expect("leap");
        times.push(leap);
        let mut t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        for _ in 0..400 {
            times.push(t);
            t += Duration::seconds(86_400 + 3_671);
        }
        for t in &times {
            assert_eq!(date_time(t), t.format("%Y-%m-%d %H:%M:%S").to_string());
            assert_eq!(date_minutes(t), t.format("%Y-%m-%d %H:%M").to_string());
            assert_eq!(time_of_day(t), t.format("%H:%M:%S").to_string());
            assert_eq!(short_date(t), t.format("%b %-d, %Y").to_string());
        }
    }

    #[test]
    fn dates_parse_as_chrono_parses_them() {
        for text in [
            "2026-02-10",
            "2026-2-1",
            "0001-01-01",
            "99-01-01",
            "+12345-01-01",
            "-0044-03-15",
            "2026-02-30",
            "2026-13-01",
            "2026-02-10x",
            " 2026-02-10",
            "2026-02-10 ",
            "2026 -02-10",
            "2026/02/10",
            "",
            "-",
            "20260210",
            "2026-002-10",
            "12026-01-01",
            "2026-01-1",
        ] {
            assert_eq!(
                parse_date(text),
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .filter(|d| YEARS.contains(&d.year())),
                "{text:?}"
            );
        }
    }
}
