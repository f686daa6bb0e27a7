//! The shape of `config.toml`, exactly as written by the user, read by [`super::read`]. A value
//! is `None` when it is absent — or when it could not be read (wrong type, a secret), which the
//! reader has already reported; validation then checks only what is there.

#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub cloudflare: CloudflareSection,
    pub aws: AwsSection,
    pub retry: RetrySection,
    pub lock: LockSection,
    pub domains: Vec<DomainSection>,
    /// The guide's Cognito setup (`flarelink provision`).
    pub cognito: Option<CognitoSection>,
    /// The guide's REST API (`flarelink provision`).
    pub api: Option<ApiSection>,
}

#[derive(Debug, Clone, Default)]
pub struct CognitoSection {
    /// User pool name (found by name; must be unique in the region).
    pub user_pool: Option<String>,
    /// App client name.
    pub app_client: Option<String>,
    /// Hosted-UI domain prefix: `<prefix>.auth.<region>.amazoncognito.com`.
    pub domain_prefix: Option<String>,
    /// OAuth callback URLs (the guide's is https://example.com).
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    /// Also allow USER_PASSWORD_AUTH (SRP is always allowed).
    pub allow_user_password_auth: bool,
    /// Keep the implicit grant the guide uses (`response_type=token`); default true.
    pub implicit_flow: Option<bool>,
    /// Cognito's deletion protection on the pool; default true.
    pub deletion_protection: Option<bool>,
    pub password_policy: PasswordPolicySection,
}

#[derive(Debug, Clone, Default)]
pub struct PasswordPolicySection {
    pub min_length: Option<u32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub temporary_password_validity_days: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct ApiSection {
    /// REST API name (found by name; flarelink creates it REGIONAL).
    pub name: Option<String>,
    /// Stage to deploy to.
    pub stage: Option<String>,
    /// Routes; when absent, the guide's `GET /ditto` → PokeAPI behind Cognito.
    pub routes: Vec<RouteSection>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteSection {
    /// Resource path, e.g. `/ditto` or `/pokemon/{name}`.
    pub path: Option<String>,
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY.
    pub method: Option<String>,
    /// The HTTP upstream the route proxies to.
    pub upstream: Option<String>,
    /// `cognito` (default) or `none`.
    pub auth: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CloudflareSection {
    /// Zone name (`example.com`) or 32-hex zone id.
    pub zone: Option<String>,
    /// `full` (default) or `strict`.
    pub ssl_mode: Option<String>,
    /// `hostname` (default: a Configuration Rule for the linked hostnames) or `zone`.
    pub ssl_scope: Option<String>,
    /// API base URL; `CLOUDFLARE_API_BASE` overrides it.
    pub api_base: Option<String>,
    /// PEM files of Origin CA roots to send to ACM as the chain (Cloudflare publishes
    /// `origin_ca_rsa_root.pem` and `origin_ca_ecc_root.pem`).
    pub origin_ca_roots: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AwsSection {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The origin lock's truststore bucket (the user's own, versioned); absent: flarelink's.
    pub truststore_bucket: Option<String>,
}

/// The run lock (`run_lock`): how long a marker lives unless its holder renews it.
#[derive(Debug, Clone, Default)]
pub struct LockSection {
    pub lease_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct RetrySection {
    pub max_attempts: Option<u32>,
    pub max_quota_waits: Option<u32>,
    pub request_timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct DomainSection {
    pub hostname: Option<String>,
    /// REST API name or id; defaults to `[api].name`.
    pub rest_api: Option<String>,
    /// Defaults to `[api].stage`.
    pub stage: Option<String>,
    pub base_path: Option<String>,
    /// `off` (default) or `mtls`: the origin lock.
    pub origin_lock: Option<String>,
    pub certificate: CertificateSection,
}

#[derive(Debug, Clone, Default)]
pub struct CertificateSection {
    /// `rsa2048` (default) or `ecdsa-p256`.
    pub key_type: Option<String>,
    /// Days: 7, 30, 90, 365, 730, 1095 or 5475 (default, 15 years).
    pub validity_days: Option<u32>,
    /// Rotate in place once the served certificate has this many days left or fewer.
    pub renew_before_days: Option<u32>,
    /// `origin-ca` (default) or `acm` (an ACM-issued certificate, validated through Cloudflare DNS).
    pub source: Option<String>,
    /// With `acm`: how long a run waits for ACM to issue the certificate.
    pub validation_timeout_seconds: Option<u32>,
}

/// Every table and key of the file, for "did you mean" and "this key belongs in [aws]" hints.
/// `[]` marks an array of tables.
pub const SCHEMA: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "cloudflare",
            "aws",
            "retry",
            "lock",
            "domain",
            "cognito",
            "api",
        ],
    ),
    (
        "cloudflare",
        &[
            "zone",
            "ssl_mode",
            "ssl_scope",
            "api_base",
            "origin_ca_roots",
        ],
    ),
    ("aws", &["region", "profile", "truststore_bucket"]),
    (
        "retry",
        &["max_attempts", "max_quota_waits", "request_timeout_seconds"],
    ),
    ("lock", &["lease_seconds"]),
    (
        "domain[]",
        &[
            "hostname",
            "rest_api",
            "stage",
            "base_path",
            "origin_lock",
            "certificate",
        ],
    ),
    (
        "domain[].certificate",
        &[
            "key_type",
            "validity_days",
            "renew_before_days",
            "source",
            "validation_timeout_seconds",
        ],
    ),
    (
        "cognito",
        &[
            "user_pool",
            "app_client",
            "domain_prefix",
            "callback_urls",
            "logout_urls",
            "allow_user_password_auth",
            "implicit_flow",
            "deletion_protection",
            "password_policy",
        ],
    ),
    (
        "cognito.password_policy",
        &[
            "min_length",
            "require_uppercase",
            "require_lowercase",
            "require_numbers",
            "require_symbols",
            "temporary_password_validity_days",
        ],
    ),
    ("api", &["name", "stage", "route"]),
    ("api.route[]", &["path", "method", "upstream", "auth"]),
];

/// How a section is written in TOML: `[aws]`, `[[domain]]`, `[domain.certificate]`.
pub fn section_header(section: &str) -> String {
    if section.is_empty() {
        return "the top level".into();
    }
    if let Some(array) = section.strip_suffix("[]") {
        return format!("[[{array}]]");
    }
    format!("[{}]", section.replace("[]", ""))
}
