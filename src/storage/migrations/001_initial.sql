-- Schema 1: matters, tickets with per-day numbering, print jobs, calls for help.

CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
);

-- Matters are loaded from matters.toml at start; a matter dropped from the list is
-- marked inactive, never deleted, because tickets and cases refer to it.
CREATE TABLE matters (
    code          TEXT PRIMARY KEY,
    category      TEXT NOT NULL,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    mode          TEXT NOT NULL,
    promised_days INTEGER,
    department    TEXT NOT NULL,
    fee           TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL
);

CREATE TABLE matter_materials (
    matter_code TEXT NOT NULL REFERENCES matters(code),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    original    INTEGER NOT NULL,
    copies      INTEGER NOT NULL,
    quantity    INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    note        TEXT NOT NULL,
    optional    INTEGER NOT NULL,
    PRIMARY KEY (matter_code, position)
);

-- The last serial handed out per local day and prefix; bumped inside BEGIN IMMEDIATE.
CREATE TABLE ticket_counters (
    day      TEXT NOT NULL,
    prefix   TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (day, prefix)
);

CREATE TABLE tickets (
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
                    CHECK (status IN ('waiting', 'called', 'served', 'no_show', 'cancelled')),
    UNIQUE (day, number)
);
CREATE INDEX tickets_by_day_status ON tickets(day, status);

-- Every receipt sent (or not) to paper. A failed job keeps its PDF and error for reprint.
CREATE TABLE print_jobs (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER REFERENCES tickets(id),
    kind       TEXT NOT NULL,
    pdf_path   TEXT NOT NULL,
    printer    TEXT,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'printed', 'spooled', 'failed')),
    error      TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX print_jobs_by_status ON print_jobs(status);

-- 呼叫工作人员 presses, for the staff console.
CREATE TABLE help_requests (
    id           INTEGER PRIMARY KEY,
    requested_at TEXT NOT NULL,
    screen       TEXT NOT NULL,
    handled_at   TEXT,
    handled_by   TEXT
);
