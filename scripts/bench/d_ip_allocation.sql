-- pgbench floor D of GET /orgs/{id}/ip_allocation (and Postal's): the credential check,
-- the organization by UUID, then the report's one statement, as the route runs it
-- (postgres-adapter/src/ip_allocation.rs, kept in step): its servers, pools, addresses,
-- pool members, pool users and routes as JSON arrays (-D lo=.. hi=.. keyhash=..).
\set id random(:lo, :hi)
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE uuid = md5('org:' || :id)::uuid AND deleted_at IS NULL;
WITH arg AS (SELECT :id::int8 AS org)
, srv AS (SELECT * FROM servers
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, own_pools AS (SELECT * FROM ip_pools
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, own_addresses AS (SELECT * FROM ip_addresses
    WHERE organization_id = (SELECT org FROM arg) AND deleted_at IS NULL)
, pool_ids AS (
    SELECT id FROM own_pools
    UNION SELECT ip_pool_id FROM srv WHERE ip_pool_id IS NOT NULL
    UNION SELECT m.ip_pool_id FROM own_addresses a
      JOIN ip_pool_addresses m ON m.ip_address_id = a.id
      JOIN ip_pools p ON p.id = m.ip_pool_id AND p.deleted_at IS NULL)
SELECT
  (SELECT coalesce(json_agg(s ORDER BY s.id), '[]') FROM srv s)::text,
  (SELECT coalesce(json_agg(p ORDER BY p.id), '[]') FROM own_pools p)::text,
  (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM own_addresses a)::text,
  (SELECT coalesce(json_agg(p ORDER BY p.id), '[]') FROM pool_ids i
    JOIN ip_pools p ON p.id = i.id WHERE p.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(m.ip_pool_id, a) ORDER BY m.ip_pool_id, a.id), '[]')
    FROM pool_ids i JOIN ip_pool_addresses m ON m.ip_pool_id = i.id
      JOIN ip_addresses a ON a.id = m.ip_address_id
    WHERE a.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(s.ip_pool_id, s.name) ORDER BY s.id), '[]')
    FROM own_pools p JOIN servers s ON s.ip_pool_id = p.id
    WHERE s.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(json_build_array(t.server_id, t.ip_pool_id, t.ip_address_id,
      t.organization_id, t.sent) ORDER BY t.server_id, t.ip_pool_id, t.ip_address_id), '[]')
    FROM sent_totals t
    WHERE t.server_id = ANY ((SELECT array_agg(id) FROM srv)::int8[])
       OR t.ip_pool_id = ANY ((SELECT array_agg(id) FROM own_pools)::int8[])
       OR t.ip_address_id = ANY ((SELECT array_agg(id) FROM own_addresses)::int8[]))::text;
