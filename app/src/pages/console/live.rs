//! Live mode: new records every 5 s while the browser tab is visible, and the line
//! that says so.

use crate::components::ShowIf;
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use {
    crate::api::ConsoleError,
    crate::model::{when, ConsoleQuery, Event, EventKind, EventPage, JobKey},
    std::collections::HashSet,
};

/// Polls every 5 s for the records that arrived since the page was read (by chain
/// sequence, whatever time they claim), while Live is on and the browser tab is visible.
#[cfg(feature = "hydrate")]
pub(super) fn live_mode(
    query: Memo<ConsoleQuery>,
    live: Memo<bool>,
    page: Resource<Result<EventPage, ConsoleError>, crate::codec::Json>,
    live_rows: RwSignal<Vec<Event>>,
    fresh: RwSignal<HashSet<i64>>,
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
            // Where to poll from: the chain position the page was read at, then the
            // last record each poll returned.
            let mut after_seq: Option<i64> = None;
            loop {
                gloo_timers::future::TimeoutFuture::new(5_000).await;
                if generation.try_get_value() != Some(mine) {
                    break;
                }
                if document().hidden() {
                    continue;
                }
                let Some(from) = after_seq.or_else(|| {
                    page.get_untracked()
                        .and_then(|p| p.ok())
                        .map(|p| p.live_after_seq)
                }) else {
                    continue;
                };
                if let Ok(p) = crate::api::poll_records(q.clone(), from).await {
                    if generation.try_get_value() != Some(mine) {
                        break;
                    }
                    after_seq = Some(p.live_after_seq);
                    // A record the page already shows (appended while it was read)
                    // is not shown twice.
                    let shown: HashSet<i64> = page
                        .get_untracked()
                        .and_then(|p| p.ok())
                        .map(|p| p.events.iter().map(|e| e.seq).collect())
                        .unwrap_or_default();
                    let mut new: Vec<Event> = p
                        .events
                        .into_iter()
                        .rev() // polled oldest first; shown newest first
                        .filter(|e| !shown.contains(&e.seq))
                        .collect();
                    let seqs: HashSet<i64> = new.iter().map(|e| e.seq).collect();
                    fresh.set(seqs.clone());
                    let latest_only = q.kind == Some(EventKind::Job);
                    live_rows.update(|rows| {
                        rows.retain(|r| !seqs.contains(&r.seq));
                        if latest_only {
                            // A job's newer state replaces its older live row.
                            let renewed: HashSet<JobKey> =
                                new.iter().filter_map(JobKey::of).collect();
                            rows.retain(|r| JobKey::of(r).is_none_or(|j| !renewed.contains(&j)));
                            let mut seen = HashSet::new();
                            new.retain(|e| JobKey::of(e).is_none_or(|j| seen.insert(j)));
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
