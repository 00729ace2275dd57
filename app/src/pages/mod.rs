pub mod detail;
pub mod events;
pub mod keys;
pub mod login;
