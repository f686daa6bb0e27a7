//! Building the SDK configuration: region, profile, credentials, endpoint, retry.
//!
//! Region: taken from the settings (config.toml / `--region`), else `AWS_REGION` /
//! `AWS_DEFAULT_REGION`, else the profile's `region` — and set on the loader explicitly, so
//! aws-config's own region chain (which ends in an instance-metadata probe that costs about a
//! second off EC2) never runs. Nothing found is a `Config` error: flarelink never guesses a
//! region from instance metadata.
//!
//! Credentials: aws-config's default chain (environment, profile incl. SSO and
//! credential_process, web identity, ECS, then EC2 instance metadata). The chain stops at the
//! first source that has credentials, so with environment or profile credentials IMDS is never
//! contacted. Only when every other source is empty does it reach IMDS; there we give the IMDS
//! client a short connect timeout (IMDS is a link-local hop that answers in milliseconds on
//! EC2), so off EC2 the failing probe costs a fraction of a second instead of the default 1 s
//! connect + 1 s read. `AWS_EC2_METADATA_DISABLED=true` skips it entirely (the SDK honours it).
//!
//! Endpoint: `endpoint_url` from the settings when given; otherwise the SDK's own
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_ACM`, `AWS_ENDPOINT_URL_API_GATEWAY` (and
//! `endpoint_url` in the profile) apply, as the SDK resolves them.
//!
//! Retry: the SDK's standard mode with `max_attempts` from the settings (0 = the SDK's default
//! of 3, 1 = no retry).

use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::{AwsSettings, Error, ErrorKind};

/// Connect timeout for the instance-metadata credential probe (last link of the chain).
const IMDS_CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
/// Read timeout for IMDS; on EC2 answers take milliseconds (the default is 1 s).
const IMDS_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// A whole IMDS call, retries included.
const IMDS_OPERATION_TIMEOUT: Duration = Duration::from_secs(2);
/// The SDK's standard mode default.
const DEFAULT_MAX_ATTEMPTS: u32 = 3;

pub(crate) const LOAD_OPERATION: &str = "LoadConfig";

pub(crate) struct Loaded {
    pub(crate) sdk: SdkConfig,
    pub(crate) region: String,
}

/// Loads the SDK configuration for `settings`.
pub(crate) async fn load(settings: &AwsSettings) -> Result<Loaded, Error> {
    let profile = non_empty(settings.profile.as_deref());
    let region = resolve_region(settings.region.as_deref(), profile)
        .await
        .ok_or_else(no_region)?;

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region.clone())
        .retry_config(retry_config(settings.max_attempts))
        .timeout_config(timeout_config(settings.request_timeout))
        .credentials_provider(credentials_chain(profile, &region).await);
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = non_empty(settings.endpoint_url.as_deref()) {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    Ok(Loaded {
        sdk,
        region: region.to_string(),
    })
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Settings, then environment, then the profile — never instance metadata.
async fn resolve_region(configured: Option<&str>, profile: Option<&str>) -> Option<Region> {
    if let Some(region) = non_empty(configured) {
        return Some(Region::new(region.to_string()));
    }
    let mut from_profile = ProfileFileRegionProvider::builder();
    if let Some(profile) = profile {
        from_profile = from_profile.profile_name(profile);
    }
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(from_profile.build())
        .region()
        .await
        .filter(|r| !r.as_ref().trim().is_empty())
}

fn no_region() -> Error {
    Error {
        operation: LOAD_OPERATION,
        kind: ErrorKind::Config,
        code: None,
        message: "no AWS region configured: set `region` in config.toml, pass --region, or set \
                  AWS_REGION"
            .to_string(),
    }
}

fn timeout_config(per_attempt: Option<Duration>) -> TimeoutConfig {
    let mut builder = TimeoutConfig::builder();
    if let Some(t) = per_attempt {
        builder = builder.operation_attempt_timeout(t);
    }
    builder.build()
}

pub(crate) fn retry_config(max_attempts: u32) -> RetryConfig {
    let attempts = if max_attempts == 0 {
        DEFAULT_MAX_ATTEMPTS
    } else {
        max_attempts
    };
    RetryConfig::standard().with_max_attempts(attempts)
}

async fn credentials_chain(profile: Option<&str>, region: &Region) -> DefaultCredentialsChain {
    let imds = aws_config::imds::Client::builder()
        .connect_timeout(IMDS_CONNECT_TIMEOUT)
        .read_timeout(IMDS_READ_TIMEOUT)
        .operation_timeout(IMDS_OPERATION_TIMEOUT)
        .build();
    let mut chain = DefaultCredentialsChain::builder()
        .region(region.clone())
        .imds_client(imds);
    if let Some(profile) = profile {
        chain = chain.profile_name(profile);
    }
    chain.build().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_attempts() {
        assert_eq!(retry_config(0).max_attempts(), 3);
        assert_eq!(retry_config(1).max_attempts(), 1);
        assert_eq!(retry_config(5).max_attempts(), 5);
    }

    #[tokio::test]
    async fn configured_region_wins_without_any_lookup() {
        let region = resolve_region(Some(" eu-west-1 "), None).await;
        assert_eq!(region.unwrap().as_ref(), "eu-west-1");
    }

    #[test]
    fn no_region_names_every_fix() {
        let e = no_region();
        assert_eq!(e.kind, ErrorKind::Config);
        for fix in ["region", "config.toml", "--region", "AWS_REGION"] {
            assert!(e.message.contains(fix), "{}", e.message);
        }
    }
}
