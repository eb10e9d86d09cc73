-- pgbench floor D of GET /orgs/{id}: the credential check, then one organization by its
-- UUID (unique index), a random one of the main set (-D lo=.. hi=.. keyhash=..).
\set id random(:lo, :hi)
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE uuid = md5('org:' || :id)::uuid AND deleted_at IS NULL;
