//! A tenant's settings: the control webhook, business hours (and retention, in
//! retention.rs; model rates, in rates.rs).

use super::secret::random_token;
use super::{with_read, with_write, Store, StoreResult};
use crate::model::settings::BusinessHours;

/// Where a tenant's job cancel requests are forwarded, and the key that signs them.
#[derive(Clone)]
pub struct ControlWebhook {
    pub url: String,
    secret: String,
}

impl ControlWebhook {
    /// The HMAC key of the `Vigil-Signature` header.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl std::fmt::Debug for ControlWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlWebhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Where the tenant wants job cancel requests forwarded, if anywhere.
    pub async fn control_webhook(&self, tenant_id: &str) -> StoreResult<Option<ControlWebhook>> {
        let row: Option<(Option<String>, Option<String>)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT control_webhook_url, control_webhook_secret FROM tenant_settings \
                 WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            Some((Some(url), Some(secret))) => Some(ControlWebhook { url, secret }),
            _ => None,
        })
    }

    /// Sets (or with `None` clears) the tenant's control webhook. A URL gets a new
    /// signing secret, returned to be shown once. Check the URL first
    /// (`webhook::check_url`).
    pub async fn set_control_webhook(
        &self,
        tenant_id: &str,
        url: Option<&str>,
    ) -> StoreResult<Option<String>> {
        let secret = url.map(|_| format!("whsec_{}", random_token(32)));
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, control_webhook_url, control_webhook_secret) \
                 VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE SET \
                 control_webhook_url = excluded.control_webhook_url, \
                 control_webhook_secret = excluded.control_webhook_secret",
            )
            .bind(tenant_id)
            .bind(url)
            .bind(&secret)
            .execute(pool)
            .await?;
        });
        Ok(secret)
    }
}

/// What the Settings page shows of a tenant (rates aside: see rates.rs).
#[derive(Clone, Debug, Default)]
pub struct TenantSettings {
    pub control_webhook_url: Option<String>,
    pub business_hours: Option<BusinessHours>,
}

type SettingsRow = (
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl Store {
    pub async fn tenant_settings(&self, tenant_id: &str) -> StoreResult<TenantSettings> {
        let row: Option<SettingsRow> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT control_webhook_url, business_days, business_start, business_end, \
                 business_zone FROM tenant_settings WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        let Some((url, days, start, end, zone)) = row else {
            return Ok(TenantSettings::default());
        };
        let hours = match (days, start, end, zone) {
            (Some(d), Some(s), Some(e), Some(z)) => BusinessHours::from_stored(d, s, e, &z),
            _ => None,
        };
        Ok(TenantSettings {
            control_webhook_url: url,
            business_hours: hours,
        })
    }

    /// Sets (or with `None` clears) the tenant's business hours.
    pub async fn set_business_hours(
        &self,
        tenant_id: &str,
        hours: Option<&BusinessHours>,
    ) -> StoreResult<()> {
        let days = hours.map(|h| i64::from(h.days.bits()));
        let start = hours.map(|h| i64::from(h.start));
        let end = hours.map(|h| i64::from(h.end));
        let zone = hours.map(|h| h.zone.name());
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, business_days, business_start, \
                 business_end, business_zone) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id) DO UPDATE SET business_days = excluded.business_days, \
                 business_start = excluded.business_start, business_end = excluded.business_end, \
                 business_zone = excluded.business_zone",
            )
            .bind(tenant_id)
            .bind(days)
            .bind(start)
            .bind(end)
            .bind(zone)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
