-- Nullable, so that the users who exist already need no value.
ALTER TABLE users ADD COLUMN full_name TEXT;
