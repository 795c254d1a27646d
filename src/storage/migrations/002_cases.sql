-- Schema 2: staff (PINs, lockout, days away), A/B posts, 全程代办 cases and their
-- append-only events.

CREATE TABLE staff (
    no              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
    pin_hash        TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL
);

CREATE TABLE staff_away (
    staff_no TEXT NOT NULL REFERENCES staff(no),
    day      TEXT NOT NULL,
    PRIMARY KEY (staff_no, day)
);

-- AB岗: scope is a category code (C) or a matter code (C02); the matter's own wins.
CREATE TABLE posts (
    scope   TEXT PRIMARY KEY,
    a_staff TEXT NOT NULL REFERENCES staff(no),
    b_staff TEXT REFERENCES staff(no)
);

-- Tracking serial per calendar date (MMDD), continuing across years so D-1128-007 never
-- names two cases.
CREATE TABLE case_counters (
    mmdd     TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    tracking         TEXT NOT NULL UNIQUE,
    token            TEXT NOT NULL UNIQUE,
    matter_code      TEXT NOT NULL,
    matter_name      TEXT NOT NULL,
    category         TEXT NOT NULL,
    id_number        TEXT NOT NULL,
    phone            TEXT NOT NULL,
    phone2           TEXT,
    name             TEXT,
    state            TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    -- The clock: promised working days, counted from the day after `clock_start`; days
    -- already used before a 退回补正 pause; extensions granted (with the reason).
    promised_days    INTEGER NOT NULL,
    clock_start      TEXT NOT NULL,
    days_used        INTEGER NOT NULL DEFAULT 0,
    extension_days   INTEGER NOT NULL DEFAULT 0,
    extension_reason TEXT,
    due_on           TEXT,
    due_beyond_calendar INTEGER NOT NULL DEFAULT 0,
    first_responder  TEXT REFERENCES staff(no),
    assignee         TEXT REFERENCES staff(no),
    uncovered        INTEGER NOT NULL DEFAULT 0,
    -- [{"name": …, "requirement": …, "received": true}]
    materials_json   TEXT NOT NULL
);
CREATE INDEX cases_by_state ON cases(state);

CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- created, transition, extend, reassign, reveal, materials
    from_state TEXT,
    to_state   TEXT,
    staff_no   TEXT,
    note       TEXT
);
CREATE INDEX case_events_by_case ON case_events(case_id);

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only');
END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only');
END;
