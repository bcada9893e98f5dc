-- Each database's daily logical backup schedule, and the slot it last ran for.
CREATE TABLE schedules (
    database TEXT PRIMARY KEY NOT NULL,
    enabled INTEGER NOT NULL,
    hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    last_run_at TEXT,
    updated_at TEXT NOT NULL
);
