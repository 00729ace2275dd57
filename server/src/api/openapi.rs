//! The HTTP API described as OpenAPI 3.1: the paths come from the handlers' own
//! `#[utoipa::path]` attributes as `api::routes` registers them (so a route cannot be
//! served undescribed), the schemas from the types the handlers read and write.
//! Served at `/api/v1/openapi.json`, shown at `/api/docs` with Swagger UI, which the
//! binary carries (`server/assets/swagger-ui/`, no CDN).

use app::model::SignedCheckpoint;
use axum::{
    http::header,
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil",
        description = "The audit log for AI platforms: ingest, pull and export records; \
            checkpoints and proofs of the tenant's Merkle tree; witnesses. Every call but \
            `/api/v1/public-key` needs an ingest key: `Authorization: Bearer <key>`. \
            Errors are JSON naming the field at fault (README, \"Ingest API\")."
    ),
    modifiers(&IngestKey),
    components(schemas(app::model::EventKind, app::model::ActorType)),
    tags(
        (name = "records", description = "Append, pull, get and export records"),
        (name = "proofs", description = "Signed checkpoints, inclusion and consistency proofs"),
        (name = "witnesses", description = "Witnesses' cosignatures and their status"),
        (name = "operator", description = "Provisioning for the platform's operator: tenants, \
            accounts, users and roles, ingest keys, invitations. Authenticated by an operator \
            token (`vigil operator-token create`), never an ingest key"),
    )
)]
pub struct ApiDoc;

/// The ingest key and the operator token, each as a bearer token.
struct IngestKey;

impl Modify for IngestKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ingest_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "operator_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error: what went wrong, and which field or parameter when one is at fault.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// `invalid_request`, `unauthorized`, `not_found`, `conflict`, `payload_too_large`
    /// or `internal`.
    pub error: String,
    /// The field or parameter at fault (`[3].status`, `limit`, `body`).
    pub field: Option<String>,
    pub message: String,
}

/// One page of a pull.
#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    pub events: Vec<app::model::Event>,
    /// Newest first: the next page's `cursor` (null on the last page).
    pub next_cursor: Option<String>,
    /// Chain order: poll again with `after_seq` set to this (null newest first).
    pub next_after_seq: Option<i64>,
}

/// `GET /api/v1/checkpoints`.
#[derive(Serialize, ToSchema)]
pub struct CheckpointList {
    pub checkpoints: Vec<SignedCheckpoint>,
}

/// The Swagger UI page, reading the description from `/api/v1/openapi.json`.
pub async fn docs() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>Vigil API</title>",
        "<link rel=\"stylesheet\" href=\"/api/docs/swagger-ui.css\"></head><body>",
        "<div id=\"swagger-ui\"></div>",
        "<script src=\"/api/docs/swagger-ui-bundle.js\"></script>",
        "<script src=\"/api/docs/init.js\"></script>",
        "</body></html>"
    ))
}

/// Swagger UI's start, as a file of its own (a page without inline scripts keeps
/// working under a strict Content-Security-Policy).
pub async fn docs_init() -> Response {
    asset(
        "text/javascript",
        b"window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui', \
          deepLinking: true });",
    )
}

pub async fn docs_js() -> Response {
    asset(
        "text/javascript",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    )
}

pub async fn docs_css() -> Response {
    asset(
        "text/css",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    )
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

/// A record as sent to `POST /api/v1/events`: the envelope and its kind's fields, in
/// one object (README, "Ingest API").
#[derive(Serialize, ToSchema)]
pub struct IngestRecord {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(flatten)]
    pub detail: app::model::EventDetail,
}

/// What every record may say besides its kind's fields.
#[derive(Serialize, ToSchema)]
pub struct Envelope {
    /// The sender's id for the record; a record sent again with it is stored once.
    /// Default: a new UUIDv7.
    pub id: Option<uuid::Uuid>,
    /// Required with a tenant-wide key (unless the record is tenant-level); a key bound
    /// to an account writes only its account.
    pub account_id: Option<String>,
    /// Default: when Vigil received it.
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who did it (`user` is accepted as the same field). Default: `System`.
    pub actor: Option<String>,
    pub actor_type: Option<app::model::ActorType>,
    /// An IPv4 or IPv6 address.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One record, or a batch of up to 1,000 stored all or nothing.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IngestBody {
    One(Box<IngestRecord>),
    /// At most 1,000 records.
    Batch(Vec<IngestRecord>),
}

/// The answer to a batch (a single record is answered with its `AppendOutcome`).
#[derive(Serialize, ToSchema)]
pub struct IngestBatch {
    /// Records newly stored (the others were already).
    pub stored: usize,
    pub events: Vec<app::store::AppendOutcome>,
}

/// `POST /api/v1/events`'s answer.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IngestAnswer {
    One(app::store::AppendOutcome),
    Batch(IngestBatch),
}

/// The description as served. The kinds' schemas refuse unknown fields, as ingest
/// does; but in a record and in an `Event` they sit beside the envelope's fields (an
/// `allOf`), which they would then refuse too. So `additionalProperties: false` is
/// dropped throughout: the server still refuses unknown fields (400 naming them).
pub fn to_json(api: &utoipa::openapi::OpenApi) -> String {
    fn open(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                if map.get("additionalProperties") == Some(&serde_json::Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                map.values_mut().for_each(open);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(open),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(api).unwrap_or_default();
    open(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
