-- When each database's logical backups are verified on their own: after_each, daily or off.
CREATE TABLE verification_modes (
    database TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL
);
