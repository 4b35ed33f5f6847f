-- Pin-failure reports, normalised. A report seen again within the dedup
-- window (same fingerprint, same bucket) adds to count instead of a row.
CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    fingerprint       TEXT NOT NULL,
    bucket            BIGINT NOT NULL,     -- received_at / dedup window
    received_at       BIGINT NOT NULL,     -- Unix seconds, first seen
    last_seen         BIGINT NOT NULL,
    count             BIGINT NOT NULL,
    app               TEXT,
    host              TEXT NOT NULL,
    port              BIGINT NOT NULL,
    format            TEXT NOT NULL,
    app_version       TEXT,
    platform          TEXT,
    manifest_version  BIGINT,
    cohort            BIGINT,
    class             TEXT NOT NULL,
    reason            TEXT NOT NULL,
    validation_result BIGINT,
    enforced          BIGINT,              -- 0, 1 or NULL
    chain             TEXT NOT NULL,     -- JSON: the chain, leaf first
    known_pins        TEXT NOT NULL,     -- JSON: the client's pins
    client_time       BIGINT,
    client_ip         TEXT               -- only when the server is told to keep it
);
CREATE UNIQUE INDEX reports_dedup ON reports (fingerprint, bucket);
CREATE INDEX reports_received ON reports (received_at);
