//! A refresh's one-write rotation (`ports::FastRotation`) as a single conditional UpdateItem:
//! the condition carries what a read would have checked, the update does what
//! `Session::refreshed` does, and the answer is the item as written (`ALL_NEW`) or, when the
//! condition fails, as stored (`ALL_OLD` on the failure): one round trip either way.
//!
//! Every clause errs towards not applying: a session the condition cannot prove active, or a
//! client it cannot prove unchanged, goes to the caller's read-and-decide path, which has the
//! domain's exact rules.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use session_core::domain::Session;
use session_core::ports::{FastRotation, RotationAttempt, StoreError, Versioned};

use crate::codec::{self, Item, attr};
use crate::error::store_error;
use crate::schema::session_attr::{
    EXPIRES_AT, IDLE_DEADLINE_MICROS, IDLE_TIMEOUT_MICROS, IDLE_TIMEOUT_SECS, LAST_ACTIVITY_AT,
    LAST_IP_ADDRESS, LAST_USER_AGENT, PREVIOUS_REFRESH_TOKEN_HASH, REFRESH_ROTATED_AT,
    REFRESH_TOKEN_HASH, REVOCATION, USER_AGENT,
};
use crate::schema::{self, PK, VERSION};

pub(crate) async fn rotate(
    client: &Client,
    table: &str,
    rotation: &FastRotation,
) -> Result<RotationAttempt, StoreError> {
    let request = Request::new(rotation);
    let outcome = client
        .update_item()
        .table_name(table)
        .set_key(Some(schema::session_key(rotation.session_id)))
        .condition_expression(request.condition)
        .update_expression(request.update)
        .set_expression_attribute_names(Some(request.names))
        .set_expression_attribute_values(Some(request.values))
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match outcome {
        Ok(output) => {
            let item = output.attributes.unwrap_or_default();
            Ok(RotationAttempt::Rotated(decode(&item)?))
        }
        Err(error) => match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                let stored = failed.item().map(decode).transpose()?;
                Ok(RotationAttempt::NotApplied(stored))
            }
            _ => Err(store_error("UpdateItem", error)),
        },
    }
}

fn decode(item: &Item) -> Result<Versioned<Session>, StoreError> {
    codec::decode_session(item)
}

/// The expressions of one rotation.
struct Request {
    condition: String,
    update: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Request {
    fn new(rotation: &FastRotation) -> Self {
        let now_text = schema::format_time(rotation.now);
        let mut names: HashMap<String, String> = [
            ("#pk", PK),
            ("#rt", REFRESH_TOKEN_HASH),
            ("#prev", PREVIOUS_REFRESH_TOKEN_HASH),
            ("#rot", REFRESH_ROTATED_AT),
            ("#rev", REVOCATION),
            ("#exp", EXPIRES_AT),
            ("#last", LAST_ACTIVITY_AT),
            ("#idle", IDLE_TIMEOUT_SECS),
            ("#idl", IDLE_DEADLINE_MICROS),
            ("#idleus", IDLE_TIMEOUT_MICROS),
            ("#ver", VERSION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut values: HashMap<String, AttributeValue> = [
            (":presented", attr::string(rotation.presented.as_str())),
            (":next", attr::string(rotation.next.as_str())),
            (":now", attr::string(now_text)),
            (":now_us", attr::number(rotation.now.timestamp_micros())),
            (":zero", attr::number(0)),
            (":one", attr::number(1)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        // Active: unrevoked, unexpired, not idle. Times are fixed-width RFC 3339 text, so text
        // order is time order; the idle deadline is whole microseconds rounded down, so
        // `deadline > now` in microseconds implies it in nanoseconds.
        let mut condition = "#rt = :presented AND attribute_not_exists(#rev) AND #exp > :now \
             AND #last <= :now AND (attribute_not_exists(#idle) OR #idl > :now_us)"
            .to_owned();
        if let Some(ip) = rotation.ip_address {
            names.insert("#lip".to_owned(), LAST_IP_ADDRESS.to_owned());
            values.insert(":ip".to_owned(), attr::string(ip.to_string()));
            condition.push_str(" AND #lip = :ip");
        }
        if let Some(user_agent) = &rotation.user_agent {
            names.insert("#ua".to_owned(), USER_AGENT.to_owned());
            names.insert("#lua".to_owned(), LAST_USER_AGENT.to_owned());
            values.insert(":ua".to_owned(), attr::string(user_agent.as_str()));
            // The user agent a report is compared with: the latest recorded one, else the
            // login's (Session::current_user_agent).
            condition.push_str(" AND (#lua = :ua OR (attribute_not_exists(#lua) AND #ua = :ua))");
        }
        // Session::refreshed: the current link becomes the previous one, `next` the current,
        // and the request is recorded as activity (which moves the idle deadline; for a session
        // without an idle timeout the deadline attribute is written but never read).
        let update = "SET #prev = #rt, #rt = :next, #rot = :now, #last = :now, \
                      #idl = if_not_exists(#idleus, :zero) + :now_us, #ver = #ver + :one"
            .to_owned();
        Self {
            condition: format!("attribute_exists(#pk) AND {condition}"),
            update,
            names,
            values,
        }
    }
}
