-- Case- and normalization-insensitive name uniqueness: `name_key` is the store's key of the name
-- (`store::name_key`: NFKC, lowercased, NFKC again). It is NULL for rows written before this
-- migration until the store backfills it right after migrating (a legacy name whose key another
-- row already holds keeps NULL and stays reachable by its exact name).

ALTER TABLE players ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX players_unique_name_key ON players (name_key);
