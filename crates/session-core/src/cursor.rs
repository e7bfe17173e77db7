//! Opaque pagination cursors: a position in a user's newest-first session list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::ids::SessionId;

/// The last item of a page; the next page starts strictly after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CursorPosition {
    pub created_at: DateTime<Utc>,
    pub session_id: SessionId,
}

const VERSION: &str = "v1";
const MAX_CURSOR_LEN: usize = 256;

impl CursorPosition {
    pub fn encode(&self) -> String {
        let raw = format!(
            "{VERSION}|{}|{}",
            self.created_at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            self.session_id
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// `None` for anything that is not a cursor this service produced (in shape: a cursor only
    /// ever selects within the caller's own sessions, so a forged one leaks nothing).
    pub fn decode(cursor: &str) -> Option<Self> {
        if cursor.len() > MAX_CURSOR_LEN {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let raw = std::str::from_utf8(&raw).ok()?;
        let mut parts = raw.split('|');
        if parts.next()? != VERSION {
            return None;
        }
        let created_at = DateTime::parse_from_rfc3339(parts.next()?)
            .ok()?
            .with_timezone(&Utc);
        let session_id = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            created_at,
            session_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn cursor_round_trips() {
        let pos = CursorPosition {
            created_at: Utc::now(),
            session_id: SessionId::from_uuid(Uuid::now_v7()),
        };
        assert_eq!(CursorPosition::decode(&pos.encode()), Some(pos));
    }

    #[test]
    fn garbage_and_tampered_cursors_are_rejected() {
        for bad in ["", "!!!", "djE", "bm90IGEgY3Vyc29y", &"A".repeat(300)] {
            assert_eq!(CursorPosition::decode(bad), None, "{bad}");
        }
        let forged = URL_SAFE_NO_PAD.encode("v1|2026-01-01T00:00:00Z|not-a-uuid");
        assert_eq!(CursorPosition::decode(&forged), None);
        let extra = URL_SAFE_NO_PAD.encode(format!("v1|2026-01-01T00:00:00Z|{}|x", Uuid::now_v7()));
        assert_eq!(CursorPosition::decode(&extra), None);
    }
}
