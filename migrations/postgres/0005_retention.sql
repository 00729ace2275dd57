-- Retention (app/src/store/retention.rs): a per-tenant policy, and the cuts through
-- which a tenant's oldest records lose their bodies and index entries while their
-- leaves stay in the Merkle tree (the tiles are untouched), so proofs of later records
-- and consistency with old checkpoints still verify.

-- Days a tenant keeps its records; NULL: forever (the default).
ALTER TABLE tenant_settings ADD COLUMN retention_days INTEGER
    CHECK (retention_days BETWEEN 1 AND 36500);

-- Each purge step's cut: the tenant's records up to `upto_seq` are gone. A prefix of the
-- chain only, and only growing: `verify` starts its walk after the latest cut and trusts
-- the first kept record's link only if it equals `last_hash`, the hash of record
-- `upto_seq` as the cut found it. `checkpoint_size`: a checkpoint signed before the
-- purge that covers the cut; `policy_days` and `purged_at` (the instant the purge took
-- as now): why these records were old enough.
CREATE TABLE retention_cuts (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    upto_seq        BIGINT NOT NULL,
    last_hash       TEXT NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    policy_days     INTEGER NOT NULL,
    purged_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, upto_seq)
);

-- A cut must grow, stay below the chain's head (the newest record is never purged: it
-- anchors the head), name the hash its last record has, be covered by a stored
-- checkpoint, and follow the tenant's policy as it stands (its last record received
-- `policy_days` before `purged_at`). Nothing changes or removes a cut.
CREATE FUNCTION retention_cuts_checked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'retention cuts are append-only';
    END IF;
    IF NEW.upto_seq <= COALESCE((SELECT MAX(upto_seq) FROM retention_cuts
                                 WHERE tenant_id = NEW.tenant_id), 0)
       OR NEW.upto_seq >= COALESCE((SELECT seq FROM chain_heads
                                    WHERE tenant_id = NEW.tenant_id), 0)
       OR NEW.last_hash IS DISTINCT FROM (SELECT hash FROM events
                                          WHERE tenant_id = NEW.tenant_id AND seq = NEW.upto_seq)
       OR NOT EXISTS (SELECT 1 FROM checkpoints WHERE tenant_id = NEW.tenant_id
                      AND size = NEW.checkpoint_size AND size >= NEW.upto_seq)
       OR NEW.policy_days IS DISTINCT FROM (SELECT retention_days FROM tenant_settings
                                            WHERE tenant_id = NEW.tenant_id)
       OR (SELECT received_at FROM events WHERE tenant_id = NEW.tenant_id AND seq = NEW.upto_seq)
          > NEW.purged_at - NEW.policy_days * 86400000::BIGINT THEN
        RAISE EXCEPTION 'a retention cut must grow, stay below the head, match its last record and a checkpoint, and follow the policy';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER retention_cuts_checked BEFORE INSERT OR UPDATE OR DELETE ON retention_cuts
    FOR EACH ROW EXECUTE FUNCTION retention_cuts_checked();
CREATE TRIGGER retention_cuts_no_truncate BEFORE TRUNCATE ON retention_cuts
    FOR EACH STATEMENT EXECUTE FUNCTION retention_cuts_checked();

-- The one delete `events` allows: a record at or below its tenant's latest cut, which
-- the purge records in the same transaction before deleting (store/retention.rs).
-- Updates and TRUNCATE stay refused. The same trigger (events_no_update_delete) calls it.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested: OLD exists only for row-level triggers, not TRUNCATE's.
    IF TG_OP = 'DELETE' THEN
        IF OLD.seq <= (SELECT MAX(upto_seq) FROM retention_cuts
                       WHERE tenant_id = OLD.tenant_id) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are append-only';
END;
$$;
