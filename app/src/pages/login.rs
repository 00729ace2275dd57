//! Sign-in: a plain form, so it works before (and without) hydration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query.read().get("error").map(|e| match e.as_str() {
            "throttled" => "Too many sign-in attempts. Wait a minute and try again.",
            "unavailable" => "Sign-in is unavailable right now. Try again shortly.",
            // Also a locked account: it looks like any failed sign-in (README).
            _ => "Wrong email or password, or too many failed attempts: try again later.",
        })
    };
    view! {
        <main class="login">
            <h1>"Vigil"</h1>
            <p class="muted">"Sign in to the audit log."</p>
            {move || error().map(|text| view! { <p class="error" role="alert">{text}</p> }).into_any()}
            <form method="post" action="/auth/login" class="login-form">
                <label>"Email" <input type="email" name="email" required autocomplete="username"/></label>
                <label>"Password" <input type="password" name="password" required autocomplete="current-password"/></label>
                <button type="submit">"Sign in"</button>
            </form>
        </main>
    }
}
