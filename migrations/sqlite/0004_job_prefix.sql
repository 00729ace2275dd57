-- The Jobs tab searches current states by job id or model prefix. FTS5 answers that
-- from trigram lists that span every searched column of every job record (a term common
-- in actors took 40 ms to count at 11M records); these ranges count and read the heads
-- that start with the term directly.
CREATE INDEX job_heads_subject_prefix ON job_heads (tenant_id, lower(subject));
CREATE INDEX job_heads_model_prefix ON job_heads (tenant_id, lower(model));
