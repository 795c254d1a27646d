-- Schema 4: the list of matters is published in versions (who, when, note, the TOML as
-- published); tickets and cases remember the version they were issued under.

CREATE TABLE catalog_versions (
    version      INTEGER PRIMARY KEY,
    published_at TEXT NOT NULL,
    staff_no     TEXT,
    note         TEXT NOT NULL,
    source       TEXT NOT NULL,
    -- When this version publishes an older one's content again (回滚).
    rollback_of  INTEGER
);

ALTER TABLE tickets ADD COLUMN catalog_version INTEGER;
ALTER TABLE cases ADD COLUMN catalog_version INTEGER;
