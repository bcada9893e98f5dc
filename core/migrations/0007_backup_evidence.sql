-- What a logical backup proves about itself: its archive's SHA-256, taken when it was written,
-- and every table's row count taken inside the dump's own snapshot (JSON: {"schema.table": n}).
ALTER TABLE logical_backups ADD COLUMN sha256 TEXT;
ALTER TABLE logical_backups ADD COLUMN row_counts TEXT;
