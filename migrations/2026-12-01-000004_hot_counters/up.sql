-- The counters events update (a queue, a second, a route's total, a month) are rewritten
-- by every batch: thousands of new row versions a second on a few hundred rows. Pages kept
-- half empty let PostgreSQL write each new version beside the old one (a heap-only tuple,
-- no index entry), and prune the chain whenever a page is read, so a read of a busy
-- organization's figures does not step over the dead versions of its own traffic; tight
-- per-table autovacuum settings clean what pruning leaves, whatever the table's size.
ALTER TABLE server_queues SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
ALTER TABLE sent_totals   SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
ALTER TABLE sent_seconds  SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE monthly_usage SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
