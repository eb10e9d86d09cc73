-- How many live organizations lie below each one, kept as organizations change, so that
-- the totals lists answer with (X-Total-Count, total_pages, PostGrid's totalCount) cost
-- the same for a tenant of ten as for the platform's million: counting them took 110 to
-- 150 ms a request at 10^6 organizations.
--
-- One row per live organization: its live direct children and live descendants (itself
-- excluded). Row 0 stands for "all": its children are the top-level organizations, its
-- descendants every live organization. Statement-level triggers keep them, so a bulk
-- insert costs one update per statement, whatever writes the rows.
-- Organizations written while this runs would be missed by the first count: writers wait
-- (the migration is one transaction; readers carry on).
LOCK TABLE organizations IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE organization_counts (
    organization_id  BIGINT PRIMARY KEY,
    children         BIGINT NOT NULL CHECK (children >= 0),
    descendants      BIGINT NOT NULL CHECK (descendants >= 0)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);

-- Recounts everything from the organizations themselves: for this migration, and for
-- whoever writes organizations with triggers off (a bulk load under
-- `session_replication_role = replica`, as `make bench` does).
CREATE FUNCTION organization_counts_rebuild() RETURNS void LANGUAGE sql AS $$
DELETE FROM organization_counts;
INSERT INTO organization_counts (organization_id, children, descendants)
SELECT id, 0, 0 FROM organizations WHERE deleted_at IS NULL;
INSERT INTO organization_counts (organization_id, children, descendants)
SELECT 0,
       (SELECT count(*) FROM organizations WHERE deleted_at IS NULL AND parent_id IS NULL),
       (SELECT count(*) FROM organizations WHERE deleted_at IS NULL);
UPDATE organization_counts c SET children = d.n
FROM (SELECT parent_id, count(*) AS n FROM organizations
      WHERE deleted_at IS NULL AND parent_id IS NOT NULL GROUP BY parent_id) d
WHERE c.organization_id = d.parent_id;
UPDATE organization_counts c SET descendants = d.n
FROM (SELECT a, count(*) AS n FROM organizations o, unnest(o.path) AS a
      WHERE o.deleted_at IS NULL AND a <> o.id GROUP BY a) d
WHERE c.organization_id = d.a;
$$;

-- Adds `sign` per occurrence: to `children` of each of `parents`, to `descendants` of each
-- of `ancestors`, and to row 0 (`top` top-level organizations among `total`). The rows are
-- locked in key order first, so that concurrent changes wait for each other and never
-- deadlock.
CREATE FUNCTION organization_counts_shift(parents BIGINT[], ancestors BIGINT[], total BIGINT, top BIGINT, sign BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF total = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM organization_counts
    WHERE organization_id = 0 OR organization_id = ANY (parents) OR organization_id = ANY (ancestors)
    ORDER BY organization_id
    FOR UPDATE;
    UPDATE organization_counts c
    SET children = c.children + sign * d.children,
        descendants = c.descendants + sign * d.descendants
    FROM (
        SELECT id, sum(ch) AS children, sum(de) AS descendants
        FROM (
            SELECT unnest(parents) AS id, 1 AS ch, 0 AS de
            UNION ALL SELECT unnest(ancestors), 0, 1
            UNION ALL SELECT 0, top, total
        ) x
        GROUP BY id
    ) d
    WHERE c.organization_id = d.id;
END $$;

CREATE FUNCTION organization_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_counts (organization_id, children, descendants)
    SELECT id, 0, 0 FROM new_organizations WHERE deleted_at IS NULL
    ON CONFLICT (organization_id) DO NOTHING;
    PERFORM organization_counts_shift(
        ARRAY(SELECT parent_id FROM new_organizations WHERE deleted_at IS NULL AND parent_id IS NOT NULL),
        ARRAY(SELECT a FROM new_organizations n, unnest(n.path) AS a WHERE n.deleted_at IS NULL AND a <> n.id),
        (SELECT count(*) FROM new_organizations WHERE deleted_at IS NULL),
        (SELECT count(*) FROM new_organizations WHERE deleted_at IS NULL AND parent_id IS NULL),
        1);
    RETURN NULL;
END $$;

-- Organizations are only ever soft-deleted (`deleted_at` set), never brought back.
CREATE FUNCTION organization_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates change something else: nothing to count, one look.
    IF NOT EXISTS (SELECT 1 FROM new_organizations n JOIN old_organizations o ON o.id = n.id
                   WHERE o.deleted_at IS NULL AND n.deleted_at IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM organization_counts_shift(
        ARRAY(SELECT n.parent_id FROM new_organizations n JOIN old_organizations o ON o.id = n.id
              WHERE o.deleted_at IS NULL AND n.deleted_at IS NOT NULL AND n.parent_id IS NOT NULL),
        ARRAY(SELECT a FROM new_organizations n JOIN old_organizations o ON o.id = n.id, unnest(n.path) AS a
              WHERE o.deleted_at IS NULL AND n.deleted_at IS NOT NULL AND a <> n.id),
        (SELECT count(*) FROM new_organizations n JOIN old_organizations o ON o.id = n.id
         WHERE o.deleted_at IS NULL AND n.deleted_at IS NOT NULL),
        (SELECT count(*) FROM new_organizations n JOIN old_organizations o ON o.id = n.id
         WHERE o.deleted_at IS NULL AND n.deleted_at IS NOT NULL AND n.parent_id IS NULL),
        -1);
    RETURN NULL;
END $$;

CREATE TRIGGER organizations_counted_insert AFTER INSERT ON organizations
REFERENCING NEW TABLE AS new_organizations
FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();

CREATE TRIGGER organizations_counted_delete AFTER UPDATE ON organizations
REFERENCING OLD TABLE AS old_organizations NEW TABLE AS new_organizations
FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();

-- The counts know two changes only, a new organization and a soft delete: anything else
-- that would change what is live is refused rather than silently miscounted.
CREATE FUNCTION organization_counts_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'organizations are soft-deleted for good: % of organization %', TG_OP, OLD.id;
END $$;
CREATE TRIGGER organizations_never_undeleted BEFORE UPDATE ON organizations
FOR EACH ROW WHEN (OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL)
EXECUTE FUNCTION organization_counts_refuse();
CREATE TRIGGER organizations_never_removed BEFORE DELETE ON organizations
FOR EACH ROW WHEN (OLD.deleted_at IS NULL)
EXECUTE FUNCTION organization_counts_refuse();

SELECT organization_counts_rebuild();

-- A parent's children in key order straight from the index: a page of a million children
-- was a sort of all of them (14 ms a request at 10^6).
DROP INDEX organizations_parent;
CREATE INDEX organizations_parent ON organizations (parent_id, id) WHERE deleted_at IS NULL;
