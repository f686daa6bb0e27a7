//! Building the cloud clients from the configuration, the environment and the flags. Missing
//! secrets are bad input (exit 2) — except in a dry-run, which then prints the static plan and
//! says what it could not check.

use std::sync::Arc;

use flarelink_aws::{AwsClients, AwsSettings, ErrorKind};
use flarelink_cloudflare::{ClientConfig, CloudflareClient};
use flarelink_core::config::{cloudflare_token_from_env, Config, ConfigError, ConfigErrors};
use flarelink_core::Clouds;

use crate::progress::Ui;

/// What the shared AWS files (`~/.aws/config`, `~/.aws/credentials`, or `AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE`) say about the configured profile — read locally, no call.
pub struct AwsFileCheck {
    pub problems: Vec<ConfigError>,
    /// The selected profile's `region`, when flags, file and environment give none.
    pub profile_region: Option<String>,
    /// Where that region came from, e.g. `profile "dev" (~/.aws/config)`.
    pub region_from: Option<String>,
}

fn shared_config_path() -> String {
    std::env::var("AWS_CONFIG_FILE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "~/.aws/config".into())
}

/// A named profile must exist (the SDK would otherwise fail late, or a dry-run would only say
/// "could not check" without naming it), and its `region`, when it is the one used, is checked
/// like every other region.
pub async fn check_aws_files(config: &Config) -> AwsFileCheck {
    let mut check = AwsFileCheck {
        problems: Vec::new(),
        profile_region: None,
        region_from: None,
    };
    let selected = config.profile.clone();
    let set = match aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &Default::default(),
        None,
    )
    .await
    {
        Ok(set) => Some(set),
        // The parser's message can quote the file's lines, which may hold keys: not shown.
        Err(_) if selected.is_some() || config.region.is_none() => {
            check.problems.push(ConfigError::new(
                "AWS shared config",
                shared_config_path(),
                "cannot be read or parsed (details not shown: the files may hold keys)",
                "fix the file (`aws configure list-profiles` reports the problem), or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere",
            ));
            None
        }
        Err(_) => None,
    };
    let Some(set) = set else { return check };
    if let Some(name) = &selected {
        if set.get_profile(name).is_none() {
            let field = config.sources.profile.unwrap_or("profile");
            let mut known: Vec<&str> = set.profiles().collect();
            known.sort_unstable();
            let fix = if known.is_empty() {
                format!("no profile is defined in {} or the credentials file: create it with `aws configure --profile {name}` (or `aws configure sso`), or remove the setting to use the default chain", shared_config_path())
            } else {
                format!("use one of the profiles defined there ({}), or create it with `aws configure --profile {name}`", known.join(", "))
            };
            check.problems.push(ConfigError::new(
                field,
                name.clone(),
                format!(
                    "names a profile that is not in {} or the credentials file",
                    shared_config_path()
                ),
                fix,
            ));
            return check;
        }
    }
    if config.region.is_none() {
        let name = selected.as_deref().unwrap_or("default");
        if let Some(region) = set.get_profile(name).and_then(|p| p.get("region")) {
            let from = format!("region of profile \"{name}\" ({})", shared_config_path());
            if let Err((problem, fix)) = flarelink_core::config::names::check_region(region) {
                check
                    .problems
                    .push(ConfigError::new(from.clone(), region, problem, fix));
            } else {
                check.profile_region = Some(region.to_string());
            }
            check.region_from = Some(from);
        }
    }
    check
}

/// No region from any source, for commands that need one.
pub fn no_region_problem() -> ConfigError {
    ConfigError::new(
        "aws.region",
        "(not set)",
        "no AWS region: not in config.toml, --region, AWS_REGION, AWS_DEFAULT_REGION or the profile",
        "set region = \"us-east-1\" under [aws] in config.toml, pass --region, or export AWS_REGION",
    )
}

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
    let files = check_aws_files(config).await;
    if !files.problems.is_empty() {
        found.problems = files.problems;
        return found;
    }
    let settings = AwsSettings {
        region: config.region.clone().or(files.profile_region),
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
            Ok(Built::Ready(Box::new(Clouds::new(cloudflare, aws))))
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
