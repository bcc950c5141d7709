-- Exercise 1. A user's items are read in order of id: one index on (owner_id, id) finds them
-- and gives them in that order, so it replaces the index on owner_id alone. The new index is
-- made before the old one goes: MySQL refuses to drop the only index a foreign key can use.
CREATE INDEX items_owner_id_id ON items (owner_id, id);
DROP INDEX items_owner_id ON items;
