//! The configuration file (`--config`): its settings type, and the keys it accepts, read from
//! that type, so a list of them (the example file, the known `SHARD_*` variables) can be checked
//! against the loader.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::path::PathBuf;

/// The settings as written in the TOML file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSettings {
    pub(crate) listen: Option<String>,
    pub(crate) admin: Option<String>,
    pub(crate) bots: Option<u32>,
    pub(crate) bot_mix: Option<String>,
    pub(crate) start_radius: Option<u32>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) database_url: Option<String>,
    pub(crate) redis_url: Option<String>,
    pub(crate) tick_hz: Option<u32>,
    pub(crate) max_conns_per_ip: Option<u32>,
    pub(crate) slow_client_ms: Option<u32>,
    pub(crate) shard_id: Option<String>,
    pub(crate) redis_prefix: Option<String>,
    pub(crate) slow_tick_ms: Option<u32>,
    pub(crate) tick_priority: Option<u32>,
    pub(crate) web: Option<bool>,
    pub(crate) admin_token: Option<String>,
    pub(crate) maps: Option<String>,
    pub(crate) lease_seconds: Option<u32>,
    pub(crate) public_address: Option<String>,
}

/// Every key of the TOML file `--config` reads, in declaration order.
pub fn file_keys() -> &'static [&'static str] {
    match FileSettings::deserialize(FieldRecorder) {
        Err(Recorded(Some(fields))) => fields,
        _ => &[],
    }
}

/// The "error" that carries the field names a struct asked for.
#[derive(Debug)]
struct Recorded(Option<&'static [&'static str]>);

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recorded the fields {:?}", self.0)
    }
}

impl std::error::Error for Recorded {}

impl de::Error for Recorded {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self(None)
    }
}

/// A deserializer that deserializes nothing: it stops at the first struct and records its fields.
struct FieldRecorder;

impl<'de> Deserializer<'de> for FieldRecorder {
    type Error = Recorded;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
        Err(Recorded(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Recorded> {
        Err(Recorded(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
