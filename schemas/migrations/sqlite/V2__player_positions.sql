-- Positions move to a narrow table of their own (same layout as the PostgreSQL schema).

CREATE TABLE player_positions (
    id  INTEGER PRIMARY KEY,
    map INTEGER NOT NULL,
    x   INTEGER NOT NULL,
    y   INTEGER NOT NULL
);

INSERT INTO player_positions (id, map, x, y) SELECT id, map, x, y FROM players;
ALTER TABLE players DROP COLUMN map;
ALTER TABLE players DROP COLUMN x;
ALTER TABLE players DROP COLUMN y;
