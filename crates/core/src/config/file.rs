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
    #[serde(default, rename = "domain")]
    pub domains: Vec<DomainSection>,
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
    /// REST API name or id.
    pub rest_api: String,
    pub stage: String,
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
