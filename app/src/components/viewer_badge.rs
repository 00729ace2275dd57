//! Who is signed in, and the sign-out button.

use crate::model::Viewer;
use leptos::prelude::*;

#[component]
pub fn ViewerBadge(viewer: Viewer) -> impl IntoView {
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
