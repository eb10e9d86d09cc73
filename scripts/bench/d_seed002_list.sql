-- pgbench floor D of seed 002's GET /api/organizations?limit=25 as the platform
-- administrator: the credential check, the first page of everything by key, the total
-- (row 0 of organization_counts), then each listed organization's live users and servers
-- in one statement, as the route runs it (postgres-adapter/src/overview.rs, kept in
-- step; bench.py passes the page's keys as page_ids) (-D limit=25 page_ids={..} keyhash=..).
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE deleted_at IS NULL ORDER BY id OFFSET 0 LIMIT :limit;
SELECT descendants FROM organization_counts WHERE organization_id = 0 LIMIT 1;
WITH arg AS (SELECT :page_ids::int8[] AS orgs)
SELECT o.id,
  (SELECT count(*) FROM users u WHERE u.organization_id = o.id AND u.deleted_at IS NULL),
  (SELECT count(*) FROM servers s WHERE s.organization_id = o.id AND s.deleted_at IS NULL)
FROM unnest((SELECT orgs FROM arg)) WITH ORDINALITY AS o(id, n)
ORDER BY o.n;
