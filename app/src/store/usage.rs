//! Aggregates for the Usage tab, computed in the database over the selection.

use super::rollup::{UsageSums, ROLLUPS};
use super::sql::{push_accounts, push_where};
use super::{from_ms, to_ms, with_read, EventQuery, Store, StoreResult};
use crate::model::{EventKind, Micros, Scope, UsageReport, UsageRow};
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// One name's sums, as the queries return them.
#[derive(sqlx::FromRow)]
struct Sums {
    name: Option<String>,
    #[sqlx(flatten)]
    totals: UsageSums,
}

/// Rows per aggregate table: the heaviest users, workers and models.
const TOP: usize = 25;

/// One aggregate: which kinds, grouped by which column, biggest first by what.
#[derive(Clone, Copy)]
struct Aggregate {
    kinds: &'static [EventKind],
    group: &'static str,
    by_credits: bool,
}

const CREDITS: &[EventKind] = &[EventKind::CreditUsage];
const TOKENS: &[EventKind] = &[EventKind::AiInteraction, EventKind::Job];

/// Where a range's sums come from: a roll-up table (name, bucket column, bucket length)
/// or, for `None`, the records.
type Tier = Option<(&'static str, &'static str, i64)>;

/// Splits `[from, until)` (open where `None`) into whole days in the middle, whole hours
/// around them, and records at the edges.
fn segments(from: Option<i64>, until: Option<i64>) -> Vec<(Tier, Option<i64>, Option<i64>)> {
    let mut out = Vec::new();
    split(&mut out, from, until, &[ROLLUPS[1], ROLLUPS[0]]);
    out
}

fn split(
    out: &mut Vec<(Tier, Option<i64>, Option<i64>)>,
    from: Option<i64>,
    until: Option<i64>,
    tiers: &[(&'static str, &'static str, i64)],
) {
    let Some((&tier, finer)) = tiers.split_first() else {
        out.push((None, from, until));
        return;
    };
    let unit = tier.2;
    // Bucket starts: `%` as both databases compute it (instants before 1970 are not used).
    let first = from.map(|f| f + (unit - f % unit) % unit);
    let last = until.map(|u| u - u % unit);
    let whole = match (first, last) {
        (Some(f), Some(l)) => f < l,
        _ => true,
    };
    if !whole {
        split(out, from, until, finer);
        return;
    }
    out.push((Some(tier), first, last));
    if first != from {
        split(out, from, first, finer);
    }
    if last != until {
        split(out, last, until, finer);
    }
}

impl Store {
    /// Sums over `query`'s selection (its kind is replaced per aggregate).
    ///
    /// Without filters beyond scope, account and time, whole days and hours come from the
    /// roll-ups kept at ingest and only the partial hours at the edges of the range are
    /// summed from records; any other filter sums the records themselves.
    #[tracing::instrument(skip(self))]
    pub async fn usage(&self, scope: &Scope, query: &EventQuery) -> StoreResult<UsageReport> {
        let query = EventQuery {
            kind: None,
            latest_per_subject: false,
            ..query.clone()
        };
        let aggregate = |kinds, group, by_credits| Aggregate {
            kinds,
            group,
            by_credits,
        };
        Ok(UsageReport {
            credits_by_user: self
                .aggregate(scope, &query, aggregate(CREDITS, "actor", true))
                .await?,
            credits_by_worker: self
                .aggregate(scope, &query, aggregate(CREDITS, "agent", true))
                .await?,
            tokens_by_user: self
                .aggregate(scope, &query, aggregate(TOKENS, "actor", false))
                .await?,
            tokens_by_agent: self
                .aggregate(scope, &query, aggregate(TOKENS, "agent", false))
                .await?,
            tokens_by_model: self
                .aggregate(scope, &query, aggregate(TOKENS, "model", false))
                .await?,
        })
    }

    async fn aggregate(
        &self,
        scope: &Scope,
        query: &EventQuery,
        agg: Aggregate,
    ) -> StoreResult<Vec<UsageRow>> {
        let rolled_up = query.all_of.is_empty()
            && query.builder.is_empty()
            && query.search.is_none()
            && query.cursor.is_none();
        let mut totals: HashMap<String, UsageSums> = HashMap::new();
        let segments = if rolled_up {
            segments(query.from.map(to_ms), query.until.map(to_ms))
        } else {
            vec![(None, query.from.map(to_ms), query.until.map(to_ms))]
        };
        for (tier, from, until) in segments {
            let rows = match tier {
                Some((table, column, _)) => {
                    self.rolled_up_sums(scope, query, agg, table, column, from, until)
                        .await?
                }
                None => {
                    let part = EventQuery {
                        from: from.map(from_ms),
                        until: until.map(from_ms),
                        ..query.clone()
                    };
                    self.sums(scope, &part, agg).await?
                }
            };
            for r in rows {
                totals
                    .entry(r.name.unwrap_or_default())
                    .or_default()
                    .add(&r.totals);
            }
        }
        let mut rows: Vec<(String, UsageSums)> = totals.into_iter().collect();
        let size = |t: &UsageSums| {
            if agg.by_credits {
                i128::from(t.credits)
            } else {
                i128::from(t.tokens_in) + i128::from(t.tokens_out)
            }
        };
        rows.sort_by(|(an, a), (bn, b)| size(b).cmp(&size(a)).then_with(|| an.cmp(bn)));
        rows.truncate(TOP);
        Ok(rows
            .into_iter()
            .map(|(name, t)| UsageRow {
                name: if name.is_empty() {
                    "(none)".into()
                } else {
                    name
                },
                records: t.records,
                executions: t.executions,
                credits: Micros::from_micros(t.credits),
                input_tokens: t.tokens_in,
                output_tokens: t.tokens_out,
                cost: Micros::from_micros(t.cost),
            })
            .collect())
    }

    /// `column AS name, …` summed: saturating, since the ingest accepts credits, cost and
    /// executions up to i64::MAX per record and a Usage tab must still show.
    fn sum_columns(&self, columns: &[(&str, &str)]) -> String {
        columns
            .iter()
            .map(|(column, name)| format!("{} AS {name}", self.dialect.saturating_sum(column)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Sums from a roll-up table over its whole buckets in `[first, last)`.
    #[allow(clippy::too_many_arguments)]
    async fn rolled_up_sums(
        &self,
        scope: &Scope,
        query: &EventQuery,
        agg: Aggregate,
        table: &'static str,
        column: &'static str,
        first: Option<i64>,
        last: Option<i64>,
    ) -> StoreResult<Vec<Sums>> {
        let sums = self.sum_columns(&[
            ("records", "records"),
            ("executions", "executions"),
            ("credits", "credits"),
            ("tokens_in", "tokens_in"),
            ("tokens_out", "tokens_out"),
            ("cost", "cost"),
        ]);
        Ok(with_read!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT name, {sums} FROM {table} WHERE tenant_id = "
            ));
            q.push_bind(scope.tenant_id.clone());
            q.push(" AND dim = ").push_bind(agg.group.to_owned());
            q.push(" AND kind IN (");
            let mut list = q.separated(", ");
            for k in agg.kinds {
                list.push_bind(k.as_str().to_owned());
            }
            q.push(")");
            push_accounts(&mut q, scope, query.account_id.as_deref());
            if let Some(f) = first {
                q.push(format!(" AND {column} >= ")).push_bind(f);
            }
            if let Some(l) = last {
                q.push(format!(" AND {column} < ")).push_bind(l);
            }
            q.push(" GROUP BY name");
            q.build_query_as().fetch_all(pool).await?
        }))
    }

    /// Sums over the records themselves, every name.
    async fn sums(
        &self,
        scope: &Scope,
        query: &EventQuery,
        agg: Aggregate,
    ) -> StoreResult<Vec<Sums>> {
        let group = agg.group;
        let sums = self.sum_columns(&[
            ("executions", "executions"),
            ("credits_micros", "credits"),
            ("tokens_in", "tokens_in"),
            ("tokens_out", "tokens_out"),
            ("cost_micros", "cost"),
        ]);
        Ok(with_read!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {group} AS name, COUNT(*) AS records, {sums} FROM events WHERE tenant_id = "
            ));
            push_where(&mut q, scope, query);
            q.push(" AND kind IN (");
            let mut list = q.separated(", ");
            for k in agg.kinds {
                list.push_bind(k.as_str().to_owned());
            }
            q.push(")");
            q.push(format!(" GROUP BY {group}"));
            q.build_query_as().fetch_all(pool).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    fn tiers(
        from: Option<i64>,
        until: Option<i64>,
    ) -> Vec<(&'static str, Option<i64>, Option<i64>)> {
        let mut v: Vec<_> = segments(from, until)
            .into_iter()
            .map(|(t, f, u)| (t.map_or("records", |t| t.0), f, u))
            .collect();
        v.sort_by_key(|(_, f, _)| *f);
        v
    }

    #[test]
    fn a_range_is_whole_days_then_hours_then_records_at_its_edges() {
        let (from, until) = (D + 5 * H + 60_000, 3 * D + 2 * H + 30_000);
        assert_eq!(
            tiers(Some(from), Some(until)),
            [
                ("records", Some(from), Some(D + 6 * H)),
                ("usage_hourly", Some(D + 6 * H), Some(2 * D)),
                ("usage_daily", Some(2 * D), Some(3 * D)),
                ("usage_hourly", Some(3 * D), Some(3 * D + 2 * H)),
                ("records", Some(3 * D + 2 * H), Some(until)),
            ]
        );
    }

    #[test]
    fn open_and_short_ranges() {
        assert_eq!(tiers(None, None), [("usage_daily", None, None)]);
        // Last N days: open at the end, so only the start has edges.
        assert_eq!(
            tiers(Some(D - 1), None),
            [
                ("records", Some(D - 1), Some(D)),
                ("usage_daily", Some(D), None)
            ]
        );
        // Within one hour: records only.
        assert_eq!(
            tiers(Some(H + 5), Some(H + 50)),
            [("records", Some(H + 5), Some(H + 50))]
        );
        // Aligned on hours, shorter than a day: hours only.
        assert_eq!(
            tiers(Some(2 * H), Some(5 * H)),
            [("usage_hourly", Some(2 * H), Some(5 * H))]
        );
    }
}
