-- Jobs and their events. `status` is the JSON of the status (with its timestamps); `state` repeats
-- its name so that queries can filter on it.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    database TEXT NOT NULL,
    started_by TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    summary TEXT,
    artifact TEXT
);
CREATE INDEX jobs_by_database ON jobs (database, queued_at);
CREATE INDEX jobs_by_state ON jobs (state);

CREATE TABLE job_events (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
