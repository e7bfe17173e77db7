//! Tables from criterion's saved estimates (`target/criterion/<group>/<bench>/new/estimates.json`).

use std::path::Path;

use crate::BoxError;

/// Median and mean (with its 95% confidence interval) of one bench, in nanoseconds.
#[derive(Clone, Debug)]
pub struct Estimate {
    pub id: String,
    pub median_ns: f64,
    pub mean_ns: f64,
    pub mean_low_ns: f64,
    pub mean_high_ns: f64,
}

fn read(path: &Path, id: String) -> Result<Estimate, BoxError> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let num = |v: &serde_json::Value| {
        v.as_f64()
            .ok_or_else(|| format!("{}: missing estimate", path.display()))
    };
    Ok(Estimate {
        id,
        median_ns: num(&json["median"]["point_estimate"])?,
        mean_ns: num(&json["mean"]["point_estimate"])?,
        mean_low_ns: num(&json["mean"]["confidence_interval"]["lower_bound"])?,
        mean_high_ns: num(&json["mean"]["confidence_interval"]["upper_bound"])?,
    })
}

/// Every bench of `group` under `dir`, sorted by name.
pub fn group(dir: &Path, group: &str) -> Result<Vec<Estimate>, BoxError> {
    let mut out = Vec::new();
    let base = dir.join(group);
    if !base.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(&base)? {
        let entry = entry?;
        let estimates = entry.path().join("new").join("estimates.json");
        if estimates.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            out.push(read(&estimates, format!("{group}/{name}"))?);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The CPU-per-command table with the 50 us target, and the HTTP layer's share.
pub fn tables(dir: &Path) -> Result<String, BoxError> {
    let use_cases = group(dir, "use_case")?;
    let api = group(dir, "api")?;
    let auth = group(dir, "auth")?;
    let mut out = String::from(
        "| bench | median / op | mean / op (95% CI) | target < 50 us |\n|---|---:|---:|---|\n",
    );
    for e in use_cases.iter().chain(&api).chain(&auth) {
        out.push_str(&format!(
            "| {} | {} | {} ({} - {}) | {} |\n",
            e.id,
            fmt_ns(e.median_ns),
            fmt_ns(e.mean_ns),
            fmt_ns(e.mean_low_ns),
            fmt_ns(e.mean_high_ns),
            if e.id.starts_with("use_case/") {
                if e.median_ns < 50_000.0 {
                    "met"
                } else {
                    "MISSED"
                }
            } else {
                "-"
            }
        ));
    }
    out.push_str(
        "\nHTTP layer (decode request + encode response) = `api/<route>` - `use_case/<route>`, medians:\n\n\
         | route | use case | through Api::handle | HTTP layer |\n|---|---:|---:|---:|\n",
    );
    for route in ["validate", "get", "list_10", "list_50", "create"] {
        let find =
            |set: &[Estimate], id: String| set.iter().find(|e| e.id == id).map(|e| e.median_ns);
        if let (Some(u), Some(a)) = (
            find(&use_cases, format!("use_case/{route}")),
            find(&api, format!("api/{route}")),
        ) {
            out.push_str(&format!(
                "| {route} | {} | {} | {} |\n",
                fmt_ns(u),
                fmt_ns(a),
                fmt_ns(a - u)
            ));
        }
    }
    Ok(out)
}
