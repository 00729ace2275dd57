pub mod events;
pub mod login;
