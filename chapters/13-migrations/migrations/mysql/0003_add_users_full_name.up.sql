-- Nullable, so that the users who exist already need no value. MEDIUMTEXT, as items' texts.
ALTER TABLE users ADD COLUMN full_name MEDIUMTEXT;
