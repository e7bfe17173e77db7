//! Binary and deployment-package size per function: the x86_64 release binaries of this run,
//! zipped here as a Lambda package would be (`bootstrap` at the root, deflate), and the arm64
//! packages `scripts/package` leaves under target/lambda when they exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BoxError;

/// Lambda's limit for the size of a function package is 50 MB zipped; ours is 5 MB.
pub const TARGET_ZIP_BYTES: u64 = 5 * 1000 * 1000;

#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub x86_binary: Option<u64>,
    pub x86_zip: Option<u64>,
    pub arm_binary: Option<u64>,
    pub arm_zip: Option<u64>,
}

fn len(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// Zips `binary` as `bootstrap` into `zip` with Python's zipfile (deflate, the default level),
/// the same way scripts/package builds the arm64 packages.
fn zip_as_bootstrap(binary: &Path, zip: &Path) -> Result<u64, BoxError> {
    let script = "import sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n\
                  \x20   info = zipfile.ZipInfo('bootstrap')\n\
                  \x20   info.external_attr = 0o755 << 16\n\
                  \x20   info.compress_type = zipfile.ZIP_DEFLATED\n\
                  \x20   z.writestr(info, open(sys.argv[1], 'rb').read())\n";
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(binary)
        .arg(zip)
        .status()?;
    if !status.success() {
        return Err(format!("zipping {} failed", binary.display()).into());
    }
    len(zip).ok_or_else(|| format!("{} was not written", zip.display()).into())
}

/// Sizes of `names` (binary names) found under `target_dir`.
pub fn measure(target_dir: &Path, names: &[String], scratch: &Path) -> Result<Vec<Row>, BoxError> {
    std::fs::create_dir_all(scratch)?;
    let mut rows = Vec::new();
    for name in names {
        let binary: PathBuf = target_dir.join("release").join(name);
        let x86_binary = len(&binary);
        let x86_zip = match x86_binary {
            Some(_) => Some(zip_as_bootstrap(
                &binary,
                &scratch.join(format!("{name}.zip")),
            )?),
            None => None,
        };
        let lambda = target_dir.join("lambda");
        rows.push(Row {
            name: name.clone(),
            x86_binary,
            x86_zip,
            arm_binary: len(&lambda.join(name).join("bootstrap")),
            arm_zip: len(&lambda.join(format!("{name}.zip"))),
        });
    }
    Ok(rows)
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "not built".to_owned(),
        |b| format!("{:.2} MB", b as f64 / 1e6),
    )
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| binary | x86_64 release binary | x86_64 zip | arm64 bootstrap (target/lambda) | arm64 zip | zip <= 5 MB |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let zips: Vec<u64> = [r.x86_zip, r.arm_zip].into_iter().flatten().collect();
        let verdict = if zips.is_empty() {
            "n/a"
        } else if zips.iter().all(|z| *z <= TARGET_ZIP_BYTES) {
            "met"
        } else {
            "MISSED"
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.name,
            mb(r.x86_binary),
            mb(r.x86_zip),
            mb(r.arm_binary),
            mb(r.arm_zip),
            verdict,
        ));
    }
    out
}
