//! The closed vocabularies of the audit log, each a typed enum with its wire name.

use serde::{Deserialize, Serialize};

/// Declares a closed string enum: serde names, `as_str`, `ALL` and `FromStr`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        // By hand: the derive does not see a `serde(rename)` a macro wrote.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::UnknownValue;
            fn from_str(s: &str) -> Result<Self, $crate::model::UnknownValue> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::model::UnknownValue {
                        expected: &[$($wire),+],
                    }),
                }
            }
        }
    };
}

pub(crate) use wire_enum;

/// A string that is not one of a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub expected: &'static [&'static str],
}

wire_enum!(
    /// The six kinds of audit record.
    EventKind {
        AiInteraction => "ai_interaction",
        Job => "job",
        Thread => "thread",
        SystemEvent => "system_event",
        AdminAction => "admin_action",
        CreditUsage => "credit_usage",
    }
);

impl EventKind {
    pub const fn label(self) -> &'static str {
        match self {
            EventKind::AiInteraction => "AI interaction",
            EventKind::Job => "Job",
            EventKind::Thread => "Thread",
            EventKind::SystemEvent => "System event",
            EventKind::AdminAction => "Admin action",
            EventKind::CreditUsage => "Credit usage",
        }
    }
}

wire_enum!(
    /// Who caused a record: a signed-in user, an API key, or the platform itself.
    ActorType {
        User => "user",
        ApiKey => "api_key",
        System => "system",
    }
);

wire_enum!(
    JobStatus {
        Queued => "queued",
        Running => "running",
        Complete => "complete",
        Failed => "failed",
        Cancelled => "cancelled",
        Retrying => "retrying",
    }
);

wire_enum!(
    ThreadSource {
        App => "app",
        Slack => "slack",
        Discord => "discord",
        Email => "email",
        Webhook => "webhook",
        Cron => "cron",
        Other => "other",
    }
);

wire_enum!(
    ThreadType {
        Chat => "chat",
        Cron => "cron",
    }
);

wire_enum!(
    Severity {
        Info => "info",
        Warning => "warning",
        Error => "error",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_wire_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).expect("ser");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        let err = "paused".parse::<JobStatus>().expect_err("unknown");
        assert!(err.to_string().contains("queued, running"));
    }
}
