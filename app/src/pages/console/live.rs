//! Live mode: new records every 5 s while the browser tab is visible, and the line
//! that says so.

use crate::components::ShowIf;
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use {
    super::job_of,
    crate::model::{when, ConsoleQuery, Event, EventKind, EventPage},
    std::collections::HashSet,
};

/// Polls every 5 s for records newer than the newest shown, while Live is on and the
/// browser tab is visible.
#[cfg(feature = "hydrate")]
pub(super) fn live_mode(
    query: Memo<ConsoleQuery>,
    live: Memo<bool>,
    page: Resource<Result<EventPage, ServerFnError>, crate::codec::Json>,
    live_rows: RwSignal<Vec<Event>>,
    fresh: RwSignal<HashSet<uuid::Uuid>>,
    refreshed: RwSignal<Option<String>>,
) {
    let generation = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let (on, q) = (live.get(), query.get());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if !on {
            return;
        }
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(5_000).await;
                if generation.try_get_value() != Some(mine) {
                    break;
                }
                if document().hidden() {
                    continue;
                }
                let newest = live_rows
                    .with_untracked(|r| r.first().cloned())
                    .or_else(|| {
                        page.get_untracked()
                            .and_then(|p| p.ok())
                            .and_then(|p| p.events.first().cloned())
                    });
                let (after_ms, after_id) = newest
                    .map(|e| (e.occurred_at.timestamp_millis(), e.id.to_string()))
                    .unwrap_or((0, uuid::Uuid::nil().to_string()));
                if let Ok(p) = crate::api::poll_records(q.clone(), after_ms, after_id).await {
                    if generation.try_get_value() != Some(mine) {
                        break;
                    }
                    let ids: HashSet<uuid::Uuid> = p.events.iter().map(|e| e.id).collect();
                    fresh.set(ids);
                    let latest_only = q.kind == Some(EventKind::Job);
                    live_rows.update(|rows| {
                        let mut new = p.events;
                        if latest_only {
                            // A job's newer state replaces its older live row.
                            let renewed: HashSet<String> = new
                                .iter()
                                .filter_map(|e| job_of(e).map(str::to_owned))
                                .collect();
                            rows.retain(|r| job_of(r).is_none_or(|j| !renewed.contains(j)));
                        }
                        new.append(rows);
                        *rows = new;
                    });
                    refreshed.set(Some(format!(
                        "{} UTC",
                        when::time_of_day(&chrono::Utc::now())
                    )));
                }
            }
        });
    });
}

/// "Live: refreshing every 5 seconds", and when it last did, while Live is on.
#[component]
pub(super) fn LiveStatus(live: Memo<bool>, refreshed: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <ShowIf when=Signal::derive(move || live.get())>
            <p class="live-status" role="status">
                <span class="live-dot"></span>
                "Live: refreshing every 5 seconds"
                {move || refreshed.get().map(|t| format!(" · last refreshed {t}")).into_any()}
            </p>
        </ShowIf>
    }
}
