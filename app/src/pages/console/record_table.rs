//! A tab's list: one page of records under the tab's headers, Live's new rows above
//! them, and the pager.

use super::columns::Row;
use super::tab_href;
use crate::api::CancelJob;
use crate::components::IntoAnyInner;
use crate::model::{ConsoleQuery, Event, EventPage, JobKey};
use crate::pages::tabs::Tab;
use leptos::prelude::*;
use std::collections::HashSet;

#[component]
pub(super) fn RecordTable(
    tab: Tab,
    page: EventPage,
    query: Memo<ConsoleQuery>,
    live: Memo<bool>,
    live_rows: RwSignal<Vec<Event>>,
    fresh: RwSignal<HashSet<i64>>,
    cancel: ServerAction<CancelJob>,
) -> impl IntoView {
    let q = query.get_untracked();
    let is_live = live.get_untracked();
    let cancelled: HashSet<JobKey> = page.cancel_requested.iter().cloned().collect();
    let next = page
        .next_cursor
        .map(|c| tab_href(tab, &q, is_live, &[("cursor", &c)]));
    let shown = page.events.len();
    // A row is opened by its chain position: an id may be used once per account.
    let row = move |e: Event, cancelled: &HashSet<JobKey>| {
        let seq = e.seq;
        let open = tab_href(tab, &q, is_live, &[("open", &seq.to_string())]);
        let cells = cells(tab, &e, &open, cancelled, cancel);
        // On Jobs, a row is hidden once Live shows the same job at a newer state.
        let job = (tab == Tab::Jobs).then(|| JobKey::of(&e)).flatten();
        let superseded = move || {
            job.as_ref().is_some_and(|j| {
                live_rows.with(|rows| {
                    rows.iter()
                        .any(|r| r.seq != seq && JobKey::of(r).as_ref() == Some(j))
                })
            })
        };
        view! {
            <tr data-id=e.id.to_string() data-seq=seq class:fresh=move || fresh.with(|f| f.contains(&seq)) class:superseded=superseded>{cells}</tr>
        }
    };
    let live_cancelled = cancelled.clone();
    let live_row = row.clone();
    let empty = page.events.is_empty();
    view! {
        {empty.then(|| view! {
            <p class="empty">
                {format!("No {} found. ", tab.noun())}
                <span class="muted">"A filter or the time range may hide everything: try All Time, or clear the filters."</span>
            </p>
        })}
        <table class=format!("events tab-{}", tab.label().to_ascii_lowercase().replace(' ', "-"))>
            <thead><tr>{tab.columns().headers().into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}</tr></thead>
            <tbody class="live">{move || live_rows.get().into_iter().map(|e| live_row(e, &live_cancelled)).collect_view().into_any()}</tbody>
            <tbody>{page.events.into_iter().map(|e| row(e, &cancelled)).collect_view()}</tbody>
        </table>
        <p class="pager">
            {(!empty).then(|| format!("Showing {shown} {}", tab.noun()))}
            {match next {
                Some(href) => view! { " · more available " <a class="more" href=href>"Older →"</a> }.into_any_inner(),
                None if empty => ().into_any(),
                None => view! { " · end of the list" }.into_any(),
            }}
        </p>
    }
}

/// The cells of one row under the tab's headers. A record of another kind (none
/// should reach a kind's tab) is drawn as on All records.
fn cells(
    tab: Tab,
    event: &Event,
    open: &str,
    cancelled: &HashSet<JobKey>,
    cancel: ServerAction<CancelJob>,
) -> Vec<AnyView> {
    let row = Row {
        event,
        open,
        cancelled,
        cancel,
    };
    tab.columns()
        .cells(&row)
        .or_else(|| Tab::All.columns().cells(&row))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(detail: &str) -> Event {
        let json = format!(
            r#"{{"id":"019ab0f0-0000-7000-8000-000000000001","tenant_id":"acme","account_id":"acme-prod",
            "seq":7,"occurred_at":"2026-11-23T10:04:05Z","received_at":"2026-11-23T10:04:06Z",
            "actor":"zoe@acme.test","actor_type":"user","ip":null,"user_agent":null,"written_by":"vigil","metadata":{{}},
            "hash":"ab",{detail}}}"#
        );
        serde_json::from_str(&json).expect("a valid record")
    }

    #[test]
    fn a_tab_draws_a_cell_per_header_and_other_kinds_as_all_records() {
        let records = [
            (Tab::Jobs, r#""kind":"job","job_id":"job_1","status":"queued","agent":"a","job_type":"t""#),
            (Tab::Threads, r#""kind":"thread","thread_id":"thr_1","source":"slack","type":"chat""#),
            (Tab::Events, r#""kind":"system_event","type":"cron.fired","severity":"info","description":"d""#),
            (Tab::Ai, r#""kind":"ai_interaction","action":"chat","model":"m","dlp":"clean""#),
            (Tab::Admin, r#""kind":"admin_action","action":"login","resource_type":"user","event_name":"Signed in""#),
            (Tab::Usage, r#""kind":"credit_usage","ai_worker":"w","credits_consumed":"1","balance_after":"2""#),
        ]
        .map(|(tab, detail)| (tab, record(detail)));
        Owner::new().with(|| {
            let cancel = ServerAction::<CancelJob>::new();
            let none = HashSet::new();
            let count = |tab: Tab, e: &Event| cells(tab, e, "/?open=1", &none, cancel).len();
            let all = Tab::All.columns().headers().len();
            for (tab, e) in &records {
                assert_eq!(count(*tab, e), tab.columns().headers().len(), "{tab:?}");
                assert_eq!(count(Tab::All, e), all, "{tab:?} on All records");
                for (other, _) in records.iter().filter(|(t, _)| t != tab) {
                    assert_eq!(count(*other, e), all, "{tab:?} on {other:?}");
                }
            }
        });
    }
}
