//! The generated suite against the area files as they are, read by a different method than the
//! generator's: every `pub async fn` written at the start of a line is a test for every store.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// What tests/build.rs generated for this build.
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/contract_cases.rs"));

/// `(area, case)` for every line of an area file that starts with `pub async fn`.
fn written_cases() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/contract");
    let mut cases = BTreeSet::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let area = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.extension().is_none_or(|e| e != "rs") || area == "mod" {
            continue;
        }
        for line in fs::read_to_string(&path).unwrap().lines() {
            let Some(rest) = line.strip_prefix("pub async fn ") else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            cases.insert((area.clone(), name));
        }
    }
    cases
}

/// `(area, case)` for every case line of the generated macro.
fn generated_cases() -> Vec<(String, String)> {
    let mut cases = Vec::new();
    let mut area = None;
    for line in GENERATED.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("$crate::__contract_area!($make, ") {
            area = rest.strip_suffix(": [").map(str::to_owned);
        } else if line == "]);" {
            area = None;
        } else if let (Some(area), Some((name, _load))) = (&area, line.split_once('(')) {
            cases.push((area.clone(), name.to_owned()));
        }
    }
    cases
}

#[test]
fn every_case_written_in_an_area_file_runs_once_per_store() {
    assert!(
        !GENERATED.contains("compile_error!"),
        "the generator refused the areas:\n{GENERATED}"
    );
    let written = written_cases();
    let generated = generated_cases();
    assert!(!written.is_empty(), "no case found in tests/src/contract");
    let unique: BTreeSet<_> = generated.iter().cloned().collect();
    assert_eq!(unique.len(), generated.len(), "a case generated twice");
    let missing: Vec<_> = written.difference(&unique).collect();
    let invented: Vec<_> = unique.difference(&written).collect();
    assert!(
        missing.is_empty() && invented.is_empty(),
        "written but not generated: {missing:?}; generated but not written: {invented:?}"
    );
}
