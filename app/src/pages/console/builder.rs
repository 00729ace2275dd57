//! The filter builder: conditions on the tab's columns, applied together.

use crate::components::{IntoAnyInner, ShowIf};
use crate::model::{Column, Condition, ConsoleQuery, Join, Op};
use crate::pages::tabs::Tab;
use leptos::prelude::*;

/// Rows of column / operator / value, joined all by AND or all by OR.
#[component]
pub(super) fn Builder(
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
