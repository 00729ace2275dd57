-- The Jobs tab searches current states by job id or model prefix: ranges of these
-- indexes count and read the heads that start with the term, where the kind's trigram
-- index would build a bitmap of every job record sharing the term's trigrams. "C":
-- byte order, so a prefix is a range whatever the database's collation.
CREATE INDEX job_heads_subject_prefix ON job_heads (tenant_id, (lower(subject)) COLLATE "C");
CREATE INDEX job_heads_model_prefix ON job_heads (tenant_id, (lower(model)) COLLATE "C");
