-- Schema 14: the outbox of the township link. Everything the town must hear of is written
-- here in the same transaction as the change it reports — by triggers, so that no process
-- (kiosk, service, command line) and no code path can make the change without it. A relay
-- publishes the rows in `seq` order, each with the message id "<station>-<seq>" (a repeat is
-- harmless), and marks a row sent only after the station's NATS server acknowledged it.
--
-- Nothing personal goes up: ticket numbers, matter codes, categories, windows, staff
-- numbers, levels and times. Not a rating's own words, not a follow-up's result text, never a
-- case's person (cases go up under their own rules, later).
--
-- A migration that rebuilds one of these tables must create its trigger again.

CREATE TABLE outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    body    TEXT NOT NULL CHECK (json_valid(body)),
    sent_at TEXT
);
CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;

-- A ticket taken (at the kiosk, on the command line).
CREATE TRIGGER outbox_ticket_taken AFTER INSERT ON tickets
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.issued_at, 'ticket.taken', json_object(
        'day', NEW.day, 'number', NEW.number, 'category', NEW.category, 'matter', NEW.matter_code,
        'priority', NEW.priority = 1, 'at', NEW.issued_at));
END;

-- Every calling step: called, recalled, no_show, callback, started, finished, transferred...
CREATE TRIGGER outbox_ticket_event AFTER INSERT ON ticket_events
BEGIN
    INSERT INTO outbox (at, kind, body)
    SELECT NEW.at, 'ticket.' || NEW.kind, json_object(
        'day', t.day, 'number', t.number, 'category', t.category, 'matter', t.matter_code,
        'window', NEW.window_no, 'staff', NEW.staff_no, 'at', NEW.at)
    FROM tickets t WHERE t.id = NEW.ticket_id;
END;

-- A rating (its level and the reason picked from the list; not the villager's own words).
CREATE TRIGGER outbox_rating AFTER INSERT ON ratings
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.at, 'rating', json_object(
        'id', NEW.id, 'level', NEW.level, 'reason', NEW.reason, 'channel', NEW.channel,
        'staff', NEW.staff_no, 'window', NEW.window_no,
        'ticket', (SELECT day || ' ' || number FROM tickets WHERE id = NEW.ticket_id),
        'case', (SELECT tracking FROM cases WHERE id = NEW.case_id), 'at', NEW.at));
END;

-- A 差评 follow-up step: assigned, done (who and when; not the text of what was put right).
CREATE TRIGGER outbox_followup_new AFTER INSERT ON followups
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (
        COALESCE(NEW.done_at, NEW.assigned_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), 'followup', json_object(
        'rating', NEW.rating_id, 'assignee', NEW.assignee, 'assigned_by', NEW.assigned_by,
        'assigned_at', NEW.assigned_at, 'done_by', NEW.done_by, 'done_at', NEW.done_at));
END;
CREATE TRIGGER outbox_followup_step AFTER UPDATE ON followups
    WHEN NEW.assignee IS NOT OLD.assignee OR NEW.done_at IS NOT OLD.done_at
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (
        COALESCE(NEW.done_at, NEW.assigned_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), 'followup', json_object(
        'rating', NEW.rating_id, 'assignee', NEW.assignee, 'assigned_by', NEW.assigned_by,
        'assigned_at', NEW.assigned_at, 'done_by', NEW.done_by, 'done_at', NEW.done_at));
END;

-- A receipt that did not print (the printer's words: no paper, stopped...).
CREATE TRIGGER outbox_print_failed AFTER UPDATE OF status ON print_jobs
    WHEN NEW.status = 'failed' AND OLD.status IS NOT 'failed'
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.updated_at, 'print.failed', json_object(
        'job', NEW.id, 'kind', NEW.kind, 'printer', NEW.printer, 'error', NEW.error, 'at', NEW.updated_at));
END;
CREATE TRIGGER outbox_print_failed_at_once AFTER INSERT ON print_jobs
    WHEN NEW.status = 'failed'
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.updated_at, 'print.failed', json_object(
        'job', NEW.id, 'kind', NEW.kind, 'printer', NEW.printer, 'error', NEW.error, 'at', NEW.updated_at));
END;

-- 呼叫工作人员: pressed at the kiosk, and answered at the desk.
CREATE TRIGGER outbox_help_pressed AFTER INSERT ON help_requests
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.requested_at, 'help.pressed', json_object(
        'id', NEW.id, 'screen', NEW.screen, 'at', NEW.requested_at));
END;
CREATE TRIGGER outbox_help_handled AFTER UPDATE OF handled_at ON help_requests
    WHEN NEW.handled_at IS NOT NULL AND OLD.handled_at IS NULL
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (NEW.handled_at, 'help.handled', json_object(
        'id', NEW.id, 'staff', NEW.handled_by, 'at', NEW.handled_at));
END;
