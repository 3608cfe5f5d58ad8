//! Why gathering or planting was refused: each reason with its stable wire code
//! ([`crate::wire::error`]: 130–137 its own, 124 not enough stamina, 146 dead, the item model's
//! refusals keeping theirs) and its text for the client.

use crate::items::ItemError;
use crate::wire::error as code;

/// Why gathering from an object or planting a seed was refused. Nothing changed when one is
/// returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatherError {
    /// The object needs a tool in the hand slot that is not there (an axe to fell a tree).
    #[error("the {object} needs a tool tagged {tool} in the hand slot")]
    NeedTool {
        /// The object kind's name.
        object: String,
        /// The tag the tool needs (`axe`).
        tool: &'static str,
    },
    /// The object gives nothing at its stage (a tree too young, a bush bare, a crop not ripe).
    #[error("the {object} has nothing to give yet: it is {stage}")]
    NotReady {
        /// The object kind's name.
        object: String,
        /// The name of its stage.
        stage: String,
    },
    /// The object changed while the character worked (felled by someone else): nothing is left.
    #[error("there is nothing left to gather here")]
    NothingLeft,
    /// The inventory has no room for all of what the object gives (nothing is given).
    #[error("no room in the inventory for what the {object} gives")]
    NoRoom {
        /// The object kind's name.
        object: String,
    },
    /// The item cannot be planted (it is not a seed).
    #[error("{item} cannot be planted")]
    NotASeed {
        /// The item kind's name.
        item: String,
    },
    /// The ground at the spot does not take the seed.
    #[error("{item} does not grow on {terrain}")]
    BadSoil {
        /// The item kind's name.
        item: String,
        /// The terrain's name.
        terrain: String,
    },
    /// Something lies or stands at the spot (an object, a wall, the map's edge).
    #[error("something is in the way there")]
    SpotTaken,
    /// The spot is beyond the character's reach.
    #[error("too far away to plant there")]
    TooFar,
    /// Not enough stamina for the work.
    #[error("not enough stamina: {needed} needed, {have} left")]
    Tired {
        /// Stamina the work costs.
        needed: u16,
        /// Stamina the character has.
        have: u16,
    },
    /// The character is dead.
    #[error("the character is dead")]
    Dead,
    /// The item model refused the change (storage busy, no ids, no such slot, ...).
    #[error(transparent)]
    Item(#[from] ItemError),
}

impl GatherError {
    /// The stable code sent in the wire's Error message.
    pub fn code(&self) -> u16 {
        match self {
            GatherError::NeedTool { .. } => code::NEED_TOOL,
            GatherError::NotReady { .. } => code::NOT_READY,
            GatherError::NothingLeft => code::NOTHING_LEFT,
            GatherError::NoRoom { .. } => code::GATHER_NO_ROOM,
            GatherError::NotASeed { .. } => code::NOT_A_SEED,
            GatherError::BadSoil { .. } => code::BAD_SOIL,
            GatherError::SpotTaken => code::SPOT_TAKEN,
            GatherError::TooFar => code::TOO_FAR_TO_PLANT,
            GatherError::Tired { .. } => code::NOT_ENOUGH_STAMINA,
            GatherError::Dead => code::DEAD,
            GatherError::Item(e) => e.code(),
        }
    }
}

impl From<crate::stats::StatError> for GatherError {
    fn from(e: crate::stats::StatError) -> Self {
        match e {
            crate::stats::StatError::Tired { needed, have } => GatherError::Tired { needed, have },
            crate::stats::StatError::Dead => GatherError::Dead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_own_code_in_130_to_137() {
        let own = [
            GatherError::NeedTool { object: "tree".into(), tool: "axe" },
            GatherError::NotReady { object: "crop".into(), stage: "growing".into() },
            GatherError::NothingLeft,
            GatherError::NoRoom { object: "bush".into() },
            GatherError::NotASeed { item: "stone".into() },
            GatherError::BadSoil { item: "seeds".into(), terrain: "sand".into() },
            GatherError::SpotTaken,
            GatherError::TooFar,
        ];
        let codes: Vec<u16> = own.iter().map(GatherError::code).collect();
        assert_eq!(codes, (130..=137).collect::<Vec<u16>>());
        assert_eq!(GatherError::Tired { needed: 10, have: 3 }.code(), code::NOT_ENOUGH_STAMINA);
        assert_eq!(GatherError::from(crate::stats::StatError::Dead).code(), code::DEAD);
        assert_eq!(GatherError::from(ItemError::StorageBusy).code(), code::STORAGE_BUSY);
        let text = GatherError::NeedTool { object: "tree".into(), tool: "axe" }.to_string();
        assert_eq!(text, "the tree needs a tool tagged axe in the hand slot");
    }
}
