//! Progress on stderr: an indicatif spinner on a terminal, plain lines otherwise (CI logs,
//! pipes). Step results go to stdout in human mode; JSON mode prints nothing here.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use flarelink_core::plan::{Progress, StepId, StepReport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::step_line;

pub struct Ui {
    bar: Option<ProgressBar>,
    /// Human mode prints a line per settled step; JSON mode stays silent.
    human: bool,
    lock: Mutex<()>,
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
            lock: Mutex::new(()),
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
                let _guard = self.lock.lock();
                eprintln!("{line}");
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Told by the AWS client when a call waits out an API Gateway quota.
    pub fn quota_wait(&self, notice: &flarelink_aws::WaitNotice) {
        self.notice(format!(
            "waiting {}s before retrying {} (attempt {}): {}",
            notice.wait.as_secs().max(1),
            notice.operation,
            notice.attempt,
            notice.reason
        ));
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
        let _guard = self.lock.lock();
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }
}
