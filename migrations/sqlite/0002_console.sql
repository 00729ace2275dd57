-- A job's current state is its newest record: found per (kind, subject).
CREATE INDEX events_subject_time ON events (tenant_id, kind, subject, occurred_at DESC, id DESC);

-- Per-tenant settings: where job cancel requests are forwarded.
CREATE TABLE tenant_settings (
    tenant_id           TEXT PRIMARY KEY REFERENCES tenants(id),
    control_webhook_url TEXT
);
