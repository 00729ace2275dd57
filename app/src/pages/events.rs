//! The first console page: the newest records of the viewer's scope, by kind.

use crate::api::{current_viewer, recent_events};
use crate::model::{Event, EventKind, EventPage, Viewer};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || {
        query
            .read()
            .get("kind")
            .and_then(|k| k.parse::<EventKind>().ok())
    };
    let cursor = move || query.read().get("cursor");
    let page = Resource::new(move || (kind(), cursor()), |(k, c)| recent_events(k, c));
    let viewer = Resource::new(|| (), |_| current_viewer());

    view! {
        <header class="topbar">
            <a class="brand" href="/">"Vigil"</a>
            <span class="tagline">"Audit log"</span>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|v| view! { <ViewerBadge viewer=v/> })
                })}
            </Transition>
        </header>
        <nav class="tabs" aria-label="Record kinds">
            <KindTab kind=None current=Signal::derive(kind)/>
            {EventKind::ALL
                .iter()
                .map(|k| view! { <KindTab kind=Some(*k) current=Signal::derive(kind)/> })
                .collect_view()}
        </nav>
        <main class="content">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <EventTable page=p kind=kind()/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn ViewerBadge(viewer: Viewer) -> impl IntoView {
    view! {
        <div class="viewer">
            <span class="viewer-email">{viewer.email}</span>
            <span class="viewer-scope">{viewer.tenant_name} " · " {viewer.role.as_str()}</span>
            <form method="post" action="/auth/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}

#[component]
fn KindTab(kind: Option<EventKind>, current: Signal<Option<EventKind>>) -> impl IntoView {
    let href = match kind {
        Some(k) => format!("/?kind={}", k.as_str()),
        None => "/".to_owned(),
    };
    let label = kind.map_or("All records", EventKind::label);
    view! {
        <a href=href class="tab" class:active=move || current.get() == kind>{label}</a>
    }
}

fn time_text(e: &Event) -> String {
    e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
fn EventTable(page: EventPage, kind: Option<EventKind>) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <p class="empty">"No records yet. Records sent to POST /api/v1/events appear here."</p>
        }
        .into_any();
    }
    let next = page.next_cursor.map(|c| match kind {
        Some(k) => format!("/?kind={}&cursor={}", k.as_str(), c),
        None => format!("/?cursor={c}"),
    });
    view! {
        <table class="events">
            <thead>
                <tr>
                    <th>"Time"</th>
                    <th>"Kind"</th>
                    <th>"Account"</th>
                    <th>"Actor"</th>
                    <th>"What"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .events
                    .into_iter()
                    .map(|e| {
                        let kind = e.detail.kind();
                        view! {
                            <tr data-id=e.id.to_string()>
                                <td class="time">{time_text(&e)}</td>
                                <td><span class=format!("kind kind-{}", kind.as_str())>{kind.label()}</span></td>
                                <td>{e.account_id.clone()}</td>
                                <td>{e.actor.clone()}</td>
                                <td class="summary">{e.detail.summary()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <a class="more" href=href>"Older records →"</a> })}
    }
    .into_any()
}
