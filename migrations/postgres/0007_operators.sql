-- Onboarding and provisioning (app/src/store/operators.rs, tenants.rs, users.rs,
-- invitations.rs): the operator's tokens for /api/v1/admin/, tenants that create
-- an unknown account on first sight, and invitations to the console.

-- Operator tokens `vgo_<prefix>_<secret>`: like ingest keys, only a SHA-256 of the
-- secret is kept and the prefix finds the row. Not bound to a tenant: an operator
-- provisions them all.
CREATE TABLE operator_tokens (
    id          TEXT PRIMARY KEY,
    prefix      TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Off by default: ingest naming an account the tenant lacks is refused.
ALTER TABLE tenant_settings ADD COLUMN auto_create_accounts BOOLEAN NOT NULL DEFAULT FALSE;

-- The ingest key whose record named the account first, when ingest created it
-- (auto_create_accounts); NULL for accounts created otherwise. Counted for the cap.
ALTER TABLE accounts ADD COLUMN auto_created_by TEXT;
CREATE INDEX accounts_auto_created ON accounts (tenant_id) WHERE auto_created_by IS NOT NULL;

-- Invitations to the console: the one-time token only as a SHA-256. Accepting one
-- creates the user with the role and marks it accepted, in one transaction.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    -- Required for account_admin, NULL for tenant_admin.
    account_id  TEXT REFERENCES accounts(id),
    -- Who invited (a `written_by`: operator:<token id>, console:<user id>, vigil).
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    user_id     TEXT REFERENCES users(id)
);
CREATE INDEX invitations_tenant ON invitations (tenant_id, created_at);
