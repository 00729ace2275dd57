//! The typed records shared by the server and the browser.

mod detail;
mod dlp;
mod enums;
mod event;
mod money;
mod number;
#[cfg(feature = "ssr")]
mod schema;
pub use number::count;

pub use detail::{
    AdminAction, AiInteraction, CreditUsage, EventDetail, Job, SystemEvent, Thread,
    TranscriptMessage,
};
pub use dlp::{DlpParseError, DlpResult};
pub use enums::{
    ActorType, EventKind, JobStatus, Severity, ThreadSource, ThreadType, UnknownValue,
};
pub use event::{Event, EventPage, JobKey, RecordView, WrittenBy};
pub use money::{Micros, MicrosError};
mod scope;
pub use scope::{Role, Scope, Viewer};
mod admin;
pub use admin::{AccountInfo, ApiKeyInfo, NewKeyShown, UsageReport, UsageRow};
mod filter;
mod integrity;
pub use integrity::{IntegrityReport, SignedCheckpoint, VerifyBy, VerifyRun, WitnessStatus};
mod provisioning;
pub use provisioning::{AccountId, DisplayName, Email, Refused, TenantId};
mod retention;
pub use retention::{RetentionDays, RetentionStatus};
pub mod when;
// Server-only: the Members and Settings pages are rendered on the server.
#[cfg(feature = "ssr")]
pub mod members;
#[cfg(feature = "ssr")]
pub mod settings;
pub use filter::{urlencode, Column, Condition, ConsoleQuery, Join, Op, TimePreset, TimeRange};
