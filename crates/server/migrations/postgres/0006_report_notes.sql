-- What the parser did with each quirk of a report (JSON array of field,
-- quirk, detail; issue 14), and the platform normalised: rows stored before
-- kept what the client sent (IOS, ANDROID, rust...). A port of 0 now means
-- the client didn't know it (TrustKit sends 0; 0 is no TCP port).
ALTER TABLE reports ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
UPDATE reports SET platform = CASE
    WHEN upper(platform) = 'IOS' THEN 'ios'
    WHEN upper(platform) = 'MACOS' THEN 'macos'
    WHEN upper(platform) = 'TVOS' THEN 'tvos'
    WHEN upper(platform) = 'WATCHOS' THEN 'watchos'
    WHEN upper(platform) = 'ANDROID' THEN 'android'
    WHEN upper(platform) = 'RUST' THEN 'rust'
    WHEN platform IS NULL AND format = 'pinwarden' THEN 'rust'
    ELSE 'unknown'
END;
