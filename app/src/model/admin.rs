//! What the console shows about accounts and API keys.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
}

/// An ingest key as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub prefix: String,
    pub name: String,
    /// `None`: the key may write every account of the tenant.
    pub account_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A key just created: the only time its plaintext exists outside the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKeyShown {
    pub id: String,
    pub prefix: String,
    pub plaintext: String,
}

/// One row of an aggregate: a name and its sums.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub name: String,
    pub records: i64,
    pub executions: i64,
    pub credits: crate::model::Micros,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: crate::model::Micros,
}

/// Usage over the selected period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Credit usage by actor (a user, or System) and by AI worker.
    pub credits_by_user: Vec<UsageRow>,
    pub credits_by_worker: Vec<UsageRow>,
    /// Tokens and cost of AI interactions and jobs.
    pub tokens_by_user: Vec<UsageRow>,
    pub tokens_by_agent: Vec<UsageRow>,
    pub tokens_by_model: Vec<UsageRow>,
}
