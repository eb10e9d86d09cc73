ALTER TABLE organizations ALTER COLUMN search_text SET STATISTICS -1;
DROP INDEX organizations_parent;
CREATE INDEX organizations_parent ON organizations (parent_id, id) WHERE deleted_at IS NULL;
