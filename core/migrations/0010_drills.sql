-- Point-in-time drills of managed clusters, with their evidence (JSON).
CREATE TABLE pitr_drills (
    id TEXT PRIMARY KEY NOT NULL,
    database TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX pitr_drills_by_database ON pitr_drills (database, started_at);

-- pgbackrest verify's word on each physical backup, each time it was asked.
CREATE TABLE repository_checks (
    database TEXT NOT NULL,
    backup TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    valid INTEGER NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (database, backup, checked_at)
);
