-- Schema 19: a transferred ticket's event says where it went (the window it may now be
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
