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
  SELECT c.* FROM organizations c WHERE c.id IN (
    SELECT k.id FROM organizations k
    WHERE k.parent_id = (SELECT id FROM parent) AND k.deleted_at IS NULL
    ORDER BY k.id OFFSET (SELECT skip FROM arg) LIMIT (SELECT lim FROM arg)))
SELECT
  (SELECT row_to_json(p)::text FROM parent p),
  (SELECT n.children FROM organization_counts n
    WHERE n.organization_id = (SELECT id FROM parent)),
  (SELECT coalesce(json_agg(c ORDER BY c.id), '[]')::text FROM page c),
  (SELECT coalesce(json_agg(u ORDER BY u.organization_id), '[]')::text FROM monthly_usage u
    WHERE u.organization_id IN (SELECT id FROM page) AND u.month = (SELECT month FROM arg));
