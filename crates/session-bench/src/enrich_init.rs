//! What enrichment costs the first login of a fresh process, against the way it was done before
//! (docs/0030-enrichment-without-start-up-cost.md, docs/0031-memory-mapped-location-database.md).
//! Each case runs in a fresh process (this binary runs itself once per sample), interleaved run
//! by run so machine noise hits the cases alike:
//!
//! - user agent, before: ua-parser 0.2.2 compiling all ~570 uap-core rules, then one parse;
//! - user agent, now: `DeviceParser::parse` (build-time prefilter, regexes compiled on need);
//! - location, before: the city database read into memory, then one lookup;
//! - location, now: `GeoIpLocator` (memory map), one lookup.
//!
//! "First use" is everything the first call pays in a fresh process; "next use" is the same kind
//! of call again with other input (another browser, another address), which for the new code
//! can still compile a rule or fault in a page the first did not need.

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use session_core::ports::LocationEnricher;
use session_enrich::{DeviceParser, GeoIpLocator};

use crate::stats::median;
use crate::{BoxError, fixtures, procfs};

/// The rules session-enrich ships, for the "before" case.
const UAP_RULES: &str = include_str!("../../session-enrich/data/uap-regexes.json");

/// A second, different browser for "next use".
const OTHER_USER_AGENT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

/// Long-stable, single-site public addresses (also used by session-enrich's real-database test).
const ADDRESS: &str = "193.0.6.139";
const OTHER_ADDRESS: &str = "133.11.0.1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    UserAgentBefore,
    UserAgentNow,
    LocationBefore,
    LocationNow,
}

impl Case {
    const ALL: [Case; 4] = [
        Self::UserAgentBefore,
        Self::UserAgentNow,
        Self::LocationBefore,
        Self::LocationNow,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::UserAgentBefore => "ua-before",
            Self::UserAgentNow => "ua-now",
            Self::LocationBefore => "geo-before",
            Self::LocationNow => "geo-now",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::UserAgentBefore => {
                "user agent, before: ua-parser 0.2.2 compiles all uap-core rules, then parses"
            }
            Self::UserAgentNow => {
                "user agent, now: build-time prefilter, each regex compiled on first need"
            }
            Self::LocationBefore => {
                "location, before: city database read into memory, then looked up"
            }
            Self::LocationNow => "location, now: city database memory-mapped, then looked up",
        }
    }

    fn needs_database(self) -> bool {
        matches!(self, Self::LocationBefore | Self::LocationNow)
    }
}

impl FromStr for Case {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown case {s:?}"))
    }
}

/// One fresh process's figures.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Sample {
    pub first_us: f64,
    pub next_us: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

/// Measures `case` in this process (call first thing in a fresh process).
pub fn child(case: Case, database: Option<&Path>) -> Result<Sample, BoxError> {
    let pid = std::process::id();
    let rss_before_kib = procfs::peak_rss_kib(pid)?;
    let (first_us, next_us) = match case {
        Case::UserAgentBefore => user_agent_before()?,
        Case::UserAgentNow => {
            let parser = DeviceParser::new();
            let first = timed(|| parser.parse(fixtures::USER_AGENT));
            let next = timed(|| parser.parse(OTHER_USER_AGENT));
            (first, next)
        }
        Case::LocationBefore => location_before(database.ok_or("no database")?)?,
        Case::LocationNow => {
            let path = database.ok_or("no database")?;
            let (first, located) = timed_value(|| {
                let locator = GeoIpLocator::lazy(path);
                let found = locator.locate(address(ADDRESS)?)?;
                Ok::<_, BoxError>((locator, found))
            });
            let (locator, found) = located?;
            if found.is_none() {
                return Err(format!("{} does not locate {ADDRESS}", path.display()).into());
            }
            let next = timed(|| locator.locate(address(OTHER_ADDRESS).ok()?).ok());
            (first, next)
        }
    };
    Ok(Sample {
        first_us,
        next_us,
        rss_before_kib,
        rss_after_kib: procfs::peak_rss_kib(pid)?,
    })
}

fn user_agent_before() -> Result<(f64, f64), BoxError> {
    use ua_parser::{device, os, user_agent};
    let started = Instant::now();
    let data: ua_parser::Regexes<'static> = serde_json::from_str(UAP_RULES)?;
    let browser = data
        .user_agent_parsers
        .into_iter()
        .try_fold(user_agent::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let os = data
        .os_parsers
        .into_iter()
        .try_fold(os::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let crawler = data
        .device_parsers
        .into_iter()
        .try_fold(device::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let parse = |ua: &str| {
        std::hint::black_box((
            browser.extract(ua).map(|v| v.family.len()),
            os.extract(ua).map(|v| v.os.len()),
            crawler.extract(ua).is_some(),
        ));
    };
    parse(fixtures::USER_AGENT);
    let first = started.elapsed().as_secs_f64() * 1e6;
    let next = timed(|| parse(OTHER_USER_AGENT));
    Ok((first, next))
}

fn location_before(path: &Path) -> Result<(f64, f64), BoxError> {
    let started = Instant::now();
    let reader = maxminddb::Reader::from_source(std::fs::read(path)?)?;
    let lookup = |ip: &str| -> Result<bool, BoxError> {
        let found = reader.lookup(address(ip)?)?;
        Ok(found
            .decode::<serde_json::Value>()?
            .is_some_and(|v| v.is_object()))
    };
    if !lookup(ADDRESS)? {
        return Err(format!("{} does not locate {ADDRESS}", path.display()).into());
    }
    let first = started.elapsed().as_secs_f64() * 1e6;
    let next = timed(|| lookup(OTHER_ADDRESS).ok());
    Ok((first, next))
}

fn address(text: &str) -> Result<std::net::IpAddr, BoxError> {
    Ok(text.parse()?)
}

fn timed<T>(f: impl FnOnce() -> T) -> f64 {
    timed_value(f).0
}

fn timed_value<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let started = Instant::now();
    let value = std::hint::black_box(f());
    (started.elapsed().as_secs_f64() * 1e6, value)
}

/// Runs `runs` fresh child processes per case, interleaved, and summarises them as a markdown
/// table. Without a database only the user-agent cases run.
pub fn measure(runs: usize, database: Option<&Path>) -> Result<String, BoxError> {
    let exe = std::env::current_exe()?;
    let cases: Vec<Case> = Case::ALL
        .into_iter()
        .filter(|c| database.is_some() || !c.needs_database())
        .collect();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::with_capacity(runs); cases.len()];
    for _ in 0..runs {
        for (case, into) in cases.iter().zip(samples.iter_mut()) {
            let mut command = Command::new(&exe);
            command.args(["enrich-init", "--child", case.as_str()]);
            if let Some(path) = database {
                command.arg("--geoip-db").arg(path);
            }
            let output = command.output()?;
            if !output.status.success() {
                return Err(format!(
                    "enrich-init child {} failed: {}",
                    case.as_str(),
                    String::from_utf8_lossy(&output.stderr)
                )
                .into());
            }
            into.push(serde_json::from_slice::<Sample>(&output.stdout)?);
        }
    }
    let mut out = String::from(
        "| first call in a fresh process | runs | first use, p50 | next use (other input), p50 | peak RSS added, p50 |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (case, samples) in cases.iter().zip(&samples) {
        let mut first: Vec<f64> = samples.iter().map(|s| s.first_us / 1e3).collect();
        let mut next: Vec<f64> = samples.iter().map(|s| s.next_us).collect();
        let mut grown: Vec<f64> = samples
            .iter()
            .map(|s| s.rss_after_kib.saturating_sub(s.rss_before_kib) as f64 / 1024.0)
            .collect();
        out.push_str(&format!(
            "| {} | {} | {:.2} ms | {:.1} us | {:.1} MiB |\n",
            case.label(),
            samples.len(),
            median(&mut first),
            median(&mut next),
            median(&mut grown),
        ));
    }
    if let Some(path) = database {
        out.push_str(&format!(
            "\nDatabase: {} ({:.1} MB). Addresses {ADDRESS}, then {OTHER_ADDRESS}; user agents: \
             desktop Chrome on macOS, then Safari on iPhone.\n",
            path.display(),
            std::fs::metadata(path)?.len() as f64 / 1e6,
        ));
    }
    Ok(out)
}
