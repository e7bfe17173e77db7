//! Reading process figures from /proc: CPU time (utime + stime) and peak resident set (VmHWM).
//! Linux only, like the Lambda sandbox this models.

use std::fs;
use std::time::Duration;

use crate::BoxError;

/// Clock ticks per second of /proc/<pid>/stat times: USER_HZ, 100 on every Linux architecture
/// Lambda runs (x86_64, aarch64).
const USER_HZ: u64 = 100;

/// CPU time a process has used so far, all its threads, user + system (10 ms resolution).
pub fn cpu_time(pid: u32) -> Result<Duration, BoxError> {
    cpu_time_of(&format!("/proc/{pid}/stat"))
}

/// CPU time this process has used so far.
pub fn own_cpu_time() -> Result<Duration, BoxError> {
    cpu_time_of("/proc/self/stat")
}

fn cpu_time_of(path: &str) -> Result<Duration, BoxError> {
    let stat = fs::read_to_string(path)?;
    parse_cpu_ticks(&stat)
        .map(|ticks| Duration::from_millis(ticks * 1000 / USER_HZ))
        .ok_or_else(|| format!("{path}: unexpected format").into())
}

/// utime + stime from a stat line; the command name (field 2) may hold spaces and parentheses,
/// so fields are counted after its last ')'.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Peak resident set size of a live process, in KiB (VmHWM).
pub fn peak_rss_kib(pid: u32) -> Result<u64, BoxError> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path)?;
    parse_kib(&status, "VmHWM:").ok_or_else(|| format!("{path}: no VmHWM line").into())
}

fn parse_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_after_an_awkward_command_name() {
        let stat = "1234 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 30 0 0 20 0 1 0 100";
        assert_eq!(parse_cpu_ticks(stat), Some(280));
    }

    #[test]
    fn parses_peak_rss() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t   4321 kB\n";
        assert_eq!(parse_kib(status, "VmHWM:"), Some(4321));
    }

    #[test]
    fn reads_own_figures() {
        assert!(own_cpu_time().is_ok());
        assert!(peak_rss_kib(std::process::id()).unwrap() > 0);
    }
}
