//! `provision`: the guide's API and Cognito setup.

use std::sync::Arc;

use flarelink_core::{provision, RunOptions};

use crate::args::{Cli, ProvisionArgs};
use crate::clients::{self, Built};
use crate::progress::Ui;
use crate::{finish, load_config, report_config_errors, report_error};

pub async fn run(cli: &Cli, args: &ProvisionArgs, human: bool) -> u8 {
    let config = match load_config(cli, &[]) {
        Ok(c) => c,
        Err(e) => return report_config_errors(&e, human),
    };
    if let Err(e) = config.require_api() {
        return report_config_errors(&e, human);
    }
    let ui = Arc::new(Ui::new(human));
    let aws = match clients::aws_only(&config, args.dry_run, ui.clone()).await {
        Ok(Built::Ready(a)) => a,
        Ok(Built::Unchecked(why)) => {
            let report = provision::static_plan(&config, why);
            for step in &report.steps {
                flarelink_core::Progress::end(ui.as_ref(), step);
            }
            return finish(ui.as_ref(), &report, human);
        }
        Err(e) => return report_config_errors(&e, human),
    };
    let options = RunOptions {
        dry_run: args.dry_run,
        force: args.force,
        fault_after: match super::link::fault_after_from_env() {
            Ok(f) => f,
            Err(name) => {
                return crate::bad_input(
                    "FLARELINK_FAULT_AFTER_STEP",
                    &name,
                    "is not a step name",
                    "use a step name such as route",
                    human,
                )
            }
        },
        look: false,
    };
    match provision::run(&config, &aws, options, ui.clone()).await {
        Ok(report) => finish(ui.as_ref(), &report, human),
        Err(e) => {
            ui.finish();
            report_error(&e, human)
        }
    }
}
