-- The email jobs: one row per message to send. Times are Unix milliseconds, the same on
-- every backend. A job goes queued -> running -> done, or back to queued to retry, or to
-- failed when its attempts are spent.
-- utf8mb4 stores any Unicode text (MySQL's older utf8 stops at three bytes a character).
CREATE TABLE jobs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    recipient VARCHAR(320) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    body MEDIUMTEXT NOT NULL,
    state VARCHAR(16) NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    last_error TEXT NULL,
    run_at BIGINT NOT NULL,
    lease_until BIGINT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    INDEX jobs_due (state, run_at)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
