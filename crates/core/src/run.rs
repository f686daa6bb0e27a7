//! What every command that changes something shares: the clouds it talks to, its options, and
//! which of the six link steps it runs. (Its own module so that `link`, `unlink` and `provision`
//! depend on it and not on each other.)

use std::sync::{Arc, Mutex};

use flarelink_aws::{AwsClients, RestApi};
use flarelink_cloudflare::{CloudflareClient, Zone};

use crate::config::{Config, ZoneRef};
use crate::error::Error;
use crate::keys::KeyPool;
use crate::report::StepId;

/// The two clouds, already configured. AWS may be absent when the command needs only
/// Cloudflare (`ssl-mode`).
#[derive(Clone)]
pub struct Clouds {
    pub cloudflare: CloudflareClient,
    pub aws: Option<AwsClients>,
    /// The zone as first resolved, with what it was resolved for: a writing run's read-only look
    /// resolves it, and the lock and the run under it use it without a second lookup (a zone's
    /// id and name do not change between the two).
    zone: Arc<Mutex<Option<(ZoneKey, Zone)>>>,
    /// Private keys a writing run's look started for the run under the lock (`keys`).
    pub(crate) keys: KeyPool,
    /// The REST APIs a look resolved (configured `rest_api` → the API): the run under the lock
    /// checks each one again by id (`api_mapping::discover_api`) instead of listing them all.
    rest_apis: Arc<Mutex<Vec<(String, RestApi)>>>,
}

/// What a zone lookup depends on: the zone as configured and the hostnames checked against it.
type ZoneKey = (ZoneRef, Vec<String>);

impl Clouds {
    pub fn new(cloudflare: CloudflareClient, aws: Option<AwsClients>) -> Self {
        Clouds {
            cloudflare,
            aws,
            zone: Arc::default(),
            keys: KeyPool::default(),
            rest_apis: Arc::default(),
        }
    }

    /// The configured zone (`resolve::zone`), looked up once per configuration.
    pub async fn zone(&self, config: &Config) -> Result<Zone, Error> {
        let key: ZoneKey = (
            config.zone.clone(),
            config.domains.iter().map(|d| d.hostname.clone()).collect(),
        );
        if let Some((k, z)) = self.zone.lock().expect("zone").as_ref() {
            if *k == key {
                return Ok(z.clone());
            }
        }
        let zone = crate::resolve::zone(&self.cloudflare, &key.0, &key.1).await?;
        *self.zone.lock().expect("zone") = Some((key, zone.clone()));
        Ok(zone)
    }

    /// The REST API this process resolved `wanted` to before, if any.
    pub(crate) fn rest_api_seen(&self, wanted: &str) -> Option<RestApi> {
        let seen = self.rest_apis.lock().expect("rest apis");
        seen.iter()
            .find(|(w, _)| w == wanted)
            .map(|(_, a)| a.clone())
    }

    pub(crate) fn remember_rest_api(&self, wanted: &str, api: &RestApi) {
        let mut seen = self.rest_apis.lock().expect("rest apis");
        seen.retain(|(w, _)| w != wanted);
        seen.push((wanted.to_string(), api.clone()));
    }

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
    /// With `dry_run`: this is a writing run's read-only look, so the private keys the run will
    /// need are started now and wait in `Clouds` for the run under the lock (`keys`).
    pub look: bool,
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
