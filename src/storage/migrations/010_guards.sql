-- Schema 10: guards that must survive 首页, idle, a restart and every face of the product.
-- Each lockout of a staff account after the first lasts longer (`lockouts` counts them
-- until the next good sign-in). Every missed progress lookup (tracking code + phone
-- digits) is kept a day: per code and for the whole station.
ALTER TABLE staff ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE lookup_misses (
    id       INTEGER PRIMARY KEY,
    tracking TEXT NOT NULL,   -- the code as normalised, '' when it was not a code at all
    at       TEXT NOT NULL
);
CREATE INDEX lookup_misses_by_code ON lookup_misses(tracking, at);
CREATE INDEX lookup_misses_by_at ON lookup_misses(at);
