//! Money and credits as exact integer micro-units (1 unit = 1,000,000 micros).
//!
//! On the wire a value is a decimal number or string with at most six decimals
//! (`0.0123`, `"12.5"`); it is parsed from its decimal text, never through a float.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MicrosError {
    #[error("not a decimal number")]
    NotDecimal,
    #[error("more than 6 decimal places")]
    TooPrecise,
    #[error("out of range")]
    OutOfRange,
}

impl Micros {
    pub const ZERO: Micros = Micros(0);
    pub const fn from_micros(micros: i64) -> Self {
        Micros(micros)
    }
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Parses `-12.345678`, `7`, `0.5`; also `1e-3`-free float text as serde_json prints it.
    pub fn parse(text: &str) -> Result<Self, MicrosError> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(MicrosError::NotDecimal);
        }
        let frac_trimmed = frac_part.trim_end_matches('0');
        if frac_trimmed.len() > 6 {
            return Err(MicrosError::TooPrecise);
        }
        let whole: i64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| MicrosError::OutOfRange)?
        };
        let mut frac: i64 = 0;
        for (i, b) in frac_trimmed.bytes().enumerate() {
            frac += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
        }
        let value = whole
            .checked_mul(1_000_000)
            .and_then(|w| w.checked_add(frac))
            .ok_or(MicrosError::OutOfRange)?;
        Ok(Micros(if negative { -value } else { value }))
    }
}

impl fmt::Display for Micros {
    /// Shortest exact decimal: `0.0123`, `12`, `-3.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1_000_000, abs % 1_000_000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let frac = format!("{frac:06}");
            write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Micros {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Micros;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal number with at most 6 decimals")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Micros, E> {
                v.checked_mul(1_000_000)
                    .map(Micros)
                    .ok_or_else(|| E::custom(MicrosError::OutOfRange))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Micros, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom(MicrosError::OutOfRange))
                    .and_then(|v| self.visit_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Micros, E> {
                // serde_json prints the shortest text that round-trips, so `0.1` stays `0.1`.
                if !v.is_finite() {
                    return Err(E::custom(MicrosError::NotDecimal));
                }
                Micros::parse(&format!("{v}")).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Micros, E> {
                Micros::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for (text, micros, shown) in [
            ("0.0123", 12_300, "0.0123"),
            ("12", 12_000_000, "12"),
            ("-3.50", -3_500_000, "-3.5"),
            (".5", 500_000, "0.5"),
            ("0.000001", 1, "0.000001"),
        ] {
            let m = Micros::parse(text).expect(text);
            assert_eq!(m.micros(), micros, "{text}");
            assert_eq!(m.to_string(), shown);
        }
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(Micros::parse("0.0000001"), Err(MicrosError::TooPrecise));
        assert_eq!(Micros::parse("abc"), Err(MicrosError::NotDecimal));
        assert_eq!(Micros::parse(""), Err(MicrosError::NotDecimal));
        assert_eq!(Micros::parse("1e5"), Err(MicrosError::NotDecimal));
        assert_eq!(
            Micros::parse("99999999999999999"),
            Err(MicrosError::OutOfRange)
        );
    }

    #[test]
    fn json_numbers_and_strings() {
        let m: Micros = serde_json::from_str("0.1").expect("float");
        assert_eq!(m.micros(), 100_000);
        let m: Micros = serde_json::from_str("\"2.25\"").expect("string");
        assert_eq!(m.micros(), 2_250_000);
        let m: Micros = serde_json::from_str("3").expect("int");
        assert_eq!(m.micros(), 3_000_000);
        assert_eq!(serde_json::to_string(&m).expect("ser"), "\"3\"");
    }
}
