//! Model prices, for the cost of records that carry tokens but no cost: the default
//! rates (`model_rates`, every tenant's) and a tenant's own, each from a date on
//! (`tenant_model_rates`). A record's cost is computed at ingest with the rate in
//! effect at its `occurred_at` and stored with it, so changing a rate never changes a
//! stored record.
//!
//! Ingest asks for a rate per record, so the rates are held in memory: loaded when the
//! store opens, and a tenant's reloaded whenever this store changes them. (Another
//! process on the same database reads them when it starts.)

use super::{to_ms, with_read, with_write, Store, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::RwLock;

/// Per-model prices in micro-USD per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelRate {
    pub input_per_mtok: i64,
    pub output_per_mtok: i64,
}

/// A tenant's own rate for a model, from `effective_from` on (until its next one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRate {
    pub model: String,
    pub effective_from: DateTime<Utc>,
    pub rate: ModelRate,
}

/// The most rates one tenant may keep: far more than models in use, and a bound on
/// what ingest holds in memory for it.
pub const MAX_TENANT_RATES: usize = 1000;

/// Why a rate was not set.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("the tenant has {0} rates already: remove some first")]
    TooMany(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One tenant's own rates: model → (effective from, in ms; rate), ascending.
type OwnRates = HashMap<String, Vec<(i64, ModelRate)>>;

/// Every rate, as ingest looks them up.
#[derive(Debug, Default)]
pub(super) struct RateBook {
    global: HashMap<String, ModelRate>,
    tenants: RwLock<HashMap<String, OwnRates>>,
}

type RateRow = (String, String, i64, i64, i64);

fn by_model(rows: impl IntoIterator<Item = (String, i64, ModelRate)>) -> OwnRates {
    let mut models = OwnRates::new();
    for (model, from, rate) in rows {
        models.entry(model).or_default().push((from, rate));
    }
    for list in models.values_mut() {
        list.sort_by_key(|(from, _)| *from);
    }
    models
}

fn rate(input: i64, output: i64) -> ModelRate {
    ModelRate {
        input_per_mtok: input,
        output_per_mtok: output,
    }
}

impl Store {
    /// The default rate of `model` (what a tenant without rates of its own pays).
    pub fn model_rate(&self, model: &str) -> Option<ModelRate> {
        self.rates.global.get(model).copied()
    }

    /// The rate of `model` for `tenant_id` at `at`: the tenant's latest from at or
    /// before `at`, else the default.
    pub fn model_rate_at(
        &self,
        tenant_id: &str,
        model: &str,
        at: DateTime<Utc>,
    ) -> Option<ModelRate> {
        let at = to_ms(at);
        let own = {
            // A poisoned lock holds whole maps (they are replaced, not edited): usable.
            let tenants = self.rates.tenants.read().unwrap_or_else(|e| e.into_inner());
            tenants
                .get(tenant_id)
                .and_then(|models| models.get(model))
                .and_then(|list| list.iter().rev().find(|(from, _)| *from <= at))
                .map(|(_, r)| *r)
        };
        own.or_else(|| self.model_rate(model))
    }

    pub(super) async fn load_rates(&self) -> StoreResult<RateBook> {
        let global: Vec<(String, i64, i64)> = with_read!(self, |pool| {
            sqlx::query_as("SELECT model, input_per_mtok, output_per_mtok FROM model_rates")
                .fetch_all(pool)
                .await?
        });
        let own: Vec<RateRow> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, model, effective_from, input_per_mtok, output_per_mtok \
                 FROM tenant_model_rates",
            )
            .fetch_all(pool)
            .await?
        });
        let mut rows: HashMap<String, Vec<(String, i64, ModelRate)>> = HashMap::new();
        for (tenant, model, from, i, o) in own {
            rows.entry(tenant)
                .or_default()
                .push((model, from, rate(i, o)));
        }
        Ok(RateBook {
            global: global
                .into_iter()
                .map(|(m, i, o)| (m, rate(i, o)))
                .collect(),
            tenants: RwLock::new(
                rows.into_iter()
                    .map(|(t, list)| (t, by_model(list)))
                    .collect(),
            ),
        })
    }

    /// The default rates, by model.
    pub fn default_rates(&self) -> Vec<(String, ModelRate)> {
        let mut list: Vec<_> = self
            .rates
            .global
            .iter()
            .map(|(m, r)| (m.clone(), *r))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    /// The tenant's own rates, by model and date.
    pub async fn tenant_rates(&self, tenant_id: &str) -> StoreResult<Vec<TenantRate>> {
        let rows: Vec<(String, i64, i64, i64)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT model, effective_from, input_per_mtok, output_per_mtok \
                 FROM tenant_model_rates WHERE tenant_id = $1 ORDER BY model, effective_from",
            )
            .bind(tenant_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(model, from, i, o)| TenantRate {
                model,
                effective_from: super::from_ms(from),
                rate: rate(i, o),
            })
            .collect())
    }

    /// Sets the tenant's rate of `model` from `effective_from` on; returns the rate it
    /// replaces at that date, if any. Refuses a new one past `MAX_TENANT_RATES`.
    pub async fn set_tenant_rate(
        &self,
        tenant_id: &str,
        change: &TenantRate,
    ) -> Result<Option<ModelRate>, RateError> {
        let from = to_ms(change.effective_from);
        let list = self.tenant_rates(tenant_id).await?;
        let before = list
            .iter()
            .find(|r| r.model == change.model && to_ms(r.effective_from) == from)
            .map(|r| r.rate);
        if before.is_none() && list.len() >= MAX_TENANT_RATES {
            return Err(RateError::TooMany(list.len()));
        }
        let now = to_ms(Utc::now());
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_model_rates \
                 (tenant_id, model, effective_from, input_per_mtok, output_per_mtok, set_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (tenant_id, model, effective_from) DO UPDATE SET \
                 input_per_mtok = excluded.input_per_mtok, \
                 output_per_mtok = excluded.output_per_mtok, set_at = excluded.set_at",
            )
            .bind(tenant_id)
            .bind(&change.model)
            .bind(from)
            .bind(change.rate.input_per_mtok)
            .bind(change.rate.output_per_mtok)
            .bind(now)
            .execute(pool)
            .await
            .map_err(StoreError::from)?;
        });
        self.reload_tenant_rates(tenant_id).await?;
        Ok(before)
    }

    /// Removes the tenant's rate of `model` from `effective_from`; returns it if there
    /// was one. Records already stored keep the cost they were given.
    pub async fn remove_tenant_rate(
        &self,
        tenant_id: &str,
        model: &str,
        effective_from: DateTime<Utc>,
    ) -> StoreResult<Option<ModelRate>> {
        let from = to_ms(effective_from);
        let removed: Option<(i64, i64)> = with_write!(self, |pool| {
            sqlx::query_as(
                "DELETE FROM tenant_model_rates \
                 WHERE tenant_id = $1 AND model = $2 AND effective_from = $3 \
                 RETURNING input_per_mtok, output_per_mtok",
            )
            .bind(tenant_id)
            .bind(model)
            .bind(from)
            .fetch_optional(pool)
            .await?
        });
        self.reload_tenant_rates(tenant_id).await?;
        Ok(removed.map(|(i, o)| rate(i, o)))
    }

    async fn reload_tenant_rates(&self, tenant_id: &str) -> StoreResult<()> {
        let list = self.tenant_rates(tenant_id).await?;
        let models = by_model(
            list.into_iter()
                .map(|r| (r.model, to_ms(r.effective_from), r.rate)),
        );
        let mut tenants = self
            .rates
            .tenants
            .write()
            .unwrap_or_else(|e| e.into_inner());
        tenants.insert(tenant_id.to_owned(), models);
        Ok(())
    }
}
