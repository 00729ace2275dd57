//! What every console form shares: the signed-in caller, the posted fields, the one
//! error type and how each outcome is answered.

use crate::auth::session::{cookie_header, cookie_value, over_tls};
use crate::AppState;
use app::model::members::FieldProblem;
use app::model::{Role, Viewer};
use app::ssr::{refusal_html, Notice, Origin};
use app::store::{AppendError, ProvisionError, StoreError};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use std::net::SocketAddr;

/// Why a form was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// A field cannot be used as given: back to the page, naming it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// No live session: to the sign-in page.
    #[error("signed out")]
    SignedOut,
    /// The viewer's role may not send this form at all (403).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Nothing by that name within the viewer's reach (404).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The store failed; the details are logged.
    #[error("unavailable")]
    Unavailable,
}

impl FormError {
    pub fn invalid(field: &str, message: impl Into<String>) -> FormError {
        FormError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<FieldProblem> for FormError {
    fn from(p: FieldProblem) -> Self {
        FormError::invalid(p.field, p.message)
    }
}

impl From<StoreError> for FormError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "console form failed in the store");
        FormError::Unavailable
    }
}

/// The store's provisioning checks (shared with the operator API), the form's field
/// named where the API's differs.
impl From<ProvisionError> for FormError {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::Taken { field, what } => {
                FormError::invalid(field, format!("{what} exists already"))
            }
            ProvisionError::Invalid { field, message } => {
                let field = if field == "account_id" {
                    "account"
                } else {
                    field
                };
                FormError::invalid(field, message)
            }
            ProvisionError::NoTenant | ProvisionError::NotFound(_) => {
                FormError::NotFound("No such thing in your tenant.")
            }
            ProvisionError::Store(e) => e.into(),
        }
    }
}

impl From<AppendError> for FormError {
    fn from(e: AppendError) -> Self {
        tracing::error!(error = %e, "console form failed to append its audit record");
        FormError::Unavailable
    }
}

/// The one place a refusal becomes a response: `page` is the form's page, where an
/// invalid field is shown (its query says which).
pub fn refusal(page: &str, viewer: Option<&Viewer>, error: FormError) -> Response {
    let (status, message) = match error {
        FormError::Invalid { field, message } => {
            return Redirect::to(&with_query(page, &[("error", &message), ("field", &field)]))
                .into_response();
        }
        FormError::SignedOut => return Redirect::to("/login").into_response(),
        FormError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        FormError::NotFound(what) => (StatusCode::NOT_FOUND, what),
        FormError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The audit store is unavailable; nothing was changed. Try again shortly.",
        ),
    };
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Unavailable",
    };
    (status, Html(refusal_html(title, viewer, message, page))).into_response()
}

/// `path?name=value&…`, percent-encoded.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// A form carried out: back to the page with `?done=<code>`, and maybe a value to
/// show there once (`flash`: an invitation's token, a webhook's secret).
pub struct Done {
    pub code: &'static str,
    pub flash: Option<String>,
}

impl Done {
    pub fn with(code: &'static str) -> Done {
        Done { code, flash: None }
    }
}

/// The cookie that carries a value shown once from a form's post to its page: never
/// in a URL (logs, history), HttpOnly, SameSite=Strict, only for that page's path,
/// for a few minutes, and removed by the page that shows it.
pub const SHOWN_ONCE: &str = "vigil_once";
const SHOWN_ONCE_S: i64 = 300;

/// The signed-in caller of a console page or form.
pub struct Console {
    pub viewer: Viewer,
    pub origin: Origin,
    pub headers: HeaderMap,
    /// Whether cookies are marked Secure.
    pub tls: bool,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let viewer = parts
            .extensions
            .get::<Option<Viewer>>()
            .cloned()
            .flatten()
            .ok_or_else(|| Redirect::to("/login").into_response())?;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(p)| *p);
        Ok(Console {
            origin: Origin::from_request(&parts.headers, peer),
            tls: over_tls(&parts.headers, state.config.secure_cookies),
            headers: parts.headers.clone(),
            viewer,
        })
    }
}

impl Console {
    /// Refuses anyone but a tenant admin (a setting of the whole tenant).
    pub fn tenant_admin(&self) -> Result<(), FormError> {
        if self.viewer.role == Role::TenantAdmin {
            Ok(())
        } else {
            Err(FormError::Forbidden(
                "Only a tenant admin can do this: it is a setting of the whole tenant.",
            ))
        }
    }

    /// The answer to a form posted from `page`.
    pub fn answer(&self, page: &'static str, result: Result<Done, FormError>) -> Response {
        match result {
            Ok(done) => {
                let mut response =
                    Redirect::to(&with_query(page, &[("done", done.code)])).into_response();
                if let Some(value) = done.flash {
                    let cookie =
                        cookie_header(SHOWN_ONCE, &value, page, "Strict", SHOWN_ONCE_S, self.tls);
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                }
                response
            }
            Err(e) => refusal(page, Some(&self.viewer), e),
        }
    }

    /// The value a form left to show once on `page`, if any.
    pub fn shown_once(&self) -> Option<String> {
        cookie_value(&self.headers, SHOWN_ONCE).filter(|v| !v.is_empty() && v.len() <= 256)
    }

    /// A page: its HTML, and the shown-once cookie removed if the request had one.
    pub fn page(&self, path: &str, html: String) -> Response {
        let mut response = no_store(Html(html));
        if cookie_value(&self.headers, SHOWN_ONCE).is_some() {
            let gone = cookie_header(SHOWN_ONCE, "", path, "Strict", 0, self.tls);
            response.headers_mut().insert(header::SET_COOKIE, gone);
        }
        response
    }

    /// This server's origin as the browser reached it (for links to show), if the
    /// Host header is a plain host name.
    pub fn site(&self) -> Option<String> {
        let host = self.headers.get(header::HOST)?.to_str().ok()?;
        let plain = !host.is_empty()
            && host.len() <= 255
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        let scheme = if self.tls { "https" } else { "http" };
        plain.then(|| format!("{scheme}://{host}"))
    }
}

/// A page that may show a secret (a link or key shown once, an invitation's form):
/// kept out of every cache.
pub fn no_store(page: impl IntoResponse) -> Response {
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The notice a page's query carries (`?done=` or `?error=&field=`).
pub fn notice(query: Option<&str>) -> Notice {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .take(16)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Notice::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A form's fields by name. Read as pairs, so a name given several times (checked
/// boxes) keeps every value; a field expected once and given twice is refused.
pub struct Fields(Vec<(String, String)>);

/// The most fields a form may send.
const MAX_FIELDS: usize = 64;

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Fields(
            form_urlencoded::parse(&body)
                .take(MAX_FIELDS + 1)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl Fields {
    /// For tests and callers that build fields by hand.
    pub fn new(pairs: Vec<(String, String)>) -> Fields {
        Fields(pairs)
    }

    fn check(&self) -> Result<(), FormError> {
        if self.0.len() > MAX_FIELDS {
            return Err(FormError::invalid(
                "body",
                format!("more than {MAX_FIELDS} fields"),
            ));
        }
        Ok(())
    }

    /// The field given once, or `None` if absent.
    pub fn optional(&self, name: &str) -> Result<Option<&str>, FormError> {
        self.check()?;
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(FormError::invalid(name, "given more than once"));
        }
        first.map(|v| checked(name, v)).transpose()
    }

    /// The field, which the form must send (it may be empty).
    pub fn one(&self, name: &str) -> Result<&str, FormError> {
        self.optional(name)?
            .ok_or_else(|| FormError::invalid(name, "required"))
    }

    /// Every value of a field given any number of times (checked boxes).
    pub fn all(&self, name: &str) -> Result<Vec<String>, FormError> {
        self.check()?;
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| checked(name, v).map(str::to_owned))
            .collect()
    }
}

/// The longest value any of these forms' fields takes.
const MAX_VALUE: usize = 4096;

/// A value within bounds, without NUL (which PostgreSQL's text cannot hold).
fn checked<'a>(name: &str, value: &'a str) -> Result<&'a str, FormError> {
    if value.len() > MAX_VALUE {
        return Err(FormError::invalid(
            name,
            format!("longer than {MAX_VALUE} bytes"),
        ));
    }
    if value.contains('\0') {
        return Err(FormError::invalid(name, "must not contain NUL characters"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn fields_name_what_is_missing_or_repeated() {
        let f = fields(&[("email", "a@b.c"), ("days", "mon"), ("days", "tue")]);
        assert_eq!(f.one("email").ok(), Some("a@b.c"));
        assert!(matches!(f.one("role"), Err(FormError::Invalid { field, .. }) if field == "role"));
        assert!(matches!(f.one("days"), Err(FormError::Invalid { field, .. }) if field == "days"));
        assert_eq!(
            f.all("days").ok(),
            Some(vec!["mon".to_owned(), "tue".to_owned()])
        );
        let many = Fields::new(
            (0..=MAX_FIELDS)
                .map(|i| (format!("f{i}"), String::new()))
                .collect(),
        );
        assert!(matches!(many.one("f0"), Err(FormError::Invalid { field, .. }) if field == "body"));
        let bad = fields(&[("user", "u\0"), ("model", &"m".repeat(MAX_VALUE + 1))]);
        assert!(
            matches!(bad.one("user"), Err(FormError::Invalid { field, .. }) if field == "user")
        );
        assert!(
            matches!(bad.one("model"), Err(FormError::Invalid { field, .. }) if field == "model")
        );
    }

    #[test]
    fn refusals_name_the_field_in_the_query() {
        assert_eq!(
            with_query(
                "/members",
                &[("error", "not an email & more"), ("field", "email")]
            ),
            "/members?error=not+an+email+%26+more&field=email"
        );
        let n = notice(Some("error=not+an+email&field=email&other=x"));
        assert_eq!(n.error.as_deref(), Some("not an email"));
        assert_eq!(n.field.as_deref(), Some("email"));
    }
}
