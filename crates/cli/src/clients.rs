//! Building the cloud clients from the configuration, the environment and the flags. Missing
//! secrets are bad input (exit 2) — except in a dry-run, which then prints the static plan and
//! says what it could not check.

use std::sync::Arc;

use flarelink_aws::{AwsClients, AwsSettings, ErrorKind};
use flarelink_cloudflare::{ClientConfig, CloudflareClient};
use flarelink_core::config::{cloudflare_token_from_env, Config, ConfigError, ConfigErrors};
use flarelink_core::Clouds;

use crate::progress::Ui;

pub enum Built<T> {
    Ready(Box<T>),
    /// Dry-run only: what could not be checked, and why.
    Unchecked(Vec<String>),
}

/// What a client builder found: the client, or why not (a problem, or — in a dry-run — a note).
struct Found<T> {
    client: Option<T>,
    problems: Vec<ConfigError>,
    unchecked: Vec<String>,
}

fn cloudflare(config: &Config, dry_run: bool) -> Found<CloudflareClient> {
    let mut found = Found {
        client: None,
        problems: Vec::new(),
        unchecked: Vec::new(),
    };
    match cloudflare_token_from_env() {
        Ok(token) => {
            let cf_config = ClientConfig {
                api_base: config.cloudflare_api_base.clone(),
                token,
                max_attempts: config.retry.max_attempts,
                request_timeout: config.retry.request_timeout,
            };
            match CloudflareClient::new(cf_config) {
                Ok(c) => found.client = Some(c),
                Err(e) => found.problems.push(ConfigError::new(
                    "cloudflare.api_base",
                    config.cloudflare_api_base.clone(),
                    e.to_string(),
                    "fix the URL (or CLOUDFLARE_API_BASE)",
                )),
            }
        }
        Err(e) if dry_run => found
            .unchecked
            .push(format!("Cloudflare: {} {} ({})", e.field, e.problem, e.fix)),
        Err(e) => found.problems.push(e),
    }
    found
}

async fn aws(config: &Config, dry_run: bool, ui: Arc<Ui>) -> Found<AwsClients> {
    let mut found = Found {
        client: None,
        problems: Vec::new(),
        unchecked: Vec::new(),
    };
    let settings = AwsSettings {
        region: config.region.clone(),
        profile: config.profile.clone(),
        endpoint_url: None, // AWS_ENDPOINT_URL and friends are read by the SDK itself
        max_attempts: config.retry.max_attempts,
        max_quota_waits: config.retry.max_quota_waits,
        request_timeout: Some(config.retry.request_timeout),
    };
    match AwsClients::load(&settings).await {
        Ok(mut clients) => match clients.check_credentials().await {
            Ok(()) => {
                clients.set_wait_observer(Arc::new(move |n| ui.quota_wait(&n)));
                found.client = Some(clients);
            }
            Err(e) if dry_run => found.unchecked.push(format!("AWS: {}", e.message)),
            Err(e) => found.problems.push(ConfigError::new(
                "AWS credentials",
                config.profile.clone().unwrap_or_else(|| "(default chain)".into()),
                e.message.clone(),
                e.hint().unwrap_or_else(|| {
                    "configure credentials: AWS_PROFILE / --profile, `aws configure`, or `aws sso login`".into()
                }),
            )),
        },
        Err(e) if e.kind == ErrorKind::Config && dry_run => {
            found.unchecked.push(format!("AWS: {}", e.message))
        }
        Err(e) => found.problems.push(ConfigError::new(
            "aws",
            config.region.clone().unwrap_or_else(|| "(no region)".into()),
            e.message.clone(),
            e.hint().unwrap_or_else(|| {
                "set aws.region in config.toml, pass --region, or export AWS_REGION".into()
            }),
        )),
    }
    found
}

/// Both clouds, for `link-domain` and its steps. With `needs_aws` false (`ssl-mode`), AWS is not
/// touched at all (no credential chain, no region needed).
pub async fn clouds(
    config: &Config,
    dry_run: bool,
    needs_aws: bool,
    ui: Arc<Ui>,
) -> Result<Built<Clouds>, ConfigErrors> {
    let cf = cloudflare(config, dry_run);
    let aws = if needs_aws {
        aws(config, dry_run, ui).await
    } else {
        Found {
            client: None,
            problems: Vec::new(),
            unchecked: Vec::new(),
        }
    };
    let problems: Vec<ConfigError> = cf.problems.into_iter().chain(aws.problems).collect();
    if !problems.is_empty() {
        return Err(ConfigErrors(problems));
    }
    let unchecked: Vec<String> = cf.unchecked.into_iter().chain(aws.unchecked).collect();
    match (cf.client, aws.client) {
        (Some(cloudflare), aws) if unchecked.is_empty() && (aws.is_some() || !needs_aws) => {
            Ok(Built::Ready(Box::new(Clouds { cloudflare, aws })))
        }
        _ => Ok(Built::Unchecked(unchecked)),
    }
}

/// AWS only, for `provision`, `users`, `token` and `login-url`.
pub async fn aws_only(
    config: &Config,
    dry_run: bool,
    ui: Arc<Ui>,
) -> Result<Built<AwsClients>, ConfigErrors> {
    let found = aws(config, dry_run, ui).await;
    if !found.problems.is_empty() {
        return Err(ConfigErrors(found.problems));
    }
    match found.client {
        Some(c) => Ok(Built::Ready(Box::new(c))),
        None => Ok(Built::Unchecked(found.unchecked)),
    }
}
