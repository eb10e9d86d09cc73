ALTER INDEX organizations_parent_search RENAME TO organizations_parent;

-- Whether a term is common or rare is estimated from this column's histogram: with the
-- default 100 buckets a term found in one bucket reads as 1 % of the rows, so a rare
-- 4-digit term (about 300 of a million) was walked like a common one through the
-- children (66-77 ms). With 10,000 buckets the estimates hold and a rare term goes to
-- the trigram index. The costs: every ANALYZE of organizations (autovacuum's too) samples
-- up to 3,000,000 rows, and planning a search compares its pattern with the buckets
-- (about 1 ms). Neither ALTER nor ANALYZE blocks reads or writes.
ALTER TABLE organizations ALTER COLUMN search_text SET STATISTICS 10000;
ANALYZE organizations (search_text);
