DROP INDEX organizations_search_trgm;
ALTER TABLE organizations DROP COLUMN search_text;
ALTER TABLE organizations DROP COLUMN parent_uuid;
