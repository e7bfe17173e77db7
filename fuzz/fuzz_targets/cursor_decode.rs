//! Cursor decoding: `session_core::cursor::CursorPosition::decode`, what `GET /sessions?cursor=`
//! hands every client-supplied cursor to.
//!
//! The first byte picks the input form: `b` means the rest is the cursor's decoded content and is
//! base64url-encoded first (so the fuzzer works on `v1|<time>|<session id>` directly instead of
//! having to find valid base64); anything else means the rest is the cursor text as sent.
//!
//! Checks: no panic; a cursor that decodes re-encodes to one that decodes to the same position,
//! and that canonical form is stable.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use session_core::cursor::CursorPosition;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = if mode == b'b' {
        URL_SAFE_NO_PAD.encode(rest)
    } else {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return,
        }
    };
    let Some(position) = CursorPosition::decode(&text) else {
        return;
    };
    let canonical = position.encode();
    let again = CursorPosition::decode(&canonical);
    assert_eq!(
        again,
        Some(position),
        "cursor {text:?} decodes to {position:?}, whose encoding {canonical:?} does not decode back"
    );
    assert_eq!(
        position.encode(),
        canonical,
        "encoding is not deterministic"
    );
});
