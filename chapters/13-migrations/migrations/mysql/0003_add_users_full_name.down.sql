-- The names go with the column: this down loses data.
ALTER TABLE users DROP COLUMN full_name;
