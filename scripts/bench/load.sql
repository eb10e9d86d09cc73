-- The benchmark's data set, written straight into the tables of migrations/ (creating
-- 10^6 organizations through the API would take hours). Run by bench.py with psql:
--
--   psql -v top=N -v subs=N -v addrs=N -v servers=N -v search=N -v platform=UUID -f load.sql
--
--   top      top-level organizations (each gets a default pool with `addrs` addresses)
--   subs     sub-organizations per top-level organization
--   servers  servers per organization (top-level and sub), on the top-level default pool
--   search   extra organizations under the platform organization (the bootstrap's, named
--            by its UUID in `platform`), for the searched list and PostGrid's list of the
--            caller's sub-organizations
--
-- Organizations get UUIDs derived from their ids (md5('org:' || id)), so that pgbench
-- scripts can name a random organization by UUID exactly as the API is asked for one.
-- The first two top-level organizations ("Org 1", "Org 2": A and B of the history
-- measurement) and their sub-organizations get no generated history, so that what they
-- hold later is exactly what the benchmark sends them.
\set ON_ERROR_STOP on

BEGIN;
-- Faster index builds; foreign-key triggers are skipped because every row is generated
-- consistent (parents, pools and addresses are inserted before what refers to them).
SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL session_replication_role = replica;

SELECT coalesce(max(id), 0) + 1 AS org_base FROM organizations \gset
SELECT coalesce(max(id), 0) + 1 AS pool_base FROM ip_pools \gset
SELECT coalesce(max(id), 0) + 1 AS addr_base FROM ip_addresses \gset
SELECT coalesce(max(id), 0) + 1 AS server_base FROM servers \gset
-- Ids: top-level t -> org_base + t; sub k of t -> org_base + top + t*subs + k; then the
-- platform organization's children j -> org_base + top*(1 + subs) + j.
SELECT :org_base + :top * (1 + :subs) AS children_base \gset
SELECT :org_base + 1 AS org_b \gset
SELECT id AS platform_id FROM organizations WHERE uuid = :'platform'::uuid AND deleted_at IS NULL \gset

-- Secondary indexes of organizations are dropped and rebuilt after the load: building a
-- trigram index once is far cheaper than updating it row by row, 10^6 times. Their
-- definitions are read back from the catalog, so they come back exactly as migrated.
-- (The UUID index belongs to a constraint and stays.)
CREATE TEMP TABLE saved_indexes ON COMMIT DROP AS
    SELECT i.indexname, i.indexdef
    FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename = 'organizations'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);
SELECT format('DROP INDEX %I', indexname) FROM saved_indexes \gexec

-- Top-level organizations.
INSERT INTO organizations (id, uuid, name, permalink, parent_id, parent_uuid, path,
                           customizations, created_at, updated_at)
SELECT id, md5('org:' || id)::uuid, 'Org ' || (t + 1), 'org-' || (t + 1), NULL, NULL,
       ARRAY[id], '{}', now() - interval '400 days', now() - interval '400 days'
FROM (SELECT t, :org_base + t AS id FROM generate_series(0, :top - 1) t) g;

-- Their sub-organizations.
INSERT INTO organizations (id, uuid, name, permalink, parent_id, parent_uuid, path,
                           customizations, created_at, updated_at)
SELECT id, md5('org:' || id)::uuid, 'Org ' || (t + 1) || ' Sub ' || (k + 1),
       'org-' || (t + 1) || '-sub-' || (k + 1), parent, md5('org:' || parent)::uuid,
       ARRAY[parent, id], '{}', now() - interval '300 days', now() - interval '300 days'
FROM (SELECT t, k, :org_base + t AS parent, :org_base + :top + t * :subs + k AS id
      FROM generate_series(0, :top - 1) t, generate_series(0, :subs - 1) k) g;

-- The platform organization's many children, with cheap names ("Tenant 100123 Ltd").
INSERT INTO organizations (id, uuid, name, permalink, parent_id, parent_uuid, path,
                           customizations, created_at, updated_at)
SELECT id, md5('org:' || id)::uuid, 'Tenant ' || (100000 + j) || ' Ltd',
       'tenant-' || (100000 + j) || '-ltd', :platform_id, :'platform'::uuid, ARRAY[:platform_id, id],
       '{}', now() - interval '200 days', now() - interval '200 days'
FROM (SELECT j, :children_base + j AS id FROM generate_series(0, :search - 1) j) g;

-- One default pool per top-level organization, with `addrs` addresses of its own.
INSERT INTO ip_pools (id, uuid, organization_id, name, is_default, created_at, updated_at)
SELECT :pool_base + t, gen_random_uuid(), :org_base + t, 'Default Pool', true,
       now() - interval '400 days', now() - interval '400 days'
FROM generate_series(0, :top - 1) t;

INSERT INTO ip_addresses (id, uuid, organization_id, ipv4, hostname, priority, created_at,
                          updated_at)
SELECT :addr_base + n, gen_random_uuid(), :org_base + n / :addrs,
       '10.' || (n / 62500 % 256) || '.' || (n / 250 % 250) || '.' || (n % 250 + 1),
       'mail' || (n + 1) || '.example.com', 100 - (n % :addrs) * 10,
       now() - interval '400 days', now() - interval '400 days'
FROM generate_series(0, :top * :addrs - 1) n;

INSERT INTO ip_pool_addresses (ip_pool_id, ip_address_id, organization_id, created_at)
SELECT :pool_base + n / :addrs, :addr_base + n, :org_base + n / :addrs, now() - interval '400 days'
FROM generate_series(0, :top * :addrs - 1) n;

-- Servers on every top-level and sub-organization, sending through the top-level
-- organization's default pool (path[1] is the top-level organization).
INSERT INTO servers (id, uuid, organization_id, name, permalink, mode, ip_pool_id,
                     created_at, updated_at)
SELECT :server_base + (o.id - :org_base) * :servers + s, gen_random_uuid(), o.id,
       'Server ' || (s + 1), 'server-' || (s + 1), 'Live', :pool_base + (o.path[1] - :org_base),
       now() - interval '250 days', now() - interval '250 days'
FROM organizations o, generate_series(0, :servers - 1) s
WHERE o.id BETWEEN :org_base AND :children_base - 1;

-- History: all-time totals per route, this month's and last month's usage, queues.
INSERT INTO sent_totals (server_id, ip_pool_id, ip_address_id, organization_id, sent)
SELECT s.id, s.ip_pool_id, pa.ip_address_id, s.organization_id, 1 + (random() * 100000)::bigint
FROM servers s
JOIN ip_pool_addresses pa ON pa.ip_pool_id = s.ip_pool_id
JOIN organizations o ON o.id = s.organization_id
WHERE s.id >= :server_base AND o.path[1] > :org_b;

INSERT INTO monthly_usage (organization_id, month, sent)
SELECT o.id, (date_trunc('month', now() AT TIME ZONE 'UTC') - m * interval '1 month')::date,
       (random() * 1000000)::bigint
FROM organizations o, generate_series(0, 1) m
WHERE o.id BETWEEN :org_base AND :children_base - 1 AND o.path[1] > :org_b;

INSERT INTO server_queues (server_id, organization_id, queued, last_floor, last_shift)
SELECT id, organization_id, q, 0, q
FROM (SELECT s.id, s.organization_id, (random() * 1000)::bigint AS q
      FROM servers s JOIN organizations o ON o.id = s.organization_id
      WHERE s.id >= :server_base AND o.path[1] > :org_b) g;

-- The sequences continue after the generated ids, so the API can still create rows.
SELECT setval('organizations_id_seq', (SELECT max(id) FROM organizations)) \gset
SELECT setval('ip_pools_id_seq', (SELECT max(id) FROM ip_pools)) \gset
SELECT setval('ip_addresses_id_seq', (SELECT max(id) FROM ip_addresses)) \gset
SELECT setval('servers_id_seq', (SELECT max(id) FROM servers)) \gset

SELECT indexdef FROM saved_indexes \gexec
-- The organization counts are kept by triggers, which the load skipped: counted once here.
SELECT organization_counts_rebuild();
COMMIT;

-- Fresh statistics for the planner, and hint bits and the visibility map set now rather
-- than during the first measured reads.
VACUUM (ANALYZE);
