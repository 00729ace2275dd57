//! What an operator provisions, parsed once at the edge: tenant and account ids,
//! display names, emails. A `TenantId` and an `AccountId` cannot be swapped by mistake,
//! and a value that reached the store has kept its limits.

use std::fmt;

/// Longest tenant or account id, in characters (all ASCII).
pub const MAX_ID: usize = 64;
/// Longest display name (a tenant's, an account's, a token's), in characters.
pub const MAX_NAME: usize = 200;
/// Longest email, in bytes (RFC 5321's path limit less its brackets).
pub const MAX_EMAIL: usize = 254;

/// Why an input was refused: said to whoever sent it, beside the field's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn id(text: &str) -> Result<String, Refused> {
    let ok = !text.is_empty()
        && text.len() <= MAX_ID
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(Refused(format!(
            "1 to {MAX_ID} characters: letters, digits, '-', '_' and '.', starting with a letter or digit"
        )))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, Refused> {
                id(text).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant's id, chosen by the operator (`acme`).
    TenantId
);
id_type!(
    /// An account's id, chosen by the operator or by a sender (`acme-prod`); unique
    /// across tenants.
    AccountId
);

/// A name people read: trimmed, 1 to `MAX_NAME` characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<Self, Refused> {
        let text = text.trim();
        let count = text.chars().count();
        if count == 0 || count > MAX_NAME || text.chars().any(char::is_control) {
            return Err(Refused(format!(
                "1 to {MAX_NAME} characters, without control characters"
            )));
        }
        Ok(DisplayName(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address of the basic shape `local@domain.tld`, trimmed and lowercased (how
/// sign-in looks users up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, Refused> {
        let text = text.trim().to_lowercase();
        let shape = || {
            Refused(format!(
                "an email address like name@example.com, at most {MAX_EMAIL} characters"
            ))
        };
        if text.len() > MAX_EMAIL {
            return Err(shape());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(shape)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let domain_ok = domain.contains('.') && domain.split('.').all(label_ok);
        if local_ok && domain_ok {
            Ok(Email(text))
        } else {
            Err(shape())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_a_safe_charset_and_length() {
        for good in ["acme", "acme-prod", "t1", "A.b_c-9", &"x".repeat(MAX_ID)] {
            assert!(TenantId::parse(good).is_ok(), "{good}");
            assert!(AccountId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-acme",
            ".hidden",
            "acme prod",
            "acme/prod",
            "acme\0",
            "é",
            "a:b",
            &"x".repeat(MAX_ID + 1),
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Acme Corp ").expect("ok").as_str(),
            "Acme Corp"
        );
        assert!(
            DisplayName::parse(&"é".repeat(MAX_NAME)).is_ok(),
            "characters, not bytes"
        );
        for bad in ["", "   ", "a\nb", "a\u{0}b", &"x".repeat(MAX_NAME + 1)] {
            assert!(DisplayName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_have_the_basic_shape() {
        assert_eq!(
            Email::parse(" Admin@Acme.Example ").expect("ok").as_str(),
            "admin@acme.example"
        );
        assert!(Email::parse("a+tag@t1.test").is_ok());
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(63));
        assert!(Email::parse(&long).is_ok());
        for bad in [
            "",
            "admin",
            "@acme.example",
            "admin@",
            "admin@localhost",
            "admin@acme..example",
            "admin@-acme.example",
            "ad min@acme.example",
            "admin@acme.example\nx",
            "a<b>@acme.example",
            &format!("{}@acme.example", "a".repeat(65)),
            &format!("a@{}.example", "b".repeat(250)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
