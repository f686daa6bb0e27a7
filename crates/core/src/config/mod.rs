//! Configuration: `config.toml` plus command-line and environment overrides, validated in full
//! before any remote call. Secrets are never read from the file: the Cloudflare token comes from
//! `CLOUDFLARE_API_TOKEN`, AWS credentials from the SDK's standard chain.

mod error;
mod file;
pub mod names;
pub mod provision;

pub use error::{ConfigError, ConfigErrors};
pub use file::ConfigFile;
pub use provision::{ApiConfig, CognitoConfig, PasswordPolicy, Route, RouteAuth};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flarelink_cloudflare::SslMode;

pub const TOKEN_ENV: &str = "CLOUDFLARE_API_TOKEN";
pub const API_BASE_ENV: &str = "CLOUDFLARE_API_BASE";
pub const DEFAULT_VALIDITY_DAYS: u32 = 5475;
pub const ALLOWED_VALIDITY_DAYS: [u32; 7] = [7, 30, 90, 365, 730, 1095, 5475];

/// The zone as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum ZoneRef {
    Name(String),
    Id(String),
}

impl ZoneRef {
    pub fn name(&self) -> Option<&str> {
        match self {
            ZoneRef::Name(n) => Some(n),
            ZoneRef::Id(_) => None,
        }
    }
}

impl std::fmt::Display for ZoneRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZoneRef::Name(n) => f.write_str(n),
            ZoneRef::Id(id) => write!(f, "zone id {id}"),
        }
    }
}

/// Defined beside the key generation it selects (`certs`), so `certs` needs nothing of `config`.
pub use crate::certs::KeyType;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateSpec {
    pub key_type: KeyType,
    pub validity_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Domain {
    /// Lower-case, no trailing dot.
    pub hostname: String,
    /// REST API name or id, resolved against live state.
    pub rest_api: String,
    pub stage: String,
    /// `None` = no base path (API Gateway's "(none)").
    pub base_path: Option<String>,
    pub certificate: CertificateSpec,
}

impl Domain {
    /// The base path as API Gateway reports it.
    pub fn base_path_display(&self) -> &str {
        self.base_path.as_deref().unwrap_or("(none)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub max_quota_waits: u32,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_quota_waits: 10,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A configuration that has passed every local check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    pub zone: ZoneRef,
    pub ssl_mode: SslMode,
    pub cloudflare_api_base: String,
    /// PEM text of each configured Origin CA root, read at load time.
    #[serde(skip)]
    pub origin_ca_roots: Vec<(PathBuf, String)>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub retry: RetryPolicy,
    /// How long the run lock's marker lives unless renewed (`lock.lease_seconds`).
    pub lock_lease: Duration,
    pub domains: Vec<Domain>,
    pub cognito: Option<CognitoConfig>,
    pub api: Option<ApiConfig>,
}

/// What the command line and environment add to the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// `CLOUDFLARE_API_BASE`.
    pub cloudflare_api_base: Option<String>,
    /// Restrict the run to these hostnames (each must be in the file).
    pub hostnames: Vec<String>,
}

impl Config {
    /// Reads and validates `path`. Every problem is reported, not only the first.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                "--config",
                path.display().to_string(),
                format!("cannot be read: {e}"),
                "create it (the repository's config.toml is a commented example) or pass --config PATH",
            )
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base_dir, overrides)
    }

    /// Validates TOML text; relative paths in it are resolved against `base_dir`.
    pub fn from_toml(
        text: &str,
        base_dir: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigErrors> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let value = span
                .and_then(|s| text.get(s))
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            ConfigError::new(
                "config.toml",
                value,
                e.message().trim().to_string(),
                "see the commented config.toml in the repository and the README's configuration reference",
            )
        })?;
        validate(file, base_dir, overrides)
    }
}

fn validate(
    file: ConfigFile,
    base_dir: &Path,
    overrides: &Overrides,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let mut errors_extra = Vec::new();
    let mut push = |field: &str, value: &str, (problem, fix): (String, String)| {
        errors.push(ConfigError::new(field, value, problem, fix));
    };

    // Zone: a 32-hex string is an id, anything else a name.
    let zone_raw = file.cloudflare.zone.trim().to_ascii_lowercase();
    let zone_raw = zone_raw.trim_end_matches('.').to_string();
    let zone = if zone_raw.len() == 32 && zone_raw.chars().all(|c| c.is_ascii_hexdigit()) {
        ZoneRef::Id(zone_raw.clone())
    } else {
        if let Err(e) = names::check_hostname(&zone_raw) {
            push("cloudflare.zone", &file.cloudflare.zone, e);
        }
        ZoneRef::Name(zone_raw.clone())
    };

    let ssl_mode = match file.cloudflare.ssl_mode.as_deref().unwrap_or("full") {
        "full" => SslMode::Full,
        "strict" => SslMode::Strict,
        other @ ("off" | "flexible") => {
            push(
                "cloudflare.ssl_mode",
                other,
                (
                    format!("{other:?} would make Cloudflare reach API Gateway over plain HTTP, which API Gateway does not serve"),
                    "use \"full\" (the guide's setting) or \"strict\"".into(),
                ),
            );
            SslMode::Full
        }
        other => {
            push(
                "cloudflare.ssl_mode",
                other,
                (
                    "is not an SSL/TLS encryption mode flarelink sets".into(),
                    "use \"full\" or \"strict\" (Full (strict) in the dashboard)".into(),
                ),
            );
            SslMode::Full
        }
    };

    let api_base_raw = overrides
        .cloudflare_api_base
        .clone()
        .or(file.cloudflare.api_base.clone())
        .unwrap_or_else(|| flarelink_cloudflare::DEFAULT_API_BASE.to_string());
    let api_base_field = if overrides.cloudflare_api_base.is_some() {
        API_BASE_ENV
    } else {
        "cloudflare.api_base"
    };
    let cloudflare_api_base = match url::Url::parse(&api_base_raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if api_base_raw.ends_with('/') {
                api_base_raw.clone()
            } else {
                format!("{api_base_raw}/")
            }
        }
        _ => {
            push(
                api_base_field,
                &api_base_raw,
                (
                    "is not an http(s) URL".into(),
                    format!("use e.g. {}", flarelink_cloudflare::DEFAULT_API_BASE),
                ),
            );
            api_base_raw.clone()
        }
    };

    let mut origin_ca_roots = Vec::new();
    for (i, root) in file.cloudflare.origin_ca_roots.iter().enumerate() {
        let field = format!("cloudflare.origin_ca_roots[{i}]");
        let path = base_dir.join(root);
        match std::fs::read_to_string(&path) {
            Ok(pem) if crate::certs::parse_certificate_pem(&pem).is_ok() => {
                origin_ca_roots.push((path, pem))
            }
            Ok(_) => push(
                &field,
                root,
                (
                    "is not a PEM certificate".into(),
                    "point it at Cloudflare's origin_ca_rsa_root.pem or origin_ca_ecc_root.pem".into(),
                ),
            ),
            Err(e) => push(
                &field,
                root,
                (
                    format!("cannot be read: {e}"),
                    "download the root from Cloudflare's Origin CA documentation, or remove the entry".into(),
                ),
            ),
        }
    }

    let region = overrides.region.clone().or(file.aws.region.clone());
    if let Some(r) = &region {
        let field = if overrides.region.is_some() {
            "--region"
        } else {
            "aws.region"
        };
        if let Err(e) = names::check_region(r) {
            push(field, r, e);
        }
    }
    let profile = overrides.profile.clone().or(file.aws.profile.clone());
    if let Some(p) = &profile {
        if p.trim().is_empty() || p.chars().any(char::is_whitespace) {
            push(
                "aws.profile",
                p,
                (
                    "is not a profile name".into(),
                    "name a profile from ~/.aws/config, or remove the key to use the default chain"
                        .into(),
                ),
            );
        }
    }

    let defaults = RetryPolicy::default();
    let max_attempts = file.retry.max_attempts.unwrap_or(defaults.max_attempts);
    if !(1..=10).contains(&max_attempts) {
        push(
            "retry.max_attempts",
            &max_attempts.to_string(),
            (
                "must be between 1 and 10".into(),
                "1 disables retries; 5 is the default".into(),
            ),
        );
    }
    let max_quota_waits = file
        .retry
        .max_quota_waits
        .unwrap_or(defaults.max_quota_waits);
    if max_quota_waits > 40 {
        push(
            "retry.max_quota_waits",
            &max_quota_waits.to_string(),
            (
                "must be at most 40 (20 minutes of 30-second waits)".into(),
                "10 is the default".into(),
            ),
        );
    }
    let lease = file.lock.lease_seconds.unwrap_or(120);
    if !(10..=3600).contains(&lease) {
        push(
            "lock.lease_seconds",
            &lease.to_string(),
            (
                "must be between 10 and 3600".into(),
                "120 (the default) lets the next run take over two minutes after a run died".into(),
            ),
        );
    }
    let timeout = file
        .retry
        .request_timeout_seconds
        .unwrap_or(defaults.request_timeout.as_secs());
    if !(1..=300).contains(&timeout) {
        push(
            "retry.request_timeout_seconds",
            &timeout.to_string(),
            (
                "must be between 1 and 300".into(),
                "30 is the default".into(),
            ),
        );
    }

    let cognito = file
        .cognito
        .as_ref()
        .map(|c| provision::validate_cognito(c, &mut errors_extra));
    let api = file
        .api
        .as_ref()
        .map(|a| provision::validate_api(a, cognito.is_some(), &mut errors_extra));

    let mut seen = BTreeSet::new();
    let mut domains = Vec::new();
    for (i, d) in file.domains.iter().enumerate() {
        let field = |name: &str| format!("domain[{i}].{name}");
        let hostname = d.hostname.trim().trim_end_matches('.').to_ascii_lowercase();
        match names::check_hostname(&hostname) {
            Err(e) => push(&field("hostname"), &d.hostname, e),
            Ok(()) => {
                if let ZoneRef::Name(zone_name) = &zone {
                    if &hostname == zone_name {
                        push(
                            &field("hostname"),
                            &d.hostname,
                            (
                                format!("is the zone apex of {zone_name}"),
                                format!(
                                    "use a subdomain such as api.{zone_name}: the certificate and the API Gateway custom domain must name the exact hostname clients call (the guide's \"api.flacial.dev, not flacial.dev\")"
                                ),
                            ),
                        );
                    } else if !hostname.ends_with(&format!(".{zone_name}")) {
                        push(
                            &field("hostname"),
                            &d.hostname,
                            (
                                format!("is not inside the zone {zone_name}"),
                                format!("use a name ending in .{zone_name}, or set cloudflare.zone to the zone that holds it"),
                            ),
                        );
                    }
                }
            }
        }
        if !seen.insert(hostname.clone()) {
            push(
                &field("hostname"),
                &d.hostname,
                (
                    "appears twice".into(),
                    "list each hostname once; several base paths on one hostname are not supported yet".into(),
                ),
            );
        }
        let rest_api = d
            .rest_api
            .clone()
            .or_else(|| file.api.as_ref().map(|a| a.name.clone()))
            .unwrap_or_default()
            .trim()
            .to_string();
        if rest_api.is_empty() {
            push(
                &field("rest_api"),
                d.rest_api.as_deref().unwrap_or(""),
                (
                    "is empty".into(),
                    "name the REST API (its name or its 10-character id), or add an [api] section"
                        .into(),
                ),
            );
        }
        let stage = d
            .stage
            .clone()
            .or_else(|| file.api.as_ref().map(|a| a.stage.clone()))
            .unwrap_or_default();
        if let Err(e) = names::check_stage(&stage) {
            push(&field("stage"), &stage, e);
        }
        let base_path = match names::normalize_base_path(d.base_path.as_deref()) {
            Ok(bp) => bp,
            Err(e) => {
                push(&field("base_path"), d.base_path.as_deref().unwrap_or(""), e);
                None
            }
        };
        let key_type = match d.certificate.key_type.as_deref().unwrap_or("rsa2048") {
            "rsa2048" | "rsa" => KeyType::Rsa2048,
            "ecdsa-p256" | "ecdsa" => KeyType::EcdsaP256,
            other => {
                push(
                    &field("certificate.key_type"),
                    other,
                    (
                        "is not a supported key type".into(),
                        "use \"rsa2048\" (default; the safe choice for API Gateway) or \"ecdsa-p256\"".into(),
                    ),
                );
                KeyType::Rsa2048
            }
        };
        let validity_days = d.certificate.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS);
        if !ALLOWED_VALIDITY_DAYS.contains(&validity_days) {
            push(
                &field("certificate.validity_days"),
                &validity_days.to_string(),
                (
                    "is not a validity Cloudflare's Origin CA issues".into(),
                    "use one of 7, 30, 90, 365, 730, 1095 or 5475 (15 years, the default)".into(),
                ),
            );
        }
        domains.push(Domain {
            hostname,
            rest_api,
            stage,
            base_path,
            certificate: CertificateSpec {
                key_type,
                validity_days,
            },
        });
    }

    for wanted in &overrides.hostnames {
        let w = wanted.trim_end_matches('.').to_ascii_lowercase();
        if !domains.iter().any(|d| d.hostname == w) {
            push(
                "--hostname",
                wanted,
                (
                    "is not a [[domain]] in the configuration".into(),
                    format!(
                        "use one of: {}",
                        domains
                            .iter()
                            .map(|d| d.hostname.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            );
        }
    }
    if !overrides.hostnames.is_empty() {
        let wanted: BTreeSet<String> = overrides
            .hostnames
            .iter()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        domains.retain(|d| wanted.contains(&d.hostname));
    }

    errors.extend(errors_extra);
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        zone,
        ssl_mode,
        cloudflare_api_base,
        origin_ca_roots,
        region,
        profile,
        retry: RetryPolicy {
            max_attempts,
            max_quota_waits,
            request_timeout: Duration::from_secs(timeout),
        },
        lock_lease: Duration::from_secs(lease),
        domains,
        cognito,
        api,
    })
}

impl Config {
    /// `link-domain` and its steps need at least one `[[domain]]`.
    pub fn require_domains(&self) -> Result<(), ConfigErrors> {
        if self.domains.is_empty() {
            return Err(ConfigError::new(
                "domain",
                "",
                "no [[domain]] entries",
                "add a [[domain]] table with hostname, rest_api and stage",
            )
            .into());
        }
        Ok(())
    }

    /// `provision` needs an `[api]` section (and `[cognito]` for Cognito routes, checked at load).
    pub fn require_api(&self) -> Result<&ApiConfig, ConfigErrors> {
        self.api.as_ref().ok_or_else(|| {
            ConfigError::new(
                "api",
                "",
                "no [api] section",
                "add [api] with name and stage (and [cognito]); see the commented config.toml",
            )
            .into()
        })
    }

    /// Commands that sign in need a `[cognito]` section.
    pub fn require_cognito(&self) -> Result<&CognitoConfig, ConfigErrors> {
        self.cognito.as_ref().ok_or_else(|| {
            ConfigError::new(
                "cognito",
                "",
                "no [cognito] section",
                "add [cognito] with user_pool, app_client, domain_prefix and callback_urls",
            )
            .into()
        })
    }
}

/// The Cloudflare token from the environment, checked for the mistakes that would otherwise
/// surface as a confusing 400 from Cloudflare (a pasted newline, a "Bearer " prefix).
pub fn cloudflare_token_from_env() -> Result<String, ConfigError> {
    let fix = "create an API token (My Profile › API Tokens) with Zone › Zone › Read, Zone › DNS › Edit, Zone › SSL and Certificates › Edit and Zone › Zone Settings › Edit for the zone, then export CLOUDFLARE_API_TOKEN=<token>";
    match std::env::var(TOKEN_ENV) {
        Err(_) => Err(ConfigError::new(TOKEN_ENV, "(not set)", "is not set", fix)),
        Ok(t) if t.trim().is_empty() => {
            Err(ConfigError::new(TOKEN_ENV, "(empty)", "is empty", fix))
        }
        Ok(t) => {
            let trimmed = t.trim();
            if trimmed.to_ascii_lowercase().starts_with("bearer ") {
                return Err(ConfigError::new(
                    TOKEN_ENV,
                    "Bearer …",
                    "includes the \"Bearer \" prefix",
                    "set only the token itself; flarelink adds the Authorization header",
                ));
            }
            if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError::new(
                    TOKEN_ENV,
                    "(redacted)",
                    "contains whitespace",
                    "copy the token again without spaces or line breaks",
                ));
            }
            Ok(trimmed.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
