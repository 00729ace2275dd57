//! Run-time configuration of the server.

use app::merkle::note::{NoteSigner, VerifierKey};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Mark the session cookie Secure even without a TLS hint from a proxy.
    pub secure_cookies: bool,
    /// What a tenant's control webhook may reach.
    pub webhook: app::webhook::WebhookPolicy,
    /// Signs the trees' checkpoints (see signing.rs); its name is `origin`.
    pub signer: Arc<NoteSigner>,
    /// The deployment's name: each tenant's checkpoint origin is `origin/tenant`.
    pub origin: String,
    /// The witnesses whose cosignatures are kept (`--witness-key`).
    pub witnesses: Vec<VerifierKey>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            body_limit: 32 << 20,
            secure_cookies: false,
            webhook: app::webhook::WebhookPolicy::default(),
            // A key of the process's own; `vigil serve` loads the configured file.
            signer: Arc::new(NoteSigner::generate("vigil").expect("a valid key name")),
            origin: "vigil".into(),
            witnesses: Vec::new(),
        }
    }
}

/// Leptos options from cargo-leptos' environment variables when present.
pub fn leptos_options(addr: SocketAddr, site_root: &str) -> leptos::prelude::LeptosOptions {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    leptos::prelude::LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "vigil"))
        .site_root(site_root.to_owned())
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .build()
}
