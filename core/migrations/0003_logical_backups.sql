-- Logical backups (pg_dump packed in a .tar.gz) of the local provider's databases.
CREATE TABLE logical_backups (
    id TEXT PRIMARY KEY NOT NULL,
    database TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    size_bytes INTEGER,
    file_name TEXT NOT NULL
);
CREATE INDEX logical_backups_by_database ON logical_backups (database, created_at);
