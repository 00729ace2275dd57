//! The tenant's integrity at a glance: the latest signed checkpoint and the key that
//! verifies it, what each witness cosigned, the last `verify`, and the retention in
//! force (which tenant admins set here).
//!
//! The report is read-only, so the server renders it (`crate::ssr::integrity_html`)
//! and the browser only places it: its views and decoders stay out of the WASM, which
//! has a size budget (BENCHMARKS.md). Only the retention form hydrates.

use crate::api::{integrity_html, SetRetention};
use crate::components::{IntoAnyInner, PostForm};
use crate::contexts::Console;
use crate::model::Role;
use leptos::prelude::*;

#[component]
pub fn IntegrityPage() -> impl IntoView {
    let set = ServerAction::<SetRetention>::new();
    let report = crate::codec::resource(move || set.version().get(), |_| integrity_html());
    let viewer = Console::get().viewer;

    view! {
        <main class="content narrow integrity">
            <h1>"Integrity"</h1>
            <p class="muted">"Every record is hashed into its tenant's chain and Merkle tree. Vigil signs the tree's root every minute; a checkpoint saved outside Vigil (by a witness, an auditor, a SIEM) shows any later rewrite. Bundles carry their proofs: check one offline with "<code>"vigil verify-bundle"</code>"."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let admin = matches!(viewer.await, Ok(Some(v)) if v.role == Role::TenantAdmin);
                    match report.await {
                        Ok(html) => view! {
                            <div inner_html=html/>
                            {admin.then(|| retention_form(set))}
                        }.into_any_inner(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
                    }
                })}
            </Transition>
            {move || set.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> }).into_any()}
        </main>
    }
}

/// A tenant admin's form for the retention policy (the report above says the current).
fn retention_form(set: ServerAction<SetRetention>) -> AnyView {
    view! {
        <PostForm action=set class="retention-form card" input=|field| Ok(SetRetention { days: field("days") })>
            <label>"Keep records for "
                <input type="number" name="days" min="1" max="36500" placeholder="forever" aria-label="Days to keep records"/>
                " days"</label>
            <button type="submit">"Save retention"</button>
            <span class="muted">"Leave blank to keep records forever. The change is recorded as an admin action."</span>
        </PostForm>
    }
    .into_any_inner()
}
