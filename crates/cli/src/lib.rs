//! The `flarelink` command line: parse, load the configuration, build the clients, run one
//! command from `flarelink-core`, and report (human lines or one JSON document). The binary's
//! `main.rs` only calls [`main`].

mod args;
mod clients;
mod commands;
mod output;
mod progress;
mod usage;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use flarelink_core::config::{Config, ConfigError, ConfigErrors, Environment, Overrides};
use flarelink_core::RunReport;

pub use args::{Cli, Command, OutputFormat};

pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(usage::report(&e, usage::wants_json(&args))),
    };
    init_tracing(cli.global.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    let code = runtime.block_on(commands::run(cli));
    ExitCode::from(code)
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "flarelink=debug,flarelink_core=debug,flarelink_cloudflare=debug,flarelink_aws=debug,warn",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLARELINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The configuration with the command line's and the environment's overrides.
fn load_config(cli: &Cli, hostnames: &[String]) -> Result<Config, ConfigErrors> {
    let overrides = Overrides {
        region: cli.global.region.clone(),
        profile: cli.global.profile.clone(),
        hostnames: hostnames.to_vec(),
        environment: Environment::from_process(),
    };
    Config::load(&cli.global.config, &overrides)
}

fn finish(ui: &progress::Ui, report: &RunReport, human: bool) -> u8 {
    ui.finish();
    if human {
        print!("{}", output::human_summary(report));
    } else {
        println!("{}", output::json_report(report));
    }
    // Exit 0 means the state is right: a run that leaves something behind says so and fails.
    let left: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| flarelink_core::in_use::is_left_over(w))
        .collect();
    if left.is_empty() {
        return 0;
    }
    if human {
        eprintln!(
            "error: the run left {} thing(s) behind (see \"left over\" above); exit 1",
            left.len()
        );
    }
    1
}

fn report_config_errors(errors: &ConfigErrors, human: bool) -> u8 {
    if human {
        eprint!("error: {errors}");
    } else {
        // Each problem also carries its human line (`file:line:column: key = value: problem`)
        // for scripts that only want to show it.
        let problems: Vec<serde_json::Value> = errors
            .0
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).expect("config errors serialize");
                v["message"] = serde_json::Value::String(e.to_string());
                v
            })
            .collect();
        let n = errors.0.len();
        // A closed stdout must not turn into a panic message.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            output::json_error(
                "config",
                &format!(
                    "{n} problem{} in the input; nothing was sent to AWS or Cloudflare",
                    if n == 1 { "" } else { "s" }
                ),
                None,
                Some(serde_json::Value::Array(problems))
            )
        );
    }
    2
}

fn report_error(e: &flarelink_core::Error, human: bool) -> u8 {
    if let flarelink_core::Error::Config(errors) = e {
        return report_config_errors(errors, human);
    }
    let hint = e.hint();
    if human {
        eprintln!("error: {e}");
        if let Some(h) = &hint {
            eprintln!("  what to do: {h}");
        }
    } else {
        println!(
            "{}",
            output::json_error(e.kind(), &e.to_string(), hint.as_deref(), None)
        );
    }
    e.exit_code() as u8
}

fn bad_input(field: &str, value: &str, problem: &str, fix: &str, human: bool) -> u8 {
    report_config_errors(&ConfigError::new(field, value, problem, fix).into(), human)
}
