//! The `flarelink` command line: parse, load the configuration, build the clients, run one
//! command from `flarelink-core`, and report (human lines or one JSON document). The binary's
//! `main.rs` only calls [`main`].

mod args;
mod clients;
mod output;
mod progress;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use flarelink_core::config::{Config, ConfigError, ConfigErrors, Overrides, API_BASE_ENV};
use flarelink_core::plan::RunReport;
use flarelink_core::{link, unlink, RunOptions, Selection, StepId};

pub use args::{Cli, Command, OutputFormat};

/// Crash-recovery tests stop a run right after a step with this variable.
const FAULT_ENV: &str = "FLARELINK_FAULT_AFTER_STEP";

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    let code = runtime.block_on(run(cli));
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

fn selection(command: &Command) -> Selection {
    use StepId::*;
    match command {
        Command::LinkDomain(_) | Command::UnlinkDomain(_) => Selection::all(),
        Command::Certificate(_) => Selection::only(&[OriginCert, AcmImport]),
        Command::CustomDomain(_) => Selection::only(&[CustomDomain]),
        Command::ApiMapping(_) => Selection::only(&[ApiMapping]),
        Command::DnsRecord(_) => Selection::only(&[DnsRecord]),
        Command::SslMode(_) => Selection::only(&[SslMode]),
    }
}

async fn run(cli: Cli) -> u8 {
    let human = cli.global.output == OutputFormat::Human;
    let command = &cli.command;
    let args = command.run_args();

    let overrides = Overrides {
        region: cli.global.region.clone(),
        profile: cli.global.profile.clone(),
        cloudflare_api_base: std::env::var(API_BASE_ENV).ok().filter(|v| !v.is_empty()),
        hostnames: args.hostnames.clone(),
    };
    let config = match Config::load(&cli.global.config, &overrides)
        .and_then(|c| c.require_domains().map(|()| c))
    {
        Ok(c) => c,
        Err(e) => return report_config_errors(&e, human),
    };
    let fault_after = match std::env::var(FAULT_ENV) {
        Ok(name) if !name.is_empty() => match StepId::from_name(&name) {
            Some(step) => Some(step),
            None => {
                return report_config_errors(
                    &ConfigError::new(FAULT_ENV, name, "is not a step name", "use origin-cert, acm-import, custom-domain, api-mapping, dns-record or ssl-mode").into(),
                    human,
                )
            }
        },
        _ => None,
    };
    let options = RunOptions {
        dry_run: args.dry_run,
        force: args.force,
        fault_after,
    };

    let ui = Arc::new(progress::Ui::new(human));
    let clouds = match clients::build(&config, args.dry_run, ui.clone()).await {
        Ok(clients::Built::Ready(c)) => c,
        Ok(clients::Built::Unchecked(why)) => {
            let report = link::static_plan(&config, &selection(command), command.name(), why);
            for step in &report.steps {
                flarelink_core::Progress::end(ui.as_ref(), step);
            }
            return finish(ui.as_ref(), &report, human);
        }
        Err(e) => return report_config_errors(&e, human),
    };

    let result = match command {
        Command::UnlinkDomain(_) => unlink::run(&config, &clouds, options, ui.clone()).await,
        other => {
            link::run(
                &config,
                &clouds,
                &selection(other),
                options,
                ui.clone(),
                other.name(),
            )
            .await
        }
    };
    match result {
        Ok(report) => finish(ui.as_ref(), &report, human),
        Err(e) => {
            ui.finish();
            if let flarelink_core::Error::Config(errors) = &e {
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
    }
}

fn finish(ui: &progress::Ui, report: &RunReport, human: bool) -> u8 {
    ui.finish();
    if human {
        print!("{}", output::human_summary(report));
    } else {
        println!("{}", output::json_report(report));
    }
    0
}

fn report_config_errors(errors: &ConfigErrors, human: bool) -> u8 {
    if human {
        eprint!("error: {errors}");
    } else {
        let problems = serde_json::to_value(&errors.0).expect("config errors serialize");
        println!(
            "{}",
            output::json_error(
                "config",
                "invalid input; nothing was sent to AWS or Cloudflare",
                None,
                Some(problems)
            )
        );
    }
    2
}
