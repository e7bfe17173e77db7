#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/corpus/<target>/ (a handful of valid inputs per
target, from events/*.json and hand-written samples). Run from anywhere; overwrites the seeds it
writes and touches nothing else. See docs/fuzzing.md."""

import base64
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent.parent
REPO = FUZZ.parent
EVENTS = REPO / "events"

IDS = {  # the event samples' session ids -> the fuzz world's placeholders
    "0193a1b2-c3d4-7e5f-8a6b-000000000001": "$A1",
    "0193a1b2-c3d4-7e5f-8a6b-000000000002": "$A2",
    "0193a1b2-c3d4-7e5f-8a6b-000000000003": "$B1",
}


def placeholders(text: str) -> str:
    for real, placeholder in IDS.items():
        text = text.replace(real, placeholder)
    return text


def write(target: str, name: str, data) -> None:
    if isinstance(data, str):
        data = data.encode()
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def compact(path: pathlib.Path) -> str:
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))


# api_request --------------------------------------------------------------------------------
UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
J = "content-type: application/json"
api = {
    "list-local": "0 GET /sessions?active_only=false&limit=1\nauthorization: Bearer $TA\n\n",
    "list-cursor": "1 GET /sessions?active_only=true&limit=50&cursor=$CUR",
    "get-own": "1 GET /sessions/$A2",
    "get-other": "2 GET /sessions/$A1",
    "revoke-other": "2 DELETE /sessions/$A1?reason=manual",
    "revoke-own-then-list": "1 DELETE /sessions/$A2?reason=suspicious_activity\n===\n1 GET /sessions?active_only=false",
    "revoke-all-bob": "0 DELETE /sessions\nauthorization: Bearer $TB\n\n",
    "logout-current": "0 DELETE /sessions/current\nauthorization: bearer $TA\n\n",
    "create": f'3 POST /internal/sessions\n{J}\n\n{{"user_id":"alice","ip_address":"203.0.113.7","user_agent":"{UA}"}}',
    "create-local": f'0 POST /internal/sessions\n{J}\n\n{{"user_id":"bob","ip_address":"2001:db8::1","user_agent":"curl/8.5"}}',
    "activity": f'3 POST /internal/sessions/$A1/activity\n{J}\n\n{{"ip_address":"198.51.100.23","user_agent":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"}}',
    "provider-access": f'3 POST /internal/sessions/$A2/provider-access\n{J}\n\n{{"provider_name":"plaid"}}',
    "refresh-token": f'3 PUT /internal/sessions/$A1/refresh-token\n{J}\n\n{{"refresh_token_id":"rt_123"}}',
    "policy": f'3 PUT /internal/users/carol/session-policy\n{J}\n\n{{"tier":"plus"}}',
    "validity": "3 GET /internal/sessions/$B1/validity",
    "openapi": "4 GET /openapi.json",
    "idempotent-replay": (f'3 POST /internal/sessions\nidempotency-key: login-7f3a\n{J}\n\n{{"user_id":"bob","ip_address":"203.0.113.9"}}'
                          f'\n===\n3 POST /internal/sessions\nidempotency-key: login-7f3a\n{J}\n\n{{"user_id":"bob","ip_address":"203.0.113.9"}}'),
    "user-as-service": f'1 PUT /internal/users/alice/session-policy\n{J}\n\n{{"tier":"basic"}}',
}
for name, text in api.items():
    write("api_request", name, text)
for path in sorted(p for p in EVENTS.glob("*/*.json") if not p.name.endswith(".expect.json")):
    if path.parent.name in ("authorizer", "account-events", "event-relay"):
        continue
    write("api_request", f"lambda-{path.parent.name}-{path.stem}", placeholders(compact(path)))

# jwt_claims ---------------------------------------------------------------------------------
HS = '{"alg":"HS256","typ":"JWT"}'
base = {"iss": "https://auth.fuzz", "aud": "sessions", "sub": "alice", "session_id": "$A1",
        "iat": 1767225600, "exp": 4102444800}


def claims(**changes):
    c = dict(base)
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return json.dumps(c, separators=(",", ":"))


jwt = {
    "valid": "s" + HS + "\n" + claims(),
    "valid-sid": "s" + HS + "\n" + claims(session_id=None, sid="$A2"),
    "both-claims": "s" + HS + "\n" + claims(sid="$A1"),
    "other-users-session": "s" + HS + "\n" + claims(sub="bob"),
    "bob": "s" + HS + "\n" + claims(sub="bob", session_id="$B1"),
    "aud-list": "s" + HS + "\n" + claims(aud=["other", "sessions"]),
    "nbf": "s" + HS + "\n" + claims(nbf=4102444000),
    "expired": "s" + HS + "\n" + claims(exp=1000),
    "alg-none": "s" + '{"alg":"none"}' + "\n" + claims(),
    "alg-hs512": "s" + '{"alg":"HS512","typ":"JWT"}' + "\n" + claims(),
    "kid-crit": "s" + '{"alg":"HS256","kid":"k1","crit":["exp"]}' + "\n" + claims(),
    "wrong-key": "w" + HS + "\n" + claims(),
    "header-valid": "tBearer $TA",
    "header-bob": "tbearer   $TB  ",
    "header-no-scheme": "t$TA",
    "header-basic": "tBasic YWxpY2U6c2VjcmV0",
    "header-garbage": "tBearer a.b.c",
}
for name, text in jwt.items():
    write("jwt_claims", name, text)

# cursor_decode ------------------------------------------------------------------------------
raw = "v1|2026-01-01T00:00:00.123456789Z|0193a1b2-c3d4-7e5f-8a6b-000000000001"
write("cursor_decode", "raw", "b" + raw)
write("cursor_decode", "raw-offset", "bv1|2026-01-01T01:00:00+01:00|0193a1b2-c3d4-7e5f-8a6b-000000000002")
write("cursor_decode", "encoded", "t" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))
write("cursor_decode", "garbage", "tbm90IGEgY3Vyc29y")

# eventbridge_event --------------------------------------------------------------------------
for path in sorted(p for p in (EVENTS / "account-events").glob("*.json") if not p.name.endswith(".expect.json")):
    write("eventbridge_event", path.stem, placeholders(compact(path)))
changed = json.loads((EVENTS / "account-events" / "password-changed.json").read_text())
changed["detail"] = {"user_id": "bob"}
changed["id"] = "bob-change"
write("eventbridge_event", "bob-changed-no-session", placeholders(json.dumps(changed)))
relay = json.loads((EVENTS / "event-relay" / "outbox-insert.json").read_text())
image = relay["Records"][0]["dynamodb"]["NewImage"]
detail = json.loads(image["detail"]["S"])
domain = dict(changed)
domain["detail-type"] = "SessionRevoked"
domain["detail"] = detail
write("eventbridge_event", "domain-session-revoked", placeholders(json.dumps(domain)))
created = dict(domain)
created["detail-type"] = "SessionCreated"
created["detail"] = {
    "event_id": "0193a1b2-c3d4-7e5f-8a6b-0000000000e2", "occurred_at": "2026-11-22T16:00:00.000001Z",
    "session_id": "$A1", "user_id": "alice", "device_info": "Chrome on macOS",
    "ip_address": "203.0.113.7", "location": "Berlin, DE", "user_agent": UA,
    "expires_at": "2026-12-22T16:00:00Z"}
write("eventbridge_event", "domain-session-created", json.dumps(created))
limit = dict(domain)
limit["detail-type"] = "AllSessionsRevoked"
limit["detail"] = {
    "event_id": "0193a1b2-c3d4-7e5f-8a6b-0000000000e3", "occurred_at": "2026-11-22T16:00:00Z",
    "user_id": "alice", "reason": "password_changed", "session_count": 1,
    "session_ids": ["$A2"], "except_session_id": "$A1"}
write("eventbridge_event", "domain-all-revoked", json.dumps(limit))

# stream_record ------------------------------------------------------------------------------
write("stream_record", "outbox-insert", "j" + compact(EVENTS / "event-relay" / "outbox-insert.json"))
write("stream_record", "detail-revoked",
      "dSessionRevoked\n" + image["detail"]["S"] + "\n" + image["occurred_at"]["S"])
write("stream_record", "detail-created", "dSessionCreated\n" + json.dumps(created["detail"]).replace("$A1", "0193a1b2-c3d4-7e5f-8a6b-000000000001"))
write("stream_record", "detail-all-revoked", "dAllSessionsRevoked\n" + json.dumps(limit["detail"]).replace("$A1", "0193a1b2-c3d4-7e5f-8a6b-000000000001").replace("$A2", "0193a1b2-c3d4-7e5f-8a6b-000000000002"))
write("stream_record", "detail-suspicious", 'dSuspiciousSessionActivity\n{"event_id":"0193a1b2-c3d4-7e5f-8a6b-0000000000e4","occurred_at":"2026-11-22T16:00:00Z","session_id":"0193a1b2-c3d4-7e5f-8a6b-000000000001","user_id":"alice","activity_type":"impossible_travel","details":{"from":"DE","to":"US","kmh":9000.5},"suspicious_count":3}')

# user_agent ---------------------------------------------------------------------------------
uas = {
    "chrome-mac": UA,
    "safari-iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "firefox-linux": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "edge-windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "android-tablet": "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "okhttp": "okhttp/4.12.0",
    "app": "FinanceApp/5.2.1 (iPhone; iOS 18.1; Scale/3.00)",
    "empty": "",
}
for name, text in uas.items():
    write("user_agent", name, text)

# client_ip ----------------------------------------------------------------------------------
for name, text in {
    "v4": "203.0.113.7", "v4-public": "8.8.8.8", "v6": "2001:4860:4860::8888",
    "mapped": "::ffff:81.2.69.142", "port": "198.51.100.9:4711", "brackets": "[2001:db8::1]:443",
    "list": " 198.51.100.9 , 10.0.0.1", "private": "10.1.2.3", "zone": "fe80::1%eth0",
    "context": "alice|0193a1b2-c3d4-7e5f-8a6b-000000000001",
}.items():
    write("client_ip", name, text)

total = sum(p.stat().st_size for p in (FUZZ / "corpus").rglob("*") if p.is_file())
print(f"seed corpora: {total} bytes")
