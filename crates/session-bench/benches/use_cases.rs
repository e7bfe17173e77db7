//! CPU per command: every use case over the embedded store, in ns per operation, excluding I/O
//! (the store is in memory) and enrichment (measured in the enrichment benches).
//!
//! Read-only commands run against one populated store (1,000 users x 5 sessions, ids cycled);
//! commands that change state get a fresh small store per iteration, built outside the timed
//! region.
// A measurement tool: a fixture that cannot be built is a bug to stop at, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use session_bench::fixtures::{self, Fixture, Population};
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::{ProviderName, RefreshTokenId, TierName};
use session_core::use_cases::{
    GetSession, LinkRefreshTokenToSession, ListUserSessions, RecordProviderAccess,
    RevokeAllUserSessions, RevokeSession, SetUserSessionPolicy, UpdateSessionActivity,
    ValidateSession,
};

fn reads(c: &mut Criterion) {
    let rt = common::runtime();
    let population = rt.block_on(Population::new(1_000, 5)).unwrap();
    let pairs = population.pairs();
    let sessions = &population.sessions;
    let mut group = c.benchmark_group("use_case");

    let mut i = 0usize;
    group.bench_function("validate", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let session_id = pairs[i % pairs.len()].1;
            async move {
                black_box(
                    sessions
                        .validate_session(ValidateSession { session_id })
                        .await
                        .unwrap(),
                )
            }
        });
    });

    group.bench_function("get", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let (user_id, session_id) = pairs[i % pairs.len()].clone();
            async move {
                black_box(
                    sessions
                        .get_session(GetSession {
                            session_id,
                            user_id,
                            current_session_id: Some(session_id),
                        })
                        .await
                        .unwrap(),
                )
            }
        });
    });

    // Activity within the write interval from the address of the login: read, decide, no
    // write. The n-th login of each user came from fixtures::ip(n).
    let activity: Vec<_> = population
        .users
        .iter()
        .flat_map(|(_, ids)| ids.iter().enumerate().map(|(n, id)| (*id, fixtures::ip(n))))
        .collect();
    group.bench_function("activity_throttled", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let (session_id, ip) = activity[i % activity.len()];
            async move {
                let outcome = sessions
                    .update_session_activity(UpdateSessionActivity {
                        session_id,
                        ip_address: Some(ip),
                    })
                    .await
                    .unwrap();
                assert!(!outcome.recorded, "throttled activity must not write");
                black_box(outcome)
            }
        });
    });
    group.finish();

    // Pages of 10 and of 50 (the default page size) sessions, newest first, active only.
    let mut group = c.benchmark_group("use_case");
    for page in [10usize, 50] {
        let big = rt.block_on(Population::new(20, page)).unwrap();
        let users: Vec<_> = big
            .users
            .iter()
            .map(|(u, ids)| (u.clone(), ids[0]))
            .collect();
        let sessions = &big.sessions;
        let mut j = 0usize;
        group.bench_function(format!("list_{page}"), |b| {
            b.to_async(&rt).iter(|| {
                j = j.wrapping_add(1);
                let (user_id, current) = users[j % users.len()].clone();
                async move {
                    let list = sessions
                        .list_user_sessions(ListUserSessions {
                            user_id,
                            filter: session_core::use_cases::SessionFilter::Active,
                            limit: None,
                            cursor: None,
                            current_session_id: Some(current),
                        })
                        .await
                        .unwrap();
                    assert_eq!(list.sessions.len(), page);
                    black_box(list)
                }
            });
        });
    }
    group.finish();
}

fn writes(c: &mut Criterion) {
    let rt = common::runtime();
    let mut group = c.benchmark_group("use_case");

    // Basic tier (2 sessions): one existing session, so the login fits.
    group.bench_function("create", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 1).await.unwrap(),
            async |f: &mut Fixture| {
                let created = f
                    .sessions
                    .create_session(fixtures::login(&f.user_id, 7))
                    .await
                    .unwrap();
                assert!(created.evicted_session_ids.is_empty());
                created
            },
        );
    });

    // Basic tier at its limit of 2: the login evicts the oldest session.
    group.bench_function("create_evict", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 2).await.unwrap(),
            async |f: &mut Fixture| {
                let created = f
                    .sessions
                    .create_session(fixtures::login(&f.user_id, 7))
                    .await
                    .unwrap();
                assert_eq!(created.evicted_session_ids.len(), 1);
                created
            },
        );
    });

    group.bench_function("revoke", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 2).await.unwrap(),
            async |f: &mut Fixture| {
                f.sessions
                    .revoke_session(RevokeSession {
                        session_id: f.ids[0],
                        owner: session_core::use_cases::Owner::User(f.user_id.clone()),
                        reason: RevocationReason::Logout,
                        by: Actor::User {
                            user_id: f.user_id.clone(),
                        },
                        note: None,
                    })
                    .await
                    .unwrap()
            },
        );
    });

    for n in [10usize, 100] {
        group.bench_function(format!("revoke_all_{n}"), |b| {
            common::batched(
                b,
                &rt,
                async || Fixture::new("pro", n + 1).await.unwrap(),
                async |f: &mut Fixture| {
                    let revoked = f
                        .sessions
                        .revoke_all_user_sessions(RevokeAllUserSessions {
                            user_id: f.user_id.clone(),
                            reason: RevocationReason::LogoutAll,
                            except_session_id: Some(f.ids[0]),
                            by: Actor::User {
                                user_id: f.user_id.clone(),
                            },
                            note: None,
                            trigger: session_core::events::RevokeAllTrigger::UserRequest,
                        })
                        .await
                        .unwrap();
                    assert_eq!(revoked.session_ids.len(), n);
                    revoked
                },
            );
        });
    }

    // A new address: the activity is written whatever the interval.
    group.bench_function("activity_write", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 1).await.unwrap(),
            async |f: &mut Fixture| {
                let outcome = f
                    .sessions
                    .update_session_activity(UpdateSessionActivity {
                        session_id: f.ids[0],
                        ip_address: Some(fixtures::ip(101)),
                    })
                    .await
                    .unwrap();
                assert!(outcome.recorded && outcome.ip_changed);
                outcome
            },
        );
    });

    let plaid = ProviderName::try_from("plaid".to_owned()).unwrap();
    group.bench_function("provider_access", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 1).await.unwrap(),
            async |f: &mut Fixture| {
                f.sessions
                    .record_provider_access(RecordProviderAccess {
                        session_id: f.ids[0],
                        provider_name: plaid.clone(),
                    })
                    .await
                    .unwrap()
            },
        );
    });

    let token = RefreshTokenId::try_from("rt_01JD5X8Y9Z".to_owned()).unwrap();
    group.bench_function("link_refresh_token", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("basic", 1).await.unwrap(),
            async |f: &mut Fixture| {
                f.sessions
                    .link_refresh_token(LinkRefreshTokenToSession {
                        session_id: f.ids[0],
                        refresh_token_id: token.clone(),
                    })
                    .await
                    .unwrap()
            },
        );
    });

    // An admin lowers the limit from plus (5) to basic (2) with 3 active sessions: one eviction.
    let basic = TierName::try_from("basic".to_owned()).unwrap();
    group.bench_function("set_policy", |b| {
        common::batched(
            b,
            &rt,
            async || Fixture::new("plus", 3).await.unwrap(),
            async |f: &mut Fixture| {
                let view = f
                    .sessions
                    .set_user_session_policy(SetUserSessionPolicy {
                        user_id: f.user_id.clone(),
                        tier: basic.clone(),
                        max_sessions: None,
                    })
                    .await
                    .unwrap();
                assert_eq!(view.evicted_session_ids.len(), 1);
                view
            },
        );
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = reads, writes
}
criterion_main!(benches);
