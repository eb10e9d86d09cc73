DROP INDEX organizations_permalink_trgm;
DROP INDEX organizations_name_trgm;
ALTER TABLE organizations DROP COLUMN parent_uuid;
