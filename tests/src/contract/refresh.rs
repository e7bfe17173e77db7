//! The refresh-token chain and session assurance through the store: rotation, the retry of a
//! lost answer, reuse in its forms, racing refreshes, inactive sessions, and step-up.

use std::str::FromStr;

use chrono::Duration;
use session_core::domain::{Aal, AuthMethod, AuthMethods, RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::ids::{RefreshTokenId, SessionId, UserId};
use session_core::use_cases::{RefreshSession, Refreshed, StepUpSession};

use crate::contract::concurrency::race;
use crate::events::{
    detail_types, refresh_reuse_detected, revoked, step_up_required, stepped_up, suspicious,
};
use crate::fixture::{LOGIN_IP, USER_AGENT, ip, login_cmd, user};
use crate::{Fixture, FixtureConfig, StoreHarness};

fn token(id: &str) -> RefreshTokenId {
    RefreshTokenId::from_str(id).expect("valid refresh token id")
}

fn refresh_cmd(session_id: SessionId, presented: &str, next: &str) -> RefreshSession {
    RefreshSession {
        session_id,
        refresh_token_id: token(presented),
        next_refresh_token_id: token(next),
        ip_address: Some(ip(LOGIN_IP)),
        user_agent: Some(USER_AGENT.to_owned()),
    }
}

/// A login whose refresh-token chain starts at `first`.
async fn login_with<H: StoreHarness>(fx: &Fixture<'_, H>, user: &UserId, first: &str) -> SessionId {
    let mut cmd = login_cmd(user);
    cmd.refresh_token_id = Some(token(first));
    fx.sessions
        .create_session(cmd)
        .await
        .expect("login")
        .session
        .id()
}

async fn refresh<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    id: SessionId,
    presented: &str,
    next: &str,
) -> Result<Refreshed, SessionError> {
    fx.sessions
        .refresh_session(refresh_cmd(id, presented, next))
        .await
}

fn active(refreshed: &Result<Refreshed, SessionError>) -> bool {
    matches!(refreshed, Ok(Refreshed::Active(_)))
}

/// The current token rotates to the next one; the answer names the session's owner, expiry and
/// assurance; the activity is recorded. From the same client, nothing else is written or emitted.
pub async fn a_refresh_with_the_current_token_rotates_and_answers_the_session<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = login_with(&fx, &alice, "rt-1").await;
    fx.take_events().await;
    let before = fx.stored(id).await;
    fx.advance_secs(600);

    let refreshed = refresh(&fx, id, "rt-1", "rt-2").await.expect("refreshed");

    let Refreshed::Active(answer) = refreshed else {
        panic!("{refreshed:?}");
    };
    assert_eq!(answer.user_id, alice);
    assert_eq!(answer.expires_at, before.value.expires_at());
    assert_eq!(answer.auth_time, before.value.auth_time());
    assert_eq!(
        (answer.aal, answer.step_up_required, answer.retried),
        (Aal::Aal1, false, false)
    );
    let after = fx.stored(id).await;
    assert_eq!(
        after.value.refresh_token_hash(),
        Some(&token("rt-2").hash())
    );
    assert_eq!(
        after.value.previous_refresh_token_hash(),
        Some(&token("rt-1").hash())
    );
    assert_eq!(after.value.refresh_rotated_at(), Some(fx.now()));
    assert_eq!(
        after.value.last_activity_at(),
        fx.now(),
        "activity recorded"
    );
    assert_ne!(after.version, before.version);
    assert!(
        fx.take_events().await.is_empty(),
        "an unchanged client emits nothing"
    );

    let again = refresh(&fx, id, "rt-2", "rt-3").await;
    assert!(active(&again), "the new link rotates in turn: {again:?}");
}

/// The previous token within the grace window, asking for the next token already stored, is the
/// retry of a lost answer: the same answer, nothing rotated or written.
pub async fn a_retry_of_a_lost_answer_within_grace_gets_the_same_answer_without_rotating<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = login_with(&fx, &alice, "rt-1").await;
    let Ok(Refreshed::Active(first)) = refresh(&fx, id, "rt-1", "rt-2").await else {
        panic!("first refresh");
    };
    let rotated = fx.stored(id).await;
    fx.take_events().await;
    fx.advance_secs(29);

    let retry = refresh(&fx, id, "rt-1", "rt-2").await.expect("answered");

    let Refreshed::Active(second) = retry else {
        panic!("{retry:?}");
    };
    assert!(second.retried);
    assert_eq!(
        (second.user_id, second.expires_at, second.auth_time),
        (first.user_id, first.expires_at, first.auth_time)
    );
    assert_eq!(fx.stored(id).await, rotated, "nothing written");
    assert!(fx.take_events().await.is_empty());
}

/// Reuse in each of its forms revokes the session at once (`refresh_token_reuse`), with
/// RefreshTokenReuseDetected and the revocation's events in one commit: the previous token after
/// the grace window, the previous token asking for another next token, and an older one.
pub async fn a_replayed_token_revokes_the_session_with_its_events<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let cases: [(&str, &str, i64, &str); 3] = [
        (
            "previous token after the grace window",
            "rt-1",
            31,
            "previous",
        ),
        (
            "previous token asking for another next",
            "rt-1",
            1,
            "previous",
        ),
        ("a much older token", "rt-0", 1, "unknown"),
    ];
    for (case, presented, wait, kind) in cases {
        let id = login_with(&fx, &alice, "rt-0").await;
        refresh(&fx, id, "rt-0", "rt-1").await.expect(case);
        refresh(&fx, id, "rt-1", "rt-2").await.expect(case);
        fx.take_events().await;
        fx.advance_secs(wait);
        let next = if kind == "previous" && wait == 1 {
            "rt-other"
        } else {
            "rt-2"
        };

        let outcome = refresh(&fx, id, presented, next).await;

        assert!(
            matches!(outcome, Err(SessionError::RefreshTokenReused)),
            "{case}: {outcome:?}"
        );
        let stored = fx.stored(id).await.value;
        assert_eq!(
            stored.revocation().map(|r| r.reason),
            Some(RevocationReason::RefreshTokenReuse),
            "{case}"
        );
        let events = fx.take_events().await;
        assert_eq!(
            detail_types(&events),
            [
                "RefreshTokenReuseDetected",
                "SessionRevocationAttempted",
                "SessionRevoked"
            ],
            "{case}"
        );
        assert_eq!(refresh_reuse_detected(&events)[0].presented, kind, "{case}");
        assert_eq!(
            revoked(&events)[0].reason,
            RevocationReason::RefreshTokenReuse
        );
        let current = refresh(&fx, id, "rt-2", "rt-3").await;
        assert!(
            matches!(
                current,
                Ok(Refreshed::Inactive {
                    status: SessionStatus::Revoked
                })
            ),
            "{case}: even the current token is refused after a reuse: {current:?}"
        );
        fx.advance_secs(60);
    }
}

/// Racing refreshes with the same token rotate once: with the same next token the others get
/// the retry answer; with different next tokens (two holders of one token) the others are
/// reuse and the session ends. Never a second rotation.
pub async fn racing_refreshes_with_the_same_token_rotate_exactly_once<H: StoreHarness>(h: H) {
    const RACERS: usize = 12;
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;

    // One client retrying: the same next token.
    let id = login_with(&fx, &alice, "rt-1").await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let sessions = fx.sessions.clone();
            let cmd = refresh_cmd(id, "rt-1", "rt-2");
            async move { sessions.refresh_session(cmd).await }
        })
        .collect();
    let outcomes = race(tasks).await;
    let rotations = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Refreshed::Active(s)) if !s.retried))
        .count();
    assert_eq!(rotations, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(active), "{outcomes:?}");
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.refresh_token_hash(), Some(&token("rt-2").hash()));
    assert_eq!(
        stored.previous_refresh_token_hash(),
        Some(&token("rt-1").hash()),
        "rotated once: the previous link is still the presented one"
    );

    // Two holders of one token: different next tokens.
    let id = login_with(&fx, &alice, "rt-a").await;
    fx.take_events().await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|n| {
            let sessions = fx.sessions.clone();
            let cmd = refresh_cmd(id, "rt-a", &format!("rt-b{n}"));
            async move { sessions.refresh_session(cmd).await }
        })
        .collect();
    let outcomes = race(tasks).await;
    let rotations = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Refreshed::Active(s)) if !s.retried))
        .count();
    assert_eq!(rotations, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| match o {
            Ok(Refreshed::Active(s)) => !s.retried,
            Ok(Refreshed::Inactive { status }) => *status == SessionStatus::Revoked,
            Err(e) => matches!(e, SessionError::RefreshTokenReused),
        }),
        "the others are reuse (or find the session revoked by it): {outcomes:?}"
    );
    assert!(!fx.is_active(id).await, "a second holder ends the session");
    assert_eq!(
        refresh_reuse_detected(&fx.take_events().await).len(),
        1,
        "one revocation"
    );
}

/// A revoked, expired or idle-expired session answers inactive with its status, and the refresh
/// writes and emits nothing; a missing session is `session_not_found`; one without a refresh
/// token is `refresh_token_not_linked`.
pub async fn refreshing_an_inactive_session_writes_nothing<H: StoreHarness>(h: H) {
    let config = FixtureConfig::with_policy_json(
        r#"{"tiers": {"basic": {"max_sessions": 5, "idle_timeout_secs": 900}}}"#,
    );
    let fx = Fixture::with_config(&h, config).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;

    let revoked_id = login_with(&fx, &alice, "rt-r").await;
    fx.revoke(revoked_id, &alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    let idle_id = login_with(&fx, &alice, "rt-i").await;
    fx.take_events().await;
    let cases = [
        (revoked_id, "rt-r", SessionStatus::Revoked),
        (idle_id, "rt-i", SessionStatus::IdleExpired),
    ];
    fx.advance_secs(901);
    for (id, presented, status) in cases {
        let before = fx.stored(id).await;
        let outcome = refresh(&fx, id, presented, "rt-next").await;
        assert!(
            matches!(outcome, Ok(Refreshed::Inactive { status: s }) if s == status),
            "{status:?}: {outcome:?}"
        );
        assert_eq!(fx.stored(id).await, before, "{status:?}: nothing written");
    }
    let expiring = {
        let mut cmd = login_cmd(&alice);
        cmd.refresh_token_id = Some(token("rt-e"));
        cmd.expires_at = Some(fx.now() + Duration::seconds(60));
        fx.sessions
            .create_session(cmd)
            .await
            .expect("login")
            .session
            .id()
    };
    fx.advance_secs(61);
    let before = fx.stored(expiring).await;
    let outcome = refresh(&fx, expiring, "rt-e", "rt-next").await;
    assert!(
        matches!(
            outcome,
            Ok(Refreshed::Inactive {
                status: SessionStatus::Expired
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(fx.stored(expiring).await, before);
    fx.take_events().await;

    let missing = refresh(&fx, fx.new_session_id(), "rt-x", "rt-y").await;
    assert!(
        matches!(missing, Err(SessionError::SessionNotFound)),
        "{missing:?}"
    );
    let unlinked = fx.login(&alice).await.session.id();
    fx.take_events().await;
    let outcome = refresh(&fx, unlinked, "rt-x", "rt-y").await;
    assert!(
        matches!(outcome, Err(SessionError::RefreshTokenNotLinked)),
        "{outcome:?}"
    );
    assert!(fx.is_active(unlinked).await);
    assert!(fx.take_events().await.is_empty());
}

/// A refresh from a new address is checked like any activity report (IP change, counted and
/// emitted) and rotated in the same commit.
pub async fn a_refresh_from_a_new_address_is_checked_and_rotated_in_one_commit<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = login_with(&fx, &alice, "rt-1").await;
    fx.take_events().await;
    fx.advance_secs(60);

    let mut cmd = refresh_cmd(id, "rt-1", "rt-2");
    cmd.ip_address = Some(ip("198.51.100.200"));
    let outcome = fx.sessions.refresh_session(cmd).await;

    assert!(active(&outcome), "{outcome:?}");
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.refresh_token_hash(), Some(&token("rt-2").hash()));
    assert_eq!(stored.last_ip_address(), Some(ip("198.51.100.200")));
    assert_eq!(stored.suspicious_activity_count(), 1);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionActivityUpdated", "SuspiciousSessionActivity"]
    );
    assert_eq!(suspicious(&events)[0].activity_type, "ip_change");
}

/// On a tier whose risk response steps up before it revokes, a suspicious report marks the
/// session `step_up_required` (SessionStepUpRequired), which refresh answers; a step-up raises
/// the assurance, clears the mark (SessionSteppedUp) and never lowers the level; the third
/// signal still revokes.
pub async fn a_step_up_response_then_a_step_up_clears_it_and_assurance_never_falls<
    H: StoreHarness,
>(
    h: H,
) {
    let config = FixtureConfig::with_policy_json(
        r#"{"tiers": {"basic": {"max_sessions": 5,
             "suspicious": {"response": "step_up", "step_up_at_count": 1, "revoke_at_count": 3}}}}"#,
    );
    let fx = Fixture::with_config(&h, config).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = login_with(&fx, &alice, "rt-1").await;
    fx.take_events().await;

    fx.advance_secs(60);
    let mut cmd = refresh_cmd(id, "rt-1", "rt-2");
    cmd.ip_address = Some(ip("198.51.100.1"));
    let Ok(Refreshed::Active(answer)) = fx.sessions.refresh_session(cmd).await else {
        panic!("refreshed");
    };
    assert!(answer.step_up_required, "the answer says so");
    let events = fx.take_events().await;
    assert_eq!(step_up_required(&events).len(), 1);
    assert!(fx.stored(id).await.value.step_up_required());

    fx.advance_secs(60);
    let amr: AuthMethods = [AuthMethod::Otp].into_iter().collect();
    let stepped = fx
        .sessions
        .step_up_session(StepUpSession {
            session_id: id,
            aal: Aal::Aal2,
            amr: amr.clone(),
        })
        .await
        .expect("stepped up");
    assert!(!stepped.step_up_required());
    assert_eq!((stepped.aal(), stepped.auth_time()), (Aal::Aal2, fx.now()));
    assert!(stepped.amr().contains(&AuthMethod::Otp));
    let events = fx.take_events().await;
    assert!(stepped_up(&events)[0].cleared_step_up_required);
    let lower = fx
        .sessions
        .step_up_session(StepUpSession {
            session_id: id,
            aal: Aal::Aal1,
            amr: AuthMethods::new(),
        })
        .await
        .expect("stepped up");
    assert_eq!(lower.aal(), Aal::Aal2, "assurance never falls");
    assert!(!stepped_up(&fx.take_events().await)[0].cleared_step_up_required);

    // Two more signals: the third revokes.
    for (n, address) in ["198.51.100.2", "198.51.100.3"].into_iter().enumerate() {
        fx.advance_secs(60);
        let presented = format!("rt-{}", n + 2);
        let next = format!("rt-{}", n + 3);
        let mut cmd = refresh_cmd(id, &presented, &next);
        cmd.ip_address = Some(ip(address));
        fx.sessions.refresh_session(cmd).await.expect("answered");
    }
    assert_eq!(
        fx.stored(id).await.value.revocation().map(|r| r.reason),
        Some(RevocationReason::SuspiciousActivity)
    );
    let refused = fx
        .sessions
        .step_up_session(StepUpSession {
            session_id: id,
            aal: Aal::Aal3,
            amr,
        })
        .await;
    assert!(
        matches!(
            refused,
            Err(SessionError::SessionInactive {
                status: SessionStatus::Revoked
            })
        ),
        "{refused:?}"
    );
}
