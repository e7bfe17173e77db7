//! The generator (tests/build.rs, tests/build/contract_cases.rs) run as the build runs it, on
//! sample area files: what it registers, and what it turns into a failed build.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Runs the generator on `tests/src/contract` made of `mod_rs` and `areas` (file name,
/// source), in a directory of its own, and returns the file it generates.
fn generate(sample: &str, mod_rs: &str, areas: &[(&str, &str)]) -> String {
    let root = PathBuf::from(concat!(env!("OUT_DIR"), "/generator-samples")).join(sample);
    let _ = fs::remove_dir_all(&root);
    let contract = root.join("src/contract");
    fs::create_dir_all(&contract).unwrap();
    fs::create_dir_all(root.join("out")).unwrap();
    fs::write(contract.join("mod.rs"), mod_rs).unwrap();
    for (file, source) in areas {
        fs::write(contract.join(file), source).unwrap();
    }
    let run = Command::new(env!("CONTRACT_CASES_GENERATOR"))
        .current_dir(&root)
        .env("OUT_DIR", root.join("out"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the generator failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::read_to_string(root.join("out/contract_cases.rs")).unwrap()
}

/// The `compile_error!` messages of a generated file, after asserting it defines no macro (so
/// the crate does not build).
fn compile_errors(generated: &str) -> Vec<String> {
    assert!(
        !generated.contains("macro_rules!"),
        "a refused suite defines no macro:\n{generated}"
    );
    let errors: Vec<String> = generated
        .lines()
        .filter_map(|line| line.strip_prefix("compile_error!(\"store contract suite: "))
        .map(|rest| rest.strip_suffix("\");").unwrap().replace("\\\"", "\""))
        .collect();
    assert!(!errors.is_empty(), "no compile_error! in:\n{generated}");
    errors
}

/// The generated `__contract_area!` lines, trimmed, from the first one on.
fn areas_of(generated: &str) -> Vec<&str> {
    assert!(
        generated.contains("#[macro_export]\nmacro_rules! __contract_cases {\n"),
        "no macro in:\n{generated}"
    );
    assert!(!generated.contains("compile_error!"), "{generated}");
    let lines: Vec<&str> = generated.lines().map(str::trim).collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("$crate::__contract_area!"))
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| *l == "]);")
        .map_or(first, |i| i + 1);
    lines[first..last].to_vec()
}

const MOD_RS: &str = "//! Areas.\n\npub mod sample;\n";

/// Helpers of the shapes the area files use, and text that only looks like a case.
const HELPERS: &str = r#"
use crate::{Fixture, StoreHarness};

/// Mentions `pub async fn not_a_case<H: StoreHarness>(h: H)` in a doc comment.
async fn helper<H: StoreHarness>(fx: &Fixture<'_, H>, n: usize) {}
pub(crate) async fn shared_helper<'h, H: StoreHarness>(h: &'h H, json: &str) {}
pub(crate) async fn race<T, F>(tasks: Vec<F>) -> Vec<T> { todo!() }
pub fn config(json: &str) -> FixtureConfig { todo!() }
pub(crate) const RAW: &str = r"
pub async fn in_a_string<H: StoreHarness>(h: H) {}
";
"#;

#[test]
fn a_new_pub_async_fn_runs_against_every_store_with_no_other_edit() {
    let source = format!(
        "{HELPERS}
pub async fn written_first<H: StoreHarness>(h: H) {{}}
pub async fn written_second<H: crate::StoreHarness>(h: H) {{}}
"
    );
    let generated = generate("new_case", MOD_RS, &[("sample.rs", &source)]);
    assert_eq!(
        areas_of(&generated),
        [
            "$crate::__contract_area!($make, sample: [",
            "written_first(),",
            "written_second(),",
            "]);",
        ]
    );
}

#[test]
fn areas_are_sorted_and_an_area_without_cases_adds_nothing() {
    let generated = generate(
        "areas",
        "pub mod zeta;\npub mod alpha;\npub mod helpers_only;\n",
        &[
            ("zeta.rs", "pub async fn last<H: StoreHarness>(h: H) {}"),
            ("alpha.rs", "pub async fn first<H: StoreHarness>(h: H) {}"),
            ("helpers_only.rs", HELPERS),
            // Not area files: the generator reads `*.rs` files only, and no hidden ones.
            (
                "notes.txt",
                "pub async fn not_rust<H: StoreHarness>(h: H) {}",
            ),
            (
                ".#zeta.rs",
                "pub async fn editor_lock<H: StoreHarness>(h: H) {}",
            ),
        ],
    );
    assert_eq!(
        areas_of(&generated),
        [
            "$crate::__contract_area!($make, alpha: [",
            "first(),",
            "]);",
            "$crate::__contract_area!($make, zeta: [",
            "last(),",
            "]);",
        ]
    );
}

#[test]
fn a_harness_as_impl_trait_in_a_where_clause_or_over_several_lines_is_a_case() {
    let source = "
pub async fn by_impl(h: impl StoreHarness) {}
pub async fn by_where<H>(h: H) where H: StoreHarness + Clone {}
pub async fn multi_line<
    H: StoreHarness,
>(
    h: H,
) {}
";
    let generated = generate("harness_shapes", MOD_RS, &[("sample.rs", source)]);
    assert_eq!(
        areas_of(&generated)[1..4],
        ["by_impl(),", "by_where(),", "multi_line(),"]
    );
}

#[test]
fn load_parameters_are_passed_by_name_in_the_cases_order() {
    let source = "
pub async fn both<H: StoreHarness>(h: H, logins: usize, rounds: usize) {}
pub async fn swapped<H: StoreHarness>(h: H, rounds: usize, logins: usize) {}
pub async fn rounds_only<H: StoreHarness>(h: H, rounds: usize) {}
";
    let generated = generate("load", MOD_RS, &[("sample.rs", source)]);
    assert!(generated.contains("    ($make:expr, $logins:expr, $rounds:expr) => {\n"));
    assert_eq!(
        areas_of(&generated)[1..4],
        [
            "both($logins, $rounds),",
            "swapped($rounds, $logins),",
            "rounds_only($rounds),",
        ]
    );
}

#[test]
fn a_function_that_takes_the_harness_but_is_not_pub_async_fails_the_build() {
    let source = "
async fn private_case<H: StoreHarness>(h: H) {}
pub fn not_async<H: StoreHarness>(h: H) {}
pub(crate) async fn crate_visible(h: impl StoreHarness) {}
pub async fn the_one_that_runs<H: StoreHarness>(h: H) {}
";
    let errors = compile_errors(&generate("not_pub_async", MOD_RS, &[("sample.rs", source)]));
    assert_eq!(errors.len(), 3, "{errors:#?}");
    for (error, name) in errors
        .iter()
        .zip(["private_case", "not_async", "crate_visible"])
    {
        let expected = format!(
            "tests/src/contract/sample.rs: `fn {name}` takes the harness by value like a case but \
             is not a top-level `pub async fn`, so it would run against no store"
        );
        assert!(error.starts_with(&expected), "{error}");
    }
}

#[test]
fn a_case_inside_an_inline_module_fails_the_build() {
    let source = "
pub async fn top_level<H: StoreHarness>(h: H) {}
pub mod nested {
    pub async fn hidden<H: StoreHarness>(h: H) {}
    mod deeper { async fn deeper_still(h: impl StoreHarness) {} }
}
";
    let errors = compile_errors(&generate("nested", MOD_RS, &[("sample.rs", source)]));
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("`fn hidden` in `mod nested` looks like a case"));
    assert!(errors[1].contains("`fn deeper_still` in `mod deeper` looks like a case"));
}

#[test]
fn a_pub_async_fn_without_the_harness_first_fails_the_build() {
    let source = "pub async fn helper<H: StoreHarness>(fx: &Fixture<'_, H>) {}";
    let errors = compile_errors(&generate("no_harness", MOD_RS, &[("sample.rs", source)]));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("`pub async fn helper` is a case")
            && errors[0].contains("its first parameter is not the harness by value"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_load_the_suite_does_not_know_fails_the_build() {
    let source = "pub async fn loaded<H: StoreHarness>(h: H, rounds: usize, writers: usize) {}";
    let errors = compile_errors(&generate("unknown_load", MOD_RS, &[("sample.rs", source)]));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("case `loaded` takes `writers` after the harness")
            && errors[0].contains("(logins, rounds)"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_area_file_that_mod_rs_does_not_declare_pub_fails_the_build() {
    let errors = compile_errors(&generate(
        "undeclared",
        "//! Areas.\n\nmod private;\npub mod without_file;\n",
        &[
            (
                "undeclared.rs",
                "pub async fn never_reached<H: StoreHarness>(h: H) {}",
            ),
            ("private.rs", ""),
        ],
    ));
    assert_eq!(
        errors,
        [
            "tests/src/contract/mod.rs: `mod private;` must be `pub mod private;` for the \
             stores' suites to reach its cases",
            "tests/src/contract/mod.rs declares `without_file` but there is no \
             tests/src/contract/without_file.rs (an area is one file)",
            "tests/src/contract/undeclared.rs is not declared in tests/src/contract/mod.rs: add \
             `pub mod undeclared;`",
        ]
    );
}

#[test]
fn an_area_that_does_not_parse_fails_the_build() {
    let source = "pub async fn broken<H: StoreHarness>(h: H {}";
    let errors = compile_errors(&generate("unparsable", MOD_RS, &[("sample.rs", source)]));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("tests/src/contract/sample.rs does not parse: "),
        "{}",
        errors[0]
    );
}
