-- Mail infrastructure: servers, IP pools and addresses, the counters that message events
-- feed, monthly usage, and idempotency records. Every tenant table carries
-- `organization_id`, so the schema can later be distributed by organization.

-- A suspension is stored where it takes effect: `suspended_by` is NULL when the row is
-- suspended on its own, else the organization above whose suspension it inherits.
ALTER TABLE organizations ADD COLUMN suspended_by BIGINT REFERENCES organizations (id);

CREATE TABLE ip_pools (
    id               BIGSERIAL PRIMARY KEY,
    uuid             UUID        NOT NULL UNIQUE,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    name             TEXT        NOT NULL,
    is_default       BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX ip_pools_name_live ON ip_pools (organization_id, lower(name)) WHERE deleted_at IS NULL;
-- At most one default pool per organization.
CREATE UNIQUE INDEX ip_pools_default_live ON ip_pools (organization_id) WHERE is_default AND deleted_at IS NULL;

CREATE TABLE ip_addresses (
    id               BIGSERIAL PRIMARY KEY,
    uuid             UUID        NOT NULL UNIQUE,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    -- Canonical text forms (the domain parses and prints them), so equal addresses are
    -- equal strings.
    ipv4             TEXT        NOT NULL,
    ipv6             TEXT,
    hostname         TEXT        NOT NULL,
    priority         SMALLINT    NOT NULL CHECK (priority BETWEEN 0 AND 100),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX ip_addresses_ipv4_live ON ip_addresses (ipv4) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX ip_addresses_ipv6_live ON ip_addresses (ipv6) WHERE deleted_at IS NULL AND ipv6 IS NOT NULL;
CREATE INDEX ip_addresses_organization ON ip_addresses (organization_id, id) WHERE deleted_at IS NULL;

-- One address may sit in several pools.
CREATE TABLE ip_pool_addresses (
    ip_pool_id       BIGINT      NOT NULL REFERENCES ip_pools (id),
    ip_address_id    BIGINT      NOT NULL REFERENCES ip_addresses (id),
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ip_pool_id, ip_address_id)
);
CREATE INDEX ip_pool_addresses_address ON ip_pool_addresses (ip_address_id);

CREATE TABLE servers (
    id               BIGSERIAL PRIMARY KEY,
    uuid             UUID        NOT NULL UNIQUE,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    name             TEXT        NOT NULL,
    permalink        TEXT        NOT NULL,
    mode             TEXT        NOT NULL CHECK (mode IN ('Live', 'Development')),
    ip_pool_id       BIGINT      REFERENCES ip_pools (id),
    send_limit       BIGINT      CHECK (send_limit >= 0),
    suspended_at     TIMESTAMPTZ,
    suspended_by     BIGINT      REFERENCES organizations (id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX servers_name_live ON servers (organization_id, lower(name)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX servers_permalink_live ON servers (organization_id, permalink) WHERE deleted_at IS NULL;
CREATE INDEX servers_organization ON servers (organization_id, id) WHERE deleted_at IS NULL;
CREATE INDEX servers_pool ON servers (ip_pool_id) WHERE deleted_at IS NULL;

-- Counters. Hot rows, written once per batch of events with multi-row upserts; no
-- foreign keys (their checks would cost a lookup and a lock per row), and rows of a
-- deleted server stay as history.

-- Messages in each server's queue now. A batch changes a queue by
-- `queued := greatest(floor, queued + shift)` (sent and failed never take it below zero,
-- even in the middle of a batch); the last change applied is kept beside it, because an
-- upsert's update can only read what its proposed row carries.
CREATE TABLE server_queues (
    server_id        BIGINT PRIMARY KEY,
    organization_id  BIGINT NOT NULL,
    queued           BIGINT NOT NULL CHECK (queued >= 0),
    last_floor       BIGINT NOT NULL,
    last_shift       BIGINT NOT NULL
);

-- Sent messages per server and second (Unix time), for the live window and the send
-- limit; pruned after the retention.
CREATE TABLE sent_seconds (
    server_id        BIGINT NOT NULL,
    second           BIGINT NOT NULL,
    organization_id  BIGINT NOT NULL,
    sent             BIGINT NOT NULL,
    PRIMARY KEY (server_id, second)
);
CREATE INDEX sent_seconds_organization ON sent_seconds (organization_id, second);
CREATE INDEX sent_seconds_second ON sent_seconds (second);

-- All-time sent messages per route: server, the pool it sent through, the address.
CREATE TABLE sent_totals (
    server_id        BIGINT NOT NULL,
    ip_pool_id       BIGINT NOT NULL,
    ip_address_id    BIGINT NOT NULL,
    organization_id  BIGINT NOT NULL,
    sent             BIGINT NOT NULL,
    PRIMARY KEY (server_id, ip_pool_id, ip_address_id)
);
CREATE INDEX sent_totals_pool ON sent_totals (ip_pool_id);
CREATE INDEX sent_totals_address ON sent_totals (ip_address_id);

-- Sent messages per organization and calendar month (UTC, the month's first day), with
-- the limit as of the last message counted, and the highest threshold (80, 100 percent)
-- already recorded in the audit log.
CREATE TABLE monthly_usage (
    organization_id     BIGINT   NOT NULL REFERENCES organizations (id),
    month               DATE     NOT NULL CHECK (extract(day FROM month) = 1),
    sent                BIGINT   NOT NULL,
    monthly_limit       BIGINT,
    threshold_recorded  SMALLINT,
    PRIMARY KEY (organization_id, month)
);

-- A request's Idempotency-Key, per user: what it asked (a fingerprint) and what it was
-- answered. The key is claimed first (so a concurrent duplicate waits on the row) and the
-- answer filled in before the same transaction commits: committed rows are complete.
-- Only digests of the key are kept, and the answer is sealed with a key derived from it:
-- the table alone reveals neither the keys nor what they were answered (some answers
-- hold a new API key's value).
CREATE TABLE idempotency_keys (
    user_id          BIGINT      NOT NULL REFERENCES users (id),
    key_hash         BYTEA       NOT NULL,
    organization_id  BIGINT      NOT NULL REFERENCES organizations (id),
    fingerprint      BYTEA       NOT NULL,
    status           SMALLINT,
    content_type     TEXT,
    body             BYTEA,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
