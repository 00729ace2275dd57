//! Reading records: a tab's pages, Live polls, one record, usage.

#[cfg(feature = "ssr")]
use super::error::ConsoleError;
use super::error::ConsoleResult;
#[cfg(feature = "ssr")]
use crate::model::Event;
use crate::model::{ConsoleQuery, EventPage, RecordView, UsageReport};
use leptos::prelude::*;

/// One page of what the tab's filters select, newest first, within the viewer's scope.
/// `query.account` narrows a tenant admin's view; outside the scope it shows nothing.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn list_records(query: ConsoleQuery, cursor: Option<String>) -> ConsoleResult<EventPage> {
    use crate::store::{Cursor, EventQuery};
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        check_query(&query)?;
        let mut q = EventQuery::from_console(&query, chrono::Utc::now());
        q.cursor = cursor
            .map(|c| {
                Cursor::decode(&c).ok_or_else(|| {
                    ConsoleError::invalid("cursor", "not a cursor this page produced")
                })
            })
            .transpose()?;
        q.limit = super::PAGE_SIZE;
        Ok(store.console_page(&viewer.scope, &q).await?)
    })
    .await
}

/// Live mode: the records the filters select that arrived after chain position
/// `after_seq` (the page's `live_after_seq`), oldest first, at most 100; the page's
/// `live_after_seq` says where to poll from next. By arrival, not by the time a sender
/// claims: a record stamped ahead cannot hide newer ones.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn poll_records(query: ConsoleQuery, after_seq: i64) -> ConsoleResult<EventPage> {
    use crate::store::{EventQuery, Order};
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        check_query(&query)?;
        if after_seq < 0 {
            return Err(ConsoleError::invalid("after_seq", "0 or more"));
        }
        let mut q = EventQuery::from_console(&query, chrono::Utc::now());
        // Every new record the filters select, whatever its claimed time.
        q.latest_per_subject = false;
        q.order = Order::ChainAscending { after_seq };
        q.limit = 100;
        Ok(store.console_page(&viewer.scope, &q).await?)
    })
    .await
}

/// One record, by chain position or by id (`id` is either); missing and out of scope
/// are both "not found".
#[server]
pub async fn event_detail(id: String) -> ConsoleResult<RecordView> {
    use crate::store::RecordRef;
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        let record = RecordRef::parse(&id).ok_or(ConsoleError::NotFound)?;
        let mut found = store.get(&viewer.scope, &record).await?;
        let event = match found.len() {
            0 => return Err(ConsoleError::NotFound),
            1 => found.remove(0),
            n => return Err(ConsoleError::invalid("id", same_id_message(n, &found))),
        };
        let writer = store.writer_label(&viewer.scope, &event.written_by).await?;
        Ok(RecordView { event, writer })
    })
    .await
}

/// Why an id alone does not name one record: each account may use an id once.
#[cfg(feature = "ssr")]
fn same_id_message(n: usize, found: &[Event]) -> String {
    let each: Vec<String> = found
        .iter()
        .map(|e| {
            let account = e.account_id.as_deref().unwrap_or("tenant-level");
            format!("#{} ({account})", e.seq)
        })
        .collect();
    format!(
        "{n} records share this id, one per account: {}. Open one by its chain position, e.g. /records/{}",
        each.join(", "),
        found.first().map_or(0, |e| e.seq)
    )
}

/// Aggregates over the selection: credits by user and worker, tokens and cost by user,
/// agent, model.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn usage_summary(query: ConsoleQuery) -> ConsoleResult<UsageReport> {
    use crate::store::EventQuery;
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        check_query(&query)?;
        let q = EventQuery::from_console(&query, chrono::Utc::now());
        Ok(store.usage(&viewer.scope, &q).await?)
    })
    .await
}

/// A query the console cannot run (a search too short for the tab, sizes over their
/// limits) is the caller's mistake.
#[cfg(feature = "ssr")]
fn check_query(query: &ConsoleQuery) -> ConsoleResult<()> {
    match query.problem() {
        Some((field, message)) => Err(ConsoleError::invalid(field, message)),
        None => Ok(()),
    }
}
