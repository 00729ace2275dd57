//! Vigil's typed models, console components and server-function signatures,
//! shared by the server (feature `ssr`) and the browser (feature `hydrate`).

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/vigil.css"/>
        <Title text="Vigil audit log"/>
        <Router>
            <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                <Route path=StaticSegment("") view=pages::events::EventsPage/>
                <Route path=StaticSegment("login") view=pages::login::LoginPage/>
            </Routes>
        </Router>
    }
}
