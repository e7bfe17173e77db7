//! Entities and pure policy decisions.

pub mod ledger;
pub mod limit;
pub mod policy;
pub mod session;

pub use ledger::{ActiveEntry, UserLedger};
pub use limit::LimitDecision;
pub use policy::{
    EffectiveLimit, LimitBehaviour, PolicyConfig, PolicyError, TierPolicy, UserPolicy,
};
pub use session::{Actor, Revocation, RevocationReason, Session, SessionStatus};
