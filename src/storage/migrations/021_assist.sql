-- Schema 21: 帮办 at the kiosk (issue 17). The staff member who stood beside the villager
-- and did it with them, on the ticket or the request taken so; a rating of either is
-- marked with it, so reports tell such ratings apart (the rating is still the villager's).
ALTER TABLE tickets ADD COLUMN assisted_by TEXT;
ALTER TABLE cases ADD COLUMN assisted_by TEXT;
ALTER TABLE ratings ADD COLUMN assisted_by TEXT;
