//! What the numbers were measured on.

use std::fs;
use std::process::Command;

/// A markdown paragraph describing the machine, the toolchain and the date.
pub fn describe() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "- Machine: {cpus} CPUs ({model}), {mem_gib:.1} GiB RAM, Linux {kernel}\n\
         - Toolchain: {rustc}\n\
         - Date: {}\n\
         - Load average at the start (1/5/15 min): {}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        kernel = kernel.trim(),
    )
}
