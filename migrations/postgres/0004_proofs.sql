-- Proofs: each tenant's records as an RFC 6962 Merkle tree in chain order (leaf n is
-- record n+1: SHA-256(0x00 ‖ its canonical bytes), see app/src/store/row.rs), stored as
-- C2SP tlog-tiles of height 8 (app/src/merkle/tiles.rs): a tile holds up to 256 hashes
-- of one level; only the rightmost tile of each level is partial, and it only grows.
-- An inclusion or consistency proof reads a few tiles per 8 levels.
CREATE TABLE merkle_tiles (
    tenant_id   TEXT NOT NULL,
    level       INTEGER NOT NULL,
    idx         BIGINT NOT NULL,
    width       INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
    -- width × 32 bytes: the hashes, concatenated (a tile's body as C2SP serves it).
    hashes      BYTEA NOT NULL CHECK (length(hashes) = width * 32),
    PRIMARY KEY (tenant_id, level, idx)
);

-- A tile may only grow, keeping what it held; nothing removes one.
CREATE FUNCTION merkle_tiles_grow_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE'
       OR NEW.tenant_id <> OLD.tenant_id OR NEW.level <> OLD.level OR NEW.idx <> OLD.idx
       OR NEW.width <= OLD.width
       OR substring(NEW.hashes FROM 1 FOR OLD.width * 32) <> OLD.hashes THEN
        RAISE EXCEPTION 'merkle tiles only grow';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER merkle_tiles_grow_only BEFORE UPDATE OR DELETE ON merkle_tiles
    FOR EACH ROW EXECUTE FUNCTION merkle_tiles_grow_only();
CREATE TRIGGER merkle_tiles_no_truncate BEFORE TRUNCATE ON merkle_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_tiles_grow_only();

-- How many of the tenant's records the tree holds: its chain length, once a database
-- made before the tree has caught up (Store::build_trees, at start-up).
ALTER TABLE chain_heads ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;

-- Signed checkpoints (C2SP tlog-checkpoint in a signed note): a tenant's tree size and
-- root as Vigil's key signed them, one per size the tree was signed at
-- (app/src/store/checkpoints.rs). Kept for witnesses and auditors: never changed.
CREATE TABLE checkpoints (
    tenant_id   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    note        TEXT NOT NULL,
    signed_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, size)
);
CREATE FUNCTION checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'checkpoints are append-only';
END;
$$;
CREATE TRIGGER checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION checkpoints_append_only();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION checkpoints_append_only();
