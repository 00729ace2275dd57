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
pub mod contexts;
#[cfg(feature = "ssr")]
pub mod merkle;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod webhook;

use components::ConsoleLayout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};
use pages::{
    console::TabPage, detail::DetailPage, integrity::IntegrityPage, keys::KeysPage,
    login::LoginPage, tabs::Tab,
};

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

/// A route's view as a `fn` pointer: one type for every route, so the router's code
/// for a route's view is compiled once for them all rather than once per route (each
/// closure or component is a type of its own).
fn page(view: fn() -> AnyView) -> fn() -> AnyView {
    view
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
                // Every console page under one layout: the top bar, the viewer and their
                // accounts, once. Async: the whole page, data included, is in the first
                // HTML response, so it reads right without JavaScript (and for curl).
                <ParentRoute path=StaticSegment("") view=page(|| view! { <ConsoleLayout/> }.into_any()) ssr=SsrMode::Async>
                    <Route path=StaticSegment("") view=page(|| view! { <TabPage tab=Tab::All/> }.into_any())/>
                    <Route path=StaticSegment("jobs") view=page(|| view! { <TabPage tab=Tab::Jobs/> }.into_any())/>
                    <Route path=StaticSegment("threads") view=page(|| view! { <TabPage tab=Tab::Threads/> }.into_any())/>
                    <Route path=StaticSegment("events") view=page(|| view! { <TabPage tab=Tab::Events/> }.into_any())/>
                    <Route path=StaticSegment("ai") view=page(|| view! { <TabPage tab=Tab::Ai/> }.into_any())/>
                    <Route path=StaticSegment("admin") view=page(|| view! { <TabPage tab=Tab::Admin/> }.into_any())/>
                    <Route path=StaticSegment("usage") view=page(|| view! { <TabPage tab=Tab::Usage/> }.into_any())/>
                    <Route path=(StaticSegment("records"), ParamSegment("id")) view=page(|| view! { <DetailPage/> }.into_any())/>
                    <Route path=StaticSegment("keys") view=page(|| view! { <KeysPage/> }.into_any())/>
                    <Route path=StaticSegment("integrity") view=page(|| view! { <IntegrityPage/> }.into_any())/>
                </ParentRoute>
                <Route path=StaticSegment("login") view=page(|| view! { <LoginPage/> }.into_any())/>
            </Routes>
        </Router>
    }
}
