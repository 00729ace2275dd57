//! Sign-in: a plain form, so it works before (and without) hydration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").is_some();
    view! {
        <main class="login">
            <h1>"Vigil"</h1>
            <p class="muted">"Sign in to the audit log."</p>
            <Show when=error>
                <p class="error" role="alert">"Wrong email or password."</p>
            </Show>
            <form method="post" action="/auth/login" class="login-form">
                <label>"Email" <input type="email" name="email" required autocomplete="username"/></label>
                <label>"Password" <input type="password" name="password" required autocomplete="current-password"/></label>
                <button type="submit">"Sign in"</button>
            </form>
        </main>
    }
}
