//! The bar on top of every console page.

use super::ViewerBadge;
use crate::contexts::Console;
use leptos::prelude::*;

/// The console's links. Members and Settings are whole pages rendered on the server
/// (`ssr::console_page`), outside this router: `rel="external"` makes the router let
/// the browser load them. Also drawn by those pages' own top bar.
pub fn top_nav() -> impl IntoView {
    view! {
        <nav class="topnav" aria-label="Console">
            <a href="/">"Records"</a>
            <a href="/keys">"API keys"</a>
            <a href="/integrity">"Integrity"</a>
            <a href="/members" rel="external">"Members"</a>
            <a href="/settings" rel="external">"Settings"</a>
        </nav>
    }
}

/// Brand, navigation, who is signed in, sign-out. Mounted once by the console layout.
#[component]
pub fn TopBar() -> impl IntoView {
    let viewer = Console::get().viewer;
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Vigil"</a>
            {top_nav()}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|v| view! { <ViewerBadge viewer=v/> }).into_any()
                })}
            </Transition>
        </header>
    }
}
