//! Every route's happy path (and its documented outcomes) over the embedded store.

use chrono::Duration;
use serde_json::json;
use session_core::domain::PolicyConfig;

use super::support::{DEVICE, Harness, LOCATION, detail_types, revoked_reasons};

#[tokio::test]
async fn set_policy_registers_the_user_and_reports_the_rules() {
    let h = Harness::new();
    let body = h
        .internal(
            "PUT",
            "/internal/users/alice/session-policy",
            Some(json!({"tier": "premium", "max_sessions": 4})),
        )
        .await
        .ok_json(200);
    assert_eq!(
        body,
        json!({
            "user_id": "alice",
            "tier": "premium",
            "max_sessions": 4,
            "effective_max_sessions": 4,
            "on_limit": "evict_oldest",
            "idle_timeout_secs": null,
            "evicted_session_ids": [],
        })
    );
    let unlimited = h.set_policy("bob", "pro").await;
    assert_eq!(unlimited["effective_max_sessions"], json!(null));
}

#[tokio::test]
async fn set_policy_accepts_percent_encoded_user_ids() {
    let h = Harness::new();
    let body = h
        .internal(
            "PUT",
            "/internal/users/auth0%7Cabc/session-policy",
            Some(json!({"tier": "basic"})),
        )
        .await
        .ok_json(200);
    assert_eq!(body["user_id"], "auth0|abc");
}

#[tokio::test]
async fn lowering_the_limit_evicts_the_oldest_sessions_at_once() {
    let h = Harness::new();
    h.set_policy("alice", "plus").await;
    let first = h.login("alice").await;
    h.clock.advance(Duration::seconds(1));
    let second = h.login("alice").await;
    h.clock.advance(Duration::seconds(1));
    let third = h.login("alice").await;
    let body = h
        .internal(
            "PUT",
            "/internal/users/alice/session-policy",
            Some(json!({"tier": "plus", "max_sessions": 1})),
        )
        .await
        .ok_json(200);
    assert_eq!(
        body["evicted_session_ids"],
        json!([first.session_id.to_string(), second.session_id.to_string()])
    );
    assert_eq!(h.validity(third.session_id).await["active"], true);
    assert_eq!(h.validity(first.session_id).await["reason"], "revoked");
}

#[tokio::test]
async fn create_session_returns_201_with_device_location_and_expiry() {
    let h = Harness::new();
    h.set_policy("alice", "basic").await;
    let body = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({
                "user_id": "alice",
                "ip_address": "203.0.113.7",
                "user_agent": "Mozilla/5.0 (Macintosh)",
                "expires_at": "2026-01-02T00:00:00Z",
                "refresh_token_id": "rt-1",
            })),
        )
        .await
        .ok_json(201);
    assert!(
        body["session_id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    assert_eq!(body["device_info"], DEVICE);
    assert_eq!(body["location"], LOCATION);
    assert_eq!(body["expires_at"], "2026-01-02T00:00:00Z");
    assert_eq!(body["evicted_session_ids"], json!([]));
    assert_eq!(detail_types(&h.events()), ["SessionCreated"]);
}

#[tokio::test]
async fn create_session_defaults_expiry_to_the_session_lifetime() {
    let h = Harness::new();
    h.set_policy("alice", "basic").await;
    let body = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({"user_id": "alice"})),
        )
        .await
        .ok_json(201);
    assert_eq!(body["expires_at"], "2026-01-31T00:00:00Z");
    assert_eq!(
        body["device_info"],
        json!(null),
        "no user agent, no device description"
    );
}

#[tokio::test]
async fn create_session_at_the_limit_evicts_the_oldest() {
    let h = Harness::new();
    let first = h.login("alice").await;
    h.clock.advance(Duration::seconds(1));
    h.login("alice").await;
    h.clock.advance(Duration::seconds(1));
    let body = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({"user_id": "alice"})),
        )
        .await
        .ok_json(201);
    assert_eq!(
        body["evicted_session_ids"],
        json!([first.session_id.to_string()])
    );
    assert_eq!(h.validity(first.session_id).await["reason"], "revoked");
}

#[tokio::test]
async fn create_session_for_an_unknown_user_is_404() {
    let h = Harness::new();
    h.internal(
        "POST",
        "/internal/sessions",
        Some(json!({"user_id": "ghost"})),
    )
    .await
    .problem(404, "user_not_found");
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn create_session_on_a_deny_tier_at_the_limit_is_409() {
    let policy = PolicyConfig::from_json(
        r#"{"tiers": {"strict": {"max_sessions": 1, "on_limit": "deny"}}}"#,
    )
    .unwrap();
    let h = Harness::with_policy(policy);
    h.set_policy("alice", "strict").await;
    let first = h.login("alice").await;
    let problem = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({"user_id": "alice"})),
        )
        .await
        .problem(409, "session_limit_exceeded");
    assert!(problem["detail"].as_str().unwrap().contains('1'));
    assert_eq!(problem["max_sessions"], 1);
    assert!(problem.get("sessions").is_none(), "{problem}");
    assert_eq!(h.validity(first.session_id).await["active"], true);
}

#[tokio::test]
async fn an_ask_tier_answers_409_with_the_sessions_and_a_retry_replaces_the_chosen_one() {
    let policy =
        PolicyConfig::from_json(r#"{"tiers": {"choose": {"max_sessions": 1, "on_limit": "ask"}}}"#)
            .unwrap();
    let h = Harness::with_policy(policy);
    h.set_policy("alice", "choose").await;
    let first = h.login("alice").await;
    let login = json!({"user_id": "alice", "user_agent": "Mozilla/5.0"});
    let problem = h
        .internal("POST", "/internal/sessions", Some(login.clone()))
        .await
        .problem(409, "session_limit_reached");
    assert_eq!(problem["max_sessions"], 1);
    let sessions = problem["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], first.session_id.to_string());
    for field in ["device_info", "location", "created_at", "last_activity_at"] {
        assert!(sessions[0].get(field).is_some(), "{field}: {problem}");
    }

    let mut retry = login.clone();
    retry["replace_session_id"] = json!("not-a-uuid");
    let invalid = h
        .internal("POST", "/internal/sessions", Some(retry.clone()))
        .await
        .problem(400, "validation_failed");
    assert_eq!(invalid["errors"][0]["field"], "replace_session_id");
    retry["replace_session_id"] = json!(first.session_id.to_string());
    h.internal("POST", "/internal/sessions", Some(retry.clone()))
        .await
        .ok_json(201);
    assert_eq!(h.validity(first.session_id).await["reason"], "revoked");
    h.internal("POST", "/internal/sessions", Some(retry))
        .await
        .problem(409, "session_inactive");
}

#[tokio::test]
async fn list_sessions_returns_newest_first_and_marks_the_current_one() {
    let h = Harness::new();
    h.set_policy("alice", "plus").await;
    let older = h.login("alice").await;
    h.clock.advance(Duration::seconds(10));
    let newer = h.login("alice").await;
    let body = h.user(&older, "GET", "/sessions").await.ok_json(200);
    assert_eq!(body["total_count"], 2);
    assert_eq!(body["active_count"], 2);
    assert_eq!(body["next_cursor"], json!(null));
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["id"], newer.session_id.to_string());
    assert_eq!(sessions[1]["id"], older.session_id.to_string());
    assert_eq!(sessions[0]["is_current"], false);
    assert_eq!(sessions[1]["is_current"], true);
    assert_eq!(sessions[1]["status"], "active");
}

#[tokio::test]
async fn list_sessions_pages_with_a_cursor() {
    let h = Harness::new();
    h.set_policy("alice", "plus").await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(h.login("alice").await);
        h.clock.advance(Duration::seconds(1));
    }
    let me = &logins[0];
    let first = h.user(me, "GET", "/sessions?limit=2").await.ok_json(200);
    assert_eq!(first["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(first["total_count"], 2, "counts are of the page");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = h
        .user(me, "GET", &format!("/sessions?limit=2&cursor={cursor}"))
        .await
        .ok_json(200);
    let ids: Vec<&str> = first["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["sessions"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = logins
        .iter()
        .rev()
        .map(|l| l.session_id.to_string())
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn list_sessions_hides_inactive_sessions_unless_asked() {
    let h = Harness::new();
    h.set_policy("alice", "plus").await;
    let me = h.login("alice").await;
    let other = h.login("alice").await;
    h.user(&me, "DELETE", &format!("/sessions/{}", other.session_id))
        .await
        .no_content();
    let active = h.user(&me, "GET", "/sessions").await.ok_json(200);
    assert_eq!(active["total_count"], 1);
    let all = h
        .user(&me, "GET", "/sessions?active_only=false")
        .await
        .ok_json(200);
    assert_eq!(all["total_count"], 2);
    assert_eq!(all["active_count"], 1);
    let revoked: Vec<&serde_json::Value> = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["is_revoked"] == true)
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["status"], "revoked");
}

#[tokio::test]
async fn get_session_returns_the_user_view_without_internal_fields() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let view = h
        .user(&me, "GET", &format!("/sessions/{}", me.session_id))
        .await
        .ok_json(200);
    let mut keys: Vec<&str> = view
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "device_info",
            "expires_at",
            "id",
            "ip_address",
            "is_current",
            "is_revoked",
            // The device trust (docs/0047); device_id and device_name only when the login
            // named a device.
            "is_trusted",
            "last_activity_at",
            "location",
            "status"
        ]
    );
    assert_eq!(view["id"], me.session_id.to_string());
    assert_eq!(view["device_info"], DEVICE);
    assert_eq!(view["ip_address"], "203.0.113.7");
    assert_eq!(view["location"], LOCATION);
    assert_eq!(view["created_at"], "2026-01-01T00:00:00Z");
    assert_eq!(view["is_current"], true);
    assert_eq!(view["is_revoked"], false);
}

#[tokio::test]
async fn get_session_returns_revoked_and_expired_sessions_to_their_owner() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let other = h.login("alice").await;
    h.user(&me, "DELETE", &format!("/sessions/{}", other.session_id))
        .await
        .no_content();
    let revoked = h
        .user(&me, "GET", &format!("/sessions/{}", other.session_id))
        .await
        .ok_json(200);
    assert_eq!(
        (revoked["status"].as_str(), revoked["is_revoked"].as_bool()),
        (Some("revoked"), Some(true))
    );
    h.clock.advance(Duration::days(31));
    let expired = h
        .user(&me, "GET", &format!("/sessions/{}", me.session_id))
        .await
        .ok_json(200);
    assert_eq!(expired["status"], "expired");
}

#[tokio::test]
async fn revoke_session_is_204_and_idempotent() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let other = h.login("alice").await;
    h.events();
    let uri = format!("/sessions/{}", other.session_id);
    h.user(&me, "DELETE", &uri).await.no_content();
    h.user(&me, "DELETE", &uri).await.no_content();
    let events = h.events();
    assert_eq!(
        revoked_reasons(&events),
        ["manual"],
        "the second call revokes nothing"
    );
    assert_eq!(
        h.validity(other.session_id).await,
        json!({"active": false, "reason": "revoked"})
    );
    assert_eq!(h.validity(me.session_id).await["active"], true);
}

#[tokio::test]
async fn revoke_session_records_the_given_reason() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let other = h.login("alice").await;
    h.events();
    h.user(
        &me,
        "DELETE",
        &format!("/sessions/{}?reason=suspicious_activity", other.session_id),
    )
    .await
    .no_content();
    assert_eq!(revoked_reasons(&h.events()), ["suspicious_activity"]);
}

#[tokio::test]
async fn revoke_missing_session_is_404() {
    let h = Harness::new();
    let me = h.login("alice").await;
    h.user(
        &me,
        "DELETE",
        "/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
    )
    .await
    .problem(404, "session_not_found");
}

#[tokio::test]
async fn revoke_other_sessions_keeps_only_the_callers() {
    let h = Harness::new();
    h.set_policy("alice", "plus").await;
    let me = h.login("alice").await;
    let a = h.login("alice").await;
    let b = h.login("alice").await;
    h.events();
    let body = h.user(&me, "DELETE", "/sessions").await.ok_json(200);
    assert_eq!(
        body,
        json!({"revoked_count": 2, "message": "2 session(s) revoked successfully"})
    );
    assert_eq!(h.validity(me.session_id).await["active"], true);
    assert_eq!(h.validity(a.session_id).await["active"], false);
    assert_eq!(h.validity(b.session_id).await["active"], false);
    assert_eq!(
        detail_types(&h.events()),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );
    let again = h.user(&me, "DELETE", "/sessions").await.ok_json(200);
    assert_eq!(again["revoked_count"], 0);
    assert_eq!(again["message"], "0 session(s) revoked successfully");
}

#[tokio::test]
async fn revoke_current_session_logs_the_caller_out() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let other = h.login("alice").await;
    h.events();
    h.user(&me, "DELETE", "/sessions/current")
        .await
        .no_content();
    assert_eq!(revoked_reasons(&h.events()), ["logout"]);
    assert_eq!(h.validity(me.session_id).await["reason"], "revoked");
    assert_eq!(h.validity(other.session_id).await["active"], true);
}

#[tokio::test]
async fn validity_reports_active_then_why_not() {
    let h = Harness::new();
    let me = h.login("alice").await;
    assert_eq!(
        h.validity(me.session_id).await,
        json!({
            "active": true, "user_id": "alice", "expires_at": "2026-01-31T00:00:00Z",
            "auth_time": "2026-01-01T00:00:00Z", "aal": 1, "step_up_required": false
        })
    );
    h.clock.advance(Duration::days(30));
    assert_eq!(
        h.validity(me.session_id).await,
        json!({"active": false, "reason": "expired"})
    );
    let missing = h
        .internal(
            "GET",
            "/internal/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b/validity",
            None,
        )
        .await
        .ok_json(200);
    assert_eq!(missing, json!({"active": false, "reason": "not_found"}));
}

#[tokio::test]
async fn validity_reports_idle_expiry() {
    let policy = PolicyConfig::from_json(
        r#"{"tiers": {"idle": {"max_sessions": 3, "idle_timeout_secs": 600}}, "activity_write_interval_secs": 60}"#,
    )
    .unwrap();
    let h = Harness::with_policy(policy);
    h.set_policy("alice", "idle").await;
    let me = h.login("alice").await;
    h.clock.advance(Duration::seconds(601));
    assert_eq!(
        h.validity(me.session_id).await,
        json!({"active": false, "reason": "idle_expired"})
    );
}

#[tokio::test]
async fn activity_accepts_an_empty_body_and_reports_ip_changes() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let uri = format!("/internal/sessions/{}/activity", me.session_id);
    let empty = h.internal("POST", &uri, None).await.ok_json(200);
    assert_eq!(
        empty,
        json!({"ip_changed": false, "suspicious_activity_count": 0, "active": true})
    );
    let same = h
        .internal("POST", &uri, Some(json!({"ip_address": "203.0.113.7"})))
        .await
        .ok_json(200);
    assert_eq!(same["ip_changed"], false);
    let moved = h
        .internal("POST", &uri, Some(json!({"ip_address": "198.51.100.4"})))
        .await
        .ok_json(200);
    assert_eq!(moved["ip_changed"], true);
    assert!(detail_types(&h.events()).contains(&"SessionActivityUpdated"));
}

#[tokio::test]
async fn activity_on_a_revoked_session_is_reported_inactive() {
    let h = Harness::new();
    let me = h.login("alice").await;
    h.user(&me, "DELETE", "/sessions/current")
        .await
        .no_content();
    let body = h
        .internal(
            "POST",
            &format!("/internal/sessions/{}/activity", me.session_id),
            Some(json!({})),
        )
        .await
        .ok_json(200);
    assert_eq!(body["active"], false);
    h.internal(
        "POST",
        "/internal/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b/activity",
        None,
    )
    .await
    .problem(404, "session_not_found");
}

#[tokio::test]
async fn provider_access_is_recorded_on_active_sessions_only() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let uri = format!("/internal/sessions/{}/provider-access", me.session_id);
    h.events();
    h.internal("POST", &uri, Some(json!({"provider_name": "plaid"})))
        .await
        .no_content();
    assert_eq!(detail_types(&h.events()), ["SessionProviderAccess"]);
    h.user(&me, "DELETE", "/sessions/current")
        .await
        .no_content();
    h.internal("POST", &uri, Some(json!({"provider_name": "plaid"})))
        .await
        .problem(409, "session_inactive");
    h.internal(
        "POST",
        "/internal/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b/provider-access",
        Some(json!({"provider_name": "plaid"})),
    )
    .await
    .problem(404, "session_not_found");
}

#[tokio::test]
async fn refresh_token_is_linked_to_active_sessions_only() {
    let h = Harness::new();
    let me = h.login("alice").await;
    let uri = format!("/internal/sessions/{}/refresh-token", me.session_id);
    h.internal("PUT", &uri, Some(json!({"refresh_token_id": "rt-42"})))
        .await
        .no_content();
    h.internal("PUT", &uri, Some(json!({"refresh_token_id": "rt-42"})))
        .await
        .no_content();
    h.user(&me, "DELETE", "/sessions/current")
        .await
        .no_content();
    h.internal("PUT", &uri, Some(json!({"refresh_token_id": "rt-43"})))
        .await
        .problem(409, "session_inactive");
    h.internal(
        "PUT",
        "/internal/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b/refresh-token",
        Some(json!({"refresh_token_id": "rt-1"})),
    )
    .await
    .problem(404, "session_not_found");
}

#[tokio::test]
async fn openapi_document_is_public_json() {
    let h = Harness::new();
    let reply = h
        .call(session_api::Caller::Anonymous, "GET", "/openapi.json", None)
        .await;
    let doc = reply.ok_json(200);
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn an_unavailable_store_is_503_with_retry_after() {
    let h = Harness::new();
    let me = h.login("alice").await;
    h.store.faults().fail_next_reads(1);
    let reply = h.user(&me, "GET", "/sessions").await;
    reply.problem(503, "store_unavailable");
    assert_eq!(reply.headers[http::header::RETRY_AFTER], "1");
    assert!(
        !String::from_utf8_lossy(&reply.body).contains("injected"),
        "no internal detail leaks"
    );
}

/// Given both, `state` decides the list and `active_only` is only validated (docs/0048): a client
/// moving from the flag to `state` may still send the flag.
#[tokio::test]
async fn the_list_state_supersedes_active_only() {
    let h = Harness::new();
    let signed_out = h.login("alice").await;
    let current = h.login("alice").await;
    h.user(
        &current,
        "DELETE",
        &format!("/sessions/{}", signed_out.session_id),
    )
    .await
    .no_content();
    let ids = |body: serde_json::Value| -> Vec<String> {
        body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let ended = h
        .user(&current, "GET", "/sessions?active_only=true&state=ended")
        .await
        .ok_json(200);
    let active = h
        .user(&current, "GET", "/sessions?active_only=false&state=active")
        .await
        .ok_json(200);

    assert_eq!(ids(ended), [signed_out.session_id.to_string()]);
    assert_eq!(ids(active), [current.session_id.to_string()]);
    h.user(&current, "GET", "/sessions?active_only=maybe&state=all")
        .await
        .problem(400, "validation_failed");
}
