-- Alerts from the CT monitor running under `pinwarden serve`: one row per
-- matched log entry (id = "<log id, base64url>:<index>"), written once.
CREATE TABLE ct_alerts (
    id          TEXT PRIMARY KEY NOT NULL,
    log_id      TEXT NOT NULL,
    entry_index BIGINT NOT NULL,
    verdict     TEXT NOT NULL,   -- discovered | unexpected-issuer | would-break-pinset | caa-violation
    names       TEXT NOT NULL,   -- the certificate's DNS names, comma-separated
    alert       TEXT NOT NULL,   -- the whole alert, JSON
    received_at BIGINT NOT NULL  -- Unix seconds
);
CREATE INDEX ct_alerts_received ON ct_alerts (received_at);
