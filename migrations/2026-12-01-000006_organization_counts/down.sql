DROP INDEX organizations_parent;
CREATE INDEX organizations_parent ON organizations (parent_id) WHERE deleted_at IS NULL;
DROP TRIGGER organizations_counted_delete ON organizations;
DROP TRIGGER organizations_counted_insert ON organizations;
DROP FUNCTION organization_counts_deleted();
DROP FUNCTION organization_counts_inserted();
DROP FUNCTION organization_counts_rebuild();
DROP FUNCTION organization_counts_shift(BIGINT[], BIGINT[], BIGINT, BIGINT, BIGINT);
DROP TABLE organization_counts;
