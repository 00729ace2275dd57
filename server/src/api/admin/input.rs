//! The provisioning API's input: JSON bodies read as strictly as ingest's (no duplicate
//! keys, no NUL, bounded depth, unknown fields refused), each refusal naming its field;
//! list pages from the query; the ids in paths.

use super::super::record::{deserialize_at, FieldError};
use super::super::{strict_json, ApiError, QueryPairs};
use crate::AppState;
use app::model::{Refused, TenantId};
use app::store::Page;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON body of `T`; its struct should deny unknown fields.
pub struct Input<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
                    limit: super::MAX_BODY,
                },
                _ => FieldError::new("body", e.body_text()).into(),
            })?;
        let value = strict_json::parse(&body)?;
        if !value.is_object() {
            return Err(FieldError::new("body", "expected a JSON object").into());
        }
        Ok(Input(deserialize_at(value, "")?))
    }
}

/// `value` parsed, or a 400 naming `field`.
pub fn field<T>(field: &str, value: Result<T, Refused>) -> Result<T, ApiError> {
    value.map_err(|e| FieldError::new(field, e.0).into())
}

/// The page a list asks for: `limit` (1 to 1,000, default 100) and `after` (the
/// `next_after` of the page before). Any other parameter is refused, by name.
pub struct ListPage(pub Page);

impl FromRequestParts<AppState> for ListPage {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let QueryPairs(pairs) = QueryPairs::from_request_parts(parts, state).await?;
        let mut page = Page {
            after: None,
            limit: 100,
        };
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &pairs {
            if seen.contains(&name.as_str()) {
                return Err(FieldError::new(name.clone(), "given more than once").into());
            }
            seen.push(name);
            match name.as_str() {
                "limit" => {
                    page.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=Page::MAX).contains(n))
                        .ok_or_else(|| {
                            FieldError::new(
                                "limit",
                                format!("a whole number from 1 to {}", Page::MAX),
                            )
                        })?;
                }
                "after" if value.len() <= 256 => page.after = Some(value.clone()),
                "after" => {
                    return Err(FieldError::new("after", "at most 256 bytes: a next_after").into())
                }
                other => {
                    return Err(FieldError::new(
                        other.to_owned(),
                        "unknown parameter: a list takes limit and after",
                    )
                    .into())
                }
            }
        }
        Ok(ListPage(page))
    }
}

/// The tenant a path names: an id no tenant can have is no tenant (404).
pub fn tenant_in_path(id: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(id).map_err(|_| ApiError::NoSuch("tenant"))
}

/// The tenant a path names, which must exist (404 otherwise): what every list of a
/// tenant's things starts with.
pub async fn known_tenant(state: &AppState, id: &str) -> Result<TenantId, ApiError> {
    let tenant = tenant_in_path(id)?;
    let exists = state
        .store
        .tenant_exists(tenant.as_str())
        .await
        .map_err(ApiError::read_failed)?;
    if !exists {
        return Err(ApiError::NoSuch("tenant"));
    }
    Ok(tenant)
}

/// A list's answer: its items under `name`, and the `next_after` of the next page.
pub fn page_json<T>(
    name: &str,
    listed: &app::store::Listed<T>,
    item: fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    let items: Vec<serde_json::Value> = listed.rows.iter().map(item).collect();
    serde_json::json!({ name: items, "next_after": listed.next_after })
}

/// The tenant in a path, as the OpenAPI description names it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // read by the description only
pub struct TenantPath {
    /// The tenant's id.
    tenant: String,
}

/// A list's query (`ListPage`), as the OpenAPI description names it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by the description only
pub struct ListQuery {
    /// Items per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The previous page's `next_after`.
    after: Option<String>,
}

/// A user's or key's id in a path: nothing stored is longer, or holds a NUL.
pub fn id_in_path(id: &str, what: &'static str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 64 || id.contains('\0') {
        return Err(ApiError::NoSuch(what));
    }
    Ok(())
}

/// The path's parameters (`{tenant}`, `{user}`, `{key}`), in order.
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Ids(p.0))
            .map_err(|e| FieldError::new("path", e.body_text()).into())
    }
}
