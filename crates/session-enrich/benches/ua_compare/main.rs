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
    // First, while the process is cold: the crate's own lazy init as production pays it.
    let started = Instant::now();
    let ready = DeviceParser::new().warm_up();
    let warm_up = started.elapsed();
    let started = Instant::now();
    black_box(DeviceParser::new().parse(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    ));
    let first_parse = started.elapsed();
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
        "session-enrich in-process cold start: warm_up {} ms, then first parse {} µs\n",
        ms(warm_up),
        first_parse.as_micros()
    );
    println!(
        "| candidate | uap-core browser | uap-core OS | Matomo browser | Matomo OS | Matomo device type | init ms (min / median of {INIT_RUNS}) | ns/parse uap-core | ns/parse Matomo |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");

    let mut mismatches = BTreeMap::new();
    let mut matomo_types = BTreeMap::new();
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

    println!(
        "\n{}",
        candidates::session_enrich_breakdown(&uap_browsers, &uap_oses)?
    );
    report("uap-core disagreements (label -> answer)", mismatches);
    report(
        "Matomo device-type disagreements (label -> answer)",
        matomo_types,
    );
    Ok(())
}

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
