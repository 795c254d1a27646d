-- Schema 15: what a joined station applied of what the town publishes (the list of
-- matters; later the calendar and notices): the town's version of each, and whether it was
-- applied or refused (with the reason, in words). The town hears of each outcome through the
-- outbox.
CREATE TABLE town_applied (
    kind    TEXT PRIMARY KEY,          -- matters
    version INTEGER NOT NULL,          -- the town's version
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
    detail  TEXT,
    at      TEXT NOT NULL
);
CREATE TRIGGER outbox_town_applied AFTER INSERT ON town_applied
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.at, 'town.' || NEW.outcome, json_object(
        'what', NEW.kind, 'version', NEW.version, 'detail', NEW.detail, 'at', NEW.at));
END;
CREATE TRIGGER outbox_town_applied_again AFTER UPDATE ON town_applied
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.at, 'town.' || NEW.outcome, json_object(
        'what', NEW.kind, 'version', NEW.version, 'detail', NEW.detail, 'at', NEW.at));
END;
