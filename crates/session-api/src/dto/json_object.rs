//! Request bodies are JSON objects. serde's derive also reads a struct from a JSON array of its
//! fields in order (`["plaid"]` for `{"provider_name": "plaid"}`): a second spelling of every
//! body, which the API neither documents nor wants (and whose positional fields dodge
//! `deny_unknown_fields`). A request body type derives `Deserialize` with
//! `#[serde(remote = "Self")]`, which makes the derived code an inherent `Self::deserialize`, and
//! [`object_body!`] implements the trait on top of it, for objects only.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};

/// The derived deserializer of a body type (its inherent `deserialize`).
pub(crate) trait DerivedDeserialize<'de>: Sized {
    fn derived<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Deserializes `T` from a JSON object; anything else is "invalid type: ..., expected a JSON
/// object" (`invalid_body`).
pub(crate) fn only_objects<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DerivedDeserialize<'de>,
{
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: DerivedDeserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::derived(MapAccessDeserializer::new(map))
    }
}

/// `Deserialize` for a body type whose derive has `#[serde(remote = "Self")]`: objects only.
macro_rules! object_body {
    ($body:ty) => {
        impl<'de> $crate::dto::json_object::DerivedDeserialize<'de> for $body {
            fn derived<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // The inherent function the derive generated, not this trait's.
                <$body>::deserialize(deserializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $body {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::dto::json_object::only_objects(deserializer)
            }
        }
    };
}

pub(crate) use object_body;
