//! Chooses the user-agent parser by measurement: agreement with labelled public corpora, one-time
//! initialisation cost and time per parse, for each candidate. Prints a Markdown report.
//!
//!     scripts/fetch-ua-corpus && cargo bench -p session-enrich --bench ua_compare
//!
//! `UA_CORPUS_DIR` overrides where the corpora are (default: <repo>/.cache/ua-corpus).

mod candidates;
mod corpus;
mod normalise;

use std::collections::BTreeMap;
use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use candidates::{Answer, Built, Candidate};
use corpus::Labelled;
use session_enrich::DeviceParser;

const INIT_RUNS: usize = 5;
const PARSE_PASSES: usize = 5;

fn main() -> Result<(), Box<dyn Error>> {
    // First, while the process is cold: the crate's first parses as production pays them (each
    // compiles the few rules its user agent needs), then compiling every remaining rule.
    let parser = DeviceParser::new();
    let started = Instant::now();
    black_box(parser.parse(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ));
    let first_parse = started.elapsed();
    let started = Instant::now();
    black_box(parser.parse(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    ));
    let second_parse = started.elapsed();
    let started = Instant::now();
    let ready = parser.warm_up();
    let warm_up = started.elapsed();
    if !ready {
        return Err("session-enrich rules failed to compile".into());
    }

    let dir = std::env::var_os("UA_CORPUS_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.cache/ua-corpus"
            ))
        },
        PathBuf::from,
    );
    if !dir.join("uap-core/test_ua.yaml").exists() {
        return Err(format!(
            "no corpus in {}: run scripts/fetch-ua-corpus",
            dir.display()
        )
        .into());
    }
    let (uap_browsers, uap_oses) = corpus::uap_core(&dir.join("uap-core"))?;
    let matomo = corpus::matomo(&dir.join("matomo"))?;
    let version =
        |sub: &str| std::fs::read_to_string(dir.join(sub).join("VERSION")).unwrap_or_default();

    println!("## User-agent parser comparison\n");
    println!(
        "Corpora: {}; {}",
        version("uap-core").trim(),
        version("matomo").trim()
    );
    println!(
        "session-enrich in-process cold start: first parse (desktop Chrome) {} µs, then a first \
         iPhone Safari {} µs; compiling all remaining rules afterwards (`warm_up`) {} ms\n",
        first_parse.as_micros(),
        second_parse.as_micros(),
        ms(warm_up),
    );
    println!(
        "| candidate | uap-core browser | uap-core OS | Matomo browser | Matomo OS | Matomo device type | init ms (min / median of {INIT_RUNS}) | ns/parse uap-core | ns/parse Matomo |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");

    let mut mismatches = BTreeMap::new();
    let mut matomo_types = BTreeMap::new();
    // Per candidate, its normalised answers for both corpora, to compare session-enrich with the
    // matcher it replaced answer by answer.
    let mut normalised: Vec<(&'static str, Vec<Families>)> = Vec::new();
    for construct in candidates::ALL {
        let mut inits = Vec::new();
        let mut built: Option<Built> = None;
        for _ in 0..INIT_RUNS {
            let started = Instant::now();
            let b = construct(&dir)?;
            inits.push(started.elapsed());
            built = Some(b);
        }
        let Some(Built { name, parser }) = built else {
            continue;
        };
        inits.sort();
        let p = parser.as_ref();
        let answers =
            |cases: &[Labelled]| -> Vec<Answer> { cases.iter().map(|c| p.parse(&c.ua)).collect() };
        let (on_browsers, on_oses, on_matomo) =
            (answers(&uap_browsers), answers(&uap_oses), answers(&matomo));
        let ub = agreement(
            &uap_browsers,
            &on_browsers,
            Field::Browser,
            &mut mismatches,
            name,
        );
        let uo = agreement(&uap_oses, &on_oses, Field::Os, &mut mismatches, name);
        let mut ignored = BTreeMap::new();
        let mb = agreement(&matomo, &on_matomo, Field::Browser, &mut ignored, name);
        let mo = agreement(&matomo, &on_matomo, Field::Os, &mut ignored, name);
        let md = if on_matomo.iter().any(|a| a.device_type.is_some()) {
            agreement(
                &matomo,
                &on_matomo,
                Field::DeviceType,
                &mut matomo_types,
                name,
            )
        } else {
            "n/a (no device class)".to_owned()
        };
        normalised.push((
            name,
            on_browsers
                .iter()
                .chain(&on_oses)
                .chain(&on_matomo)
                .map(|a| {
                    // "Other" and "" are how ua-parser says "unknown"; session-enrich says None.
                    (
                        a.browser
                            .as_deref()
                            .filter(|b| normalise::is_real(b))
                            .map(normalise::browser),
                        a.os.as_deref()
                            .filter(|o| normalise::is_real(o))
                            .map(normalise::os),
                    )
                })
                .collect(),
        ));
        let all_uap: Vec<&str> = uap_browsers
            .iter()
            .chain(&uap_oses)
            .map(|l| l.ua.as_str())
            .collect();
        let all_matomo: Vec<&str> = matomo.iter().map(|l| l.ua.as_str()).collect();
        println!(
            "| {name} | {ub} | {uo} | {mb} | {mo} | {md} | {} / {} | {} | {} |",
            ms(inits[0]),
            ms(inits[inits.len() / 2]),
            ns_per_parse(p, &all_uap, PARSE_PASSES),
            ns_per_parse(p, &all_matomo, 1),
        );
    }

    if let [(now, ours), (before, theirs), ..] = normalised.as_slice() {
        let differ = ours.iter().zip(theirs).filter(|(a, b)| a != b).count();
        println!(
            "\n{now} vs {before}: {differ} of {} user agents (both corpora) get a different \
             browser or OS after normalisation.",
            ours.len()
        );
    }
    println!(
        "\n{}",
        candidates::ua_parser_breakdown(&uap_browsers, &uap_oses)?
    );
    report("uap-core disagreements (label -> answer)", mismatches);
    report(
        "Matomo device-type disagreements (label -> answer)",
        matomo_types,
    );
    Ok(())
}

/// A normalised (browser, OS) answer; `None` for unknown.
type Families = (Option<String>, Option<String>);

fn report(title: &str, mismatches: BTreeMap<(&'static str, String), usize>) {
    println!("\nMost frequent {title}, per candidate:\n");
    let mut by_candidate: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
    for ((candidate, pair), count) in mismatches {
        by_candidate
            .entry(candidate)
            .or_default()
            .push((count, pair));
    }
    for (candidate, mut pairs) in by_candidate {
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<String> = pairs
            .iter()
            .take(8)
            .map(|(n, p)| format!("{p} ×{n}"))
            .collect();
        println!("- {candidate}: {}", top.join("; "));
    }
}

#[derive(Clone, Copy)]
enum Field {
    Browser,
    Os,
    DeviceType,
}

/// "agreeing / counted = %" over the cases whose label names a real family.
fn agreement(
    cases: &[Labelled],
    answers: &[Answer],
    field: Field,
    mismatches: &mut BTreeMap<(&'static str, String), usize>,
    candidate: &'static str,
) -> String {
    let (mut counted, mut agreed) = (0usize, 0usize);
    for (case, answer) in cases.iter().zip(answers) {
        let label = match field {
            Field::Browser => case.browser.as_deref(),
            Field::Os => case.os.as_deref(),
            Field::DeviceType => case.device_type,
        };
        let Some(label) = label.filter(|l| normalise::is_real(l)) else {
            continue;
        };
        let (expected, got) = match field {
            Field::Browser => (
                normalise::browser(label),
                answer.browser.as_deref().map(normalise::browser),
            ),
            Field::Os => (
                normalise::os(label),
                answer.os.as_deref().map(normalise::os),
            ),
            Field::DeviceType => (label.to_owned(), answer.device_type.map(str::to_owned)),
        };
        counted += 1;
        if got.as_deref() == Some(expected.as_str()) {
            agreed += 1;
        } else {
            let got = got.unwrap_or_else(|| "(none)".to_owned());
            *mismatches
                .entry((candidate, format!("{expected} -> {got}")))
                .or_default() += 1;
        }
    }
    if counted == 0 {
        return "n/a".to_owned();
    }
    format!(
        "{agreed}/{counted} = {:.2}%",
        100.0 * agreed as f64 / counted as f64
    )
}

fn ns_per_parse(parser: &dyn Candidate, uas: &[&str], passes: usize) -> u128 {
    let mut runs = Vec::new();
    for _ in 0..passes {
        let started = Instant::now();
        for ua in uas {
            black_box(parser.parse(black_box(ua)));
        }
        runs.push(started.elapsed().as_nanos() / uas.len().max(1) as u128);
    }
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}
