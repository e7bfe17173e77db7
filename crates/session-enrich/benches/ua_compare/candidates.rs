//! The parsers compared, behind one shape: build once, then answer raw browser and OS family
//! names (and a device type where the parser has one).

use std::error::Error;
use std::path::Path;

use session_enrich::DeviceParser;
use uaparser::Parser as _;

pub struct Answer {
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_type: Option<&'static str>,
}

pub trait Candidate {
    fn parse(&self, ua: &str) -> Answer;
}

pub struct Built {
    pub name: &'static str,
    pub parser: Box<dyn Candidate>,
}

/// Every candidate's constructor, so the harness can time construction repeatedly.
pub type Constructor = fn(&Path) -> Result<Built, Box<dyn Error>>;

pub const ALL: &[Constructor] = &[
    session_enrich_uap,
    ua_parser_eager,
    uaparser_rs,
    user_agent_parser,
    woothee,
];

// --- session-enrich: uap-core rules, build-time prefilter, lazy regexes + our device type ----

struct SessionEnrich(DeviceParser);

impl Candidate for SessionEnrich {
    fn parse(&self, ua: &str) -> Answer {
        let d = self.0.parse(ua);
        Answer {
            browser: d.browser,
            os: d.os,
            device_type: Some(d.device_type.as_str()),
        }
    }
}

/// Nothing to build: the prefilter is static data and regexes compile on first need (their cost
/// is in the first parses, printed above the table).
fn session_enrich_uap(_: &Path) -> Result<Built, Box<dyn Error>> {
    Ok(Built {
        name: "session-enrich (uap-core rules, build-time prefilter, lazy regexes)",
        parser: Box::new(SessionEnrich(DeviceParser::new())),
    })
}

// --- ua-parser 0.2.2 (uap-rust), same rules: what session-enrich ran before -------------------

struct UaParser {
    browser: ua_parser::user_agent::Extractor<'static>,
    os: ua_parser::os::Extractor<'static>,
}

impl Candidate for UaParser {
    fn parse(&self, ua: &str) -> Answer {
        Answer {
            browser: self.browser.extract(ua).map(|v| v.family.into_owned()),
            os: self.os.extract(ua).map(|v| v.os.into_owned()),
            device_type: None,
        }
    }
}

/// Compiles every rule up front, as session-enrich did before the build-time prefilter.
fn ua_parser_eager(_: &Path) -> Result<Built, Box<dyn Error>> {
    use ua_parser::{os, user_agent};
    let data: ua_parser::Regexes<'static> = serde_json::from_str(RULES)?;
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
    Ok(Built {
        name: "ua-parser 0.2.2 (uap-rust), same rules, compiled up front (session-enrich before)",
        parser: Box::new(UaParser { browser, os }),
    })
}

/// The exact rule set session-enrich ships (uap-core browser + OS + crawler rules, as JSON, which
/// is also YAML), so the uap-core matchers are compared on identical rules.
const RULES: &str = include_str!("../../data/uap-regexes.json");

// --- uaparser (uap-rs) 0.6.4, same rules ------------------------------------------------------

struct UapRs(uaparser::UserAgentParser);

impl Candidate for UapRs {
    fn parse(&self, ua: &str) -> Answer {
        Answer {
            browser: Some(self.0.parse_user_agent(ua).family.into_owned()),
            os: Some(self.0.parse_os(ua).family.into_owned()),
            device_type: None,
        }
    }
}

fn uaparser_rs(_: &Path) -> Result<Built, Box<dyn Error>> {
    let parser = uaparser::UserAgentParser::from_bytes(RULES.as_bytes())?;
    Ok(Built {
        name: "uaparser 0.6.4 (uap-rs), same rules",
        parser: Box::new(UapRs(parser)),
    })
}

// --- user-agent-parser 0.5 (magiclen), same rules ---------------------------------------------

struct Magiclen(user_agent_parser::UserAgentParser);

impl Candidate for Magiclen {
    fn parse(&self, ua: &str) -> Answer {
        Answer {
            browser: self.0.parse_product(ua).name.map(|n| n.into_owned()),
            os: self.0.parse_os(ua).name.map(|n| n.into_owned()),
            device_type: None,
        }
    }
}

fn user_agent_parser(_: &Path) -> Result<Built, Box<dyn Error>> {
    let parser = user_agent_parser::UserAgentParser::from_str(RULES)?;
    Ok(Built {
        name: "user-agent-parser 0.5.0, same rules",
        parser: Box::new(Magiclen(parser)),
    })
}

// --- woothee 0.13: its own compiled-in rules --------------------------------------------------

struct Woothee(woothee::parser::Parser);

impl Candidate for Woothee {
    fn parse(&self, ua: &str) -> Answer {
        let Some(r) = self.0.parse(ua) else {
            return Answer {
                browser: None,
                os: None,
                device_type: None,
            };
        };
        Answer {
            browser: Some(r.name.to_owned()),
            os: Some(r.os.to_owned()),
            device_type: Some(match r.category {
                "pc" => "desktop",
                "smartphone" | "mobilephone" => "mobile",
                "crawler" => "bot",
                _ => "other",
            }),
        }
    }
}

fn woothee(_: &Path) -> Result<Built, Box<dyn Error>> {
    let parser = woothee::parser::Parser::new();
    // Its regexes are lazy statics: the first parse pays for them, so it belongs to init.
    std::hint::black_box(parser.parse("Mozilla/5.0 (Windows NT 10.0) Chrome/124.0 Safari/537.36"));
    Ok(Built {
        name: "woothee 0.13.0",
        parser: Box::new(Woothee(parser)),
    })
}

/// Where ua-parser's init and parse time go (what session-enrich paid before): rule loading and
/// each extractor alone.
pub fn ua_parser_breakdown(
    browsers: &[crate::corpus::Labelled],
    oses: &[crate::corpus::Labelled],
) -> Result<String, Box<dyn Error>> {
    use std::time::Instant;
    use ua_parser::{device, os, user_agent};

    let t = Instant::now();
    let data: ua_parser::Regexes<'static> = serde_json::from_str(RULES)?;
    let json = t.elapsed();
    let t = Instant::now();
    let ua = data
        .user_agent_parsers
        .into_iter()
        .try_fold(user_agent::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let ua_build = t.elapsed();
    let t = Instant::now();
    let osx = data
        .os_parsers
        .into_iter()
        .try_fold(os::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let os_build = t.elapsed();
    let t = Instant::now();
    let dev = data
        .device_parsers
        .into_iter()
        .try_fold(device::Builder::new(), |b, p| b.push(p))?
        .build()?;
    let dev_build = t.elapsed();

    let uas: Vec<&str> = browsers.iter().chain(oses).map(|l| l.ua.as_str()).collect();
    let per = |f: &dyn Fn(&str)| {
        let t = Instant::now();
        for _ in 0..3 {
            for ua in &uas {
                f(ua);
            }
        }
        t.elapsed().as_nanos() / (3 * uas.len().max(1)) as u128
    };
    let ua_ns = per(&|s| {
        std::hint::black_box(ua.extract(s));
    });
    let os_ns = per(&|s| {
        std::hint::black_box(osx.extract(s));
    });
    let dev_ns = per(&|s| {
        std::hint::black_box(dev.extract(s));
    });
    Ok(format!(
        "ua-parser 0.2.2 (session-enrich before) breakdown: JSON load {:.1} ms; build browser rules {:.1} ms, OS rules {:.1} ms, \
         crawler rules {:.1} ms; per parse on uap-core: browser {ua_ns} ns, OS {os_ns} ns, crawler {dev_ns} ns",
        json.as_secs_f64() * 1e3,
        ua_build.as_secs_f64() * 1e3,
        os_build.as_secs_f64() * 1e3,
        dev_build.as_secs_f64() * 1e3,
    ))
}
