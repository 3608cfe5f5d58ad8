-- Each batch of item transactions stores its writer's sequence number in the same database
-- transaction (same meaning as the PostgreSQL schema).

CREATE TABLE item_commits (
    writer INTEGER PRIMARY KEY,
    seq    INTEGER NOT NULL
);
