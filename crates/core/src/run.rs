//! What every command that changes something shares: the clouds it talks to, its options, and
//! which of the six link steps it runs. (Its own module so that `link`, `unlink` and `provision`
//! depend on it and not on each other.)

use flarelink_aws::AwsClients;
use flarelink_cloudflare::CloudflareClient;

use crate::error::Error;
use crate::report::StepId;

/// The two clouds, already configured. AWS may be absent when the command needs only
/// Cloudflare (`ssl-mode`).
#[derive(Clone)]
pub struct Clouds {
    pub cloudflare: CloudflareClient,
    pub aws: Option<AwsClients>,
}

impl Clouds {
    /// The AWS clients; an error (not a panic) if a step needs them and they were not built.
    pub fn aws(&self) -> Result<&AwsClients, Error> {
        self.aws.as_ref().ok_or_else(|| {
            Error::Config(
                crate::config::ConfigError::new(
                    "AWS credentials",
                    "(none)",
                    "this command needs AWS, but no AWS credentials or region were found",
                    "configure AWS_PROFILE / --profile and aws.region (or --region)",
                )
                .into(),
            )
        })
    }

    /// Whether `selection` needs AWS at all (only `ssl-mode` does not).
    pub fn needs_aws(selection: &Selection) -> bool {
        StepId::ALL
            .into_iter()
            .any(|s| s != StepId::SslMode && selection.has(s))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub dry_run: bool,
    /// Take over things flarelink did not create (foreign CNAME, mapping, domain certificate).
    pub force: bool,
    /// Stop right after this step is applied (crash-recovery tests; `FLARELINK_FAULT_AFTER_STEP`).
    pub fault_after: Option<StepId>,
}

/// The steps a command runs: `link-domain` all six, a step command its own.
#[derive(Debug, Clone)]
pub struct Selection(Vec<StepId>);

impl Selection {
    pub fn all() -> Self {
        Selection(StepId::ALL.to_vec())
    }
    pub fn only(steps: &[StepId]) -> Self {
        Selection(steps.to_vec())
    }
    pub fn has(&self, step: StepId) -> bool {
        self.0.contains(&step)
    }
    pub fn any(&self, steps: &[StepId]) -> bool {
        steps.iter().any(|s| self.has(*s))
    }
}
