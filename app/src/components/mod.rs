//! Pieces shared by the console pages, one file each.

mod into_any_inner;
mod layout;
mod post_form;
mod show_if;
mod top_bar;
mod viewer_badge;

pub use into_any_inner::IntoAnyInner;
pub use layout::ConsoleLayout;
pub use post_form::{FormInput, PostForm};
pub use show_if::ShowIf;
pub use top_bar::{top_nav, TopBar};
pub use viewer_badge::ViewerBadge;
