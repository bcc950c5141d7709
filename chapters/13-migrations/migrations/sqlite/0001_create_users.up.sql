-- Chapter 12's users, on SQLite. SQLite has no boolean type: a flag is an INTEGER, 0 or 1
-- (a column declared BOOLEAN holds the same integers, but sqlx's Any driver will not read it).
-- AUTOINCREMENT keeps the id of a deleted user from being given to the next one.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
);
