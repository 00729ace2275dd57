//! What ingest keeps up to date for scale (hourly usage roll-ups, each job's newest
//! record) agrees with the records themselves, and group commit keeps requests apart.

use crate::common::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use app::model::{Column, Condition, Event, EventKind, Op, Scope};
use app::store::{Cursor, EventQuery, Order};
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Records over the last week at uneven minutes, in both accounts.
fn spread(n: i64, now: DateTime<Utc>) -> Vec<Value> {
    let users = ["ann", "bob", "cy"];
    let models = ["gpt-4o", "claude-sonnet-4", "gpt-4o-mini"];
    let agents = ["triage", "digest"];
    (0..n)
        .map(|i| {
            let at = (now - Duration::minutes(i * 37 + i % 7)).to_rfc3339();
            let account = if i % 5 < 2 { "a2" } else { "a1" };
            match i % 3 {
                0 => json!({"kind":"ai_interaction","account_id":account,"user":users[(i % 3) as usize],
                    "action":"chat.completion","model":models[(i % 4 % 3) as usize],"dlp":"clean",
                    "input_tokens":100 + i,"output_tokens":i,"occurred_at":at}),
                1 => json!({"kind":"job","account_id":account,"job_id":format!("job_{}", i % 40),
                    "status":"running","agent":agents[(i % 2) as usize],"model":models[(i % 3) as usize],
                    "job_type":"agent.run","occurred_at":at,"input_tokens":i,"output_tokens":7}),
                _ => json!({"kind":"credit_usage","account_id":account,"actor":users[(i % 2) as usize],
                    "ai_worker":agents[(i % 2) as usize],"executions":1 + i % 3,
                    "credits_consumed":format!("{}.25", i % 9),"balance_after":"100","occurred_at":at}),
            }
        })
        .collect()
}

async fn post(app: &TestApp, batch: &[Value]) {
    let (s, body) = app.post_events(&app.key, &json!(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn usage_rollups_agree_with_the_records(b: Backend) {
    let app = spawn_app(b).await;
    let now = Utc::now();
    let mut records = spread(240, now);
    for r in &mut records {
        r["id"] = json!(uuid::Uuid::now_v7());
    }
    post(&app, &records[..150]).await;
    post(&app, &records[150..]).await;
    // Sent again (a retry): duplicates are stored once and counted once.
    post(&app, &records[100..200]).await;

    // Any condition forces the sums over the records; this one holds for every record.
    let everything = Condition {
        column: Column::Account,
        op: Op::Ne,
        value: "no-such-account".into(),
    };
    let hour = Duration::hours(1);
    let mid_hour = |t: DateTime<Utc>| t.duration_trunc(hour).unwrap_or(t) + Duration::minutes(23);
    let ranges = [
        (None, None),
        (Some(now - Duration::days(1)), None),
        (
            Some(mid_hour(now - Duration::hours(50))),
            Some(mid_hour(now - Duration::hours(3))),
        ),
        // Within one hour: records only.
        (
            Some(mid_hour(now - Duration::hours(30))),
            Some(mid_hour(now - Duration::hours(30)) + Duration::minutes(20)),
        ),
    ];
    let scopes = [
        Scope::tenant("t1"),
        Scope {
            tenant_id: "t1".into(),
            accounts: Some(vec!["a2".into()]),
        },
    ];
    let mut compared = 0;
    for scope in &scopes {
        for (from, until) in ranges {
            let query = EventQuery {
                from,
                until,
                ..EventQuery::default()
            };
            let rolled = app.store.usage(scope, &query).await.expect("usage");
            let counted = app
                .store
                .usage(
                    scope,
                    &EventQuery {
                        builder: vec![everything.clone()],
                        ..query.clone()
                    },
                )
                .await
                .expect("usage over records");
            assert_eq!(rolled, counted, "{scope:?} {from:?}..{until:?}");
            compared += rolled.tokens_by_user.len() + rolled.credits_by_worker.len();
        }
    }
    assert!(compared > 20, "the comparisons saw data: {compared}");

    // Spot check against the input: credits of the whole tenant.
    let all = app
        .store
        .usage(&Scope::tenant("t1"), &EventQuery::default())
        .await
        .expect("usage");
    let expected: i64 = records
        .iter()
        .filter(|r| r["kind"] == "credit_usage")
        .map(|r| {
            let c = r["credits_consumed"].as_str().unwrap_or("0");
            let (whole, _) = c.split_once('.').unwrap_or((c, ""));
            whole.parse::<i64>().unwrap_or(0) * 1_000_000 + 250_000
        })
        .sum();
    let got: i64 = all
        .credits_by_worker
        .iter()
        .map(|r| r.credits.micros())
        .sum();
    assert_eq!(got, expected);
}

async fn job_heads_follow_the_newest_record(b: Backend) {
    let app = spawn_app(b).await;
    let t = |m: i64| (Utc::now() - Duration::minutes(m)).to_rfc3339();
    let job = |status: &str, at: String| json!({"kind":"job","account_id":"a1","job_id":"job_late","status":status,"agent":"triage","job_type":"agent.run","occurred_at":at});
    // The newest state arrives first; older ones later must not replace it.
    post(&app, &[job("complete", t(1))]).await;
    post(&app, &[job("queued", t(10)), job("running", t(5))]).await;
    let scope = Scope::tenant("t1");
    let jobs = EventQuery {
        kind: Some(app::model::EventKind::Job),
        latest_per_subject: true,
        limit: 50,
        ..EventQuery::default()
    };
    let (page, _) = app.store.list(&scope, &jobs).await.expect("jobs");
    assert_eq!(page.len(), 1);
    let status = |e: &app::model::Event| match &e.detail {
        app::model::EventDetail::Job(j) => j.status.as_str().to_owned(),
        _ => String::new(),
    };
    assert_eq!(status(&page[0]), "complete");
    // Filtering on the current state: it is not running any more.
    let running = EventQuery {
        all_of: vec![Condition {
            column: Column::Status,
            op: Op::Eq,
            value: "running".into(),
        }],
        ..jobs.clone()
    };
    assert!(app
        .store
        .list(&scope, &running)
        .await
        .expect("jobs")
        .0
        .is_empty());
    // A newer state replaces it.
    post(&app, &[job("failed", t(0))]).await;
    let (page, _) = app.store.list(&scope, &jobs).await.expect("jobs");
    assert_eq!(page.iter().map(status).collect::<Vec<_>>(), ["failed"]);
}

async fn concurrent_requests_commit_together_and_fail_alone(b: Backend) {
    let app = spawn_app(b).await;
    let t = Utc::now().to_rfc3339();
    let good = |i: usize| {
        (0..50)
            .map(|j| json!({"kind":"system_event","account_id":"a1","type":format!("test.{i}.{j}"),"severity":"info","description":"x","occurred_at":t}))
            .collect::<Vec<_>>()
    };
    let mut bad = good(99);
    bad[30]["account_id"] = json!("not-an-account");
    let mut calls = Vec::new();
    for i in 0..8 {
        let body = if i == 3 { json!(bad) } else { json!(good(i)) };
        let (client, base, key) = (app.client.clone(), app.base.clone(), app.key.clone());
        calls.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.expect("task").expect("response"));
    }
    assert_eq!(statuses[3], StatusCode::BAD_REQUEST, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        7,
        "{statuses:?}"
    );
    let report = app.store.verify("t1").await.expect("verify");
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(
        report.records,
        7 * 50,
        "the failed request left nothing behind"
    );
}

async fn a_rare_search_term_is_found_beyond_the_newest_records(b: Backend) {
    let app = spawn_app(b).await;
    let t = |m: i64| (Utc::now() - Duration::minutes(m)).to_rfc3339();
    let ai = |user: &str, at: String| json!({"kind":"ai_interaction","account_id":"a1","user":user,"action":"chat.completion","model":"gpt-4o","dlp":"clean","input_tokens":1,"output_tokens":1,"occurred_at":at});
    // Old records with rare values, then more common ones than a search walks first.
    let rare_id = uuid::Uuid::now_v7().to_string();
    let mut rare = ai("zed.Unique@x.test", t(5000));
    rare["id"] = json!(rare_id);
    // An id's random part (what the index is asked for) in another id too.
    let mut conv = ai("cal@x.test", t(5000));
    conv["resource"] = json!("chat:conv_7f3a9c");
    let mut decoy = ai("dee@x.test", t(5000));
    decoy["resource"] = json!("doc:7f3a9c");
    post(
        &app,
        &[
            rare,
            conv,
            decoy,
            json!({"kind":"system_event","account_id":"a1","type":"rare.thing","severity":"error","description":"x","occurred_at":t(5000)}),
        ],
    )
    .await;
    for chunk in 0..12 {
        let batch: Vec<Value> = (0..500)
            .map(|i| {
                let at = t(4000 - chunk * 300 - i / 2);
                if chunk % 2 == 0 {
                    ai("ann@x.test", at)
                } else {
                    json!({"kind":"system_event","account_id":"a1","type":"noise.event","severity":"info","description":"x","occurred_at":at})
                }
            })
            .collect();
        post(&app, &batch).await;
    }
    let scope = Scope::tenant("t1");
    let search = |kind, text: &str| EventQuery {
        kind: Some(kind),
        search: Some(text.into()),
        limit: 50,
        ..EventQuery::default()
    };
    use app::model::EventKind::{AiInteraction, SystemEvent};
    let actors =
        |page: Vec<app::model::Event>| page.into_iter().map(|e| e.actor).collect::<Vec<_>>();
    for (kind, text, found) in [
        (AiInteraction, "unique", 1), // the index, case-insensitive
        (AiInteraction, "d.uNi", 1),  // any substring of three or more
        (AiInteraction, "ze", 1), // too short for trigrams: a full walk (the console asks for 3)
        (AiInteraction, "nobody", 0),
        (SystemEvent, "rare", 1),          // event types match by prefix
        (SystemEvent, "thing", 0),         // not a prefix
        (AiInteraction, "ann@", 50),       // common: the newest page
        (AiInteraction, &rare_id, 1),      // a whole record id
        (AiInteraction, "CONV_7f3a9c", 1), // not the decoy, which holds only "7f3a9c"
        (AiInteraction, "7F3A9C", 2),
        (AiInteraction, "conv_7f3a9cd", 0),
    ] {
        let (page, _) = app
            .store
            .list(&scope, &search(kind, text))
            .await
            .expect("search");
        assert_eq!(page.len(), found, "{kind:?} {text:?}: {:?}", actors(page));
    }
    // Every kind at once (the All tab).
    let all = EventQuery {
        kind: None,
        ..search(AiInteraction, "unique")
    };
    let (page, _) = app.store.list(&scope, &all).await.expect("search");
    assert_eq!(actors(page), ["zed.Unique@x.test"]);
    let (page, _) = app
        .store
        .list(&scope, &search(AiInteraction, "unique"))
        .await
        .expect("search");
    assert_eq!(actors(page), ["zed.Unique@x.test"]);
}

/// A term in thousands of records, but hardly any of the newest, fills its pages in
/// order: PostgreSQL walks the time index or reads the index's matches depending on how
/// many the newest records hold, SQLite keeps FTS5's matches on its walk.
async fn a_common_term_sparse_among_the_newest_records_fills_its_pages(b: Backend) {
    let app = spawn_app(b).await;
    let t = |s: i64| (Utc::now() - Duration::seconds(s)).to_rfc3339();
    let ai = |user: &str, at: String| json!({"kind":"ai_interaction","account_id":"a1","user":user,"action":"chat.completion","model":"gpt-4o","dlp":"clean","input_tokens":1,"output_tokens":1,"occurred_at":at});
    let scope = Scope::tenant("t1");
    let query = |text: &str| EventQuery {
        kind: Some(EventKind::AiInteraction),
        search: Some(text.into()),
        limit: 50,
        ..EventQuery::default()
    };
    // 2,100 old matches, then 1,200 newer records without the term.
    let old: Vec<Value> = (0..2100)
        .map(|i| ai("old.hand@x.test", t(900_000 - i)))
        .collect();
    let newer: Vec<Value> = (0..1200)
        .map(|i| ai("ann@x.test", t(100_000 - i)))
        .collect();
    for batch in old.chunks(500).chain(newer.chunks(500)) {
        post(&app, batch).await;
    }
    // None among the newest: the index's matches are read.
    let (page, next) = app
        .store
        .list(&scope, &query("old.hand"))
        .await
        .expect("search");
    assert_eq!(page.len(), 50);
    assert!(next.is_some());
    assert!(page
        .windows(2)
        .all(|w| (w[0].occurred_at, w[0].seq) > (w[1].occurred_at, w[1].seq)));
    // Five among the newest: the tab is walked on to fill the page.
    let newest: Vec<Value> = (0..5).map(|i| ai("old.hand@x.test", t(10 - i))).collect();
    post(&app, &newest).await;
    let (page, _) = app
        .store
        .list(&scope, &query("old.hand"))
        .await
        .expect("search");
    assert_eq!(page.len(), 50);
    let all = all_pages(&app, &scope, &query("old.hand"), 50).await;
    assert_eq!(all.len(), 2105);
    assert_eq!(&all[..50], &page[..]);
    assert!(all
        .windows(2)
        .all(|w| (w[0].occurred_at, w[0].seq) > (w[1].occurred_at, w[1].seq)));
    assert!(all.iter().all(|e| e.actor == "old.hand@x.test"));
}

/// Every page of `query`, `limit` rows at a time, following the cursor.
async fn all_pages(app: &TestApp, scope: &Scope, query: &EventQuery, limit: u32) -> Vec<Event> {
    let mut out = Vec::new();
    let mut q = EventQuery {
        limit,
        ..query.clone()
    };
    loop {
        let (page, next) = app.store.list(scope, &q).await.expect("page");
        out.extend(page);
        match next {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

/// Export-sized pages (read as one value on SQLite) hold exactly the records, in the
/// order, that console-sized pages do: newest first with a cursor, Live's oldest first,
/// chain order, jobs' current states, a search and an account admin's scope.
async fn big_pages_match_small_pages(b: Backend) {
    let app = spawn_app(b).await;
    let now = Utc::now();
    let mut records = spread(900, now);
    // Ties on time: the id decides the order.
    for r in records.iter_mut().skip(1).step_by(50) {
        r["occurred_at"] = json!(now.to_rfc3339());
    }
    post(&app, &records[..500]).await;
    post(&app, &records[500..]).await;

    let tenant = Scope::tenant("t1");
    let account = Scope {
        tenant_id: "t1".into(),
        accounts: Some(vec!["a2".into()]),
    };
    let newest = EventQuery::default();
    let cases = [
        (&tenant, newest.clone()),
        (&account, newest.clone()),
        (
            &tenant,
            EventQuery {
                kind: Some(EventKind::Job),
                latest_per_subject: true,
                ..EventQuery::default()
            },
        ),
        (
            &tenant,
            EventQuery {
                search: Some("gpt".into()),
                ..EventQuery::default()
            },
        ),
    ];
    for (scope, query) in &cases {
        let small = all_pages(&app, scope, query, 50).await;
        let big = all_pages(&app, scope, query, 1000).await;
        assert!(!small.is_empty(), "{query:?}");
        assert_eq!(big, small, "{query:?}");
    }
    // The whole set, newest first: as many as were stored, in (time, seq) order.
    let all = all_pages(&app, &tenant, &newest, 1000).await;
    assert_eq!(all.len(), 900);
    assert!(all
        .windows(2)
        .all(|w| (w[0].occurred_at, w[0].seq) > (w[1].occurred_at, w[1].seq)));

    // Live: everything after the oldest record, oldest first, in one big page.
    let oldest = all.last().expect("records");
    let cursor = Cursor {
        occurred_at: oldest.occurred_at.timestamp_millis(),
        seq: oldest.seq,
    };
    let live = |limit| EventQuery {
        order: Order::NewerThan(cursor),
        limit,
        ..EventQuery::default()
    };
    let (big, _) = app.store.list(&tenant, &live(1000)).await.expect("live");
    let mut expected: Vec<Event> = all[..all.len() - 1].to_vec();
    expected.reverse();
    assert_eq!(big, expected);

    // Chain order: by position.
    let chain = EventQuery {
        order: Order::ChainAscending { after_seq: 0 },
        limit: 1000,
        ..EventQuery::default()
    };
    let (big, _) = app.store.list(&tenant, &chain).await.expect("chain");
    let seqs: Vec<i64> = big.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=900).collect::<Vec<i64>>());
}

/// A search on Jobs finds each job once, in its current state, whichever way the search
/// index is used (a rare job id's records are read one by one on SQLite).
async fn a_job_search_finds_current_states(b: Backend) {
    let app = spawn_app(b).await;
    let t = |m: i64| (Utc::now() - Duration::minutes(m)).to_rfc3339();
    let job = |id: &str, status: &str, at: String| json!({"kind":"job","account_id":"a1","job_id":id,"status":status,"agent":"triage","job_type":"agent.run","occurred_at":at});
    post(
        &app,
        &[
            job("job_rare1", "queued", t(30)),
            job("job_rare1", "running", t(20)),
            job("job_rare1", "complete", t(10)),
            job("job_other", "running", t(5)),
            json!({"kind":"job","account_id":"a1","job_id":"JOB_Rare2","status":"failed","agent":"triage","job_type":"agent.run","model":"GPT-4o-mini","occurred_at":t(4)}),
            json!({"kind":"job","account_id":"a2","job_id":"job_rare3","status":"failed","agent":"triage","job_type":"agent.run","occurred_at":t(3)}),
        ],
    )
    .await;
    let scope = Scope::tenant("t1");
    let term = |text: &str, status: Option<&str>| EventQuery {
        kind: Some(EventKind::Job),
        latest_per_subject: true,
        search: Some(text.into()),
        all_of: status
            .map(|s| Condition {
                column: Column::Status,
                op: Op::Eq,
                value: s.into(),
            })
            .into_iter()
            .collect(),
        limit: 50,
        ..EventQuery::default()
    };
    let search = |status: Option<&str>| term("job_rare", status);
    let states = |page: &[app::model::Event]| -> Vec<String> {
        page.iter()
            .map(|e| match &e.detail {
                app::model::EventDetail::Job(j) => format!("{} {}", j.job_id, j.status.as_str()),
                _ => String::new(),
            })
            .collect()
    };
    // Any case of the id's start, newest first, each job once.
    let (page, _) = app.store.list(&scope, &search(None)).await.expect("search");
    assert_eq!(
        states(&page),
        ["job_rare3 failed", "JOB_Rare2 failed", "job_rare1 complete"]
    );
    // A model's start; the middle of an id is no match on this tab.
    let (page, _) = app
        .store
        .list(&scope, &term("gpt-4O", None))
        .await
        .expect("model");
    assert_eq!(states(&page), ["JOB_Rare2 failed"]);
    let (page, _) = app
        .store
        .list(&scope, &term("rare", None))
        .await
        .expect("middle");
    assert!(page.is_empty(), "{page:?}");
    // An account admin sees their account's jobs only.
    let account = Scope {
        accounts: Some(vec!["a1".into()]),
        ..Scope::tenant("t1")
    };
    let (page, _) = app
        .store
        .list(&account, &search(None))
        .await
        .expect("account");
    assert_eq!(states(&page), ["JOB_Rare2 failed", "job_rare1 complete"]);
    // An earlier state matches no more: the job is complete now.
    let (page, _) = app
        .store
        .list(&scope, &search(Some("running")))
        .await
        .expect("search");
    assert!(page.is_empty(), "{page:?}");
    // The plan reads the few heads from their prefix indexes. PostgreSQL's planner
    // chooses by cost, and over a handful of rows any index will do: the bench shows
    // its plan at scale.
    let plan = app
        .store
        .explain_list(&scope, &search(None))
        .await
        .expect("plan")
        .join("\n");
    if matches!(b, Backend::Sqlite) {
        assert!(plan.contains("job_heads_subject_prefix"), "{plan}");
        assert!(plan.contains("job_heads_model_prefix"), "{plan}");
    }
}

/// SQLite's search index follows the append in a file of its own: with its indexer held
/// up (the file's write lock taken), appends still commit, and a search finds the new
/// records (rare term, common term, job prefix) among those not yet indexed; once let
/// go, the indexer catches up.
#[tokio::test]
async fn sqlite_search_finds_records_the_indexer_has_not_reached() {
    use sqlx::Connection;
    let app = spawn_app(Backend::Sqlite).await;
    let path = app.database_url.trim_start_matches("sqlite:").to_owned() + "-search";
    let mut blocker = sqlx::SqliteConnection::connect(&format!("sqlite:{path}"))
        .await
        .expect("open the search file");
    while app.store.search_lag().await.expect("lag") > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .expect("hold the search file");
    let at = Utc::now().to_rfc3339();
    let mut batch: Vec<Value> = (0..300)
        .map(|i| json!({"kind":"ai_interaction","account_id":"a1","user":"ann@x.test","action":"chat.completion","model":"gpt-4o","dlp":"clean","input_tokens":1,"output_tokens":1,"occurred_at":at.clone(),"input_tokens":i}))
        .collect();
    batch.push(json!({"kind":"ai_interaction","account_id":"a1","user":"qxv.Rare@x.test","action":"chat.completion","model":"gpt-4o","dlp":"clean","input_tokens":1,"output_tokens":1,"occurred_at":at.clone()}));
    batch.push(json!({"kind":"job","account_id":"a1","job_id":"jobzz-1","status":"running","agent":"a","model":"gpt-4o","job_type":"t","occurred_at":at}));
    post(&app, &batch).await;
    assert!(app.store.search_lag().await.expect("lag") >= 302);
    let scope = Scope::tenant("t1");
    let search = |kind, text: &str| EventQuery {
        kind: Some(kind),
        search: Some(text.into()),
        latest_per_subject: kind == app::model::EventKind::Job,
        limit: 50,
        ..EventQuery::default()
    };
    use app::model::EventKind::{AiInteraction, Job};
    for round in ["behind", "caught up"] {
        for (kind, text, found) in [
            (AiInteraction, "rare@", 1),
            (AiInteraction, "ann@x", 50),
            (AiInteraction, "nobody", 0),
            (Job, "JOBZZ", 1),
        ] {
            let (page, _) = app
                .store
                .list(&scope, &search(kind, text))
                .await
                .expect("search");
            assert_eq!(page.len(), found, "{round}: {kind:?} {text:?}");
        }
        if round == "behind" {
            assert!(app.store.search_lag().await.expect("lag") >= 302, "held up");
            sqlx::query("ROLLBACK")
                .execute(&mut blocker)
                .await
                .expect("let go");
            let waited = std::time::Instant::now();
            while app.store.search_lag().await.expect("lag") > 0 {
                assert!(waited.elapsed().as_secs() < 30, "the indexer caught up");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

/// A search file that claims more than the database holds (a database restored from a
/// backup beside a newer search file) is started again when the store opens.
#[tokio::test]
async fn sqlite_search_index_ahead_of_the_records_is_rebuilt() {
    let app = spawn_app(Backend::Sqlite).await;
    let at = Utc::now().to_rfc3339();
    post(
        &app,
        &[json!({"kind":"ai_interaction","account_id":"a1","user":"qxv.Rare@x.test","action":"chat.completion","model":"gpt-4o","dlp":"clean","input_tokens":1,"output_tokens":1,"occurred_at":at})],
    )
    .await;
    app.store
        .execute_raw("UPDATE search.search_state SET upto = 1000000000")
        .await
        .expect("claim more");
    assert!(app.store.search_lag().await.expect("lag") < 0);
    let reopened = app::store::Store::connect(&app.database_url)
        .await
        .expect("reopen");
    let waited = std::time::Instant::now();
    while reopened.search_lag().await.expect("lag") != 0 {
        assert!(waited.elapsed().as_secs() < 30, "the index was rebuilt");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let query = EventQuery {
        kind: Some(EventKind::AiInteraction),
        search: Some("rare@".into()),
        limit: 50,
        ..EventQuery::default()
    };
    let (page, _) = reopened
        .list(&Scope::tenant("t1"), &query)
        .await
        .expect("search");
    assert_eq!(page.len(), 1);
    reopened.close().await;
}

on_both_backends!(
    a_job_search_finds_current_states,
    big_pages_match_small_pages,
    a_rare_search_term_is_found_beyond_the_newest_records,
    a_common_term_sparse_among_the_newest_records_fills_its_pages,
    usage_rollups_agree_with_the_records,
    job_heads_follow_the_newest_record,
    concurrent_requests_commit_together_and_fail_alone,
);
