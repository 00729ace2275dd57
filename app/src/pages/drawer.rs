//! The detail drawer: a record in full beside the list, which stays where it was.
//! Text from the platform is rendered as text (escaped), never as HTML.

use crate::api::{event_detail, job_history, ConsoleError, ConsoleResult};
use crate::components::IntoAnyInner;
use crate::model::{when, Event, EventDetail, JobKey, RecordView};
use leptos::prelude::*;

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[component]
pub fn Drawer(id: String, close: String) -> impl IntoView {
    let record = crate::codec::resource(move || id.clone(), event_detail);
    view! {
        <aside class="drawer" role="dialog" aria-label="Record detail">
            <a class="drawer-close" href=close aria-label="Close">"✕"</a>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move { record_or_reason(record.await) })}
            </Transition>
        </aside>
    }
}

/// A fetched record, or why there is none ("not found" also for another scope's id).
pub fn record_or_reason(result: ConsoleResult<RecordView>) -> AnyView {
    match result {
        Ok(r) => view! { <RecordDetail event=r.event writer=r.writer/> }.into_any_inner(),
        Err(ConsoleError::NotFound) => {
            view! { <p class="empty">"Record not found."</p> }.into_any_inner()
        }
        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
    }
}

#[component]
pub fn RecordDetail(event: Event, writer: String) -> impl IntoView {
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
        ("Written by", format!("{writer} · {}", event.written_by)),
        ("Chain position", event.seq.to_string()),
        ("Hash", event.hash.clone()),
    ];
    let specific = match &event.detail {
        EventDetail::AdminAction(a) if a.old_value.is_some() || a.new_value.is_some() => {
            let (old, new) = (pretty(&a.old_value), pretty(&a.new_value));
            view! {
                <div class="diff">
                    <section><h2>"Old value"</h2><pre>{old}</pre></section>
                    <section><h2>"New value"</h2><pre>{new}</pre></section>
                </div>
            }
            .into_any_inner()
        }
        EventDetail::Job(j) => {
            let (prompt, response) = (
                j.prompt.clone().unwrap_or_default(),
                j.response.clone().unwrap_or_default(),
            );
            let error = j.error.clone();
            let history = crate::codec::resource(
                {
                    let job = JobKey::of(&event);
                    move || job.clone()
                },
                |job: Option<JobKey>| async move {
                    match job {
                        Some(job) => job_history(job.job_id, job.account_id).await,
                        None => Ok(Vec::new()),
                    }
                },
            );
            view! {
                <h2>"Prompt"</h2><pre class="text">{prompt}</pre>
                <h2>"Response"</h2><pre class="text">{response}</pre>
                {error.map(|e| view! { <h2>"Error"</h2><pre class="text error">{e}</pre> })}
                <h2>"Status history"</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = history.await.unwrap_or_default();
                        view! {
                            <ol class="history">
                                {list.into_iter().filter_map(|e| match e.detail {
                                    EventDetail::Job(j) => Some(view! {
                                        <li><span class=format!("badge status-{}", j.status.as_str())>{j.status.as_str()}</span>
                                            " " {format!("{} UTC", when::date_time(&e.occurred_at))}</li>
                                    }),
                                    _ => None,
                                }).collect_view()}
                            </ol>
                        }
                        .into_any_inner()
                    })}
                </Transition>
            }
            .into_any_inner()
        }
        EventDetail::Thread(t) => {
            let messages = t.transcript.clone();
            view! {
                <h2>"Transcript"</h2>
                <ol class="transcript">
                    {messages.into_iter().map(|m| view! { <li><strong>{m.role}</strong> ": " {m.content}</li> }).collect_view()}
                </ol>
            }
            .into_any_inner()
        }
        _ => ().into_any(),
    };
    view! {
        <h1 class="detail-title">
            <span class=format!("kind kind-{}", kind.as_str())>{kind.label()}</span>
            " "
            {event.detail.summary()}
        </h1>
        <dl class="fields">
            {fields.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="copyable">{v}</dd> }).collect_view()}
        </dl>
        // Its place in the tenant's signed Merkle tree, to check offline (README, "Trust").
        <p class="proof">
            <a href=format!("/proof?seq={}", event.seq) download rel="nofollow">"Download inclusion proof"</a>
            <span class="muted">" · the record's leaf, its proof and the signed checkpoint it verifies against"</span>
        </p>
        {specific}
        <h2>"Metadata"</h2>
        <pre class="json">{pretty(&event.metadata)}</pre>
        <h2>"Record"</h2>
        <pre class="json">{pretty(&event.detail)}</pre>
    }
}
