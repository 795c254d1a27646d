-- Schema 18: 全程代办 across the township (issue 16). A case marked 已报送 goes up to the
-- town with what the town needs to handle it — here personal data does cross, for this case
-- only; every later step of a handed case goes up too, and the town's steps come down and
-- are recorded as the case's events (origin 'town'). Written by triggers, in the same
-- transaction as the change, like every other event of the outbox.

-- A step that no longer fits (the town completed what the station withdrew): shown to staff
-- at both ends until a person settles it.
ALTER TABLE cases ADD COLUMN conflict TEXT;

-- The town's steps this station has taken in, by their sequence in the town's stream for
-- this station (each once), with what became of each.
CREATE TABLE town_steps (
    seq      INTEGER PRIMARY KEY,
    tracking TEXT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('applied', 'already', 'conflict', 'unknown')),
    detail   TEXT,
    at       TEXT NOT NULL
);

-- Subjects whose messages the relay erases from the station's stream (a masked case's
-- personal data), kept here until done so that a cut or a restart does not forget them.
CREATE TABLE stream_erase (
    subject TEXT PRIMARY KEY,
    since   TEXT NOT NULL
);

-- 已报送: the case with its person goes to the town (again on a second 报送 after 补正).
CREATE TRIGGER outbox_case_handed AFTER INSERT ON case_events
    WHEN NEW.to_state = 'submitted'
BEGIN
    INSERT INTO outbox (at, kind, body)
    SELECT NEW.at, 'case.handed.' || c.tracking, json_object(
        'event', NEW.id, 'tracking', c.tracking, 'matter', c.matter_code, 'matter_name', c.matter_name,
        'matter_version', c.catalog_version, 'category', c.category,
        'name', c.name, 'id_number', c.id_number, 'phone', c.phone, 'phone2', c.phone2,
        'materials', json(c.materials_json), 'due', c.due_on, 'promised_days', c.promised_days,
        'extension_days', c.extension_days, 'first_responder', c.first_responder,
        'first_responder_name', (SELECT name FROM staff WHERE no = c.first_responder),
        'assignee', c.assignee, 'note', NEW.note, 'staff', NEW.staff_no, 'from', NEW.from_state,
        'created_at', c.created_at, 'at', NEW.at)
    FROM cases c WHERE c.id = NEW.case_id;
END;

-- Every later step of a handed case (the town's own steps too: they carry the station's due
-- date back, and the town knows them as its own).
CREATE TRIGGER outbox_case_step AFTER INSERT ON case_events
    WHEN NEW.kind IN ('transition', 'extend', 'materials', 'conflict', 'settled')
     AND NEW.to_state IS NOT 'submitted'
     AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = NEW.case_id AND e.to_state = 'submitted')
BEGIN
    INSERT INTO outbox (at, kind, body)
    SELECT NEW.at, 'case.step.' || c.tracking, json_object(
        'event', NEW.id, 'tracking', c.tracking, 'kind', NEW.kind, 'from', NEW.from_state,
        'to', NEW.to_state, 'state', c.state, 'staff', NEW.staff_no, 'origin', NEW.origin,
        'note', NEW.note, 'due', c.due_on, 'conflict', c.conflict,
        'materials', json(c.materials_json), 'at', NEW.at)
    FROM cases c WHERE c.id = NEW.case_id;
END;

-- Retention masked a handed case: the town masks its copy; the station's stream forgets it.
CREATE TRIGGER outbox_case_masked AFTER UPDATE OF purged_at ON cases
    WHEN NEW.purged_at IS NOT NULL AND OLD.purged_at IS NULL
     AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = NEW.id AND e.to_state = 'submitted')
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.purged_at, 'case.masked.' || NEW.tracking, json_object(
        'tracking', NEW.tracking, 'name', NEW.name, 'id_number', NEW.id_number, 'phone', NEW.phone,
        'phone2', NEW.phone2, 'at', NEW.purged_at));
    INSERT OR IGNORE INTO stream_erase (subject, since) VALUES ('case.handed.' || NEW.tracking, NEW.purged_at);
    INSERT OR IGNORE INTO stream_erase (subject, since) VALUES ('case.step.' || NEW.tracking, NEW.purged_at);
END;
