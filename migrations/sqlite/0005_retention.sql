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
    upto_seq        INTEGER NOT NULL,
    last_hash       TEXT NOT NULL,
    checkpoint_size INTEGER NOT NULL,
    policy_days     INTEGER NOT NULL,
    purged_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, upto_seq)
) WITHOUT ROWID;

-- A cut must grow, stay below the chain's head (the newest record is never purged: it
-- anchors the head, and on SQLite keeps rowids growing for the search index), name the
-- hash its last record has, be covered by a stored checkpoint, and follow the tenant's
-- policy as it stands (its last record received `policy_days` before `purged_at`).
-- Nothing changes or removes a cut (INSERT OR REPLACE cannot conflict: a cut only grows).
CREATE TRIGGER retention_cuts_checked BEFORE INSERT ON retention_cuts
WHEN NEW.upto_seq <= COALESCE((SELECT MAX(upto_seq) FROM retention_cuts
                               WHERE tenant_id = NEW.tenant_id), 0)
  OR NEW.upto_seq >= COALESCE((SELECT seq FROM chain_heads WHERE tenant_id = NEW.tenant_id), 0)
  OR NEW.last_hash IS NOT (SELECT hash FROM events
                           WHERE tenant_id = NEW.tenant_id AND seq = NEW.upto_seq)
  OR NOT EXISTS (SELECT 1 FROM checkpoints WHERE tenant_id = NEW.tenant_id
                 AND size = NEW.checkpoint_size AND size >= NEW.upto_seq)
  OR NEW.policy_days IS NOT (SELECT retention_days FROM tenant_settings
                             WHERE tenant_id = NEW.tenant_id)
  OR (SELECT received_at FROM events WHERE tenant_id = NEW.tenant_id AND seq = NEW.upto_seq)
     > NEW.purged_at - NEW.policy_days * 86400000
BEGIN
    SELECT RAISE(ABORT, 'a retention cut must grow, stay below the head, match its last record and a checkpoint, and follow the policy');
END;
CREATE TRIGGER retention_cuts_no_update BEFORE UPDATE ON retention_cuts
BEGIN
    SELECT RAISE(ABORT, 'retention cuts are append-only');
END;
CREATE TRIGGER retention_cuts_no_delete BEFORE DELETE ON retention_cuts
BEGIN
    SELECT RAISE(ABORT, 'retention cuts are append-only');
END;

-- The one delete `events` allows: a record at or below its tenant's latest cut, which
-- the purge records in the same transaction before deleting (store/retention.rs).
-- Updates stay refused (events_no_update), and so does any replacing insert
-- (events_no_replace).
DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
WHEN OLD.seq > COALESCE((SELECT MAX(upto_seq) FROM retention_cuts
                         WHERE tenant_id = OLD.tenant_id), 0)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
