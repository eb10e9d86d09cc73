ALTER TABLE organizations ALTER COLUMN search_text SET STATISTICS -1;
ANALYZE organizations (search_text);
ALTER INDEX organizations_parent RENAME TO organizations_parent_search;
