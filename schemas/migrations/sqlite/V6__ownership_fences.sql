-- Scale-out fencing (same meaning as the PostgreSQL schema, store/src/owner.rs).

CREATE TABLE map_owners (
    map   INTEGER PRIMARY KEY,
    shard TEXT NOT NULL,
    epoch INTEGER NOT NULL
);

ALTER TABLE players ADD COLUMN live_shard TEXT;
ALTER TABLE players ADD COLUMN live_claim INTEGER NOT NULL DEFAULT 0;
ALTER TABLE players ADD COLUMN save_claim INTEGER NOT NULL DEFAULT 0;
ALTER TABLE players ADD COLUMN save_n INTEGER NOT NULL DEFAULT 0;

CREATE TABLE handoffs (
    token_hash BLOB PRIMARY KEY,
    player     INTEGER NOT NULL,
    from_shard TEXT NOT NULL,
    to_shard   TEXT NOT NULL,
    to_map     INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    state      INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)) -- pending, accepted, cancelled
);
CREATE INDEX handoffs_by_player ON handoffs (player);
