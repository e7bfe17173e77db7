#!/usr/bin/env python3
"""Writes the sample Lambda payloads under events/ (one folder per function).

The payloads are what API Gateway (HTTP API, payload 2.0), the Lambda authorizer, EventBridge and
the DynamoDB stream deliver. The workspace tests feed every file through the real handlers, so
they stay true. The bearer token is signed with a test-only secret that appears nowhere else
(events/README.md); it expires in 2100.
"""
import base64, hashlib, hmac, json, os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events")
SECRET = b"events-fixture-secret-for-tests-only-0123456789"
ISSUER, AUDIENCE = "https://auth.example.com", "sessions"
ALICE, BOB, CAROL = "alice", "bob", "carol"
S_LAPTOP = "0193a1b2-c3d4-7e5f-8a6b-000000000001"
S_PHONE = "0193a1b2-c3d4-7e5f-8a6b-000000000002"
PHONE_DEVICE = "alice-phone-0001"
S_BOB = "0193a1b2-c3d4-7e5f-8a6b-000000000003"
ACCOUNT = "123456789012"
EVENT_ID = "0193a1b2-c3d4-7e5f-8a6b-0000000000e1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub: str, sid: str) -> str:
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "session_id": sid, "iat": 1795190400, "exp": 4102444800}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = b64(hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def http_event(method, path, query="", body=None, user=None, iam=False, extra_headers=None):
    route_path = path
    for sid in (S_LAPTOP, S_PHONE, S_BOB):
        route_path = route_path.replace(sid, "{id}")
    route_path = re.sub(r"/users/[^/]+/", "/users/{user_id}/", route_path)
    route_path = re.sub(r"^/devices/[^/]+$", "/devices/{id}", route_path)
    route_path = re.sub(r"/devices/[^/]+/trust$", "/devices/{device_id}/trust", route_path)
    route_key = f"{method} {route_path}"
    authorizer = {}
    if user:
        authorizer = {"lambda": {"user_id": user[0], "session_id": user[1]}}
    if iam:
        authorizer = {"iam": {
            "accessKey": "ASIAEXAMPLEKEY000000", "accountId": ACCOUNT,
            "callerId": "AROAEXAMPLEROLE00000:auth-service", "principalOrgId": None,
            "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/auth-service/auth-service",
            "userId": "AROAEXAMPLEROLE00000:auth-service"}}
    headers = {"accept": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com",
               "user-agent": "auth-service/1.0" if iam else "Mozilla/5.0", "x-forwarded-for": "203.0.113.7"}
    if body is not None:
        headers["content-type"] = "application/json"
    headers.update(extra_headers or {})
    event = {
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "abc123", "authorizer": authorizer,
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": headers["user-agent"]},
            "requestId": "JKJaXmPLvHcESHA=", "routeKey": route_key, "stage": "$default",
            "time": "22/Nov/2026:16:00:00 +0000", "timeEpoch": 1795190400000},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def authorizer_event(auth_header):
    headers = {"host": "abc123.execute-api.eu-west-1.amazonaws.com", "user-agent": "Mozilla/5.0"}
    if auth_header:
        headers["authorization"] = auth_header
    return {
        "version": "2.0", "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123/$default/GET/sessions",
        "identitySource": [auth_header] if auth_header else [],
        "routeKey": "GET /sessions", "rawPath": "/sessions", "rawQueryString": "", "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "abc123", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": "GET", "path": "/sessions", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": "Mozilla/5.0"},
            "requestId": "JKJaXmPLvHcESHA=", "routeKey": "GET /sessions", "stage": "$default",
            "time": "22/Nov/2026:16:00:00 +0000", "timeEpoch": 1795190400000},
    }


def auth_event(detail_type, detail, source="auth", time="2026-11-22T16:00:00Z"):
    return {"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detail_type,
            "source": source, "account": ACCOUNT, "time": time, "region": "eu-west-1",
            "resources": [], "detail": detail}


def stream_event():
    detail = {"event_id": EVENT_ID, "occurred_at": "2026-11-22T16:00:00.000000Z", "session_id": S_PHONE,
              "user_id": ALICE, "reason": "manual", "device_info": "Safari on iOS", "revoked_by_user": ALICE,
              "by": {"kind": "user", "id": ALICE}, "note": None}
    new_image = {"pk": {"S": f"EVENT#{EVENT_ID}"}, "sk": {"S": "EVENT"}, "event_id": {"S": EVENT_ID},
                 "detail_type": {"S": "SessionRevoked"}, "detail": {"S": json.dumps(detail, separators=(",", ":"))},
                 "occurred_at": {"S": "2026-11-22T16:00:00.000000000Z"}, "user_id": {"S": ALICE},
                 "ttl": {"N": "1795276800"}}
    return {"Records": [{
        "eventID": "c4ca4238a0b923820dcc509a6f75849b", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "dynamodb": {"ApproximateCreationDateTime": 1795190400, "Keys": {"pk": new_image["pk"], "sk": new_image["sk"]},
                     "NewImage": new_image, "SequenceNumber": "111000000000000000000001", "SizeBytes": 512,
                     "StreamViewType": "NEW_IMAGE"},
        "eventSourceARN": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/sessions/stream/2026-11-22T00:00:00.000"}]}


FILES = {
    "list-sessions/active-sessions.json": http_event("GET", "/sessions", "active_only=true&limit=20", user=(ALICE, S_LAPTOP)),
    "get-session/own-session.json": http_event("GET", f"/sessions/{S_PHONE}", user=(ALICE, S_LAPTOP)),
    "get-session/other-users-session.json": http_event("GET", f"/sessions/{S_BOB}", user=(ALICE, S_LAPTOP)),
    "revoke-session/sign-out-phone.json": http_event("DELETE", f"/sessions/{S_PHONE}", user=(ALICE, S_LAPTOP)),
    "revoke-all-sessions/sign-out-everywhere-else.json": http_event("DELETE", "/sessions", user=(ALICE, S_LAPTOP)),
    "logout-current/logout.json": http_event("DELETE", "/sessions/current", user=(ALICE, S_LAPTOP)),
    "create-session/login.json": http_event("POST", "/internal/sessions", body={
        "user_id": ALICE, "ip_address": "198.51.100.23", "refresh_token_id": "rt_01JD5",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1"}, iam=True),
    "create-session/login-with-idempotency-key.json": http_event("POST", "/internal/sessions", body={
        "user_id": ALICE, "ip_address": "198.51.100.23", "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"},
        iam=True, extra_headers={"idempotency-key": "0193a5b0-login-retry-safe"}),
    "create-session/unknown-user.json": http_event("POST", "/internal/sessions", body={"user_id": "mallory"}, iam=True),
    "validate-session/validity.json": http_event("GET", f"/internal/sessions/{S_LAPTOP}/validity", iam=True),
    "update-session-activity/new-ip.json": http_event("POST", f"/internal/sessions/{S_LAPTOP}/activity", body={"ip_address": "198.51.100.99"}, iam=True),
    "record-provider-access/plaid.json": http_event("POST", f"/internal/sessions/{S_LAPTOP}/provider-access", body={"provider_name": "plaid"}, iam=True),
    "link-refresh-token/link.json": http_event("PUT", f"/internal/sessions/{S_LAPTOP}/refresh-token", body={"refresh_token_id": "rt_01JD6"}, iam=True),
    "set-session-policy/upgrade-to-plus.json": http_event("PUT", "/internal/users/carol/session-policy", body={"tier": "plus"}, iam=True),
    "authorizer/active-session.json": authorizer_event(f"Bearer {token(ALICE, S_LAPTOP)}"),
    "authorizer/no-token.json": authorizer_event(None),
    "authorizer/bad-signature.json": authorizer_event(f"Bearer {token(ALICE, S_LAPTOP)[:-4]}AAAA"),
    "account-events/password-changed.json": auth_event("UserPasswordChangeSucceeded", {"user_id": ALICE, "session_id": S_LAPTOP}),
    "account-events/password-reset.json": auth_event("PasswordResetConfirmSucceeded", {"user_id": ALICE}),
    "account-events/untrusted-source.json": auth_event("PasswordResetConfirmSucceeded", {"user_id": ALICE}, source="attacker"),
    "account-events/email-changed.json": auth_event("UserEmailChanged", {
        "user_id": ALICE, "session_id": S_LAPTOP, "occurred_at": "2026-11-22T15:59:59.250Z"}),
    "account-events/mfa-changed.json": auth_event("UserMfaChanged", {"user_id": ALICE, "session_id": S_LAPTOP}),
    "account-events/account-recovered.json": auth_event("UserAccountRecovered", {"user_id": ALICE}),
    "account-events/account-disabled.json": auth_event("UserAccountDisabled", {"user_id": ALICE}),
    "account-events/account-enabled.json": auth_event("UserAccountEnabled", {"user_id": ALICE}),
    "account-events/account-deleted.json": auth_event("UserAccountDeleted", {"user_id": ALICE}),
    "refresh-session/rotate.json": http_event("POST", f"/internal/sessions/{S_LAPTOP}/refresh", body={
        "refresh_token_id": "rt_laptop_1", "next_refresh_token_id": "rt_laptop_2", "ip_address": "203.0.113.7"}, iam=True),
    "refresh-session/replayed-token.json": http_event("POST", f"/internal/sessions/{S_LAPTOP}/refresh", body={
        "refresh_token_id": "rt_laptop_0", "next_refresh_token_id": "rt_laptop_9", "ip_address": "198.51.100.66"}, iam=True),
    "step-up-session/second-factor.json": http_event("POST", f"/internal/sessions/{S_LAPTOP}/step-up", body={
        "aal": 2, "amr": ["pwd", "otp"]}, iam=True),
    "revoke-all-sessions/sign-out-everywhere.json": http_event("DELETE", "/sessions", "include_current=true", user=(ALICE, S_LAPTOP)),
    "admin-list-sessions/alice-sessions.json": http_event("GET", "/admin/users/alice/sessions", "state=all&limit=20", iam=True),
    "admin-list-sessions/unknown-user.json": http_event("GET", "/admin/users/mallory/sessions", iam=True),
    "admin-revoke-session/stolen-phone.json": http_event("DELETE", f"/admin/sessions/{S_PHONE}", body={
        "reason": "security_concern", "actor": "support:jane", "note": "customer reported the phone stolen"}, iam=True),
    "admin-revoke-all-sessions/compromised-account.json": http_event("DELETE", "/admin/users/alice/sessions", body={
        "reason": "security_concern", "actor": "security:oncall", "note": "credential stuffing"}, iam=True),
    "admin-bulk-revoke/incident.json": http_event("POST", "/admin/revocations", body={
        "user_ids": [ALICE, BOB, "mallory"], "reason": "security_concern", "actor": "security:incident-17"}, iam=True),
    "admin-set-account-status/disable.json": http_event("PUT", "/admin/users/alice/status", body={
        "status": "disabled", "reason": "security_concern", "actor": "security:oncall"}, iam=True),
    "admin-set-account-status/enable.json": http_event("PUT", "/admin/users/alice/status", body={
        "status": "active", "reason": "admin_action", "actor": "support:jane", "note": "identity verified by phone"}, iam=True),
    "event-relay/outbox-insert.json": stream_event(),
    "list-devices/devices.json": http_event("GET", "/devices", user=(ALICE, S_LAPTOP)),
    "rename-device/rename-phone.json": http_event("PATCH", f"/devices/{PHONE_DEVICE}", body={"name": "Work phone"}, user=(ALICE, S_LAPTOP)),
    "rename-device/other-users-device.json": http_event("PATCH", f"/devices/{PHONE_DEVICE}", body={"name": "Mine now"}, user=(BOB, S_BOB)),
    "remove-device/remove-phone.json": http_event("DELETE", f"/devices/{PHONE_DEVICE}", user=(ALICE, S_LAPTOP)),
    # Beyond the 90 days trust may last: any fixed `trusted_until` inside them would fall out
    # as the wall clock (the functions' under the RIE) moves on.
    "trust-device/beyond-90-days.json": http_event("PUT", f"/internal/users/alice/devices/{PHONE_DEVICE}/trust", body={
        "trusted_until": "2100-01-01T00:00:00Z"}, iam=True),
}

for name, event in FILES.items():
    path = os.path.join(ROOT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(event, f, indent=2)
        f.write("\n")
print(f"wrote {len(FILES)} payloads under events/", file=sys.stderr)
