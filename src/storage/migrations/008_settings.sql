-- Schema 8: station settings changed at the desk (站点设置). Each row is one station.toml
-- key with its TOML value, laid over the config folder's station.toml when a process
-- opens the station. Keys equal to station.toml's are not kept. Changes are audit events.

CREATE TABLE station_settings (
    key      TEXT PRIMARY KEY,   -- e.g. "hours.weekdays"
    value    TEXT NOT NULL,      -- a TOML value: "08:30", ["08:30-12:00"], 90
    saved_at TEXT NOT NULL,
    staff_no TEXT
);
