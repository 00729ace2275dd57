//! The frame around every console page (not the sign-in page).

use super::TopBar;
use crate::contexts::Console;
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// The layout route's view: fetches the viewer and their accounts once per page load,
/// provides them as context to the page below, and draws the top bar above it.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    Console::provide();
    view! {
        <TopBar/>
        <Outlet/>
    }
}
