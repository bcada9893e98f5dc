-- Managed clusters: the port each was given, and whether its first backup was taken.
CREATE TABLE clusters (
    name TEXT PRIMARY KEY NOT NULL,
    port INTEGER NOT NULL,
    main_database TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ready_at TEXT
);
