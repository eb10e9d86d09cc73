-- pgbench floor D of the organization lists (GET /orgs?limit=50 and the other surfaces'
-- lists): the credential check, then the keyset page a platform administrator gets,
-- one row more than the page to know whether another follows (-D limit=51 keyhash=..).
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE deleted_at IS NULL ORDER BY id LIMIT :limit;
