-- Verifications of backups: a test restore on the scratch instance and its evidence (JSON).
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    database TEXT NOT NULL,
    backup TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX verifications_by_backup ON verifications (backup, started_at);
CREATE INDEX verifications_by_database ON verifications (database, started_at);
