-- What-if radar scenarios saved from the PKI Health Radar page.
CREATE TABLE scenarios (
    name     TEXT PRIMARY KEY NOT NULL,
    radar    TEXT NOT NULL,  -- JSON object: dimension name -> score 0..100
    saved_at INTEGER NOT NULL -- Unix seconds
);
