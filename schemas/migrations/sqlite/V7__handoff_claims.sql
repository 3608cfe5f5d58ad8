-- The claim an accept or a cancel of a hand-off token gave its character (same meaning as the
-- PostgreSQL schema, store/src/backend/owner.rs).

ALTER TABLE handoffs ADD COLUMN claim INTEGER;
