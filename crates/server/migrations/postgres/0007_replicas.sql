-- Replicas on one database (issue 15). A rollout changes by compare-and-set
-- on its revision, so a halt is never lost to a concurrent advance on
-- another replica. The clients the rollout guard counts are kept here, with
-- the pseudonymous network source they came from (so one source can add
-- only a few), and so is each report's source: every replica judges the
-- same numbers.
ALTER TABLE rollouts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE guard_clients (
    app     TEXT NOT NULL,
    version BIGINT NOT NULL,
    client  TEXT NOT NULL,      -- the pinwarden client's pseudonymous id
    cohort  BIGINT NOT NULL,
    source  TEXT NOT NULL,      -- pseudonymous network prefix (/24, /48)
    seen_at BIGINT NOT NULL,    -- Unix seconds, first fetch
    PRIMARY KEY (app, version, client)
);
CREATE INDEX guard_clients_source ON guard_clients (app, version, source);

ALTER TABLE reports ADD COLUMN source TEXT;
