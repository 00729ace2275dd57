//! The log: human-readable lines (the default) or JSON lines (`--log-format json`,
//! `VIGIL_LOG_FORMAT`), on standard error, so that standard output carries only what a
//! command prints (`KEY=$(vigil key create …)`). A JSON line carries its spans' fields:
//! every line logged while a request is served names the request's `id` (the
//! `x-request-id` it was answered with, see `crate::router`).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Starts the process's logging; `RUST_LOG` filters it (default: info, sqlx warnings).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal: not in journald, a file or a CI log.
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => log.init(),
        // `spans`: every span from the request's down, so the request id is on each line
        // however deep the event; `span`: the innermost, for a quick look.
        LogFormat::Json => log
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}
