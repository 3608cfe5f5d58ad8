-- Initial schema (SQLite). Same tables and meaning as the PostgreSQL schema.

CREATE TABLE players (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   BLOB NOT NULL,
    map          INTEGER NOT NULL,
    x            INTEGER NOT NULL,
    y            INTEGER NOT NULL,
    health       INTEGER NOT NULL,
    hunger       INTEGER NOT NULL,
    stamina      INTEGER NOT NULL,
    xp_combat    INTEGER NOT NULL,
    xp_crafting  INTEGER NOT NULL,
    xp_gathering INTEGER NOT NULL
);

CREATE TABLE items (
    id             INTEGER PRIMARY KEY,
    kind           INTEGER NOT NULL,
    quality        INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    container_kind INTEGER NOT NULL CHECK (container_kind IN (1, 2, 3)), -- player, object, item
    container_id   INTEGER NOT NULL,
    slot           INTEGER NOT NULL,
    CONSTRAINT item_not_in_itself CHECK (NOT (container_kind = 3 AND container_id = id))
);
CREATE INDEX items_by_container ON items (container_kind, container_id);

CREATE TABLE chunks (
    map     INTEGER NOT NULL,
    cx      INTEGER NOT NULL,
    cy      INTEGER NOT NULL,
    version INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (map, cx, cy)
) WITHOUT ROWID;

CREATE TABLE objects (
    id               INTEGER PRIMARY KEY,
    map              INTEGER NOT NULL,
    grid_x           INTEGER NOT NULL,
    grid_y           INTEGER NOT NULL,
    kind             INTEGER NOT NULL,
    x                INTEGER NOT NULL,
    y                INTEGER NOT NULL,
    quality          INTEGER NOT NULL,
    stage            INTEGER NOT NULL,
    stage_started_ms INTEGER NOT NULL,
    stage_ends_ms    INTEGER NOT NULL,
    state            BLOB NOT NULL
);
CREATE INDEX objects_by_grid ON objects (map, grid_x, grid_y);

CREATE TABLE id_blocks (
    kind TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
INSERT INTO id_blocks (kind, next) VALUES ('player', 1), ('item', 1), ('object', 1);
