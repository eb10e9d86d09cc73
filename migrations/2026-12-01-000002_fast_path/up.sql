-- The parent's public id beside its key: parents never change, and every read of an
-- organization shows it, so a read costs one statement instead of two.
ALTER TABLE organizations ADD COLUMN parent_uuid UUID;
UPDATE organizations o SET parent_uuid = p.uuid FROM organizations p WHERE p.id = o.parent_id;

-- Substring search over names and permalinks (`search` on every list of organizations)
-- through trigram indexes, whatever the number of organizations.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX organizations_name_trgm ON organizations USING GIN (name gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX organizations_permalink_trgm ON organizations USING GIN (permalink gin_trgm_ops) WHERE deleted_at IS NULL;
