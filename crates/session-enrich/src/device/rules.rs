//! The uap-core rules, matched without compiling them all first.
//!
//! build.rs turned data/uap-regexes.json into static data: each rule's regex (as ua-parser 0.2.2
//! rewrote it), a filter over literal strings ("atoms") that any match of the regex contains, and
//! how the rule names what it matched. Parsing a user agent looks its atoms up in a static
//! table, then tries, in rule order, only the rules whose filter the atoms satisfy; a rule's
//! regex compiles the first time a user agent gets that far, once per process. The first
//! matching rule answers, as in ua-parser, and since a rule whose regex matches always passes its
//! filter, the answer is the one ua-parser's compile-everything matcher gives
//! (docs/0030-enrichment-without-start-up-cost.md; checked in `equivalence`).

use std::sync::OnceLock;

use regex::{Captures, Regex, RegexBuilder};

/// Which atoms a rule needs (ids index [`ATOMS`]).
pub(crate) enum Filter {
    /// No atom to look for: every user agent is tried against the regex.
    Always,
    Atom(u16),
    All(&'static [Filter]),
    Any(&'static [Filter]),
}

/// How a rule names what it matched (ua-parser's resolvers).
pub(crate) enum Name {
    Fixed(&'static str),
    /// The first group; "" when it is empty or did not take part.
    Group1,
    /// The template with every `$1` replaced by the first group.
    ReplaceGroup1(&'static str),
    /// The template expanded by the regex crate (`$n`, `${n}`), trimmed. No rule of uap-core
    /// 0.18.0 has one; an update of the rules may.
    #[allow(dead_code)]
    Expand(&'static str),
}

pub(crate) struct Rule {
    regex: &'static str,
    case_insensitive: bool,
    filter: Filter,
    name: Name,
}

include!(concat!(env!("OUT_DIR"), "/uap_rules.rs"));

/// One kind of rule (browser, OS, crawler) and its regexes compiled so far.
pub(crate) struct Section {
    rules: &'static [Rule],
    compiled: &'static [OnceLock<Option<Regex>>],
}

static BROWSER_REGEXES: [OnceLock<Option<Regex>>; BROWSER_LEN] =
    [const { OnceLock::new() }; BROWSER_LEN];
static OS_REGEXES: [OnceLock<Option<Regex>>; OS_LEN] = [const { OnceLock::new() }; OS_LEN];
static CRAWLER_REGEXES: [OnceLock<Option<Regex>>; CRAWLER_LEN] =
    [const { OnceLock::new() }; CRAWLER_LEN];

/// uap-core's browser rules ("user_agent_parsers").
pub(crate) static BROWSERS: Section = Section {
    rules: &BROWSER,
    compiled: &BROWSER_REGEXES,
};
/// uap-core's OS rules.
pub(crate) static OSES: Section = Section {
    rules: &OS,
    compiled: &OS_REGEXES,
};
/// uap-core's crawler ("Spider") device rules.
pub(crate) static CRAWLERS: Section = Section {
    rules: &CRAWLER,
    compiled: &CRAWLER_REGEXES,
};

impl Section {
    /// The name the first matching rule gives, as ua-parser's extractors answer it (possibly
    /// ""); `None` when no rule matches.
    pub(crate) fn first_name(&self, ua: &str, atoms: &Atoms) -> Option<String> {
        self.candidates(atoms)
            .find_map(|(rule, regex)| regex.captures(ua).map(|c| rule.name.resolve(&c)))
    }

    /// Whether any rule matches.
    pub(crate) fn matches(&self, ua: &str, atoms: &Atoms) -> bool {
        self.candidates(atoms).any(|(_, regex)| regex.is_match(ua))
    }

    /// Compiles every rule's regex now (each one, even after one failed); returns whether all
    /// of them compile.
    pub(crate) fn compile_all(&self) -> bool {
        self.rules
            .iter()
            .zip(self.compiled)
            .filter(|(rule, cell)| cell.get_or_init(|| rule.compile()).is_none())
            .count()
            == 0
    }

    /// The rules the atoms admit, in order, with their regexes (compiled on first use). A rule
    /// whose regex does not compile is skipped, after one warning.
    fn candidates<'a>(
        &'a self,
        atoms: &'a Atoms,
    ) -> impl Iterator<Item = (&'static Rule, &'static Regex)> + 'a {
        let rules: &'static [Rule] = self.rules;
        let compiled: &'static [OnceLock<Option<Regex>>] = self.compiled;
        rules
            .iter()
            .zip(compiled)
            .filter(|(rule, _)| rule.filter.admits(atoms))
            .filter_map(|(rule, cell)| Some((rule, cell.get_or_init(|| rule.compile()).as_ref()?)))
    }
}

impl Rule {
    fn compile(&self) -> Option<Regex> {
        match RegexBuilder::new(self.regex)
            .case_insensitive(self.case_insensitive)
            .build()
        {
            Ok(regex) => Some(regex),
            Err(error) => {
                // The tests compile every rule before release; this only degrades answers.
                tracing::warn!(%error, rule = self.regex, "a user-agent rule does not compile; it is skipped");
                None
            }
        }
    }
}

impl Filter {
    fn admits(&self, atoms: &Atoms) -> bool {
        match self {
            Self::Always => true,
            Self::Atom(id) => atoms.contains(*id),
            Self::All(filters) => filters.iter().all(|f| f.admits(atoms)),
            Self::Any(filters) => filters.iter().any(|f| f.admits(atoms)),
        }
    }
}

impl Name {
    fn resolve(&self, captures: &Captures<'_>) -> String {
        let group1 = || {
            captures
                .get(1)
                .map(|m| m.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or("")
        };
        match self {
            Self::Fixed(name) => (*name).to_owned(),
            Self::Group1 => group1().to_owned(),
            Self::ReplaceGroup1(template) => template.replace("$1", group1()),
            Self::Expand(template) => {
                let mut name = String::new();
                captures.expand(template, &mut name);
                name.trim().to_owned()
            }
        }
    }
}

const ATOM_WORDS: usize = ATOM_COUNT.div_ceil(64);

/// The atoms a user agent contains, compared ASCII-case-insensitively (as ua-parser's prefilter
/// does).
pub(crate) struct Atoms([u64; ATOM_WORDS]);

impl Atoms {
    /// Looks every byte pair of the user agent up in the table of atoms' first two bytes and
    /// compares the atoms that start with it: nothing to build at start-up, unlike an automaton.
    pub(crate) fn in_text(ua: &str) -> Self {
        let mut found = Self([0; ATOM_WORDS]);
        let lowered = ua.as_bytes().to_ascii_lowercase();
        for (at, pair) in lowered.windows(2).enumerate() {
            let key = u16::from_be_bytes([pair[0], pair[1]]);
            let Ok(k) = ATOM_PAIRS.binary_search_by_key(&key, |&(key, _, _)| key) else {
                continue;
            };
            let (_, first, end) = ATOM_PAIRS[k];
            for id in first..end {
                if lowered[at..].starts_with(ATOMS[usize::from(id)].as_bytes()) {
                    found.0[usize::from(id / 64)] |= 1 << (id % 64);
                }
            }
        }
        found
    }

    fn contains(&self, id: u16) -> bool {
        self.0[usize::from(id / 64)] & (1 << (id % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_atom_search_finds_exactly_the_atoms_a_user_agent_contains() {
        for ua in crate::device::equivalence::user_agents().chain([
            "",
            "x",
            "MOZILLA",
            "ÄÖÜ mozilla ÿ",
            "GooglebotGOOGLEBOT",
        ]) {
            let found = Atoms::in_text(ua);
            let lowered = ua.to_ascii_lowercase();
            for (id, atom) in ATOMS.iter().enumerate() {
                let id = u16::try_from(id).unwrap();
                assert_eq!(
                    found.contains(id),
                    lowered.contains(atom),
                    "atom {atom:?} in {ua:?}"
                );
            }
        }
    }

    #[test]
    fn names_resolve_as_ua_parser_resolves_them() {
        let regex = Regex::new(r"(Foo)(?: (\d+)|)").unwrap();
        let captures = regex.captures("x Foo 12").unwrap();
        let empty = Regex::new(r"x()").unwrap();
        let no_group1 = empty.captures("x").unwrap();
        assert_eq!(Name::Fixed("Bar").resolve(&captures), "Bar");
        assert_eq!(Name::Group1.resolve(&captures), "Foo");
        assert_eq!(Name::Group1.resolve(&no_group1), "");
        assert_eq!(
            Name::ReplaceGroup1("$1 Mobile").resolve(&captures),
            "Foo Mobile"
        );
        assert_eq!(Name::Expand(" $1 $2 ").resolve(&captures), "Foo 12");
        assert_eq!(Name::Expand("${1}x").resolve(&captures), "Foox");
    }

    #[test]
    fn every_rule_compiles() {
        for (name, section) in [
            ("browser", &BROWSERS),
            ("OS", &OSES),
            ("crawler", &CRAWLERS),
        ] {
            assert!(section.compile_all(), "a {name} rule does not compile");
        }
    }

    #[test]
    fn the_table_holds_atoms_of_at_least_two_bytes_sorted_by_their_first_two() {
        assert_eq!(ATOMS.len(), ATOM_COUNT);
        assert!(
            ATOMS
                .iter()
                .all(|a| a.len() >= 2 && *a == a.to_ascii_lowercase())
        );
        assert!(
            ATOM_PAIRS
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].2 == w[1].1)
        );
        assert_eq!(
            ATOM_PAIRS.last().map(|p| usize::from(p.2)),
            Some(ATOMS.len())
        );
    }
}
