//! Usage: credits by user and by AI worker, and tokens and cost by user, agent and
//! model over the selected period, each with a bar chart (inline SVG).

use crate::api::usage_summary;
use crate::model::{ConsoleQuery, UsageRow};
use leptos::prelude::*;

/// Which credit view the Usage tab shows (`?view=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageView {
    Details,
    ByUser,
    ByWorker,
}

impl UsageView {
    pub fn parse(text: Option<&str>) -> UsageView {
        match text {
            Some("by_user") => UsageView::ByUser,
            Some("by_worker") => UsageView::ByWorker,
            _ => UsageView::Details,
        }
    }
}

/// Details / By user / By AI worker.
#[component]
pub fn UsageNav(query: Memo<ConsoleQuery>, view: Memo<UsageView>) -> impl IntoView {
    let link = move |v: &'static str| {
        let q = query.get();
        if v == "details" {
            q.href("/usage", &[])
        } else {
            q.href("/usage", &[("view", v)])
        }
    };
    view! {
        <nav class="subtabs" aria-label="Credit usage views">
            <a href=move || link("details") class:active=move || view.get() == UsageView::Details>"Details"</a>
            <a href=move || link("by_user") class:active=move || view.get() == UsageView::ByUser>"By user"</a>
            <a href=move || link("by_worker") class:active=move || view.get() == UsageView::ByWorker>"By AI worker"</a>
        </nav>
    }
}

/// The credit view chosen (unless Details) and the token and cost aggregates.
#[component]
pub fn UsageViews(query: Memo<ConsoleQuery>, view: Memo<UsageView>) -> impl IntoView {
    let report = crate::codec::resource(move || query.get(), usage_summary);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
            {move || {
                let chosen = view.get();
                Suspend::new(async move {
                match report.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(r) => {
                        let credits = match chosen {
                            UsageView::Details => None,
                            UsageView::ByUser => Some(("Credits by user", r.credits_by_user.clone())),
                            UsageView::ByWorker => Some(("Credits by AI worker", r.credits_by_worker.clone())),
                        };
                        view! {
                            {credits.map(|(title, rows)| view! { <Aggregate title rows credits=true/> })}
                            <div class="aggregates">
                                <Aggregate title="Tokens and cost by user" rows=r.tokens_by_user credits=false/>
                                <Aggregate title="Tokens and cost by agent" rows=r.tokens_by_agent credits=false/>
                                <Aggregate title="Tokens and cost by model" rows=r.tokens_by_model credits=false/>
                            </div>
                        }
                        .into_any()
                    }
                }
            })
            }}
        </Transition>
    }
}

/// A table of sums with a horizontal bar chart of the leading measure.
#[component]
fn Aggregate(title: &'static str, rows: Vec<UsageRow>, credits: bool) -> impl IntoView {
    let measure = |r: &UsageRow| {
        if credits {
            r.credits.micros() as f64
        } else {
            (r.input_tokens + r.output_tokens) as f64
        }
    };
    let max = rows.iter().map(measure).fold(0.0_f64, f64::max).max(1.0);
    let bar_h = 18;
    let height = (rows.len().max(1) * (bar_h + 6)) as i64;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let w = (measure(r) / max * 240.0).round();
            let y = (i * (bar_h + 6)) as i64;
            view! {
                <rect x="0" y=y width=w height=bar_h rx="3" class="bar"><title>{r.name.clone()}</title></rect>
            }
        })
        .collect_view();
    let table_rows = rows
        .into_iter()
        .map(|r| {
            if credits {
                view! {
                    <tr><td>{r.name}</td><td class="num">{r.records}</td><td class="num">{r.executions}</td><td class="num">{r.credits.to_string()}</td></tr>
                }
                .into_any()
            } else {
                view! {
                    <tr><td>{r.name}</td><td class="num">{r.input_tokens}</td><td class="num">{r.output_tokens}</td><td class="num">{format!("${}", r.cost)}</td></tr>
                }
                .into_any()
            }
        })
        .collect_view();
    let headers: [&str; 4] = if credits {
        ["Name", "Records", "Executions", "Credits"]
    } else {
        ["Name", "Input tokens", "Output tokens", "Cost"]
    };
    view! {
        <section class="aggregate" aria-label=title>
            <h2>{title}</h2>
            <div class="aggregate-body">
                <table class="events compact">
                    <thead><tr>{headers.map(|h| view! { <th>{h}</th> }).collect_view()}</tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
                <svg class="chart" width="250" height=height viewBox=format!("0 0 250 {height}") role="img" aria-label=format!("{title} chart")>
                    {bars}
                </svg>
            </div>
        </section>
    }
}
