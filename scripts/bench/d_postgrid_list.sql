-- pgbench floor D of PostGrid's GET /print-mail/v1/sub_organizations?limit=10 (seed 001):
-- the credential check, the caller's home organization's children counted (the answer's
-- total_count) and their first page by offset, and this month's usage of that page
-- (-D parent=<home id> keyhash=..): the route's SQL, kept in step with it.
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
-- The total: the children kept counted beside the parent (organization_counts).
SELECT c.children FROM organization_counts c JOIN organizations o ON o.id = c.organization_id
  WHERE o.id = :parent AND o.deleted_at IS NULL AND o.path @> ARRAY[:parent]::int8[];
-- The page in two steps, as the route reads it: the children's keys from the
-- (parent_id, id) index, then their rows.
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE id IN (
    SELECT id FROM organizations WHERE deleted_at IS NULL AND parent_id = :parent
    ORDER BY id OFFSET 0 LIMIT 10)
  ORDER BY id;
SELECT * FROM monthly_usage
  WHERE organization_id = ANY ((SELECT array_agg(id) FROM (
          SELECT id FROM organizations WHERE deleted_at IS NULL AND parent_id = :parent
          ORDER BY id LIMIT 10) page)::int8[])
    AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date;
