//! Who hears a line: every listener (a player's character, never a bot) within the radius of
//! the speaker's character, found through the map's character grid rather than a scan of
//! every player, so a line costs work in proportion to the characters near it.
//!
//! The grid (`Keys::movers`) holds the positions it was rebuilt from at the last movement
//! stage; characters moved at most `max_speed` since. The walk therefore asks the grid for
//! everyone within `radius + margin` and keeps those whose current position (the x and y
//! columns) is within `radius`: the distance is exact, `dx² + dy² ≤ radius²` in `i64`, boundary
//! included. A character spawned since the rebuild is not in the grid yet and hears lines from
//! the next tick on.

use super::rate::RateBucket;
use engine::{Column, Entity, SortedGrid};
use net::ConnId;

/// A character whose player hears chat: the player's connection and its rate bucket. Kept in a
/// column of the map's world, so it goes when the character is despawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    /// The player's connection.
    pub conn: ConnId,
    /// How much the player may still say.
    pub bucket: RateBucket,
}

/// What the walk reads: the grid and the columns, borrowed for one line.
pub(crate) struct Ears<'a> {
    /// The characters' grid (positions at its last rebuild).
    pub grid: &'a SortedGrid,
    /// Current x of every character.
    pub x: &'a Column<i32>,
    /// Current y of every character.
    pub y: &'a Column<i32>,
    /// The listeners.
    pub listeners: &'a Column<Listener>,
}

impl Ears<'_> {
    /// Visits the connection of every listener other than `speaker` whose character is within
    /// `radius` of `(x, y)` now; `margin` is the farthest a character moved since the grid was
    /// built. Returns how many were visited.
    pub(crate) fn for_each_hearer(
        &self,
        speaker: Entity,
        (x, y): (i32, i32),
        (radius, margin): (i32, i32),
        mut visit: impl FnMut(ConnId),
    ) -> usize {
        let r2 = i64::from(radius) * i64::from(radius);
        let mut heard = 0;
        self.grid.for_each_in_radius(x, y, radius.saturating_add(margin), |g| {
            if g.entity == speaker {
                return;
            }
            let Some(listener) = self.listeners.get(g.entity) else { return };
            let (Some(&hx), Some(&hy)) = (self.x.get(g.entity), self.y.get(g.entity)) else { return };
            let (dx, dy) = (i64::from(hx) - i64::from(x), i64::from(hy) - i64::from(y));
            if dx * dx + dy * dy <= r2 {
                heard += 1;
                visit(listener.conn);
            }
        });
        heard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rate::ChatRate;
    use crate::geom::TILE;
    use engine::World;

    /// A world of characters at `(x, y)` with the grid built from `grid_at` (their positions
    /// at the last rebuild); `listening[i]` says whether character `i` is a player's.
    struct Scene {
        world: World,
        grid: SortedGrid,
        x: engine::ColumnKey<i32>,
        y: engine::ColumnKey<i32>,
        listeners: engine::ColumnKey<Listener>,
        characters: Vec<Entity>,
    }

    fn scene(now: &[(i32, i32)], grid_at: &[(i32, i32)], listening: &[bool]) -> Scene {
        let mut world = World::new();
        let (x, y) = (world.register::<i32>("x").unwrap(), world.register::<i32>("y").unwrap());
        let listeners = world.register::<Listener>("listener").unwrap();
        let bucket = RateBucket::full(&ChatRate::new(5, 20), 0);
        let mut characters = Vec::new();
        for (i, &(px, py)) in now.iter().enumerate() {
            let e = world.spawn();
            world.insert(e, x, px).unwrap();
            world.insert(e, y, py).unwrap();
            if listening[i] {
                world.insert(e, listeners, Listener { conn: ConnId::from_u64(i as u64), bucket }).unwrap();
            }
            characters.push(e);
        }
        let mut grid = SortedGrid::new(10, 64);
        let (gx, gy): (Vec<i32>, Vec<i32>) = grid_at.iter().copied().unzip();
        grid.rebuild(&characters, &gx, &gy);
        Scene { world, grid, x, y, listeners, characters }
    }

    /// The connections (as numbers) hearing character 0 speak with `radius` and `margin`.
    fn hearers(s: &Scene, radius: i32, margin: i32) -> Vec<u64> {
        let (x, y, listeners) = (s.world.column(s.x), s.world.column(s.y), s.world.column(s.listeners));
        let ears = Ears { grid: &s.grid, x: &x, y: &y, listeners: &listeners };
        let me = s.characters[0];
        let centre = (*x.get(me).unwrap(), *y.get(me).unwrap());
        let mut heard = Vec::new();
        let n = ears.for_each_hearer(me, centre, (radius, margin), |c| heard.push(c.to_u64()));
        assert_eq!(n, heard.len());
        heard.sort_unstable();
        heard
    }

    #[test]
    fn the_radius_is_exact_and_includes_its_boundary() {
        let o = 100 * TILE;
        let r = 10 * TILE;
        let at = [
            (o, o),                           // 0: the speaker
            (o + r, o),                       // 1: on the boundary, straight
            (o + r + 1, o),                   // 2: one unit beyond
            (o + 6 * TILE, o + 8 * TILE),     // 3: 6-8-10 triangle: exactly 10 tiles
            (o + 6 * TILE, o + 8 * TILE + 1), // 4: just beyond on the diagonal
            (o - 3 * TILE, o - 2 * TILE),     // 5: well inside
        ];
        let s = scene(&at, &at, &[true; 6]);
        assert_eq!(hearers(&s, r, 0), [1, 3, 5], "the speaker is not visited: it is told apart");
    }

    #[test]
    fn bots_do_not_hear() {
        let o = 100 * TILE;
        let at = [(o, o), (o + TILE, o), (o + 2 * TILE, o)];
        let s = scene(&at, &at, &[true, false, true]);
        assert_eq!(hearers(&s, 10 * TILE, 0), [2]);
    }

    #[test]
    fn current_positions_decide_not_the_grid_snapshot() {
        let o = 100 * TILE;
        let r = 10 * TILE;
        // 1 walked into the radius since the rebuild, 2 walked out of it.
        let grid_at = [(o, o), (o + r + 90, o), (o + r - 90, o)];
        let now = [(o, o), (o + r - 10, o), (o + r + 10, o)];
        let s = scene(&now, &grid_at, &[true; 3]);
        assert_eq!(hearers(&s, r, 100), [1], "found through the margin, judged where it is now");
        assert_eq!(hearers(&s, r, 0), Vec::<u64>::new(), "without a margin 1 is not even looked at");
    }
}
