-- pgbench floor D of GET /orgs?parent_id=P&search=S&limit=25 once organizations carry the
-- generated `search_text` column (one trigram index; bench.py picks this script when the
-- column exists, else d_search.sql): the credential check, the parent by UUID (its reach
-- check), then its children whose search text contains S. S is a 3- to 5-digit number, as
-- in bench.py's search terms (-D parent=.. parent_uuid=.. keyhash=..).
\set digits random(2, 4)
\set s random(int(pow(10, :digits)), int(pow(10, :digits + 1)) - 1)
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE uuid = :parent_uuid::uuid AND deleted_at IS NULL;
-- The page in two steps, as the route reads it: the keys (from the children index alone),
-- then their rows. Run unprepared (bench.py's PLANNED_EACH_TIME), planned for the term.
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations
  WHERE id = ANY(SELECT id FROM organizations
                 WHERE deleted_at IS NULL AND parent_id = :parent
                   AND search_text LIKE '%' || :s || '%'
                 ORDER BY id LIMIT 26)
  ORDER BY id;
