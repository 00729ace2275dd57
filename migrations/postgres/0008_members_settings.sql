-- Members and settings in the console (app/src/store/invitations.rs, members.rs,
-- rates.rs, settings.rs).

-- One role per user and account (account_id NULL: the tenant admin role). Rows that
-- repeat one are dropped first: they added nothing a session could use.
DELETE FROM memberships WHERE ctid NOT IN (
    SELECT MIN(ctid) FROM memberships GROUP BY user_id, COALESCE(account_id, ''));
CREATE UNIQUE INDEX memberships_user_account ON memberships (user_id, COALESCE(account_id, ''));

-- Invitations (the table is 0007's, shared with the operator API): the Members page
-- may also withdraw one before it is used.
ALTER TABLE invitations ADD COLUMN revoked_at BIGINT;

-- A tenant's own model prices (micro-USD per million tokens), each from an instant on:
-- a record's cost is computed at ingest with the rate in effect at its occurred_at,
-- the latest `effective_from` at or before it; before a tenant's first, and for models
-- it has none for, `model_rates` (the default for every tenant) applies.
CREATE TABLE tenant_model_rates (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    model           TEXT NOT NULL,
    effective_from  BIGINT NOT NULL,
    input_per_mtok  BIGINT NOT NULL CHECK (input_per_mtok >= 0),
    output_per_mtok BIGINT NOT NULL CHECK (output_per_mtok >= 0),
    set_at          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model, effective_from)
);

-- Business hours: the weekdays (a bit each, Monday = 1 … Sunday = 64), the start and
-- end in minutes after midnight, in an IANA time zone. All four or none.
ALTER TABLE tenant_settings ADD COLUMN business_days BIGINT;
ALTER TABLE tenant_settings ADD COLUMN business_start BIGINT;
ALTER TABLE tenant_settings ADD COLUMN business_end BIGINT;
ALTER TABLE tenant_settings ADD COLUMN business_zone TEXT;
