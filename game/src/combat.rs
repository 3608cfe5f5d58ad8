//! Combat rules (§12), pure and in integer arithmetic: what a character hits with (the weapon
//! in its hand, or the content's fist), how far it reaches and how hard a hit lands. The
//! "combat" gameplay system (`crate::gameplay::combat`) applies them to attack actions.
//!
//! Damage of a hit: `max(1, quality_scaled(damage, Q) × (100 + isqrt(xp)) / 100)`, where
//! `quality_scaled(damage, Q)` is `damage × sqrt(Q/10)` rounded down ([`quality_scaled`]) and
//! `xp` the attacker's combat experience: quality 10 hits for the weapon's damage, 40 for twice
//! it; 100 experience adds a tenth, 10,000 doubles it.

use crate::content::{CombatRules, Content, Weapon};
use crate::stats::quality_scaled;

/// What a character fights with now: its weapon, the weapon's quality, and the tick before
/// which it cannot hit again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wielded {
    /// Damage, range and cooldown.
    pub weapon: Weapon,
    /// Quality of the weapon (the fist's from the content).
    pub quality: u32,
    /// No hit before this tick.
    pub next_hit: u64,
}

impl Wielded {
    /// Bare hands.
    pub fn fist(rules: &CombatRules) -> Wielded {
        Wielded { weapon: rules.fist, quality: rules.fist_quality, next_hit: 0 }
    }

    /// What a character holding an item of `kind` and `quality` in its hand (or nothing) fights
    /// with: the item's weapon if it has one, else the fist. The cooldown carries over.
    pub fn holding(content: &Content, hand: Option<(u32, u32)>, next_hit: u64) -> Wielded {
        let weapon = hand.and_then(|(kind, q)| Some((content.item(kind)?.weapon?, q)));
        match weapon {
            Some((weapon, quality)) => Wielded { weapon, quality, next_hit },
            None => Wielded { next_hit, ..Wielded::fist(&content.combat) },
        }
    }
}

/// Hit points one hit takes (see the module's formula); at least 1, at most `u16::MAX`.
pub fn damage(weapon: &Weapon, quality: u32, combat_xp: u32) -> u16 {
    let base = u128::from(quality_scaled(weapon.damage, quality));
    let skill = 100 + u128::from(u64::from(combat_xp).isqrt());
    let hit = (base * skill / 100).max(1);
    u16::try_from(hit).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUB: Weapon = Weapon { damage: 12, range: 56, cooldown_ticks: 20 };

    #[test]
    fn damage_worked_examples() {
        // Quality 10: the damage itself; no experience: no bonus.
        assert_eq!(damage(&CLUB, 10, 0), 12);
        // Quality 40: 12 × 2 = 24.
        assert_eq!(damage(&CLUB, 40, 0), 24);
        // Quality 20: 12 × 1.414 = 16.97 → 16; 100 xp: × 110 / 100 = 17.6 → 17.
        assert_eq!(damage(&CLUB, 20, 100), 17);
        // 10,000 xp: isqrt = 100, × 200 / 100: twice.
        assert_eq!(damage(&CLUB, 10, 10_000), 24);
        // Quality 0 scales to nothing, but a hit always takes at least 1.
        assert_eq!(damage(&CLUB, 0, 0), 1);
        // 99 xp: isqrt(99) = 9, 12 × 109 / 100 = 13.08 → 13.
        assert_eq!(damage(&CLUB, 10, 99), 13);
        let huge = Weapon { damage: u32::MAX, range: 0, cooldown_ticks: 1 };
        assert_eq!(damage(&huge, u32::MAX, u32::MAX), u16::MAX, "capped, no overflow");
    }

    #[test]
    fn the_hand_decides_the_weapon() {
        let content = Content::builtin();
        let fist = Wielded::fist(&content.combat);
        assert_eq!(Wielded::holding(&content, None, 7), Wielded { next_hit: 7, ..fist });
        let club = content.item_named("club").unwrap();
        let held = Wielded::holding(&content, Some((club.id, 30)), 0);
        assert_eq!((held.weapon, held.quality), (club.weapon.unwrap(), 30));
        let berries = content.item_named("berries").unwrap().id;
        assert_eq!(Wielded::holding(&content, Some((berries, 30)), 0), fist, "berries are no weapon");
    }
}
