//! The Settings page's forms: model rates by effective date (applied at ingest, never
//! to records already stored), the control webhook's checks, business hours; each
//! change a "Settings updated" record with old and new values.

use crate::common::{location, set_cookie, spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::members::audited;
use crate::on_both_backends;
use app::api::UsageSummary;
use app::model::UsageReport;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn admin(app: &TestApp) -> String {
    app.sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session")
}

fn ai_at(model: &str, at: &str) -> Value {
    json!({"kind":"ai_interaction","account_id":"a1","user":"ann","action":"chat.completion",
        "model":model,"input_tokens":1_000_000,"output_tokens":1_000_000,"dlp":"clean","occurred_at":at})
}

/// The cost stored with the record `id`, as the API reads it back.
async fn cost_of(app: &TestApp, key: &str, id: &str) -> Value {
    let r = app
        .api_get(Some(key), &format!("/api/v1/events/{id}"))
        .await;
    let (s, v) = crate::common::json_of(r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["cost"].clone()
}

async fn ingest(app: &TestApp, key: &str, record: Value) -> String {
    let (s, v) = app.post_events(key, &record).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_owned()
}

async fn rates_apply_by_effective_date_at_ingest(b: Backend) {
    let app = spawn_app(b).await;
    let cookie = admin(&app).await;
    let set =
        |model: &'static str, input: &'static str, output: &'static str, from: &'static str| {
            let (app, cookie) = (&app, &cookie);
            async move {
                let r = app
                    .form(
                        Some(cookie),
                        "/settings/rates",
                        &[
                            ("model", model),
                            ("input", input),
                            ("output", output),
                            ("effective_from", from),
                        ],
                    )
                    .await;
                location(&r)
            }
        };
    assert_eq!(
        set("gpt-4o", "1", "2", "2020-01-01").await,
        "/settings?done=rate_saved"
    );
    assert_eq!(
        set("gpt-4o", "10", "20", "2024-01-01").await,
        "/settings?done=rate_saved"
    );

    // 1M tokens in and out: the cost is input + output price.
    let before = ingest(&app, &app.key, ai_at("gpt-4o", "2019-06-01T00:00:00Z")).await;
    let early = ingest(&app, &app.key, ai_at("gpt-4o", "2021-06-01T00:00:00Z")).await;
    let late = ingest(&app, &app.key, ai_at("gpt-4o", "2025-06-01T00:00:00Z")).await;
    assert_eq!(
        cost_of(&app, &app.key, &before).await,
        "12.5",
        "the default rate"
    );
    assert_eq!(cost_of(&app, &app.key, &early).await, "3");
    assert_eq!(cost_of(&app, &app.key, &late).await, "30");
    // Another tenant keeps the default.
    let mut other = ai_at("gpt-4o", "2025-06-01T00:00:00Z");
    other["account_id"] = json!("b1");
    let other = ingest(&app, &app.key_t2, other).await;
    assert_eq!(cost_of(&app, &app.key_t2, &other).await, "12.5");

    // A job that used tokens is priced too (one that used none is stored as sent), so
    // Usage's cost by agent is real.
    let at = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let job = |status: &str, tokens: u64| {
        json!({"kind":"job","account_id":"a1","job_id":"job_1","status":status,"agent":"triage",
            "model":"gpt-4o","job_type":"agent.run","input_tokens":tokens,"output_tokens":tokens,"occurred_at":at})
    };
    let queued = ingest(&app, &app.key, job("queued", 0)).await;
    let done = ingest(&app, &app.key, job("complete", 500_000)).await;
    assert_eq!(cost_of(&app, &app.key, &queued).await, Value::Null);
    assert_eq!(cost_of(&app, &app.key, &done).await, "15");
    let path = <UsageSummary as leptos::server_fn::ServerFn>::PATH;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", &cookie)
        .json(&json!({"query": {}}))
        .send()
        .await
        .expect("usage");
    let report: UsageReport = serde_json::from_str(&r.text().await.expect("body")).expect("report");
    let triage = report
        .tokens_by_agent
        .iter()
        .find(|r| r.name == "triage")
        .expect("agent row");
    assert_eq!(triage.cost.to_string(), "15");

    // Changing a rate changes no stored record, and is recorded with old and new.
    assert_eq!(
        set("gpt-4o", "100", "200", "2024-01-01").await,
        "/settings?done=rate_saved"
    );
    assert_eq!(cost_of(&app, &app.key, &late).await, "30");
    let again = ingest(&app, &app.key, ai_at("gpt-4o", "2025-06-01T00:00:00Z")).await;
    assert_eq!(cost_of(&app, &app.key, &again).await, "300");
    let updates = audited(&app, "Settings updated").await;
    assert_eq!(updates.len(), 3);
    assert!(updates[0]["old_value"].is_null());
    assert_eq!(updates[2]["old_value"]["input_usd_per_mtok"], "10");
    assert_eq!(updates[2]["new_value"]["input_usd_per_mtok"], "100");
    assert_eq!(
        updates[2]["new_value"]["effective_from"],
        "2024-01-01T00:00:00Z"
    );
    assert!(updates[2]["account_id"].is_null());
    assert_eq!(updates[2]["actor"], "tenant@t1.test");

    // Removed: the earlier rate applies again from then on.
    let r = app
        .form(
            Some(&cookie),
            "/settings/rates/remove",
            &[
                ("model", "gpt-4o"),
                ("effective_from", "2024-01-01T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/settings?done=rate_removed");
    let after = ingest(&app, &app.key, ai_at("gpt-4o", "2025-06-01T00:00:00Z")).await;
    assert_eq!(cost_of(&app, &app.key, &after).await, "3");
    let updates = audited(&app, "Settings updated").await;
    assert!(updates[3]["new_value"].is_null());
    let html = app
        .page("/settings", Some(&cookie))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("2020-01-01 00:00 UTC"), "{html}");

    // Each field at fault is named.
    for (model, input, output, from, field) in [
        ("", "1", "1", "2020-01-01", "model"),
        ("m\u{7}", "1", "1", "2020-01-01", "model"),
        ("gpt-4o", "-1", "1", "2020-01-01", "input"),
        ("gpt-4o", "abc", "1", "2020-01-01", "input"),
        ("gpt-4o", "1", "0.0000001", "2020-01-01", "output"),
        ("gpt-4o", "1", "2000000", "2020-01-01", "output"),
        ("gpt-4o", "1", "1", "2020-13-01", "effective_from"),
        ("gpt-4o", "1", "1", "soon", "effective_from"),
    ] {
        let to = location(
            &app.form(
                Some(&cookie),
                "/settings/rates",
                &[
                    ("model", model),
                    ("input", input),
                    ("output", output),
                    ("effective_from", from),
                ],
            )
            .await,
        );
        assert!(
            to.starts_with("/settings?error=") && to.ends_with(&format!("&field={field}")),
            "{to}"
        );
    }
    assert_eq!(audited(&app, "Settings updated").await.len(), 4);
}

async fn the_control_webhook_is_checked_before_it_is_saved(b: Backend) {
    let app = spawn_app(b).await;
    let cookie = admin(&app).await;
    for (url, why) in [
        ("http://hooks.example.com/x", "https"),
        ("nonsense", "not a URL"),
        ("https://127.0.0.1/x", "private"),
        ("https://10.1.2.3/x", "private"),
        ("https://[::1]/x", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("ftp://93.184.216.34/x", "https"),
    ] {
        let r = app
            .form(Some(&cookie), "/settings/webhook", &[("url", url)])
            .await;
        let to = location(&r);
        assert!(to.ends_with("&field=url"), "{url}: {to}");
        assert!(to.contains(&why.replace(' ', "+")), "{url}: {to}");
    }
    let long = format!("https://93.184.216.34/{}", "x".repeat(2100));
    let to = location(
        &app.form(Some(&cookie), "/settings/webhook", &[("url", &long)])
            .await,
    );
    assert!(to.ends_with("&field=url"), "{to}");
    assert!(app
        .store
        .control_webhook("t1")
        .await
        .expect("read")
        .is_none());

    // A public address is saved; its new secret is shown once and never recorded.
    let r = app
        .form(
            Some(&cookie),
            "/settings/webhook",
            &[("url", "https://93.184.216.34/vigil")],
        )
        .await;
    assert_eq!(location(&r), "/settings?done=webhook_set");
    let secret = set_cookie(&r, "vigil_once").expect("secret to show");
    assert!(secret.starts_with("whsec_"));
    let r = app
        .page("/settings", Some(&format!("{cookie}; vigil_once={secret}")))
        .await;
    assert_eq!(set_cookie(&r, "vigil_once").as_deref(), Some(""));
    assert!(r.text().await.expect("page").contains(&secret));
    let stored = app
        .store
        .control_webhook("t1")
        .await
        .expect("read")
        .expect("set");
    assert_eq!(stored.url, "https://93.184.216.34/vigil");
    assert_eq!(stored.secret(), secret);
    // A forged cookie shows nothing.
    let html = app
        .page(
            "/settings",
            Some(&format!("{cookie}; vigil_once=whsec_forged")),
        )
        .await
        .text()
        .await
        .expect("page");
    assert!(!html.contains("whsec_"));
    let r = app
        .form(Some(&cookie), "/settings/webhook", &[("url", "")])
        .await;
    assert_eq!(location(&r), "/settings?done=webhook_cleared");
    let updates = audited(&app, "Settings updated").await;
    assert_eq!(updates.len(), 2);
    assert!(updates[0]["old_value"]["url"].is_null());
    assert_eq!(
        updates[0]["new_value"]["url"],
        "https://93.184.216.34/vigil"
    );
    assert_eq!(
        updates[1]["old_value"]["url"],
        "https://93.184.216.34/vigil"
    );
    assert!(updates[1]["new_value"]["url"].is_null());
    for u in &updates {
        assert!(
            !u.to_string().contains(&secret),
            "the secret is never recorded"
        );
    }

    // An operator who allows private addresses (a control service next door).
    let open = spawn_app_with(b, |c| c.webhook.allow_private = true).await;
    let cookie = admin(&open).await;
    let r = open
        .form(
            Some(&cookie),
            "/settings/webhook",
            &[("url", "http://127.0.0.1:9/cancel")],
        )
        .await;
    assert_eq!(location(&r), "/settings?done=webhook_set");
}

async fn business_hours_are_validated_and_audited(b: Backend) {
    let app = spawn_app(b).await;
    let cookie = admin(&app).await;
    let hours =
        |days: &[&'static str], start: &'static str, end: &'static str, zone: &'static str| {
            let mut form: Vec<(&str, &str)> = days.iter().map(|d| ("days", *d)).collect();
            form.extend([("start", start), ("end", end), ("time_zone", zone)]);
            let (app, cookie) = (&app, &cookie);
            async move { location(&app.form(Some(cookie), "/settings/hours", &form).await) }
        };
    let week = ["mon", "tue", "wed", "thu", "fri"];
    for (days, start, end, zone, field) in [
        (
            &week[..],
            "09:00",
            "17:00",
            "Mars/Olympus_Mons",
            "time_zone",
        ),
        (&week[..], "09:00", "17:00", "", "time_zone"),
        (&[][..], "09:00", "17:00", "Europe/Berlin", "days"),
        (&["someday"][..], "09:00", "17:00", "Europe/Berlin", "days"),
        (&week[..], "17:00", "09:00", "Europe/Berlin", "end"),
        (&week[..], "9am", "17:00", "Europe/Berlin", "start"),
        (&week[..], "09:00", "25:00", "Europe/Berlin", "end"),
    ] {
        let to = hours(days, start, end, zone).await;
        assert!(
            to.ends_with(&format!("&field={field}")),
            "{days:?} {start} {end} {zone}: {to}"
        );
    }
    assert_eq!(
        hours(&week, "09:00", "17:00", "Europe/Berlin").await,
        "/settings?done=hours_saved"
    );
    let html = app
        .page("/settings", Some(&cookie))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Mon–Fri 09:00–17:00 Europe/Berlin"), "{html}");
    // The same again changes nothing and records nothing.
    assert_eq!(
        hours(&week, "09:00", "17:00", "Europe/Berlin").await,
        "/settings?done=hours_saved"
    );
    let r = app
        .form(Some(&cookie), "/settings/hours", &[("clear", "1")])
        .await;
    assert_eq!(location(&r), "/settings?done=hours_cleared");
    let updates = audited(&app, "Settings updated").await;
    assert_eq!(updates.len(), 2);
    assert!(updates[0]["old_value"].is_null());
    assert_eq!(
        updates[0]["new_value"],
        json!({"days": week, "start": "09:00", "end": "17:00", "time_zone": "Europe/Berlin"})
    );
    assert_eq!(updates[1]["old_value"]["time_zone"], "Europe/Berlin");
    assert!(updates[1]["new_value"].is_null());
    assert!(app
        .store
        .tenant_settings("t1")
        .await
        .expect("read")
        .business_hours
        .is_none());
}

on_both_backends!(
    rates_apply_by_effective_date_at_ingest,
    the_control_webhook_is_checked_before_it_is_saved,
    business_hours_are_validated_and_audited,
);
