//! Percent-decoding of path segments and query components. User ids may hold characters such as
//! `|` that clients escape, and a decoded value must be valid UTF-8 before anything uses it.

/// Decodes `%XX` escapes (and `+` as a space in query components). `None` when an escape is
/// malformed or the result is not UTF-8.
pub(crate) fn decode(raw: &str, plus_as_space: bool) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'%' => {
                let high = bytes.next().and_then(hex_value)?;
                let low = bytes.next().and_then(hex_value)?;
                out.push((high << 4) | low);
            }
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_escapes_and_keeps_plain_text() {
        assert_eq!(decode("auth0%7Cabc", false).as_deref(), Some("auth0|abc"));
        assert_eq!(decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(decode("a+b%20c", true).as_deref(), Some("a b c"));
        assert_eq!(decode("caf%C3%A9", false).as_deref(), Some("café"));
    }

    #[test]
    fn rejects_broken_escapes_and_non_utf8() {
        for bad in ["%", "%4", "%zz", "%FF", "%C3"] {
            assert_eq!(decode(bad, false), None, "{bad}");
        }
    }
}
