//! What narrows a page beyond its query: a search's candidates and its window. The
//! search planner (search.rs) chooses them; the page SQL (sql.rs, search_sql.rs) and
//! the planner settings (planner.rs) read them.

use super::query::Cursor;
use super::Dialect;

/// How a search page takes candidates from the search index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Candidates {
    /// Walk the tab's time index, keeping rows among FTS5's matches (SQLite, whose FTS5
    /// hands them out lazily; PostgreSQL walks on the exact condition alone).
    Filter,
    /// Read the index's (few) matches and sort them: by rowid from SQLite's FTS5, or
    /// from the kind's trigram index on PostgreSQL with the planner kept off the tab's
    /// time index.
    Lookup(Dialect),
    /// The Jobs tab: read the (few) job heads whose id or model starts with the term
    /// from the heads' prefix indexes, and sort them.
    HeadPrefix(Dialect),
}

impl Candidates {
    pub(super) fn is_lookup(self) -> bool {
        matches!(self, Candidates::Lookup(_))
    }

    /// Whether the page reads a few candidates and sorts them: the planner must not
    /// walk a time index instead.
    pub(super) fn reads_few(self) -> bool {
        matches!(self, Candidates::Lookup(_) | Candidates::HeadPrefix(_))
    }
}

/// What narrows a page beyond its query: a search's candidates, or its window.
#[derive(Clone, Debug, Default)]
pub(super) struct Narrow {
    pub(super) candidates: Option<Candidates>,
    /// The oldest row a search window reaches (inclusive): a position rather than a
    /// time, as many records can share a millisecond.
    pub(super) floor: Option<Cursor>,
    /// A search window as a subquery: the newest this many rows the other filters
    /// select, searched in one statement (PostgreSQL, where finding the floor first
    /// meant reading those rows' heap twice).
    pub(super) window: Option<u32>,
}

impl Narrow {
    pub(super) fn to(candidates: Candidates) -> Narrow {
        Narrow {
            candidates: Some(candidates),
            ..Narrow::default()
        }
    }
}
