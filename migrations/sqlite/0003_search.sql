-- Search. The records' trigram index is not made here: it is a table per kind in a file
-- of its own, attached as `search`, which server/src/store/search_file.rs creates and
-- an indexer fills (a projection of events: the file can be deleted and is made again).

-- The Jobs tab searches current states by job id or model prefix. FTS5 answers that
-- from trigram lists that span every searched column of every job record (a term common
-- in actors took 40 ms to count at 11M records); these ranges count and read the heads
-- that start with the term directly.
CREATE INDEX job_heads_subject_prefix ON job_heads (tenant_id, lower(subject));
CREATE INDEX job_heads_model_prefix ON job_heads (tenant_id, lower(model));
