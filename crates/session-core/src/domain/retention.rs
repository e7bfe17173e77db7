//! Retention of ended sessions and forgotten devices (docs/0050): how long they are kept, and
//! how the personal data in a session is cut down once it has been kept long enough.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// Days an ended session or a forgotten device is kept when the policy does not say.
pub const DEFAULT_HISTORY_DAYS: u16 = 90;
/// Days an ended session keeps its addresses and user agents when the policy does not say.
pub const DEFAULT_IP_RETENTION_DAYS: u16 = 30;
/// Longest history the policy may ask for: ten years.
pub const MAX_HISTORY_DAYS: u16 = 3650;

/// The two retention periods, counted from a session's end (its revocation, or its absolute
/// expiry when never revoked). Copied onto each session at its login, like the idle timeout, so
/// that every later write of the session knows them without the policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Retention {
    history_days: u16,
    ip_retention_days: u16,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            history_days: DEFAULT_HISTORY_DAYS,
            ip_retention_days: DEFAULT_IP_RETENTION_DAYS,
        }
    }
}

/// Why a pair of retention periods was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InvalidRetention {
    /// `history_days` is not within 1..=[`MAX_HISTORY_DAYS`].
    History,
    /// `ip_retention_days` is 0 or longer than `history_days`.
    IpRetention,
}

impl Retention {
    /// Periods within their bounds: history 1..=[`MAX_HISTORY_DAYS`] days, IP retention at least
    /// a day and at most the history.
    pub fn new(history_days: u16, ip_retention_days: u16) -> Result<Self, InvalidRetention> {
        if !(1..=MAX_HISTORY_DAYS).contains(&history_days) {
            return Err(InvalidRetention::History);
        }
        if !(1..=history_days).contains(&ip_retention_days) {
            return Err(InvalidRetention::IpRetention);
        }
        Ok(Self {
            history_days,
            ip_retention_days,
        })
    }

    pub fn history_days(self) -> u16 {
        self.history_days
    }

    pub fn ip_retention_days(self) -> u16 {
        self.ip_retention_days
    }

    /// How long after its end a session (or after its removal a device) is kept.
    pub fn history(self) -> Duration {
        Duration::days(i64::from(self.history_days))
    }

    /// How long after its end a session keeps its addresses and raw user agents.
    pub fn ip_retention(self) -> Duration {
        Duration::days(i64::from(self.ip_retention_days))
    }
}

/// An address cut to its network: the first 24 bits of an IPv4 address, the first 48 of an
/// IPv6 one (an IPv4-mapped IPv6 address is cut as the IPv4 address it is). Enough to tell a
/// country or a provider, not a household.
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(truncate_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V6(truncate_v4(v4).to_ipv6_mapped()),
            None => {
                let bits = u128::from(v6) & !((1u128 << 80) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

fn truncate_v4(ip: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(ip) & 0xFFFF_FF00)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_are_cut_to_24_and_48_bits() {
        assert_eq!(truncate_ip(ip("203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(
            truncate_ip(ip("2001:db8:85a3:8d3:1319:8a2e:370:7348")),
            ip("2001:db8:85a3::")
        );
        assert_eq!(
            truncate_ip(ip("::ffff:198.51.100.23")),
            ip("::ffff:198.51.100.0")
        );
        let once = truncate_ip(ip("2001:db8:1:2:3:4:5:6"));
        assert_eq!(truncate_ip(once), once, "idempotent");
    }

    #[test]
    fn periods_are_bounded_and_ip_retention_fits_in_the_history() {
        assert_eq!(Retention::default(), Retention::new(90, 30).unwrap());
        assert!(Retention::new(1, 1).is_ok());
        assert!(Retention::new(3650, 3650).is_ok());
        assert_eq!(Retention::new(0, 0), Err(InvalidRetention::History));
        assert_eq!(Retention::new(3651, 30), Err(InvalidRetention::History));
        assert_eq!(Retention::new(90, 0), Err(InvalidRetention::IpRetention));
        assert_eq!(Retention::new(30, 31), Err(InvalidRetention::IpRetention));
        assert_eq!(Retention::default().history(), Duration::days(90));
        assert_eq!(Retention::default().ip_retention(), Duration::days(30));
    }
}
