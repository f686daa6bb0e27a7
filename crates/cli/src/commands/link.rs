//! `link-domain`, `unlink-domain` and the six step commands.

use std::sync::Arc;

use flarelink_core::{link, run_lock, unlink, RunOptions, Selection, StepId};

use super::rotate_cert;
use crate::args::{Cli, Command, LinkArgs, RunArgs};
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

/// `--keep-client-ca FILE`: checked before any remote call — a new file (never overwritten) in an
/// existing directory, and exactly one hostname with the origin lock (one file, one CA).
fn keep_client_ca_usable(
    path: &std::path::Path,
    config: &flarelink_core::config::Config,
) -> Result<(), (String, String)> {
    use flarelink_core::config::OriginLock;
    if path.exists() {
        return Err((
            "already exists; flarelink never overwrites a key file".into(),
            "name a new file, or move the existing one away first".into(),
        ));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if parent.is_some_and(|p| !p.is_dir()) {
        return Err((
            "is in a directory that does not exist".into(),
            "create the directory first, or name a file in an existing one".into(),
        ));
    }
    let locked = config
        .domains
        .iter()
        .filter(|d| d.origin_lock == OriginLock::Mtls)
        .count();
    if locked != 1 {
        return Err((
            format!(
                "needs exactly one hostname with origin_lock = \"mtls\" in the run ({locked} here)"
            ),
            "select one with --hostname".into(),
        ));
    }
    Ok(())
}

fn selection(command: &Command) -> Selection {
    use StepId::*;
    match command {
        Command::Certificate(_) => Selection::only(&[OriginCert, AcmImport]),
        Command::CustomDomain(_) => Selection::only(&[CustomDomain]),
        Command::ApiMapping(_) => Selection::only(&[ApiMapping]),
        Command::DnsRecord(_) => Selection::only(&[DnsRecord]),
        Command::SslMode(_) => Selection::only(&[SslMode]),
        Command::RotateCert(_) => rotate_cert::selection(),
        _ => Selection::all(),
    }
}

pub async fn run(cli: &Cli, command: &Command, args: &RunArgs, human: bool) -> u8 {
    let mut config =
        match load_config(cli, &args.hostnames).and_then(|c| c.require_domains().map(|()| c)) {
            Ok(c) => c,
            Err(e) => return report_config_errors(&e, human),
        };
    if let Command::LinkDomain(LinkArgs {
        keep_client_ca: Some(path),
        ..
    }) = command
    {
        if let Err((problem, fix)) = keep_client_ca_usable(path, &config) {
            return bad_input(
                "--keep-client-ca",
                &path.display().to_string(),
                &problem,
                &fix,
                human,
            );
        }
        config.keep_client_ca = Some(path.clone());
    }
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
        look: false,
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
    let work = |options: RunOptions, progress: Arc<dyn flarelink_core::Progress>| {
        let (config, clouds) = (&config, &clouds);
        async move {
            match command {
                Command::UnlinkDomain(_) => unlink::run(config, clouds, options, progress).await,
                Command::RotateCert(_) => rotate_cert::run(config, clouds, options, progress).await,
                other => {
                    link::run(
                        config,
                        clouds,
                        &selection(other),
                        options,
                        progress,
                        other.name(),
                    )
                    .await
                }
            }
        }
    };
    // A dry-run only reads and takes no lock. So does a run with nothing to do (a read-only
    // look first); a run with changes takes the zone's lock (on the zone the look resolved,
    // which `clouds` keeps) and then reads again under it (see `run_lock` for why the look's
    // plan is not applied as it is).
    let result = if args.dry_run {
        work(options, ui.clone()).await
    } else {
        let look = work(
            RunOptions {
                dry_run: true,
                look: true,
                ..options
            },
            Arc::new(flarelink_core::report::NoProgress),
        )
        .await;
        match look {
            Ok(report) if !report.steps.iter().any(|s| s.action.is_write()) => {
                let unlinking = matches!(command, Command::UnlinkDomain(_));
                Ok(replay_as_run(ui.as_ref(), report, !unlinking))
            }
            // A refusal is decided from reads alone: nothing to lock for.
            Err(
                e @ (flarelink_core::Error::Conflict { .. }
                | flarelink_core::Error::Precondition { .. }
                | flarelink_core::Error::Config(_)),
            ) => Err(e),
            // Changes to make, or a look that failed otherwise (a transient error: the run
            // under the lock reads again).
            _ => {
                run_lock::exclusive(&config, &clouds, ui.as_ref(), work(options, ui.clone())).await
            }
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

/// A read-only look that found nothing to do is the run: its lines are shown as a run's.
fn replay_as_run(
    ui: &Ui,
    mut report: flarelink_core::RunReport,
    zone_first: bool,
) -> flarelink_core::RunReport {
    use flarelink_core::Progress;
    report.dry_run = false;
    let hostnames: Vec<String> = report.domains.iter().map(|d| d.hostname.clone()).collect();
    ui.hostnames(&hostnames);
    // In the order a run settles them: link-domain's zone-wide step first, then each
    // hostname's chain; unlink-domain's zone-wide step last.
    let (zone_wide, per_host): (Vec<_>, Vec<_>) =
        report.steps.iter().partition(|s| s.hostname.is_none());
    let ordered: Vec<_> = if zone_first {
        zone_wide.into_iter().chain(per_host).collect()
    } else {
        per_host.into_iter().chain(zone_wide).collect()
    };
    for step in ordered {
        ui.end(step);
    }
    for h in &hostnames {
        ui.hostname_settled(h);
    }
    report
}
