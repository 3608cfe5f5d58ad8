-- The claim an accept or a cancel of a hand-off token gave its character (NULL while pending), so
-- a retry of the same accept or cancel after a lost commit answer is recognised and answered
-- again instead of refused as a replay (store/src/backend/owner.rs).

ALTER TABLE handoffs ADD COLUMN claim BIGINT;
