-- Chapter 12's users, on MySQL and MariaDB.
--
-- utf8mb4 stores every Unicode character, and its binary collation compares text exactly, as
-- PostgreSQL and SQLite do: with the default collation, `Bob@example.com` and
-- `bob@example.com` would be the same email. A flag is a SMALLINT, 0 or 1: MySQL's BOOLEAN is
-- TINYINT(1), which sqlx's Any driver cannot read. An email has at most 254 characters (the
-- API checks it); VARCHAR lets it be indexed.
CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(254) NOT NULL UNIQUE,
    hashed_password VARCHAR(255) NOT NULL,
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
