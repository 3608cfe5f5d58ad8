//! The PostgreSQL backend's SQL text: column lists, batched `UNNEST` writes, the item
//! operations (each one round trip) and the recursive loads. Prepared once per connection by
//! `postgres.rs`.

pub(super) const PLAYER_COLS: &str = "p.id, p.name, p.token_hash, pp.map, pp.x, pp.y, p.health, p.hunger, \
     p.stamina, p.xp_combat, p.xp_crafting, p.xp_gathering";
pub(super) const PLAYER_FROM: &str = "players p JOIN player_positions pp ON pp.id = p.id";
pub(super) const ITEM_COLS: &str = "id, kind, quality, count, container_kind, container_id, slot";
pub(super) const OBJECT_COLS: &str = "id, map, grid_x, grid_y, kind, x, y, quality, stage, \
     stage_started_ms, stage_ends_ms, state, holds_items";

pub(super) const SQL_POSITIONS: &str = "UPDATE player_positions AS p SET map = u.map, x = u.x, y = u.y \
     FROM UNNEST($1::int8[], $2::int4[], $3::int4[], $4::int4[]) AS u(id, map, x, y) \
     WHERE p.id = u.id";
pub(super) const SQL_SAVE_PLAYERS: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) SELECT * FROM UNNEST($1::int8[], \
     $2::text[], $3::text[], $4::bytea[], $5::int4[], $6::int4[], $7::int4[], $8::int8[], \
     $9::int8[], $10::int8[]) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, \
     name_key = EXCLUDED.name_key, token_hash = EXCLUDED.token_hash, \
     health = EXCLUDED.health, hunger = EXCLUDED.hunger, stamina = EXCLUDED.stamina, \
     xp_combat = EXCLUDED.xp_combat, xp_crafting = EXCLUDED.xp_crafting, \
     xp_gathering = EXCLUDED.xp_gathering";
/// A new player claims its name: nothing happens when the id or the name's key is taken.
pub(super) const SQL_CREATE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";
pub(super) const SQL_CREATE_POSITION: &str = "INSERT INTO player_positions VALUES ($1, $2, $3, $4)";
/// By the name's key; a legacy row whose key is unset (see migration V3) by its exact name, which
/// wins over a key match.
pub(super) const SQL_PLAYER_BY_NAME: &str = "WHERE p.name_key = $1 OR (p.name_key IS NULL AND p.name = $2) \
     ORDER BY p.name_key IS NULL DESC LIMIT 1";
pub(super) const SQL_SAVE_POSITIONS: &str = "INSERT INTO player_positions SELECT * FROM UNNEST($1::int8[], \
     $2::int4[], $3::int4[], $4::int4[]) ON CONFLICT (id) DO UPDATE SET map = EXCLUDED.map, \
     x = EXCLUDED.x, y = EXCLUDED.y";
pub(super) const SQL_PUT_ITEM: &str = "INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, quality = EXCLUDED.quality, \
     count = EXCLUDED.count, container_kind = EXCLUDED.container_kind, \
     container_id = EXCLUDED.container_id, slot = EXCLUDED.slot";
pub(super) const SQL_MOVE_ITEM: &str =
    "UPDATE items SET container_kind = $2, container_id = $3, slot = $4 WHERE id = $1";
pub(super) const SQL_ITEM_COUNT: &str = "UPDATE items SET count = $2 WHERE id = $1";
/// Deletes item $1 unless it holds items, in one round trip; answers whether it holds items.
pub(super) const SQL_DELETE_ITEM: &str = "WITH held AS (SELECT EXISTS (SELECT 1 FROM items \
     WHERE container_kind = 3 AND container_id = $1) AS h), \
     gone AS (DELETE FROM items WHERE id = $1 AND NOT (SELECT h FROM held)) SELECT h FROM held";
/// Deletes object $1 unless it holds items, in one round trip; answers whether it holds items.
pub(super) const SQL_DELETE_OBJECT: &str = "WITH held AS (SELECT EXISTS (SELECT 1 FROM items \
     WHERE container_kind = 2 AND container_id = $1) AS h), \
     gone AS (DELETE FROM objects WHERE id = $1 AND NOT (SELECT h FROM held)) SELECT h FROM held";
/// Stores a batch's mark unless it is stored already (then the batch committed before).
pub(super) const SQL_COMMIT_MARK: &str = "INSERT INTO item_commits (writer, seq) VALUES ($1, $2) \
     ON CONFLICT (writer) DO UPDATE SET seq = EXCLUDED.seq WHERE item_commits.seq < EXCLUDED.seq";
pub(super) const SQL_NESTING_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";
pub(super) const SQL_CYCLE: &str = "WITH RECURSIVE up(id, ck, cid, depth) AS ( \
     SELECT id, container_kind, container_id, 0 FROM items WHERE id = $1 \
     UNION ALL SELECT i.id, i.container_kind, i.container_id, up.depth + 1 \
     FROM items i JOIN up ON up.ck = 3 AND i.id = up.cid WHERE up.depth < 64) \
     SELECT count(*) FILTER (WHERE id = $2), count(*), coalesce(max(depth), 0)::int8 FROM up";
/// An item transaction's object: every field, the container flag included.
pub(super) const SQL_PUT_OBJECT: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state, holds_items) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO UPDATE SET \
     map = EXCLUDED.map, grid_x = EXCLUDED.grid_x, grid_y = EXCLUDED.grid_y, kind = EXCLUDED.kind, \
     x = EXCLUDED.x, y = EXCLUDED.y, quality = EXCLUDED.quality, stage = EXCLUDED.stage, \
     stage_started_ms = EXCLUDED.stage_started_ms, stage_ends_ms = EXCLUDED.stage_ends_ms, \
     state = EXCLUDED.state, holds_items = EXCLUDED.holds_items";
/// A chunk save's plain objects: a stored container object of the item layer stays as it is.
pub(super) const SQL_SAVE_OBJECTS: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state) SELECT * FROM UNNEST($1::int8[], $2::int4[], \
     $3::int4[], $4::int4[], $5::int8[], $6::int4[], $7::int4[], $8::int8[], $9::int4[], \
     $10::int8[], $11::int8[], $12::bytea[]) ON CONFLICT (id) DO UPDATE SET map = EXCLUDED.map, \
     grid_x = EXCLUDED.grid_x, grid_y = EXCLUDED.grid_y, kind = EXCLUDED.kind, x = EXCLUDED.x, \
     y = EXCLUDED.y, quality = EXCLUDED.quality, stage = EXCLUDED.stage, \
     stage_started_ms = EXCLUDED.stage_started_ms, stage_ends_ms = EXCLUDED.stage_ends_ms, \
     state = EXCLUDED.state WHERE NOT objects.holds_items";
pub(super) const SQL_SAVE_CHUNKS: &str = "INSERT INTO chunks SELECT * FROM UNNEST($1::int4[], $2::int4[], \
     $3::int4[], $4::int8[], $5::bytea[]) ON CONFLICT (map, cx, cy) DO UPDATE SET \
     version = EXCLUDED.version, data = EXCLUDED.data";
pub(super) const SQL_PRUNE_OBJECTS: &str = "DELETE FROM objects AS o \
     USING UNNEST($1::int4[], $2::int4[], $3::int4[]) AS c(map, gx, gy) \
     WHERE o.map = c.map AND o.grid_x = c.gx AND o.grid_y = c.gy AND o.id <> ALL($4::int8[]) \
     AND NOT o.holds_items \
     AND NOT EXISTS (SELECT 1 FROM items i WHERE i.container_kind = 2 AND i.container_id = o.id)";
pub(super) const SQL_ITEM_TREE: &str = "WITH RECURSIVE tree AS ( \
     SELECT id, kind, quality, count, container_kind, container_id, slot, 0 AS depth FROM items \
     WHERE container_kind = $1 AND container_id = $2 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";
/// [`SQL_ITEM_TREE`] of several roots of one container kind (`$2`, an array), each row with its
/// root's id last.
pub(super) const SQL_ITEM_TREES: &str = "WITH RECURSIVE tree AS ( \
     SELECT id, kind, quality, count, container_kind, container_id, slot, 0 AS depth, container_id AS root \
     FROM items WHERE container_kind = $1 AND container_id = ANY($2::int8[]) \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1, t.root FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot, root FROM tree";
pub(super) const SQL_CHUNK_ITEMS: &str = "WITH RECURSIVE tree AS ( \
     SELECT i.id, i.kind, i.quality, i.count, i.container_kind, i.container_id, i.slot, 0 AS depth \
     FROM items i JOIN objects o ON i.container_kind = 2 AND i.container_id = o.id \
     WHERE o.map = $1 AND o.grid_x = $2 AND o.grid_y = $3 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";

// Ownership (`pg_owner.rs`): map epochs, live owners, conditional saves, hand-off tokens.
/// Locks the map's row against [`SQL_TAKE_MAP`] until the fenced write commits.
pub(super) const SQL_MAP_EPOCH: &str = "SELECT epoch FROM map_owners WHERE map = $1 FOR SHARE";
pub(super) const SQL_TAKE_MAP: &str = "INSERT INTO map_owners (map, shard, epoch) VALUES ($1, $2, 1) \
     ON CONFLICT (map) DO UPDATE SET shard = EXCLUDED.shard, epoch = map_owners.epoch + 1 RETURNING epoch";
pub(super) const SQL_MAP_OWNER: &str = "SELECT shard, epoch FROM map_owners WHERE map = $1";
pub(super) const SQL_LIVE: &str =
    "SELECT live_shard, live_claim, save_claim, save_n FROM players WHERE id = $1 FOR UPDATE";
/// Locks the `players` rows of a group of writes in id order, the order the fenced positions
/// take them in ([`SQL_POSITIONS_FENCED`]): two transactions taking rows of one table in opposite
/// orders deadlock, and PostgreSQL breaks that only after `deadlock_timeout` (1 s).
pub(super) const SQL_LOCK_PLAYERS: &str =
    "SELECT id FROM players WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE";
pub(super) const SQL_SET_LIVE: &str = "UPDATE players SET live_shard = $2, live_claim = $3 WHERE id = $1";
pub(super) const SQL_TOKEN: &str = "SELECT player, from_shard, to_shard, expires_ms, state, claim \
     FROM handoffs WHERE token_hash = $1 FOR UPDATE";
/// A hand-off group's reads and writes, one statement each (`owner::hand_offs`).
pub(super) const SQL_TOKENS: &str = "SELECT player, from_shard, to_shard, expires_ms, state, claim, \
     token_hash FROM handoffs WHERE token_hash = ANY($1::bytea[]) FOR UPDATE";
pub(super) const SQL_LIVES: &str = "SELECT live_shard, live_claim, save_claim, save_n, id FROM players \
     WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE";
pub(super) const SQL_SET_LIVES: &str = "UPDATE players AS p SET live_shard = $3, live_claim = u.claim \
     FROM UNNEST($1::int8[], $2::int8[]) AS u(id, claim) WHERE p.id = u.id";
pub(super) const SQL_TOKEN_STATES: &str = "UPDATE handoffs AS h SET state = $3, claim = u.claim \
     FROM UNNEST($1::bytea[], $2::int8[]) AS u(hash, claim) WHERE h.token_hash = u.hash";
pub(super) const SQL_PUT_TOKENS: &str = "INSERT INTO handoffs (token_hash, player, from_shard, to_shard, \
     to_map, expires_ms) SELECT * FROM UNNEST($1::bytea[], $2::int8[], $3::text[], $4::text[], \
     $5::int4[], $6::int8[]) ON CONFLICT DO NOTHING";
pub(super) const SQL_PUT_TOKEN: &str = "INSERT INTO handoffs (token_hash, player, from_shard, to_shard, \
     to_map, expires_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
pub(super) const SQL_TOKEN_STATE: &str = "UPDATE handoffs SET state = $2, claim = $3 WHERE token_hash = $1";
/// Tokens done with (accepted, cancelled) or expired before $1.
pub(super) const SQL_PRUNE_HANDOFFS: &str = "DELETE FROM handoffs WHERE expires_ms < $1";
/// Sequenced saves: a character's row changes only for a save of its current claim newer than the
/// stored one, and its position only with it. Answers with one row per applied save.
pub(super) const SQL_SAVE_PLAYERS_SEQ: &str = "WITH s AS (SELECT * FROM UNNEST($1::int8[], $2::text[], \
     $3::text[], $4::bytea[], $5::int4[], $6::int4[], $7::int4[], $8::int8[], $9::int8[], $10::int8[], \
     $11::int8[], $12::int8[]) AS s(id, name, name_key, token_hash, health, hunger, stamina, xp_combat, \
     xp_crafting, xp_gathering, claim, n)), \
     up AS (UPDATE players p SET name = s.name, name_key = s.name_key, token_hash = s.token_hash, \
     health = s.health, hunger = s.hunger, stamina = s.stamina, xp_combat = s.xp_combat, \
     xp_crafting = s.xp_crafting, xp_gathering = s.xp_gathering, save_claim = s.claim, save_n = s.n \
     FROM s WHERE p.id = s.id AND p.live_claim = s.claim AND (p.save_claim, p.save_n) < (s.claim, s.n) \
     RETURNING p.id) \
     UPDATE player_positions AS pp SET map = u.map, x = u.x, y = u.y \
     FROM UNNEST($13::int8[], $14::int4[], $15::int4[], $16::int4[]) AS u(id, map, x, y) \
     WHERE pp.id = u.id AND u.id IN (SELECT id FROM up)";
/// Fenced positions: only of characters live on the shard that holds map $5, each under the
/// claim it was taken under (`$6`, by position in `$1`). Their `players`
/// rows are locked (`FOR SHARE`, in id order) before the check: a hand-off committing at the
/// same time (it releases the character and moves it to another map) is waited for and the
/// check sees its result. Read committed would otherwise re-check only the position row and
/// apply the old position over the hand-off's.
pub(super) const SQL_POSITIONS_FENCED: &str = "UPDATE player_positions AS p SET map = u.map, x = u.x, \
     y = u.y FROM UNNEST($1::int8[], $2::int4[], $3::int4[], $4::int4[]) AS u(id, map, x, y) \
     WHERE p.id = u.id AND p.id IN (SELECT pl.id FROM players AS pl \
     JOIN UNNEST($1::int8[], $6::int8[]) AS c(id, claim) ON pl.id = c.id AND pl.live_claim = c.claim \
     WHERE pl.live_shard = (SELECT shard FROM map_owners WHERE map = $5) ORDER BY pl.id FOR SHARE OF pl)";
