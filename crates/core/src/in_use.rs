//! ACM keeps a certificate "in use" for some minutes after a custom domain lets go of it (after
//! a switch to a new certificate, or after the domain is deleted) and answers
//! ResourceInUseException to DeleteCertificate until then. A run that gives up at once would
//! leave a superseded certificate behind and still say "done"; one that waits forever hangs.
//! So the delete is tried again with a bounded backoff (shown in progress), and what is still
//! in use after it is a [`left_over`] line: the run says what is left and how to remove it, and
//! exits non-zero.

use std::time::Duration;

use flarelink_aws::{Acm, ErrorKind};

use crate::report::StepId;
use crate::settle::Settle;

/// Marks a report warning as something the run left behind (the CLI exits 1 when any is
/// present). One prefix rather than a second list so that every step's existing warning plumbing
/// carries it unchanged.
pub const LEFT_OVER: &str = "left over: ";

pub fn left_over(text: impl std::fmt::Display) -> String {
    format!("{LEFT_OVER}{text}")
}

pub fn is_left_over(warning: &str) -> bool {
    warning.starts_with(LEFT_OVER)
}

/// The pause before re-trying a delete ACM refused as in use, after `tries` refusals; `None`
/// when the budget (about 2 minutes) is spent.
pub fn in_use_backoff(tries: u32) -> Option<Duration> {
    const WAITS: [u64; 6] = [5, 10, 15, 30, 30, 30];
    WAITS
        .get(tries.saturating_sub(1) as usize)
        .map(|s| Duration::from_secs(*s))
}

/// How a delete of an ACM certificate ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Gone,
    StillInUse,
}

/// DeleteCertificate, re-tried while ACM says the certificate is in use (bounded).
pub async fn delete_when_released(
    acm: &Acm,
    arn: &str,
    settle: Settle<'_>,
    step: StepId,
    hostname: &str,
) -> Result<Deleted, flarelink_aws::Error> {
    let mut tries = 0;
    loop {
        match acm.delete_certificate(arn).await {
            Ok(_) => return Ok(Deleted::Gone),
            Err(e) if e.kind == ErrorKind::Conflict => {
                tries += 1;
                let Some(wait) = in_use_backoff(tries) else {
                    return Ok(Deleted::StillInUse);
                };
                settle.begin(
                    step,
                    Some(hostname),
                    &format!(
                        "ACM still lists {arn} in use (it releases certificates minutes after a domain lets go); trying again in {} s",
                        wait.as_secs()
                    ),
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_use_certificate_is_retried_for_about_two_minutes_then_given_up() {
        let total: u64 = (1..).map_while(in_use_backoff).map(|d| d.as_secs()).sum();
        assert_eq!(total, 120);
        assert_eq!(in_use_backoff(1), Some(Duration::from_secs(5)));
        assert_eq!(in_use_backoff(7), None);
    }

    #[test]
    fn left_over_lines_are_told_apart_from_advice() {
        assert!(is_left_over(&left_over("certificate X")));
        assert!(!is_left_over("api.example.com: imported without a chain"));
    }
}
