-- Accounts. One row per email address; `sns_type` says how the account signs in.
-- utf8mb4_bin compares text byte for byte, as SQLite and PostgreSQL do: with MySQL's default
-- collations, `José@x.org` and `jose@x.org` would be the same address.
CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(320) NOT NULL,
    hashed_password VARCHAR(100) NOT NULL,
    sns_type VARCHAR(20) NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE KEY users_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
