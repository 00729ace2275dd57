//! The bar on top of every console page.

use super::ViewerBadge;
use crate::contexts::Console;
use leptos::prelude::*;

/// Brand, navigation, who is signed in, sign-out. Mounted once by the console layout.
#[component]
pub fn TopBar() -> impl IntoView {
    let viewer = Console::get().viewer;
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Vigil"</a>
            <nav class="topnav" aria-label="Console">
                <a href="/">"Records"</a>
                <a href="/keys">"API keys"</a>
                <a href="/integrity">"Integrity"</a>
            </nav>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|v| view! { <ViewerBadge viewer=v/> }).into_any()
                })}
            </Transition>
        </header>
    }
}
