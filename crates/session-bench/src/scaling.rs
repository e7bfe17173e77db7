//! Scaling with the number of sessions a user has (10, 100, 1,000, 5,000; pro tier, unlimited):
//! logging in, listing every page and revoking all, against DynamoDB Local. Round trips are
//! counted on the wire and compared with what the code's shape predicts; the user ledger's size
//! is read back: an unlimited tier's ledger keeps no sessions (docs/0017-flat-ledger.md), so it
//! must stay the same size however many sessions the user has.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::Sessions;
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::{SessionId, TierName, UserId};
use session_core::use_cases::{ListUserSessions, RevokeAllUserSessions, SetUserSessionPolicy};
use session_dynamodb::DynamoStore;

use crate::capacity;
use crate::ddb::{self, Recorder, Totals};
use crate::{BoxError, fixtures};

/// Items in one DynamoDB transaction.
const TRANSACTION_ITEMS: usize = 100;

#[derive(Clone, Debug)]
pub struct Row {
    pub sessions: usize,
    pub create_all: Duration,
    /// The last login's calls (the ledger is largest then).
    pub last_create: Totals,
    pub ledger_bytes: usize,
    pub list: Vec<ListRun>,
    pub revoke_all: Totals,
    /// Of which transactions (the rest are the pages of the one Query of the user's partition).
    pub revoke_all_transactions: usize,
    /// Round trips one after the other: requests sent together count once (docs/0052).
    pub revoke_all_sequential: usize,
    /// Pages of the Query of the user's partition (a page holds up to 1 MB).
    pub revoke_all_queries: usize,
    pub revoke_all_time: Duration,
    pub revoked: usize,
}

#[derive(Clone, Debug)]
pub struct ListRun {
    pub page: u32,
    pub totals: Totals,
    pub time: Duration,
    pub items: usize,
}

/// Queries a full listing needs: one per page, plus a last empty one when `n` is a multiple of
/// the page size (DynamoDB returns a LastEvaluatedKey whenever the limit was reached).
pub fn expected_queries(n: usize, page: usize) -> usize {
    n / page + 1
}

/// What revoking `n` sessions of an unlimited tier should take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokeAllShape {
    pub transactions: usize,
    /// With the Query of the user's ledger and index before them, counted as one page: a
    /// larger partition adds one per further MB.
    pub sequential: usize,
}

/// The shape session-core's revoke-all has (docs/0052), worked out from the transaction size: a
/// session is two items (it and its index entry); the first commit carries the ledger, the
/// Attempted event and the continuation; each later lead the ledger and the continuation, and
/// up to 7 followers of 50 sessions go out at once after it, keeping back what the last commit
/// (ledger, continuation's removal, outcome) can take.
pub fn expected_revoke_all(n: usize) -> RevokeAllShape {
    const FOLLOWER: usize = TRANSACTION_ITEMS / 2;
    let last_room = (TRANSACTION_ITEMS - 3) / 2;
    let mut shape = RevokeAllShape {
        transactions: 0,
        sequential: 1,
    };
    let mut left = n;
    let mut opening = 3;
    loop {
        shape.transactions += 1;
        shape.sequential += 1;
        // The outcome is the last commit's one item beyond the opening ones.
        if 2 * left + opening < TRANSACTION_ITEMS {
            return shape;
        }
        left -= ((TRANSACTION_ITEMS - opening) / 2).min(left);
        let followers = left
            .saturating_sub(last_room)
            .min(session_core::use_cases::WAVE_FOLLOWERS * FOLLOWER);
        if followers > 0 {
            shape.transactions += followers.div_ceil(FOLLOWER);
            shape.sequential += 1;
            left -= followers;
        }
        opening = 2;
    }
}

async fn ledger_bytes(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    user: &UserId,
) -> Result<usize, BoxError> {
    let key: HashMap<String, AttributeValue> = HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("USER#{user}"))),
        ("sk".to_owned(), AttributeValue::S("LEDGER".to_owned())),
    ]);
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await?
        .item
        .ok_or("the ledger is missing")?;
    Ok(capacity::item_size(&item))
}

pub async fn run(sizes: &[usize], pages: &[u32]) -> Result<Vec<Row>, BoxError> {
    let recorder = Recorder::default();
    let client = ddb::client(&recorder).await?;
    let table = ddb::fresh_table("bench-scaling");
    let s: Sessions<DynamoStore> = ddb::sessions(&client, &table).await?;
    let mut rows = Vec::new();
    for &n in sizes {
        let user = fixtures::user(&format!("scale-{n}-{}", uuid::Uuid::now_v7().simple()))?;
        s.set_user_session_policy(SetUserSessionPolicy {
            user_id: user.clone(),
            tier: TierName::try_from("pro".to_owned())?,
            max_sessions: None,
        })
        .await?;
        let started = Instant::now();
        let mut ids: Vec<SessionId> = Vec::with_capacity(n);
        let mut last_create = Totals::default();
        for k in 0..n {
            recorder.take();
            ids.push(
                s.create_session(fixtures::login(&user, k))
                    .await?
                    .session
                    .id(),
            );
            if k + 1 == n {
                last_create = ddb::totals(&recorder.take());
            }
        }
        let create_all = started.elapsed();
        recorder.take();
        let ledger = ledger_bytes(&client, &table, &user).await?;

        let mut list = Vec::new();
        for &page in pages {
            recorder.take();
            let started = Instant::now();
            let mut cursor = None;
            let mut items = 0;
            loop {
                let out = s
                    .list_user_sessions(ListUserSessions {
                        user_id: user.clone(),
                        filter: session_core::use_cases::SessionFilter::Active,
                        limit: Some(page),
                        cursor: cursor.take(),
                        current_session_id: ids.first().copied(),
                    })
                    .await?;
                items += out.sessions.len();
                match out.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            list.push(ListRun {
                page,
                time: started.elapsed(),
                totals: ddb::totals(&recorder.take()),
                items,
            });
        }

        recorder.take();
        recorder.take_sequential();
        let started = Instant::now();
        let revoked = s
            .revoke_all_user_sessions(RevokeAllUserSessions {
                user_id: user.clone(),
                reason: RevocationReason::LogoutAll,
                except_session_id: None,
                by: Actor::User {
                    user_id: user.clone(),
                },
                note: None,
                trigger: session_core::events::RevokeAllTrigger::UserRequest,
            })
            .await?;
        let revoke_all_time = started.elapsed();
        let calls = recorder.take();
        let revoke_all_sequential = recorder.take_sequential();
        let count = |operation: &str| calls.iter().filter(|c| c.operation == operation).count();
        let revoke_all_transactions = count("TransactWriteItems");
        let revoke_all_queries = count("Query");
        rows.push(Row {
            sessions: n,
            create_all,
            last_create,
            ledger_bytes: ledger,
            list,
            revoke_all: ddb::totals(&calls),
            revoke_all_transactions,
            revoke_all_sequential,
            revoke_all_queries,
            revoke_all_time,
            revoked: revoked.session_ids.len(),
        });
    }
    Ok(rows)
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| sessions | list pages of | Query calls (expected n/page+1) | items | time | RRU reported / rules |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        for l in &r.list {
            let expected = expected_queries(r.sessions, l.page as usize);
            out.push_str(&format!(
                "| {} | {} | {} ({}) | {} | {:.1} ms | {:.1} / {:.1} |\n",
                r.sessions,
                l.page,
                l.totals.round_trips,
                if l.totals.round_trips == expected {
                    format!("expected {expected}: ok")
                } else {
                    format!("expected {expected}: DIFFERS")
                },
                l.items,
                l.time.as_secs_f64() * 1e3,
                l.totals.capacity.read,
                l.totals.derived.read,
            ));
        }
    }
    out.push_str(
        "\n| sessions | revoke-all calls | round trips | sequential (expected; +1 per further Query page) | transactions (expected) | revoked | time | RRU reported / rules | WRU reported / rules |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let verdict = |got: usize, expected: usize| {
        if got == expected {
            format!("expected {expected}: ok")
        } else {
            format!("expected {expected}: DIFFERS")
        }
    };
    for r in rows {
        let mut expected = expected_revoke_all(r.sessions);
        expected.sequential += r.revoke_all_queries.saturating_sub(1);
        out.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} ({}) | {} | {:.1} ms | {:.0} / {:.0} | {:.0} / {:.0} |\n",
            r.sessions,
            r.revoke_all.breakdown,
            r.revoke_all.round_trips,
            r.revoke_all_sequential,
            verdict(r.revoke_all_sequential, expected.sequential),
            r.revoke_all_transactions,
            verdict(r.revoke_all_transactions, expected.transactions),
            r.revoked,
            r.revoke_all_time.as_secs_f64() * 1e3,
            r.revoke_all.capacity.read,
            r.revoke_all.derived.read,
            r.revoke_all.capacity.write,
            r.revoke_all.derived.write,
        ));
    }
    out.push_str(
        "\n| sessions | user ledger item size | login #n: calls | login #n: RRU reported / rules | login #n: WRU reported / rules | all n logins, time on DynamoDB Local |\n\
         |---:|---:|---|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.1} KB | {} | {:.0} / {:.0} | {:.0} / {:.0} | {:.1} s |\n",
            r.sessions,
            r.ledger_bytes as f64 / 1024.0,
            r.last_create.breakdown,
            r.last_create.capacity.read,
            r.last_create.derived.read,
            r.last_create.capacity.write,
            r.last_create.derived.write,
            r.create_all.as_secs_f64(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes docs/0052 works out: one commit up to 48 sessions; 1,000 sessions in 21
    /// transactions, 8 round trips one after the other (Query, first, wave, lead, wave, lead,
    /// wave, last).
    #[test]
    fn the_expected_shapes_follow_the_transaction_size() {
        let shape = |transactions, sequential| RevokeAllShape {
            transactions,
            sequential,
        };
        assert_eq!(expected_revoke_all(0), shape(1, 2));
        assert_eq!(expected_revoke_all(48), shape(1, 2));
        assert_eq!(expected_revoke_all(49), shape(2, 3));
        assert_eq!(expected_revoke_all(1_000), shape(21, 8));
    }
}
