//! Who is signed in, and which accounts they may pick from.

use super::error::ConsoleResult;
use crate::model::{AccountInfo, Viewer};
use leptos::prelude::*;

/// The signed-in viewer, or `None`.
#[server]
pub async fn current_viewer() -> ConsoleResult<Option<Viewer>> {
    crate::ssr::answer(crate::ssr::viewer()).await
}

/// The accounts the viewer may pick from (tenant admins: all of the tenant's).
#[server]
pub async fn my_accounts() -> ConsoleResult<Vec<AccountInfo>> {
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        Ok(store.accounts_in(&viewer.scope).await?)
    })
    .await
}
