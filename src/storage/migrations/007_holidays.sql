-- Schema 7: holiday years imported by the station head (at the desk or with `kiosk
-- holidays import`): the State Council publishes the next year's schedule each winter. A
-- year here replaces the same year of holidays.toml for every process of the station.

CREATE TABLE holiday_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,     -- that year as TOML ([[year]] year = …, holidays, workdays)
    imported_at TEXT NOT NULL,
    staff_no    TEXT
);
