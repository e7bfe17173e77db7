//! `session-bench`: the measurements that need processes, sockets or the AWS stand-ins. Each
//! subcommand prints markdown tables on stdout; `scripts/bench` runs them all (and the criterion
//! benches) and collects the tables into one report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use session_bench::{
    BoxError, coldstart, criterion_report, enrich_init, functions, init_steps, load, machine,
    roundtrips, scaling, size,
};

#[derive(Parser, Debug)]
#[command(
    name = "session-bench",
    about = "Benchmarks of the session service (see BENCHMARKS.md)."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// The machine, toolchain and date, as a markdown list.
    Machine,
    /// Throughput and latency of a spawned session-local (embedded store) for validate, get and
    /// list at a fixed concurrency.
    Load {
        /// The session-local binary (build it with --release).
        #[arg(long, default_value = "target/release/session-local")]
        server: PathBuf,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds measured per route.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds of unmeasured load before each measurement.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Upper bound of requests per measurement.
        #[arg(long, default_value_t = 1_000_000)]
        max_requests: u64,
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Sessions per user (also the size of a listed page).
        #[arg(long, default_value_t = 10)]
        per_user: usize,
        /// RUST_LOG values to run the server with, each a full pass over the routes.
        #[arg(long, value_delimiter = ',', default_value = "info,warn")]
        log_levels: Vec<String>,
        /// Extra validate-only runs at these connection counts (with the first log level).
        #[arg(long, value_delimiter = ',', default_value = "1,16,256")]
        sweep: Vec<usize>,
        /// Threads of the load generator's runtime (the server takes the rest of the machine).
        #[arg(long, default_value_t = 1)]
        client_threads: usize,
        #[arg(long, default_value = "target/bench")]
        scratch: PathBuf,
    },
    /// AWS calls per command against DynamoDB Local, with consumed capacity and cost.
    RoundTrips {
        #[arg(long, default_value_t = 5)]
        reps: usize,
    },
    /// List and revoke-all for users with many sessions, against DynamoDB Local.
    Scaling {
        #[arg(long, value_delimiter = ',', default_value = "10,100,1000,5000")]
        sizes: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_value = "50,100")]
        pages: Vec<u32>,
    },
    /// Cold start of function binaries under a local Lambda Runtime API, against the floor.
    ColdStart {
        /// Where the release binaries are.
        #[arg(long, default_value = "target/release")]
        bin_dir: PathBuf,
        /// Functions to start; the first is the floor.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "hello-lambda,validate-session,create-session,authorizer,event-relay"
        )]
        functions: Vec<String>,
        #[arg(long, default_value_t = 20)]
        runs: usize,
        #[arg(long, default_value = "target/bench/cold-start")]
        log_dir: PathBuf,
        /// Extra KEY=VALUE environment for every function and the floor (experiments).
        #[arg(long = "env", value_name = "KEY=VALUE")]
        extra_env: Vec<String>,
        /// NAME=PATH: a function's binary from elsewhere than --bin-dir (the peer's).
        #[arg(long = "binary", value_name = "NAME=PATH")]
        binaries: Vec<String>,
        /// A city database (MaxMind DB format) for create-session's logins to locate their
        /// address in, as `GEOIP_DB_PATH` does on Lambda.
        #[arg(long)]
        geoip_db: Option<PathBuf>,
    },
    /// Binary and zip size per function.
    Size {
        #[arg(long, default_value = "target")]
        target_dir: PathBuf,
        #[arg(long, value_delimiter = ',')]
        names: Vec<String>,
        #[arg(long, default_value = "target/bench/zips")]
        scratch: PathBuf,
    },
    /// What enrichment costs the first login of a fresh process, before and now.
    EnrichInit {
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// A city database (MaxMind DB format) for the location cases; without one, only the
        /// user-agent cases run.
        #[arg(long)]
        geoip_db: Option<PathBuf>,
        /// Measure this case in this process and print JSON (used by the parent run).
        #[arg(long, hide = true)]
        child: Option<String>,
    },
    /// Where a function's init goes: its init steps timed one by one, in fresh processes with a
    /// Lambda function's environment.
    InitSteps {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Extra KEY=VALUE environment for every process (experiments).
        #[arg(long = "env", value_name = "KEY=VALUE")]
        extra_env: Vec<String>,
        /// Measure this process and print JSON (used by the parent run).
        #[arg(long, hide = true)]
        child: bool,
    },
    /// Tables from the criterion benches' saved estimates.
    CriterionReport {
        #[arg(long, default_value = "target/criterion")]
        dir: PathBuf,
    },
}

// Every subcommand measures, prints and exits; one thread for the load generator, the rest of
// the machine for the server it loads.
fn main() -> ExitCode {
    let cli = Cli::parse();
    // The init-steps child builds its own runtime, the one a function has, as its first step.
    if let Cmd::InitSteps { child: true, .. } = cli.command {
        return match init_steps::child().and_then(|steps| Ok(serde_json::to_string(&steps)?)) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("session-bench: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let threads = match &cli.command {
        Cmd::Load { client_threads, .. } => (*client_threads).max(1),
        _ => 1,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("session-bench: cannot start a tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("session-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Cmd) -> Result<String, BoxError> {
    match command {
        Cmd::Machine => Ok(machine::describe()),
        Cmd::Load {
            server,
            connections,
            duration,
            warmup,
            max_requests,
            users,
            per_user,
            log_levels,
            sweep,
            scratch,
            client_threads: _,
        } => {
            let settings = load::Settings {
                connections,
                warmup: Duration::from_secs_f64(warmup),
                duration: Duration::from_secs_f64(duration),
                max_requests,
            };
            let mut results = Vec::new();
            let mut sweep_results = Vec::new();
            for (k, level) in log_levels.iter().enumerate() {
                let srv = load::Server::start(&server, level, &scratch).await?;
                let seeded = load::seed(srv.addr, users, per_user).await?;
                eprintln!(
                    "session-bench: load: RUST_LOG={level}, {} sessions seeded",
                    seeded.sessions.len()
                );
                for route in [load::Route::Validate, load::Route::Get, load::Route::List] {
                    let r = load::run_route(&srv, &seeded, route, &settings).await?;
                    eprintln!(
                        "session-bench: load: {} {:.0} req/s",
                        route.label(),
                        r.rps()
                    );
                    results.push((level.clone(), r));
                }
                if k == 0 {
                    for &c in &sweep {
                        let s = load::Settings {
                            connections: c,
                            ..settings.clone()
                        };
                        let r = load::run_route(&srv, &seeded, load::Route::Validate, &s).await?;
                        sweep_results.push((level.clone(), r));
                    }
                }
                srv.stop().await;
            }
            let mut out = load::table(&results);
            if !sweep_results.is_empty() {
                if let Some(main) = results.first() {
                    sweep_results.push(main.clone());
                }
                sweep_results.sort_by_key(|(_, r)| r.connections);
                out.push_str("\nValidate at other concurrencies:\n\n");
                out.push_str(&load::table(&sweep_results));
            }
            Ok(out)
        }
        Cmd::RoundTrips { reps } => {
            let rows = roundtrips::run(reps.max(1)).await?;
            Ok(format!(
                "{}\nWhat the write transactions hold:\n\n{}\nCost per million commands:\n\n{}",
                roundtrips::table(&rows),
                roundtrips::writes_table(&rows),
                roundtrips::cost_table(&rows)
            ))
        }
        Cmd::Scaling { sizes, pages } => {
            let rows = scaling::run(&sizes, &pages).await?;
            Ok(scaling::table(&rows))
        }
        Cmd::ColdStart {
            bin_dir,
            functions: names,
            runs,
            log_dir,
            extra_env,
            binaries,
            geoip_db,
        } => {
            std::fs::create_dir_all(&log_dir)?;
            let seed = functions::seed().await?;
            let mut list = names
                .iter()
                .map(|name| {
                    functions::function(name, &bin_dir, &log_dir, &seed, geoip_db.as_deref())
                })
                .collect::<Result<Vec<_>, _>>()?;
            for (key, value) in pairs("--env", &extra_env)? {
                for f in &mut list {
                    f.env.insert(key.clone(), value.clone());
                }
            }
            for (name, path) in pairs("--binary", &binaries)? {
                let f = list
                    .iter_mut()
                    .find(|f| f.name == name)
                    .ok_or_else(|| format!("--binary {name}: not in --functions"))?;
                f.binary = PathBuf::from(path);
            }
            for f in &list {
                if !f.binary.is_file() {
                    return Err(format!(
                        "{} is missing: build it with cargo build --release",
                        f.binary.display()
                    )
                    .into());
                }
                // Each run appends; start each benchmark with empty logs.
                std::fs::write(&f.log, b"")?;
            }
            let series = coldstart::measure(&list, runs.max(1)).await?;
            let mut out = coldstart::table(&series);
            let versus = coldstart::versus(&series, "create-session", "create-session:plain");
            if !versus.is_empty() {
                out.push_str("\nWhat enrichment adds to the first login (same run):\n\n");
                out.push_str(&versus);
            }
            for s in &series {
                for failure in s.failures.iter().take(3) {
                    out.push_str(&format!("\n- {} failed: {failure}", s.name));
                }
            }
            Ok(out)
        }
        Cmd::Size {
            target_dir,
            names,
            scratch,
        } => {
            let rows = size::measure(&target_dir, &names, &scratch)?;
            Ok(size::table(&rows))
        }
        Cmd::EnrichInit {
            runs,
            geoip_db,
            child,
        } => match child {
            Some(case) => Ok(serde_json::to_string(&enrich_init::child(
                case.parse()?,
                geoip_db.as_deref(),
            )?)?),
            None => enrich_init::measure(runs.max(1), geoip_db.as_deref()),
        },
        Cmd::InitSteps {
            runs, extra_env, ..
        } => init_steps::measure(runs.max(1), &pairs("--env", &extra_env)?),
        Cmd::CriterionReport { dir } => criterion_report::tables(&dir),
    }
}

/// `A=B` arguments of `flag`, split at the first `=`.
fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, BoxError> {
    values
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| format!("{flag} {pair}: expected NAME=VALUE").into())
        })
        .collect()
}
