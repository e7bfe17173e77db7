//! Who acted (a revocation's `by`, a disabled account's `by`): `{type, id}`, `id` absent for the
//! system. Items written before admins and auth events were actors hold `{type: "user",
//! user_id}` or `{type: "service"}` (read as the system).

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::Actor;

use super::attr::{self, Item, Reader};
use session_core::ports::StoreError;

const TYPE: &str = "type";
const ID: &str = "id";
/// The id attribute of user actors in items written before `id`.
const LEGACY_USER_ID: &str = "user_id";

pub(crate) fn encode_actor(actor: &Actor) -> AttributeValue {
    let mut map = Item::from([(TYPE.to_owned(), attr::string(actor.kind()))]);
    attr::put_opt(&mut map, ID, actor.id().map(attr::string));
    AttributeValue::M(map)
}

pub(crate) fn decode_actor(r: &Reader<'_>) -> Result<Actor, StoreError> {
    let id = |r: &Reader<'_>| match r.opt_str(ID)? {
        Some(_) => r.parse(ID),
        None => r.parse(LEGACY_USER_ID),
    };
    match r.str(TYPE)? {
        "user" => Ok(Actor::User { user_id: id(r)? }),
        "admin" => Ok(Actor::Admin {
            actor: r.parse(ID)?,
        }),
        "auth_event" => Ok(Actor::AuthEvent {
            event_id: r.parse(ID)?,
        }),
        "system" | "service" => Ok(Actor::System),
        other => Err(r.corrupt(TYPE, format_args!("is not an actor type: {other}"))),
    }
}
