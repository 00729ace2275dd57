//! PostgreSQL roles: the serving role reads and inserts, and owns nothing (README,
//! "Trust"); the owner runs the migrations and grants it this.

use super::{Backend, Store, StoreError, StoreResult};

/// What the serving role needs on PostgreSQL: read everything; insert, and update only
/// the tables Vigil keeps up to date (never `events`); delete sessions, a user's
/// memberships (when a role is replaced or removed) and a tenant's model rates (the
/// console's), and for the scheduled retention purge, records (which `events`' trigger allows only at or below
/// a retention cut, itself checked by its own trigger) and the Jobs tab's heads of them.
const SERVING_GRANTS: &[&str] = &[
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT INSERT ON events, chain_heads, job_heads, usage_hourly, usage_daily, api_keys, \
     sessions, tenants, accounts, users, memberships, tenant_settings, merkle_tiles, checkpoints, \
     retention_cuts TO {role}",
    "GRANT UPDATE ON chain_heads, job_heads, usage_hourly, usage_daily, api_keys, users, \
     tenant_settings, merkle_tiles TO {role}",
    "GRANT INSERT ON witness_cosignatures, verify_runs TO {role}",
    // Provisioning: operator tokens and invitations are made and marked used or revoked;
    // a tenant renamed; a user's roles replaced.
    "GRANT INSERT, UPDATE ON operator_tokens, invitations TO {role}",
    "GRANT UPDATE ON tenants TO {role}",
    "GRANT DELETE ON sessions, events, job_heads, memberships TO {role}",
    // The console's Members and Settings pages: invitations are withdrawn (above), a
    // role changed in place, a tenant's model rates set and removed.
    "GRANT UPDATE ON memberships TO {role}",
    "GRANT INSERT, UPDATE, DELETE ON tenant_model_rates TO {role}",
];

impl Store {
    /// Grants `role` what serving needs and nothing more (PostgreSQL; run as the owner).
    /// Not the owner, the role cannot drop or disable `events`' triggers.
    pub async fn grant_serving_role(&self, role: &str) -> StoreResult<()> {
        let Backend::Postgres { pool, .. } = &self.backend else {
            return Err(StoreError::Unsupported("roles are PostgreSQL's"));
        };
        let plain = role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(StoreError::Unsupported(
                "a role name of lowercase letters, digits and _",
            ));
        }
        for grant in SERVING_GRANTS {
            sqlx::query(&grant.replace("{role}", role))
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}
