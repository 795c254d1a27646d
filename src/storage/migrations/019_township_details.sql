-- Schema 19 (township details). A transferred ticket's event says where it went (the window it may now be
-- called to, or its new category), so the town's queue follows the move. Nothing personal.
DROP TRIGGER outbox_ticket_event;
CREATE TRIGGER outbox_ticket_event AFTER INSERT ON ticket_events
BEGIN
    INSERT INTO outbox (at, kind, body)
    SELECT NEW.at, 'ticket.' || NEW.kind, json_object(
        'day', t.day, 'number', t.number, 'category', t.category, 'matter', t.matter_code,
        'window', NEW.window_no, 'staff', NEW.staff_no, 'at', NEW.at,
        'to_window', CASE WHEN NEW.kind = 'transferred' THEN t.only_window END,
        'to_category', CASE WHEN NEW.kind = 'transferred' THEN t.category END)
    FROM tickets t WHERE t.id = NEW.ticket_id;
END;

-- Issue 16: the papers printed for a handed case go up with it (`case.doc.<tracking>`, one
-- message per paper); retention erases them from the station's stream like the case's other
-- messages.
DROP TRIGGER outbox_case_masked;
CREATE TRIGGER outbox_case_masked AFTER UPDATE OF purged_at ON cases
    WHEN NEW.purged_at IS NOT NULL AND OLD.purged_at IS NULL
     AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = NEW.id AND e.to_state = 'submitted')
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.purged_at, 'case.masked.' || NEW.tracking, json_object(
        'tracking', NEW.tracking, 'name', NEW.name, 'id_number', NEW.id_number, 'phone', NEW.phone,
        'phone2', NEW.phone2, 'at', NEW.purged_at));
    INSERT OR IGNORE INTO stream_erase (subject, since) VALUES ('case.handed.' || NEW.tracking, NEW.purged_at);
    INSERT OR IGNORE INTO stream_erase (subject, since) VALUES ('case.step.' || NEW.tracking, NEW.purged_at);
    INSERT OR IGNORE INTO stream_erase (subject, since) VALUES ('case.doc.' || NEW.tracking, NEW.purged_at);
END;

-- The town's version of each published thing in force here: the last one applied, kept when a
-- later one is refused (`version` then names the refused one). A joined station reports its
-- list of matters by the town's numbers, the ones the town's publishing pages show.
ALTER TABLE town_applied ADD COLUMN in_force INTEGER;
UPDATE town_applied SET in_force = version WHERE outcome = 'applied';
