//! Reading and writing single attributes, with decode errors that name the item and attribute.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use session_core::ports::StoreError;

use crate::schema::{self, PK};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn number(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn time(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(schema::format_time(at))
}

/// Absent values are left out rather than stored as NULL, so `attribute_not_exists` works on
/// them and items stay small.
pub(crate) fn put_opt(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    if let Some(value) = value {
        item.insert(name.to_owned(), value);
    }
}

/// Decodes the attributes of one item (or of a map nested in one); `context` says which, for
/// the error message.
pub(crate) struct Reader<'a> {
    item: &'a Item,
    context: String,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(item: &'a Item, kind: &str) -> Self {
        let context = match item.get(PK) {
            Some(AttributeValue::S(pk)) => format!("{kind} item `{pk}`"),
            _ => format!("{kind} item"),
        };
        Self { item, context }
    }

    pub(crate) fn corrupt(&self, name: &str, problem: impl Display) -> StoreError {
        StoreError::Corrupt(format!("{}: attribute `{name}` {problem}", self.context))
    }

    /// A reader for the map in attribute `name`.
    pub(crate) fn nested(&self, name: &str, map: &'a Item) -> Reader<'a> {
        Reader {
            item: map,
            context: format!("{}, in `{name}`", self.context),
        }
    }

    /// NULL counts as absent: another writer may have stored it for "no value".
    fn get(&self, name: &str) -> Option<&'a AttributeValue> {
        self.item
            .get(name)
            .filter(|v| !matches!(v, AttributeValue::Null(_)))
    }

    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(text)),
            Some(_) => Err(self.corrupt(name, "is not a string")),
        }
    }

    pub(crate) fn str(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_str(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.opt_str(name)?.map(str::to_owned))
    }

    /// A string attribute parsed into `T` (ids, addresses, names).
    pub(crate) fn opt_parse<T>(&self, name: &str) -> Result<Option<T>, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.opt_str(name)?
            .map(|text| {
                text.parse()
                    .map_err(|e| self.corrupt(name, format_args!("is not valid: {e}")))
            })
            .transpose()
    }

    pub(crate) fn parse<T>(&self, name: &str) -> Result<T, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.opt_parse(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub(crate) fn opt_number<T>(&self, name: &str) -> Result<Option<T>, StoreError>
    where
        T: FromStr,
    {
        match self.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(name, format_args!("is out of range: {text}"))),
            Some(_) => Err(self.corrupt(name, "is not a number")),
        }
    }

    pub(crate) fn number<T: FromStr>(&self, name: &str) -> Result<T, StoreError> {
        self.opt_number(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, StoreError> {
        match self.get(name) {
            Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(self.corrupt(name, "is not a boolean")),
            None => Ok(None),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<bool, StoreError> {
        self.opt_bool(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub(crate) fn opt_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_str(name)?
            .map(|text| {
                schema::parse_time(text).ok_or_else(|| {
                    self.corrupt(name, format_args!("is not an RFC 3339 time: {text}"))
                })
            })
            .transpose()
    }

    pub(crate) fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        self.opt_time(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub(crate) fn opt_map(&self, name: &str) -> Result<Option<&'a Item>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(AttributeValue::M(map)) => Ok(Some(map)),
            Some(_) => Err(self.corrupt(name, "is not a map")),
        }
    }

    pub(crate) fn map(&self, name: &str) -> Result<&'a Item, StoreError> {
        self.opt_map(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    /// A list of strings; absent is empty.
    pub(crate) fn string_list(&self, name: &str) -> Result<Vec<&'a str>, StoreError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| match v {
                    AttributeValue::S(text) => Ok(text.as_str()),
                    _ => Err(self.corrupt(name, "holds a value that is not a string")),
                })
                .collect(),
            Some(_) => Err(self.corrupt(name, "is not a list")),
        }
    }
}
