//! What every step's `apply` shares within one run: built once per run (`link::apply`) and
//! passed by reference, so a step's signature names only what is its own (the hostname, its
//! decision, what an earlier step produced).

use flarelink_aws::AwsClients;
use flarelink_cloudflare::{CloudflareClient, Zone};

use crate::config::Config;
use crate::error::Error;
use crate::quota::DomainQuota;
use crate::report::{DomainSummary, StepReport};
use crate::run::Clouds;
use crate::settle::Settle;

/// One run's shared context for the steps that act.
#[derive(Clone, Copy)]
pub struct StepContext<'a> {
    pub config: &'a Config,
    pub clouds: &'a Clouds,
    /// The zone, when a selected step needs it (discovery resolved it).
    zone: Option<&'a Zone>,
    pub settle: Settle<'a>,
    /// API Gateway's domain-name quota, one gate for all the run's hostnames.
    pub quota: &'a DomainQuota,
    /// Attempts per create (`retry.max_attempts`): flarelink's own retry, since the clients do
    /// not resend a create whose answer was lost (`write_once`).
    pub attempts: u32,
    /// `--force`: take over what flarelink did not create.
    pub force: bool,
}

impl<'a> StepContext<'a> {
    pub fn new(
        config: &'a Config,
        clouds: &'a Clouds,
        zone: Option<&'a Zone>,
        settle: Settle<'a>,
        quota: &'a DomainQuota,
        force: bool,
    ) -> Self {
        StepContext {
            config,
            clouds,
            zone,
            settle,
            quota,
            attempts: config.retry.max_attempts,
            force,
        }
    }

    pub fn cloudflare(&self) -> &'a CloudflareClient {
        &self.clouds.cloudflare
    }

    pub fn aws(&self) -> Result<&'a AwsClients, Error> {
        self.clouds.aws()
    }

    /// The zone; only the steps that planning gave a zone call this.
    pub fn zone(&self) -> &'a Zone {
        self.zone
            .expect("discovery resolves the zone for every step that needs it")
    }
}

/// What one hostname's chain leaves: its reports, its summary, its warnings.
pub struct HostOutcome {
    pub steps: Vec<StepReport>,
    pub summary: DomainSummary,
    pub warnings: Vec<String>,
}
