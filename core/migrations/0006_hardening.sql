-- A user given a password by someone else (the first admin, or one an admin added) chooses their
-- own at first login. Sessions are now kept by the hash of their id: the old ones end.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
DELETE FROM sessions;
