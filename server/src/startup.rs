//! `vigil serve`'s start-up. The listeners are bound first, so a taken port fails at
//! once and `/readyz` answers 503 `starting` while the database opens and its migrations
//! run; then the schedules start (checkpoints, verify, purge) and the application takes
//! the listener over. It serves until SIGINT or SIGTERM, finishing requests in flight.

use crate::cli::ServeArgs;
use crate::ops::{health::Startup, metrics};
use crate::{config, retention, signing, verifying, AppState};
use anyhow::Context;
use app::store::{Migrations, Store};
use std::sync::Arc;

pub async fn serve(
    args: ServeArgs,
    database_url: &str,
    migrations: Migrations,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let addr = listener.local_addr()?;
    let metrics_listener = match args.metrics_addr {
        Some(at) => Some((
            tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("binding --metrics-addr {at}"))?,
            // Before any request, so the counters count from the start.
            metrics::install()?,
        )),
        None => None,
    };
    let startup = Startup::default();
    let server = tokio::spawn(crate::serve_router(listener, startup.router()));
    tracing::info!(%addr, "listening; opening the database");

    let store = match Store::open(database_url, migrations).await {
        Ok(store) => store,
        Err(e) => {
            server.abort();
            return Err(e).with_context(|| format!("opening {database_url}"));
        }
    };
    let result = run(args, &store, addr, startup, server, metrics_listener).await;
    store.close().await;
    result
}

async fn run(
    args: ServeArgs,
    store: &Store,
    addr: std::net::SocketAddr,
    startup: Startup,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    metrics_listener: Option<(
        tokio::net::TcpListener,
        metrics_exporter_prometheus::PrometheusHandle,
    )>,
) -> anyhow::Result<()> {
    let signer = Arc::new(signing::load_or_create(
        &args.signing.signing_key,
        &args.signing.origin,
    )?);
    tracing::info!(key = %signer.verifier_key(), "checkpoints are signed by");
    signing::spawn(store.clone(), signer.clone(), args.signing.origin.clone());
    let witnesses: Vec<_> = args.witness_keys.into_iter().flatten().collect();
    for key in &witnesses {
        tracing::info!(%key, "cosignatures are kept from witness");
    }
    let hours = u64::from(args.verify_every);
    verifying::spawn(store.clone(), std::time::Duration::from_secs(hours * 3600));
    if args.purge_every > 0 {
        let hours = u64::from(args.purge_every);
        retention::spawn(
            store.clone(),
            signer.clone(),
            args.signing.origin.clone(),
            std::time::Duration::from_secs(hours * 3600),
            args.archive.clone(),
        );
    }
    let config = config::Config {
        addr,
        secure_cookies: args.secure_cookies,
        webhook: app::webhook::WebhookPolicy {
            allow_private: args.webhook_allow_private,
        },
        signer,
        origin: args.signing.origin,
        witnesses,
        ..config::Config::default()
    };
    let state = AppState {
        throttle: Default::default(),
        leptos_options: config::leptos_options(addr, &args.site_root),
        store: store.clone(),
        config: Arc::new(config),
    };
    if let Some((listener, handle)) = metrics_listener {
        let at = listener.local_addr()?;
        tracing::info!(%at, "metrics at http://{at}/metrics");
        tokio::spawn(crate::serve_router(
            listener,
            metrics::router(store.clone(), handle),
        ));
    }
    startup.open(crate::router(state));
    tracing::info!(%addr, backend = store.backend_name(), "Vigil listening on http://{addr}");
    if crate::onboard::what_it_holds(store).await?.is_none() {
        tracing::warn!(
            "this database has no tenant yet: to start, run `{}` (README, \"Getting started\")",
            crate::onboard::HOW_TO_START
        );
    }
    server.await??;
    Ok(())
}
