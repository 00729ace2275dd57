//! Usage sums near i64's limit: the ingest accepts credits, cost and executions up to
//! i64::MAX per record, so the Usage tab's sums must saturate there rather than fail,
//! and stay exact below it, on both backends and through every tier it reads.

use crate::common::{spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::UsageSummary;
use app::model::{UsageReport, UsageRow};
use app::store::EventQuery;
use chrono::{Duration, DurationRound, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// 2^62 micro-units: two of them are i64::MAX + 1.
const HALF: &str = "4611686018427.387904";
const MAX: &str = "9223372036854.775807";

async fn summary(app: &TestApp, cookie: &str, query: Value) -> UsageReport {
    let path = <UsageSummary as leptos::server_fn::ServerFn>::PATH;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("usage");
    let status = r.status();
    let body = r.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).expect("usage report")
}

fn row<'a>(rows: &'a [UsageRow], name: &str) -> &'a UsageRow {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
}

async fn huge_sums_saturate_and_small_ones_stay_exact(b: Backend) {
    let app = spawn_app(b).await;
    // Whole hours, so the records fall in known buckets: three in one hour, the others
    // in later hours and on later days, all within the last 30 days.
    let base = Utc::now().duration_trunc(Duration::hours(1)).expect("hour") - Duration::hours(50);
    let at = |minutes: i64| (base + Duration::minutes(minutes)).to_rfc3339();
    let times = [10, 20, 30, 70, 25 * 60 + 10, 49 * 60 + 10].map(at);
    let credit = |worker: &str, credits: &str, executions: u64, when: &str| {
        json!({"kind":"credit_usage","account_id":"a1","actor":worker,"ai_worker":worker,
            "executions":executions,"credits_consumed":credits,"balance_after":"0","occurred_at":when})
    };
    let ai = |user: &str, model: &str, cost: Option<&str>, tokens: (u64, u64), when: &str| {
        let mut r = json!({"kind":"ai_interaction","account_id":"a1","user":user,"action":"chat",
            "model":model,"dlp":"clean","input_tokens":tokens.0,"output_tokens":tokens.1,"occurred_at":when});
        if let Some(c) = cost {
            r["cost"] = json!(c);
        }
        r
    };
    let mut batch = Vec::new();
    for t in &times {
        // Six halves of i64::MAX: over the limit within one hour and across days.
        batch.push(credit("whale", HALF, 1 << 62, t));
        batch.push(ai(
            "whale",
            "m-huge",
            Some(MAX),
            (1_000_000_000_000, 999_999_999_999),
            t,
        ));
    }
    // Two halves on different days: one over the limit, summed only when read.
    batch.push(credit("pair", HALF, 1 << 62, &times[1]));
    batch.push(credit("pair", HALF, 1 << 62, &times[4]));
    // Exactly the limit, in different hours: not saturated, and exact.
    batch.push(credit("edge", HALF, 0, &times[0]));
    batch.push(credit("edge", "4611686018427.387903", 0, &times[3]));
    // Above 2^53 micro-units, where a float sum would lose the last digits.
    batch.push(credit("exact", "4000000000000.000001", 5, &times[1]));
    batch.push(credit("exact", "4000000000000.000003", 7, &times[5]));
    for t in &times[..2] {
        batch.push(credit("small", "2.5", 3, t));
        batch.push(ai("ann", "gpt-4o", None, (1000, 500), t));
    }
    let (s, body) = app.post_events(&app.key, &json!(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let c = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    // The default range (last 30 days) reads the roll-ups; any filter reads the records.
    let rolled_up = summary(&app, &c, json!({})).await;
    let records = summary(
        &app,
        &c,
        json!({"builder":[{"column":"account","op":"ne","value":"none"}]}),
    )
    .await;
    assert_eq!(rolled_up, records);
    // From mid-hour: the first hour from the records, then hours, then days.
    let tiers = app
        .store
        .usage(
            &app::model::Scope::tenant("t1"),
            &EventQuery {
                from: Some(base + Duration::minutes(5)),
                ..EventQuery::default()
            },
        )
        .await
        .expect("usage from mid-hour");
    assert_eq!(rolled_up, tiers);

    let u = rolled_up;
    let whale = row(&u.credits_by_worker, "whale");
    assert_eq!(whale.credits.to_string(), MAX);
    assert_eq!(whale.executions, i64::MAX);
    assert_eq!(whale.records, 6);
    assert_eq!(row(&u.credits_by_user, "whale").credits.to_string(), MAX);
    assert_eq!(row(&u.credits_by_worker, "pair").credits.to_string(), MAX);
    assert_eq!(row(&u.credits_by_worker, "pair").executions, i64::MAX);
    assert_eq!(row(&u.credits_by_worker, "edge").credits.to_string(), MAX);
    let exact = row(&u.credits_by_worker, "exact");
    assert_eq!(exact.credits.micros(), 8_000_000_000_000_000_004);
    assert_eq!(exact.executions, 12);
    let small = row(&u.credits_by_worker, "small");
    assert_eq!(
        (small.credits.to_string().as_str(), small.executions),
        ("5", 6)
    );

    let huge = row(&u.tokens_by_model, "m-huge");
    assert_eq!(huge.cost.to_string(), MAX);
    assert_eq!(huge.input_tokens, 6_000_000_000_000);
    assert_eq!(huge.output_tokens, 5_999_999_999_994);
    assert_eq!(row(&u.tokens_by_user, "whale").cost.to_string(), MAX);
    // gpt-4o: 2 × (1000 × 2.50 + 500 × 10.00) / 1e6 USD.
    let gpt = row(&u.tokens_by_model, "gpt-4o");
    assert_eq!(
        (gpt.cost.to_string().as_str(), gpt.input_tokens),
        ("0.015", 2000)
    );
    // The heaviest first, whatever the saturation.
    assert_eq!(u.tokens_by_user[0].name, "whale");
}

on_both_backends!(huge_sums_saturate_and_small_ones_stay_exact);
