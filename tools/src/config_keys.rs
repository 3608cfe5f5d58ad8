//! The keys the configuration file accepts, read from the loader's own file type, so a list of
//! them (the example file, documentation) can be checked against the loader.

use crate::config::FileSettings;
use serde::Deserialize as _;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

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
