-- Schema 9: from which PC each staff action came (the audit log's 来自): the desk PC's
-- address, or 本机命令行 for the box's own command line.
ALTER TABLE case_events ADD COLUMN origin TEXT;
ALTER TABLE ticket_events ADD COLUMN origin TEXT;
