-- The email jobs: one row per message to send. Times are Unix milliseconds, the same on
-- every backend. A job goes queued -> running -> done, or back to queued to retry, or to
-- failed when its attempts are spent.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    last_error TEXT,
    run_at INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What a worker asks for: jobs in a state, due by a time.
CREATE INDEX jobs_due ON jobs (state, run_at);
