-- Schema 5: the weekly duty rota (村两委干部轮流坐班) and the categories each window calls
-- when the station head sets them at the desk (otherwise station.toml's).

CREATE TABLE rota (
    weekday  INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- 1 = Monday
    staff_no TEXT NOT NULL REFERENCES staff(no),
    PRIMARY KEY (weekday, staff_no)
);

-- NULL: as station.toml says; otherwise a JSON list of category codes ([] = all).
ALTER TABLE window_state ADD COLUMN categories TEXT;
