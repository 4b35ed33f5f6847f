-- CT on replicas (issue 15). Each log is leased to one replica at a time,
-- and each log's monitoring state (position, compact range, verified tree
-- head, pending and ready alerts, which sink has which alert) lives here
-- instead of in a file. A replica writes a log's state or alerts only in a
-- transaction that locks the lease row and finds its own owner id and epoch
-- there, unexpired; times are the database's clock, never a replica's.
CREATE TABLE ct_leases (
    log_id     TEXT PRIMARY KEY NOT NULL,  -- the log id, base64
    owner      TEXT NOT NULL DEFAULT '',   -- the replica (host:pid:random); '' never held
    epoch      BIGINT NOT NULL DEFAULT 0,  -- bumped each time the lease is taken: the fencing token
    expires_at TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01 00:00:00+00'
);

CREATE TABLE ct_state (
    log_id   TEXT PRIMARY KEY NOT NULL,    -- the log id, base64
    version  BIGINT NOT NULL,              -- bumped by every save (compare-and-set)
    state    TEXT NOT NULL,                -- the monitor's LogState, JSON
    saved_by TEXT NOT NULL,                -- the replica that saved it
    saved_at TIMESTAMPTZ NOT NULL
);
