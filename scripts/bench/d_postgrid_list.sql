-- pgbench floor D of PostGrid's GET /print-mail/v1/sub_organizations?limit=10 (seed 001):
-- the credential check, then the route's one statement (postgres-adapter/src/
-- sub_organization.rs; a test checks they match): the caller's home organization, its
-- children counted (organization_counts, the answer's total_count), their first page by
-- offset and this month's usage of that page (-D parent=<home id> keyhash=..).
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
WITH arg AS (SELECT :parent::int8 AS parent, 0::int8 AS skip, 10::int8 AS lim,
                    date_trunc('month', now() AT TIME ZONE 'UTC')::date AS month)
, parent AS (
  SELECT o.* FROM organizations o
  WHERE o.id = (SELECT parent FROM arg) AND o.deleted_at IS NULL),
page AS (
  SELECT k.id FROM organizations k
  WHERE k.parent_id = (SELECT id FROM parent) AND k.deleted_at IS NULL
  ORDER BY k.id OFFSET (SELECT skip FROM arg) LIMIT (SELECT lim FROM arg))
SELECT
  (SELECT json_build_array(p.id, p.uuid, p.name, p.permalink, p.domain, p.address, p.city, p.zip, p.country, p.country_code, p.phone, p.time_zone, p.parent_id, p.parent_uuid, p.path, p.monthly_limit, p.customizations, p.suspended_at, p.suspended_by, p.created_at, p.updated_at)::text FROM parent p),
  (SELECT n.children FROM organization_counts n
    WHERE n.organization_id = (SELECT id FROM parent)),
  (SELECT coalesce(json_agg(json_build_array(c.id, c.uuid, c.name, c.permalink, c.domain, c.address, c.city, c.zip, c.country, c.country_code, c.phone, c.time_zone, c.parent_id, c.parent_uuid, c.path, c.monthly_limit, c.customizations, c.suspended_at, c.suspended_by, c.created_at, c.updated_at) ORDER BY c.id), '[]')::text
    FROM page k JOIN organizations c ON c.id = k.id),
  (SELECT coalesce(json_agg(json_build_array(u.organization_id, u.month, u.sent,
      u.monthly_limit, u.threshold_recorded) ORDER BY u.organization_id), '[]')::text
    FROM page k CROSS JOIN LATERAL (SELECT * FROM monthly_usage u
      WHERE u.organization_id = k.id AND u.month = (SELECT month FROM arg) OFFSET 0) u);
