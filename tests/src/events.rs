//! Picking events of one kind out of what a store committed.

use session_core::events::{self as ev, DomainEvent, EventPayload};

/// The detail types of `events`, in order: the shape of what a command emitted.
pub fn detail_types(events: &[DomainEvent]) -> Vec<&'static str> {
    events.iter().map(DomainEvent::detail_type).collect()
}

macro_rules! filters {
    ($($name:ident => $variant:ident),* $(,)?) => {
        $(
            #[doc = concat!("The `", stringify!($variant), "` payloads among `events`, in order.")]
            pub fn $name(events: &[DomainEvent]) -> Vec<&ev::$variant> {
                events
                    .iter()
                    .filter_map(|e| match &e.payload {
                        EventPayload::$variant(p) => Some(p),
                        _ => None,
                    })
                    .collect()
            }
        )*
    };
}

filters! {
    created => SessionCreated,
    evicted => SessionEvicted,
    limit_exceeded => SessionLimitExceeded,
    revocation_attempted => SessionRevocationAttempted,
    revoked => SessionRevoked,
    revocation_failed => SessionRevocationFailed,
    all_attempted => AllSessionsRevocationAttempted,
    all_revoked => AllSessionsRevoked,
    all_failed => AllSessionsRevocationFailed,
    activity_updated => SessionActivityUpdated,
    provider_access => SessionProviderAccess,
    suspicious => SuspiciousSessionActivity,
    sessions_blocked => UserSessionsBlocked,
    sessions_unblocked => UserSessionsUnblocked,
    refresh_reuse_detected => RefreshTokenReuseDetected,
    step_up_required => SessionStepUpRequired,
    stepped_up => SessionSteppedUp,
}
