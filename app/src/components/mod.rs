//! Pieces shared by the console pages.

use crate::api::current_viewer;
use crate::model::Viewer;
use leptos::prelude::*;

/// The bar on every console page: brand, navigation, who is signed in, sign-out.
#[component]
pub fn TopBar() -> impl IntoView {
    let viewer = crate::codec::resource(|| (), |_| current_viewer());
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Vigil"</a>
            <nav class="topnav" aria-label="Console">
                <a href="/">"Records"</a>
                <a href="/keys">"API keys"</a>
            </nav>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|v| view! { <ViewerBadge viewer=v/> })
                })}
            </Transition>
        </header>
    }
}

#[component]
fn ViewerBadge(viewer: Viewer) -> impl IntoView {
    view! {
        <div class="viewer">
            <span class="viewer-email">{viewer.email}</span>
            <span class="viewer-scope">{viewer.tenant_name} " · " {viewer.role.as_str()}</span>
            <form method="post" action="/auth/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}
