//! The lazy matcher against the one this crate used before: ua-parser 0.2.2 compiling every rule
//! up front, on the same rules. For every user agent of uap-core's own test suite (one or more
//! per rule, tests/data/uap-core-user-agents.txt) both must give the same browser family, OS
//! family and crawler verdict, so the accuracy measured for ua-parser (BENCHMARKS.md,
//! "Enrichment") carries over unchanged.

use super::rules::{Atoms, BROWSERS, CRAWLERS, OSES};

pub(crate) fn user_agents() -> impl Iterator<Item = &'static str> {
    include_str!("../../tests/data/uap-core-user-agents.txt").lines()
}

#[test]
fn the_lazy_matcher_answers_as_ua_parser_compiling_every_rule() {
    use ua_parser::{device, os, user_agent};

    let data: ua_parser::Regexes<'static> =
        serde_json::from_str(include_str!("../../data/uap-regexes.json")).unwrap();
    let reference_browser = data
        .user_agent_parsers
        .into_iter()
        .try_fold(user_agent::Builder::new(), |b, p| b.push(p))
        .unwrap()
        .build()
        .unwrap();
    let reference_os = data
        .os_parsers
        .into_iter()
        .try_fold(os::Builder::new(), |b, p| b.push(p))
        .unwrap()
        .build()
        .unwrap();
    let reference_crawler = data
        .device_parsers
        .into_iter()
        .try_fold(device::Builder::new(), |b, p| b.push(p))
        .unwrap()
        .build()
        .unwrap();

    let mut compared = 0;
    let (mut browsers, mut systems, mut crawlers) = (0, 0, 0);
    for ua in user_agents() {
        let atoms = Atoms::in_text(ua);
        let browser = BROWSERS.first_name(ua, &atoms);
        let os = OSES.first_name(ua, &atoms);
        let crawler = CRAWLERS.matches(ua, &atoms);
        assert_eq!(
            browser,
            reference_browser.extract(ua).map(|v| v.family.into_owned()),
            "browser of {ua:?}"
        );
        assert_eq!(
            os,
            reference_os.extract(ua).map(|v| v.os.into_owned()),
            "OS of {ua:?}"
        );
        assert_eq!(
            crawler,
            reference_crawler.extract(ua).is_some(),
            "crawler {ua:?}"
        );
        compared += 1;
        browsers += usize::from(browser.is_some_and(|b| b != "Other" && !b.is_empty()));
        systems += usize::from(os.is_some_and(|o| o != "Other" && !o.is_empty()));
        crawlers += usize::from(crawler);
    }
    // The suite exercises the rules, not only the fallbacks.
    assert!(compared > 1_700, "{compared} user agents");
    assert!(browsers > 1_400, "{browsers} with a browser");
    assert!(systems > 800, "{systems} with an OS");
    assert!(crawlers > 100, "{crawlers} crawlers");
}
