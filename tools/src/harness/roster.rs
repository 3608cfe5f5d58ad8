//! The bots' roster: their names and session tokens, from the accounts file or new random
//! ones, and the hint a wrong-token refusal gives when the names came from an accounts file.

use super::HarnessError;
use super::accounts::{Account, AccountsFile};
use super::config::{HarnessConfig, bot_name};
use net::protocol::SessionToken;
use std::path::Path;

/// A random non-zero session token (a bot's secret for its name).
fn new_token() -> Result<SessionToken, HarnessError> {
    SessionToken::random().map_err(|e| HarnessError::Randomness(e.to_string()))
}

/// The bots' names and tokens: the first `clients` accounts of the accounts file (extended and
/// written back first when it has fewer), with the file's lock to hold for the run; without a
/// file, `name_prefix + i` with new random tokens.
pub fn roster(cfg: &HarnessConfig) -> Result<(Vec<Account>, Option<AccountsFile>), HarnessError> {
    let Some(path) = &cfg.accounts else {
        let fresh = |i| Ok(Account { name: bot_name(&cfg.name_prefix, i), token: new_token()? });
        return Ok(((0..cfg.clients).map(fresh).collect::<Result<_, HarnessError>>()?, None));
    };
    let mut file = AccountsFile::open(path)?;
    let added = file.ensure(cfg.clients, |i| bot_name(&cfg.name_prefix, i))?;
    if cfg.progress {
        let reused = cfg.clients - added;
        eprintln!("accounts: {} ({reused} reused, {added} new)", path.display());
    }
    let accounts = file.accounts()[..cfg.clients].to_vec();
    Ok((accounts, Some(file)))
}

/// What a 4100 (wrong token) refusal suggests when the names came from an accounts file.
pub fn accounts_hint(path: &Path) -> String {
    format!(
        "the accounts file {} may belong to another server (its names exist here with other \
         tokens): pass another `--accounts PATH`, or `--accounts none`",
        path.display()
    )
}
