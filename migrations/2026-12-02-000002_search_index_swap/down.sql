CREATE INDEX CONCURRENTLY organizations_parent ON organizations (parent_id, id)
  WHERE deleted_at IS NULL
