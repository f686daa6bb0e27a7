//! Configuration: `config.toml` plus command-line and environment overrides, validated in full
//! before any remote call. Secrets are never read from the file: the Cloudflare token comes from
//! `CLOUDFLARE_API_TOKEN`, AWS credentials from the SDK's standard chain.
//!
//! One place checks everything: [`Config::load`] reads the file (every unknown key, wrong type
//! and misplaced secret, each with its key path, line and column), checks every value from the
//! file, the flags ([`Overrides`]) and the environment ([`Environment`]), and returns all
//! problems together.

mod environment;
mod error;
mod file;
pub mod names;
pub mod provision;
mod read;
pub mod secrets;
mod sniff;

pub use environment::{check_endpoint_url, Environment, API_BASE_ENV, TOKEN_ENV, VARIABLES};
pub use error::{ConfigError, ConfigErrors, Location};
pub use file::{section_header, ConfigFile, SCHEMA};
pub use provision::{ApiConfig, CognitoConfig, PasswordPolicy, Route, RouteAuth};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flarelink_cloudflare::SslMode;

pub const DEFAULT_VALIDITY_DAYS: u32 = 5475;
pub const ALLOWED_VALIDITY_DAYS: [u32; 7] = [7, 30, 90, 365, 730, 1095, 5475];

/// Where the SSL/TLS mode is set (`cloudflare.ssl_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SslScope {
    /// A Configuration Rule for the linked hostnames only (the default): other proxied
    /// hostnames of the zone keep the zone's mode.
    Hostname,
    /// The zone's own setting, as the guide does: every proxied hostname of the zone.
    Zone,
}

impl SslScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SslScope::Hostname => "hostname",
            SslScope::Zone => "zone",
        }
    }
}

impl std::fmt::Display for SslScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub source: CertificateSource,
    /// With [`CertificateSource::Acm`]: the longest a run waits for ACM to issue.
    pub validation_timeout_seconds: u32,
    /// `renew_before_days`: rotate once the served certificate has this many days left or
    /// fewer. `None`: the default window, which scales with the certificate's own lifetime
    /// (see [`CertificateSpec::renewal_window`]).
    pub renew_before_days: Option<u32>,
}

/// The default renewal window: 30 days…
pub const DEFAULT_RENEW_BEFORE_DAYS: i64 = 30;
/// …or a third of the certificate's lifetime when that is shorter (7- and 30-day certificates),
/// so a fresh certificate is never inside its own window and a second run converges.
pub const DEFAULT_RENEW_BEFORE_LIFETIME_DIVISOR: i32 = 3;

impl CertificateSpec {
    /// The renewal window of a certificate valid from `not_before` to `not_after`: inside it
    /// (this much time left, or less) the certificate is rotated.
    pub fn renewal_window(
        &self,
        not_before: Option<chrono::DateTime<chrono::Utc>>,
        not_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> chrono::Duration {
        if let Some(days) = self.renew_before_days {
            return chrono::Duration::days(days.into());
        }
        let window = chrono::Duration::days(DEFAULT_RENEW_BEFORE_DAYS);
        match (not_before, not_after) {
            (Some(from), Some(to)) => {
                window.min((to - from) / DEFAULT_RENEW_BEFORE_LIFETIME_DIVISOR)
            }
            _ => window,
        }
    }
}

/// Where a hostname's certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateSource {
    /// A Cloudflare Origin CA certificate imported into ACM (the guide's path).
    OriginCa,
    /// A public certificate ACM issues, validated through DNS records in Cloudflare.
    Acm,
}

/// `[domain.certificate] validation_timeout_seconds`: the default, and the range allowed (up to
/// 72 hours, after which ACM itself gives up with VALIDATION_TIMED_OUT).
pub const DEFAULT_VALIDATION_TIMEOUT_SECONDS: u32 = 900;
pub const VALIDATION_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 1..=259_200;

/// `[[domain]] origin_lock`: whether API Gateway answers only Cloudflare (`steps::origin_pull_cert`
/// and the three steps after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginLock {
    /// No lock; a lock flarelink set earlier is taken off.
    #[default]
    Off,
    /// Per-hostname authenticated origin pulls + mutual TLS on the custom domain + the default
    /// `execute-api` endpoint off.
    Mtls,
}

impl OriginLock {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginLock::Off => "off",
            OriginLock::Mtls => "mtls",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Domain {
    /// Exactly as written (which is checked to be lower-case, without a trailing dot).
    pub hostname: String,
    /// REST API name or id, resolved against live state.
    pub rest_api: String,
    pub stage: String,
    /// `None` = no base path (API Gateway's "(none)").
    pub base_path: Option<String>,
    pub certificate: CertificateSpec,
    pub origin_lock: OriginLock,
}

impl Domain {
    /// The base path as API Gateway reports it.
    pub fn base_path_display(&self) -> &str {
        self.base_path.as_deref().unwrap_or("(none)")
    }

    /// Whether the configuration turns the origin lock on for this hostname
    /// (`origin_lock = "mtls"`), which `verify` then requires.
    pub fn origin_lock_required(&self) -> bool {
        self.origin_lock == OriginLock::Mtls
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

/// Where each value that several sources can give came from (`--region`, `aws.region`,
/// `AWS_REGION`, …), for `config check` and for errors that come later.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Sources {
    pub region: Option<&'static str>,
    pub profile: Option<&'static str>,
    pub cloudflare_api_base: &'static str,
}

/// A configuration that has passed every local check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    pub zone: ZoneRef,
    pub ssl_mode: SslMode,
    pub ssl_scope: SslScope,
    pub cloudflare_api_base: String,
    /// PEM text of each configured Origin CA root, read at load time.
    #[serde(skip)]
    pub origin_ca_roots: Vec<(PathBuf, String)>,
    /// `--region`, else `aws.region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`; `None`
    /// leaves it to the profile's `region` (checked by the CLI, which reads the AWS files).
    pub region: Option<String>,
    /// `--profile`, else `aws.profile`, else `AWS_PROFILE`.
    pub profile: Option<String>,
    pub sources: Sources,
    pub retry: RetryPolicy,
    /// How long the run lock's marker lives unless renewed (`lock.lease_seconds`).
    pub lock_lease: Duration,
    pub domains: Vec<Domain>,
    pub cognito: Option<CognitoConfig>,
    pub api: Option<ApiConfig>,
    /// `[aws] truststore_bucket`: the user's own versioned bucket for the origin lock's
    /// truststore; `None`: flarelink's (see `steps::truststore`).
    pub truststore_bucket: Option<String>,
    /// `link-domain --keep-client-ca FILE` (set by the CLI, checked there): where to write the
    /// private key of a client CA made in the run. `None`: it never leaves memory.
    #[serde(skip)]
    pub keep_client_ca: Option<PathBuf>,
}

/// What the command line and the environment add to the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// Restrict the run to these hostnames (each must be in the file).
    pub hostnames: Vec<String>,
    /// The environment variables flarelink and the AWS SDK read.
    pub environment: Environment,
}

impl Config {
    /// Reads and validates `path`. Every problem is reported, not only the first.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigErrors> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            let problem = match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_string(),
                _ if path.is_dir() => "is a directory, not a file".to_string(),
                _ => format!("cannot be read: {e}"),
            };
            let fix = if path.is_dir() {
                "pass the file itself: --config PATH/config.toml"
            } else {
                "create it (the repository's config.toml is a commented example) or pass --config PATH"
            };
            ConfigError::new("--config", &name, problem, fix)
        })?;
        let text = decode(&name, &bytes)?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &name, base_dir, overrides)
    }

    /// Validates TOML text; relative paths in it are resolved against `base_dir`.
    pub fn from_toml(
        text: &str,
        base_dir: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigErrors> {
        Self::parse(text, "config.toml", base_dir, overrides)
    }

    fn parse(
        text: &str,
        name: &str,
        base_dir: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (root, syntax) = toml::de::DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            if let Some(kind) = sniff::looks_like(text) {
                return Err(not_toml(name, kind).into());
            }
            let mut problems: Vec<ConfigError> = syntax
                .iter()
                .take(20)
                .map(|e| syntax_error(text, name, e))
                .collect();
            problems.dedup_by(|a, b| a.line() == b.line());
            // The values are not checked: what the parser recovered may not be what was meant.
            return Err(ConfigErrors(problems));
        }
        let mut reader = read::Reader::new(name, text);
        let file = read::read(&mut reader, &root);
        let mut problems = std::mem::take(&mut reader.problems);
        let mut checked = Vec::new();
        let config = validate(file, base_dir, overrides, &mut checked);
        for e in checked {
            problems.push(locate(e, name, &reader.places));
        }
        problems.extend(overrides.environment.check());
        problems.sort_by_key(|e| (e.file().is_none(), e.line(), e.column()));
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(ConfigErrors(problems)),
        }
    }
}

/// The file as text: binary files and UTF-16 are "not TOML", never echoed.
fn decode(name: &str, bytes: &[u8]) -> Result<String, ConfigErrors> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ConfigError::new(
            name,
            "",
            "is not TOML as flarelink reads it (it is UTF-16 text)",
            "save it as UTF-8",
        )
        .at(name, None)
        .into());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(text.to_string()),
        _ => Err(not_toml(name, "a binary file").into()),
    }
}

fn not_toml(name: &str, kind: &str) -> ConfigError {
    ConfigError::new(
        name,
        "",
        format!("is not TOML (it looks like {kind})"),
        "flarelink reads a TOML file: [cloudflare] section headers and key = \"value\" lines; the repository's config.toml is a commented example (pass another file with --config PATH)",
    )
    .at(name, None)
}

/// A TOML syntax error with its line, column and (as far as the lines above tell) key path.
/// The line itself is never shown: it may hold a secret.
fn syntax_error(text: &str, name: &str, e: &toml::de::Error) -> ConfigError {
    let offset = e.span().map_or(0, |s| s.start);
    let (line, column) = read::position(text, offset);
    let key_path = sniff::key_path_at(text, offset);
    let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
    let key = key_path
        .as_deref()
        .and_then(|p| p.rsplit('.').next())
        .unwrap_or("");
    let fix = if let Some(kind) = secrets::key_kind(key) {
        kind.advice().to_string()
    } else if !line_text.contains('=') && line_text.contains(':') && !line_text.starts_with('[') {
        format!("TOML separates key and value with '=', not ':': write {key} = \"…\"")
            .replace("write  =", "write key =")
    } else if let Some((_, v)) = line_text.split_once('=') {
        let v = v.trim();
        let quoted = v.starts_with(['"', '\'', '[', '{']);
        let literal = v.parse::<f64>().is_ok() || matches!(v, "true" | "false");
        if !quoted && !literal && !v.is_empty() {
            format!("put the value in double quotes: {} = \"…\"", key_or(key))
        } else {
            "fix the TOML syntax on that line: strings in double quotes, one key = value per line, tables as [name] or [[name]]".into()
        }
    } else {
        "fix the TOML syntax on that line: strings in double quotes, one key = value per line, tables as [name] or [[name]]".into()
    };
    ConfigError::new(
        key_path.unwrap_or_else(|| name.to_string()),
        "",
        format!("TOML syntax error: {}", e.message().trim()),
        fix,
    )
    .at(name, Some((line, column)))
}

fn key_or(key: &str) -> &str {
    if key.is_empty() {
        "key"
    } else {
        key
    }
}

/// Gives a problem about a key of the file its place: the key's own line and column, else its
/// table's, else just the file. Flags and environment variables have no place in the file.
fn locate(e: ConfigError, name: &str, places: &read::Places) -> ConfigError {
    if e.location.is_some()
        || e.field.starts_with('-')
        || e.field.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    {
        return e;
    }
    let mut path = e.field.as_str();
    loop {
        if let Some(at) = places.get(path) {
            return e.at(name, Some(*at));
        }
        match path.rfind(['.', '[']) {
            Some(i) => path = &path[..i],
            None => return e.at(name, None),
        }
    }
}

fn add(errors: &mut Vec<ConfigError>, field: &str, value: &str, (problem, fix): (String, String)) {
    errors.push(ConfigError::new(field, value, problem, fix));
}

fn validate(
    file: ConfigFile,
    base_dir: &Path,
    overrides: &Overrides,
    errors: &mut Vec<ConfigError>,
) -> Option<Config> {
    let env = &overrides.environment;
    let mut errors_extra = Vec::new();

    // Zone: its 32-hex id, or its name — with advice about zones, not hostnames.
    let zone = match file.cloudflare.zone.as_deref() {
        None => None,
        Some(raw) => match names::check_zone(raw) {
            Ok(names::ZoneForm::Id) => Some(ZoneRef::Id(raw.to_string())),
            Ok(names::ZoneForm::Name) => Some(ZoneRef::Name(raw.to_string())),
            Err(e) => {
                add(errors, "cloudflare.zone", raw, e);
                None
            }
        },
    };

    let ssl_mode = match file.cloudflare.ssl_mode.as_deref().unwrap_or("full") {
        "full" => SslMode::Full,
        "strict" => SslMode::Strict,
        other @ ("off" | "flexible") => {
            add(errors,
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
            let lower = other.trim().to_ascii_lowercase();
            let fix = match lower.as_str() {
                "full" | "strict" => format!("write it exactly as \"{lower}\" (lower case)"),
                "full (strict)" | "full_strict" | "full-strict" | "strict (full)" => {
                    "write \"strict\" for Full (strict)".into()
                }
                _ => "use \"full\" or \"strict\" (Full (strict) in the dashboard)".into(),
            };
            add(
                errors,
                "cloudflare.ssl_mode",
                other,
                (
                    "is not an SSL/TLS encryption mode flarelink sets".into(),
                    fix,
                ),
            );
            SslMode::Full
        }
    };

    let ssl_scope = match file.cloudflare.ssl_scope.as_deref().unwrap_or("hostname") {
        "hostname" => SslScope::Hostname,
        "zone" => SslScope::Zone,
        other => {
            let lower = other.trim().to_ascii_lowercase();
            let fix = match lower.as_str() {
                "hostname" | "zone" => format!("write it exactly as \"{lower}\" (lower case)"),
                "host" | "hostnames" | "rule" | "per-hostname" => {
                    "write \"hostname\" (a Configuration Rule for the linked hostnames)".into()
                }
                "zone-wide" | "zonewide" | "all" => {
                    "write \"zone\" (the zone's own setting, as the guide does)".into()
                }
                _ => "use \"hostname\" (the default: only the linked hostnames) or \"zone\" (the whole zone, as the guide does)".into(),
            };
            add(
                errors,
                "cloudflare.ssl_scope",
                other,
                (
                    "is not a scope flarelink sets the SSL/TLS mode in".into(),
                    fix,
                ),
            );
            SslScope::Hostname
        }
    };

    // CLOUDFLARE_API_BASE (checked with the environment) wins over the file's api_base.
    let (api_base_raw, api_base_from) = match (env.get(API_BASE_ENV), &file.cloudflare.api_base) {
        (Some(v), _) => (v.to_string(), API_BASE_ENV),
        (None, Some(v)) => {
            if let Err(e) = check_endpoint_url(v, true) {
                add(errors, "cloudflare.api_base", &environment::shown_url(v), e);
            }
            (v.clone(), "cloudflare.api_base")
        }
        (None, None) => (
            flarelink_cloudflare::DEFAULT_API_BASE.to_string(),
            "default",
        ),
    };
    let cloudflare_api_base = if api_base_raw.ends_with('/') {
        api_base_raw
    } else {
        format!("{api_base_raw}/")
    };

    let mut origin_ca_roots = Vec::new();
    for (i, root) in file.cloudflare.origin_ca_roots.iter().enumerate() {
        let field = format!("cloudflare.origin_ca_roots[{i}]");
        let path = base_dir.join(root);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let pem = String::from_utf8_lossy(&bytes).into_owned();
                if pem.contains("PRIVATE KEY-----") {
                    add(errors,
                        &field,
                        root,
                        (
                            "is a private key, not a certificate (its content is not shown)".into(),
                            format!(
                                "point it at Cloudflare's Origin CA root certificate (origin_ca_rsa_root.pem); {}",
                                secrets::SecretKind::PrivateKey.advice()
                            ),
                        ),
                    );
                } else if crate::certs::parse_certificate_pem(&pem).is_ok() {
                    origin_ca_roots.push((path, pem))
                } else {
                    add(errors,
                        &field,
                        root,
                        (
                            "is not a PEM certificate".into(),
                            "point it at Cloudflare's origin_ca_rsa_root.pem or origin_ca_ecc_root.pem".into(),
                        ),
                    )
                }
            }
            Err(e) => add(errors,
                &field,
                root,
                (
                    format!("cannot be read ({}): {e}", path.display()),
                    "download the root from Cloudflare's Origin CA documentation, or remove the entry".into(),
                ),
            ),
        }
    }

    // Region: --region, aws.region, AWS_REGION, AWS_DEFAULT_REGION (the environment's values
    // are checked with the environment, whether used or not).
    let (region, region_from) = if let Some(r) = &overrides.region {
        (Some(r.clone()), Some("--region"))
    } else if let Some(r) = &file.aws.region {
        (Some(r.clone()), Some("aws.region"))
    } else if let Some(r) = env.get("AWS_REGION") {
        (Some(r.to_string()), Some("AWS_REGION"))
    } else if let Some(r) = env.get("AWS_DEFAULT_REGION") {
        (Some(r.to_string()), Some("AWS_DEFAULT_REGION"))
    } else {
        (None, None)
    };
    for (field, value) in [
        ("--region", &overrides.region),
        ("aws.region", &file.aws.region),
    ] {
        if let Some(r) = value {
            if let Err(e) = names::check_region(r) {
                add(errors, field, r, e);
            }
        }
    }
    let (profile, profile_from) = if let Some(p) = &overrides.profile {
        (Some(p.clone()), Some("--profile"))
    } else if let Some(p) = &file.aws.profile {
        (Some(p.clone()), Some("aws.profile"))
    } else if let Some(p) = env.get("AWS_PROFILE") {
        (Some(p.to_string()), Some("AWS_PROFILE"))
    } else {
        (None, None)
    };
    for (field, value) in [
        ("--profile", &overrides.profile),
        ("aws.profile", &file.aws.profile),
    ] {
        if let Some(p) = value {
            if let Err(e) = environment::check_profile_name(p) {
                add(errors, field, p, e);
            }
        }
    }

    let defaults = RetryPolicy::default();
    let max_attempts = file.retry.max_attempts.unwrap_or(defaults.max_attempts);
    if !(1..=10).contains(&max_attempts) {
        add(
            errors,
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
        add(
            errors,
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
        add(
            errors,
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
        add(
            errors,
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

    let zone_name = zone.as_ref().and_then(ZoneRef::name).map(str::to_string);
    let mut seen = BTreeSet::new();
    let mut domains = Vec::new();
    let mut valid_hostnames: Vec<(usize, String)> = Vec::new();
    for (i, d) in file.domains.iter().enumerate() {
        let field = |name: &str| format!("domain[{i}].{name}");
        let hostname = d.hostname.clone().unwrap_or_default();
        if let Some(raw) = &d.hostname {
            match names::check_hostname(raw) {
                Err(e) => add(errors, &field("hostname"), raw, e),
                Ok(()) => valid_hostnames.push((i, raw.clone())),
            }
            // Duplicates are compared as DNS compares names.
            let canonical = raw.trim().trim_end_matches('.').to_ascii_lowercase();
            if !seen.insert(canonical) {
                add(errors,
                    &field("hostname"),
                    raw,
                    (
                        "appears twice".into(),
                        "list each hostname once; several base paths on one hostname are not supported yet".into(),
                    ),
                );
            }
        }
        let rest_api = d
            .rest_api
            .clone()
            .or_else(|| file.api.as_ref().and_then(|a| a.name.clone()));
        match &rest_api {
            None if d.rest_api.is_none() && file.api.as_ref().is_some_and(|a| a.name.is_none()) => {}
            None => add(errors,
                &field("rest_api"),
                "",
                (
                    "is missing".into(),
                    "name the REST API (its name or its 10-character id), or add an [api] section with name".into(),
                ),
            ),
            Some(r) if r.trim().is_empty() => add(errors,
                &field("rest_api"),
                r,
                (
                    "is empty".into(),
                    "name the REST API (its name or its 10-character id), or add an [api] section"
                        .into(),
                ),
            ),
            Some(r) if r.trim() != r => add(errors,
                &field("rest_api"),
                r,
                (
                    "has spaces around it".into(),
                    format!("write it exactly as \"{}\"", r.trim()),
                ),
            ),
            Some(r) if d.rest_api.is_some() => {
                provision::check_name(&field("rest_api"), r, "REST API", errors);
            }
            Some(_) => {}
        }
        let stage = d
            .stage
            .clone()
            .or_else(|| file.api.as_ref().and_then(|a| a.stage.clone()));
        match &stage {
            None if file.api.as_ref().is_some_and(|a| a.stage.is_none()) => {}
            None => errors.push(ConfigError::new(
                field("stage"),
                "",
                "is missing",
                "name the deployed stage, e.g. stage = \"prod\" (or add an [api] section with stage)",
            )),
            Some(s) if d.stage.is_some() => {
                if let Err(e) = names::check_stage(s) {
                    errors.push(ConfigError::new(field("stage"), s, e.0, e.1));
                }
            }
            Some(_) => {}
        }
        let base_path = match names::normalize_base_path(d.base_path.as_deref()) {
            Ok(bp) => bp,
            Err(e) => {
                errors.push(ConfigError::new(
                    field("base_path"),
                    d.base_path.as_deref().unwrap_or(""),
                    e.0,
                    e.1,
                ));
                None
            }
        };
        let key_type = match d.certificate.key_type.as_deref().unwrap_or("rsa2048") {
            "rsa2048" | "rsa" => KeyType::Rsa2048,
            "ecdsa-p256" | "ecdsa" => KeyType::EcdsaP256,
            other => {
                let lower = other.trim().to_ascii_lowercase().replace('_', "-");
                let fix = match lower.as_str() {
                    "rsa2048" | "rsa-2048" | "rsa" => "write it exactly as \"rsa2048\"".into(),
                    "ecdsa-p256" | "ecdsa" | "p256" | "p-256" | "ec" => {
                        "write it exactly as \"ecdsa-p256\"".into()
                    }
                    _ => "use \"rsa2048\" (default; the safe choice for API Gateway) or \"ecdsa-p256\"".to_string(),
                };
                errors.push(ConfigError::new(
                    field("certificate.key_type"),
                    other,
                    "is not a supported key type",
                    fix,
                ));
                KeyType::Rsa2048
            }
        };
        let validity_days = d.certificate.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS);
        if !ALLOWED_VALIDITY_DAYS.contains(&validity_days) {
            errors.push(ConfigError::new(
                field("certificate.validity_days"),
                validity_days.to_string(),
                "is not a validity Cloudflare's Origin CA issues",
                "use one of 7, 30, 90, 365, 730, 1095 or 5475 (15 years, the default)",
            ));
        }
        let renew_before_days = d.certificate.renew_before_days;
        match renew_before_days {
            Some(0) => errors.push(ConfigError::new(
                field("certificate.renew_before_days"),
                "0",
                "is no renewal window (the certificate would expire before it is rotated)",
                format!(
                    "use 1 to {} (fewer days than validity_days = {validity_days}), or leave it out for the default (30 days, or a third of a shorter certificate's lifetime)",
                    validity_days.saturating_sub(1).max(1)
                ),
            )),
            Some(days) if days >= validity_days => errors.push(ConfigError::new(
                field("certificate.renew_before_days"),
                days.to_string(),
                format!("is not shorter than validity_days = {validity_days} (every new certificate would be inside its window and rotated on every run)"),
                format!(
                    "use 1 to {}, or leave it out for the default (30 days, or a third of a shorter certificate's lifetime)",
                    validity_days.saturating_sub(1).max(1)
                ),
            )),
            _ => {}
        }
        let (source, validation_timeout_seconds) =
            certificate_source(&d.certificate, &field, errors);
        let origin_lock = origin_lock(d.origin_lock.as_deref(), &field, errors);
        domains.push(Domain {
            hostname,
            rest_api: rest_api.unwrap_or_default(),
            stage: stage.unwrap_or_default(),
            base_path,
            certificate: CertificateSpec {
                key_type,
                validity_days,
                renew_before_days,
                source,
                validation_timeout_seconds,
            },
            origin_lock,
        });
    }
    if let Some(zone_name) = &zone_name {
        check_hostnames_in_zone(zone_name, &valid_hostnames, errors);
    }

    for wanted in &overrides.hostnames {
        if let Err(e) = names::check_hostname(wanted) {
            add(errors, "--hostname", wanted, e);
            continue;
        }
        if !domains.iter().any(|d| &d.hostname == wanted) {
            add(
                errors,
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
        domains.retain(|d| overrides.hostnames.contains(&d.hostname));
    }

    errors.extend(errors_extra);
    Some(Config {
        zone: zone?,
        ssl_mode,
        ssl_scope,
        cloudflare_api_base,
        origin_ca_roots,
        region,
        profile,
        sources: Sources {
            region: region_from,
            profile: profile_from,
            cloudflare_api_base: api_base_from,
        },
        retry: RetryPolicy {
            max_attempts,
            max_quota_waits,
            request_timeout: Duration::from_secs(timeout),
        },
        lock_lease: Duration::from_secs(lease),
        domains,
        cognito,
        api,
        truststore_bucket: truststore_bucket(file.aws.truststore_bucket.as_deref(), errors),
        keep_client_ca: None,
    })
}

/// `[[domain]] origin_lock`.
fn origin_lock(
    value: Option<&str>,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<ConfigError>,
) -> OriginLock {
    match value.unwrap_or("off") {
        "off" => OriginLock::Off,
        "mtls" => OriginLock::Mtls,
        other => {
            let fix = match other.trim().to_ascii_lowercase().replace(['_', ' '], "-").as_str() {
                "mtls" | "mutual-tls" | "m-tls" | "on" | "true" | "yes" | "aop" => {
                    "write it exactly as \"mtls\"".to_string()
                }
                "off" | "none" | "false" | "no" | "" => "write it exactly as \"off\" (or leave it out)".to_string(),
                _ => "use \"mtls\" (API Gateway answers only Cloudflare: authenticated origin pulls, mutual TLS, default endpoint off) or \"off\" (default)".to_string(),
            };
            errors.push(ConfigError::new(
                field("origin_lock"),
                other,
                "is not an origin lock",
                fix,
            ));
            OriginLock::Off
        }
    }
}

/// `[aws] truststore_bucket`: S3's bucket naming rules (3–63 characters; lower-case letters,
/// digits, dots and hyphens; a letter or digit at each end), checked here so a typo is bad
/// input rather than a refusal from S3 mid-run.
fn truststore_bucket(value: Option<&str>, errors: &mut Vec<ConfigError>) -> Option<String> {
    let v = value?;
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&v.len())
        && ok_chars
        && ends(v.chars().next())
        && ends(v.chars().last())
        && !v.contains("..")
    {
        return Some(v.to_string());
    }
    errors.push(ConfigError::new(
        "aws.truststore_bucket",
        v,
        "is not an S3 bucket name",
        "use the name of an existing, versioned bucket you own: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit (or leave it out: flarelink then makes its own)",
    ));
    None
}

/// `[domain.certificate] source` and the wait that goes with it. The Origin CA options mean
/// nothing for an ACM-issued certificate (ACM chooses its key, RSA 2048, and its 13-month
/// validity, and renews it), and the wait means nothing for an imported one: either mix is
/// refused rather than silently ignored.
fn certificate_source(
    c: &file::CertificateSection,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<ConfigError>,
) -> (CertificateSource, u32) {
    let source = match c.source.as_deref().unwrap_or("origin-ca") {
        "origin-ca" => CertificateSource::OriginCa,
        "acm" => CertificateSource::Acm,
        other => {
            let fix = match other.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "acm" | "amazon" | "aws" | "acm-issued" | "amazon-issued" => {
                    "write it exactly as \"acm\"".to_string()
                }
                "origin-ca" | "origin" | "originca" | "cloudflare" | "imported" => {
                    "write it exactly as \"origin-ca\"".to_string()
                }
                _ => "use \"origin-ca\" (default: a Cloudflare Origin CA certificate imported into ACM) or \"acm\" (a public certificate ACM issues, validated through Cloudflare DNS)".to_string(),
            };
            errors.push(ConfigError::new(
                field("certificate.source"),
                other,
                "is not a certificate source",
                fix,
            ));
            CertificateSource::OriginCa
        }
    };
    let timeout = c
        .validation_timeout_seconds
        .unwrap_or(DEFAULT_VALIDATION_TIMEOUT_SECONDS);
    if !VALIDATION_TIMEOUT_RANGE.contains(&timeout) {
        errors.push(ConfigError::new(
            field("certificate.validation_timeout_seconds"),
            timeout.to_string(),
            "is outside the wait flarelink allows for ACM validation",
            format!(
                "use {} to {} seconds (72 hours, after which ACM gives up); the default is {DEFAULT_VALIDATION_TIMEOUT_SECONDS}",
                VALIDATION_TIMEOUT_RANGE.start(),
                VALIDATION_TIMEOUT_RANGE.end()
            ),
        ));
    }
    match source {
        CertificateSource::Acm => {
            if let Some(k) = &c.key_type {
                errors.push(ConfigError::new(
                    field("certificate.key_type"),
                    k,
                    "applies only to source = \"origin-ca\"; ACM chooses the key of a certificate it issues (RSA 2048)",
                    "remove key_type from this [domain.certificate], or set source = \"origin-ca\"",
                ));
            }
            if let Some(v) = c.validity_days {
                errors.push(ConfigError::new(
                    field("certificate.validity_days"),
                    v.to_string(),
                    "applies only to source = \"origin-ca\"; ACM issues its certificates for 13 months and renews them itself",
                    "remove validity_days from this [domain.certificate], or set source = \"origin-ca\"",
                ));
            }
        }
        CertificateSource::OriginCa => {
            if let Some(t) = c.validation_timeout_seconds {
                errors.push(ConfigError::new(
                    field("certificate.validation_timeout_seconds"),
                    t.to_string(),
                    "applies only to source = \"acm\" (the wait for ACM to issue a certificate)",
                    "remove validation_timeout_seconds, or set source = \"acm\" in this [domain.certificate]",
                ));
            }
        }
    }
    (source, timeout)
}

/// Hostnames against a valid zone name. When no hostname is in the zone, the zone is what is
/// wrong (one problem on `cloudflare.zone`, not one hostname hint per domain); when the zone is
/// a hostname itself, likewise.
fn check_hostnames_in_zone(
    zone: &str,
    hostnames: &[(usize, String)],
    errors: &mut Vec<ConfigError>,
) {
    if hostnames.is_empty() {
        return;
    }
    let inside = |h: &str| h.ends_with(&format!(".{zone}"));
    let zone_labels = zone.split('.').count();
    if zone_labels >= 3 && hostnames.iter().any(|(_, h)| h == zone) {
        let parent = zone.split_once('.').map_or(zone, |(_, p)| p);
        errors.push(ConfigError::new(
            "cloudflare.zone",
            zone,
            format!("is the hostname {zone} itself, not the zone that holds it"),
            format!("set cloudflare.zone to the zone as the Cloudflare dashboard lists it (probably \"{parent}\"), and keep {zone} as the [[domain]] hostname"),
        ));
        return;
    }
    if !hostnames.iter().any(|(_, h)| inside(h) || h == zone) {
        let first = &hostnames[0].1;
        let labels: Vec<&str> = first.split('.').collect();
        let guess = labels[labels.len().saturating_sub(2)..].join(".");
        let all: Vec<&str> = hostnames.iter().map(|(_, h)| h.as_str()).collect();
        errors.push(ConfigError::new(
            "cloudflare.zone",
            zone,
            format!("holds none of the configured hostnames ({})", all.join(", ")),
            format!("set cloudflare.zone to the zone that holds them (e.g. \"{guess}\") or its 32-hex zone id — or, if the zone is right, write the hostnames as names ending in .{zone}"),
        ));
        return;
    }
    for (i, hostname) in hostnames {
        let field = format!("domain[{i}].hostname");
        if hostname == zone {
            errors.push(ConfigError::new(
                field,
                hostname,
                format!("is the zone apex of {zone}"),
                format!(
                    "use a subdomain such as api.{zone}: the certificate and the API Gateway custom domain must name the exact hostname clients call (the guide's \"api.flacial.dev, not flacial.dev\")"
                ),
            ));
        } else if !inside(hostname) {
            errors.push(ConfigError::new(
                field,
                hostname,
                format!("is not inside the zone {zone}"),
                format!("use a name ending in .{zone}, or give it its own config for the zone that holds it"),
            ));
        }
    }
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

/// The Cloudflare token from the process environment, checked for the mistakes that would
/// otherwise surface as a confusing 400 from Cloudflare (a pasted newline, a "Bearer " prefix).
pub fn cloudflare_token_from_env() -> Result<String, ConfigError> {
    Environment::from_process().cloudflare_token()
}

#[cfg(test)]
mod tests;
