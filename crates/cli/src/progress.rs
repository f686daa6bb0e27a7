//! Progress on stderr: an indicatif spinner on a terminal, plain lines otherwise (CI logs,
//! pipes). Step results go to stdout in human mode; JSON mode prints nothing here.
//!
//! When several hostnames settle side by side, each hostname's lines are held until its last
//! step has settled and then printed together, so a hostname reads as one block; zone-wide and
//! provisioning lines print as they settle.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use flarelink_core::report::{Progress, StepId, StepReport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::step_line;

pub struct Ui {
    bar: Option<ProgressBar>,
    /// Human mode prints a line per settled step; JSON mode stays silent.
    human: bool,
    lines: Mutex<Lines>,
}

/// Settled lines not yet printed.
#[derive(Default)]
struct Lines {
    /// Hold each hostname's lines until it settles (several hostnames run at once).
    grouped: bool,
    held: BTreeMap<String, Vec<String>>,
}

impl Ui {
    pub fn new(human: bool) -> Self {
        let bar = (human && std::io::stdout().is_terminal() && std::io::stderr().is_terminal())
            .then(|| {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}").expect("static template"),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
        Ui {
            bar,
            human,
            lines: Mutex::new(Lines::default()),
        }
    }

    /// Transient status: the spinner's message on a terminal; dropped in plain mode, where
    /// each settled step prints its own line.
    fn status(&self, line: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(line);
        }
    }

    /// A status that must be seen even in plain mode (a long wait should not look like a hang).
    fn notice(&self, line: String) {
        if !self.human {
            return;
        }
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None => {
                let _guard = self.lines.lock();
                eprintln!("{line}");
            }
        }
    }

    /// Prints settled lines (stdout, above the spinner on a terminal). The caller holds the lock.
    fn print(&self, lines: &[String]) {
        for line in lines {
            match &self.bar {
                Some(bar) => bar.println(line),
                None => println!("{line}"),
            }
        }
    }

    /// Prints what is still held (a run that stopped on an error) and clears the spinner.
    pub fn finish(&self) {
        if let Ok(mut lines) = self.lines.lock() {
            for (_, held) in std::mem::take(&mut lines.held) {
                self.print(&held);
            }
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Told by the AWS client when a call waits out an API Gateway quota.
    pub fn quota_wait(&self, notice: &flarelink_aws::WaitNotice) {
        let secs = notice.wait.as_secs().max(1);
        // Attempt 0: a first send paced at the quota's learned window, not a retry.
        self.notice(if notice.attempt == 0 {
            format!(
                "waiting {secs}s before sending {}: {}",
                notice.operation, notice.reason
            )
        } else {
            format!(
                "waiting {secs}s before retrying {} (attempt {}): {}",
                notice.operation, notice.attempt, notice.reason
            )
        });
    }
}

fn prefix(step: StepId, hostname: Option<&str>) -> String {
    format!(
        "[{}/{}] {:<16} {}",
        step.number(),
        step.total(),
        step.name(),
        hostname.unwrap_or(if step == StepId::SslMode {
            "(zone)"
        } else {
            ""
        })
    )
}

impl Progress for Ui {
    fn begin(&self, step: StepId, hostname: Option<&str>, message: &str) {
        self.status(format!("{}  {message} …", prefix(step, hostname)));
    }

    fn end(&self, report: &StepReport) {
        if !self.human {
            return;
        }
        let line = step_line(report);
        let Ok(mut lines) = self.lines.lock() else {
            return;
        };
        match (&report.hostname, lines.grouped) {
            (Some(h), true) => lines.held.entry(h.clone()).or_default().push(line),
            _ => self.print(&[line]),
        }
    }

    fn hostnames(&self, hostnames: &[String]) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.grouped = hostnames.len() > 1;
        }
    }

    fn hostname_settled(&self, hostname: &str) {
        if let Ok(mut lines) = self.lines.lock() {
            if let Some(held) = lines.held.remove(hostname) {
                self.print(&held);
            }
        }
    }

    fn waiting(&self, message: &str) {
        self.notice(message.to_string());
    }
}
