//! The filter bar above a tab's list: time range, quick filters, search, account,
//! Live, exports, and the filter builder below it. Every change is a new URL.

use super::account_select::AccountSelect;
use super::builder::Builder;
use super::tab_href;
use crate::components::{IntoAnyInner, ShowIf};
use crate::model::{when, Column, Condition, ConsoleQuery, Op, TimePreset};
use crate::pages::tabs::{choices, Tab};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub(super) fn FilterBar(tab: Tab, query: Memo<ConsoleQuery>, live: Memo<bool>) -> impl IntoView {
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
                <a class="button" href=move || export("bundle") download
                    title="The records with the signed checkpoint and their proofs: verify offline with vigil verify-bundle">
                    "Export bundle"</a>
            </span>
        </form>
        <p class="range-words">{move || query.get().range.describe(now).into_any()}</p>
        <Builder tab query update/>
    }
    .into_any_inner()
}
