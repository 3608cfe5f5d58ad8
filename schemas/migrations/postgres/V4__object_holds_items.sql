-- Container objects (a box, a pile of dropped items, a corpse) belong to the item layer: they are
-- written only by item transactions, and a chunk save neither overwrites nor deletes them (its
-- object snapshot may be older than the item transaction that changed them). Objects that hold
-- items today are marked as such.

ALTER TABLE objects ADD COLUMN holds_items BOOLEAN NOT NULL DEFAULT false;
UPDATE objects SET holds_items = true
    WHERE EXISTS (SELECT 1 FROM items i WHERE i.container_kind = 2 AND i.container_id = objects.id);
