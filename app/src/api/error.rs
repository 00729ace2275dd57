//! The one error type of the console's server functions: what went wrong, typed across
//! the wire, so the page can say it plainly and the HTTP status says it to everyone else.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ConsoleError {
    /// 400: the request's `field` cannot be used as given.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// 401: no live session.
    #[error("you are signed out: sign in again")]
    SignedOut,
    /// 404: missing, or outside the viewer's scope (the two look alike on purpose).
    #[error("not found, or not visible to you")]
    NotFound,
    /// 503: the audit store failed; the details are in the server's log.
    #[error("the audit store is unavailable; try again shortly")]
    Unavailable,
    /// The call itself failed (network, encoding): server_fn's own words.
    #[error("{0}")]
    Call(String),
}

pub type ConsoleResult<T> = Result<T, ConsoleError>;

impl ConsoleError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ConsoleError {
        ConsoleError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The HTTP status a server function answers with.
    pub fn status(&self) -> u16 {
        match self {
            ConsoleError::Invalid { .. } => 400,
            ConsoleError::SignedOut => 401,
            ConsoleError::NotFound => 404,
            ConsoleError::Unavailable => 503,
            ConsoleError::Call(_) => 500,
        }
    }
}

impl FromServerFnError for ConsoleError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ConsoleError::Call(value.to_string())
    }
}
