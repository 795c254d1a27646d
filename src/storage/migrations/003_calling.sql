-- Schema 3: calling tickets to the windows, their append-only events, the windows' live
-- state, 好差评 ratings, and an audit trail of staff actions that are not ticket or case
-- events (sign-in, window pause, reprint, help answered).

-- The tickets table gains the calling side. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt (the migration runs with foreign keys off; print_jobs
-- keeps referring to "tickets" by name).
CREATE TABLE tickets_v3 (
    id              INTEGER PRIMARY KEY,
    day             TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    number          TEXT NOT NULL,
    category        TEXT NOT NULL,
    matter_code     TEXT,
    matter_name     TEXT NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    issued_at       TEXT NOT NULL,
    token           TEXT NOT NULL UNIQUE,
    ahead_at_issue  INTEGER NOT NULL,
    wait_min_at_issue INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (status IN ('waiting', 'called', 'serving', 'served', 'no_show', 'cancelled')),
    -- The window that called (and serves) it; 转窗口 sends it to one window only.
    window_no       INTEGER,
    only_window     INTEGER,
    -- 重呼 of the current call, and 回呼 after 过号, each capped in station.toml.
    recalls         INTEGER NOT NULL DEFAULT 0,
    callbacks       INTEGER NOT NULL DEFAULT 0,
    staff_no        TEXT,
    called_at       TEXT,
    started_at      TEXT,
    finished_at     TEXT,
    UNIQUE (day, number)
);
INSERT INTO tickets_v3 (id, day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at,
                        token, ahead_at_issue, wait_min_at_issue, status)
    SELECT id, day, prefix, seq, number, category, matter_code, matter_name, priority, issued_at,
           token, ahead_at_issue, wait_min_at_issue, status
    FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v3 RENAME TO tickets;
CREATE INDEX tickets_by_day_status ON tickets(day, status);
CREATE INDEX tickets_by_finished ON tickets(finished_at) WHERE finished_at IS NOT NULL;

-- Every calling action: who, at which window, when. Append-only.
CREATE TABLE ticket_events (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,  -- called recalled no_show callback started finished auto_finished transferred
    staff_no  TEXT,
    window_no INTEGER,
    note      TEXT
);
CREATE INDEX ticket_events_by_ticket ON ticket_events(ticket_id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket events are append-only');
END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket events are append-only');
END;

-- Each window's live state: paused or not, and who works it.
CREATE TABLE window_state (
    number     INTEGER PRIMARY KEY,
    paused     INTEGER NOT NULL DEFAULT 0,
    staff_no   TEXT,
    updated_at TEXT NOT NULL
);

-- 好差评: one rating per ticket or per case, with the staff member and window it rates.
CREATE TABLE ratings (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER UNIQUE REFERENCES tickets(id),
    case_id   INTEGER UNIQUE REFERENCES cases(id),
    level     INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    reason    TEXT,
    comment   TEXT,
    channel   TEXT NOT NULL,   -- pad, phone, cli
    staff_no  TEXT,
    window_no INTEGER,
    at        TEXT NOT NULL,
    CHECK ((ticket_id IS NULL) <> (case_id IS NULL))
);
CREATE INDEX ratings_by_at ON ratings(at);

-- Staff actions that are neither a ticket nor a case event. Append-only.
CREATE TABLE audit_events (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    staff_no TEXT,
    action   TEXT NOT NULL,
    subject  TEXT,
    detail   TEXT,
    origin   TEXT
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Case receipts' print jobs name their case (ticket receipts name their ticket).
ALTER TABLE print_jobs ADD COLUMN case_id INTEGER REFERENCES cases(id);
