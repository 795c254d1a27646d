-- Schema 12: the CUPS job a receipt went to (receipt-12), so a job the kiosk stopped
-- waiting for (timeout, crash, power cut) can be cancelled before it prints stale.
ALTER TABLE print_jobs ADD COLUMN cups_job TEXT;
