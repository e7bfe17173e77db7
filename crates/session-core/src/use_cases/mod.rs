//! One file per command or query: its input type, its outcome and its handler (a method on
//! [`crate::Sessions`]).

pub mod authorize_request;
pub mod create_session;
pub mod get_session;
pub mod link_refresh_token;
pub mod list_devices;
pub mod list_user_sessions;
pub mod record_provider_access;
pub mod redact_personal_data;
pub mod refresh_session;
pub mod remove_device;
pub mod rename_device;
pub mod resume_revoke_alls;
pub mod revoke_all_user_sessions;
pub mod revoke_session;
pub mod revoke_users_sessions;
pub mod set_account_status;
pub mod set_user_session_policy;
pub mod step_up_session;
pub mod trust_device;
pub mod update_session_activity;
pub mod validate_session;

pub use authorize_request::{Authorization, AuthorizeRequest, DenialReason};
pub use create_session::{CreateSession, CreatedSession, LoginDevice};
pub use get_session::GetSession;
pub use link_refresh_token::LinkRefreshTokenToSession;
pub use list_devices::{ListDevices, ListedDevice};
pub use list_user_sessions::{
    AccountSessions, ListUserSessions, ListedSession, SessionFilter, SessionList,
};
pub use record_provider_access::RecordProviderAccess;
pub use redact_personal_data::{REDACTION_PAGE, RedactPersonalData, Redacted};
pub use refresh_session::{RefreshSession, Refreshed, RefreshedSession};
pub use remove_device::RemoveDevice;
pub use rename_device::RenameDevice;
pub use resume_revoke_alls::{ABANDONED, GIVE_UP_AFTER, ResumedRevokeAlls};
pub use revoke_all_user_sessions::{
    REVOKE_ALL_LEASE, RevokeAllScope, RevokeAllUserSessions, RevokedAll, WAVE_FOLLOWERS,
};
pub use revoke_session::{Owner, RevokeSession};
pub use revoke_users_sessions::{RevokeUsersSessions, UserRevocationOutcome};
pub use set_account_status::{AccountStatusChange, RequestedStatus, SetAccountStatus};
pub use set_user_session_policy::{PolicyView, SetUserSessionPolicy};
pub use step_up_session::StepUpSession;
pub use trust_device::TrustDevice;
pub use update_session_activity::{ActivityOutcome, ActivityReport, UpdateSessionActivity};
pub use validate_session::{ValidateSession, Validity};
