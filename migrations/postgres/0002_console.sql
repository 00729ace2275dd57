-- The console: per-tenant settings, an index per filter, jobs' current state, usage roll-ups.

-- Per-tenant settings: where job cancel requests are forwarded.
CREATE TABLE tenant_settings (
    tenant_id           TEXT PRIMARY KEY REFERENCES tenants(id),
    control_webhook_url TEXT,
    -- The HMAC key of the webhook's signature (see README), made when the URL is set.
    control_webhook_secret TEXT
);

-- An index per filter whose values can be rare (users, agents, models, actions), within a
-- kind, by time: such a filter seeks straight to its rows instead of walking the
-- kind's time index. Status, severity, DLP, source and resource type have a few values
-- each, so walking the kind's index finds a page quickly and an index would only slow
-- ingest. Partial: most kinds leave most of these columns empty.
CREATE INDEX events_kind_actor ON events (tenant_id, kind, actor, occurred_at, seq);
CREATE INDEX events_kind_agent ON events (tenant_id, kind, agent, occurred_at, seq)
    WHERE agent IS NOT NULL;
CREATE INDEX events_kind_model ON events (tenant_id, kind, model, occurred_at, seq)
    WHERE model IS NOT NULL;
CREATE INDEX events_kind_action ON events (tenant_id, kind, action, occurred_at, seq)
    WHERE action IS NOT NULL;

-- Only jobs are looked up by subject (a job's history); other kinds' subjects (e.g. an AI
-- call's conversation) are random keys whose index pages ingest would keep reading back.
CREATE INDEX events_job_subject ON events (tenant_id, subject, occurred_at, seq)
    WHERE kind = 'job';

-- Each job's newest record, kept at ingest (a projection of events, not audit data):
-- the Jobs tab lists and filters these instead of searching for the newest per job.
CREATE TABLE job_heads (
    tenant_id     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    -- '' for a tenant-level job: a job id is its account's, as a record id is.
    account_id    TEXT NOT NULL,
    -- The head's record: its chain position.
    seq           BIGINT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT,
    status        TEXT,
    category      TEXT,
    agent         TEXT,
    model         TEXT,
    PRIMARY KEY (tenant_id, account_id, subject)
);
CREATE INDEX job_heads_time ON job_heads (tenant_id, occurred_at, seq);
CREATE INDEX job_heads_account ON job_heads (tenant_id, account_id, occurred_at, seq);
CREATE INDEX job_heads_status ON job_heads (tenant_id, status, occurred_at, seq);
CREATE INDEX job_heads_agent ON job_heads (tenant_id, agent, occurred_at, seq);

-- Usage sums per hour and per day (UTC), per account, per kind, by one dimension (dim:
-- actor, agent or model; name '' when the record has none), added to at ingest in the
-- same transaction. account_id '' is a tenant-level record. A range is summed from whole
-- days, whole hours at its ends, and records only for the partial hours at its edges.
CREATE TABLE usage_hourly (
    tenant_id     TEXT NOT NULL,
    dim           TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    records       BIGINT NOT NULL,
    executions    BIGINT NOT NULL,
    credits       BIGINT NOT NULL,
    tokens_in     BIGINT NOT NULL,
    tokens_out    BIGINT NOT NULL,
    cost          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dim, hour, kind, account_id, name)
);
CREATE TABLE usage_daily (
    tenant_id     TEXT NOT NULL,
    dim           TEXT NOT NULL,
    day           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    records       BIGINT NOT NULL,
    executions    BIGINT NOT NULL,
    credits       BIGINT NOT NULL,
    tokens_in     BIGINT NOT NULL,
    tokens_out    BIGINT NOT NULL,
    cost          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, kind, account_id, name)
);
