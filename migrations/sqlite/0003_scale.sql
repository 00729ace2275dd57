-- Scale: an index per console filter, jobs' current state, usage roll-ups, search.

-- Time indexes ascending: records arrive in time order, so each key group grows at its end
-- and pages split full (descending, every insert lands at a group's start and leaves
-- half-empty pages behind: twice the size). Both databases walk them backwards as cheaply.
DROP INDEX events_scope_time;
DROP INDEX events_scope_kind_time;
DROP INDEX events_account_kind_time;
CREATE INDEX events_scope_time ON events (tenant_id, occurred_at, id);
CREATE INDEX events_scope_kind_time ON events (tenant_id, kind, occurred_at, id);
CREATE INDEX events_account_kind_time ON events (tenant_id, account_id, kind, occurred_at, id);

-- An index per filter whose values can be rare (users, agents, models, actions), within a
-- kind, by time: such a filter seeks straight to its rows instead of walking the
-- kind's time index. Status, severity, DLP, source and resource type have a few values
-- each, so walking the kind's index finds a page quickly and an index would only slow
-- ingest. Partial: most kinds leave most of these columns empty.
CREATE INDEX events_kind_actor ON events (tenant_id, kind, actor, occurred_at, id);
CREATE INDEX events_kind_agent ON events (tenant_id, kind, agent, occurred_at, id)
    WHERE agent IS NOT NULL;
CREATE INDEX events_kind_model ON events (tenant_id, kind, model, occurred_at, id)
    WHERE model IS NOT NULL;
CREATE INDEX events_kind_action ON events (tenant_id, kind, action, occurred_at, id)
    WHERE action IS NOT NULL;

-- Only jobs are looked up by subject (a job's history); other kinds' subjects (e.g. an AI
-- call's conversation) are random keys whose index pages ingest would keep reading back.
DROP INDEX events_subject_time;
CREATE INDEX events_job_subject ON events (tenant_id, subject, occurred_at, id)
    WHERE kind = 'job';

-- Each job's newest record, kept at ingest (a projection of events, not audit data):
-- the Jobs tab lists and filters these instead of searching for the newest per job.
CREATE TABLE job_heads (
    tenant_id     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    id            TEXT NOT NULL,
    account_id    TEXT,
    occurred_at   INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT,
    status        TEXT,
    category      TEXT,
    agent         TEXT,
    model         TEXT,
    PRIMARY KEY (tenant_id, subject)
);
CREATE INDEX job_heads_time ON job_heads (tenant_id, occurred_at, id);
CREATE INDEX job_heads_account ON job_heads (tenant_id, account_id, occurred_at, id);
CREATE INDEX job_heads_status ON job_heads (tenant_id, status, occurred_at, id);
CREATE INDEX job_heads_agent ON job_heads (tenant_id, agent, occurred_at, id);

INSERT INTO job_heads (tenant_id, subject, id, account_id, occurred_at, actor, action, status, category, agent, model)
SELECT tenant_id, subject, id, account_id, occurred_at, actor, action, status, category, agent, model
FROM events e
WHERE kind = 'job' AND subject IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events n WHERE n.tenant_id = e.tenant_id AND n.kind = 'job'
                  AND n.subject = e.subject AND (n.occurred_at, n.id) > (e.occurred_at, e.id));

-- Usage sums per hour and per day (UTC), per account, per kind, by one dimension (dim:
-- actor, agent or model; name '' when the record has none), added to at ingest in the
-- same transaction. account_id '' is a tenant-level record. A range is summed from whole
-- days, whole hours at its ends, and records only for the partial hours at its edges.
CREATE TABLE usage_hourly (
    tenant_id     TEXT NOT NULL,
    dim           TEXT NOT NULL,
    hour          INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    records       INTEGER NOT NULL,
    executions    INTEGER NOT NULL,
    credits       INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL,
    cost          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, dim, hour, kind, account_id, name)
);
INSERT INTO usage_hourly
SELECT tenant_id, 'actor', occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''),
       COALESCE(actor, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''), COALESCE(actor, '');
INSERT INTO usage_hourly
SELECT tenant_id, 'agent', occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''),
       COALESCE(agent, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''), COALESCE(agent, '');
INSERT INTO usage_hourly
SELECT tenant_id, 'model', occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''),
       COALESCE(model, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 3600000, kind, COALESCE(account_id, ''), COALESCE(model, '');
CREATE TABLE usage_daily (
    tenant_id     TEXT NOT NULL,
    dim           TEXT NOT NULL,
    day           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    records       INTEGER NOT NULL,
    executions    INTEGER NOT NULL,
    credits       INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL,
    cost          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, kind, account_id, name)
);
INSERT INTO usage_daily
SELECT tenant_id, 'actor', occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''),
       COALESCE(actor, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''), COALESCE(actor, '');
INSERT INTO usage_daily
SELECT tenant_id, 'agent', occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''),
       COALESCE(agent, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''), COALESCE(agent, '');
INSERT INTO usage_daily
SELECT tenant_id, 'model', occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''),
       COALESCE(model, ''), COUNT(*), COALESCE(SUM(executions), 0), COALESCE(SUM(credits_micros), 0),
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_micros), 0)
FROM events WHERE kind IN ('ai_interaction', 'job', 'credit_usage')
GROUP BY tenant_id, occurred_at - occurred_at % 86400000, kind, COALESCE(account_id, ''), COALESCE(model, '');

-- Search: trigrams of the searchable columns, one table per kind (a tab searches its own
-- kind, and a term common in another kind costs it nothing), contentless (the text lives
-- in events), keyed by the events rowid, written at ingest. A search first walks the
-- newest records; only a rare term (fewer matches there than a page) asks these for
-- candidates, in the columns the tab searches (by prefix with `^` where it matches prefixes).
CREATE VIRTUAL TABLE search_ai_interaction USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_ai_interaction (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'ai_interaction';
CREATE VIRTUAL TABLE search_job USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_job (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'job';
CREATE VIRTUAL TABLE search_thread USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_thread (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'thread';
CREATE VIRTUAL TABLE search_system_event USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_system_event (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'system_event';
CREATE VIRTUAL TABLE search_admin_action USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_admin_action (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'admin_action';
CREATE VIRTUAL TABLE search_credit_usage USING fts5(
    actor, subject, action, model, agent, content='', tokenize='trigram'
);
INSERT INTO search_credit_usage (rowid, actor, subject, action, model, agent)
SELECT rowid, actor, subject, action, model, agent FROM events WHERE kind = 'credit_usage';
