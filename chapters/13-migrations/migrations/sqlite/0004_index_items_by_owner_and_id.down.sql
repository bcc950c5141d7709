-- Back to exactly what 0002 made, in the opposite order.
CREATE INDEX items_owner_id ON items (owner_id);
DROP INDEX items_owner_id_id;
