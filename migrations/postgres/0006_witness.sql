-- Witnesses' cosignatures, sent back by `vigil witness` (POST /api/v1/checkpoint/
-- cosignature): each one a witness's statement that, at `cosigned_at`, the tenant's tree
-- of `size` records was the largest consistent one it had seen. Stored only once the
-- note's checkpoint is one Vigil signed and the cosignature verifies with a key the
-- operator registered (app/src/store/witnesses.rs). Never changed.
CREATE TABLE witness_cosignatures (
    tenant_id   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    -- The witness key's name and its key id (8 hex digits).
    witness     TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    -- The cosignature line as received (`— <name> <base64>`): with the checkpoint, all
    -- anyone needs to check it again.
    signature   TEXT NOT NULL,
    -- Milliseconds since the epoch: the cosignature's own time, and its arrival.
    cosigned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, witness, size, key_id)
);
CREATE FUNCTION witness_cosignatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'witness cosignatures are append-only';
END;
$$;
CREATE TRIGGER witness_cosignatures_no_update_delete
    BEFORE UPDATE OR DELETE ON witness_cosignatures
    FOR EACH ROW EXECUTE FUNCTION witness_cosignatures_append_only();
CREATE TRIGGER witness_cosignatures_no_truncate BEFORE TRUNCATE ON witness_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION witness_cosignatures_append_only();

-- Every `verify` of a tenant's chain and tree: by `vigil verify` or the server's
-- schedule (--verify-every). What the console shows as the last check. Never changed.
CREATE TABLE verify_runs (
    tenant_id       TEXT NOT NULL,
    ran_at          BIGINT NOT NULL,
    records         BIGINT NOT NULL,
    -- The first record still held, once retention removes older ones (NULL: all).
    retained_from   BIGINT,
    -- The recomputed tree's root (hex).
    tree_root       TEXT NOT NULL,
    ok              BOOLEAN NOT NULL,
    failure_seq     BIGINT,
    failure_reason  TEXT,
    -- `by` is an SQL keyword: who ran it, 'cli' or 'schedule'.
    ran_by          TEXT NOT NULL CHECK (ran_by IN ('cli', 'schedule'))
);
CREATE INDEX verify_runs_latest ON verify_runs (tenant_id, ran_at);
CREATE FUNCTION verify_runs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'verify runs are append-only';
END;
$$;
CREATE TRIGGER verify_runs_no_update_delete BEFORE UPDATE OR DELETE ON verify_runs
    FOR EACH ROW EXECUTE FUNCTION verify_runs_append_only();
CREATE TRIGGER verify_runs_no_truncate BEFORE TRUNCATE ON verify_runs
    FOR EACH STATEMENT EXECUTE FUNCTION verify_runs_append_only();
