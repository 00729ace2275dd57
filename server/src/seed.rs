//! Deterministic, realistic demo data: two tenants, their accounts, users, agents and
//! models, and every kind of record, with credit balances that add up.

use crate::api::record::cost_at;
use crate::auth::password;
use crate::ops::progress::Progress;
use app::model::*;
use app::store::{NewEvent, NewUser, Store};
use chrono::{DateTime, Duration, Utc};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::collections::HashMap;

pub struct DemoTenant {
    pub id: &'static str,
    pub name: &'static str,
    pub accounts: &'static [(&'static str, &'static str)],
    pub users: &'static [&'static str],
}

pub const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        id: "acme",
        name: "Acme Corp",
        accounts: &[
            ("acme-prod", "Acme Production"),
            ("acme-research", "Acme Research"),
            ("acme-support", "Acme Support"),
        ],
        users: &[
            "ana@acme.test",
            "ben@acme.test",
            "chen@acme.test",
            "dora@acme.test",
            "eli@acme.test",
        ],
    },
    DemoTenant {
        id: "globex",
        name: "Globex",
        accounts: &[
            ("globex-main", "Globex Main"),
            ("globex-labs", "Globex Labs"),
        ],
        users: &["hank@globex.test", "iris@globex.test", "jo@globex.test"],
    },
];

/// Console sign-ins created by the seed: (email, password, tenant, account, role).
pub const DEMO_USERS: &[(&str, &str, &str, Option<&str>, Role)] = &[
    (
        "admin@acme.test",
        "vigil-demo",
        "acme",
        None,
        Role::TenantAdmin,
    ),
    (
        "prod-admin@acme.test",
        "vigil-demo",
        "acme",
        Some("acme-prod"),
        Role::AccountAdmin,
    ),
    (
        "research-admin@acme.test",
        "vigil-demo",
        "acme",
        Some("acme-research"),
        Role::AccountAdmin,
    ),
    (
        "admin@globex.test",
        "vigil-demo",
        "globex",
        None,
        Role::TenantAdmin,
    ),
];

const AGENTS: &[&str] = &[
    "support-triage",
    "sales-assistant",
    "code-reviewer",
    "invoice-extractor",
    "nightly-digest",
    "hr-helpdesk",
];
const MODELS: &[(&str, &str)] = &[
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("claude-sonnet-4", "anthropic"),
    ("claude-haiku-3.5", "anthropic"),
    ("gemini-2.5-flash", "google"),
    ("llama-3.1-70b", "groq"),
];
const PROMPTS: &[&str] = &[
    "Summarise the open tickets tagged billing and propose replies.",
    "Review the diff in PR #4821 for security issues.",
    "Extract the line items and totals from the attached invoice.",
    "Draft a follow-up email to the lead from yesterday's demo.",
    "Which employees have not completed the security training?",
    "Compile the overnight incident digest for the on-call channel.",
];
const MESSAGES: &[&str] = &[
    "Can you check why my invoice shows two charges this month?",
    "Please reset the API key for the staging workspace",
    "The nightly digest is ready: 3 incidents, 1 needs follow-up.",
    "Thanks, that fixed it!",
    "Who approved the change to the retention settings?",
    "Escalating to a human agent now.",
];

pub struct SeedReport {
    pub stored: usize,
    pub duplicates: usize,
}

/// Creates tenants, accounts and demo users if missing (idempotent), then `events`
/// records spread over the 90 days before `now`. The same `seed` gives the same data.
pub async fn seed(
    store: &Store,
    events: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<SeedReport> {
    let now_ms = now.timestamp_millis();
    for t in TENANTS {
        if store.tenant_exists(t.id).await? {
            continue;
        }
        store.create_tenant(t.id, t.name, now_ms).await?;
        for (id, name) in t.accounts {
            store.create_account(id, t.id, name, now_ms).await?;
        }
    }
    for (email, pw, tenant, account, role) in DEMO_USERS {
        if store.user_login(email).await?.is_some() {
            continue;
        }
        let hash = password::hash(pw)?;
        let id = format!(
            "usr_{}",
            email.split('@').next().unwrap_or("demo").replace('-', "_")
        );
        let id = format!("{id}_{tenant}");
        store
            .create_user(
                NewUser {
                    id: &id,
                    tenant_id: tenant,
                    email,
                    password_hash: &hash,
                    role: *role,
                    account_id: *account,
                },
                now_ms,
            )
            .await?;
    }

    let mut gen = DemoStream::new(store, seed, now);
    let mut per_tenant: HashMap<&str, Vec<NewEvent>> = HashMap::new();
    let mut produced = 0;
    while produced < events {
        let (tenant, mut group) = gen.next_group();
        group.truncate(events - produced);
        produced += group.len();
        per_tenant.entry(tenant).or_default().extend(group);
    }

    let mut report = SeedReport {
        stored: 0,
        duplicates: 0,
    };
    let progress = (events > 0).then(|| Progress::new("seed", events as u64, "records"));
    for (tenant, mut list) in per_tenant {
        list.sort_by_key(|e| e.occurred_at);
        gen.inner.fix_balances(&mut list);
        for chunk in list.chunks(500) {
            let outcomes = store.append(tenant, &WrittenBy::Vigil, chunk).await?;
            let dup = outcomes.iter().filter(|o| o.duplicate).count();
            report.duplicates += dup;
            report.stored += outcomes.len() - dup;
            if let Some(p) = &progress {
                p.add(chunk.len() as u64);
            }
        }
    }
    if let Some(p) = &progress {
        p.finish(events as u64);
    }
    Ok(report)
}

/// An endless, reproducible stream of realistic records over the 90 days before `now`,
/// with a few hot spots: Acme sends most of the traffic, its production account most of that.
pub struct DemoStream<'a> {
    inner: Generator<'a>,
    now: DateTime<Utc>,
    /// `Some((made, total))`: records come in time order, as a platform sends them.
    clock: Option<(u64, u64)>,
}

impl<'a> DemoStream<'a> {
    pub fn new(store: &'a Store, seed: u64, now: DateTime<Utc>) -> Self {
        DemoStream {
            inner: Generator {
                rng: ChaCha8Rng::seed_from_u64(seed),
                store,
                balances: HashMap::new(),
                job_counter: 0,
            },
            now,
            clock: None,
        }
    }

    /// A stream of `total` records in time order (with a few seconds of jitter, as late
    /// deliveries have), with the same skew towards recent days, reaching `now` at the
    /// last record.
    pub fn in_time_order(store: &'a Store, seed: u64, now: DateTime<Utc>, total: u64) -> Self {
        DemoStream {
            clock: Some((0, total.max(1))),
            ..DemoStream::new(store, seed, now)
        }
    }

    /// One happening (one record, or a job's whole life) and its tenant.
    pub fn next_group(&mut self) -> (&'static str, Vec<NewEvent>) {
        let gen = &mut self.inner;
        let tenant = if gen.rng.gen_bool(0.75) {
            &TENANTS[0]
        } else {
            &TENANTS[1]
        };
        let account = if gen.rng.gen_bool(0.6) {
            tenant.accounts[0].0
        } else {
            tenant
                .accounts
                .choose(&mut gen.rng)
                .map_or(tenant.accounts[0].0, |a| a.0)
        };
        // Skewed towards recent days, like real usage growth: the age is u² of the span.
        let span_ms = Duration::days(90).num_milliseconds();
        let u = match &mut self.clock {
            None => gen.rng.gen::<f64>(),
            Some((made, total)) => {
                let jitter = gen.rng.gen_range(-5_000..5_000) as f64 / span_ms as f64;
                (1.0 - *made as f64 / *total as f64 + jitter).clamp(0.0, 1.0)
            }
        };
        let age = (u.powi(2) * span_ms as f64) as i64;
        let at = self.now - Duration::milliseconds(age);
        let group = gen.group(tenant, account, at);
        // The clock counts records, not happenings: a job's life is several.
        if let Some((made, _)) = &mut self.clock {
            *made += group.len() as u64;
        }
        (tenant.id, group)
    }
}

struct Generator<'a> {
    rng: ChaCha8Rng,
    store: &'a Store,
    balances: HashMap<Option<String>, i64>,
    job_counter: u64,
}

impl Generator<'_> {
    fn id(&mut self, at: DateTime<Utc>) -> uuid::Uuid {
        let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        // Drawn from the seeded generator, not the OS, so the same seed gives the same ids.
        uuid::Builder::from_unix_timestamp_millis(ms, &self.rng.gen()).into_uuid()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    fn event(
        &mut self,
        account: &str,
        at: DateTime<Utc>,
        actor: Option<&str>,
        detail: EventDetail,
    ) -> NewEvent {
        let (actor, actor_type) = match actor {
            Some(a) => (a.to_owned(), ActorType::User),
            None => ("System".to_owned(), ActorType::System),
        };
        let ip = actor_type.eq(&ActorType::User).then(|| {
            format!(
                "10.{}.{}.{}",
                self.rng.gen_range(0..4),
                self.rng.gen_range(0..255),
                self.rng.gen_range(1..255)
            )
        });
        NewEvent {
            id: self.id(at),
            account_id: Some(account.to_owned()),
            occurred_at: at,
            actor,
            actor_type,
            user_agent: ip.as_ref().map(|_| {
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5"
                    .to_owned()
            }),
            ip,
            metadata: serde_json::Map::new(),
            detail,
        }
    }

    /// One realistic happening: a single record, or a job's whole life.
    fn group(&mut self, tenant: &DemoTenant, account: &str, at: DateTime<Utc>) -> Vec<NewEvent> {
        let user = self.pick(tenant.users);
        let agent = self.pick(AGENTS);
        let (model, provider) = self.pick(MODELS);
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=34 => {
                let (input, output) = (
                    self.rng.gen_range(50..4000_u64),
                    self.rng.gen_range(20..1500_u64),
                );
                let dlp = match self.rng.gen_range(0..100) {
                    0..=3 => DlpResult::Blocked(self.pick(&["ssn", "api_key"]).to_owned()),
                    4..=9 => DlpResult::Redacted(
                        self.pick(&["credit_card", "email", "phone"]).to_owned(),
                    ),
                    _ => DlpResult::Clean,
                };
                let cost = self
                    .store
                    .model_rate_at(tenant.id, model, at)
                    .map(|r| cost_at(r, input, output));
                let action = self.pick(&[
                    "chat.completion",
                    "chat.completion",
                    "skill.run",
                    "automation.execute",
                    "embedding.create",
                ]);
                let resource = format!("chat:conv_{:06x}", self.rng.gen::<u32>() & 0xff_ffff);
                vec![self.event(
                    account,
                    at,
                    Some(user),
                    EventDetail::AiInteraction(AiInteraction {
                        action: action.into(),
                        resource: Some(resource),
                        model: model.into(),
                        input_tokens: input,
                        output_tokens: output,
                        cost,
                        dlp,
                    }),
                )]
            }
            35..=54 => {
                self.job_counter += 1;
                let job_id = format!("job_{:08x}", self.rng.gen::<u32>());
                let prompt = self.pick(PROMPTS);
                let job_type =
                    self.pick(&["agent.run", "workflow.step", "evaluation", "scheduled.run"]);
                let end = match self.rng.gen_range(0..100) {
                    0..=74 => JobStatus::Complete,
                    75..=86 => JobStatus::Failed,
                    87..=92 => JobStatus::Cancelled,
                    _ => JobStatus::Running,
                };
                let mut statuses = vec![JobStatus::Queued, JobStatus::Running];
                if end == JobStatus::Failed && self.rng.gen_bool(0.5) {
                    statuses.extend([JobStatus::Retrying, JobStatus::Running]);
                }
                if end != JobStatus::Running {
                    statuses.push(end);
                }
                let (input, output) = (
                    self.rng.gen_range(200..8000_u64),
                    self.rng.gen_range(50..3000_u64),
                );
                // The job's life ends by `at` at the latest, so no record lies in the future.
                let mut t = at - Duration::seconds(90);
                statuses
                    .into_iter()
                    .map(|status| {
                        t += Duration::milliseconds(self.rng.gen_range(300..20_000));
                        let done = matches!(status, JobStatus::Complete | JobStatus::Failed);
                        // Priced as ingest prices a job that used tokens.
                        let cost = done
                            .then(|| self.store.model_rate_at(tenant.id, model, t))
                            .flatten()
                            .map(|r| cost_at(r, input, output));
                        let detail = Job {
                            job_id: job_id.clone(),
                            status,
                            agent: agent.into(),
                            model: Some(model.into()),
                            provider: Some(provider.into()),
                            job_type: job_type.into(),
                            input_tokens: if done { input } else { 0 },
                            output_tokens: if done { output } else { 0 },
                            cost,
                            evaluator_status: (status == JobStatus::Complete).then(|| {
                                if self.rng.gen_bool(0.9) {
                                    "passed"
                                } else {
                                    "needs_review"
                                }
                                .to_owned()
                            }),
                            error: (status == JobStatus::Failed)
                                .then(|| "provider timeout after 60s".to_owned()),
                            prompt: Some(prompt.into()),
                            response: (status == JobStatus::Complete).then(|| {
                                format!(
                                    "Done: {} (by {agent})",
                                    prompt.trim_end_matches(['.', '?']).to_lowercase()
                                )
                            }),
                        };
                        self.event(account, t, Some(user), EventDetail::Job(detail))
                    })
                    .collect()
            }
            55..=69 => {
                let source = self.pick(ThreadSource::ALL);
                let thread_type = if source == ThreadSource::Cron {
                    ThreadType::Cron
                } else {
                    ThreadType::Chat
                };
                let n = self.rng.gen_range(1..8_usize);
                let transcript: Vec<TranscriptMessage> = (0..n)
                    .map(|i| TranscriptMessage {
                        role: if i % 2 == 0 { "user" } else { "assistant" }.into(),
                        content: self.pick(MESSAGES).into(),
                    })
                    .collect();
                let detail = Thread {
                    thread_id: format!("thr_{:08x}", self.rng.gen::<u32>()),
                    source,
                    thread_type,
                    agent: Some(agent.into()),
                    message_count: n as u64,
                    latest_message: transcript.last().map(|m| m.content.clone()),
                    transcript,
                };
                let actor = (thread_type == ThreadType::Chat).then_some(user);
                vec![self.event(account, at, actor, EventDetail::Thread(detail))]
            }
            70..=81 => {
                let (event_type, severity, description) = self.pick(&[
                    ("cron.fired", Severity::Info, "Scheduled run started"),
                    (
                        "agent.evaluation",
                        Severity::Info,
                        "Evaluation batch finished: 48/50 passed",
                    ),
                    (
                        "integration.disconnected",
                        Severity::Warning,
                        "Slack integration lost its token",
                    ),
                    (
                        "rate_limit.hit",
                        Severity::Warning,
                        "Provider rate limit reached; requests queued",
                    ),
                    (
                        "provider.error",
                        Severity::Error,
                        "Model provider returned 503 for 2 minutes",
                    ),
                ]);
                let mut e = self.event(
                    account,
                    at,
                    None,
                    EventDetail::SystemEvent(SystemEvent {
                        event_type: event_type.into(),
                        severity,
                        description: description.into(),
                        agent: Some(agent.into()),
                    }),
                );
                e.metadata.insert(
                    "region".into(),
                    json!(self.pick(&["eu-west-1", "us-east-1"])),
                );
                vec![e]
            }
            82..=89 => {
                let (action, resource_type, name) = self.pick(&[
                    ("create", "role", "Role created"),
                    ("update", "settings", "Settings updated"),
                    ("assign", "member", "Member assigned to role"),
                    ("create", "api_key", "API key created"),
                    ("delete", "workflow", "Workflow deleted"),
                    ("invite", "user", "User invited"),
                    ("update", "model", "Default model changed"),
                    ("login", "user", "User signed in"),
                    ("export", "report", "Activity report exported"),
                ]);
                let (old, new) = match resource_type {
                    "settings" => (
                        Some(json!({"retention_days": 90})),
                        Some(json!({"retention_days": 365})),
                    ),
                    "model" => (
                        Some(json!({"default_model": "gpt-4o-mini"})),
                        Some(json!({"default_model": model})),
                    ),
                    "role" => (
                        None,
                        Some(
                            json!({"name": "Reviewer", "permissions": ["jobs.read", "threads.read"]}),
                        ),
                    ),
                    _ => (None, None),
                };
                let detail = AdminAction {
                    action: action.into(),
                    resource_type: resource_type.into(),
                    resource_id: Some(format!(
                        "{resource_type}_{:04}",
                        self.rng.gen_range(1..9999)
                    )),
                    event_name: name.into(),
                    old_value: old,
                    new_value: new,
                };
                vec![self.event(account, at, Some(user), EventDetail::AdminAction(detail))]
            }
            _ => {
                let credits = self.rng.gen_range(1..=40) * 250_000;
                let actor = if self.rng.gen_bool(0.3) {
                    None
                } else {
                    Some(user)
                };
                let detail = CreditUsage {
                    ai_worker: agent.into(),
                    executions: self.rng.gen_range(1..12),
                    credits_consumed: Micros::from_micros(credits),
                    balance_after: Micros::ZERO,
                };
                vec![self.event(account, at, actor, EventDetail::CreditUsage(detail))]
            }
        }
    }

    /// Walks the records in time order so each balance is the previous minus what was used.
    fn fix_balances(&mut self, events: &mut [NewEvent]) {
        for e in events.iter_mut() {
            if let EventDetail::CreditUsage(c) = &mut e.detail {
                let balance = self
                    .balances
                    .entry(e.account_id.clone())
                    .or_insert(10_000_000 * 1_000_000);
                *balance -= c.credits_consumed.micros();
                c.balance_after = Micros::from_micros(*balance);
            }
        }
    }
}
