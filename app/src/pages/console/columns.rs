//! Each tab's table, defined once as a list of columns: a header and the cell drawn
//! under it, side by side, so a header can never drift from its cell.
//!
//! Cells are drawn by a few helpers (`text`, `text_in`, `link`, `time_link`, `badge`):
//! each distinct cell type erased to `AnyView` costs the browser's WASM its own copy of
//! the rendering and hydration code, so the columns share these few types.

use crate::api::CancelJob;
use crate::components::{IntoAnyInner, PostForm};
use crate::model::{
    when, AdminAction, AiInteraction, CreditUsage, Event, EventDetail, Job, JobKey, JobStatus,
    SystemEvent, Thread,
};
use leptos::prelude::*;
use std::collections::HashSet;

/// What a cell may read besides its record's detail.
pub struct Row<'a> {
    pub event: &'a Event,
    /// The record's detail drawer (`?open=<chain position>`), which the row's links open.
    pub open: &'a str,
    /// Jobs of the page with a cancel request on record.
    pub cancelled: &'a HashSet<JobKey>,
    pub cancel: ServerAction<CancelJob>,
}

/// One column: its header, and how a record's cell under it is drawn from the row and
/// the record's detail `D` (the whole record on All records).
pub struct TableColumn<D: 'static> {
    pub header: &'static str,
    pub cell: fn(&Row<'_>, &D) -> AnyView,
}

/// A tab's table: the detail its cells read, and its columns in order.
pub struct Table<D: 'static> {
    /// The record's detail, or `None` for a record of another kind.
    pub detail: fn(&Event) -> Option<&D>,
    pub columns: &'static [TableColumn<D>],
}

/// A table whatever the detail its cells read, so every tab's is one type.
pub trait Columns: Sync {
    fn headers(&self) -> Vec<&'static str>;
    /// The row's cells, or `None` when its record is not of this table's kind.
    fn cells(&self, row: &Row<'_>) -> Option<Vec<AnyView>>;
}

impl<D: 'static> Columns for Table<D> {
    fn headers(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header).collect()
    }

    fn cells(&self, row: &Row<'_>) -> Option<Vec<AnyView>> {
        let detail = (self.detail)(row.event)?;
        Some(self.columns.iter().map(|c| (c.cell)(row, detail)).collect())
    }
}

const fn column<D>(header: &'static str, cell: fn(&Row<'_>, &D) -> AnyView) -> TableColumn<D> {
    TableColumn { header, cell }
}

pub static ALL: Table<Event> = Table {
    detail: |e| Some(e),
    columns: &[
        column("Time", |r, _| time_link(r)),
        column("Kind", |_, e| {
            let kind = e.detail.kind();
            badge(format!("kind kind-{}", kind.as_str()), kind.label())
        }),
        column("Account", |_, e| {
            text(e.account_id.clone().unwrap_or_else(|| "— tenant —".into()))
        }),
        column("Actor", |_, e| text(e.actor.clone())),
        column("What", |_, e| text_in("summary", e.detail.summary())),
    ],
};

pub static JOBS: Table<Job> = Table {
    detail: |e| match &e.detail {
        EventDetail::Job(j) => Some(j),
        _ => None,
    },
    columns: &[
        column("Status", |_, j| status_badge(j.status)),
        column("Job", |r, j| link("row-link mono", r, j.job_id.clone())),
        column("Agent", |_, j| text(j.agent.clone())),
        column("Model", |_, j| {
            view! { <td>{j.model.clone().unwrap_or_else(dash)} <span class="muted">{j.provider.clone().map(|p| format!(" · {p}"))}</span></td> }
                .into_any_inner()
        }),
        column("Type", |_, j| text(j.job_type.clone())),
        column("Tokens", |_, j| {
            text_in("num", format!("{} → {}", j.input_tokens, j.output_tokens))
        }),
        column("Evaluator", |_, j| {
            text(j.evaluator_status.clone().unwrap_or_else(dash))
        }),
        column("Time", |r, _| time(r)),
        // Cancel on a queued or running job, or the request already on record.
        column("", |r, j| {
            let can_cancel = matches!(j.status, JobStatus::Queued | JobStatus::Running);
            let job = JobKey::of(r.event);
            let action = if job.as_ref().is_some_and(|k| r.cancelled.contains(k)) {
                view! { <span class="badge cancel-requested">"cancel requested"</span> }
                    .into_any_inner()
            } else if can_cancel {
                let job_id = j.job_id.clone();
                let account = r.event.account_id.clone();
                view! {
                    <PostForm action=r.cancel input=|field| Ok(CancelJob { job_id: field("job_id").ok_or("job_id")?, account_id: field("account_id") })>
                        <input type="hidden" name="job_id" value=job_id/>
                        {account.map(|a| view! { <input type="hidden" name="account_id" value=a/> })}
                        <button type="submit" class="danger">"Cancel"</button>
                    </PostForm>
                }.into_any_inner()
            } else {
                ().into_any()
            };
            view! { <td>{action}</td> }.into_any_inner()
        }),
    ],
};

pub static THREADS: Table<Thread> = Table {
    detail: |e| match &e.detail {
        EventDetail::Thread(t) => Some(t),
        _ => None,
    },
    columns: &[
        column("Source", |_, t| badge("badge".into(), t.source.as_str())),
        column("Type", |_, t| text(t.thread_type.as_str().into())),
        column("Agent", |_, t| text(t.agent.clone().unwrap_or_else(dash))),
        column("Messages", |_, t| {
            text_in("num", t.message_count.to_string())
        }),
        column("Latest message", |_, t| {
            text_in("snippet", t.snippet().unwrap_or_default())
        }),
        column("Time", |r, _| time_link(r)),
    ],
};

pub static EVENTS: Table<SystemEvent> = Table {
    detail: |e| match &e.detail {
        EventDetail::SystemEvent(s) => Some(s),
        _ => None,
    },
    columns: &[
        column("Type", |r, s| {
            link("row-link mono", r, s.event_type.clone())
        }),
        column("Severity", |_, s| {
            badge(
                format!("badge severity-{}", s.severity.as_str()),
                s.severity.as_str(),
            )
        }),
        column("Description", |_, s| text(s.description.clone())),
        column("Agent", |_, s| text(s.agent.clone().unwrap_or_else(dash))),
        column("Time", |r, _| time(r)),
    ],
};

pub static AI: Table<AiInteraction> = Table {
    detail: |e| match &e.detail {
        EventDetail::AiInteraction(a) => Some(a),
        _ => None,
    },
    columns: &[
        column("User", |r, _| link("row-link", r, r.event.actor.clone())),
        column("Action", |_, a| text(a.action.clone())),
        column("Resource", |_, a| {
            text_in("mono", a.resource.clone().unwrap_or_else(dash))
        }),
        column("Model", |_, a| text(a.model.clone())),
        column("Tokens", |_, a| {
            text_in("num", format!("{} → {}", a.input_tokens, a.output_tokens))
        }),
        column("Cost", |_, a| {
            text_in("num", a.cost.map_or_else(dash, |c| format!("${c}")))
        }),
        column("DLP", |_, a| {
            let class = if a.dlp.is_flagged() {
                "badge dlp-flagged"
            } else {
                "badge dlp-clean"
            };
            badge(class.into(), &a.dlp.to_string())
        }),
        column("IP", |r, _| ip(r)),
        column("Time", |r, _| time(r)),
    ],
};

pub static ADMIN: Table<AdminAction> = Table {
    detail: |e| match &e.detail {
        EventDetail::AdminAction(a) => Some(a),
        _ => None,
    },
    columns: &[
        column("Event", |r, a| link("row-link", r, a.event_name.clone())),
        column("Category", |_, a| badge("badge".into(), &a.resource_type)),
        column("User", |r, _| text(r.event.actor.clone())),
        column("Date and time", |r, _| time(r)),
        column("Description", |r, _| text(r.event.detail.summary())),
        column("IP", |r, _| ip(r)),
    ],
};

pub static USAGE: Table<CreditUsage> = Table {
    detail: |e| match &e.detail {
        EventDetail::CreditUsage(c) => Some(c),
        _ => None,
    },
    columns: &[
        column("Time", |r, _| time_link(r)),
        column("Actor", |r, _| text(r.event.actor.clone())),
        column("AI worker", |_, c| text(c.ai_worker.clone())),
        column("Executions", |_, c| {
            text_in("num", c.executions.to_string())
        }),
        column("Credits", |_, c| {
            text_in("num", c.credits_consumed.to_string())
        }),
        column("Balance after", |_, c| {
            text_in("num", c.balance_after.to_string())
        }),
    ],
};

fn dash() -> String {
    "—".to_owned()
}

/// `<td>text</td>`
fn text(text: String) -> AnyView {
    view! { <td>{text}</td> }.into_any_inner()
}

/// `<td class=…>text</td>`
fn text_in(class: &'static str, text: String) -> AnyView {
    view! { <td class=class>{text}</td> }.into_any_inner()
}

/// A cell linking to the record's detail drawer.
fn link(class: &'static str, row: &Row<'_>, text: String) -> AnyView {
    view! { <td><a class=class href=row.open.to_owned()>{text}</a></td> }.into_any_inner()
}

/// `<td><span class=…>text</span></td>`
fn badge(class: String, text: &str) -> AnyView {
    view! { <td><span class=class>{text.to_owned()}</span></td> }.into_any_inner()
}

fn status_badge(status: JobStatus) -> AnyView {
    badge(format!("badge status-{}", status.as_str()), status.as_str())
}

/// When the record occurred, in UTC.
fn time(row: &Row<'_>) -> AnyView {
    text_in("time", when::date_time(&row.event.occurred_at))
}

/// When the record occurred, linking to its detail drawer.
fn time_link(row: &Row<'_>) -> AnyView {
    let time = when::date_time(&row.event.occurred_at);
    view! { <td class="time"><a class="row-link" href=row.open.to_owned()>{time}</a></td> }
        .into_any_inner()
}

fn ip(row: &Row<'_>) -> AnyView {
    text_in("mono", row.event.ip.clone().unwrap_or_else(dash))
}
