-- Signed pin manifests as uploaded (the envelope bytes are served unchanged),
-- the rollout of each app's candidate pin sets, and what happened to it.
CREATE TABLE manifests (
    app            TEXT NOT NULL,
    version        BIGINT NOT NULL,
    envelope       TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    issued_at      BIGINT NOT NULL,   -- Unix seconds, from the payload
    expires_at     BIGINT NOT NULL,   -- Unix seconds, from the payload
    ceiling        BIGINT,            -- the signed candidate percentage, if any
    uploaded_at    BIGINT NOT NULL,
    PRIMARY KEY (app, version)
);

CREATE TABLE rollouts (
    app        TEXT PRIMARY KEY,
    version    BIGINT NOT NULL,       -- the manifest whose candidate rolls out
    percentage BIGINT NOT NULL,       -- effective share, at most the ceiling
    state      TEXT NOT NULL,       -- active | halted | complete
    updated_at BIGINT NOT NULL
);

CREATE TABLE rollout_events (
    seq        BIGSERIAL PRIMARY KEY,
    app        TEXT NOT NULL,
    at         BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    action     TEXT NOT NULL,       -- start | advance | halt | complete
    percentage BIGINT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX rollout_events_app ON rollout_events (app, seq);
