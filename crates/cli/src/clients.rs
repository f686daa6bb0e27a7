//! Building the two cloud clients from the configuration, the environment and the flags. Missing
//! secrets are bad input (exit 2) — except in a dry-run, which then prints the static plan and
//! says what it could not check.

use std::sync::Arc;

use flarelink_aws::{AwsClients, AwsSettings, ErrorKind};
use flarelink_cloudflare::{ClientConfig, CloudflareClient};
use flarelink_core::config::{cloudflare_token_from_env, Config, ConfigError, ConfigErrors};
use flarelink_core::Clouds;

use crate::progress::Ui;

pub enum Built {
    Ready(Box<Clouds>),
    /// Dry-run only: what could not be checked, and why.
    Unchecked(Vec<String>),
}

pub async fn build(config: &Config, dry_run: bool, ui: Arc<Ui>) -> Result<Built, ConfigErrors> {
    let mut problems = Vec::new();
    let mut unchecked = Vec::new();

    let cloudflare = match cloudflare_token_from_env() {
        Ok(token) => {
            let cf_config = ClientConfig {
                api_base: config.cloudflare_api_base.clone(),
                token,
                max_attempts: config.retry.max_attempts,
                request_timeout: config.retry.request_timeout,
            };
            match CloudflareClient::new(cf_config) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(ConfigError::new(
                        "cloudflare.api_base",
                        config.cloudflare_api_base.clone(),
                        e.to_string(),
                        "fix the URL (or CLOUDFLARE_API_BASE)",
                    ));
                    None
                }
            }
        }
        Err(e) if dry_run => {
            unchecked.push(format!("Cloudflare: {} {} ({})", e.field, e.problem, e.fix));
            None
        }
        Err(e) => {
            problems.push(e);
            None
        }
    };

    let settings = AwsSettings {
        region: config.region.clone(),
        profile: config.profile.clone(),
        endpoint_url: None, // AWS_ENDPOINT_URL and friends are read by the SDK itself
        max_attempts: config.retry.max_attempts,
        max_quota_waits: config.retry.max_quota_waits,
    };
    let aws = match AwsClients::load(&settings).await {
        Ok(mut clients) => match clients.check_credentials().await {
            Ok(()) => {
                let ui = ui.clone();
                clients.set_wait_observer(Arc::new(move |n| ui.quota_wait(&n)));
                Some(clients)
            }
            Err(e) if dry_run => {
                unchecked.push(format!("AWS: {}", e.message));
                None
            }
            Err(e) => {
                problems.push(ConfigError::new(
                    "AWS credentials",
                    config.profile.clone().unwrap_or_else(|| "(default chain)".into()),
                    e.message.clone(),
                    e.hint().unwrap_or_else(|| {
                        "configure credentials: AWS_PROFILE / --profile, `aws configure`, or `aws sso login`".into()
                    }),
                ));
                None
            }
        },
        Err(e) if e.kind == ErrorKind::Config && dry_run => {
            unchecked.push(format!("AWS: {}", e.message));
            None
        }
        Err(e) => {
            problems.push(ConfigError::new(
                "aws",
                config
                    .region
                    .clone()
                    .unwrap_or_else(|| "(no region)".into()),
                e.message.clone(),
                e.hint().unwrap_or_else(|| {
                    "set aws.region in config.toml, pass --region, or export AWS_REGION".into()
                }),
            ));
            None
        }
    };

    if !problems.is_empty() {
        return Err(ConfigErrors(problems));
    }
    match (cloudflare, aws) {
        (Some(cloudflare), Some(aws)) if unchecked.is_empty() => {
            Ok(Built::Ready(Box::new(Clouds { cloudflare, aws })))
        }
        _ => Ok(Built::Unchecked(unchecked)),
    }
}
