//! Entities and pure policy decisions.

pub mod assurance;
pub mod change_time;
pub mod device;
pub mod device_type;
pub mod geo;
pub mod ledger;
pub mod limit;
pub mod policy;
pub mod retention;
pub mod session;
pub mod sighting;
pub mod suspicion;

pub use assurance::{Aal, AuthMethod, AuthMethods, SessionAssurance};
pub use device::Device;
pub use device_type::DeviceType;
pub use geo::{Coordinates, Fix};
pub use ledger::{AccountStatus, ActiveEntry, UserLedger};
pub use limit::LimitDecision;
pub use policy::{
    AccountEventsPolicy, EffectiveLimit, EvictionOrder, LimitBehaviour, NewDeviceSignInPolicy,
    PolicyConfig, PolicyError, RevocationScope, SuspiciousPolicy, SuspiciousResponse,
    SuspiciousSignals, TierPolicy, UserPolicy,
};
pub use retention::Retention;
pub use session::{
    Actor, EndState, RefreshLink, Revocation, RevocationReason, Session, SessionEnd, SessionRecord,
    SessionStatus,
};
