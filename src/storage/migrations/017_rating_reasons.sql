-- Schema 17: the 差评 reasons the town published, as a joined station last applied them
-- (empty: the shipped list). Replaced whole, in order; the last one is 其他.
CREATE TABLE rating_reasons (
    position INTEGER PRIMARY KEY,
    key      TEXT NOT NULL UNIQUE,
    label    TEXT NOT NULL,
    version  INTEGER NOT NULL
);
