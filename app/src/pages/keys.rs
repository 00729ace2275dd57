//! Ingest API keys within the viewer's reach: create (shown once), list, deactivate.

use crate::api::{list_api_keys, CreateApiKey, DeactivateApiKey};
use crate::components::{IntoAnyInner, PostForm};
use crate::contexts::Console;
use crate::model::{when, ApiKeyInfo};
use leptos::prelude::*;

#[component]
pub fn KeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let deactivate = ServerAction::<DeactivateApiKey>::new();
    // Refetch the list after every change.
    let keys = crate::codec::resource(
        move || (create.version().get(), deactivate.version().get()),
        |_| list_api_keys(),
    );
    let accounts = Console::get().accounts;

    view! {
        <main class="content narrow">
            <h1>"API keys"</h1>
            <p class="muted">"Keys let your platform send records to POST /api/v1/events. A key is shown once, when it is created."</p>
            <PostForm action=create class="key-form" input=|field| Ok(CreateApiKey {
                name: field("name").ok_or("name")?,
                account: field("account").ok_or("account")?,
            })>
                <label>"Name " <input type="text" name="name" required maxlength="100" placeholder="e.g. gateway-prod"/></label>
                <label>
                    "Account "
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = accounts.await.unwrap_or_default();
                            view! {
                                <select name="account" aria-label="Account">
                                    <option value="">"All accounts of the tenant"</option>
                                    {list.into_iter().map(|a| {
                                        let label = format!("{} ({})", a.name, a.id);
                                        view! { <option value=a.id>{label}</option> }
                                    }).collect_view()}
                                </select>
                            }
                            .into_any_inner()
                        })}
                    </Transition>
                </label>
                <button type="submit">"Create key"</button>
            </PostForm>
            {move || create.value().get().map(|r| match r {
                Ok(k) => view! {
                    <div class="created-key" role="status">
                        <p>"Copy this key now; it will not be shown again:"</p>
                        <code class="secret">{k.plaintext}</code>
                    </div>
                }.into_any_inner(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
            }).into_any()}
            {move || deactivate.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> }).into_any()}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No API keys yet."</p> }.into_any_inner(),
                        Ok(list) => view! { <KeyTable keys=list deactivate=deactivate/> }.into_any_inner(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyInfo>, deactivate: ServerAction<DeactivateApiKey>) -> impl IntoView {
    view! {
        <table class="events keys">
            <thead><tr><th>"Prefix"</th><th>"Name"</th><th>"Account"</th><th>"Created"</th><th>"Status"</th><th></th></tr></thead>
            <tbody>
                {keys.into_iter().map(|k| {
                    let active = k.revoked_at.is_none();
                    view! {
                        <tr data-key=k.prefix.clone()>
                            <td><code>{format!("vgl_{}_…", k.prefix)}</code></td>
                            <td>{k.name}</td>
                            <td>{k.account_id.unwrap_or_else(|| "all accounts".into())}</td>
                            <td class="time">{format!("{} UTC", when::date_minutes(&k.created_at))}</td>
                            <td>{if active { "active" } else { "deactivated" }}</td>
                            <td>
                                {active.then(|| view! {
                                    <PostForm action=deactivate input=|field| Ok(DeactivateApiKey { id: field("id").ok_or("id")? })>
                                        <input type="hidden" name="id" value=k.id.clone()/>
                                        <button type="submit" class="danger">"Deactivate"</button>
                                    </PostForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
