-- Scale-out fencing (store/src/owner.rs). A map is simulated by one shard at a time: taking it bumps
-- its epoch, and every write that carries an older epoch of that map is refused in its own
-- transaction. A character is live on at most one shard (`live_shard`, NULL: released); each claim
-- bumps `live_claim`, and a save applies only when it names the current claim and is newer than
-- the stored one (`save_claim`, `save_n`). Hand-off tokens are stored as hashes only.

CREATE TABLE map_owners (
    map   INTEGER PRIMARY KEY,
    shard TEXT NOT NULL,
    epoch BIGINT NOT NULL
);

ALTER TABLE players
    ADD COLUMN live_shard TEXT,
    ADD COLUMN live_claim BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN save_claim BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN save_n     BIGINT NOT NULL DEFAULT 0;

CREATE TABLE handoffs (
    token_hash BYTEA PRIMARY KEY,
    player     BIGINT NOT NULL,
    from_shard TEXT NOT NULL,
    to_shard   TEXT NOT NULL,
    to_map     INTEGER NOT NULL,
    expires_ms BIGINT NOT NULL,
    state      SMALLINT NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)) -- pending, accepted, cancelled
);
CREATE INDEX handoffs_by_player ON handoffs (player);
