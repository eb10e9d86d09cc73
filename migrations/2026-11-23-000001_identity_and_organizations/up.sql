-- Organizations form a tree. `path` holds the ids from the root down to the row itself,
-- so "this organization and its descendants" is one indexed `path @> ARRAY[id]` test.
-- Parents are fixed at creation: no cycle can form.
CREATE TABLE organizations (
    id              BIGSERIAL PRIMARY KEY,
    uuid            UUID        NOT NULL UNIQUE,
    name            TEXT        NOT NULL,
    permalink       TEXT        NOT NULL,
    domain          TEXT,
    address         TEXT,
    city            TEXT,
    zip             TEXT,
    country         TEXT,
    country_code    CHAR(2),
    phone           TEXT,
    time_zone       TEXT,
    parent_id       BIGINT      REFERENCES organizations (id),
    path            BIGINT[]    NOT NULL,
    monthly_limit   BIGINT      CHECK (monthly_limit >= 0),
    customizations  JSONB       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(customizations) = 'object'),
    suspended_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    deleted_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX organizations_permalink_live ON organizations (permalink) WHERE deleted_at IS NULL;
CREATE INDEX organizations_path ON organizations USING GIN (path);
CREATE INDEX organizations_parent ON organizations (parent_id) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id                       BIGSERIAL PRIMARY KEY,
    uuid                     UUID        NOT NULL UNIQUE,
    organization_id          BIGINT      NOT NULL REFERENCES organizations (id),
    current_organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    email                    TEXT        NOT NULL,
    name                     TEXT        NOT NULL,
    phone_number             TEXT,
    password_hash            TEXT        NOT NULL,
    verified_email           BOOLEAN     NOT NULL DEFAULT FALSE,
    pending_invite           BOOLEAN     NOT NULL DEFAULT FALSE,
    roles                    TEXT[]      NOT NULL,
    email_preferences        JSONB       NOT NULL,
    last_login_time          TIMESTAMPTZ,
    previous_emails          TEXT[]      NOT NULL DEFAULT '{}',
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL,
    deleted_at               TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_organization ON users (organization_id, id) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
    id               BIGSERIAL PRIMARY KEY,
    uuid             UUID        NOT NULL UNIQUE,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    user_id          BIGINT      NOT NULL REFERENCES users (id),
    mode             TEXT        NOT NULL CHECK (mode IN ('live', 'test')),
    prefix           TEXT        NOT NULL,
    key_hash         BYTEA       NOT NULL UNIQUE,
    active_until     TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ,
    last_used_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);

CREATE TABLE sessions (
    id               BIGSERIAL PRIMARY KEY,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    user_id          BIGINT      NOT NULL REFERENCES users (id),
    token_hash       BYTEA       NOT NULL UNIQUE,
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id                BIGSERIAL PRIMARY KEY,
    organization_id   BIGINT      NOT NULL REFERENCES organizations (id),
    actor_user_id     BIGINT      REFERENCES users (id),
    actor_api_key_id  BIGINT      REFERENCES api_keys (id),
    actor_session_id  BIGINT      REFERENCES sessions (id),
    action            TEXT        NOT NULL,
    target_type       TEXT        NOT NULL,
    target_id         UUID        NOT NULL,
    changes           JSONB       NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_organization ON audit_log (organization_id, id DESC);

CREATE TABLE access_log (
    id               BIGSERIAL PRIMARY KEY,
    organization_id  BIGINT      REFERENCES organizations (id),
    user_id          BIGINT      REFERENCES users (id),
    email            TEXT,
    action           TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    client_ip        TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_log_organization ON access_log (organization_id, id DESC);
CREATE INDEX access_log_login_failures_email ON access_log (lower(email), created_at) WHERE action = 'LOGIN' AND status = 'FAILURE';
CREATE INDEX access_log_login_failures_ip ON access_log (client_ip, created_at) WHERE action = 'LOGIN' AND status = 'FAILURE';
