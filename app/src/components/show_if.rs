//! `ShowIf`: one `Show` for every use.

use leptos::prelude::*;

/// `Show` with one type for every use: Leptos' `Show` is generic over its condition and
/// its children, so each use compiled its own copy. As with `Show`, the children are
/// built again only when the condition changes.
#[component]
pub fn ShowIf(when: Signal<bool>, children: ChildrenFn) -> impl IntoView {
    let shown = Memo::new(move |_| when.get());
    view! { {move || shown.get().then(|| children()).into_any()} }
}
