//! The command line of `world_tick` and how it sets up its threads: as before by default (ticks
//! back to back, rayon's default pool), or as the shard runs them (`--as-shard`, implied by
//! `--items`): ticks paced at 20 Hz in real time, the store's and the chunk service's threads
//! started in the batch scheduling class (`tools::sched`), the tick thread worker 0 of rayon's
//! pool, and with `--tick-priority N` the tick thread and its helpers in the real-time class.

use game::gameplay::bots::BotMix;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldArgs {
    /// Characters.
    pub entities: usize,
    /// Measured ticks.
    pub ticks: u64,
    /// Players replicated to.
    pub clients: usize,
    /// Characters per chunk of area.
    pub per_chunk: f64,
    /// One player per this many characters, the others bots.
    pub players_every: usize,
    /// Players play with items (`bench::item_play`).
    pub items: bool,
    /// Seconds between one player's item decisions (lowest, highest).
    pub item_every: (f64, f64),
    /// With items, what the bots do: they play the survival loop with this mix
    /// (`--bot-mix wander=1`: they only wander, as without items).
    pub bot_mix: BotMix,
    /// Ticks paced at the tick rate in real time.
    pub paced: bool,
    /// Threads set up as the shard's.
    pub shard_threads: bool,
    /// Real-time priority of the tick thread and its rayon helpers.
    pub tick_priority: Option<u8>,
}

impl Default for WorldArgs {
    fn default() -> Self {
        Self {
            entities: 6_000,
            ticks: 600,
            clients: 0,
            per_chunk: 170.0,
            players_every: 6,
            items: false,
            item_every: (1.0, 3.0),
            bot_mix: BotMix::default(),
            paced: false,
            shard_threads: false,
            tick_priority: None,
        }
    }
}

/// Why the command line was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError(String);

impl std::fmt::Display for ArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; usage: world_tick [entities] [ticks] [clients] [per_chunk] [--items] \
             [--item-every LO-HI] [--bot-mix MIX] [--players-every K] [--as-shard] [--unpaced] [--tick-priority N]",
            self.0
        )
    }
}

impl std::error::Error for ArgsError {}

impl WorldArgs {
    /// Reads the arguments (without the program name): numbers in order, flags anywhere.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, ArgsError> {
        let mut a = WorldArgs::default();
        let (mut positional, mut unpaced, mut args) = (Vec::new(), false, args.into_iter());
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| ArgsError(format!("{arg} needs a value")));
            match arg.as_str() {
                "--items" => a.items = true,
                "--as-shard" => a.shard_threads = true,
                "--unpaced" => unpaced = true,
                "--item-every" => a.item_every = range(&value()?)?,
                "--bot-mix" => {
                    a.bot_mix = value()?.parse().map_err(|e| ArgsError(format!("--bot-mix: {e}")))?
                }
                "--players-every" => a.players_every = number(&value()?)?,
                "--tick-priority" => a.tick_priority = Some(number(&value()?)?),
                flag if flag.starts_with("--") => return Err(ArgsError(format!("unknown flag {flag}"))),
                _ => positional.push(arg.clone()),
            }
        }
        if positional.len() > 4 {
            return Err(ArgsError(format!("too many numbers: {positional:?}")));
        }
        let mut p = positional.iter();
        a.entities = p.next().map_or(Ok(a.entities), |v| number(v))?;
        a.ticks = p.next().map_or(Ok(a.ticks), |v| number(v))?;
        a.clients = p.next().map_or(Ok(a.clients), |v| number(v))?;
        a.per_chunk = p.next().map_or(Ok(a.per_chunk), |v| number(v))?;
        a.shard_threads |= a.items || a.tick_priority.is_some();
        a.paced = a.shard_threads && !unpaced;
        if a.players_every == 0 || a.tick_priority.is_some_and(|p| !(1..=99).contains(&p)) {
            return Err(ArgsError("--players-every is at least 1, --tick-priority 1 to 99".into()));
        }
        Ok(a)
    }

    /// Runs `start` (it opens the store and the map, which start their threads) as the shard
    /// starts its services when the threads are set up as the shard's; then makes the calling
    /// thread rayon's worker 0 (and real-time with a priority). Otherwise just runs `start`.
    pub fn start_threads<T>(&self, start: impl FnOnce() -> T) -> T {
        if !self.shard_threads {
            return start();
        }
        let out = tools::sched::start_in_background(start);
        // As `tools::serve` does: the tick thread is worker 0 of rayon's global pool.
        let mut pool = rayon::ThreadPoolBuilder::new().use_current_thread();
        if let Some(priority) = self.tick_priority {
            if !tools::sched::make_realtime(priority, "tick") {
                eprintln!("the tick thread stays in the normal class (needs CAP_SYS_NICE)");
            }
            pool = pool.start_handler(move |i| {
                tools::sched::make_realtime(priority, &format!("rayon helper {i}"));
            });
        }
        if let Err(e) = pool.build_global() {
            eprintln!("rayon's pool already exists: {e}");
        }
        out
    }
}

fn number<T: std::str::FromStr>(v: &str) -> Result<T, ArgsError> {
    v.parse().map_err(|_| ArgsError(format!("not a number: {v}")))
}

/// `LO-HI` or one number for both.
fn range(v: &str) -> Result<(f64, f64), ArgsError> {
    let (lo, hi) = v.split_once('-').unwrap_or((v, v));
    let (lo, hi): (f64, f64) = (number(lo)?, number(hi)?);
    if !(lo > 0.0 && hi >= lo) {
        return Err(ArgsError(format!("--item-every wants 0 < LO <= HI, got {v}")));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<WorldArgs, ArgsError> {
        WorldArgs::parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn numbers_keep_their_order_and_flags_go_anywhere() {
        let a = parse("6000 --items 300 1000 --item-every 0.5-2 25").unwrap();
        assert_eq!((a.entities, a.ticks, a.clients, a.per_chunk), (6000, 300, 1000, 25.0));
        assert_eq!(a.item_every, (0.5, 2.0));
        assert!(a.items && a.shard_threads && a.paced, "items run as the shard: {a:?}");
    }

    #[test]
    fn without_flags_the_run_is_as_before() {
        let a = parse("").unwrap();
        assert_eq!(a, WorldArgs::default());
        assert!(!a.paced && !a.shard_threads);
        let a = parse("6000 --items --unpaced").unwrap();
        assert!(a.shard_threads && !a.paced);
        assert!(parse("--as-shard").unwrap().paced);
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = |s| parse(s).unwrap_err().to_string();
        assert!(err("--frobnicate").contains("unknown flag --frobnicate"));
        assert!(err("6000 x").contains("not a number: x"));
        assert!(err("--item-every").contains("--item-every needs a value"));
        assert!(err("--item-every 3-1").contains("0 < LO <= HI"));
        assert!(err("--players-every 0").contains("at least 1"));
        assert!(err("--tick-priority 100").contains("1 to 99"));
        assert!(err("1 2 3 4 5").contains("too many numbers"));
    }
}
