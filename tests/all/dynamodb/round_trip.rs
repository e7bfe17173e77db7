//! What a commit writes reads back identically, with the versions the port promises.

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::{Actor, RevocationReason};
use session_core::ports::{
    ChangeSet, LedgerWrite, SessionStore, SessionWrite, StoreError, Versioned,
};
use session_dynamodb::schema;

use super::sample::{self, created_event, full_session, ledger, revocation, session, t0, user};
use super::support::test_store;
use session_tests::fixture::edited;

#[tokio::test]
async fn ledger_session_and_events_written_by_a_commit_read_back_identically() {
    let Some(t) = test_store().await else { return };
    let alice = user("auth0|alice");
    let minimal = {
        let mut s = session(&alice, t0());
        s = edited(&s, |r| {
            r.device_info = None;
            r.user_agent = None;
            r.ip_address = None;
            r.last_ip_address = None;
            r.location = None;
            r.idle_timeout_secs = None;
            r.refresh_token_hash = None;
            r.refresh_rotated_at = None;
        });
        s
    };
    let full = full_session(&alice);
    let ledger = ledger(&alice, &[&minimal, &full]);
    let events = vec![created_event(&minimal), created_event(&full)];
    t.store
        .commit(ChangeSet {
            ledger: Some(LedgerWrite::Put {
                ledger: ledger.clone(),
                expected_version: None,
            }),
            sessions: vec![
                SessionWrite::Insert(minimal.clone()),
                SessionWrite::Insert(full.clone()),
            ],
            events: events.clone(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.requests.take().get("TransactWriteItems"),
        Some(&1),
        "one transaction"
    );

    let stored = t.store.load_user(&alice).await.unwrap();
    assert_eq!(
        stored,
        Some(Versioned {
            value: ledger,
            version: 1
        })
    );
    for s in [minimal, full] {
        let stored = t.store.load_session(s.id()).await.unwrap();
        assert_eq!(
            stored,
            Some(Versioned {
                value: s,
                version: 1
            })
        );
    }
    for e in events {
        assert_eq!(t.store.load_event(e.event_id).await.unwrap(), Some(e));
    }
    assert_eq!(t.store.load_user(&user("nobody")).await.unwrap(), None);
    assert_eq!(
        t.store
            .load_session(sample::session(&alice, t0()).id())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn every_write_moves_the_version_by_one() {
    let Some(t) = test_store().await else { return };
    let bob = user("bob");
    let mut s = session(&bob, t0());
    let mut l = ledger(&bob, &[&s]);
    let put_ledger = |ledger, expected_version| LedgerWrite::Put {
        ledger,
        expected_version,
    };
    t.store
        .commit(ChangeSet {
            ledger: Some(put_ledger(l.clone(), None)),
            sessions: vec![SessionWrite::Insert(s.clone())],
            ..ChangeSet::default()
        })
        .await
        .unwrap();

    // Replace: the whole session, at the expected version.
    s = edited(&s, |r| {
        r.is_trusted = true;
        r.suspicious_activity_count = 5;
    });
    let replace = SessionWrite::Replace {
        session: s.clone(),
        expected_version: 1,
    };
    t.store
        .commit(ChangeSet {
            sessions: vec![replace],
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.store.load_session(s.id()).await.unwrap(),
        Some(Versioned {
            value: s.clone(),
            version: 2
        })
    );

    // Revoke: sets the revocation without reading, bumps the version.
    let rev = revocation(
        RevocationReason::Manual,
        Actor::User {
            user_id: bob.clone(),
        },
    );
    let revoke = SessionWrite::Revoke {
        session_id: s.id(),
        user_id: bob.clone(),
        revocation: rev.clone(),
    };
    t.store
        .commit(ChangeSet {
            sessions: vec![revoke],
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    s = edited(&s, |r| {
        r.revocation = Some(rev);
    });
    assert_eq!(
        t.store.load_session(s.id()).await.unwrap(),
        Some(Versioned {
            value: s.clone(),
            version: 3
        })
    );
    // The revocation is the session's end: its ttl and its place in the redaction index move
    // to what a whole write of the revoked session would hold (docs/0050).
    let item = t
        .store
        .client()
        .get_item()
        .table_name(t.store.table())
        .set_key(Some(schema::session_key(s.id())))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let number = |value: i64| AttributeValue::N(value.to_string());
    assert_eq!(
        item.get(schema::TTL),
        Some(&number(schema::ttl_value(s.history_until())))
    );
    assert_eq!(
        item.get(schema::GSI2_SK),
        Some(&number(schema::ttl_value(s.personal_data_until())))
    );
    assert_eq!(
        item.get(schema::GSI2_PK),
        Some(&AttributeValue::S(schema::gsi2_pk(s.id())))
    );

    // Ledger put at its version, then RemoveActive of one present and one absent id.
    let other = session(&bob, t0());
    l.active.insert(other.id(), (&other).into());
    t.store
        .commit(ChangeSet {
            ledger: Some(put_ledger(l.clone(), Some(1))),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.store.load_user(&bob).await.unwrap().map(|v| v.version),
        Some(2)
    );
    let remove = LedgerWrite::RemoveActive {
        user_id: bob.clone(),
        session_ids: vec![s.id(), s.id(), session(&bob, t0()).id()],
        mark: None,
        expected_version: None,
    };
    t.store
        .commit(ChangeSet {
            ledger: Some(remove),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    l.active.remove(&s.id());
    assert_eq!(
        t.store.load_user(&bob).await.unwrap(),
        Some(Versioned {
            value: l.clone(),
            version: 3
        })
    );

    // RemoveActive of nothing still moves the version, like the embedded store.
    let remove_none = LedgerWrite::RemoveActive {
        user_id: bob.clone(),
        session_ids: vec![],
        mark: None,
        expected_version: None,
    };
    t.store
        .commit(ChangeSet {
            ledger: Some(remove_none),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.store.load_user(&bob).await.unwrap(),
        Some(Versioned {
            value: l,
            version: 4
        })
    );
}

#[tokio::test]
async fn an_empty_change_set_commits_without_a_request() {
    let Some(t) = test_store().await else { return };
    t.store.commit(ChangeSet::default()).await.unwrap();
    assert!(t.requests.take().is_empty());
}

#[tokio::test]
async fn a_malformed_item_reads_as_corrupt_naming_the_attribute() {
    let Some(t) = test_store().await else { return };
    let carol = user("carol");
    let s = session(&carol, t0());
    t.store
        .commit(ChangeSet {
            sessions: vec![SessionWrite::Insert(s.clone())],
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    // A foreign writer breaks one attribute.
    t.client()
        .update_item()
        .table_name(t.store.table())
        .set_key(Some(schema::session_key(s.id())))
        .update_expression("SET expires_at = :bad")
        .expression_attribute_values(":bad", AttributeValue::N("12".into()))
        .send()
        .await
        .unwrap();
    match t.store.load_session(s.id()).await {
        Err(StoreError::Corrupt(message)) => assert!(message.contains("`expires_at`"), "{message}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
