//! A tenant's retention policy: how long its records keep their bodies (README,
//! "Retention"). Shared with the browser, which checks a value the same way.

use serde::{Deserialize, Serialize};

/// A retention period in days, within the bounds Vigil accepts: parsed at every edge
/// (console, command line) so the store never sees another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RetentionDays(u32);

impl RetentionDays {
    /// The shortest period: a day, so a purge can never take records still arriving.
    pub const MIN: u32 = 1;
    /// The longest: a hundred years (the database's CHECK says the same).
    pub const MAX: u32 = 36_500;

    /// `days` if within bounds, else what is wrong with it.
    pub fn parse(days: u32) -> Result<RetentionDays, String> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(RetentionDays(days))
        } else {
            Err(format!(
                "between {} and {} days (leave it out to keep records forever)",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    /// A form's text: blank for forever (`None`), else a whole number of days within
    /// bounds.
    pub fn parse_text(text: &str) -> Result<Option<RetentionDays>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let days = text
            .parse::<u32>()
            .map_err(|_| "a whole number of days (leave it blank to keep records forever)")?;
        RetentionDays::parse(days).map(Some)
    }

    pub const fn days(self) -> u32 {
        self.0
    }

    /// The period in milliseconds, as instants are stored.
    pub const fn millis(self) -> i64 {
        self.0 as i64 * 86_400_000
    }
}

impl TryFrom<u32> for RetentionDays {
    type Error = String;
    fn try_from(days: u32) -> Result<Self, String> {
        RetentionDays::parse(days)
    }
}

impl From<RetentionDays> for u32 {
    fn from(d: RetentionDays) -> u32 {
        d.0
    }
}

impl std::fmt::Display for RetentionDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} days", self.0)
    }
}

/// What the console shows of a tenant's retention.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionStatus {
    /// `None`: records are kept forever.
    pub days: Option<RetentionDays>,
    /// The first record that still has its body; `None`: nothing was ever purged.
    pub retained_from: Option<i64>,
    /// When the last purge ran (the instant it took as now).
    pub last_purge: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_bounded() {
        for bad in [0, 36_501, u32::MAX] {
            assert!(RetentionDays::parse(bad).is_err(), "{bad}");
        }
        for good in [1, 30, 365, 36_500] {
            assert_eq!(
                RetentionDays::parse(good).map(RetentionDays::days),
                Ok(good)
            );
        }
        assert_eq!(
            RetentionDays::parse(2).map(RetentionDays::millis),
            Ok(172_800_000)
        );
        assert_eq!(RetentionDays::parse_text("  "), Ok(None));
        assert_eq!(
            RetentionDays::parse_text(" 30 "),
            Ok(RetentionDays::parse(30).ok())
        );
        for bad in ["-1", "1.5", "thirty", "0", "99999999999"] {
            assert!(RetentionDays::parse_text(bad).is_err(), "{bad}");
        }
        // Deserialising checks the bounds too: no way round `parse`.
        assert!(serde_json::from_str::<RetentionDays>("0").is_err());
        assert_eq!(
            serde_json::from_str::<RetentionDays>("90").ok(),
            RetentionDays::parse(90).ok()
        );
    }
}
