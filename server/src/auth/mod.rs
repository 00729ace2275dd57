//! Console sign-in: passwords and sessions. (The HTTP API's keys are in `api::caller`.)

pub mod csrf;
pub mod first_run;
pub mod password;
pub mod session;
pub mod throttle;
