//! The usage roll-ups ingest keeps in the writer's transaction: hourly and daily sums
//! per account, kind and dimension, which the Usage tab reads (see usage.rs).

use super::row::EventRow;
use super::tx::{on_tx, WriteTx, INSERT_CHUNK};
use super::Dialect;
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// The kinds whose tokens, cost and credits the Usage tab sums.
pub(crate) const USAGE_KINDS: [&str; 3] = ["ai_interaction", "job", "credit_usage"];
/// The dimensions usage is grouped by, as stored in `usage_hourly.dim`.
pub(crate) const USAGE_DIMS: [&str; 3] = ["actor", "agent", "model"];
pub(crate) const HOUR_MS: i64 = 3_600_000;
pub(crate) const DAY_MS: i64 = 86_400_000;
/// The roll-up tables: name, bucket column, bucket length.
pub(crate) const ROLLUPS: [(&str, &str, i64); 2] = [
    ("usage_hourly", "hour", HOUR_MS),
    ("usage_daily", "day", DAY_MS),
];

#[derive(Clone, PartialEq, Eq, Hash)]
struct UsageKey {
    tenant_id: String,
    dim: &'static str,
    bucket: i64,
    kind: String,
    account_id: String,
    name: String,
}

/// Usage sums of one group, as the roll-up tables and the Usage tab hold them.
#[derive(Clone, Copy, Debug, Default, sqlx::FromRow)]
pub(crate) struct UsageSums {
    pub records: i64,
    pub executions: i64,
    pub credits: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost: i64,
}

impl UsageSums {
    pub fn add(&mut self, o: &UsageSums) {
        self.records = self.records.saturating_add(o.records);
        self.executions = self.executions.saturating_add(o.executions);
        self.credits = self.credits.saturating_add(o.credits);
        self.tokens_in = self.tokens_in.saturating_add(o.tokens_in);
        self.tokens_out = self.tokens_out.saturating_add(o.tokens_out);
        self.cost = self.cost.saturating_add(o.cost);
    }
}

/// `rows` summed per bucket of `unit` ms, account, kind and each dimension's value.
fn usage_sums(rows: &[&EventRow], unit: i64) -> HashMap<UsageKey, UsageSums> {
    let mut sums: HashMap<UsageKey, UsageSums> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| USAGE_KINDS.contains(&r.kind.as_str()))
    {
        for dim in USAGE_DIMS {
            let name = match dim {
                "actor" => Some(&r.actor),
                "agent" => r.agent.as_ref(),
                _ => r.model.as_ref(),
            };
            let key = UsageKey {
                tenant_id: r.tenant_id.clone(),
                dim,
                // `%` as both databases compute it, so backfilled and live hours agree.
                bucket: r.occurred_at - r.occurred_at % unit,
                kind: r.kind.clone(),
                account_id: r.account_id.clone().unwrap_or_default(),
                name: name.cloned().unwrap_or_default(),
            };
            sums.entry(key).or_default().add(&UsageSums {
                records: 1,
                executions: r.executions.unwrap_or(0),
                credits: r.credits_micros.unwrap_or(0),
                tokens_in: r.tokens_in.unwrap_or(0),
                tokens_out: r.tokens_out.unwrap_or(0),
                cost: r.cost_micros.unwrap_or(0),
            });
        }
    }
    sums
}

/// The writer's roll-up step: `written`'s sums added to each roll-up table.
/// The roll-up columns the upsert adds to.
const SUMMED: [&str; 6] = [
    "records",
    "executions",
    "credits",
    "tokens_in",
    "tokens_out",
    "cost",
];

pub(super) async fn add_rollups(
    tx: &mut WriteTx,
    dialect: Dialect,
    written: &[&EventRow],
) -> Result<(), sqlx::Error> {
    let insert = dialect.insert_into();
    for (table, column, unit) in ROLLUPS {
        let sums: Vec<(UsageKey, UsageSums)> = usage_sums(written, unit).into_iter().collect();
        for chunk in sums.chunks(INSERT_CHUNK) {
            on_tx!(tx, |conn| {
                let mut q = QueryBuilder::new(format!(
                    "{insert} {table} (tenant_id, dim, {column}, kind, account_id, name, \
                     records, executions, credits, tokens_in, tokens_out, cost) "
                ));
                q.push_values(chunk, |mut b, (k, s)| {
                    b.push_bind(&k.tenant_id)
                        .push_bind(k.dim)
                        .push_bind(k.bucket)
                        .push_bind(&k.kind)
                        .push_bind(&k.account_id)
                        .push_bind(&k.name)
                        .push_bind(s.records)
                        .push_bind(s.executions)
                        .push_bind(s.credits)
                        .push_bind(s.tokens_in)
                        .push_bind(s.tokens_out)
                        .push_bind(s.cost);
                });
                q.push(format!(
                    " ON CONFLICT (tenant_id, dim, {column}, kind, account_id, name) DO UPDATE SET "
                ));
                // Sums saturate: one tenant's huge values must not fail the group.
                let mut set = q.separated(", ");
                for c in SUMMED {
                    set.push(format!(
                        "{c} = {}",
                        dialect.saturating_add(&format!("{table}.{c}"), &format!("excluded.{c}"))
                    ));
                }
                q.build().execute(&mut *conn).await?;
            });
        }
    }
    Ok(())
}
