//! Domain values to store: sessions, ledgers and events with every field exercised.

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use session_core::domain::session::NewSession;
use session_core::domain::{
    ActiveEntry, Actor, Revocation, RevocationReason, Session, UserLedger, UserPolicy,
};
use session_core::events::{DomainEvent, EventPayload, SessionCreated};
use session_core::ids::{EventId, ProviderName, RefreshTokenId, SessionId, TierName, UserId};
use session_tests::fixture::edited;
use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn user(name: &str) -> UserId {
    UserId::from_str(name).unwrap()
}

/// A fresh session of `user` created at `created_at`, expiring 30 days later.
pub fn session(user: &UserId, created_at: DateTime<Utc>) -> Session {
    Session::new(NewSession {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: user.clone(),
        device_info: Some("Chrome on macOS".into()),
        user_agent: Some("Mozilla/5.0 (Macintosh)".into()),
        ip_address: "203.0.113.7".parse().ok(),
        location: Some("Mountain View, US".into()),
        now: created_at,
        expires_at: created_at + Duration::days(30),
        idle_timeout_secs: Some(3600),
        refresh_token_id: Some(RefreshTokenId::from_str("rt-123").unwrap()),
        device_type: None,
        country_code: None,
        coordinates: None,
        suspicious_revoke_at_count: None,
        suspicious_step_up_at_count: None,
        max_auth_age_secs: None,
        auth_time: None,
        aal: Default::default(),
        amr: Default::default(),
    })
}

/// A session with every optional field set, sub-second times included.
pub fn full_session(user: &UserId) -> Session {
    let mut s = session(user, t0() + Duration::nanoseconds(123_456_789));
    s = edited(&s, |r| {
        r.last_ip_address = "2001:db8::7".parse().ok();
        r.is_trusted = true;
        r.suspicious_activity_count = 2;
    });
    s.record_provider_access(
        t0() + Duration::seconds(3),
        ProviderName::from_str("plaid").unwrap(),
    );
    s.record_provider_access(
        t0() + Duration::seconds(4),
        ProviderName::from_str("mx").unwrap(),
    );
    s = edited(&s, |r| {
        r.last_activity_at = t0() + Duration::minutes(5);
    });
    s
}

pub fn revocation(reason: RevocationReason, by: Actor) -> Revocation {
    Revocation {
        at: t0() + Duration::hours(1),
        reason,
        by,
        note: None,
    }
}

/// The ledger of `user` with `sessions` in its active index.
pub fn ledger(user: &UserId, sessions: &[&Session]) -> UserLedger {
    let mut ledger = UserLedger::new(
        user.clone(),
        UserPolicy {
            tier: TierName::from_str("plus").unwrap(),
            max_sessions: Some(4),
        },
    );
    for s in sessions {
        ledger.active.insert(s.id(), ActiveEntry::from(*s));
    }
    ledger
}

pub fn created_event(session: &Session) -> DomainEvent {
    DomainEvent {
        event_id: EventId::from_uuid(Uuid::now_v7()),
        occurred_at: session.created_at(),
        payload: EventPayload::SessionCreated(SessionCreated::from(session)),
    }
}
