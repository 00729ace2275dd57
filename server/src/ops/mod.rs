//! Running Vigil in production: metrics (`--metrics-addr`), liveness and readiness,
//! the log's format, backups, and progress of long commands (README, "Deployment").

pub mod backup;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod progress;

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or, as systemd and
/// container runtimes ask, SIGTERM. Servers then finish the requests they hold.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
