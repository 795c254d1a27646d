-- Schema 20: the window desk as staff need it, 好差评 as the national rules ask, and the
-- privacy notice a 代办 request is taken under.

-- A ticket still waiting when the day's hours end is closed as 过期 (status cancelled, with
-- this time); the phone page and the report tell it from a cancelled one.
ALTER TABLE tickets ADD COLUMN expired_at TEXT;

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
