//! The labelled corpora fetched by scripts/fetch-ua-corpus.

use std::error::Error;
use std::path::Path;

use serde::Deserialize;
use serde_yaml::Value;

/// One user agent and what a labeller says about it; `None` where it says nothing.
pub struct Labelled {
    pub ua: String,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_type: Option<&'static str>,
}

#[derive(Deserialize)]
struct UapFile {
    test_cases: Vec<UapCase>,
}

#[derive(Deserialize)]
struct UapCase {
    user_agent_string: String,
    family: String,
}

/// uap-core's own regression suite: test_ua.yaml labels browsers only, test_os.yaml OSes only.
pub fn uap_core(dir: &Path) -> Result<(Vec<Labelled>, Vec<Labelled>), Box<dyn Error>> {
    let read = |name: &str| -> Result<Vec<UapCase>, Box<dyn Error>> {
        let text = std::fs::read_to_string(dir.join(name))?;
        Ok(serde_yaml::from_str::<UapFile>(&text)?.test_cases)
    };
    let browsers = read("test_ua.yaml")?
        .into_iter()
        .map(|c| Labelled {
            ua: c.user_agent_string,
            browser: Some(c.family),
            os: None,
            device_type: None,
        })
        .collect();
    let oses = read("test_os.yaml")?
        .into_iter()
        .map(|c| Labelled {
            ua: c.user_agent_string,
            browser: None,
            os: Some(c.family),
            device_type: None,
        })
        .collect();
    Ok((browsers, oses))
}

/// Matomo Device Detector fixtures: browser (client of type "browser"), OS and device type.
pub fn matomo(dir: &Path) -> Result<Vec<Labelled>, Box<dyn Error>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let cases: Vec<Value> = serde_yaml::from_str(&std::fs::read_to_string(&file)?)?;
        for case in cases {
            let Some(ua) = text(&case["user_agent"]) else {
                continue;
            };
            // Fixtures that also carry client-hint headers describe more than the UA says.
            if !case["headers"].is_null() {
                continue;
            }
            let is_bot = case.get("bot").is_some();
            let browser = (text(&case["client"]["type"]).as_deref() == Some("browser"))
                .then(|| text(&case["client"]["name"]))
                .flatten();
            out.push(Labelled {
                ua,
                browser,
                os: text(&case["os"]["name"]),
                device_type: if is_bot {
                    Some("bot")
                } else {
                    text(&case["device"]["type"]).and_then(|t| matomo_device_type(&t))
                },
            });
        }
    }
    Ok(out)
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Matomo's device classes folded into ours.
fn matomo_device_type(t: &str) -> Option<&'static str> {
    Some(match t {
        "desktop" => "desktop",
        "smartphone" | "phablet" | "feature phone" => "mobile",
        "tablet" => "tablet",
        "tv"
        | "console"
        | "wearable"
        | "car browser"
        | "camera"
        | "smart display"
        | "smart speaker"
        | "peripheral"
        | "portable media player" => "other",
        _ => return None,
    })
}
