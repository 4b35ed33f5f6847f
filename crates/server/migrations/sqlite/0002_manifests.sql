-- Signed pin manifests as uploaded (the envelope bytes are served unchanged),
-- the rollout of each app's candidate pin sets, and what happened to it.
CREATE TABLE manifests (
    app            TEXT NOT NULL,
    version        INTEGER NOT NULL,
    envelope       TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    issued_at      INTEGER NOT NULL,   -- Unix seconds, from the payload
    expires_at     INTEGER NOT NULL,   -- Unix seconds, from the payload
    ceiling        INTEGER,            -- the signed candidate percentage, if any
    uploaded_at    INTEGER NOT NULL,
    PRIMARY KEY (app, version)
);

CREATE TABLE rollouts (
    app        TEXT PRIMARY KEY NOT NULL,
    version    INTEGER NOT NULL,       -- the manifest whose candidate rolls out
    percentage INTEGER NOT NULL,       -- effective share, at most the ceiling
    state      TEXT NOT NULL,       -- active | halted | complete
    updated_at INTEGER NOT NULL
);

CREATE TABLE rollout_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    app        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,       -- start | advance | halt | complete
    percentage INTEGER NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX rollout_events_app ON rollout_events (app, seq);
