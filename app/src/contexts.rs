//! What the console layout fetches once per page load and provides, as context, to
//! every page and component under it (lemmy-ui-leptos `contexts/`), so none of them
//! fetches the same again.

use crate::api::{current_viewer, my_accounts, ConsoleError};
use crate::codec::{resource, Json};
use crate::model::{AccountInfo, Viewer};
use leptos::prelude::*;

/// The console's per-page data. One context rather than one per resource: each context
/// type costs the browser's WASM its own copy of the lookup.
#[derive(Clone, Copy)]
pub struct Console {
    /// The signed-in viewer (`None`: nobody).
    pub viewer: Resource<Result<Option<Viewer>, ConsoleError>, Json>,
    /// The accounts the viewer may pick from (tenant admins: all of the tenant's).
    pub accounts: Resource<Result<Vec<AccountInfo>, ConsoleError>, Json>,
}

impl Console {
    /// Starts both fetches and provides them; called once, by the console layout.
    pub fn provide() {
        provide_context(Console {
            viewer: resource(|| (), |_| current_viewer()),
            accounts: resource(|| (), |_| my_accounts()),
        });
    }

    /// What the console layout provides. (`Option::expect` rather than
    /// `expect_context`, whose message formats the caller's location: more WASM.)
    pub fn get() -> Console {
        use_context::<Console>().expect("the console layout provides the console context")
    }
}
