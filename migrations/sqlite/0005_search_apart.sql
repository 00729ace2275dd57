-- The search index moves to a file of its own, attached as `search` and kept up to date
-- by an indexer behind the append (server/src/store/search_file.rs), which fills it
-- from the start: these tables were a projection of events, so nothing is lost.
DROP TABLE search_ai_interaction;
DROP TABLE search_job;
DROP TABLE search_thread;
DROP TABLE search_system_event;
DROP TABLE search_admin_action;
DROP TABLE search_credit_usage;
