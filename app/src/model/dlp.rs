//! The data-loss-prevention verdict on an AI interaction: `clean`, `redacted:<what>`, `blocked:<what>`.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DlpResult {
    Clean,
    Redacted(String),
    Blocked(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected `clean`, `redacted:<detector>` or `blocked:<detector>`")]
pub struct DlpParseError;

impl DlpResult {
    pub fn parse(text: &str) -> Result<Self, DlpParseError> {
        let valid_detector = |d: &str| {
            !d.is_empty()
                && d.len() <= 64
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        match text.split_once(':') {
            None if text == "clean" => Ok(DlpResult::Clean),
            Some(("redacted", d)) if valid_detector(d) => Ok(DlpResult::Redacted(d.to_owned())),
            Some(("blocked", d)) if valid_detector(d) => Ok(DlpResult::Blocked(d.to_owned())),
            _ => Err(DlpParseError),
        }
    }

    /// Anything but `clean` is flagged: the console's "DLP: flagged" filter.
    pub fn is_flagged(&self) -> bool {
        !matches!(self, DlpResult::Clean)
    }
}

impl fmt::Display for DlpResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DlpResult::Clean => f.write_str("clean"),
            DlpResult::Redacted(d) => write!(f, "redacted:{d}"),
            DlpResult::Blocked(d) => write!(f, "blocked:{d}"),
        }
    }
}

impl Serialize for DlpResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DlpResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DlpResult::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verdicts() {
        assert_eq!(DlpResult::parse("clean"), Ok(DlpResult::Clean));
        assert_eq!(
            DlpResult::parse("redacted:credit_card"),
            Ok(DlpResult::Redacted("credit_card".into()))
        );
        assert!(DlpResult::parse("blocked:ssn").expect("ok").is_flagged());
        assert_eq!(DlpResult::parse("blocked:"), Err(DlpParseError));
        assert_eq!(DlpResult::parse("dirty"), Err(DlpParseError));
        assert_eq!(DlpResult::parse("clean:x"), Err(DlpParseError));
    }
}
