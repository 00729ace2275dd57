//! Server functions: public HTTP endpoints. Each body's first step resolves the caller
//! from the session (`ssr::signed_in`), binds that scope into every store call, and
//! runs inside `ssr::answer`, which turns a refusal into its HTTP status.

pub mod error;
mod integrity;
mod jobs;
mod keys;
mod records;
mod retention;
mod viewer;

pub use error::{ConsoleError, ConsoleResult};
pub use integrity::*;
pub use jobs::*;
pub use keys::*;
pub use records::*;
pub use retention::*;
pub use viewer::*;

/// Where server functions are served (server_fn's default prefix).
pub const PREFIX: &str = "/api/";

/// Records per console page.
pub const PAGE_SIZE: u32 = 50;
