//! Vigil's typed models, console components and server-function signatures,
//! shared by the server (feature `ssr`) and the browser (feature `hydrate`).
//!
//! The browser's WASM grows with every distinct view type Leptos must render: each
//! type-erased view, reactive child and `Suspend` output type gets its own copy of the
//! rendering and hydration code. So reactive children (`{move || …}`) and `Suspend`s end
//! in `.into_any()`, sharing one type, and `into_any_inner()` erases the element a
//! `view!` built rather than its `View` wrapper. Lists are redrawn unkeyed (a reactive
//! child of `collect_view()`), not with `For`: its keyed diffing (with a hash map)
//! costs about 10 KB gzipped.

pub mod api;
pub mod codec;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};
use pages::{console::TabPage, tabs::Tab};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as hydrated (tests wait on it).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/vigil.css"/>
        <Title text="Vigil audit log"/>
        <Router>
            <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                // Async: the whole page, data included, is in the first HTML response,
                // so it reads right without JavaScript (and for curl).
                <Route path=StaticSegment("") view=|| view! { <TabPage tab=Tab::All/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("jobs") view=|| view! { <TabPage tab=Tab::Jobs/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("threads") view=|| view! { <TabPage tab=Tab::Threads/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("events") view=|| view! { <TabPage tab=Tab::Events/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("ai") view=|| view! { <TabPage tab=Tab::Ai/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("admin") view=|| view! { <TabPage tab=Tab::Admin/> } ssr=SsrMode::Async/>
                <Route path=StaticSegment("usage") view=|| view! { <TabPage tab=Tab::Usage/> } ssr=SsrMode::Async/>
                <Route path=(StaticSegment("records"), ParamSegment("id")) view=pages::detail::DetailPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("keys") view=pages::keys::KeysPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("login") view=pages::login::LoginPage/>
            </Routes>
        </Router>
    }
}
