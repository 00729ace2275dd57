//! OpenAPI schemas (server only) of the values that serialise by hand: as the text
//! their `Display` writes, and read back from it.

use super::{DlpResult, Micros, WrittenBy};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

fn text(description: &str, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

impl PartialSchema for Micros {
    /// Written as a decimal string; read from a string or a JSON number.
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(text(
                "an exact decimal with at most 6 places",
                r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::new(Type::Number))
                    .minimum(Some(-9_223_372_036_854.0))
                    .maximum(Some(9_223_372_036_854.0)),
            )
            .description(Some(
                "USD or credits: a decimal string (as written) or number",
            ))
            .into()
    }
}
impl ToSchema for Micros {}

impl PartialSchema for DlpResult {
    fn schema() -> RefOr<Schema> {
        text(
            "`clean`, `redacted:<what>` or `blocked:<what>`",
            r"^(clean|redacted:.+|blocked:.+)$",
        )
    }
}
impl ToSchema for DlpResult {}

impl PartialSchema for WrittenBy {
    fn schema() -> RefOr<Schema> {
        text(
            "the credential that wrote the record: `api_key:<key id>`, `console:<user id>` or `vigil`",
            r"^(vigil|api_key:.+|console:.+)$",
        )
    }
}
impl ToSchema for WrittenBy {}
