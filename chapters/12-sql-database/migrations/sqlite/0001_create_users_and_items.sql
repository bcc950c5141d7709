-- Users and their items, on SQLite.
--
-- SQLite has no boolean type: a flag is an INTEGER, 0 or 1. (A column declared BOOLEAN would
-- hold the same integers, but sqlx's Any driver refuses to read a column declared so.)
-- AUTOINCREMENT keeps the id of a deleted user from being given to the next one.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX items_owner_id ON items (owner_id);
