//! Shard configuration: defaults, the file < environment < flag order, and errors that name the
//! field and where its value came from; the log format and colour decisions.

use std::collections::HashMap;
use tools::config::{ConfigError, ShardConfig};

fn load(args: &[&str], env: &[(&str, &str)]) -> Result<ShardConfig, ConfigError> {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let args = std::iter::once("shard").chain(args.iter().copied());
    ShardConfig::load(args, |k| env.get(k).cloned())
}

fn field_and_origin(e: ConfigError) -> (&'static str, String) {
    match e {
        ConfigError::Invalid { field, origin, .. } => (field, origin),
        other => panic!("expected an invalid field, got {other}"),
    }
}

#[test]
fn defaults_run_an_embedded_shard() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:7777");
    assert_eq!(c.admin.to_string(), "127.0.0.1:7778");
    assert_eq!((c.bots, c.tick_hz), (tools::config::DEFAULT_BOTS, 20));
    assert_eq!(c.bots, 100, "a newcomer's shard has a world that moves");
    assert_eq!(c.data_dir, std::path::PathBuf::from("./data"));
    assert_eq!((c.database_url, c.redis_url), (None, None));
}

#[test]
fn flag_beats_environment_beats_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shard.toml");
    std::fs::write(&file, "bots = 10\ntick_hz = 30\nlisten = \"0.0.0.0:9000\"\n").unwrap();
    let path = file.to_str().unwrap();
    let c = load(&["--config", path], &[]).unwrap();
    assert_eq!((c.bots, c.tick_hz, c.listen.port()), (10, 30, 9000));
    let c = load(&["--config", path], &[("SHARD_BOTS", "20"), ("SHARD_TICK_HZ", "25")]).unwrap();
    assert_eq!((c.bots, c.tick_hz), (20, 25));
    let c = load(&["--config", path, "--bots", "5000"], &[("SHARD_BOTS", "20")]).unwrap();
    assert_eq!((c.bots, c.tick_hz), (5000, 30), "no SHARD_TICK_HZ this time: the file wins");
}

#[test]
fn bad_values_name_the_field_and_origin() {
    let e = load(&["--listen", "nowhere"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("listen", "--listen".to_string()));
    let e = load(&[], &[("SHARD_TICK_HZ", "0")]).unwrap_err();
    assert_eq!(field_and_origin(e), ("tick_hz", "SHARD_TICK_HZ".to_string()));
    let e = load(&["--database-url", "mysql://x"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("database_url", "--database-url".to_string()));
    let e = load(&[], &[("SHARD_REDIS_URL", "http://x")]).unwrap_err();
    assert_eq!(field_and_origin(e), ("redis_url", "SHARD_REDIS_URL".to_string()));
    let e = load(&["--admin", "127.0.0.1:7777"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e).0, "admin");
    let message = load(&["--tick-hz", "5000"], &[]).unwrap_err().to_string();
    assert!(message.contains("tick_hz") && message.contains("--tick-hz"), "{message}");
}

#[test]
fn negative_and_malformed_numbers_on_flags_name_the_field() {
    let e = load(&["--tick-hz", "-5"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("tick_hz", "--tick-hz".to_string()));
    let e = load(&["--bots", "-1"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("bots", "--bots".to_string()));
    let e = load(&["--slow-tick-ms", "-x"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("slow_tick_ms", "--slow-tick-ms".to_string()));
    let message = load(&["--max-conns-per-ip", "-2"], &[]).unwrap_err().to_string();
    assert!(message.contains("max_conns_per_ip") && message.contains("-2"), "{message}");
}

#[test]
fn file_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shard.toml");
    std::fs::write(&file, "bots = 10\nbogus = 1\n").unwrap();
    let e = load(&["--config", file.to_str().unwrap()], &[]).unwrap_err();
    assert!(matches!(&e, ConfigError::File { reason, .. } if reason.contains("bogus")), "{e}");
    std::fs::write(&file, "tick_hz = \"fast\"\n").unwrap();
    assert!(matches!(load(&["--config", file.to_str().unwrap()], &[]), Err(ConfigError::File { .. })));
    let missing = dir.path().join("missing.toml");
    assert!(matches!(load(&["--config", missing.to_str().unwrap()], &[]), Err(ConfigError::File { .. })));
    assert!(matches!(load(&["--no-such-flag"], &[]), Err(ConfigError::Flags(_))));
}

#[test]
fn postgres_and_redis_urls_are_accepted() {
    let c = load(
        &["--database-url", "postgres://postgres@127.0.0.1/shard"],
        &[("SHARD_REDIS_URL", "redis://127.0.0.1:6379")],
    )
    .unwrap();
    assert_eq!(c.database_url.as_deref(), Some("postgres://postgres@127.0.0.1/shard"));
    assert_eq!(c.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
}

#[test]
fn slow_tick_threshold_defaults_to_half_a_tick_and_is_checked() {
    assert_eq!(load(&[], &[]).unwrap().slow_tick_ms, None);
    assert_eq!(load(&["--slow-tick-ms", "12"], &[]).unwrap().slow_tick_ms, Some(12));
    let opts = tools::serve::options(&load(&[], &[("SHARD_SLOW_TICK_MS", "8")]).unwrap());
    assert_eq!(opts.slow_tick, Some(std::time::Duration::from_millis(8)));
    let e = load(&["--slow-tick-ms", "0"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("slow_tick_ms", "--slow-tick-ms".to_string()));
}

#[test]
fn the_bot_mix_is_read_and_checked() {
    use game::gameplay::bots::BotMix;
    assert_eq!(load(&[], &[]).unwrap().bot_mix, BotMix::default());
    let mix = load(&["--bot-mix", "chop=1,fight=2"], &[]).unwrap().bot_mix;
    assert_eq!(mix, "chop=1,fight=2".parse::<BotMix>().unwrap());
    assert_eq!(
        tools::serve::options(&load(&["--bot-mix", "chop=1"], &[]).unwrap()).bot_mix,
        "chop=1".parse().unwrap()
    );
    for bad in ["dance=1", "chop=0", "chop", ""] {
        let e = load(&[], &[("SHARD_BOT_MIX", bad)]).unwrap_err();
        assert_eq!(field_and_origin(e), ("bot_mix", "SHARD_BOT_MIX".to_string()), "{bad}");
    }
}

#[test]
fn the_start_radius_reaches_the_shard_options_and_is_checked() {
    let default = tools::serve::options(&load(&[], &[]).unwrap()).start_radius_tiles;
    assert_eq!(default, game::shard::ShardOptions::default().start_radius_tiles);
    let opts = tools::serve::options(&load(&["--start-radius", "4"], &[]).unwrap());
    assert_eq!(opts.start_radius_tiles, 4);
    let e = load(&[], &[("SHARD_START_RADIUS", "0")]).unwrap_err();
    assert_eq!(field_and_origin(e), ("start_radius", "SHARD_START_RADIUS".to_string()));
}

#[test]
fn tick_priority_is_off_by_default_and_checked() {
    assert_eq!(load(&[], &[]).unwrap().tick_priority, None);
    assert_eq!(load(&["--tick-priority", "10"], &[]).unwrap().tick_priority, Some(10));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shard.toml");
    std::fs::write(&file, "tick_priority = 99\n").unwrap();
    assert_eq!(load(&["--config", file.to_str().unwrap()], &[]).unwrap().tick_priority, Some(99));
    for bad in ["0", "100", "x"] {
        let e = load(&[], &[("SHARD_TICK_PRIORITY", bad)]).unwrap_err();
        assert_eq!(field_and_origin(e), ("tick_priority", "SHARD_TICK_PRIORITY".to_string()), "{bad}");
    }
}

#[test]
fn slow_client_deadline_reaches_the_network_limits() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.slow_client_ms, 5000);
    let c = load(&[], &[("SHARD_SLOW_CLIENT_MS", "2500")]).unwrap();
    let opts = tools::serve::options(&c);
    assert_eq!(opts.net.slow_client_timeout, std::time::Duration::from_millis(2500));
    assert_eq!(opts.net.validate(), Ok(()));
    let e = load(&["--slow-client-ms", "0"], &[]).unwrap_err();
    assert_eq!(field_and_origin(e), ("slow_client_ms", "--slow-client-ms".to_string()));
}

#[test]
fn unknown_shard_variables_are_reported() {
    let env = ["SHARD_BOTZ", "SHARD_BOTS", "SHARD_LOG_FORMAT", "SHARD_TICK_PRIORITY", "HOME", "PATH"];
    assert_eq!(tools::config::unknown_env_vars(env), vec!["SHARD_BOTZ".to_string()]);
    let known = tools::config::known_env_vars();
    for var in ["SHARD_LISTEN", "SHARD_DATA_DIR", "SHARD_REDIS_PREFIX", "SHARD_TEST_PG"] {
        assert!(known.contains(&var.to_string()), "{var} in {known:?}");
    }
}

#[test]
fn log_format_is_text_or_json_and_nothing_else() {
    use tools::logging::{LogFormat, log_format};
    assert_eq!(log_format(None), Ok(LogFormat::Text));
    assert_eq!(log_format(Some("text")), Ok(LogFormat::Text));
    assert_eq!(log_format(Some("json")), Ok(LogFormat::Json));
    let message = log_format(Some("yaml")).unwrap_err().to_string();
    assert!(message.contains("yaml") && message.contains("text") && message.contains("json"), "{message}");
}

#[test]
fn logs_are_coloured_only_on_a_terminal_without_no_color() {
    use std::ffi::OsStr;
    use tools::logging::use_colour;
    assert!(use_colour(true, None));
    assert!(use_colour(true, Some(OsStr::new(""))), "an empty NO_COLOR does not count");
    assert!(!use_colour(true, Some(OsStr::new("1"))));
    assert!(!use_colour(false, None), "a file gets no escape codes");
}

#[test]
fn the_play_page_is_on_by_default_and_can_be_turned_off() {
    assert!(load(&[], &[]).unwrap().web);
    assert!(!load(&["--no-web"], &[]).unwrap().web);
    assert!(!load(&[], &[("SHARD_WEB", "false")]).unwrap().web);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shard.toml");
    std::fs::write(&file, "web = false\n").unwrap();
    assert!(!load(&["--config", file.to_str().unwrap()], &[]).unwrap().web);
    let e = load(&[], &[("SHARD_WEB", "maybe")]).unwrap_err();
    assert_eq!(field_and_origin(e), ("web", "SHARD_WEB".to_string()));
}

#[test]
fn the_admin_token_is_layered_checked_and_never_printed() {
    const SECRET: &str = "s3cret-token-0123456789";
    assert_eq!(load(&[], &[]).unwrap().admin_token, None);
    let c = load(&[], &[("SHARD_ADMIN_TOKEN", SECRET)]).unwrap();
    assert!(c.admin_token.as_ref().is_some_and(|t| t.matches(SECRET)));
    assert!(!format!("{c:?}").contains(SECRET), "the token never prints");
    let c = load(&["--admin-token", "another-token-0123456789"], &[("SHARD_ADMIN_TOKEN", SECRET)]).unwrap();
    assert!(c.admin_token.unwrap().matches("another-token-0123456789"));
    let e = load(&[], &[("SHARD_ADMIN_TOKEN", "short")]).unwrap_err();
    assert!(!e.to_string().contains("short`"), "{e}");
    assert_eq!(field_and_origin(e), ("admin_token", "SHARD_ADMIN_TOKEN".to_string()));
}

#[test]
fn maps_lease_and_public_address() {
    let c = load(&[], &[]).unwrap();
    assert_eq!((c.maps.clone(), c.lease_seconds), (Vec::new(), 15));
    assert_eq!(c.public_address, "ws://127.0.0.1:7777/", "the listen address by default");
    let c = load(
        &["--maps", "16, 0", "--listen", "10.0.0.2:7000"],
        &[("SHARD_LEASE_SECONDS", "3"), ("SHARD_PUBLIC_ADDRESS", "ws://game-a.example.net:7000/")],
    )
    .unwrap();
    assert_eq!((c.maps.clone(), c.lease_seconds), (vec![16, 0], 3));
    assert_eq!(c.public_address, "ws://game-a.example.net:7000/");
    assert_eq!(field_and_origin(load(&["--maps", "0,x"], &[]).unwrap_err()).0, "maps");
    assert_eq!(field_and_origin(load(&["--maps", "0,0"], &[]).unwrap_err()).0, "maps");
    let (field, origin) = field_and_origin(load(&[], &[("SHARD_LEASE_SECONDS", "1")]).unwrap_err());
    assert_eq!((field, origin.as_str()), ("lease_seconds", "SHARD_LEASE_SECONDS"));
    assert_eq!(
        field_and_origin(load(&["--public-address", "http://x/"], &[]).unwrap_err()).0,
        "public_address"
    );
}
