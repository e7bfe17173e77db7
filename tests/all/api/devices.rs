//! The device routes over HTTP (docs/0047): bad device input is a 400 naming the field, another
//! user's device a 404, and a trusted device shows on the session and in the list.

use serde_json::json;
use session_core::ids::UserId;

use super::support::{Harness, Login};

/// Logs `user` in from `device` and answers the login with the created session's body.
async fn device_login(h: &Harness, user: &str, device: &str) -> (Login, serde_json::Value) {
    h.set_policy(user, "basic").await;
    let created = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({"user_id": user, "device_id": device, "device_name": "phone"})),
        )
        .await
        .ok_json(201);
    let login = Login {
        user_id: user.parse::<UserId>().unwrap(),
        session_id: created["session_id"].as_str().unwrap().parse().unwrap(),
    };
    (login, created)
}

#[tokio::test]
async fn bad_device_input_is_a_400_naming_the_field() {
    let h = Harness::new();
    h.set_policy("alice", "basic").await;
    for (body, field) in [
        (
            json!({"user_id": "alice", "device_id": "short"}),
            "device_id",
        ),
        (
            json!({"user_id": "alice", "device_id": "has/slash-0001"}),
            "device_id",
        ),
        (
            json!({"user_id": "alice", "device_name": "phone"}),
            "device_name",
        ),
        (
            json!({"user_id": "alice", "device_id": "install-0001", "device_name": "a\u{7}b"}),
            "device_name",
        ),
    ] {
        let problem = h
            .internal("POST", "/internal/sessions", Some(body.clone()))
            .await
            .problem(400, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let (me, _) = device_login(&h, "alice", "install-0001").await;
    let rename = h
        .call(
            me.caller(),
            "PATCH",
            "/devices/install-0001",
            Some(json!({"name": ""})),
        )
        .await;
    rename.problem(400, "validation_failed");
    h.user(&me, "DELETE", "/devices/x")
        .await
        .problem(400, "validation_failed");
    let trust = h
        .internal(
            "PUT",
            "/internal/users/alice/devices/install-0001/trust",
            Some(json!({"trusted_until": "2020-01-01T00:00:00Z"})),
        )
        .await;
    trust.problem(400, "validation_failed");
}

#[tokio::test]
async fn devices_are_listed_renamed_trusted_and_removed_and_another_users_are_not_found() {
    let h = Harness::new();
    let (alice, created) = device_login(&h, "alice", "install-0001").await;
    assert_eq!(created["device_id"], "install-0001");
    let (bob, _) = device_login(&h, "bob", "install-0002").await;

    for (method, body) in [("PATCH", Some(json!({"name": "mine"}))), ("DELETE", None)] {
        h.call(bob.caller(), method, "/devices/install-0001", body)
            .await
            .problem(404, "device_not_found");
    }
    h.internal(
        "PUT",
        "/internal/users/bob/devices/install-0001/trust",
        Some(json!({"trusted_until": "2099-01-01T00:00:00Z"})),
    )
    .await
    .problem(400, "validation_failed");

    // A week after the harness's fake clock (2026-01-01).
    let until = "2026-01-08T00:00:00Z";
    let trusted = h
        .internal(
            "PUT",
            "/internal/users/alice/devices/install-0001/trust",
            Some(json!({"trusted_until": until})),
        )
        .await
        .ok_json(200);
    assert_eq!(trusted["device_id"], "install-0001");
    h.internal(
        "PUT",
        "/internal/users/bob/devices/install-0001/trust",
        Some(json!({"trusted_until": until})),
    )
    .await
    .problem(404, "device_not_found");

    let session = h
        .user(&alice, "GET", &format!("/sessions/{}", alice.session_id))
        .await
        .ok_json(200);
    assert_eq!(session["is_trusted"], true);
    assert_eq!(session["device_id"], "install-0001");
    let list = h.user(&alice, "GET", "/devices").await.ok_json(200);
    assert_eq!(list["devices"][0]["id"], "install-0001");
    assert_eq!(list["devices"][0]["is_current"], true);
    assert_eq!(list["devices"][0]["is_trusted"], true);
    assert_eq!(list["devices"].as_array().unwrap().len(), 1, "only her own");

    let renamed = h
        .call(
            alice.caller(),
            "PATCH",
            "/devices/install-0001",
            Some(json!({"name": "work phone"})),
        )
        .await
        .ok_json(200);
    assert_eq!(renamed["name"], "work phone");
    h.user(&alice, "DELETE", "/devices/install-0001")
        .await
        .no_content();
    assert_eq!(h.validity(alice.session_id).await["active"], false);
}
