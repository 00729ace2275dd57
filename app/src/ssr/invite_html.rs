//! The invitation page (`/invite/<token>`): public, rendered on the server. A valid
//! invitation asks for a password; any other says plainly why it cannot be used.

use super::console_page::{document, Notice};
use crate::model::members::{Grant, InvitationState};
use leptos::prelude::*;

pub enum InvitePage {
    /// Pending: the form.
    Open {
        email: String,
        tenant_name: String,
        grant: Grant,
        /// The token as the link carried it, for the form's action.
        token: String,
        notice: Notice,
    },
    /// No such invitation, or no longer usable.
    Closed(Option<InvitationState>),
}

fn done_words(_: &str) -> Option<&'static str> {
    None
}

pub fn invite_html(page: InvitePage) -> String {
    let main = match page {
        InvitePage::Open {
            email,
            tenant_name,
            grant,
            token,
            notice,
        } => view! {
            <main class="login">
                <h1>"Vigil"</h1>
                <p>{format!("You are invited to {tenant_name}'s audit log as {}.", grant.describe())}</p>
                {notice.view(done_words)}
                <form method="post" action=format!("/invite/{token}") class="login-form">
                    <label>"Email" <input type="email" name="email" value=email readonly autocomplete="username"/></label>
                    <label>"Choose a password (at least 10 characters)" <input type="password" name="password" required minlength="10" maxlength="1024" autocomplete="new-password"/></label>
                    <label>"Password again" <input type="password" name="password_again" required minlength="10" maxlength="1024" autocomplete="new-password"/></label>
                    <button type="submit">"Accept and sign in"</button>
                </form>
            </main>
        }
        .into_any(),
        InvitePage::Closed(state) => {
            let why = match state {
                Some(InvitationState::Expired) => "This invitation has expired. Ask whoever invited you for a new one.",
                Some(InvitationState::Accepted) => "This invitation has already been used. If it was you, sign in.",
                Some(InvitationState::Revoked) => "This invitation was withdrawn. Ask whoever invited you for a new one.",
                Some(InvitationState::Pending) | None => "This invitation link is not valid. Check that you copied all of it.",
            };
            view! {
                <main class="login">
                    <h1>"Vigil"</h1>
                    <p class="error" role="alert">{why}</p>
                    <p><a href="/login">"Go to sign-in"</a></p>
                </main>
            }
            .into_any()
        }
    };
    document("Invitation", None, main)
}
