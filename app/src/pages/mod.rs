pub mod console;
pub mod detail;
pub mod drawer;
pub mod integrity;
pub mod keys;
pub mod login;
pub mod tabs;
pub mod usage;
