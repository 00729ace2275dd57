//! The console's tabs: which kind each shows, its columns, quick filters and search.

use super::console::columns::{self, Columns};
use crate::model::{Column, EventKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    All,
    Jobs,
    Threads,
    Events,
    Ai,
    Admin,
    Usage,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::All,
        Tab::Jobs,
        Tab::Threads,
        Tab::Events,
        Tab::Ai,
        Tab::Admin,
        Tab::Usage,
    ];

    pub const fn path(self) -> &'static str {
        match self {
            Tab::All => "/",
            Tab::Jobs => "/jobs",
            Tab::Threads => "/threads",
            Tab::Events => "/events",
            Tab::Ai => "/ai",
            Tab::Admin => "/admin",
            Tab::Usage => "/usage",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Tab::All => "All records",
            Tab::Jobs => "Jobs",
            Tab::Threads => "Threads",
            Tab::Events => "Events",
            Tab::Ai => "AI interactions",
            Tab::Admin => "Admin activity",
            Tab::Usage => "Usage",
        }
    }

    /// What a row is called, for "No jobs found".
    pub const fn noun(self) -> &'static str {
        match self {
            Tab::All => "records",
            Tab::Jobs => "jobs",
            Tab::Threads => "threads",
            Tab::Events => "events",
            Tab::Ai => "AI interactions",
            Tab::Admin => "admin actions",
            Tab::Usage => "credit usage",
        }
    }

    pub const fn kind(self) -> Option<EventKind> {
        match self {
            Tab::All => None,
            Tab::Jobs => Some(EventKind::Job),
            Tab::Threads => Some(EventKind::Thread),
            Tab::Events => Some(EventKind::SystemEvent),
            Tab::Ai => Some(EventKind::AiInteraction),
            Tab::Admin => Some(EventKind::AdminAction),
            Tab::Usage => Some(EventKind::CreditUsage),
        }
    }

    /// The tab's table: its columns, each a header and the cell drawn under it.
    pub fn columns(self) -> &'static dyn Columns {
        match self {
            Tab::All => &columns::ALL,
            Tab::Jobs => &columns::JOBS,
            Tab::Threads => &columns::THREADS,
            Tab::Events => &columns::EVENTS,
            Tab::Ai => &columns::AI,
            Tab::Admin => &columns::ADMIN,
            Tab::Usage => &columns::USAGE,
        }
    }

    /// Quick filters offered as dropdowns (closed sets) or text (open sets).
    pub const fn quick(self) -> &'static [Column] {
        match self {
            Tab::All => &[Column::User, Column::Agent],
            Tab::Jobs => &[Column::Status, Column::Agent, Column::Model],
            Tab::Threads => &[Column::Source, Column::Agent],
            Tab::Events => &[Column::Severity, Column::Agent],
            Tab::Ai => &[Column::Dlp, Column::User, Column::Model, Column::Action],
            Tab::Admin => &[Column::ResourceType, Column::User, Column::Action],
            Tab::Usage => &[Column::User, Column::Agent],
        }
    }

    /// Columns the filter builder offers.
    pub const fn builder(self) -> &'static [Column] {
        match self {
            Tab::All => &[Column::User, Column::Agent, Column::Action],
            Tab::Jobs => &[
                Column::Status,
                Column::Agent,
                Column::Model,
                Column::Provider,
                Column::Action,
            ],
            Tab::Threads => &[Column::Source, Column::Agent, Column::User],
            Tab::Events => &[Column::Severity, Column::Agent, Column::Action],
            Tab::Ai => &[Column::User, Column::Model, Column::Action, Column::Dlp],
            Tab::Admin => &[Column::User, Column::Action, Column::ResourceType],
            Tab::Usage => &[Column::User, Column::Agent],
        }
    }

    pub const fn search_hint(self) -> &'static str {
        match self {
            Tab::Jobs => "Job id or model…",
            Tab::Events => "Event type, e.g. cron…",
            _ => "Search…",
        }
    }
}

/// The values of a closed column, for its dropdown.
pub fn choices(column: Column) -> Option<Vec<&'static str>> {
    use crate::model::{JobStatus, Severity, ThreadSource};
    match column {
        Column::Status => Some(JobStatus::ALL.iter().map(|s| s.as_str()).collect()),
        Column::Source => Some(ThreadSource::ALL.iter().map(|s| s.as_str()).collect()),
        Column::Severity => Some(Severity::ALL.iter().map(|s| s.as_str()).collect()),
        Column::Dlp => Some(vec!["flagged", "clean"]),
        _ => None,
    }
}
