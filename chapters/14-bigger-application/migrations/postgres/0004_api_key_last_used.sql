-- Exercise 3: when each key last signed an accepted request (NULL: never).
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
