//! Generates the store contract suite's list of cases from the area files, so that a case runs
//! against every store as soon as it is written (tests/build/contract_cases.rs has the rule).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::{env, fs};

#[path = "build/contract_cases.rs"]
mod contract_cases;

use contract_cases::AreaFile;

const CONTRACT_DIR: &str = "src/contract";

fn main() -> Result<(), Box<dyn Error>> {
    // Cargo scans a directory as a whole: a new area file reruns the generator too.
    println!("cargo::rerun-if-changed={CONTRACT_DIR}");
    let dir = Path::new(CONTRACT_DIR);
    let mod_rs = fs::read_to_string(dir.join("mod.rs"))?;
    let generated = contract_cases::generate(&mod_rs, &area_files(dir)?);
    let out_dir = PathBuf::from(
        env::var_os("OUT_DIR").ok_or("OUT_DIR is not set (cargo sets it for build scripts)")?,
    );
    fs::write(out_dir.join("contract_cases.rs"), generated)?;
    // The generator's tests (tests/src/suite/generator_tests.rs) run this very program on sample
    // area files: it reads `src/contract` under its working directory and writes to `OUT_DIR`.
    let this_program = env::current_exe()?;
    let this_program = this_program
        .to_str()
        .ok_or("the build script's path is not UTF-8")?;
    println!("cargo::rustc-env=CONTRACT_CASES_GENERATOR={this_program}");
    Ok(())
}

/// Every `*.rs` file in `dir` but mod.rs (and hidden files, such as an editor's).
fn area_files(dir: &Path) -> Result<Vec<AreaFile>, Box<dyn Error>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        if stem == "mod" || stem.starts_with('.') || !path.is_file() {
            continue;
        }
        files.push(AreaFile {
            name: stem.to_owned(),
            source: fs::read_to_string(&path)?,
        });
    }
    Ok(files)
}
