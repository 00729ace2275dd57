//! Forwarding control requests (job cancel) to the tenant's own endpoint.

use std::time::Duration;

/// POSTs `body` as JSON to `url` in the background. The request is already on the
/// audit record; a failed delivery is logged, not retried.
pub fn forward(url: String, body: serde_json::Value) {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(c) => c,
            Err(e) => return tracing::error!(error = %e, "webhook client"),
        };
        match client.post(&url).json(&body).send().await {
            Ok(r) if r.status().is_success() => tracing::info!(%url, "control webhook delivered"),
            Ok(r) => tracing::warn!(%url, status = %r.status(), "control webhook refused"),
            Err(e) => tracing::warn!(%url, error = %e, "control webhook failed"),
        }
    });
}
