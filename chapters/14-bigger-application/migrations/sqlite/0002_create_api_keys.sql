-- API keys. `slot` (1 to 3) with UNIQUE (user_id, slot) lets the database itself refuse a
-- fourth key, even when two requests create one at the same moment.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slot BIGINT NOT NULL,
    access_key TEXT NOT NULL UNIQUE,
    secret_key TEXT NOT NULL,
    user_memo TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, slot)
);
