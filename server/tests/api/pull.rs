use crate::common::{ai, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use app::model::Event;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

/// 30 records a minute apart, alternating accounts a1/a2, every third a job.
async fn fill(app: &TestApp) -> Vec<Value> {
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z").expect("time");
    let records: Vec<Value> = (0..30)
        .map(|i| {
            let account = if i % 2 == 0 { "a1" } else { "a2" };
            let mut e = if i % 3 == 0 {
                json!({"kind":"job","account_id":account,"job_id":format!("job_{i}"),"status":"running","agent":"triage","job_type":"agent.run"})
            } else {
                ai(account, &format!("user{i}"))
            };
            e["occurred_at"] = json!((base + chrono::Duration::minutes(i)).to_rfc3339());
            e
        })
        .collect();
    let (s, body) = app
        .post_events(&app.key, &Value::Array(records.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post_events(&app.key_t2, &ai("b1", "other-tenant"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    records
}

fn ids(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect()
}

async fn cursor_pages_cover_everything_once_newest_first(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let (mut seen, mut times, mut query) = (Vec::new(), Vec::new(), "limit=7".to_owned());
    loop {
        let (s, page) = app.get_events(&app.key, &query).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        times.extend(
            page["events"]
                .as_array()
                .expect("events")
                .iter()
                .filter_map(|e| e["occurred_at"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("limit=7&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        30,
        "no record twice"
    );
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    assert!(times[0].starts_with("2026-01-10T12:29"));
}

async fn filters_by_kind_time_and_account(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let (_, jobs) = app.get_events(&app.key, "kind=job&limit=100").await;
    assert_eq!(ids(&jobs).len(), 10);
    assert!(jobs["events"]
        .as_array()
        .expect("events")
        .iter()
        .all(|e| e["kind"] == "job"));
    let (_, window) = app
        .get_events(
            &app.key,
            "from=2026-01-10T12:10:00Z&until=2026-01-10T12:20:00Z&limit=100",
        )
        .await;
    assert_eq!(ids(&window).len(), 10, "from inclusive, until exclusive");
    let (_, a1) = app.get_events(&app.key, "account_id=a1&limit=100").await;
    assert_eq!(ids(&a1).len(), 15);
    // The account-bound key sees its account only, whatever it asks for.
    let (_, bound) = app.get_events(&app.key_a2, "limit=100").await;
    assert_eq!(ids(&bound).len(), 15);
    assert!(bound["events"]
        .as_array()
        .expect("events")
        .iter()
        .all(|e| e["account_id"] == "a2"));
    let (_, sneaky) = app.get_events(&app.key_a2, "account_id=a1&limit=100").await;
    assert_eq!(ids(&sneaky).len(), 0);
    // Other tenants' records never appear.
    let (_, t2) = app.get_events(&app.key_t2, "limit=100").await;
    assert_eq!(ids(&t2).len(), 1);
    assert_eq!(t2["events"][0]["tenant_id"], "t2");
}

async fn after_seq_pulls_in_chain_order(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let (_, first) = app.get_events(&app.key, "after_seq=0&limit=20").await;
    let seqs: Vec<i64> = first["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    assert_eq!(first["next_after_seq"], 20);
    let (_, rest) = app.get_events(&app.key, "after_seq=20&limit=20").await;
    assert_eq!(ids(&rest).len(), 10);
    let (_, none) = app.get_events(&app.key, "after_seq=30").await;
    assert_eq!(
        (ids(&none).len(), none["next_after_seq"].as_i64()),
        (0, Some(30))
    );
}

async fn bad_parameters_name_the_field(b: Backend) {
    let app = spawn_app(b).await;
    for (query, field) in [
        ("kind=telemetry", "kind"),
        ("cursor=garbage", "cursor"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("from=yesterday", "from"),
        ("until=2026-13-01", "until"),
        ("limit=abc", "limit"),
        ("colour=red", "colour"),
        ("limit=5&limit=6", "limit"),
        ("after_seq=-1", "after_seq"),
        (
            "from=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z",
            "until",
        ),
        ("after_seq=1&cursor=MTo1", "after_seq"),
    ] {
        let (s, body) = app.get_events(&app.key, query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query} → {body}");
        assert_eq!(body["field"], field, "{query} → {body}");
    }
}

/// A pull writes each record from its stored text rather than decoding it: every kind,
/// text that needs escaping, numbers and nested values come out exactly as getting the
/// record by id (which decodes it) gives them, through the small and the bulk page reads.
async fn a_pull_returns_each_record_as_getting_it_does(b: Backend) {
    let app = spawn_app(b).await;
    let odd = "quote \" back\\slash \u{1} tab\t ☃ </script> \u{2028}";
    let batch = json!([
        {"kind":"ai_interaction","account_id":"a1","user":odd,"action":"chat","model":"gpt-4o",
         "dlp":"redacted:email","input_tokens":3,"ip":"2001:db8::1","user_agent":odd,
         "metadata":{"n":1.5e-7,"big":12345678901234567_i64,"deep":{"a":[1,{"b":odd},null,true]}}},
        {"kind":"job","account_id":"a1","job_id":"job_1","status":"failed","agent":"a",
         "job_type":"t","prompt":odd,"error":odd,"input_tokens":1000000000000_i64},
        {"kind":"thread","account_id":"a2","thread_id":"thr_1","source":"slack","type":"chat",
         "message_count":1,"transcript":[{"role":"user","content":odd}]},
        {"kind":"system_event","account_id":"a2","type":"cron.fired","severity":"info",
         "description":odd},
        {"kind":"admin_action","account_id":"a1","action":"update","resource_type":"settings",
         "event_name":"Changed","old_value":{"x":[odd, 2.5, null, true]},"new_value":[[[]]]},
        {"kind":"credit_usage","account_id":"a1","ai_worker":"w","executions":2,
         "credits_consumed":"1.5","balance_after":"-2.000001"}
    ]);
    let (s, v) = app.post_events(&app.key, &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Below 200 rows a page is read row by row; from 200, on SQLite, as one value.
    for query in [
        "limit=10",
        "limit=1000",
        "after_seq=0&limit=10",
        "after_seq=0&limit=1000",
    ] {
        let (s, page) = app.get_events(&app.key, query).await;
        assert_eq!(s, StatusCode::OK, "{query} → {page}");
        let events = page["events"].as_array().expect("events");
        assert_eq!(events.len(), 6, "{query}");
        let kinds: HashSet<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds.len(), 6, "{query}: every kind");
        for pulled in events {
            let id = pulled["id"].as_str().expect("id");
            let r = app
                .api_get(Some(&app.key), &format!("/api/v1/events/{id}"))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            let got: Value = r.json().await.expect("json");
            assert_eq!(pulled, &got, "{query}");
            let typed: Event = serde_json::from_value(pulled.clone()).expect("an Event");
            assert_eq!(typed.id.to_string(), id);
        }
    }
    let (_, page) = app.get_events(&app.key, "kind=system_event").await;
    assert_eq!(page["events"][0]["description"], odd);
    assert_eq!(page["next_cursor"], Value::Null);
}

/// An export sizes its pages by the bytes of the records (one first, then as many as
/// about 32 MiB holds at the last page's sizes, at most 1,000): large records then small
/// ones still come out each once, newest first, exactly as pulls page through them.
async fn an_export_pages_by_size_and_misses_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let now = chrono::Utc::now();
    // 200 KiB prompts (the tests' body limit is 256 KiB) newest, stamped ahead of the
    // exports' own audit records: pages of 1, then ~160, then larger ones of small records.
    for i in 0..200 {
        let at = now + chrono::Duration::minutes(50) - chrono::Duration::seconds(i * 10);
        let big = json!({"kind":"job","account_id":"a2","job_id":format!("job_{i}"),
            "status":"running","agent":"a","job_type":"t","prompt":"p".repeat(200 << 10),
            "occurred_at":at.to_rfc3339()});
        let (s, v) = app.post_events(&app.key, &big).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let small: Vec<Value> = (0..1300)
        .map(|i| {
            let mut r = ai("a1", &format!("u{i}"));
            r["occurred_at"] = json!((now - chrono::Duration::minutes(i + 1)).to_rfc3339());
            r
        })
        .collect();
    for chunk in small.chunks(500) {
        let (s, v) = app.post_events(&app.key, &json!(chunk)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let mut pulled = Vec::new();
    let mut query = "limit=1000".to_owned();
    loop {
        let (s, page) = app.get_events(&app.key, &query).await;
        assert_eq!(s, StatusCode::OK);
        pulled.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("limit=1000&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pulled.len(), 1500);
    for format in ["json", "csv"] {
        let r = app
            .client
            .get(format!("{}/api/v1/export?format={format}", app.base))
            .bearer_auth(&app.key)
            .send()
            .await
            .expect("export");
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.expect("body");
        // (kind, id) of each record; the exports' own audit records are left out.
        let exported: Vec<String> = if format == "json" {
            let list: Vec<Value> = serde_json::from_str(&body).expect("a JSON array");
            list.iter()
                .filter(|e| e["kind"] != "admin_action")
                .filter_map(|e| e["id"].as_str().map(str::to_owned))
                .collect()
        } else {
            csv::Reader::from_reader(body.as_bytes())
                .records()
                .map(|r| r.expect("row"))
                .filter(|r| &r[3] != "admin_action")
                .map(|r| r[0].to_owned())
                .collect()
        };
        assert_eq!(exported.len(), pulled.len(), "{format}");
        assert!(
            exported == pulled,
            "{format}: the same records in the same order"
        );
    }
}

/// A page holds at most `PAGE_BYTES` of stored bodies (and one record more), whatever
/// its limit: big records come in more, smaller pages, and paging still misses nothing.
async fn pages_stop_at_their_byte_budget(b: Backend) {
    let app = spawn_app(b).await;
    let prompt = "p".repeat(240 * 1024);
    let n = 80; // 80 × 240 KiB: past the 16 MiB budget
    for i in 0..n {
        let e = json!({"kind": "job", "account_id": "a1", "job_id": format!("job_{i}"),
            "status": "queued", "agent": "a", "job_type": "t", "prompt": prompt});
        let (s, body) = app.post_events(&app.key, &e).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let budget = app::store::PAGE_BYTES;
    for (first, next) in [("after_seq=0", "after_seq"), ("", "cursor")] {
        let mut query = format!("limit=1000&{first}");
        let mut seen = HashSet::new();
        let mut pages = 0;
        loop {
            let (s, page) = app.get_events(&app.key, &query).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let events = page["events"].as_array().expect("events");
            pages += 1;
            assert!(
                events.len() * prompt.len() <= budget + 2 * prompt.len(),
                "{} records in one page",
                events.len()
            );
            for e in events {
                assert!(seen.insert(e["seq"].as_i64().expect("seq")), "once each");
            }
            let token = match next {
                "after_seq" if !events.is_empty() => page["next_after_seq"].to_string(),
                "cursor" => match page["next_cursor"].as_str() {
                    Some(c) => c.to_owned(),
                    None => break,
                },
                _ => break,
            };
            query = format!("limit=1000&{next}={token}");
        }
        assert_eq!(seen.len(), n, "{next}: every record");
        assert!(pages >= 2, "{next}: {pages} pages");
    }
    // The console decodes its records whole: its pages stop sooner.
    let cookie = app
        .sign_in("tenant@t1.test", crate::common::PASSWORD)
        .await
        .expect("session");
    let (s, body) = app.list(Some(&cookie), json!({"kind": "job"})).await;
    assert_eq!(s, StatusCode::OK);
    let page: Value = serde_json::from_str(&body).expect("page");
    let shown = page["events"].as_array().map_or(0, Vec::len);
    let most = app::store::DECODED_PAGE_BYTES / prompt.len() + 1;
    assert!(
        (1..=most).contains(&shown),
        "{shown} records on a console page"
    );
    assert!(page["next_cursor"].is_string(), "more available");

    // A job's history is its newest records within the same budget, oldest first.
    for i in 0..30 {
        let status = if i == 29 { "complete" } else { "running" };
        let e = json!({"kind": "job", "account_id": "a1", "job_id": "job_long", "status": status,
            "agent": "a", "job_type": "t", "prompt": prompt,
            "occurred_at": format!("2026-12-01T00:00:{i:02}Z")});
        let (s, body) = app.post_events(&app.key, &e).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = app
        .call::<app::api::JobHistory>(
            Some(&cookie),
            &[("job_id", "job_long"), ("account_id", "a1")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let history: Vec<Value> = serde_json::from_str(&body).expect("history");
    assert!(
        (1..=most).contains(&history.len()),
        "{} records",
        history.len()
    );
    assert_eq!(
        history.last().map(|e| e["status"].clone()),
        Some(json!("complete"))
    );
}

on_both_backends!(
    pages_stop_at_their_byte_budget,
    a_pull_returns_each_record_as_getting_it_does,
    an_export_pages_by_size_and_misses_nothing,
    export_selects_what_a_pull_selects,
    cursor_pages_cover_everything_once_newest_first,
    filters_by_kind_time_and_account,
    after_seq_pulls_in_chain_order,
    bad_parameters_name_the_field,
);

/// The export reads `kind`, `account_id`, `from` and `until` exactly as a pull does, and
/// refuses what a pull refuses.
async fn export_selects_what_a_pull_selects(b: Backend) {
    let app = spawn_app(b).await;
    let at = |day: u32, account: &str, user: &str| {
        let mut r = ai(account, user);
        r["occurred_at"] = json!(format!("2026-10-{day:02}T12:00:00Z"));
        r
    };
    let batch = json!([
        at(1, "a1", "oct-1"),
        at(10, "a1", "oct-10"),
        at(10, "a2", "oct-10-a2"),
        at(20, "a1", "oct-20")
    ]);
    let (s, v) = app.post_events(&app.key, &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let export = |query: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(format!("{}/api/v1/export?format=json&{query}", app.base))
                .bearer_auth(&app.key)
                .send()
                .await
                .expect("export");
            let status = r.status();
            (status, r.text().await.expect("body"))
        }
    };
    let users = |text: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(text).expect("json");
        v.as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e["actor"].as_str().map(str::to_owned))
            .collect()
    };
    let (s, text) =
        export("from=2026-10-05T00:00:00Z&until=2026-10-15T00:00:00Z&account_id=a1").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(users(&text), ["oct-10"]);
    let (s, pulled) = app
        .get_events(
            &app.key,
            "from=2026-10-05T00:00:00Z&until=2026-10-15T00:00:00Z&account_id=a1",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pulled["events"].as_array().map(Vec::len), Some(1));
    // No range: everything, not the last 30 days.
    let (_, text) = export("kind=ai_interaction").await;
    assert_eq!(users(&text).len(), 4);
    for (query, field) in [
        ("from=garbage", "from"),
        (
            "from=2026-10-15T00:00:00Z&until=2026-10-05T00:00:00Z",
            "until",
        ),
        ("until=2026-10-05T00:00:00Z%27%20OR%20%271%27=%271", "until"),
        ("limit=5", "limit"),
        ("format=xml", "format"),
    ] {
        let (s, text) = export(query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {text}");
        let v: Value = serde_json::from_str(&text).expect("json error");
        assert_eq!(v["field"], field, "{query}: {text}");
    }
}
