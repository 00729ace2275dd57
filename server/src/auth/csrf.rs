//! Cross-site request forgery: a state-changing request that a browser says comes from
//! another site is refused, whatever cookie it carries (OWASP's "verifying origin with
//! standard headers"). SameSite=Lax alone leaves same-site subdomains and old browsers.
//! The key-authenticated API (`/api/v1/`) carries no cookie and is not checked.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// Refuses a cross-site POST (or other unsafe method) to the console: sign-in and
/// sign-out, server functions, anything but the key-authenticated API.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method
        && !request.uri().path().starts_with("/api/v1/")
        && !same_origin(request.headers())
    {
        let path = super::session::logged_path(request.uri().path());
        tracing::warn!(path, "cross-site request refused");
        let body = json!({"error": "forbidden", "field": "origin",
            "message": "a cross-site request to the console is refused"});
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    next.run(request).await
}

/// What the browser says of the request's origin. `Sec-Fetch-Site` when sent (every
/// current browser), else `Origin` against `Host`; a client that sends neither is no
/// browser, so it holds no victim's cookie.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn tells_same_origin_from_cross_site() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "a")])));
        assert!(same_origin(&headers(&[])));
    }
}
