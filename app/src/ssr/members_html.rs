//! The Members page (`/members`), rendered on the server: the tenant's users and their
//! roles, invitations, and a form for each change (see `console_page`).

use super::console_page::{document, Notice};
use crate::model::members::{Grant, InvitationState};
use crate::model::{when, AccountInfo, Role, Viewer};
use crate::store::{Invitation, Member};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// An invitation just created: its link, shown this once.
pub struct ShownInvitation {
    pub email: String,
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

pub struct MembersPage {
    pub viewer: Viewer,
    /// The rows the viewer may see (an account admin: their accounts' roles only).
    pub members: Vec<Member>,
    pub invitations: Vec<Invitation>,
    /// The accounts the viewer may give roles in.
    pub accounts: Vec<AccountInfo>,
    pub notice: Notice,
    pub shown: Option<ShownInvitation>,
    pub now: DateTime<Utc>,
}

/// What each `?done=` code says.
fn done_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "Invitation created.",
        "invitation_revoked" => "Invitation withdrawn.",
        "role_updated" => "Role changed.",
        "member_added" => "Role given.",
        "member_removed" => "Role removed.",
        "deactivated" => "User deactivated: their sessions have ended.",
        _ => return None,
    })
}

pub fn members_html(page: MembersPage) -> String {
    let tenant_admin = page.viewer.role == Role::TenantAdmin;
    let shown = page.shown.map(|s| {
        view! {
            <div class="created-key" role="status">
                <p>{format!("Invitation for {} created. Send them this link yourself (Vigil sends no mail); it is shown only now and works once, until {} UTC:", s.email, when::date_minutes(&s.expires_at))}</p>
                <code class="secret" data-invite-link="">{s.link}</code>
            </div>
        }
    });
    let main = view! {
        <main class="content console-page members">
            <h1>"Members"</h1>
            <p class="muted">{if tenant_admin {
                "Everyone who can sign in to this tenant's console, and what they may see. Every change is recorded as an admin action."
            } else {
                "The admins of your accounts. You may invite account admins to your accounts and change or remove their roles; tenant admins are not yours to change."
            }}</p>
            {page.notice.view(done_words)}
            {shown}
            <section class="card" aria-label="Invite">
                <h2>"Invite someone"</h2>
                <form method="post" action="/members/invite" class="key-form">
                    <label>"Email "<input type="email" name="email" required maxlength="254" placeholder="name@example.com"/></label>
                    {role_fields(tenant_admin, &page.accounts, None)}
                    <button type="submit">"Create invitation"</button>
                </form>
                <p class="muted">"The invitation link is valid for 7 days and works once: whoever opens it sets a password and is signed in."</p>
            </section>
            <section class="card" aria-label="Members">
                <h2>"Members"</h2>
                {members_table(&page.viewer, page.members, &page.accounts)}
            </section>
            <section class="card" aria-label="Pending invitations">
                <h2>"Pending invitations"</h2>
                {invitations_table(page.invitations, page.now)}
            </section>
        </main>
    }
    .into_any();
    document("Members", Some(&page.viewer), main)
}

/// The role and account selects of a form (`current`: preselected).
fn role_fields(tenant_admin: bool, accounts: &[AccountInfo], current: Option<&Grant>) -> AnyView {
    let is = |r: Role| current.is_some_and(|g| g.role == r);
    let account = current.and_then(|g| g.account_id.clone());
    let roles = if tenant_admin {
        view! {
            <option value="account_admin" selected=is(Role::AccountAdmin)>"Account admin"</option>
            <option value="tenant_admin" selected=is(Role::TenantAdmin)>"Tenant admin"</option>
        }
        .into_any()
    } else {
        view! { <option value="account_admin">"Account admin"</option> }.into_any()
    };
    view! {
        <label>"Role "<select name="role" aria-label="Role">{roles}</select></label>
        <label>"Account "
            <select name="account" aria-label="Account">
                {accounts.iter().map(|a| {
                    let selected = account.as_deref() == Some(a.id.as_str());
                    view! { <option value=a.id.clone() selected=selected>{format!("{} ({})", a.name, a.id)}</option> }
                }).collect_view()}
                {tenant_admin.then(|| view! { <option value="" selected=current.is_some_and(|g| g.account_id.is_none())>"— (tenant admins: every account)"</option> })}
            </select>
        </label>
    }
    .into_any()
}

fn status(m: &Member, now: DateTime<Utc>) -> &'static str {
    if m.disabled_at.is_some() {
        "deactivated"
    } else if m.locked_until.is_some_and(|t| t > now) {
        "locked"
    } else {
        "active"
    }
}

fn members_table(viewer: &Viewer, members: Vec<Member>, accounts: &[AccountInfo]) -> AnyView {
    if members.is_empty() {
        return view! { <p class="empty">"No members yet: invite someone above."</p> }.into_any();
    }
    let tenant_admin = viewer.role == Role::TenantAdmin;
    let now = Utc::now();
    // Users holding a tenant admin role: an account admin may not change them.
    let tenant_admins: Vec<String> = members
        .iter()
        .filter(|m| {
            m.grant
                .as_ref()
                .is_some_and(|g| g.role == Role::TenantAdmin)
        })
        .map(|m| m.user_id.clone())
        .collect();
    let mut seen_users: Vec<String> = Vec::new();
    // The members the viewer may give another role: (user id, email).
    let mut changeable_users: Vec<(String, String)> = Vec::new();
    let rows = members
        .into_iter()
        .map(|m| {
            let first_row = !seen_users.contains(&m.user_id);
            if first_row {
                seen_users.push(m.user_id.clone());
            }
            let state = status(&m, now);
            let own = m.user_id == viewer.user_id;
            let changeable = !own
                && m.disabled_at.is_none()
                && (tenant_admin || !tenant_admins.contains(&m.user_id));
            let (role, account) = match &m.grant {
                Some(g) => (
                    if g.role == Role::TenantAdmin {
                        "tenant admin"
                    } else {
                        "account admin"
                    },
                    g.account_id
                        .clone()
                        .unwrap_or_else(|| "every account".into()),
                ),
                None => ("no role", "—".into()),
            };
            let user = m.user_id.clone();
            if first_row && changeable {
                changeable_users.push((user.clone(), m.email.clone()));
            }
            let grant_actions = m.grant.clone().filter(|_| changeable).map(|g| {
                let from_account = g.account_id.clone().unwrap_or_default();
                view! {
                    <form method="post" action="/members/role" class="inline-form">
                        <input type="hidden" name="user" value=user.clone()/>
                        <input type="hidden" name="from_role" value=g.role.as_str()/>
                        <input type="hidden" name="from_account" value=from_account.clone()/>
                        {role_fields(tenant_admin, accounts, Some(&g))}
                        <button type="submit">"Change role"</button>
                    </form>
                    <form method="post" action="/members/remove" class="inline-form">
                        <input type="hidden" name="user" value=user.clone()/>
                        <input type="hidden" name="role" value=g.role.as_str()/>
                        <input type="hidden" name="account" value=from_account/>
                        <button type="submit" class="danger">"Remove role"</button>
                    </form>
                }
            });
            let deactivate = (first_row && changeable).then(|| {
                view! {
                    <form method="post" action="/members/deactivate" class="inline-form">
                        <input type="hidden" name="user" value=user.clone()/>
                        <button type="submit" class="danger">"Deactivate user"</button>
                    </form>
                }
            });
            view! {
                <tr data-member=m.email.clone()>
                    <td>{m.email.clone()}</td>
                    <td>{role}</td>
                    <td>{account}</td>
                    <td>{state}</td>
                    <td class="time">{format!("{} UTC", when::date_minutes(&m.created_at))}</td>
                    <td class="actions">{grant_actions}{deactivate}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="events members-table">
            <thead><tr><th>"Email"</th><th>"Role"</th><th>"Account"</th><th>"Status"</th><th>"Created"</th><th>"Change"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {give_role_form(tenant_admin, changeable_users, accounts)}
    }
    .into_any()
}

/// Another role for a member: the select lists the members the viewer may change.
fn give_role_form(
    tenant_admin: bool,
    users: Vec<(String, String)>,
    accounts: &[AccountInfo],
) -> AnyView {
    if users.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>"Give a member another role"</h3>
        <form method="post" action="/members/add" class="key-form">
            <label>"Member "
                <select name="user" aria-label="Member">
                    {users.into_iter().map(|(id, email)| view! { <option value=id>{email}</option> }).collect_view()}
                </select>
            </label>
            {role_fields(tenant_admin, accounts, None)}
            <button type="submit">"Give role"</button>
        </form>
    }
    .into_any()
}

fn invitations_table(list: Vec<Invitation>, now: DateTime<Utc>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="empty">"No pending invitations."</p> }.into_any();
    }
    view! {
        <table class="events">
            <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th>"State"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|i| {
                    let state = i.state(now);
                    let revoke = (state == InvitationState::Pending).then(|| view! {
                        <form method="post" action="/members/invitations/revoke" class="inline-form">
                            <input type="hidden" name="invitation" value=i.id.clone()/>
                            <button type="submit" class="danger">"Withdraw"</button>
                        </form>
                    });
                    view! {
                        <tr data-invitation=i.email.clone()>
                            <td>{i.email.clone()}</td>
                            <td>{i.grant.describe()}</td>
                            <td>{i.invited_by.clone()}</td>
                            <td class="time">{format!("{} UTC", when::date_minutes(&i.expires()))}</td>
                            <td>{state.as_str()}</td>
                            <td>{revoke}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
