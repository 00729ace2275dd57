//! Forwarding control requests (job cancel) to the tenant's own endpoint: only to a
//! public address unless the operator allows private ones, never following redirects,
//! signed so the receiver can tell Vigil's requests from anyone else's.
//!
//! Each request carries `Vigil-Delivery` (the id of the audit record it forwards: the
//! same id means the same request), `Vigil-Timestamp` (Unix seconds) and
//! `Vigil-Signature: v1=<hex>`, the HMAC-SHA256 under the webhook's secret of
//! `<timestamp>.<body>`.

use crate::store::ControlWebhook;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What the operator allows a webhook to reach.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebhookPolicy {
    /// Plain http and loopback or private addresses (a control service on the same
    /// network, or tests). Off by default: a tenant admin could otherwise make Vigil
    /// call services only Vigil can reach.
    pub allow_private: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL")]
    Parse,
    #[error("must be https")]
    Scheme,
    #[error("has no host")]
    NoHost,
    #[error("does not resolve")]
    Resolve,
    #[error("resolves to a loopback, private or reserved address ({0})")]
    Private(IpAddr),
}

/// The URL if its form is acceptable (scheme, host), before any lookup.
pub fn check_url(text: &str, policy: WebhookPolicy) -> Result<Url, UrlError> {
    let url = Url::parse(text).map_err(|_| UrlError::Parse)?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        _ => return Err(UrlError::Scheme),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    Ok(url)
}

/// The URL if Vigil would call it now: its form (`check_url`), and every address its
/// host resolves to (`resolve`). What the Settings page checks before saving one;
/// each delivery checks again, as addresses change.
pub async fn check_target(text: &str, policy: WebhookPolicy) -> Result<Url, UrlError> {
    let url = check_url(text, policy)?;
    resolve(&url, policy).await?;
    Ok(url)
}

/// The address to connect to: every address the host resolves to must be public
/// (unless allowed), and the request goes to the one checked, so a second lookup
/// cannot point it elsewhere.
async fn resolve(url: &Url, policy: WebhookPolicy) -> Result<SocketAddr, UrlError> {
    let host = url.host_str().ok_or(UrlError::NoHost)?;
    let port = url.port_or_known_default().ok_or(UrlError::Scheme)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|_| UrlError::Resolve)?
        .collect();
    if !policy.allow_private {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(UrlError::Private(bad.ip()));
        }
    }
    addrs.first().copied().ok_or(UrlError::Resolve)
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local
                    || (first & 0xffc0) == 0xfe80 // link local
                    || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
            }
        },
    }
}

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body` as JSON to the tenant's webhook in the background. The request is
/// already on the audit record; a refused URL or a failed delivery is logged.
pub fn forward(
    hook: ControlWebhook,
    delivery: uuid::Uuid,
    body: serde_json::Value,
    policy: WebhookPolicy,
) {
    tokio::spawn(async move {
        if let Err(e) = deliver(&hook, delivery, &body, policy).await {
            tracing::warn!(url = %hook.url, %delivery, error = %e, "control webhook not delivered");
        }
    });
}

async fn deliver(
    hook: &ControlWebhook,
    delivery: uuid::Uuid,
    body: &serde_json::Value,
    policy: WebhookPolicy,
) -> Result<(), DeliveryError> {
    let url = check_url(&hook.url, policy)?;
    let addr = resolve(&url, policy).await?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, addr)
        .build()?;
    let bytes = serde_json::to_vec(body)?;
    let timestamp = chrono::Utc::now().timestamp();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("vigil-delivery", delivery.to_string())
        .header("vigil-timestamp", timestamp.to_string())
        .header(
            "vigil-signature",
            signature(hook.secret(), timestamp, &bytes),
        )
        .body(bytes)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(DeliveryError::Refused(response.status().as_u16()));
    }
    tracing::info!(url = %hook.url, %delivery, "control webhook delivered");
    Ok(())
}

/// Why a delivery failed, for the log.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("URL {0}")]
    Url(#[from] UrlError),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("the endpoint answered {0}")]
    Refused(u16),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_by_default() {
        let strict = WebhookPolicy::default();
        assert!(check_url("https://hooks.example.com/x", strict).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/x", strict).err(),
            Some(UrlError::Scheme)
        );
        assert_eq!(
            check_url("file:///etc/passwd", strict).err(),
            Some(UrlError::Scheme)
        );
        assert_eq!(check_url("nonsense", strict).err(), Some(UrlError::Parse));
        let open = WebhookPolicy {
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:9/x", open).is_ok());
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_private_address_is_refused_after_lookup() {
        let strict = WebhookPolicy::default();
        let url = check_url("https://127.0.0.1/x", strict).expect("form");
        assert!(matches!(
            resolve(&url, strict).await,
            Err(UrlError::Private(_))
        ));
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_and_body() {
        // Python: hmac.new(b"Jefe", b'1700000000.{"job_id":"job_1"}', sha256).hexdigest()
        assert_eq!(
            signature("Jefe", 1_700_000_000, b"{\"job_id\":\"job_1\"}"),
            "v1=1760a9402383efa6f0a52e7fb1b7766077daddc29d2d0f72530d5bd5fc711781"
        );
    }
}
