-- The parent's public id beside its key: parents never change, and every read of an
-- organization shows it, so a read costs one statement instead of two.
ALTER TABLE organizations ADD COLUMN parent_uuid UUID;
UPDATE organizations o SET parent_uuid = p.uuid FROM organizations p WHERE p.id = o.parent_id;

-- Free-text search over what an organization is known by, through one trigram index,
-- whatever the number of organizations: every term of a search must appear in it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE organizations ADD COLUMN search_text TEXT GENERATED ALWAYS AS (
    lower(name || ' ' || permalink || ' ' || coalesce(domain, '') || ' ' || coalesce(city, '')
          || ' ' || coalesce(country, '') || ' ' || coalesce(country_code, ''))
) STORED;
CREATE INDEX organizations_search_trgm ON organizations USING GIN (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
