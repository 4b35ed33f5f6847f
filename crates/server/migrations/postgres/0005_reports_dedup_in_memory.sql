-- SQLite's 0005 drops the unique (fingerprint, bucket) index for its
-- in-memory dedup. PostgreSQL keeps it: several servers may share one
-- database, and its INSERT ... ON CONFLICT counts repeats across them.
SELECT 1;
