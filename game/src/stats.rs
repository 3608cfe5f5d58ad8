//! A character's vitals and experience (§9) and the rules that change them, in integer
//! arithmetic: hunger rising with time, health draining at the hunger limit, stamina paying for
//! work and coming back while not starving, food lowering hunger by its value scaled by
//! `sqrt(Q/10)`. Pure: the "vitals" system ([`crate::sim`]) applies [`Vitals::advance`] once a
//! second to every character, the items feature applies [`Vitals::eat`].

use crate::content::{ExperienceKind, StatRules};

/// Longest stretch of time one [`Vitals::advance`] credits (a stalled or paused tick loop does
/// not starve everyone at once when it resumes).
pub const MAX_CATCH_UP_SECONDS: u32 = 60;

/// Health, hunger and stamina of one character, in whole points, with the seconds counted
/// toward the next point of each timed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vitals {
    /// Health points; 0 is dead.
    pub health: u16,
    /// Hunger points: 0 fed, up to `hunger_limit`.
    pub hunger: u16,
    /// Stamina points.
    pub stamina: u16,
    /// Seconds counted toward the next hunger point.
    hunger_clock: u16,
    /// Seconds counted toward the next health point lost to starvation.
    starve_clock: u16,
}

/// Experience points of one character by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Experience {
    /// From fighting.
    pub combat: u32,
    /// From crafting.
    pub crafting: u32,
    /// From gathering (chopping, harvesting).
    pub gathering: u32,
}

/// Why work could not be paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatError {
    /// Not enough stamina for the work.
    Tired {
        /// Stamina the work costs.
        needed: u16,
        /// Stamina the character has.
        have: u16,
    },
    /// The character is dead.
    Dead,
}

impl std::fmt::Display for StatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatError::Tired { needed, have } => {
                write!(f, "not enough stamina: {needed} needed, {have} left")
            }
            StatError::Dead => f.write_str("the character is dead"),
        }
    }
}

impl std::error::Error for StatError {}

impl Experience {
    /// Adds `amount` of experience of `kind` (saturating at `u32::MAX`).
    pub fn gain(&mut self, kind: ExperienceKind, amount: u32) {
        let xp = match kind {
            ExperienceKind::Combat => &mut self.combat,
            ExperienceKind::Crafting => &mut self.crafting,
            ExperienceKind::Gathering => &mut self.gathering,
        };
        *xp = xp.saturating_add(amount);
    }

    /// The experience of `kind`.
    pub fn of(&self, kind: ExperienceKind) -> u32 {
        match kind {
            ExperienceKind::Combat => self.combat,
            ExperienceKind::Crafting => self.crafting,
            ExperienceKind::Gathering => self.gathering,
        }
    }
}

impl Vitals {
    /// A rested, fed character.
    pub fn rested(rules: &StatRules) -> Vitals {
        Vitals { health: rules.max_health, stamina: rules.max_stamina, ..Vitals::default() }
    }

    /// Stored values, clamped to the rules (a record from older content or a bad row cannot
    /// put a character above its limits). A stored health of 0 loads as 0: death is kept.
    pub fn stored(rules: &StatRules, health: i32, hunger: i32, stamina: i32) -> Vitals {
        let clamp = |v: i32, max: u16| v.clamp(0, i32::from(max)) as u16;
        Vitals {
            health: clamp(health, rules.max_health),
            hunger: clamp(hunger, rules.hunger_limit),
            stamina: clamp(stamina, rules.max_stamina),
            ..Vitals::default()
        }
    }

    /// True at zero health.
    pub fn is_dead(&self) -> bool {
        self.health == 0
    }

    /// True while hunger stands at its limit (health drains, stamina does not come back).
    pub fn is_starving(&self, rules: &StatRules) -> bool {
        self.hunger >= rules.hunger_limit
    }

    /// Applies `seconds` of time (at most [`MAX_CATCH_UP_SECONDS`]), second by second: hunger
    /// rises one point every `hunger_seconds`; while hunger stands at its limit health falls
    /// one point every `starve_seconds`, otherwise stamina rises by `stamina_per_second`. A
    /// dead character's vitals stand still.
    pub fn advance(&mut self, rules: &StatRules, seconds: u32) {
        for _ in 0..seconds.min(MAX_CATCH_UP_SECONDS) {
            if self.is_dead() {
                return;
            }
            self.second(rules);
        }
    }

    fn second(&mut self, rules: &StatRules) {
        if self.hunger < rules.hunger_limit {
            self.hunger_clock += 1;
            if self.hunger_clock >= rules.hunger_seconds {
                self.hunger_clock = 0;
                self.hunger += 1;
            }
        }
        if self.is_starving(rules) {
            self.starve_clock += 1;
            if self.starve_clock >= rules.starve_seconds {
                self.starve_clock = 0;
                self.health = self.health.saturating_sub(1);
            }
        } else {
            self.starve_clock = 0;
            self.stamina = self.stamina.saturating_add(rules.stamina_per_second).min(rules.max_stamina);
        }
    }

    /// Pays `cost` stamina for work, or refuses without change.
    pub fn spend_stamina(&mut self, cost: u16) -> Result<(), StatError> {
        if self.is_dead() {
            return Err(StatError::Dead);
        }
        if self.stamina < cost {
            return Err(StatError::Tired { needed: cost, have: self.stamina });
        }
        self.stamina -= cost;
        Ok(())
    }

    /// Eats food of `value` hunger points and quality `quality`: hunger falls by
    /// [`quality_scaled`] (not below 0). Returns the points it fell by.
    pub fn eat(&mut self, value: u32, quality: u32) -> Result<u16, StatError> {
        if self.is_dead() {
            return Err(StatError::Dead);
        }
        let points = u16::try_from(quality_scaled(value, quality)).unwrap_or(u16::MAX).min(self.hunger);
        self.hunger -= points;
        Ok(points)
    }
}

/// A value scaled by the quality multiplier `sqrt(q / 10)`, rounded down: the hunger points
/// food of `value` and quality `q` takes away, and a weapon's damage before experience
/// ([`crate::combat::damage`]). Computed exactly in integers as `isqrt(value² × q / 10)` (the
/// floor of a square root is the floor of the square root of the floor). Quality 10 gives the
/// value itself, 40 twice it, 0 nothing.
pub fn quality_scaled(value: u32, q: u32) -> u64 {
    let v = u128::from(value);
    // u128: value² × q needs up to 96 bits; the root fits 48.
    (v * v * u128::from(q) / 10).isqrt() as u64
}

/// Writes vitals and experience into a player's stored record.
pub fn store_into(record: &mut store::PlayerRecord, v: &Vitals, xp: &Experience) {
    (record.health, record.hunger, record.stamina) =
        (i32::from(v.health), i32::from(v.hunger), i32::from(v.stamina));
    (record.xp_combat, record.xp_crafting, record.xp_gathering) =
        (i64::from(xp.combat), i64::from(xp.crafting), i64::from(xp.gathering));
}

/// A stored record's vitals (clamped to `rules`, [`Vitals::stored`]) and experience (negative
/// values read as 0, values past `u32` as its maximum).
pub fn load_from(record: &store::PlayerRecord, rules: &StatRules) -> (Vitals, Experience) {
    let xp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    let vitals = Vitals::stored(rules, record.health, record.hunger, record.stamina);
    let experience = Experience {
        combat: xp(record.xp_combat),
        crafting: xp(record.xp_crafting),
        gathering: xp(record.xp_gathering),
    };
    (vitals, experience)
}

/// The record fields of a new character: rested and fed, no experience.
pub fn new_character(record: &mut store::PlayerRecord, rules: &StatRules) {
    store_into(record, &Vitals::rested(rules), &Experience::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Content;

    fn rules() -> StatRules {
        StatRules {
            max_health: 100,
            hunger_limit: 3,
            hunger_seconds: 2,
            starve_seconds: 4,
            max_stamina: 50,
            stamina_per_second: 5,
        }
    }

    #[test]
    fn food_scales_with_the_square_root_of_quality_over_ten() {
        // value × sqrt(q/10), rounded down.
        assert_eq!(quality_scaled(5, 10), 5); // sqrt(1) = 1
        assert_eq!(quality_scaled(5, 40), 10); // sqrt(4) = 2
        assert_eq!(quality_scaled(5, 0), 0);
        assert_eq!(quality_scaled(5, 20), 7); // 5 × 1.414 = 7.07
        assert_eq!(quality_scaled(5, 5), 3); // 5 × 0.707 = 3.54
        assert_eq!(quality_scaled(10, 1000), 100); // 10 × sqrt(100) = 100
        assert_eq!(quality_scaled(7, 13), 7); // 7 × 1.140 = 7.98
        assert_eq!(quality_scaled(u32::MAX, u32::MAX), 89_010_203_043_765, "no overflow at the top");
    }

    #[test]
    fn hunger_rises_then_health_drains_and_stamina_stops() {
        let r = rules();
        let mut v = Vitals::rested(&r);
        v.stamina = 10;
        v.advance(&r, 1);
        assert_eq!((v.hunger, v.stamina), (0, 15), "one second: the hunger clock at 1 of 2");
        v.advance(&r, 1);
        assert_eq!((v.hunger, v.stamina), (1, 20));
        v.advance(&r, 4);
        assert_eq!(v.hunger, 3, "at the limit after 6 s");
        assert!(v.is_starving(&r));
        let stamina = v.stamina;
        // The second hunger reached its limit counted toward starving: the clock is at 1 of 4.
        v.advance(&r, 2);
        assert_eq!(v.health, 100, "the starve clock at 3 of 4");
        v.advance(&r, 1);
        assert_eq!(v.health, 99);
        assert_eq!(v.stamina, stamina, "no stamina back while starving");
        v.advance(&r, 8);
        assert_eq!(v.health, 97);
    }

    #[test]
    fn eating_lowers_hunger_and_the_dead_stand_still() {
        let r = rules();
        let mut v = Vitals { hunger: 3, ..Vitals::rested(&r) };
        assert_eq!(v.eat(1, 10), Ok(1));
        assert_eq!(v.hunger, 2);
        assert_eq!(v.eat(5, 40), Ok(2), "hunger never goes below 0");
        assert_eq!(v.hunger, 0);
        v.health = 0;
        assert_eq!(v.eat(1, 10), Err(StatError::Dead));
        v.advance(&r, 60);
        assert_eq!((v.health, v.hunger), (0, 0));
    }

    #[test]
    fn experience_grows_by_kind_and_saturates() {
        let mut xp = Experience::default();
        xp.gain(ExperienceKind::Crafting, 20);
        xp.gain(ExperienceKind::Combat, u32::MAX);
        xp.gain(ExperienceKind::Combat, 5);
        assert_eq!((xp.of(ExperienceKind::Crafting), xp.combat, xp.gathering), (20, u32::MAX, 0));
    }

    #[test]
    fn work_is_paid_in_stamina_or_refused() {
        let mut v = Vitals::rested(&rules());
        assert_eq!(v.spend_stamina(30), Ok(()));
        assert_eq!(v.spend_stamina(30), Err(StatError::Tired { needed: 30, have: 20 }));
        assert_eq!(v.stamina, 20, "a refusal costs nothing");
    }

    #[test]
    fn catch_up_is_bounded_and_stored_values_are_clamped() {
        let r = rules();
        let mut v = Vitals::rested(&r);
        v.advance(&r, u32::MAX);
        let mut w = Vitals::rested(&r);
        w.advance(&r, MAX_CATCH_UP_SECONDS);
        assert_eq!(v, w);
        let s = Vitals::stored(&r, 500, -3, 70);
        assert_eq!((s.health, s.hunger, s.stamina), (100, 0, 50));
        let shipped = Content::builtin().stats;
        assert_eq!(Vitals::rested(&shipped).health, shipped.max_health);
    }
}
