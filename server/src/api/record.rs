//! Wire input → domain values, once, at the edge: every rejection names its field.

use app::model::{ActorType, EventDetail, EventKind, Micros};
use app::store::audit::{is_reserved, RESERVED_ACTIONS, RESERVED_EVENT_NAMES};
use app::store::{new_id, ModelRate, NewEvent};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::net::IpAddr;
use uuid::Uuid;

/// A rejected input, with the JSON path of the field at fault (`[3].status`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Keys every record may carry, whatever its kind.
const ENVELOPE_KEYS: &[&str] = &[
    "kind",
    "id",
    "account_id",
    "occurred_at",
    "actor",
    "user",
    "actor_type",
    "ip",
    "user_agent",
    "metadata",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    kind: EventKind,
    #[serde(default)]
    id: Option<Uuid>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    occurred_at: Option<DateTime<Utc>>,
    /// `user` is accepted as the natural name on AI interactions.
    #[serde(default, alias = "user")]
    actor: Option<String>,
    #[serde(default)]
    actor_type: Option<ActorType>,
    #[serde(default)]
    ip: Option<IpAddr>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    metadata: Map<String, Value>,
}

/// What the authenticated caller may write.
#[derive(Clone, Debug)]
pub struct WriterScope {
    /// A key bound to one account may only write that account.
    pub account_id: Option<String>,
}

/// Short identifiers (actor, model, agent…) and long text (prompts, transcripts).
const SHORT_MAX: usize = 512;
const LONG_MAX: usize = 1 << 20;
/// Senders' clocks drift; a record from further in the future is a bug.
const MAX_FUTURE: Duration = Duration::hours(1);

/// `field` inside the record at `prefix` (`[3].status`, or `status` for a single record).
pub fn field_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

pub(crate) fn deserialize_at<T: DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = match (path.as_str(), named_in(&message)) {
            // A missing or unknown field is reported at its object: name the field.
            (".", Some(name)) if !name.is_empty() => field_path(prefix, name),
            (".", None) if prefix.is_empty() => "body".to_owned(),
            (".", None) => prefix.to_owned(),
            (p, _) => field_path(prefix, p),
        };
        // A key serde cannot name (an empty one): the record itself.
        let field = match field.strip_suffix('.') {
            Some("") => "body".to_owned(),
            Some(record) => record.to_owned(),
            None if field.is_empty() => "body".to_owned(),
            None => field,
        };
        FieldError::new(field, message)
    })
}

/// The field serde names in "missing field `x`" or "unknown field `x`, expected …".
fn named_in(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(name, _)| name)
}

/// Parses one wire record. `prefix` locates it in the request (`[3]`, or empty).
pub fn parse_record(
    value: Value,
    prefix: &str,
    writer: &WriterScope,
    rate: impl Fn(&str, DateTime<Utc>) -> Option<ModelRate>,
    now: DateTime<Utc>,
) -> Result<NewEvent, FieldError> {
    let at = |name: &str| field_path(prefix, name);
    let Value::Object(mut object) = value else {
        let field = if prefix.is_empty() { "body" } else { prefix };
        return Err(FieldError::new(field, "expected a JSON object"));
    };
    let mut envelope = Map::new();
    for key in ENVELOPE_KEYS {
        if let Some(v) = object.remove(*key) {
            envelope.insert((*key).to_owned(), v);
        }
    }
    let env: Envelope = deserialize_at(Value::Object(envelope), prefix)?;
    // Straight into the kind's struct (not the tagged enum, which would hide the path).
    let rest = Value::Object(object);
    let mut detail = match env.kind {
        EventKind::AiInteraction => EventDetail::AiInteraction(deserialize_at(rest, prefix)?),
        EventKind::Job => EventDetail::Job(deserialize_at(rest, prefix)?),
        EventKind::Thread => EventDetail::Thread(deserialize_at(rest, prefix)?),
        EventKind::SystemEvent => EventDetail::SystemEvent(deserialize_at(rest, prefix)?),
        EventKind::AdminAction => EventDetail::AdminAction(deserialize_at(rest, prefix)?),
        EventKind::CreditUsage => EventDetail::CreditUsage(deserialize_at(rest, prefix)?),
    };

    let account_id = match (&writer.account_id, env.account_id) {
        (Some(bound), None) => bound.clone(),
        (Some(bound), Some(given)) if *bound == given => given,
        (Some(bound), Some(_)) => {
            return Err(FieldError::new(
                at("account_id"),
                format!("this API key may only write account {bound}"),
            ))
        }
        (None, Some(given)) => given,
        (None, None) => {
            return Err(FieldError::new(
                at("account_id"),
                "required: this API key is not bound to one account",
            ))
        }
    };
    check_short(&at("account_id"), &account_id, true)?;

    let occurred_at = env.occurred_at.unwrap_or(now);
    if occurred_at > now + MAX_FUTURE {
        return Err(FieldError::new(
            at("occurred_at"),
            "more than an hour in the future",
        ));
    }
    if occurred_at < DateTime::UNIX_EPOCH {
        return Err(FieldError::new(
            at("occurred_at"),
            "before 1970-01-01T00:00:00Z",
        ));
    }
    let (actor, actor_type) = match (env.actor, env.actor_type) {
        (None, None | Some(ActorType::System)) => ("System".to_owned(), ActorType::System),
        (None, Some(_)) => {
            return Err(FieldError::new(
                at("actor"),
                "required with this actor_type",
            ))
        }
        (Some(a), t) => (a, t.unwrap_or(ActorType::User)),
    };
    check_short(&at("actor"), &actor, true)?;
    if let Some(ua) = &env.user_agent {
        check_len(&at("user_agent"), ua, SHORT_MAX * 2)?;
    }
    check_detail(&mut detail, &at, |model| rate(model, occurred_at))?;
    if serde_json::to_string(&env.metadata).map_or(0, |s| s.len()) > LONG_MAX {
        return Err(FieldError::new(at("metadata"), "larger than 1 MiB"));
    }

    Ok(NewEvent {
        id: env.id.unwrap_or_else(|| new_id(occurred_at)),
        account_id: Some(account_id),
        occurred_at,
        actor,
        actor_type,
        ip: env.ip.map(|ip| ip.to_string()),
        user_agent: env.user_agent,
        metadata: env.metadata,
        detail,
    })
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.len() > max {
        return Err(FieldError::new(field, format!("longer than {max} bytes")));
    }
    Ok(())
}

fn check_short(field: &str, value: &str, required: bool) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    check_len(field, value, SHORT_MAX)
}

fn check_opt(field: &str, value: &Option<String>, max: usize) -> Result<(), FieldError> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_len(field, v, max))
}

fn check_tokens(field: &str, n: u64) -> Result<(), FieldError> {
    // Far above any real request; keeps sums well inside i64.
    if n > 1_000_000_000_000 {
        return Err(FieldError::new(field, "implausibly large token count"));
    }
    Ok(())
}

/// Cost in micro-USD of a call at `rate`, rounded to the nearest micro.
pub fn cost_at(rate: ModelRate, input_tokens: u64, output_tokens: u64) -> Micros {
    let total = i128::from(input_tokens) * i128::from(rate.input_per_mtok)
        + i128::from(output_tokens) * i128::from(rate.output_per_mtok);
    let micros = (total + 500_000) / 1_000_000;
    Micros::from_micros(i64::try_from(micros).unwrap_or(i64::MAX))
}

fn check_cost(field: &str, cost: Option<Micros>) -> Result<(), FieldError> {
    match cost {
        Some(c) if c.micros() < 0 => Err(FieldError::new(field, "must not be negative")),
        _ => Ok(()),
    }
}

/// Checks the kind's fields, and gives an AI call or a job that used tokens without a
/// cost its cost at `rate` (the model's rate at the record's time).
fn check_detail(
    detail: &mut EventDetail,
    at: &dyn Fn(&str) -> String,
    rate: impl Fn(&str) -> Option<ModelRate>,
) -> Result<(), FieldError> {
    match detail {
        EventDetail::AiInteraction(a) => {
            check_short(&at("action"), &a.action, true)?;
            check_short(&at("model"), &a.model, true)?;
            check_opt(&at("resource"), &a.resource, SHORT_MAX)?;
            check_tokens(&at("input_tokens"), a.input_tokens)?;
            check_tokens(&at("output_tokens"), a.output_tokens)?;
            check_cost(&at("cost"), a.cost)?;
            if a.cost.is_none() {
                a.cost = rate(&a.model).map(|r| cost_at(r, a.input_tokens, a.output_tokens));
            }
        }
        EventDetail::Job(j) => {
            check_short(&at("job_id"), &j.job_id, true)?;
            check_short(&at("agent"), &j.agent, true)?;
            check_short(&at("job_type"), &j.job_type, true)?;
            check_opt(&at("model"), &j.model, SHORT_MAX)?;
            check_opt(&at("provider"), &j.provider, SHORT_MAX)?;
            check_opt(&at("evaluator_status"), &j.evaluator_status, SHORT_MAX)?;
            check_opt(&at("error"), &j.error, LONG_MAX)?;
            check_opt(&at("prompt"), &j.prompt, LONG_MAX)?;
            check_opt(&at("response"), &j.response, LONG_MAX)?;
            check_tokens(&at("input_tokens"), j.input_tokens)?;
            check_tokens(&at("output_tokens"), j.output_tokens)?;
            check_cost(&at("cost"), j.cost)?;
            // A job's cost, like an AI call's, from its model's rate; only a record
            // that used tokens gets one, so a queued job's record stays as sent.
            let used = j.input_tokens > 0 || j.output_tokens > 0;
            if let (None, Some(model), true) = (j.cost, &j.model, used) {
                j.cost = rate(model).map(|r| cost_at(r, j.input_tokens, j.output_tokens));
            }
        }
        EventDetail::Thread(t) => {
            check_short(&at("thread_id"), &t.thread_id, true)?;
            check_opt(&at("agent"), &t.agent, SHORT_MAX)?;
            check_opt(&at("latest_message"), &t.latest_message, LONG_MAX)?;
            let transcript: usize = t
                .transcript
                .iter()
                .map(|m| m.content.len() + m.role.len())
                .sum();
            if transcript > 4 * LONG_MAX {
                return Err(FieldError::new(at("transcript"), "larger than 4 MiB"));
            }
        }
        EventDetail::SystemEvent(s) => {
            check_short(&at("type"), &s.event_type, true)?;
            check_len(&at("description"), &s.description, LONG_MAX)?;
            check_opt(&at("agent"), &s.agent, SHORT_MAX)?;
        }
        EventDetail::AdminAction(a) => {
            check_short(&at("action"), &a.action, true)?;
            check_short(&at("resource_type"), &a.resource_type, true)?;
            check_short(&at("event_name"), &a.event_name, true)?;
            for (field, value, reserved) in [
                ("event_name", &a.event_name, RESERVED_EVENT_NAMES),
                ("action", &a.action, RESERVED_ACTIONS),
            ] {
                if is_reserved(reserved, value) {
                    return Err(FieldError::new(
                        at(field),
                        "reserved for the records Vigil writes about itself",
                    ));
                }
            }
            check_opt(&at("resource_id"), &a.resource_id, SHORT_MAX)?;
            // Small values nested deep decode into some thirty times their text: each
            // value is bounded as metadata is, so every read of the record is too.
            for (field, value) in [("old_value", &a.old_value), ("new_value", &a.new_value)] {
                if serde_json::to_string(value).map_or(0, |s| s.len()) > LONG_MAX {
                    return Err(FieldError::new(at(field), "larger than 1 MiB of JSON"));
                }
            }
        }
        EventDetail::CreditUsage(c) => {
            check_short(&at("ai_worker"), &c.ai_worker, true)?;
            if c.credits_consumed.micros() < 0 {
                return Err(FieldError::new(
                    at("credits_consumed"),
                    "must not be negative",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn writer() -> WriterScope {
        WriterScope { account_id: None }
    }

    fn parse(v: Value) -> Result<NewEvent, FieldError> {
        let rate = |m: &str, _: DateTime<Utc>| {
            (m == "gpt-4o").then_some(ModelRate {
                input_per_mtok: 2_500_000,
                output_per_mtok: 10_000_000,
            })
        };
        parse_record(v, "[2]", &writer(), rate, Utc::now())
    }

    #[test]
    fn computes_cost_from_rates() {
        let e = parse(
            json!({"kind":"ai_interaction","account_id":"a","user":"ann","action":"chat.completion",
            "model":"gpt-4o","input_tokens":1000,"output_tokens":500,"dlp":"clean"}),
        )
        .expect("valid");
        let EventDetail::AiInteraction(a) = e.detail else {
            panic!("kind")
        };
        // 1000 × 2.5 + 500 × 10 USD per million tokens = 0.0075 USD
        assert_eq!(a.cost, Some(Micros::from_micros(7_500)));
        assert_eq!(e.actor, "ann");
        assert_eq!(e.actor_type, ActorType::User);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (
                json!({"kind":"job","account_id":"a","job_id":"j","status":"paused","agent":"x","job_type":"t"}),
                "[2].status",
            ),
            (json!({"kind":"nope","account_id":"a"}), "[2].kind"),
            (
                json!({"kind":"admin_action","account_id":"a","action":"update","resource_type":"r",
                       "event_name":"Changed","new_value":[[["x".repeat(LONG_MAX)]]]}),
                "[2].new_value",
            ),
            (
                json!({"kind":"job","account_id":"a","status":"queued","agent":"x","job_type":"t"}),
                "[2].job_id",
            ),
            (json!({"account_id":"a"}), "[2].kind"),
            (
                json!({"kind":"system_event","account_id":"a","type":"t","severity":"info","description":"d","":1}),
                "[2]",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"x","model":"m","dlp":"clean","occurred_at":"0000-01-01T00:00:00Z"}),
                "[2].occurred_at",
            ),
            (
                json!({"kind":"system_event","account_id":"a","type":"cron.fired","severity":"info","description":"d","extra":1}),
                "[2].extra",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"x","model":"m","dlp":"clean","input_tokens":"many"}),
                "[2].input_tokens",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"x","model":"m","dlp":"dirty"}),
                "[2].dlp",
            ),
            (
                json!({"kind":"ai_interaction","action":"x","model":"m","dlp":"clean"}),
                "[2].account_id",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"","model":"m","dlp":"clean"}),
                "[2].action",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"x","model":"m","dlp":"clean","ip":"300.1.1.1"}),
                "[2].ip",
            ),
            (
                json!({"kind":"ai_interaction","account_id":"a","action":"x","model":"m","dlp":"clean","occurred_at":"yesterday"}),
                "[2].occurred_at",
            ),
            (
                json!({"kind":"credit_usage","account_id":"a","ai_worker":"w","credits_consumed":"0.0000001","balance_after":1}),
                "[2].credits_consumed",
            ),
            (json!([1]), "[2]"),
            (
                json!({"kind":"admin_action","account_id":"a","action":"login","resource_type":"session","event_name":" signed IN "}),
                "[2].event_name",
            ),
            (
                json!({"kind":"admin_action","account_id":"a","action":"job.cancel_requested","resource_type":"job","event_name":"Cancel"}),
                "[2].action",
            ),
        ];
        for (input, field) in cases {
            let err = parse(input.clone()).expect_err(&input.to_string());
            assert_eq!(err.field, field, "{input}: {err}");
        }
    }

    #[test]
    fn missing_field_message_names_it() {
        let err = parse(
            json!({"kind":"job","account_id":"a","status":"queued","agent":"x","job_type":"t"}),
        )
        .expect_err("missing job_id");
        assert!(err.message.contains("job_id"), "{err}");
    }

    #[test]
    fn bound_key_pins_the_account() {
        let w = WriterScope {
            account_id: Some("a1".into()),
        };
        let v =
            json!({"kind":"system_event","type":"cron.fired","severity":"info","description":"d"});
        let e = parse_record(v.clone(), "", &w, |_, _| None, Utc::now())
            .expect("defaults to bound account");
        assert_eq!(e.account_id.as_deref(), Some("a1"));
        assert_eq!(e.actor_type, ActorType::System);
        let mut other = v;
        other["account_id"] = json!("a2");
        let err = parse_record(other, "", &w, |_, _| None, Utc::now()).expect_err("other account");
        assert_eq!(err.field, "account_id");
    }
}
