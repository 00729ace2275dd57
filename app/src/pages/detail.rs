//! One record in full. Platform text is rendered as text (Leptos escapes it), never HTML.

use crate::api::event_detail;
use crate::components::TopBar;
use crate::model::{Event, EventDetail};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let record = Resource::new(id, event_detail);
    view! {
        <TopBar/>
        <main class="content">
            <a class="back" href="/">"← All records"</a>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match record.await {
                        Ok(Some(e)) => view! { <Record event=e/> }.into_any(),
                        Ok(None) => view! { <p class="empty">"Record not found."</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[component]
fn Record(event: Event) -> impl IntoView {
    let kind = event.detail.kind();
    let fields: Vec<(&str, String)> = vec![
        ("ID", event.id.to_string()),
        ("Tenant", event.tenant_id.clone()),
        (
            "Account",
            event
                .account_id
                .clone()
                .unwrap_or_else(|| "— tenant —".into()),
        ),
        ("Occurred", event.occurred_at.to_rfc3339()),
        ("Received", event.received_at.to_rfc3339()),
        ("Actor", format!("{} ({})", event.actor, event.actor_type)),
        ("IP", event.ip.clone().unwrap_or_default()),
        ("User agent", event.user_agent.clone().unwrap_or_default()),
        ("Chain position", event.seq.to_string()),
        ("Hash", event.hash.clone()),
    ];
    let changes = match &event.detail {
        EventDetail::AdminAction(a) if a.old_value.is_some() || a.new_value.is_some() => {
            Some((pretty(&a.old_value), pretty(&a.new_value)))
        }
        _ => None,
    };
    view! {
        <h1 class="detail-title">
            <span class=format!("kind kind-{}", kind.as_str())>{kind.label()}</span>
            " "
            {event.detail.summary()}
        </h1>
        <dl class="fields">
            {fields
                .into_iter()
                .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                .collect_view()}
        </dl>
        {changes.map(|(old, new)| view! {
            <div class="diff">
                <section><h2>"Old value"</h2><pre>{old}</pre></section>
                <section><h2>"New value"</h2><pre>{new}</pre></section>
            </div>
        })}
        <h2>"Record"</h2>
        <pre class="json">{pretty(&event.detail)}</pre>
        <h2>"Metadata"</h2>
        <pre class="json">{pretty(&event.metadata)}</pre>
    }
}
