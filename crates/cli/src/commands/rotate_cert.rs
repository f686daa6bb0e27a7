//! `rotate-cert`: rotation in place of the served origin certificate, now. It runs through
//! `link`'s flow (configuration, a read-only look, the run lock, the report), with the
//! certificate steps and the custom domain's (which a key-type change switches) selected.

use std::sync::Arc;

use flarelink_core::config::Config;
use flarelink_core::{link, rotate, Clouds, Progress, RunOptions, RunReport, Selection};

/// The steps `rotate-cert` may write: the certificate's, and the custom domain's for the one
/// case that needs a switch (a key-type change).
pub(crate) fn selection() -> Selection {
    use flarelink_core::StepId::*;
    Selection::only(&[OriginCert, AcmImport, CustomDomain])
}

pub(crate) async fn run(
    config: &Config,
    clouds: &Clouds,
    options: RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, flarelink_core::Error> {
    link::run_with(
        config,
        clouds,
        &selection(),
        options,
        progress,
        "rotate-cert",
        rotate::When::Now,
    )
    .await
}
