//! `link-domain`, `unlink-domain` and the six step commands.

use std::sync::Arc;

use flarelink_core::{link, unlink, RunOptions, Selection, StepId};

use crate::args::{Cli, Command, RunArgs};
use crate::clients::{self, Built};
use crate::progress::Ui;
use crate::{bad_input, finish, load_config, report_config_errors, report_error};

/// Crash-recovery tests stop a run right after a step with this variable.
const FAULT_ENV: &str = "FLARELINK_FAULT_AFTER_STEP";

/// `FLARELINK_FAULT_AFTER_STEP`, if set: the step after which to stop (tests only). `Err` holds
/// a value that names no step.
pub(crate) fn fault_after_from_env() -> Result<Option<StepId>, String> {
    match std::env::var(FAULT_ENV) {
        Ok(name) if !name.is_empty() => StepId::from_name(&name).map(Some).ok_or(name),
        _ => Ok(None),
    }
}

fn selection(command: &Command) -> Selection {
    use StepId::*;
    match command {
        Command::Certificate(_) => Selection::only(&[OriginCert, AcmImport]),
        Command::CustomDomain(_) => Selection::only(&[CustomDomain]),
        Command::ApiMapping(_) => Selection::only(&[ApiMapping]),
        Command::DnsRecord(_) => Selection::only(&[DnsRecord]),
        Command::SslMode(_) => Selection::only(&[SslMode]),
        _ => Selection::all(),
    }
}

pub async fn run(cli: &Cli, command: &Command, args: &RunArgs, human: bool) -> u8 {
    let config =
        match load_config(cli, &args.hostnames).and_then(|c| c.require_domains().map(|()| c)) {
            Ok(c) => c,
            Err(e) => return report_config_errors(&e, human),
        };
    let fault_after = match fault_after_from_env() {
        Ok(f) => f,
        Err(name) => {
            return bad_input(
                FAULT_ENV,
                &name,
                "is not a step name",
                "use a step name such as origin-cert, dns-record or route",
                human,
            )
        }
    };
    let options = RunOptions {
        dry_run: args.dry_run,
        force: args.force,
        fault_after,
    };

    let ui = Arc::new(Ui::new(human));
    let needs_aws = flarelink_core::Clouds::needs_aws(&selection(command));
    let clouds = match clients::clouds(&config, args.dry_run, needs_aws, ui.clone()).await {
        Ok(Built::Ready(c)) => c,
        Ok(Built::Unchecked(why)) => {
            let report = match command {
                Command::UnlinkDomain(_) => unlink::static_plan(&config, why),
                _ => link::static_plan(&config, &selection(command), command.name(), why),
            };
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
            report_error(&e, human)
        }
    }
}
