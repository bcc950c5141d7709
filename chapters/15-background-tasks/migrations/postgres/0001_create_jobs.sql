-- The email jobs: one row per message to send. Times are Unix milliseconds, the same on
-- every backend. A job goes queued -> running -> done, or back to queued to retry, or to
-- failed when its attempts are spent.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    last_error TEXT,
    run_at BIGINT NOT NULL,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- What a worker asks for: jobs in a state, due by a time.
CREATE INDEX jobs_due ON jobs (state, run_at);
