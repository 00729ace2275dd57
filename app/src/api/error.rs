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
    /// 403: the viewer's role may not do this (a setting of the whole tenant, which
    /// only tenant admins change).
    #[error("only a tenant admin can do this")]
    Forbidden,
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
            ConsoleError::Forbidden => 403,
            ConsoleError::NotFound => 404,
            ConsoleError::Unavailable => 503,
            ConsoleError::Call(_) => 500,
        }
    }
}

impl FromServerFnError for ConsoleError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request's arguments could not be read: the caller's fault, so a 400
            // naming the argument when the decoder does (the server's
            // `server_fns::error_status` sets it). On the server, what fails to
            // deserialise is always the arguments (in the browser, the results).
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                unreadable(message)
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(message) => unreadable(message),
            other => ConsoleError::Call(other.to_string()),
        }
    }
}

fn unreadable(message: String) -> ConsoleError {
    ConsoleError::Invalid {
        field: argument_named(&message).unwrap_or("body").to_owned(),
        message: format!("the arguments could not be read: {message}"),
    }
}

/// The argument a decoder's message names: "missing field `job_id`" → `job_id`.
fn argument_named(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("field `")?;
    let (name, _) = rest.split_once('`')?;
    Some(name).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_arguments_are_the_callers_400() {
        let e = ConsoleError::from_server_fn_error(ServerFnErrorErr::Args(
            "failed with reason: missing field `job_id`".into(),
        ));
        assert_eq!(e.status(), 400);
        assert!(matches!(e, ConsoleError::Invalid { ref field, .. } if field == "job_id"));
        let e = ConsoleError::from_server_fn_error(ServerFnErrorErr::Args(
            "expected value at line 1 column 1".into(),
        ));
        assert!(matches!(e, ConsoleError::Invalid { ref field, .. } if field == "body"));
        let e = ConsoleError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert_eq!(e.status(), 500);
    }
}
