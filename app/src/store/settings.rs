//! A tenant's settings.

use super::{with_read, with_write, Store, StoreResult};

impl Store {
    /// Where the tenant wants job cancel requests forwarded, if anywhere.
    pub async fn control_webhook(&self, tenant_id: &str) -> StoreResult<Option<String>> {
        let url: Option<Option<String>> = with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT control_webhook_url FROM tenant_settings WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(url.flatten())
    }

    pub async fn set_control_webhook(&self, tenant_id: &str, url: Option<&str>) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, control_webhook_url) VALUES ($1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET control_webhook_url = excluded.control_webhook_url",
            )
            .bind(tenant_id)
            .bind(url)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
