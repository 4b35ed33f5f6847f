-- CT on replicas (issue 15): PostgreSQL's 0008 adds ct_leases and ct_state
-- so that replicas share the CT logs. On SQLite one process owns the
-- database (the report writer holds an flock on it), so there is nothing to
-- lease: the CT monitor keeps its state in files (--ct-state-dir) as before,
-- which `pinwarden ct coverage --state-dir` reads too. This migration only
-- keeps the numbering of the two folders aligned.
SELECT 1;
