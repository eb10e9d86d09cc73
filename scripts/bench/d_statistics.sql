-- pgbench floor D of GET /orgs/{id}/statistics (and Postal's): the credential check, the
-- organization by UUID, then the report's one statement, as the route runs it
-- (postgres-adapter/src/statistics.rs, kept in step): its
-- servers with their queues and their sums over the 60-second window, and its addresses,
-- as JSON arrays (-D lo=.. hi=.. keyhash=..).
\set id random(:lo, :hi)
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE uuid = md5('org:' || :id)::uuid AND deleted_at IS NULL;
WITH arg AS (SELECT :id::int8 AS org, floor(extract(epoch FROM now()))::int8 - 59 AS since)
SELECT
  (SELECT coalesce(json_agg(json_build_array(s, q.queued,
      coalesce((SELECT sum(ss.sent) FROM sent_seconds ss
        WHERE ss.server_id = s.id AND ss.second >= (SELECT since FROM arg)), 0))
    ORDER BY s.id), '[]')
    FROM servers s LEFT JOIN server_queues q ON q.server_id = s.id
    WHERE s.organization_id = (SELECT org FROM arg) AND s.deleted_at IS NULL)::text,
  (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM ip_addresses a
    WHERE a.organization_id = (SELECT org FROM arg) AND a.deleted_at IS NULL)::text;
