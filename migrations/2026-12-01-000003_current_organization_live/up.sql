-- A user's current organization is always live: deleting an organization now hands its
-- users' current organization back to their home. Mend rows written before that rule.
UPDATE users u
   SET current_organization_id = u.organization_id
  FROM organizations o
 WHERE o.id = u.current_organization_id
   AND o.deleted_at IS NOT NULL
   AND u.deleted_at IS NULL;
