-- Schema 13 (issue 13, what a hostile device on the station LAN could do).
--
-- Rating pads paired by the station head: a pad's ratings count only from a device that
-- holds the token set when it was paired (kept here as a BLAKE2b hash, never the token).
CREATE TABLE pads (
    id          INTEGER PRIMARY KEY,
    window_no   INTEGER NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    paired_at   TEXT NOT NULL,
    paired_by   TEXT NOT NULL REFERENCES staff(no),
    origin      TEXT,
    last_seen   TEXT,
    revoked_at  TEXT,
    revoked_by  TEXT REFERENCES staff(no)
);
CREATE INDEX pads_by_window ON pads(window_no);

-- Failed sign-ins, one counted row per address and day: a flood of guesses from one
-- device is one row that counts, not one row each (the staff numbers typed are capped).
CREATE TABLE failed_sign_ins (
    origin    TEXT NOT NULL,
    day       TEXT NOT NULL,
    count     INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    -- the last staff number typed (at most 16 characters)
    last_staff TEXT NOT NULL,
    -- distinct staff numbers typed that day, at most 10, separated by spaces
    staff_tried TEXT NOT NULL,
    PRIMARY KEY (origin, day)
);

-- Tracking codes from now on carry the year (D-261201-001): case_counters.mmdd holds the
-- full date (2026-12-01) for them, so a code never names two cases. The older keys
-- (1201) stay for the codes already handed out.

-- Print jobs: which process waits for a job (pid:start, so a job left by a process that
-- died is cancelled at once, however young), and whether its CUPS job still has to be
-- cancelled (a cancel is only done once CUPS confirms it).
ALTER TABLE print_jobs ADD COLUMN owner TEXT;
ALTER TABLE print_jobs ADD COLUMN cancel_wanted INTEGER NOT NULL DEFAULT 0;

-- Retention reaches the words staff typed: when a case's personal data is purged, the ID
-- and phone numbers in its notes are masked. The events stay append-only otherwise: the
-- one change allowed is a note replaced by a masked copy of the same length, everything
-- else of the event as it was.
DROP TRIGGER case_events_no_update;
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
WHEN NOT (
    NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at AND NEW.kind = OLD.kind
    AND NEW.from_state IS OLD.from_state AND NEW.to_state IS OLD.to_state
    AND NEW.staff_no IS OLD.staff_no AND NEW.origin IS OLD.origin
    AND OLD.note IS NOT NULL AND NEW.note IS NOT NULL
    AND length(NEW.note) = length(OLD.note) AND instr(NEW.note, '*') > 0
    AND (SELECT purged_at FROM cases WHERE id = OLD.case_id) IS NOT NULL
)
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only');
END;
