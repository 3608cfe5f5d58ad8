-- Each batch of item transactions stores its writer's sequence number in the same database
-- transaction. A retry after a lost commit answer finds its number already stored and does not
-- apply the batch a second time (replaying a batch on its own result could undo a write).

CREATE TABLE item_commits (
    writer BIGINT PRIMARY KEY,
    seq    BIGINT NOT NULL
);
