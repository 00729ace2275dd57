-- Search: a trigram index per kind over the lowered searchable columns. A search walks
-- the newest records first and asks the index of its tab's kind for a rarer term's
-- candidates: a term common in another kind (a cron job's name on AI interactions)
-- yields none here, and a rare term's matches can be counted and read from the index
-- alone (see server/src/store/events.rs). Queries name the kind as a literal so the
-- planner can prove each index's predicate.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX events_search_ai_interaction ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'ai_interaction';
CREATE INDEX events_search_job ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'job';
CREATE INDEX events_search_thread ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'thread';
CREATE INDEX events_search_system_event ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'system_event';
CREATE INDEX events_search_admin_action ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'admin_action';
CREATE INDEX events_search_credit_usage ON events USING gin (
    lower(actor) gin_trgm_ops, lower(subject) gin_trgm_ops, lower(action) gin_trgm_ops,
    lower(model) gin_trgm_ops, lower(agent) gin_trgm_ops
) WHERE kind = 'credit_usage';

-- The Jobs tab searches current states by job id or model prefix: ranges of these
-- indexes count and read the heads that start with the term, where the kind's trigram
-- index would build a bitmap of every job record sharing the term's trigrams. "C":
-- byte order, so a prefix is a range whatever the database's collation.
CREATE INDEX job_heads_subject_prefix ON job_heads (tenant_id, (lower(subject)) COLLATE "C");
CREATE INDEX job_heads_model_prefix ON job_heads (tenant_id, (lower(model)) COLLATE "C");
