-- Exercise 1. A user's items are read in order of id: one index on (owner_id, id) finds them
-- and gives them in that order, so it replaces the index on owner_id alone. The new index is
-- made before the old one goes, so that the foreign key is never without one.
CREATE INDEX items_owner_id_id ON items (owner_id, id);
DROP INDEX items_owner_id;
