//! Finds the store contract cases in the area files (tests/src/contract/*.rs) and writes the
//! macro that turns each of them into a test for a store (`__contract_cases!`, used by
//! `store_contract_suite!` in tests/src/suite.rs).
//!
//! The rule: every top-level `pub async fn` of an area file is a case. Its first parameter is the
//! harness, taken by value; any further parameter is a load, passed by its name (see
//! [`LOAD_PARAMETERS`]). Anything that would keep a written case from running against every
//! store is refused with a `compile_error!` instead: a function that takes the harness like a
//! case but is not `pub async`, a case nested in an inline module, a load the suite does not
//! know, an area file that tests/src/contract/mod.rs does not declare `pub`.
//!
//! Pure (no I/O): tests/build.rs reads the files, feeds them to [`generate`] and writes the
//! result (tests/src/suite/generator_tests.rs runs that program on sample area files).

use std::collections::BTreeSet;

use syn::{
    FnArg, Generics, Ident, Item, ItemFn, Pat, Signature, Type, TypeParamBound, Visibility,
    WherePredicate,
};

/// The load parameters a case may take after the harness, in the order `__contract_cases!`
/// receives them; a case names each one it takes, in any order.
const LOAD_PARAMETERS: &[&str] = &["logins", "rounds"];

/// The trait a case's harness parameter is bounded by.
const HARNESS_TRAIT: &str = "StoreHarness";

/// One area file: its module name (the file stem) and its source.
pub struct AreaFile {
    pub name: String,
    pub source: String,
}

/// The cases of one area, in source order.
struct Area {
    name: String,
    cases: Vec<Case>,
}

/// One case: its function name and the load parameters it takes after the harness.
struct Case {
    name: String,
    load: Vec<&'static str>,
}

/// The generated file: the `__contract_cases!` macro, or a `compile_error!` per problem found.
pub fn generate(mod_rs: &str, files: &[AreaFile]) -> String {
    match scan(mod_rs, files) {
        Ok(areas) => render(&areas),
        Err(problems) => render_problems(&problems),
    }
}

/// The areas with at least one case, sorted by name, or every problem found.
fn scan(mod_rs: &str, files: &[AreaFile]) -> Result<Vec<Area>, Vec<String>> {
    let mut problems = check_declared(mod_rs, files);
    let mut areas = Vec::new();
    for file in files {
        match scan_area(file) {
            Ok(area) if area.cases.is_empty() => {}
            Ok(area) => areas.push(area),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    areas.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(areas)
}

/// Every area file is declared `pub mod <name>;` in mod.rs, and every module mod.rs declares is
/// an area file.
fn check_declared(mod_rs: &str, files: &[AreaFile]) -> Vec<String> {
    let parsed = match syn::parse_file(mod_rs) {
        Ok(parsed) => parsed,
        Err(e) => return vec![format!("tests/src/contract/mod.rs does not parse: {e}")],
    };
    let mut problems = Vec::new();
    let mut declared = BTreeSet::new();
    for item in &parsed.items {
        let Item::Mod(module) = item else { continue };
        if module.content.is_some() {
            continue;
        }
        let name = module.ident.to_string();
        if !matches!(module.vis, Visibility::Public(_)) {
            problems.push(format!(
                "tests/src/contract/mod.rs: `mod {name};` must be `pub mod {name};` for the stores' \
                 suites to reach its cases"
            ));
        }
        declared.insert(name);
    }
    let files: BTreeSet<String> = files.iter().map(|f| f.name.clone()).collect();
    for missing in declared.difference(&files) {
        problems.push(format!(
            "tests/src/contract/mod.rs declares `{missing}` but there is no \
             tests/src/contract/{missing}.rs (an area is one file)"
        ));
    }
    for undeclared in files.difference(&declared) {
        problems.push(format!(
            "tests/src/contract/{undeclared}.rs is not declared in tests/src/contract/mod.rs: add \
             `pub mod {undeclared};`"
        ));
    }
    problems
}

/// The cases of one area file, or the problems that keep one of them from running.
fn scan_area(file: &AreaFile) -> Result<Area, Vec<String>> {
    let path = format!("tests/src/contract/{}.rs", file.name);
    let parsed =
        syn::parse_file(&file.source).map_err(|e| vec![format!("{path} does not parse: {e}")])?;
    let mut problems = Vec::new();
    let mut cases = Vec::new();
    for item in &parsed.items {
        match item {
            Item::Fn(function) if is_pub_async(function) => match case(&function.sig) {
                Ok(case) => cases.push(case),
                Err(problem) => problems.push(format!("{path}: {problem}")),
            },
            Item::Fn(function) if takes_the_harness(&function.sig) => problems.push(format!(
                "{path}: `fn {}` takes the harness by value like a case but is not a top-level \
                 `pub async fn`, so it would run against no store; make it `pub async fn` (or, for \
                 a helper, take `&H`)",
                function.sig.ident
            )),
            Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    nested_cases(&path, &module.ident, items, &mut problems);
                }
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(Area {
            name: file.name.clone(),
            cases,
        })
    } else {
        Err(problems)
    }
}

/// A case-like function inside an inline module is never reached by the suite: refused.
fn nested_cases(path: &str, module: &Ident, items: &[Item], problems: &mut Vec<String>) {
    for item in items {
        match item {
            Item::Fn(function) if is_pub_async(function) || takes_the_harness(&function.sig) => {
                problems.push(format!(
                    "{path}: `fn {}` in `mod {module}` looks like a case, but cases are top-level \
                     items of an area file; move it out of the module",
                    function.sig.ident
                ));
            }
            Item::Mod(inner) => {
                if let Some((_, items)) = &inner.content {
                    nested_cases(path, &inner.ident, items, problems);
                }
            }
            _ => {}
        }
    }
}

fn is_pub_async(function: &ItemFn) -> bool {
    matches!(function.vis, Visibility::Public(_)) && function.sig.asyncness.is_some()
}

/// A `pub async fn` as a case: the harness first, then known load parameters by name.
fn case(sig: &Signature) -> Result<Case, String> {
    let name = sig.ident.to_string();
    if !takes_the_harness(sig) {
        return Err(format!(
            "`pub async fn {name}` is a case (every top-level `pub async fn` of an area is), but \
             its first parameter is not the harness by value (`h: H` with `H: {HARNESS_TRAIT}`); \
             a helper shared between areas is `pub(crate)`"
        ));
    }
    let mut load = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let parameter = match input {
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) => ident.ident.to_string(),
                _ => String::from("a pattern"),
            },
            FnArg::Receiver(_) => String::from("self"),
        };
        match LOAD_PARAMETERS.iter().find(|known| **known == parameter) {
            Some(known) => load.push(*known),
            None => {
                return Err(format!(
                    "case `{name}` takes `{parameter}` after the harness, which is not a load the \
                     suite knows ({}); rename it, or add it to LOAD_PARAMETERS in \
                     tests/build/contract_cases.rs and to `store_contract_suite!`",
                    LOAD_PARAMETERS.join(", ")
                ));
            }
        }
    }
    Ok(Case { name, load })
}

/// Whether the first parameter is a harness taken by value: `impl StoreHarness`, or a type
/// parameter bounded by `StoreHarness` (inline or in the where clause).
fn takes_the_harness(sig: &Signature) -> bool {
    let Some(FnArg::Typed(first)) = sig.inputs.first() else {
        return false;
    };
    match &*first.ty {
        Type::ImplTrait(implied) => names_the_harness(&implied.bounds),
        Type::Path(path) if path.qself.is_none() => path
            .path
            .get_ident()
            .is_some_and(|ident| is_harness_parameter(&sig.generics, ident)),
        _ => false,
    }
}

fn is_harness_parameter(generics: &Generics, ident: &Ident) -> bool {
    let inline = generics
        .type_params()
        .any(|param| param.ident == *ident && names_the_harness(&param.bounds));
    let in_where = generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .any(|predicate| {
            matches!(predicate, WherePredicate::Type(bound)
            if matches!(&bound.bounded_ty, Type::Path(p) if p.path.is_ident(ident))
                && names_the_harness(&bound.bounds))
        });
    inline || in_where
}

fn names_the_harness<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> bool {
    bounds.into_iter().any(|bound| {
        matches!(bound, TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == HARNESS_TRAIT))
    })
}

/// The macro: one `__contract_area!` per area, each case with its load metavariables.
fn render(areas: &[Area]) -> String {
    let load_matchers: String = LOAD_PARAMETERS
        .iter()
        .map(|p| format!(", ${p}:expr"))
        .collect();
    let mut out = String::from(GENERATED_HEADER);
    out.push_str(
        "/// Every contract case, one `__contract_area!` per area file. Not public API.\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! __contract_cases {\n",
    );
    out.push_str(&format!("    ($make:expr{load_matchers}) => {{\n"));
    for area in areas {
        out.push_str(&format!(
            "        $crate::__contract_area!($make, {}: [\n",
            area.name
        ));
        for case in &area.cases {
            let load: Vec<String> = case.load.iter().map(|p| format!("${p}")).collect();
            out.push_str(&format!(
                "            {}({}),\n",
                case.name,
                load.join(", ")
            ));
        }
        out.push_str("        ]);\n");
    }
    out.push_str("    };\n}\n");
    out
}

fn render_problems(problems: &[String]) -> String {
    let mut out = String::from(GENERATED_HEADER);
    for problem in problems {
        out.push_str(&format!(
            "compile_error!({:?});\n",
            format!("store contract suite: {problem}")
        ));
    }
    out
}

const GENERATED_HEADER: &str = "\
// Generated by tests/build.rs (tests/build/contract_cases.rs) from tests/src/contract/*.rs:
// every top-level `pub async fn` there is a case. Do not edit; write a case instead.

";
