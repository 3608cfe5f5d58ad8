-- Initial schema (PostgreSQL). Unsigned 32-bit values (kinds, qualities, counts) are stored as
-- BIGINT; the store checks their range when it reads them back.

CREATE TABLE players (
    id           BIGINT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   BYTEA NOT NULL,
    map          INTEGER NOT NULL,
    x            INTEGER NOT NULL,
    y            INTEGER NOT NULL,
    health       INTEGER NOT NULL,
    hunger       INTEGER NOT NULL,
    stamina      INTEGER NOT NULL,
    xp_combat    BIGINT NOT NULL,
    xp_crafting  BIGINT NOT NULL,
    xp_gathering BIGINT NOT NULL
) WITH (fillfactor = 70); -- room for HOT updates of the once-per-second position batch

CREATE TABLE items (
    id             BIGINT PRIMARY KEY,
    kind           BIGINT NOT NULL,
    quality        BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    container_kind SMALLINT NOT NULL CHECK (container_kind IN (1, 2, 3)), -- player, object, item
    container_id   BIGINT NOT NULL,
    slot           BIGINT NOT NULL,
    CONSTRAINT item_not_in_itself CHECK (NOT (container_kind = 3 AND container_id = id))
);
CREATE INDEX items_by_container ON items (container_kind, container_id);

CREATE TABLE chunks (
    map     INTEGER NOT NULL,
    cx      INTEGER NOT NULL,
    cy      INTEGER NOT NULL,
    version BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (map, cx, cy)
);
-- Chunk data is already zstd-compressed: do not let TOAST try again.
ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE objects (
    id               BIGINT PRIMARY KEY,
    map              INTEGER NOT NULL,
    grid_x           INTEGER NOT NULL,
    grid_y           INTEGER NOT NULL,
    kind             BIGINT NOT NULL,
    x                INTEGER NOT NULL,
    y                INTEGER NOT NULL,
    quality          BIGINT NOT NULL,
    stage            INTEGER NOT NULL,
    stage_started_ms BIGINT NOT NULL,
    stage_ends_ms    BIGINT NOT NULL,
    state            BYTEA NOT NULL
);
CREATE INDEX objects_by_grid ON objects (map, grid_x, grid_y);

CREATE TABLE id_blocks (
    kind TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);
INSERT INTO id_blocks (kind, next) VALUES ('player', 1), ('item', 1), ('object', 1);
