//! The one place a step is settled: the progress sink hears of it, it joins the run's report,
//! and — in crash-recovery tests — the run stops right after it (`FLARELINK_FAULT_AFTER_STEP`).

use crate::error::Error;
use crate::report::{Progress, StepId, StepReport};

/// Settles steps for one run.
#[derive(Clone, Copy)]
pub struct Settle<'a> {
    pub progress: &'a dyn Progress,
    pub fault_after: Option<StepId>,
}

impl<'a> Settle<'a> {
    pub fn new(progress: &'a dyn Progress, fault_after: Option<StepId>) -> Self {
        Settle {
            progress,
            fault_after,
        }
    }

    /// Tells the progress sink that `step` (for `hostname`, if any) starts `message`.
    pub fn begin(&self, step: StepId, hostname: Option<&str>, message: &str) {
        self.progress.begin(step, hostname, message);
    }

    /// Reports a settled step into `out`. When the step changed something and the run is told
    /// to stop after it, stops here (the step's own later reports, if any, are not written).
    pub fn step(&self, report: StepReport, out: &mut Vec<StepReport>) -> Result<(), Error> {
        let (step, changed) = (report.step, report.applied);
        self.progress.end(&report);
        out.push(report);
        self.crash_point(step, changed)
    }

    /// Reports a step without a crash point (one of several reports of one step).
    pub fn report(&self, report: StepReport, out: &mut Vec<StepReport>) {
        self.progress.end(&report);
        out.push(report);
    }

    /// Stops the run after `step` if told to and the step `changed` something (or the caller
    /// passes `true` to stop there in any case).
    pub fn crash_point(&self, step: StepId, changed: bool) -> Result<(), Error> {
        if changed && self.fault_after == Some(step) {
            return Err(Error::InjectedFault(step));
        }
        Ok(())
    }
}
