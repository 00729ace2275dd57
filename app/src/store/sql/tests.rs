//! The SQL the builders write for the main query shapes, on both dialects: a changed
//! plan shape shows here, not only in the bench. The expected text was read from the
//! builders once and checked by eye; bound values are not part of it.

use super::{push_json_page, push_page};
use crate::model::{Column, Condition, EventKind, Join, Op, Scope};
use crate::store::head_prefix::{push_heads_count, PrefixRange};
use crate::store::narrow::{Candidates, Narrow};
use crate::store::query::{Cursor, EventQuery, Order};
use crate::store::search_sql::push_match_count;
use crate::store::Dialect::{self, Postgres as PG, Sqlite as LITE};
use sqlx::QueryBuilder;

/// The page query's SQL in `dialect`, with a short select list.
fn page_sql(dialect: Dialect, scope: &Scope, query: &EventQuery, narrow: &Narrow) -> String {
    let (limit, offset, select) = (50, 0, "id");
    match dialect {
        Dialect::Sqlite => {
            let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
            push_page(&mut q, scope, query, limit, offset, select, narrow);
            q.sql().to_owned()
        }
        Dialect::Postgres => {
            let mut q = QueryBuilder::<sqlx::Postgres>::new("");
            push_page(&mut q, scope, query, limit, offset, select, narrow);
            q.sql().to_owned()
        }
    }
}

fn cursor() -> Cursor {
    Cursor {
        occurred_at: 1_700_000_000_000,
        seq: 4_242,
    }
}

fn cond(column: Column, op: Op, value: &str) -> Condition {
    Condition {
        column,
        op,
        value: value.into(),
    }
}

fn jobs() -> EventQuery {
    EventQuery {
        kind: Some(EventKind::Job),
        latest_per_subject: true,
        ..EventQuery::default()
    }
}

fn admin() -> Scope {
    Scope::tenant("t1")
}

fn viewer() -> Scope {
    Scope {
        tenant_id: "t1".into(),
        accounts: Some(vec!["a1".into(), "a2".into()]),
    }
}

fn search(text: &str, query: EventQuery) -> EventQuery {
    EventQuery {
        search: Some(text.into()),
        ..query
    }
}

/// A shape: its scope and query, and per dialect the narrowing it runs with and the SQL
/// it must write (no entry: not a shape that dialect runs).
struct Case {
    name: &'static str,
    scope: Scope,
    query: EventQuery,
    runs: Vec<(Dialect, Narrow, &'static str)>,
}

/// The same narrowing on both dialects.
fn both(
    narrow: impl Fn(Dialect) -> Narrow,
    sqlite: &'static str,
    pg: &'static str,
) -> Vec<(Dialect, Narrow, &'static str)> {
    vec![(LITE, narrow(LITE), sqlite), (PG, narrow(PG), pg)]
}

fn plain(_: Dialect) -> Narrow {
    Narrow::default()
}

fn cases() -> Vec<Case> {
    let at = chrono::DateTime::from_timestamp_millis(1_699_000_000_000);
    let lookup = |d| Narrow::to(Candidates::Lookup(d));
    vec![
        Case {
            name: "scope only (tenant admin)",
            scope: admin(),
            query: EventQuery::default(),
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 ORDER BY occurred_at DESC, seq DESC LIMIT $2"#,
            ),
        },
        Case {
            name: "account-scoped viewer, kind, range, next page",
            scope: viewer(),
            query: EventQuery {
                kind: Some(EventKind::AiInteraction),
                account_id: Some("a1".into()),
                from: at,
                until: chrono::DateTime::from_timestamp_millis(1_701_000_000_000),
                cursor: Some(cursor()),
                ..EventQuery::default()
            },
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND account_id IN (?, ?) AND account_id = ? AND kind = ? AND occurred_at >= ? AND occurred_at < ? AND (occurred_at, seq) < (?, ?) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND account_id IN ($2, $3) AND account_id = $4 AND kind = $5 AND occurred_at >= $6 AND occurred_at < $7 AND (occurred_at, seq) < ($8, $9) ORDER BY occurred_at DESC, seq DESC LIMIT $10"#,
            ),
        },
        Case {
            name: "quick filter and builder OR",
            scope: admin(),
            query: EventQuery {
                all_of: vec![cond(Column::Dlp, Op::Eq, "flagged")],
                builder: vec![
                    cond(Column::Agent, Op::Eq, "triage"),
                    cond(Column::Model, Op::Ne, "gpt-4.1"),
                ],
                join: Some(Join::Or),
                ..EventQuery::default()
            },
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND (status <> ?) AND ((agent = ?) OR (model IS NULL OR model <> ?)) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND (status <> $2) AND ((agent = $3) OR (model IS NULL OR model <> $4)) ORDER BY occurred_at DESC, seq DESC LIMIT $5"#,
            ),
        },
        Case {
            name: "jobs: latest per subject, from the heads",
            scope: viewer(),
            query: jobs(),
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND seq IN (SELECT seq FROM job_heads WHERE tenant_id = ? AND account_id IN (?, ?) ORDER BY occurred_at DESC, seq DESC LIMIT ?) ORDER BY occurred_at DESC, seq DESC"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND seq IN (SELECT seq FROM job_heads WHERE tenant_id = $2 AND account_id IN ($3, $4) ORDER BY occurred_at DESC, seq DESC LIMIT $5) ORDER BY occurred_at DESC, seq DESC"#,
            ),
        },
        Case {
            name: "chain order (jobs: not from the heads)",
            scope: admin(),
            query: EventQuery {
                order: Order::ChainAscending { after_seq: 41 },
                ..jobs()
            },
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND kind = ? AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_id = events.tenant_id AND n.kind = 'job' AND n.kind = events.kind AND n.subject = events.subject AND COALESCE(n.account_id, '') = COALESCE(events.account_id, '') AND (n.occurred_at, n.seq) > (events.occurred_at, events.seq)) AND seq > ? ORDER BY seq ASC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND kind = $2 AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_id = events.tenant_id AND n.kind = 'job' AND n.kind = events.kind AND n.subject = events.subject AND COALESCE(n.account_id, '') = COALESCE(events.account_id, '') AND (n.occurred_at, n.seq) > (events.occurred_at, events.seq)) AND seq > $3 ORDER BY seq ASC LIMIT $4"#,
            ),
        },
        Case {
            name: "live: newer than",
            scope: admin(),
            query: EventQuery {
                order: Order::NewerThan(cursor()),
                from: at,
                ..EventQuery::default()
            },
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND occurred_at >= ? AND (occurred_at, seq) > (?, ?) ORDER BY occurred_at ASC, seq ASC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND occurred_at >= $2 AND (occurred_at, seq) > ($3, $4) ORDER BY occurred_at ASC, seq ASC LIMIT $5"#,
            ),
        },
        Case {
            name: "search lookup: FTS5 / trigram",
            scope: admin(),
            query: search(
                "thr_1cbd98f5",
                EventQuery {
                    kind: Some(EventKind::Thread),
                    ..EventQuery::default()
                },
            ),
            runs: both(
                lookup,
                r#"SELECT id FROM events NOT INDEXED WHERE tenant_id = ? AND kind = ? AND (lower(actor) LIKE ? ESCAPE '\' OR lower(subject) LIKE ? ESCAPE '\' OR lower(action) LIKE ? ESCAPE '\' OR lower(model) LIKE ? ESCAPE '\' OR lower(agent) LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\') AND (rowid IN (SELECT rowid FROM search_thread WHERE search_thread MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state) AND kind = 'thread')) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM (SELECT * FROM events WHERE TRUE AND ((kind = 'thread' AND (lower(actor) LIKE $1 ESCAPE '\' OR lower(subject) LIKE $2 ESCAPE '\' OR lower(action) LIKE $3 ESCAPE '\' OR lower(model) LIKE $4 ESCAPE '\' OR lower(agent) LIKE $5 ESCAPE '\'))) OFFSET 0) AS events WHERE tenant_id = $6 AND kind = $7 AND (lower(actor) LIKE $8 ESCAPE '\' OR lower(subject) LIKE $9 ESCAPE '\' OR lower(action) LIKE $10 ESCAPE '\' OR lower(model) LIKE $11 ESCAPE '\' OR lower(agent) LIKE $12 ESCAPE '\' OR id LIKE $13 ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT $14"#,
            ),
        },
        Case {
            name: "search lookup of a record id, every kind",
            scope: admin(),
            query: search(
                "01a1f515-af10-7ae4-83e0-378f9753ef2a",
                EventQuery::default(),
            ),
            runs: both(
                lookup,
                r#"SELECT id FROM events NOT INDEXED WHERE tenant_id = ? AND (lower(actor) LIKE ? ESCAPE '\' OR lower(subject) LIKE ? ESCAPE '\' OR lower(action) LIKE ? ESCAPE '\' OR lower(model) LIKE ? ESCAPE '\' OR lower(agent) LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\') AND (rowid IN (SELECT rowid FROM search_ai_interaction WHERE search_ai_interaction MATCH ? UNION ALL SELECT rowid FROM search_job WHERE search_job MATCH ? UNION ALL SELECT rowid FROM search_thread WHERE search_thread MATCH ? UNION ALL SELECT rowid FROM search_system_event WHERE search_system_event MATCH ? UNION ALL SELECT rowid FROM search_admin_action WHERE search_admin_action MATCH ? UNION ALL SELECT rowid FROM search_credit_usage WHERE search_credit_usage MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state) UNION ALL SELECT rowid FROM events WHERE tenant_id = ? AND id = ?)) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM (SELECT * FROM events WHERE TRUE AND (((lower(actor) LIKE $1 ESCAPE '\' OR lower(subject) LIKE $2 ESCAPE '\' OR lower(action) LIKE $3 ESCAPE '\' OR lower(model) LIKE $4 ESCAPE '\' OR lower(agent) LIKE $5 ESCAPE '\')) OR (tenant_id = $6 AND id = $7)) OFFSET 0) AS events WHERE tenant_id = $8 AND (lower(actor) LIKE $9 ESCAPE '\' OR lower(subject) LIKE $10 ESCAPE '\' OR lower(action) LIKE $11 ESCAPE '\' OR lower(model) LIKE $12 ESCAPE '\' OR lower(agent) LIKE $13 ESCAPE '\' OR id LIKE $14 ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT $15"#,
            ),
        },
        Case {
            name: "jobs: search lookup, checked against the heads",
            scope: admin(),
            query: search("gpt-4o", jobs()),
            runs: both(
                lookup,
                r#"SELECT id FROM events NOT INDEXED WHERE tenant_id = ? AND kind = ? AND (lower(subject) LIKE ? ESCAPE '\' OR lower(model) LIKE ? ESCAPE '\') AND (rowid IN (SELECT rowid FROM search_job WHERE search_job MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state) AND kind = 'job')) AND EXISTS (SELECT 1 FROM job_heads h WHERE h.tenant_id = events.tenant_id AND h.account_id = COALESCE(events.account_id, '') AND h.subject = events.subject AND h.seq = events.seq) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM (SELECT * FROM events WHERE TRUE AND ((kind = 'job' AND (lower(subject) LIKE $1 ESCAPE '\' OR lower(model) LIKE $2 ESCAPE '\'))) OFFSET 0) AS events WHERE tenant_id = $3 AND kind = $4 AND (lower(subject) LIKE $5 ESCAPE '\' OR lower(model) LIKE $6 ESCAPE '\') AND EXISTS (SELECT 1 FROM job_heads h WHERE h.tenant_id = events.tenant_id AND h.account_id = COALESCE(events.account_id, '') AND h.subject = events.subject AND h.seq = events.seq) ORDER BY occurred_at DESC, seq DESC LIMIT $7"#,
            ),
        },
        Case {
            name: "jobs: head-prefix search",
            scope: admin(),
            query: search("Job_1", jobs()),
            runs: both(
                |d| Narrow::to(Candidates::HeadPrefix(d)),
                r#"SELECT id FROM events WHERE tenant_id = ? AND seq IN (SELECT seq FROM job_heads NOT INDEXED WHERE tenant_id = ? AND (lower(subject) LIKE ? ESCAPE '\' OR lower(model) LIKE ? ESCAPE '\') AND rowid IN (SELECT rowid FROM job_heads WHERE tenant_id = ? AND lower(subject) >= ? AND lower(subject) < ? UNION ALL SELECT rowid FROM job_heads WHERE tenant_id = ? AND lower(model) >= ? AND lower(model) < ?) ORDER BY occurred_at DESC, seq DESC LIMIT ?) ORDER BY occurred_at DESC, seq DESC"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND seq IN (SELECT seq FROM job_heads WHERE tenant_id = $2 AND (lower(subject) LIKE $3 ESCAPE '\' OR lower(model) LIKE $4 ESCAPE '\') AND ((lower(subject) COLLATE "C" >= $5 AND lower(subject) COLLATE "C" < $6) OR (lower(model) COLLATE "C" >= $7 AND lower(model) COLLATE "C" < $8)) ORDER BY occurred_at DESC, seq DESC LIMIT $9) ORDER BY occurred_at DESC, seq DESC"#,
            ),
        },
        Case {
            name: "search window: SQLite's floor, FTS5 filter",
            scope: admin(),
            query: search("ana", EventQuery::default()),
            runs: vec![(
                LITE,
                Narrow {
                    candidates: Some(Candidates::Filter),
                    floor: Some(cursor()),
                    window: None,
                },
                r#"SELECT id FROM events WHERE tenant_id = ? AND (occurred_at, seq) >= (?, ?) AND (lower(actor) LIKE ? ESCAPE '\' OR lower(subject) LIKE ? ESCAPE '\' OR lower(action) LIKE ? ESCAPE '\' OR lower(model) LIKE ? ESCAPE '\' OR lower(agent) LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\') AND (rowid IN (SELECT rowid FROM search_ai_interaction WHERE search_ai_interaction MATCH ? UNION ALL SELECT rowid FROM search_job WHERE search_job MATCH ? UNION ALL SELECT rowid FROM search_thread WHERE search_thread MATCH ? UNION ALL SELECT rowid FROM search_system_event WHERE search_system_event MATCH ? UNION ALL SELECT rowid FROM search_admin_action WHERE search_admin_action MATCH ? UNION ALL SELECT rowid FROM search_credit_usage WHERE search_credit_usage MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state))) ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
            )],
        },
        Case {
            name: "search window: PostgreSQL's subquery",
            scope: admin(),
            query: search(
                "ana",
                EventQuery {
                    kind: Some(EventKind::AiInteraction),
                    ..EventQuery::default()
                },
            ),
            runs: vec![(
                PG,
                Narrow {
                    window: Some(1000),
                    ..Narrow::default()
                },
                r#"SELECT id FROM (SELECT * FROM events WHERE tenant_id = $1 AND kind = $2 ORDER BY occurred_at DESC, seq DESC LIMIT $3) AS events WHERE tenant_id = $4 AND kind = $5 AND (lower(actor) LIKE $6 ESCAPE '\' OR lower(subject) LIKE $7 ESCAPE '\' OR lower(action) LIKE $8 ESCAPE '\' OR lower(model) LIKE $9 ESCAPE '\' OR lower(agent) LIKE $10 ESCAPE '\' OR id LIKE $11 ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT $12"#,
            )],
        },
        Case {
            name: "jobs: search window, PostgreSQL's subquery of the heads",
            scope: admin(),
            query: search("gpt", jobs()),
            runs: vec![(
                PG,
                Narrow {
                    window: Some(1000),
                    ..Narrow::default()
                },
                r#"SELECT id FROM events WHERE tenant_id = $1 AND seq IN (SELECT seq FROM (SELECT * FROM job_heads WHERE tenant_id = $2 ORDER BY occurred_at DESC, seq DESC LIMIT $3) AS job_heads WHERE tenant_id = $4 AND (lower(subject) LIKE $5 ESCAPE '\' OR lower(model) LIKE $6 ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT $7) ORDER BY occurred_at DESC, seq DESC"#,
            )],
        },
        Case {
            name: "search walk (a short term; PostgreSQL past its window)",
            scope: admin(),
            query: search(
                "lo",
                EventQuery {
                    kind: Some(EventKind::SystemEvent),
                    ..EventQuery::default()
                },
            ),
            runs: both(
                plain,
                r#"SELECT id FROM events WHERE tenant_id = ? AND kind = ? AND (lower(action) LIKE ? ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT ?"#,
                r#"SELECT id FROM events WHERE tenant_id = $1 AND kind = $2 AND (lower(action) LIKE $3 ESCAPE '\') ORDER BY occurred_at DESC, seq DESC LIMIT $4"#,
            ),
        },
    ]
}

#[test]
fn page_queries_keep_their_shape() {
    for case in cases() {
        for (dialect, narrow, expected) in &case.runs {
            let sql = page_sql(*dialect, &case.scope, &case.query, narrow);
            assert_eq!(sql, *expected, "{} on {dialect:?}", case.name);
        }
    }
}

#[test]
fn a_search_window_floor_and_a_bulk_page_keep_their_shape() {
    let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
    let floor = Narrow::default();
    push_page(
        &mut q,
        &admin(),
        &EventQuery::default(),
        0,
        999,
        "occurred_at, seq",
        &floor,
    );
    assert_eq!(
        q.sql(),
        r#"SELECT occurred_at, seq FROM events WHERE tenant_id = ? ORDER BY occurred_at DESC, seq DESC LIMIT ? OFFSET ?"#
    );
    let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
    push_json_page(
        &mut q,
        &admin(),
        &EventQuery::default(),
        500,
        "id, seq, occurred_at, body",
        &floor,
        16 << 20,
    );
    assert_eq!(
        q.sql(),
        r#"WITH page AS (SELECT seq, SUM(len) OVER (ORDER BY occurred_at DESC, seq DESC ROWS UNBOUNDED PRECEDING) - len < ? AS kept FROM (SELECT occurred_at, seq, length(body) AS len FROM events WHERE tenant_id = ? ORDER BY occurred_at DESC, seq DESC LIMIT ?)) SELECT (SELECT json_group_array(json_array(id, seq, occurred_at, body)) FROM events WHERE tenant_id = ? AND seq IN (SELECT seq FROM page WHERE kept)), (SELECT count(*) FROM page WHERE NOT kept)"#
    );
}

#[test]
fn search_counts_keep_their_shape() {
    let prefix = PrefixRange::of("job_1").expect("ascii");
    let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
    push_heads_count(&mut q, LITE, "t1", &prefix, 2000);
    assert_eq!(
        q.sql(),
        r#"SELECT count(*) FROM (SELECT rowid FROM job_heads WHERE tenant_id = ? AND lower(subject) >= ? AND lower(subject) < ? UNION ALL SELECT rowid FROM job_heads WHERE tenant_id = ? AND lower(model) >= ? AND lower(model) < ? LIMIT ?)"#
    );
    let mut q = QueryBuilder::<sqlx::Postgres>::new("");
    push_heads_count(&mut q, PG, "t1", &prefix, 2000);
    assert_eq!(
        q.sql(),
        r#"SELECT count(*) FROM ((SELECT 1 FROM job_heads WHERE tenant_id = $1 AND lower(subject) COLLATE "C" >= $2 AND lower(subject) COLLATE "C" < $3 ORDER BY lower(subject) COLLATE "C" LIMIT $4) UNION ALL (SELECT 1 FROM job_heads WHERE tenant_id = $5 AND lower(model) COLLATE "C" >= $6 AND lower(model) COLLATE "C" < $7 ORDER BY lower(model) COLLATE "C" LIMIT $8) LIMIT $9) c"#
    );
    for (kind, expected) in [
        (
            Some(EventKind::Thread),
            r#"SELECT count(*) FROM (SELECT rowid FROM search_thread WHERE search_thread MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state) AND kind = 'thread' LIMIT ?)"#,
        ),
        (
            None,
            r#"SELECT count(*) FROM (SELECT rowid FROM search_ai_interaction WHERE search_ai_interaction MATCH ? UNION ALL SELECT rowid FROM search_job WHERE search_job MATCH ? UNION ALL SELECT rowid FROM search_thread WHERE search_thread MATCH ? UNION ALL SELECT rowid FROM search_system_event WHERE search_system_event MATCH ? UNION ALL SELECT rowid FROM search_admin_action WHERE search_admin_action MATCH ? UNION ALL SELECT rowid FROM search_credit_usage WHERE search_credit_usage MATCH ? UNION ALL SELECT rowid FROM events WHERE rowid > (SELECT upto FROM search_state) LIMIT ?)"#,
        ),
    ] {
        let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
        push_match_count(&mut q, LITE, kind, "thr_1cbd98f5", 2000);
        assert_eq!(q.sql(), expected, "{kind:?}");
    }
    for (kind, expected) in [
        (
            Some(EventKind::Thread),
            r#"SELECT count(*) FROM (SELECT 1 FROM events WHERE kind = 'thread' AND (lower(actor) LIKE $1 ESCAPE '\' OR lower(subject) LIKE $2 ESCAPE '\' OR lower(action) LIKE $3 ESCAPE '\' OR lower(model) LIKE $4 ESCAPE '\' OR lower(agent) LIKE $5 ESCAPE '\') LIMIT $6) c"#,
        ),
        (
            Some(EventKind::Job),
            r#"SELECT count(*) FROM (SELECT 1 FROM events WHERE kind = 'job' AND (lower(subject) LIKE $1 ESCAPE '\' OR lower(model) LIKE $2 ESCAPE '\') LIMIT $3) c"#,
        ),
    ] {
        let mut q = QueryBuilder::<sqlx::Postgres>::new("");
        push_match_count(&mut q, PG, kind, "thr_1cbd98f5", 2000);
        assert_eq!(q.sql(), expected, "{kind:?}");
    }
}
