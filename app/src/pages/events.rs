//! The console's record list: the newest records of the viewer's scope, by kind
//! and (for tenant admins) by account.

use crate::api::{my_accounts, recent_events};
use crate::components::TopBar;
use crate::model::{Event, EventKind, EventPage, Role};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The list's URL for these filters (the URL is the state: links and back/forward work).
fn list_href(kind: Option<EventKind>, account: Option<&str>, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(k) = kind {
        parts.push(format!("kind={}", k.as_str()));
    }
    if let Some(a) = account {
        parts.push(format!("account={}", urlencode(a)));
    }
    if let Some(c) = cursor {
        parts.push(format!("cursor={c}"));
    }
    if parts.is_empty() {
        "/".into()
    } else {
        format!("/?{}", parts.join("&"))
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || {
        query
            .read()
            .get("kind")
            .and_then(|k| k.parse::<EventKind>().ok())
    };
    let account = move || query.read().get("account").filter(|a| !a.is_empty());
    let cursor = move || query.read().get("cursor");
    let page = Resource::new(
        move || (kind(), account(), cursor()),
        |(k, a, c)| recent_events(k, a, c),
    );

    view! {
        <TopBar/>
        <nav class="tabs" aria-label="Record kinds">
            <KindTab kind=None current=Signal::derive(kind) account=Signal::derive(account)/>
            {EventKind::ALL
                .iter()
                .map(|k| view! { <KindTab kind=Some(*k) current=Signal::derive(kind) account=Signal::derive(account)/> })
                .collect_view()}
        </nav>
        <main class="content">
            <AccountSelector kind=Signal::derive(kind) account=Signal::derive(account)/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <EventTable page=p kind=kind() account=account()/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// Tenant admins may narrow the list to one account; account admins see no selector.
#[component]
fn AccountSelector(
    kind: Signal<Option<EventKind>>,
    account: Signal<Option<String>>,
) -> impl IntoView {
    let viewer = Resource::new(|| (), |_| crate::api::current_viewer());
    let accounts = Resource::new(|| (), |_| my_accounts());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let is_tenant_admin = matches!(viewer.await, Ok(Some(v)) if v.role == Role::TenantAdmin);
                let list = accounts.await.unwrap_or_default();
                is_tenant_admin.then(|| {
                    let selected = account.get_untracked().unwrap_or_default();
                    view! {
                        <Form method="GET" action="/" attr:class="filters">
                            {kind.get_untracked().map(|k| view! { <input type="hidden" name="kind" value=k.as_str()/> })}
                            <label>
                                "Account "
                                <select name="account" aria-label="Account">
                                    <option value="" selected=selected.is_empty()>"All accounts"</option>
                                    {list
                                        .into_iter()
                                        .map(|a| {
                                            let is = a.id == selected;
                                            {
                                                let label = format!("{} ({})", a.name, a.id);
                                                view! { <option value=a.id selected=is>{label}</option> }
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <button type="submit">"Show"</button>
                        </Form>
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn KindTab(
    kind: Option<EventKind>,
    current: Signal<Option<EventKind>>,
    account: Signal<Option<String>>,
) -> impl IntoView {
    let label = kind.map_or("All records", EventKind::label);
    view! {
        <a
            href=move || list_href(kind, account.get().as_deref(), None)
            class="tab"
            class:active=move || current.get() == kind
        >
            {label}
        </a>
    }
}

fn time_text(e: &Event) -> String {
    e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
fn EventTable(page: EventPage, kind: Option<EventKind>, account: Option<String>) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <p class="empty">"No records found. Records sent to POST /api/v1/events appear here; the account filter may hide some."</p>
        }
        .into_any();
    }
    let next = page
        .next_cursor
        .map(|c| list_href(kind, account.as_deref(), Some(&c)));
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
                        let href = format!("/events/{}", e.id);
                        view! {
                            <tr data-id=e.id.to_string()>
                                <td class="time"><a href=href>{time_text(&e)}</a></td>
                                <td><span class=format!("kind kind-{}", kind.as_str())>{kind.label()}</span></td>
                                <td>{e.account_id.clone().unwrap_or_else(|| "— tenant —".into())}</td>
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
