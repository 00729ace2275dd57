//! One record on its own page (a link to share); the drawer shows the same.

use super::drawer::record_or_reason;
use crate::api::event_detail;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let record = crate::codec::resource(id, event_detail);
    view! {
        <main class="content">
            <a class="back" href="/">"← All records"</a>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move { record_or_reason(record.await) })}
            </Transition>
        </main>
    }
}
