-- Schema 11: when a closed case's ID number, phones and name were replaced by their masked
-- forms (`kiosk purge`, daily). Its notes are kept, flagged on the staff's case view.
ALTER TABLE cases ADD COLUMN purged_at TEXT;
