//! The shape of `config.toml`, exactly as written by the user. Unknown keys are errors (a typo
//! such as `hostnme` must not silently fall back to a default). Validation lives in `validate`.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub cloudflare: CloudflareSection,
    #[serde(default)]
    pub aws: AwsSection,
    #[serde(default)]
    pub retry: RetrySection,
    #[serde(default)]
    pub lock: LockSection,
    #[serde(default, rename = "domain")]
    pub domains: Vec<DomainSection>,
    /// The guide's Cognito setup (`flarelink provision`).
    pub cognito: Option<CognitoSection>,
    /// The guide's REST API (`flarelink provision`).
    pub api: Option<ApiSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CognitoSection {
    /// User pool name (found by name; must be unique in the region).
    pub user_pool: String,
    /// App client name.
    pub app_client: String,
    /// Hosted-UI domain prefix: `<prefix>.auth.<region>.amazoncognito.com`.
    pub domain_prefix: String,
    /// OAuth callback URLs (the guide's is https://example.com).
    #[serde(default)]
    pub callback_urls: Vec<String>,
    #[serde(default)]
    pub logout_urls: Vec<String>,
    /// Also allow USER_PASSWORD_AUTH (SRP is always allowed).
    #[serde(default)]
    pub allow_user_password_auth: bool,
    /// Keep the implicit grant the guide uses (`response_type=token`); default true.
    pub implicit_flow: Option<bool>,
    /// Cognito's deletion protection on the pool; default true.
    pub deletion_protection: Option<bool>,
    #[serde(default)]
    pub password_policy: PasswordPolicySection,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicySection {
    pub min_length: Option<u32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub temporary_password_validity_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// REST API name (found by name; flarelink creates it REGIONAL).
    pub name: String,
    /// Stage to deploy to.
    pub stage: String,
    /// Routes; when absent, the guide's `GET /ditto` → PokeAPI behind Cognito.
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// Resource path, e.g. `/ditto` or `/pokemon/{name}`.
    pub path: String,
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY.
    pub method: String,
    /// The HTTP upstream the route proxies to.
    pub upstream: String,
    /// `cognito` (default) or `none`.
    pub auth: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudflareSection {
    /// Zone name (`example.com`) or 32-hex zone id.
    pub zone: String,
    /// `full` (default) or `strict`.
    pub ssl_mode: Option<String>,
    /// API base URL; `CLOUDFLARE_API_BASE` overrides it.
    pub api_base: Option<String>,
    /// PEM files of Origin CA roots to send to ACM as the chain (Cloudflare publishes
    /// `origin_ca_rsa_root.pem` and `origin_ca_ecc_root.pem`).
    #[serde(default)]
    pub origin_ca_roots: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// The run lock (`run_lock`): how long a marker lives unless its holder renews it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockSection {
    pub lease_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySection {
    pub max_attempts: Option<u32>,
    pub max_quota_waits: Option<u32>,
    pub request_timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSection {
    pub hostname: String,
    /// REST API name or id; defaults to `[api].name`.
    pub rest_api: Option<String>,
    /// Defaults to `[api].stage`.
    pub stage: Option<String>,
    #[serde(default)]
    pub base_path: Option<String>,
    #[serde(default)]
    pub certificate: CertificateSection,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSection {
    /// `rsa2048` (default) or `ecdsa-p256`.
    pub key_type: Option<String>,
    /// Days: 7, 30, 90, 365, 730, 1095 or 5475 (default, 15 years).
    pub validity_days: Option<u32>,
}
