//! The actions of survival mode (`bots --mode survival`) and the mix that weighs them
//! (`--mix craft=30,equip=30,eat=40,chat=4,attack=15,gather=30,chop=30,plant=15,harvest=30,travel=0`).
//!
//! [`SurvivalAction::ALL`] is the list of what a survival bot can do, and the one place their
//! names live (the report and `--mix` spell them so). A new action is a variant here, its name,
//! its default weight in [`DEFAULT_WEIGHTS`], and a planner (`survival_plan.rs`,
//! `survival_gather.rs`) called from `SurvivalPlay::plan_for`.

use super::item_counts::Action;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// One kind of action a survival bot takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum SurvivalAction {
    /// A Craft of a weapon from the items held (the club from the starter kit's branches),
    /// standing still; done when CraftProgress says `done`.
    Craft,
    /// An InventoryMove of a weapon into the empty hand slot; done when the inventory changes.
    Equip,
    /// A UseItem on food while Stats show hunger above 0; done when the inventory changes.
    Eat,
    /// A Chat line; done when the bot hears its own line back (ChatHeard with its request).
    Chat,
    /// An attack (Input order 4) on a character nearby for a few seconds, then a Stop; done
    /// when the target's health was seen to drop meanwhile.
    Attack,
    /// An interact (Input order 3, use) on the nearest object in view that gives something by
    /// hand at its stage (a laden bush, a rock); done when the inventory gains items.
    Gather,
    /// With a tool in the hand slot, an interact on the nearest object in view that needs it and
    /// gives something at its stage (a mature or old tree, with an axe); done when the inventory
    /// gains items (logs). Without the tool in hand, picking `chop` gets it ready instead: a Craft
    /// of it (counted as `craft`) or InventoryMoves into and out of the hand (counted as
    /// `equip`).
    Chop,
    /// A Plant of a seed carried, where the character stands or next to it, standing still;
    /// done when the crop it grows into appears there (an ObjectDelta).
    Plant,
    /// An interact on the nearest crop in view that gives something at its stage (ripe); done
    /// when the inventory gains items.
    Harvest,
    /// An interact (use) on the nearest way to another layer in view (a cave entrance, or a
    /// cave's way out); done when the bot, handed off through a Redirect, is welcomed on the map
    /// the way leads to. Off by default (weight 0): each travel is a reconnection and a new
    /// map's chunks, which the survival figures leave out.
    Travel,
}

impl SurvivalAction {
    /// Every action, in the order of [`Mix`]'s weights.
    pub const ALL: [SurvivalAction; ACTIONS] = [
        SurvivalAction::Craft,
        SurvivalAction::Equip,
        SurvivalAction::Eat,
        SurvivalAction::Chat,
        SurvivalAction::Attack,
        SurvivalAction::Gather,
        SurvivalAction::Chop,
        SurvivalAction::Plant,
        SurvivalAction::Harvest,
        SurvivalAction::Travel,
    ];

    /// Its index in [`SurvivalAction::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The action named `name` (as the report and `--mix` spell it).
    pub fn named(name: &str) -> Option<SurvivalAction> {
        SurvivalAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl Action for SurvivalAction {
    fn name(self) -> &'static str {
        match self {
            SurvivalAction::Craft => "craft",
            SurvivalAction::Equip => "equip",
            SurvivalAction::Eat => "eat",
            SurvivalAction::Chat => "chat",
            SurvivalAction::Attack => "attack",
            SurvivalAction::Gather => "gather",
            SurvivalAction::Chop => "chop",
            SurvivalAction::Plant => "plant",
            SurvivalAction::Harvest => "harvest",
            SurvivalAction::Travel => "travel",
        }
    }
}

/// How many actions there are.
pub const ACTIONS: usize = 10;

/// Default weights, in the order of [`SurvivalAction::ALL`]: crafting, equipping, eating,
/// gathering, chopping and harvesting come first whenever they are possible (each is possible
/// only now and then: with an ingredient, a tool, hunger, a resource in view), planting a little
/// less (a bot keeps some seeds), chatting and attacking fill the rest; travelling is asked for
/// (`--mix travel=10`).
pub const DEFAULT_WEIGHTS: [u32; ACTIONS] = [30, 30, 40, 4, 15, 30, 30, 15, 30, 0];

/// Largest weight accepted (the sum of every weight then fits a `u32` easily).
pub const MAX_WEIGHT: u32 = 1_000_000;

/// How often a survival bot picks each action, among those possible at the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mix {
    /// Weights in the order of [`SurvivalAction::ALL`]; 0 never picks the action.
    pub weights: [u32; ACTIONS],
}

impl Default for Mix {
    fn default() -> Self {
        Mix { weights: DEFAULT_WEIGHTS }
    }
}

impl Mix {
    /// The weight of `action`.
    pub fn weight(&self, action: SurvivalAction) -> u32 {
        self.weights[action.index()]
    }
}

/// Why a `--mix` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MixError {
    /// An entry is not `name=weight`.
    Entry(String),
    /// No action has this name.
    UnknownAction(String),
    /// The weight is not a whole number up to [`MAX_WEIGHT`].
    BadWeight(String),
    /// Every weight is 0: the bots would do nothing.
    AllZero,
}

impl fmt::Display for MixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = SurvivalAction::ALL.iter().map(|a| a.name()).collect();
        match self {
            Self::Entry(e) => write!(f, "`{e}` is not NAME=WEIGHT"),
            Self::UnknownAction(n) => write!(f, "no action `{n}` (actions: {})", names.join(", ")),
            Self::BadWeight(w) => write!(f, "weight `{w}` is not a whole number from 0 to {MAX_WEIGHT}"),
            Self::AllZero => write!(f, "every weight is 0"),
        }
    }
}

impl std::error::Error for MixError {}

impl FromStr for Mix {
    type Err = MixError;

    /// `name=weight` entries separated by commas; an action not named keeps its default weight.
    fn from_str(s: &str) -> Result<Mix, MixError> {
        let mut mix = Mix::default();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, weight) = entry.split_once('=').ok_or_else(|| MixError::Entry(entry.to_owned()))?;
            let (name, weight) = (name.trim(), weight.trim());
            let action =
                SurvivalAction::named(name).ok_or_else(|| MixError::UnknownAction(name.to_owned()))?;
            let w = weight.parse::<u32>().ok().filter(|w| *w <= MAX_WEIGHT);
            mix.weights[action.index()] = w.ok_or_else(|| MixError::BadWeight(weight.to_owned()))?;
        }
        if mix.weights.iter().all(|w| *w == 0) {
            return Err(MixError::AllZero);
        }
        Ok(mix)
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, action) in SurvivalAction::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(f, "{sep}{}={}", action.name(), self.weights[i])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_of_all_is_the_order_of_the_weights() {
        for (i, a) in SurvivalAction::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(SurvivalAction::named(a.name()), Some(*a));
        }
    }

    #[test]
    fn a_mix_names_some_actions_and_keeps_the_defaults_of_the_others() {
        let mix: Mix = "attack=50, chat=0, plant=2".parse().unwrap();
        assert_eq!(mix.weights, [30, 30, 40, 0, 50, 30, 30, 2, 30, 0]);
        assert_eq!(
            mix.to_string(),
            "craft=30,equip=30,eat=40,chat=0,attack=50,gather=30,chop=30,plant=2,harvest=30,travel=0"
        );
        assert_eq!(mix.to_string().parse::<Mix>(), Ok(mix));
        assert_eq!("".parse::<Mix>(), Ok(Mix::default()));
    }

    #[test]
    fn a_bad_mix_says_what_is_wrong() {
        assert_eq!("dance=3".parse::<Mix>(), Err(MixError::UnknownAction("dance".into())));
        assert_eq!("eat".parse::<Mix>(), Err(MixError::Entry("eat".into())));
        assert_eq!("eat=-1".parse::<Mix>(), Err(MixError::BadWeight("-1".into())));
        assert_eq!("eat=2000000".parse::<Mix>(), Err(MixError::BadWeight("2000000".into())));
        let none =
            "craft=0,equip=0,eat=0,chat=0,attack=0,gather=0,chop=0,plant=0,harvest=0,travel=0".parse::<Mix>();
        assert_eq!(none, Err(MixError::AllZero));
        let names = "craft, equip, eat, chat, attack, gather, chop, plant, harvest, travel";
        assert!(MixError::UnknownAction("x".into()).to_string().contains(names));
    }
}
