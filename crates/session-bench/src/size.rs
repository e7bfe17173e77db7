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
    /// When the arm64 package was written (it may predate this run).
    pub arm_built: Option<chrono::DateTime<chrono::Utc>>,
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
            arm_built: std::fs::metadata(lambda.join(format!("{name}.zip")))
                .and_then(|m| m.modified())
                .ok()
                .map(chrono::DateTime::<chrono::Utc>::from),
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
        "| binary | x86_64 release binary | x86_64 zip | arm64 bootstrap (target/lambda) | arm64 zip | arm64 zip <= 5 MB |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        // The target is for what is deployed: the arm64 package. A local x86_64 zip is shown for
        // comparison only, and session-local / hello-lambda are not deployed at all.
        let verdict = match r.arm_zip {
            Some(zip) if zip <= TARGET_ZIP_BYTES => "met",
            Some(_) => "MISSED",
            None => "n/a (no arm64 package)",
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
    let built: Vec<_> = rows.iter().filter_map(|r| r.arm_built).collect();
    if let (Some(first), Some(last)) = (built.iter().min(), built.iter().max()) {
        out.push_str(&format!(
            "\narm64 packages: written by scripts/package (cargo lambda, release, panic=abort) between \
             {} and {}; they may predate this run's code.\n",
            first.format("%Y-%m-%d %H:%M UTC"),
            last.format("%Y-%m-%d %H:%M UTC"),
        ));
    }
    out
}
