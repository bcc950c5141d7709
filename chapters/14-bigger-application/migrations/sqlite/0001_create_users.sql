-- Accounts. One row per email address; `sns_type` says how the account signs in.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    sns_type TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
