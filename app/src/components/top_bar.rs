//! The bar on top of every console page.

use super::ViewerBadge;
use crate::api::current_viewer;
use leptos::prelude::*;

/// Brand, navigation, who is signed in, sign-out.
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
                    viewer.await.ok().flatten().map(|v| view! { <ViewerBadge viewer=v/> }).into_any()
                })}
            </Transition>
        </header>
    }
}
