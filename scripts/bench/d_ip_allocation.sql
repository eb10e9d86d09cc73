-- pgbench floor D of GET /orgs/{id}/ip_allocation (and Postal's): the credential check,
-- the organization by UUID, its servers, then the all-time totals of every route through
-- its servers, pools or addresses (the report's main lookup; arrays as the API binds
-- them) (-D lo=.. hi=.. keyhash=..).
\set id random(:lo, :hi)
-- The credential check every request makes: the key and the user it acts as.
SELECT k.*, u.* FROM api_keys k
  LEFT JOIN users u ON u.id = k.user_id AND u.deleted_at IS NULL
  WHERE k.key_hash = decode(:keyhash, 'hex');
SELECT id, uuid, name, permalink, domain, address, city, zip, country, country_code, phone,
       time_zone, parent_id, parent_uuid, path, monthly_limit, customizations, suspended_at,
       suspended_by, created_at, updated_at
  FROM organizations WHERE uuid = md5('org:' || :id)::uuid AND deleted_at IS NULL;
SELECT * FROM servers WHERE organization_id = :id AND deleted_at IS NULL ORDER BY id;
SELECT server_id, ip_pool_id, ip_address_id, organization_id, sent FROM sent_totals
  WHERE server_id = ANY ((SELECT array_agg(id) FROM servers WHERE organization_id = :id AND deleted_at IS NULL)::int8[])
     OR ip_pool_id = ANY ((SELECT array_agg(id) FROM ip_pools WHERE organization_id = :id AND deleted_at IS NULL)::int8[])
     OR ip_address_id = ANY ((SELECT array_agg(id) FROM ip_addresses WHERE organization_id = :id AND deleted_at IS NULL)::int8[])
  ORDER BY server_id, ip_pool_id, ip_address_id;
