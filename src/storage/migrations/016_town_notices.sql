-- Schema 16: the notices the town publishes for its stations, as a joined station last
-- applied them: one line for the kiosk's home screen and one for the calling display (an
-- empty text takes a notice down).
CREATE TABLE town_notices (
    place   TEXT PRIMARY KEY CHECK (place IN ('home', 'display')),
    text    TEXT NOT NULL,
    version INTEGER NOT NULL,
    at      TEXT NOT NULL
);
