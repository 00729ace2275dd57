//! A fuzz of the two parsers anyone can feed: the ingest decoder and the console's
//! query parser. Inputs are valid records and console URLs mutated at random (values
//! swapped for hostile ones, keys repeated or dropped, bytes flipped, nesting deepened),
//! from a seed, so a failure can be replayed. What must hold:
//! - neither parser panics;
//! - every refusal names a field;
//! - every accepted record can be stored and read back (`EventRow::prepare`, then
//!   `into_event`), so no accepted input can break reading or verification;
//! - the console query survives its own URL form (`to_pairs` read back equals it).
//!
//! `scripts/test.sh` runs a bounded fuzz (a unit test); `vigil fuzz --inputs N` runs
//! a long one and prints its figures.

use crate::api::ingest::decode;
use crate::api::record::WriterScope;
use app::model::{ConsoleQuery, EventKind, WrittenBy};
use app::store::{EventQuery, EventRow, ModelRate};
use chrono::{TimeZone, Utc};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FuzzReport {
    pub inputs: u64,
    pub accepted: u64,
    pub refused: u64,
    /// Inputs a parser panicked on (must be 0).
    pub panics: u64,
    /// Refusals without a field (must be 0).
    pub unnamed: u64,
    /// Accepted records that could not be stored and read back (must be 0).
    pub unreadable: u64,
    /// Console queries whose URL form read back differently (must be 0).
    pub drifted: u64,
    /// The first few failures, to replay.
    pub failures: Vec<String>,
    /// Refusals by the field named (its last segment), the most common first.
    pub refused_by_field: BTreeMap<String, u64>,
}

impl FuzzReport {
    pub fn clean(&self) -> bool {
        self.panics + self.unnamed + self.unreadable + self.drifted == 0
    }

    fn fail(&mut self, what: String) {
        if self.failures.len() < 10 {
            self.failures.push(what);
        }
    }
}

/// Runs `inputs` inputs from `seed`: two in three ingest bodies, one in three console
/// queries.
pub fn run(inputs: u64, seed: u64) -> FuzzReport {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut report = FuzzReport::default();
    let rate = |m: &str, _: chrono::DateTime<chrono::Utc>| {
        (m == "gpt-4o").then_some(ModelRate {
            input_per_mtok: 2_500_000,
            output_per_mtok: 10_000_000,
        })
    };
    let writers = [
        WriterScope { account_id: None },
        WriterScope {
            account_id: Some("acme-prod".into()),
        },
    ];
    // Panics are counted, not printed: the hook would print each one.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..inputs {
        report.inputs += 1;
        if i % 3 == 2 {
            console_input(&mut rng, &mut report);
            continue;
        }
        let body = ingest_body(&mut rng);
        let writer = &writers[rng.gen_range(0..writers.len())];
        match catch_unwind(AssertUnwindSafe(|| decode(&body, writer, &rate))) {
            Err(_) => {
                report.panics += 1;
                report.fail(format!(
                    "decode panicked on {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            Ok(Err(e)) => {
                report.refused += 1;
                if e.field.is_empty() || e.field.ends_with('.') {
                    report.unnamed += 1;
                    report.fail(format!(
                        "unnamed refusal {e} of {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                let last = e.field.rsplit('.').next().unwrap_or("");
                let last = last.split('[').next().unwrap_or("").to_owned();
                *report.refused_by_field.entry(last).or_default() += 1;
            }
            Ok(Ok((events, _))) => {
                report.accepted += 1;
                for e in &events {
                    let back = EventRow::prepare("t", &WrittenBy::Vigil, e, 0)
                        .and_then(EventRow::into_event);
                    if let Err(err) = back {
                        report.unreadable += 1;
                        report.fail(format!("{err}: {}", String::from_utf8_lossy(&body)));
                    }
                }
            }
        }
    }
    std::panic::set_hook(hook);
    report
}

/// Valid records of every kind, to mutate.
fn seeds() -> Vec<Value> {
    vec![
        json!({"kind":"ai_interaction","account_id":"acme-prod","user":"zoe@acme.test","action":"chat.completion","resource":"chat:conv_abc123","model":"gpt-4o","input_tokens":1200,"output_tokens":350,"dlp":"redacted:credit_card","ip":"203.0.113.7","user_agent":"curl/8","occurred_at":"2026-11-23T10:04:05.120Z"}),
        json!({"kind":"job","account_id":"acme-prod","job_id":"job_42","status":"running","agent":"support-triage","model":"claude-sonnet-4","provider":"anthropic","job_type":"agent.run","prompt":"Summarise tickets"}),
        json!({"kind":"thread","account_id":"acme-prod","thread_id":"thr_9","source":"slack","type":"chat","agent":"support-triage","message_count":2,"latest_message":"Thanks","transcript":[{"role":"user","content":"help"},{"role":"assistant","content":"Thanks"}]}),
        json!({"kind":"system_event","account_id":"acme-prod","type":"cron.fired","severity":"info","description":"Nightly digest started","agent":"nightly-digest","metadata":{"cron":"0 3 * * *"}}),
        json!({"kind":"admin_action","account_id":"acme-prod","actor":"ana@acme.test","action":"update","resource_type":"settings","resource_id":"retention","event_name":"Settings updated","old_value":{"retention_days":90},"new_value":{"retention_days":365}}),
        json!({"kind":"admin_action","account_id":"acme-prod","action":"update","resource_type":"role","event_name":"Role updated","old_value":null}),
        json!({"kind":"credit_usage","account_id":"acme-prod","ai_worker":"support-triage","executions":3,"credits_consumed":"12.5","balance_after":"987.5"}),
    ]
}

/// A value an attacker might send in place of any other.
fn hostile_value(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..16) {
        0 => Value::Null,
        1 => json!(i64::MAX),
        2 => json!(i64::MIN),
        3 => json!(u64::MAX),
        4 => json!(-0.000_000_1),
        5 => json!(1e300),
        6 => json!(""),
        7 => json!("a\u{0}b"),
        8 => {
            // Now and then past the 1 MiB limit of long text.
            let n = if rng.gen_ratio(1, 40) {
                1_100_000
            } else {
                rng.gen_range(500..5_000)
            };
            json!("x".repeat(n))
        }
        9 => json!("9999999999999.9999999"),
        10 => json!("=HYPERLINK(\"http://evil\")"),
        11 => {
            // Near the limits (ours, and serde_json's 128) more often than by chance.
            let depth = *[30, 31, 32, 33, 125, 126, 127, 128, rng.gen_range(1..140)]
                .choose(rng)
                .unwrap_or(&1);
            (0..depth).fold(json!(1), |v, _| json!([v]))
        }
        12 => json!({"": {"\u{202e}": [true, false, null]}}),
        13 => json!(["queued", 1, {"k": "v"}]),
        14 => json!("+262142-12-31T00:00:00Z"),
        _ => {
            let chars: String = (0..rng.gen_range(0..40))
                .map(|_| char::from_u32(rng.gen_range(0..0x11_0000)).unwrap_or('\u{fffd}'))
                .collect();
            json!(chars)
        }
    }
}

/// A record, or a batch of them, mutated at the value, key and byte level.
fn ingest_body(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let seeds = seeds();
    let mut records: Vec<Value> = (0..rng.gen_range(1..4))
        .map(|_| seeds.choose(rng).cloned().unwrap_or(Value::Null))
        .collect();
    for _ in 0..rng.gen_range(0..4) {
        let Some(Value::Object(record)) = records.choose_mut(rng) else {
            continue;
        };
        let keys: Vec<String> = record.keys().cloned().collect();
        let key = keys.choose(rng).cloned().unwrap_or_default();
        match rng.gen_range(0..4) {
            0 => {
                record.remove(&key);
            }
            1 => {
                record.insert(format!("x{}", rng.gen_range(0..5)), hostile_value(rng));
            }
            _ => {
                record.insert(key, hostile_value(rng));
            }
        }
    }
    let batch = records.len() > 1 || rng.gen_bool(0.3);
    let value = if batch {
        Value::Array(records)
    } else {
        records.pop().unwrap_or(Value::Null)
    };
    let mut text = serde_json::to_vec(&value).unwrap_or_default();
    match rng.gen_range(0..8) {
        // A key given twice, as text (a map cannot hold it).
        0 => {
            if let Some(at) = find(&text, b"\"account_id\":") {
                text.splice(
                    at..at,
                    b"\"model\":\"o3\",\"model\":\"o3\",".iter().copied(),
                );
            }
        }
        // Bytes flipped, cut or inserted.
        1 if !text.is_empty() => {
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..text.len());
                text[at] = rng.gen();
            }
        }
        2 => text.truncate(rng.gen_range(0..=text.len())),
        3 => {
            let at = rng.gen_range(0..=text.len());
            let deep = "[".repeat(rng.gen_range(1..300));
            text.splice(at..at, deep.bytes());
        }
        4 => text = b"[]".to_vec(),
        _ => {}
    }
    text
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One console URL's parameters, mutated, read as the console reads them.
fn console_input(rng: &mut ChaCha8Rng, report: &mut FuzzReport) {
    const KEYS: &[&str] = &[
        "range",
        "from",
        "to",
        "status",
        "source",
        "severity",
        "agent",
        "user",
        "model",
        "action",
        "resource_type",
        "provider",
        "dlp",
        "f",
        "join",
        "q",
        "account",
        "kind",
    ];
    const VALUES: &[&str] = &[
        "custom",
        "last_7_days",
        "all_time",
        "bogus",
        "2026-11-01",
        "+262142-12-31",
        "-0001-01-01",
        "0000-00-00",
        "9999-12-31",
        "model.ne.gpt-4o",
        "user.eq.",
        "..",
        "status.eq.failed.x",
        "or",
        "and",
        "job",
        "ab",
        "\u{0}",
        "%00",
        "",
    ];
    let mut pairs: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.gen_range(0..12) {
        let key = KEYS.choose(rng).copied().unwrap_or("q");
        let value = match rng.gen_range(0..3) {
            0 => hostile_value(rng)
                .as_str()
                .unwrap_or("x")
                .chars()
                .take(300)
                .collect(),
            _ => VALUES.choose(rng).copied().unwrap_or("").to_owned(),
        };
        pairs.push((key.to_owned(), value));
    }
    let kind = [None, Some(EventKind::Job), Some(EventKind::Thread)]
        .choose(rng)
        .copied()
        .flatten();
    let now = Utc
        .timestamp_millis_opt(rng.gen_range(0..253_402_300_799_000))
        .single()
        .unwrap_or_default();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let query = ConsoleQuery::from_pairs(kind, &pairs);
        let _ = query.problem();
        let _ = EventQuery::from_console(&query, now);
        let _ = query.range.describe(now);
        let again = query.to_pairs();
        let back = ConsoleQuery::from_pairs(kind, &again);
        back == query
    }));
    match outcome {
        Err(_) => {
            report.panics += 1;
            report.fail(format!("console query panicked on {pairs:?} at {now}"));
        }
        Ok(false) => {
            report.drifted += 1;
            report.fail(format!("console query changed through its URL: {pairs:?}"));
        }
        Ok(true) => report.accepted += 1,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bounded_fuzz_finds_nothing() {
        let report = super::run(6_000, 20261205);
        assert!(report.clean(), "{:#?}", report.failures);
        assert!(report.accepted > 500 && report.refused > 500, "{report:?}");
    }
}
