//! A console tab: filter bar, the list (keyset pages, Live mode) and the detail drawer.
//! Every filter lives in the URL, so a link reproduces the view and back/forward work.
//!
//! One file per piece: the tab page here; `filter_bar` (with `account_select` and the
//! filter `builder`), `record_table` and each tab's `columns`, and `live` (Live mode).

mod account_select;
mod builder;
pub mod columns;
mod filter_bar;
mod live;
mod record_table;

use super::tabs::Tab;
use crate::api::{list_records, CancelJob, ConsoleError};
use crate::components::{IntoAnyInner, ShowIf};
use crate::model::{ConsoleQuery, Event};
use filter_bar::FilterBar;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use live::LiveStatus;
use record_table::RecordTable;
use std::collections::HashSet;

/// The URL of `tab` showing `q`, keeping Live mode and adding `extra`.
fn tab_href(tab: Tab, q: &ConsoleQuery, live: bool, extra: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = Vec::new();
    if live {
        all.push(("live", "1"));
    }
    all.extend_from_slice(extra);
    q.href(tab.path(), &all)
}

/// A failed page's reason as the viewer should read it: the server's own words when it
/// refused the query (a search too short, a stale cursor), or what to do next.
fn error_text(e: ConsoleError) -> String {
    match e {
        ConsoleError::SignedOut => "Your session has ended: sign in again.".into(),
        ConsoleError::NotFound => "Not found, or not visible to you.".into(),
        ConsoleError::Unavailable => {
            "The audit store is unavailable right now; try again in a moment.".into()
        }
        other => other.to_string(),
    }
}

#[component]
pub fn TabPage(tab: Tab) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        ConsoleQuery::from_params(
            tab.kind(),
            |k| p.get(k),
            |k| p.get_all(k).unwrap_or_default(),
        )
    });
    let cursor = Memo::new(move |_| params.read().get("cursor"));
    let open = Memo::new(move |_| params.read().get("open"));
    let live = Memo::new(move |_| params.read().get("live").as_deref() == Some("1"));
    let usage_view =
        Memo::new(move |_| super::usage::UsageView::parse(params.read().get("view").as_deref()));
    let page = crate::codec::resource(
        move || (query.get(), cursor.get()),
        |(q, c)| list_records(q, c),
    );
    let cancel = ServerAction::<CancelJob>::new();
    // Cancelling refetches the page so the row shows the request.
    Effect::new(move |prev: Option<usize>| {
        let v = cancel.version().get();
        if prev.is_some_and(|p| p != v) {
            page.refetch();
        }
        v
    });

    let live_rows = RwSignal::new(Vec::<Event>::new());
    let fresh = RwSignal::new(HashSet::<i64>::new());
    let refreshed = RwSignal::new(None::<String>);
    // New filters start a new live list.
    Effect::new(move |_| {
        query.track();
        live_rows.set(Vec::new());
    });
    #[cfg(feature = "hydrate")]
    live::live_mode(query, live, page, live_rows, fresh, refreshed);

    view! {
        <nav class="tabs" aria-label="Console tabs">
            {Tab::ALL
                .iter()
                .map(|t| {
                    let t = *t;
                    view! {
                        <a href=move || tab_href(t, &ConsoleQuery { kind: t.kind(), ..query.get() }, live.get(), &[])
                            class="tab" class:active=move || t == tab>{t.label()}</a>
                    }
                })
                .collect_view()}
        </nav>
        <main class="content">
            <FilterBar tab query live/>
            <LiveStatus live refreshed/>
            {(tab == Tab::Usage).then(|| view! { <super::usage::UsageNav query view=usage_view/> })}
            <ShowIf when=Signal::derive(move || tab != Tab::Usage || usage_view.get() == super::usage::UsageView::Details)>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <RecordTable tab page=p query live live_rows fresh cancel/> }.into_any_inner(),
                        Err(e) => view! { <p class="error" role="alert">{error_text(e)}</p> }.into_any_inner(),
                    }
                })}
            </Transition>
            </ShowIf>
            {(tab == Tab::Usage).then(|| view! { <super::usage::UsageViews query view=usage_view/> })}
        </main>
        {move || open.get().map(|id| view! { <super::drawer::Drawer id close=tab_href(tab, &query.get(), live.get(), &[])/> }).into_any()}
    }
    .into_any_inner()
}
