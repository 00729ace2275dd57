-- Proofs: each tenant's records as an RFC 6962 Merkle tree in chain order (leaf n is
-- record n+1: SHA-256(0x00 ‖ its canonical bytes), see app/src/store/row.rs), stored as
-- C2SP tlog-tiles of height 8 (app/src/merkle/tiles.rs): a tile holds up to 256 hashes
-- of one level; only the rightmost tile of each level is partial, and it only grows.
-- An inclusion or consistency proof reads a few tiles per 8 levels.
CREATE TABLE merkle_tiles (
    tenant_id   TEXT NOT NULL,
    level       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    width       INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
    -- width × 32 bytes: the hashes, concatenated (a tile's body as C2SP serves it).
    hashes      BLOB NOT NULL CHECK (length(hashes) = width * 32),
    PRIMARY KEY (tenant_id, level, idx)
) WITHOUT ROWID;

-- A tile may only grow, keeping what it held; nothing removes one (INSERT OR REPLACE
-- included, which deletes without firing DELETE triggers).
CREATE TRIGGER merkle_tiles_grow_only BEFORE UPDATE ON merkle_tiles
WHEN NEW.tenant_id IS NOT OLD.tenant_id OR NEW.level IS NOT OLD.level
  OR NEW.idx IS NOT OLD.idx OR NEW.width <= OLD.width
  OR substr(NEW.hashes, 1, OLD.width * 32) IS NOT OLD.hashes
BEGIN
    SELECT RAISE(ABORT, 'merkle tiles only grow');
END;
CREATE TRIGGER merkle_tiles_no_delete BEFORE DELETE ON merkle_tiles
BEGIN
    SELECT RAISE(ABORT, 'merkle tiles only grow');
END;
CREATE TRIGGER merkle_tiles_no_replace BEFORE INSERT ON merkle_tiles
WHEN EXISTS (SELECT 1 FROM merkle_tiles WHERE tenant_id = NEW.tenant_id
             AND level = NEW.level AND idx = NEW.idx)
BEGIN
    SELECT RAISE(ABORT, 'merkle tiles only grow');
END;

-- How many of the tenant's records the tree holds: its chain length, once a database
-- made before the tree has caught up (Store::build_trees, at start-up).
ALTER TABLE chain_heads ADD COLUMN tree_size INTEGER NOT NULL DEFAULT 0;

-- Signed checkpoints (C2SP tlog-checkpoint in a signed note): a tenant's tree size and
-- root as Vigil's key signed them, one per size the tree was signed at
-- (app/src/store/checkpoints.rs). Kept for witnesses and auditors: never changed.
CREATE TABLE checkpoints (
    tenant_id   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    note        TEXT NOT NULL,
    signed_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, size)
);
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
