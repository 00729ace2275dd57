-- Search: one trigram index per kind instead of one over every record. A tab searches its
-- own kind, so a term common in another kind (a cron job's name on AI interactions) no
-- longer yields candidates here, and a rare term's matches can be counted and read from
-- the index alone (see server/src/store/events.rs). Queries name the kind as a literal
-- so the planner can prove each index's predicate.
DROP INDEX IF EXISTS events_search;
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
