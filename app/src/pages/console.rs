//! A console tab: filter bar, the list (keyset pages, Live mode) and the detail drawer.
//! Every filter lives in the URL, so a link reproduces the view and back/forward work.

use super::tabs::{choices, Tab};
use crate::api::{list_records, CancelJob};
use crate::components::IntoAnyInner;
use crate::components::{PostForm, ShowIf};
use crate::contexts::Console;
use crate::model::{
    when, Column, Condition, ConsoleQuery, Event, EventDetail, EventPage, JobStatus, Join, Op,
    Role, TimePreset,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
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

/// The job a record belongs to, if it is a job record.
fn job_of(e: &Event) -> Option<&str> {
    match &e.detail {
        EventDetail::Job(j) => Some(&j.job_id),
        _ => None,
    }
}

fn time_text(e: &Event) -> String {
    when::date_time(&e.occurred_at)
}

/// A failed page's reason as the viewer should read it: the server's own words when it
/// refused the query (a search too short, a stale cursor), without server_fn's prefix.
fn error_text(e: ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(reason) => reason,
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
    let fresh = RwSignal::new(HashSet::<uuid::Uuid>::new());
    let refreshed = RwSignal::new(None::<String>);
    // New filters start a new live list.
    Effect::new(move |_| {
        query.track();
        live_rows.set(Vec::new());
    });
    #[cfg(feature = "hydrate")]
    live_mode(query, live, page, live_rows, fresh, refreshed);

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

/// Polls every 5 s for records newer than the newest shown, while Live is on and the
/// browser tab is visible.
#[cfg(feature = "hydrate")]
fn live_mode(
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
                    let latest_only = q.kind == Some(crate::model::EventKind::Job);
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

#[component]
fn LiveStatus(live: Memo<bool>, refreshed: RwSignal<Option<String>>) -> impl IntoView {
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

#[component]
fn FilterBar(tab: Tab, query: Memo<ConsoleQuery>, live: Memo<bool>) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |q: ConsoleQuery, live: bool| {
        navigate(&tab_href(tab, &q, live, &[]), Default::default())
    };
    let go = StoredValue::new(go);
    let update = move |f: &dyn Fn(&mut ConsoleQuery)| {
        let mut q = query.get_untracked();
        f(&mut q);
        go.with_value(|go| go(q, live.get_untracked()));
    };
    let update = StoredValue::new(update);
    let set_quick = move |column: Column, value: String| {
        update.with_value(|u| {
            u(&|q: &mut ConsoleQuery| {
                q.quick.retain(|c| c.column != column);
                if !value.is_empty() {
                    q.quick.push(Condition {
                        column,
                        op: Op::Eq,
                        value: value.clone(),
                    });
                }
            })
        })
    };

    // Search waits for a 300 ms pause in typing.
    let search_timer = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(h) = search_timer.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                update.with_value(|u| {
                    u(&|q: &mut ConsoleQuery| {
                        q.search = Some(text.trim().to_owned()).filter(|t| !t.is_empty())
                    })
                })
            },
            std::time::Duration::from_millis(300),
        )
        .ok();
        search_timer.set_value(handle);
    };

    let now = chrono::Utc::now();
    let export = move |format: &'static str| {
        let q = query.get();
        let kind = q.kind.map(|k| k.as_str()).unwrap_or("");
        q.href("/export", &[("format", format), ("kind", kind)])
    };

    view! {
        <form class="filters" method="get" action=tab.path() role="search">
            <label class="field">
                "Time range "
                <select name="range" aria-label="Time range"
                    on:change=move |ev| {
                        let preset: TimePreset = event_target_value(&ev).parse().unwrap_or(TimePreset::Last30Days);
                        update.with_value(|u| u(&|q: &mut ConsoleQuery| {
                            q.range.preset = preset;
                            if preset != TimePreset::Custom {
                                q.range.from = None;
                                q.range.to = None;
                            }
                        }));
                    }>
                    {TimePreset::ALL.iter().map(|p| {
                        let p = *p;
                        view! { <option value=p.as_str() selected=move || query.get().range.preset == p>{p.label()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <ShowIf when=Signal::derive(move || query.get().range.preset == TimePreset::Custom)>
                <label class="field">"From "
                    <input type="date" name="from" aria-label="Start date"
                        prop:value=move || query.get().range.from.map(|d| d.to_string()).unwrap_or_default()
                        on:change=move |ev| {
                            let d = when::parse_date(&event_target_value(&ev));
                            update.with_value(|u| u(&|q: &mut ConsoleQuery| q.range.from = d));
                        }/>
                </label>
                <label class="field">"To "
                    <input type="date" name="to" aria-label="End date"
                        prop:value=move || query.get().range.to.unwrap_or_else(|| chrono::Utc::now().date_naive()).to_string()
                        on:change=move |ev| {
                            let d = when::parse_date(&event_target_value(&ev));
                            update.with_value(|u| u(&|q: &mut ConsoleQuery| q.range.to = d));
                        }/>
                </label>
            </ShowIf>
            {tab.quick().iter().map(|c| {
                let c = *c;
                match choices(c) {
                    Some(options) => view! {
                        <label class="field">{c.label()} " "
                            <select name=c.as_str() aria-label=c.label()
                                on:change=move |ev| set_quick(c, event_target_value(&ev))>
                                <option value="">"All"</option>
                                {options.into_iter().map(|o| view! {
                                    <option value=o selected=move || query.get().quick_value(c) == Some(o)>{o}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }.into_any_inner(),
                    None => view! {
                        <label class="field">{c.label()} " "
                            <input type="text" name=c.as_str() aria-label=c.label() placeholder="any" size="12"
                                prop:value=move || query.get().quick_value(c).unwrap_or("").to_owned()
                                on:change=move |ev| set_quick(c, event_target_value(&ev))/>
                        </label>
                    }.into_any_inner(),
                }
            }).collect_view()}
            <label class="field search">
                <input type="search" name="q" aria-label="Search" placeholder=tab.search_hint()
                    prop:value=move || query.get().search.unwrap_or_default()
                    on:input=on_search/>
            </label>
            <AccountSelect query update/>
            <noscript><button type="submit">"Apply"</button></noscript>
            <label class="field live-toggle">
                <input type="checkbox" aria-label="Live" prop:checked=move || live.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        go.with_value(|go| go(query.get_untracked(), on));
                    }/>
                " Live"
            </label>
            <span class="exports">
                <a class="button" href=move || export("csv") download>"Export CSV"</a>
                <a class="button" href=move || export("json") download>"Export JSON"</a>
            </span>
        </form>
        <p class="range-words">{move || query.get().range.describe(now).into_any()}</p>
        <Builder tab query update/>
    }
    .into_any_inner()
}

/// Tenant admins may narrow the tab to one account; account admins see no selector.
#[component]
fn AccountSelect(
    query: Memo<ConsoleQuery>,
    update: StoredValue<impl Fn(&dyn Fn(&mut ConsoleQuery)) + Send + Sync + 'static>,
) -> impl IntoView {
    let Console { viewer, accounts } = Console::get();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let tenant_admin = matches!(viewer.await, Ok(Some(v)) if v.role == Role::TenantAdmin);
                let list = accounts.await.unwrap_or_default();
                tenant_admin.then(|| view! {
                    <label class="field">"Account "
                        <select name="account" aria-label="Account"
                            on:change=move |ev| {
                                let a = Some(event_target_value(&ev)).filter(|a| !a.is_empty());
                                update.with_value(|u| u(&|q: &mut ConsoleQuery| q.account = a.clone()));
                            }>
                            <option value="">"All accounts"</option>
                            {list.into_iter().map(|a| {
                                let id = a.id.clone();
                                let label = format!("{} ({})", a.name, a.id);
                                view! { <option value=a.id selected=move || query.get().account.as_deref() == Some(id.as_str())>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }).into_any()
            })}
        </Transition>
    }
}

/// Rows of column / operator / value, joined all by AND or all by OR.
#[component]
fn Builder(
    tab: Tab,
    query: Memo<ConsoleQuery>,
    update: StoredValue<impl Fn(&dyn Fn(&mut ConsoleQuery)) + Send + Sync + 'static>,
) -> impl IntoView {
    let draft = RwSignal::new(Vec::<(Column, Op, String)>::new());
    let join = RwSignal::new(Join::And);
    Effect::new(move |_| {
        let q = query.get();
        draft.set(
            q.builder
                .iter()
                .map(|c| (c.column, c.op, c.value.clone()))
                .collect(),
        );
        join.set(q.join.unwrap_or(Join::And));
    });
    let first_column = tab.builder()[0];
    let apply = move |_| {
        let rows: Vec<Condition> = draft
            .get_untracked()
            .into_iter()
            .filter(|(_, _, v)| !v.trim().is_empty())
            .map(|(column, op, value)| Condition {
                column,
                op,
                value: value.trim().to_owned(),
            })
            .collect();
        let j = join.get_untracked();
        update.with_value(|u| {
            u(&|q: &mut ConsoleQuery| {
                q.builder = rows.clone();
                q.join = (rows.len() > 1).then_some(j);
            })
        });
    };
    // The rows are redrawn from `draft` whenever it changes, in place, row by row: no
    // keyed `For`, whose diffing costs the browser's WASM about 10 KB gzipped. So every
    // edit goes through `draft`, and the selects and input take their values as
    // properties, which in-place redraws (a removed row's place taken by the next) set
    // even after the viewer changed them; the `selected` attributes pick a new row's.
    let rows = move || draft.get().into_iter().enumerate();
    view! {
        <section class="builder" aria-label="Filter builder">
            {move || rows().map(|(i, (column, op, value))| {
                    view! {
                        <div class="builder-row">
                            {(i > 0).then(|| view! { <span class="join-word">{move || join.get().as_str().to_ascii_uppercase().into_any()}</span> })}
                            <select aria-label="Column" prop:value=column.as_str() on:change=move |ev| {
                                let c = event_target_value(&ev).parse().unwrap_or(first_column);
                                draft.update(|d| d[i].0 = c);
                            }>
                                {tab.builder().iter().map(|c| view! { <option value=c.as_str() selected=*c == column>{c.label()}</option> }).collect_view()}
                            </select>
                            <select aria-label="Operator" prop:value=op.as_str() on:change=move |ev| {
                                let o = event_target_value(&ev).parse().unwrap_or(Op::Eq);
                                draft.update(|d| d[i].1 = o);
                            }>
                                <option value="eq" selected=op == Op::Eq>"is equal to"</option>
                                <option value="ne" selected=op == Op::Ne>"is not equal to"</option>
                            </select>
                            <input type="text" aria-label="Value" prop:value=value on:input=move |ev| {
                                let v = event_target_value(&ev);
                                draft.update(|d| d[i].2 = v);
                            }/>
                            <button type="button" class="icon" aria-label="Remove condition" on:click=move |_| draft.update(|d| { d.remove(i); })>"✕"</button>
                        </div>
                    }
                }).collect_view().into_any()}
            <div class="builder-actions">
                <button type="button" on:click=move |_| draft.update(|d| d.push((first_column, Op::Eq, String::new())))>"+ Add condition"</button>
                <ShowIf when=Signal::derive(move || { draft.with(|d| d.len() > 1) })>
                    <label class="field">"Join with "
                        <select aria-label="Join" on:change=move |ev| join.set(event_target_value(&ev).parse().unwrap_or(Join::And))>
                            <option value="and" selected=move || join.get() == Join::And>"AND"</option>
                            <option value="or" selected=move || join.get() == Join::Or>"OR"</option>
                        </select>
                    </label>
                </ShowIf>
                <ShowIf when=Signal::derive(move || { draft.with(|d| !d.is_empty()) || !query.get().builder.is_empty() })>
                    <button type="button" class="primary" on:click=apply>"Apply filters"</button>
                </ShowIf>
            </div>
        </section>
    }
    .into_any_inner()
}

fn status_badge(status: JobStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.as_str()}</span> }
}

#[component]
fn RecordTable(
    tab: Tab,
    page: EventPage,
    query: Memo<ConsoleQuery>,
    live: Memo<bool>,
    live_rows: RwSignal<Vec<Event>>,
    fresh: RwSignal<HashSet<uuid::Uuid>>,
    cancel: ServerAction<CancelJob>,
) -> impl IntoView {
    let q = query.get_untracked();
    let is_live = live.get_untracked();
    let cancelled: HashSet<String> = page.cancel_requested.iter().cloned().collect();
    let next = page
        .next_cursor
        .map(|c| tab_href(tab, &q, is_live, &[("cursor", &c)]));
    let shown = page.events.len();
    let row = move |e: Event, cancelled: &HashSet<String>| {
        let open = tab_href(tab, &q, is_live, &[("open", &e.id.to_string())]);
        let id = e.id;
        let cells = cells(tab, &e, &open, cancelled, cancel);
        // On Jobs, a row is hidden once Live shows the same job at a newer state.
        let job = (tab == Tab::Jobs)
            .then(|| job_of(&e).map(str::to_owned))
            .flatten();
        let superseded = move || {
            job.as_deref().is_some_and(|j| {
                live_rows.with(|rows| rows.iter().any(|r| r.id != id && job_of(r) == Some(j)))
            })
        };
        view! {
            <tr data-id=e.id.to_string() class:fresh=move || fresh.with(|f| f.contains(&id)) class:superseded=superseded>{cells}</tr>
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
            <thead><tr>{tab.headers().iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
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

/// The cells of one row; the first links to the record's detail drawer.
fn cells(
    tab: Tab,
    e: &Event,
    open: &str,
    cancelled: &HashSet<String>,
    cancel: ServerAction<CancelJob>,
) -> AnyView {
    let time = view! { <a class="row-link" href=open.to_owned()>{time_text(e)}</a> };
    let dash = || "—".to_owned();
    match (&e.detail, tab) {
        (EventDetail::Job(j), Tab::Jobs) => {
            let can_cancel = matches!(j.status, JobStatus::Queued | JobStatus::Running);
            let requested = cancelled.contains(&j.job_id);
            let job_id = j.job_id.clone();
            view! {
                <td>{status_badge(j.status)}</td>
                <td><a class="row-link mono" href=open.to_owned()>{j.job_id.clone()}</a></td>
                <td>{j.agent.clone()}</td>
                <td>{j.model.clone().unwrap_or_else(dash)} <span class="muted">{j.provider.clone().map(|p| format!(" · {p}"))}</span></td>
                <td>{j.job_type.clone()}</td>
                <td class="num">{format!("{} → {}", j.input_tokens, j.output_tokens)}</td>
                <td>{j.evaluator_status.clone().unwrap_or_else(dash)}</td>
                <td class="time">{time_text(e)}</td>
                <td>
                    {if requested {
                        view! { <span class="badge cancel-requested">"cancel requested"</span> }.into_any_inner()
                    } else if can_cancel {
                        view! {
                            <PostForm action=cancel input=|field| Ok(CancelJob { job_id: field("job_id").ok_or("job_id")? })>
                                <input type="hidden" name="job_id" value=job_id/>
                                <button type="submit" class="danger">"Cancel"</button>
                            </PostForm>
                        }.into_any_inner()
                    } else {
                        ().into_any()
                    }}
                </td>
            }
            .into_any_inner()
        }
        (EventDetail::Thread(t), Tab::Threads) => view! {
            <td><span class="badge">{t.source.as_str()}</span></td>
            <td>{t.thread_type.as_str()}</td>
            <td>{t.agent.clone().unwrap_or_else(dash)}</td>
            <td class="num">{t.message_count}</td>
            <td class="snippet">{t.snippet().unwrap_or_default()}</td>
            <td class="time">{time}</td>
        }
        .into_any_inner(),
        (EventDetail::SystemEvent(s), Tab::Events) => view! {
            <td><a class="row-link mono" href=open.to_owned()>{s.event_type.clone()}</a></td>
            <td><span class=format!("badge severity-{}", s.severity.as_str())>{s.severity.as_str()}</span></td>
            <td>{s.description.clone()}</td>
            <td>{s.agent.clone().unwrap_or_else(dash)}</td>
            <td class="time">{time_text(e)}</td>
        }
        .into_any_inner(),
        (EventDetail::AiInteraction(a), Tab::Ai) => view! {
            <td><a class="row-link" href=open.to_owned()>{e.actor.clone()}</a></td>
            <td>{a.action.clone()}</td>
            <td class="mono">{a.resource.clone().unwrap_or_else(dash)}</td>
            <td>{a.model.clone()}</td>
            <td class="num">{format!("{} → {}", a.input_tokens, a.output_tokens)}</td>
            <td class="num">{a.cost.map_or_else(dash, |c| format!("${c}"))}</td>
            <td><span class=if a.dlp.is_flagged() { "badge dlp-flagged" } else { "badge dlp-clean" }>{a.dlp.to_string()}</span></td>
            <td class="mono">{e.ip.clone().unwrap_or_else(dash)}</td>
            <td class="time">{time_text(e)}</td>
        }
        .into_any_inner(),
        (EventDetail::AdminAction(a), Tab::Admin) => view! {
            <td><a class="row-link" href=open.to_owned()>{a.event_name.clone()}</a></td>
            <td><span class="badge">{a.resource_type.clone()}</span></td>
            <td>{e.actor.clone()}</td>
            <td class="time">{time_text(e)}</td>
            <td>{e.detail.summary()}</td>
            <td class="mono">{e.ip.clone().unwrap_or_else(dash)}</td>
        }
        .into_any_inner(),
        (EventDetail::CreditUsage(c), Tab::Usage) => view! {
            <td class="time">{time}</td>
            <td>{e.actor.clone()}</td>
            <td>{c.ai_worker.clone()}</td>
            <td class="num">{c.executions}</td>
            <td class="num">{c.credits_consumed.to_string()}</td>
            <td class="num">{c.balance_after.to_string()}</td>
        }
        .into_any_inner(),
        _ => {
            let kind = e.detail.kind();
            view! {
                <td class="time">{time}</td>
                <td><span class=format!("kind kind-{}", kind.as_str())>{kind.label()}</span></td>
                <td>{e.account_id.clone().unwrap_or_else(|| "— tenant —".into())}</td>
                <td>{e.actor.clone()}</td>
                <td class="summary">{e.detail.summary()}</td>
            }
            .into_any_inner()
        }
    }
}
