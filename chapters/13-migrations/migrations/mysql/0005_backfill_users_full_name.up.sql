-- Exercise 2, a data migration: the users who have no full name get the part of their email
-- before the @. Only rows change; the schema stays as it is.
UPDATE users SET full_name = SUBSTRING_INDEX(email, '@', 1) WHERE full_name IS NULL;
