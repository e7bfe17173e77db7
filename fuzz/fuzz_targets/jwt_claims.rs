//! JWT / claims handling: `TokenVerifier::verify` (HS256) and `Authenticator::authenticate` (the
//! Lambda authorizer's check: bearer header, token, then the session it names) over the embedded
//! store holding alice's a1, a2 and bob's b1.
//!
//! The first byte picks how the rest becomes a token:
//! - `t` (or anything else): the rest is the token / `Authorization` value as is (random strings
//!   almost never get past the signature, so this mostly fuzzes the header and base64 layers);
//! - `s`: the rest is `<JOSE header JSON>\n<claims JSON>`, base64url-encoded and signed with the
//!   service's own HS256 secret, so the claims checks (`exp`, `nbf`, `iss`, `aud`, `sub`,
//!   `session_id`/`sid`) are reached with arbitrary claims;
//! - `w`: the same, signed with another secret.
//!
//! Placeholders `$A1` `$A2` `$B1` become the session ids, `$TA` `$TB` valid tokens of a1 and b1.
//!
//! Checks: no panic; a token not signed with the secret never verifies; a verified token's JOSE
//! header says HS256; an authenticated caller is always a (user, session) pair that exists and is
//! active, i.e. alice with a1/a2 or bob with b1, never one user with another's session.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use session_api::{Caller, TokenVerifier, bearer_token};
use session_fuzz::{World, block_on, replace_all, verifier};
use std::sync::OnceLock;

const OTHER_SECRET: &[u8] = b"another-secret-that-is-also-32-bytes-or-more";

fn shared_verifier() -> &'static TokenVerifier {
    static VERIFIER: OnceLock<TokenVerifier> = OnceLock::new();
    VERIFIER.get_or_init(verifier)
}

fuzz_target!(|data: &[u8]| {
    block_on(run(data));
});

async fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let world = World::new().await;
    let mut rest = rest.to_vec();
    for (from, to) in [
        ("$A1", world.a1.to_string()),
        ("$A2", world.a2.to_string()),
        ("$B1", world.b1.to_string()),
        ("$TA", world.token_a1.clone()),
        ("$TB", world.token_b1.clone()),
    ] {
        rest = replace_all(&rest, from.as_bytes(), to.as_bytes());
    }
    let (token, signed_with_secret, header) = match mode {
        b's' | b'w' => {
            let text = String::from_utf8_lossy(&rest);
            let (header, claims) = text.split_once('\n').unwrap_or((&text, "{}"));
            let message = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(claims)
            );
            let secret = if mode == b's' {
                session_fuzz::SECRET
            } else {
                OTHER_SECRET
            };
            let signature = jsonwebtoken::crypto::sign(
                message.as_bytes(),
                &EncodingKey::from_secret(secret),
                Algorithm::HS256,
            )
            .expect("HMAC signing cannot fail");
            (
                format!("{message}.{signature}"),
                mode == b's',
                Some(header.to_owned()),
            )
        }
        _ => (String::from_utf8_lossy(&rest).into_owned(), false, None),
    };

    // The verifier alone.
    let verified = shared_verifier().verify(&token);
    if let Ok(claims) = &verified {
        if let Some(header) = &header {
            assert!(
                signed_with_secret,
                "a token signed with another key verified"
            );
            let header: Value = serde_json::from_str(header).expect("a verified header is JSON");
            assert_eq!(header["alg"], "HS256", "a token verified under {header}");
        }
        assert!(!claims.user_id.as_str().is_empty());
    }

    // What the authorizer runs on the `Authorization` header: as given for `t`, as a bearer
    // header for the signed modes.
    let authorization = match mode {
        b's' | b'w' => format!("Bearer {token}"),
        _ => token.clone(),
    };
    if let Ok(bare) = bearer_token(Some(&authorization)) {
        assert!(!bare.is_empty() && !bare.contains(' '));
    }
    let outcome = world.authenticator.authenticate(Some(&authorization)).await;
    match outcome {
        Ok(Caller::User {
            user_id,
            session_id,
        }) => {
            let owned = (user_id == world.alice
                && (session_id == world.a1 || session_id == world.a2))
                || (user_id == world.bob && session_id == world.b1);
            assert!(
                owned,
                "authenticated {user_id} on session {session_id}, which is not theirs"
            );
            assert!(
                mode != b'w',
                "a token signed with another key authenticated"
            );
        }
        Ok(other) => panic!("the authenticator returned a non-user caller {other:?}"),
        Err(error) => assert!(
            error.is_unauthenticated(),
            "the embedded store failed a session check: {error}"
        ),
    }
}
