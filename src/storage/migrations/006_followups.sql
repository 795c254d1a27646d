-- Schema 6: 差评 follow-up (整改). One row per 不满意 / 非常不满意 rating once somebody is
-- assigned; the result is recorded once. Every change is also an audit event; `version`
-- is the stale-write check (a page decided on an older row is refused).

CREATE TABLE followups (
    rating_id   INTEGER PRIMARY KEY REFERENCES ratings(id),
    assignee    TEXT REFERENCES staff(no),
    assigned_by TEXT,
    assigned_at TEXT,
    result      TEXT,
    done_by     TEXT,
    done_at     TEXT,
    version     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX followups_by_assignee ON followups(assignee);
CREATE INDEX ratings_bad ON ratings(level) WHERE level <= 2;
