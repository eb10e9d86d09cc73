-- The index it replaces (the same keys, without search_text), dropped without blocking.
DROP INDEX CONCURRENTLY organizations_parent
