ALTER TABLE server_queues RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE sent_totals   RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE sent_seconds  RESET (fillfactor, autovacuum_vacuum_scale_factor);
ALTER TABLE monthly_usage RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
