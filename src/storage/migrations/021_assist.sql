-- Schema 21: 帮办 at the kiosk (issue 17). The staff member who stood beside the villager
-- and did it with them, on the ticket or the request taken so; a rating of either is
-- marked with it, so reports tell such ratings apart (the rating is still the villager's).
ALTER TABLE tickets ADD COLUMN assisted_by TEXT;
ALTER TABLE cases ADD COLUMN assisted_by TEXT;
ALTER TABLE ratings ADD COLUMN assisted_by TEXT;

-- The mark goes up to the town with the rating (the staff number, never the villager's words).
DROP TRIGGER outbox_rating;
CREATE TRIGGER outbox_rating AFTER INSERT ON ratings
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.at, 'rating', json_object(
        'id', NEW.id, 'level', NEW.level, 'reason', NEW.reason, 'channel', NEW.channel,
        'staff', NEW.staff_no, 'window', NEW.window_no,
        'ticket', (SELECT day || ' ' || number FROM tickets WHERE id = NEW.ticket_id),
        'case', (SELECT tracking FROM cases WHERE id = NEW.case_id), 'at', NEW.at,
        'reasons', json(NEW.reasons), 'reasons_version', NEW.reasons_version,
        'matter', NEW.matter_code, 'matter_version', NEW.matter_version, 'served_at', NEW.served_at,
        'paper', json(CASE WHEN NEW.entered_by IS NULL THEN 'false' ELSE 'true' END),
        'assisted_by', NEW.assisted_by));
END;
