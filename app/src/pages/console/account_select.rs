//! The account selector of the filter bar.

use crate::contexts::Console;
use crate::model::{ConsoleQuery, Role};
use leptos::prelude::*;

/// Tenant admins may narrow the tab to one account; account admins see no selector.
#[component]
pub(super) fn AccountSelect(
    query: Memo<ConsoleQuery>,
    update: StoredValue<impl Fn(&dyn Fn(&mut ConsoleQuery)) + Send + Sync + 'static>,
) -> impl IntoView {
    let Console { viewer, accounts } = Console::get();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let tenant_admin = matches!(viewer.await, Ok(Some(v)) if v.role == Role::TenantAdmin);
                let list = accounts.await.unwrap_or_default();
                tenant_admin.then(|| view! {
                    <label class="field">"Account "
                        <select name="account" aria-label="Account"
                            on:change=move |ev| {
                                let a = Some(event_target_value(&ev)).filter(|a| !a.is_empty());
                                update.with_value(|u| u(&|q: &mut ConsoleQuery| q.account = a.clone()));
                            }>
                            <option value="">"All accounts"</option>
                            {list.into_iter().map(|a| {
                                let id = a.id.clone();
                                let label = format!("{} ({})", a.name, a.id);
                                view! { <option value=a.id selected=move || query.get().account.as_deref() == Some(id.as_str())>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }).into_any()
            })}
        </Transition>
    }
}
