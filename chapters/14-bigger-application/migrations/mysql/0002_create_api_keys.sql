-- API keys. `slot` (1 to 3) with UNIQUE (user_id, slot) lets the database itself refuse a
-- fourth key, even when two requests create one at the same moment.
CREATE TABLE api_keys (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    access_key VARCHAR(64) NOT NULL,
    secret_key VARCHAR(100) NOT NULL,
    user_memo TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE KEY api_keys_access_key (access_key),
    UNIQUE KEY api_keys_user_slot (user_id, slot),
    CONSTRAINT api_keys_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
