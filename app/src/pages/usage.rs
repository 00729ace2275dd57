//! Usage: credits by user and by AI worker, and tokens and cost by user, agent and
//! model over the selected period, each with a bar chart (inline SVG).

use crate::api::usage_summary;
use crate::components::IntoAnyInner;
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
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
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
                        .into_any_inner()
                    }
                }
            })
            }}
        </Transition>
    }
}

/// A bar's width in the 240-pixel chart: `measure`'s share of `max`, rounded. An integer
/// attribute rather than the `f64` the arithmetic gives saves the float's attribute code.
fn bar_width(measure: f64, max: f64) -> i64 {
    (measure / max * 240.0).round() as i64
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
            let w = bar_width(measure(r), max);
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
                .into_any_inner()
            } else {
                view! {
                    <tr><td>{r.name}</td><td class="num">{r.input_tokens}</td><td class="num">{r.output_tokens}</td><td class="num">{format!("${}", r.cost)}</td></tr>
                }
                .into_any_inner()
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

#[cfg(test)]
mod tests {
    use super::bar_width;

    #[test]
    fn bar_widths_read_as_the_rounded_floats_did() {
        let maxes = [1.0, 3.0, 7.0, 240.0, 480.0, 999.0, 1_000_001.0, 9.0e15];
        for max in maxes {
            for i in 0..=2_000_u32 {
                let m = max * f64::from(i) / 2_000.0;
                let old = format!("{}", (m / max * 240.0).round());
                assert_eq!(bar_width(m, max).to_string(), old, "{m} / {max}");
            }
        }
    }
}
