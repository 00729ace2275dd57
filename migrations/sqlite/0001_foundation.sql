-- Tenants and their accounts: the units of visibility.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX accounts_tenant ON accounts (tenant_id);

-- Ingest keys: only a SHA-256 of the secret is kept; the prefix finds the row.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    prefix      TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    account_id  TEXT REFERENCES accounts(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Per-model prices in micro-USD per million tokens, for cost the sender left out.
CREATE TABLE model_rates (
    model               TEXT PRIMARY KEY,
    input_per_mtok      INTEGER NOT NULL,
    output_per_mtok     INTEGER NOT NULL
);
INSERT INTO model_rates (model, input_per_mtok, output_per_mtok) VALUES
    ('gpt-4o',             2500000, 10000000),
    ('gpt-4o-mini',         150000,   600000),
    ('gpt-4.1',            2000000,  8000000),
    ('o3-mini',            1100000,  4400000),
    ('claude-sonnet-4',    3000000, 15000000),
    ('claude-haiku-3.5',    800000,  4000000),
    ('claude-opus-4',     15000000, 75000000),
    ('gemini-2.5-pro',     1250000, 10000000),
    ('gemini-2.5-flash',    300000,  2500000),
    ('llama-3.1-70b',       880000,   880000),
    ('mistral-large',      2000000,  6000000);

-- The head of each tenant's hash chain: the last sequence number and hash.
CREATE TABLE chain_heads (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL
);

-- The audit records. Append-only: see the triggers below.
-- action/status/category/agent/model/subject project the kind-specific detail
-- (stored whole in body) into indexable columns; see app/src/store/row.rs.
CREATE TABLE events (
    -- The sender's id (or one Vigil made): unique within its account, or among the
    -- tenant-level records, so no account can claim another's ids (see events_id).
    id            TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    -- NULL: a tenant-level record (e.g. a tenant admin's own actions), seen by tenant admins only.
    account_id    TEXT REFERENCES accounts(id),
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    occurred_at   INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    -- Who wrote the record to Vigil, which no sender can choose: 'api_key:<key id>',
    -- 'console:<user id>' or 'vigil' (see model::WrittenBy).
    written_by    TEXT NOT NULL,
    action        TEXT,
    status        TEXT,
    category      TEXT,
    agent         TEXT,
    model         TEXT,
    subject       TEXT,
    tokens_in     INTEGER,
    tokens_out    INTEGER,
    cost_micros   INTEGER,
    credits_micros INTEGER,
    executions    INTEGER,
    body          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
);
-- Led by the id, as the primary key it replaces: the writer's duplicate check looks up
-- a batch's ids (with a tenant) and no other index can look tempting to a planner.
CREATE UNIQUE INDEX events_id ON events (id, tenant_id, COALESCE(account_id, ''));
-- Time indexes ascending: records arrive in time order, so each key group grows at its end
-- and pages split full (descending, every insert lands at a group's start and leaves
-- half-empty pages behind: twice the size). Both databases walk them backwards as cheaply.
-- The chain position breaks ties of time: unique within the tenant, unlike an id.
CREATE INDEX events_scope_time ON events (tenant_id, occurred_at, seq);
CREATE INDEX events_scope_kind_time ON events (tenant_id, kind, occurred_at, seq);
CREATE INDEX events_account_kind_time ON events (tenant_id, account_id, kind, occurred_at, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- INSERT OR REPLACE deletes the rows it replaces without firing DELETE triggers (unless
-- recursive_triggers is on): refuse an insert that conflicts with a stored row, before that.
CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq)
  OR EXISTS (SELECT 1 FROM events WHERE tenant_id = NEW.tenant_id AND id = NEW.id
             AND COALESCE(account_id, '') = COALESCE(NEW.account_id, ''))
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Console users, their roles, and sign-in sessions.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    -- Failed sign-ins since the last success; at 5 the user is locked for 15 minutes.
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER
);

-- account_id NULL with role tenant_admin: the whole tenant.
CREATE TABLE memberships (
    user_id     TEXT NOT NULL REFERENCES users(id),
    account_id  TEXT REFERENCES accounts(id),
    role        TEXT NOT NULL
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Only a SHA-256 of the session token is kept.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
