//! The uap-core rules, compiled once per process.
//!
//! Compiling ~570 regexes is the expensive part of device parsing (measured in BENCHMARKS.md), so
//! it happens at most once, on the first parse or on an explicit warm-up, and every
//! [`super::DeviceParser`] handle shares the result.

use std::sync::OnceLock;

use ua_parser::{device, os, user_agent};

/// uap-core's browser and OS rules plus only its crawler ("Spider") device rules, converted to
/// JSON by data/update-regexes.
const RULES_JSON: &str = include_str!("../../data/uap-regexes.json");

pub(crate) struct Rules {
    pub(crate) browser: user_agent::Extractor<'static>,
    pub(crate) os: os::Extractor<'static>,
    pub(crate) crawler: device::Extractor<'static>,
}

static RULES: OnceLock<Option<Rules>> = OnceLock::new();

/// The compiled rules, or `None` when they failed to build (a broken data file: the tests catch
/// that before release, so in production this only degrades descriptions, never fails a login).
pub(crate) fn get() -> Option<&'static Rules> {
    RULES
        .get_or_init(|| match compile() {
            Ok(rules) => Some(rules),
            Err(error) => {
                tracing::warn!(%error, "user-agent rules failed to load; devices stay undescribed");
                None
            }
        })
        .as_ref()
}

#[derive(Debug, thiserror::Error)]
enum RulesError {
    #[error("rule data is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a rule does not compile: {0}")]
    Regex(#[from] ua_parser::Error),
    #[error("a rule does not compile: {0}")]
    Parse(#[from] ua_parser::ParseError),
    #[error("the rule set does not build: {0}")]
    Build(#[from] ua_parser::BuildError),
}

fn compile() -> Result<Rules, RulesError> {
    let data: ua_parser::Regexes<'static> = serde_json::from_str(RULES_JSON)?;
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
    Ok(Rules {
        browser,
        os,
        crawler,
    })
}
