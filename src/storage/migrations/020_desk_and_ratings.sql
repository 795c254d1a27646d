-- Schema 20: the window desk as staff need it, 好差评 as the national rules ask, and the
-- privacy notice a 代办 request is taken under.

-- A ticket still waiting when the day's hours end is closed as 过期 (status cancelled, with
-- this time); the phone page and the report tell it from a cancelled one.
ALTER TABLE tickets ADD COLUMN expired_at TEXT;
-- Or, where the station keeps them ([calling] at-closing = "keep"), moved to the next
-- working day (kept_from: the day it was taken), to be called in its first hour.
ALTER TABLE tickets ADD COLUMN kept_until TEXT;
ALTER TABLE tickets ADD COLUMN kept_from TEXT;

-- Why a window is paused (lunch, errand, meeting, other), shown on the display.
ALTER TABLE window_state ADD COLUMN pause_reason TEXT;

-- What a rating carries (GB/T 39734, the upward interfaces seen): the reason codes of the
-- list in force and its version, the matter and the catalogue version it was served
-- under, when the service ended, and for a paper form the staff member who typed it in.
-- The channels are pad (评价器), qr (二维码: the phone and `kiosk rate`), kiosk and paper.
ALTER TABLE ratings ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(reasons));
ALTER TABLE ratings ADD COLUMN reasons_version INTEGER;
ALTER TABLE ratings ADD COLUMN matter_code TEXT;
ALTER TABLE ratings ADD COLUMN matter_version INTEGER;
ALTER TABLE ratings ADD COLUMN served_at TEXT;
ALTER TABLE ratings ADD COLUMN entered_by TEXT;
UPDATE ratings SET channel = 'qr' WHERE channel IN ('phone', 'cli');
UPDATE ratings SET reasons = json_array(CASE reason
        WHEN '等候时间太长' THEN 'wait' WHEN '办事效率低' THEN 'slow' WHEN '工作人员态度不好' THEN 'attitude'
        WHEN '要带的材料没有一次说清楚' THEN 'unclear' WHEN '让我多跑了路' THEN 'trips' ELSE 'other' END)
    WHERE reason IS NOT NULL;

-- A 差评's follow-up as the rules ask: its category (mistaken, reasonable, no_basis), the
-- plan, when it was put right, the call-back (回访) and its result, and an appeal when staff
-- think the rating wrong.
ALTER TABLE followups ADD COLUMN category TEXT;
ALTER TABLE followups ADD COLUMN plan TEXT;
ALTER TABLE followups ADD COLUMN fixed_at TEXT;
ALTER TABLE followups ADD COLUMN callback_at TEXT;
ALTER TABLE followups ADD COLUMN callback_result TEXT;
ALTER TABLE followups ADD COLUMN appeal TEXT;

-- The privacy notice a 代办 request was taken under: its version and when the villager
-- acknowledged it.
ALTER TABLE cases ADD COLUMN notice_version INTEGER;
ALTER TABLE cases ADD COLUMN notice_at TEXT;

-- What goes up to the town carries the new facts: a kept ticket's day it came from; a
-- rating's reason codes and their list's version, the matter and its version, when the
-- service ended, whether it came on paper (not the words); a follow-up's category and its
-- days (not the plan's or the call-back's words).
DROP TRIGGER outbox_ticket_event;
CREATE TRIGGER outbox_ticket_event AFTER INSERT ON ticket_events
BEGIN
    INSERT INTO outbox (at, kind, body)
    SELECT NEW.at, 'ticket.' || NEW.kind, json_object(
        'day', t.day, 'number', t.number, 'category', t.category, 'matter', t.matter_code,
        'window', NEW.window_no, 'staff', NEW.staff_no, 'at', NEW.at,
        'to_window', CASE WHEN NEW.kind = 'transferred' THEN t.only_window END,
        'to_category', CASE WHEN NEW.kind = 'transferred' THEN t.category END,
        'from_day', CASE WHEN NEW.kind = 'kept' THEN t.kept_from END)
    FROM tickets t WHERE t.id = NEW.ticket_id;
END;

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
        'paper', json(CASE WHEN NEW.entered_by IS NULL THEN 'false' ELSE 'true' END)));
END;

DROP TRIGGER outbox_followup_new;
CREATE TRIGGER outbox_followup_new AFTER INSERT ON followups
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (
        COALESCE(NEW.done_at, NEW.assigned_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), 'followup', json_object(
        'rating', NEW.rating_id, 'assignee', NEW.assignee, 'assigned_by', NEW.assigned_by,
        'assigned_at', NEW.assigned_at, 'done_by', NEW.done_by, 'done_at', NEW.done_at,
        'category', NEW.category, 'fixed_at', NEW.fixed_at, 'callback_at', NEW.callback_at,
        'appealed', json(CASE WHEN NEW.appeal IS NULL THEN 'false' ELSE 'true' END)));
END;
DROP TRIGGER outbox_followup_step;
CREATE TRIGGER outbox_followup_step AFTER UPDATE ON followups
    WHEN NEW.assignee IS NOT OLD.assignee OR NEW.done_at IS NOT OLD.done_at
BEGIN
    INSERT INTO outbox (at, kind, body) VALUES (
        COALESCE(NEW.done_at, NEW.assigned_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), 'followup', json_object(
        'rating', NEW.rating_id, 'assignee', NEW.assignee, 'assigned_by', NEW.assigned_by,
        'assigned_at', NEW.assigned_at, 'done_by', NEW.done_by, 'done_at', NEW.done_at,
        'category', NEW.category, 'fixed_at', NEW.fixed_at, 'callback_at', NEW.callback_at,
        'appealed', json(CASE WHEN NEW.appeal IS NULL THEN 'false' ELSE 'true' END)));
END;
