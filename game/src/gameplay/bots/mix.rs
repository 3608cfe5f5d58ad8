//! What server-side bots playing the loop choose to do, and how often: the [`Activity`] list and
//! the [`BotMix`] that weighs it (`gather=40,chop=20,craft=15,plant=10,fight=5,wander=10`, the
//! shard's `bot_mix` setting). Eating when hungry, equipping what an activity needs and dropping
//! a stack when the inventory is full are not in the mix: a bot does them when they are due.

use std::fmt;
use std::str::FromStr;

/// One thing a bot playing the loop sets out to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Activity {
    /// Work the nearest object that gives something without a tool the bot lacks (a laden
    /// bush, a rock, a ripe crop) or pick up a pile.
    Gather,
    /// Fell the nearest grown tree with an axe (crafting and equipping one first).
    Chop,
    /// Craft a recipe the bot has everything for.
    Craft,
    /// Plant a seed beside itself.
    Plant,
    /// Attack the nearest other bot.
    Fight,
    /// Walk to a random point nearby.
    Wander,
}

impl Activity {
    /// Every activity, in the order of [`BotMix`]'s weights.
    pub const ALL: [Activity; 6] = [
        Activity::Gather,
        Activity::Chop,
        Activity::Craft,
        Activity::Plant,
        Activity::Fight,
        Activity::Wander,
    ];

    /// The name the mix and the metrics use.
    pub fn name(self) -> &'static str {
        match self {
            Activity::Gather => "gather",
            Activity::Chop => "chop",
            Activity::Craft => "craft",
            Activity::Plant => "plant",
            Activity::Fight => "fight",
            Activity::Wander => "wander",
        }
    }

    /// The activity called `name`.
    pub fn named(name: &str) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Weights of the activities (relative; a weight of 0 turns one off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotMix {
    weights: [u32; Activity::ALL.len()],
}

/// The default weights, in [`Activity::ALL`] order.
pub const DEFAULT_BOT_WEIGHTS: [u32; Activity::ALL.len()] = [40, 20, 15, 10, 5, 10];

/// Most a single weight may be (keeps the sum far from overflow).
const MAX_WEIGHT: u32 = 1_000_000;

impl Default for BotMix {
    fn default() -> Self {
        BotMix { weights: DEFAULT_BOT_WEIGHTS }
    }
}

/// Why a mix did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotMixError {
    /// An entry is not `name=weight`.
    #[error("bot mix entry `{0}` is not name=weight")]
    Malformed(String),
    /// No activity has that name.
    #[error("bot mix names `{0}`, which is not one of gather, chop, craft, plant, fight, wander")]
    Unknown(String),
    /// A weight is not a number up to 1,000,000.
    #[error("bot mix weight `{0}` is not a whole number up to 1000000")]
    BadWeight(String),
    /// An activity is named twice.
    #[error("bot mix names `{0}` twice")]
    Repeated(String),
    /// Every weight is 0.
    #[error("bot mix gives every activity weight 0")]
    AllZero,
}

impl BotMix {
    /// The weight of `a`.
    pub fn weight(&self, a: Activity) -> u32 {
        self.weights[a as usize]
    }

    /// The activity a uniform random `roll` picks.
    pub fn pick(&self, roll: u64) -> Activity {
        let total: u64 = self.weights.iter().map(|&w| u64::from(w)).sum();
        let mut at = roll % total.max(1);
        for (a, &w) in Activity::ALL.iter().zip(&self.weights) {
            if at < u64::from(w) {
                return *a;
            }
            at -= u64::from(w);
        }
        Activity::Wander
    }
}

impl FromStr for BotMix {
    type Err = BotMixError;

    /// `name=weight` entries separated by commas; activities not named weigh 0.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = [0u32; Activity::ALL.len()];
        let mut seen = [false; Activity::ALL.len()];
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, weight) = entry.split_once('=').ok_or_else(|| BotMixError::Malformed(entry.into()))?;
            let a = Activity::named(name.trim()).ok_or_else(|| BotMixError::Unknown(name.trim().into()))?;
            let w: u32 = weight.trim().parse().map_err(|_| BotMixError::BadWeight(weight.trim().into()))?;
            if w > MAX_WEIGHT {
                return Err(BotMixError::BadWeight(weight.trim().into()));
            }
            if std::mem::replace(&mut seen[a as usize], true) {
                return Err(BotMixError::Repeated(a.name().into()));
            }
            weights[a as usize] = w;
        }
        if weights.iter().all(|&w| w == 0) {
            return Err(BotMixError::AllZero);
        }
        Ok(BotMix { weights })
    }
}

impl fmt::Display for BotMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> =
            Activity::ALL.iter().map(|a| format!("{}={}", a.name(), self.weight(*a))).collect();
        f.write_str(&entries.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_parses_and_prints_back() {
        let mix: BotMix = "chop=3, fight=1".parse().unwrap();
        assert_eq!(mix.weight(Activity::Chop), 3);
        assert_eq!(mix.weight(Activity::Gather), 0);
        assert_eq!(mix.to_string().parse::<BotMix>().unwrap(), mix);
        assert_eq!(BotMix::default().to_string().parse::<BotMix>().unwrap(), BotMix::default());
    }

    #[test]
    fn bad_mixes_say_why() {
        assert_eq!("dance=1".parse::<BotMix>(), Err(BotMixError::Unknown("dance".into())));
        assert_eq!("chop".parse::<BotMix>(), Err(BotMixError::Malformed("chop".into())));
        assert_eq!("chop=x".parse::<BotMix>(), Err(BotMixError::BadWeight("x".into())));
        assert_eq!("chop=1,chop=2".parse::<BotMix>(), Err(BotMixError::Repeated("chop".into())));
        assert_eq!("chop=0".parse::<BotMix>(), Err(BotMixError::AllZero));
        assert!("chop=2000000".parse::<BotMix>().is_err());
    }

    #[test]
    fn picks_follow_the_weights() {
        let mix: BotMix = "gather=1,fight=3".parse().unwrap();
        let picks: Vec<Activity> = (0..4).map(|r| mix.pick(r)).collect();
        assert_eq!(picks, [Activity::Gather, Activity::Fight, Activity::Fight, Activity::Fight]);
        let counts = (0..1000u64).filter(|&r| mix.pick(r) == Activity::Fight).count();
        assert_eq!(counts, 750, "three in four");
    }
}
