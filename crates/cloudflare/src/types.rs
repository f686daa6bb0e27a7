use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// Origin CA key type, as Cloudflare's `request_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OriginRequestType {
    #[serde(rename = "origin-rsa")]
    OriginRsa,
    #[serde(rename = "origin-ecc")]
    OriginEcc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOriginCertificate {
    /// PEM CSR.
    pub csr: String,
    pub hostnames: Vec<String>,
    pub request_type: OriginRequestType,
    /// Days: one of 7, 30, 90, 365, 730, 1095, 5475.
    pub requested_validity_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginCertificate {
    /// Decimal serial string.
    pub id: String,
    /// PEM leaf certificate.
    pub certificate: String,
    pub hostnames: Vec<String>,
    /// Parsed from Cloudflare's `"2041-04-15 07:46:00 +0000 UTC"` (or RFC 3339).
    pub expires_on: Option<DateTime<Utc>>,
    pub request_type: Option<OriginRequestType>,
    pub requested_validity_days: Option<u32>,
    /// The PEM CSR the certificate was issued for, as Cloudflare stores it.
    pub csr: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    pub id: String,
    /// "A", "AAAA", "CNAME", "TXT", ...
    #[serde(rename = "type")]
    pub record_type: String,
    pub name: String,
    pub content: String,
    pub proxied: Option<bool>,
    pub ttl: Option<u32>,
    pub comment: Option<String>,
}

/// What flarelink writes. `ttl` 1 means automatic (required when proxied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDnsRecord {
    #[serde(rename = "type")]
    pub record_type: String,
    pub name: String,
    pub content: String,
    pub proxied: bool,
    pub ttl: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The zone's SSL/TLS encryption mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SslMode {
    Off,
    Flexible,
    Full,
    Strict,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Off => "off",
            SslMode::Flexible => "flexible",
            SslMode::Full => "full",
            SslMode::Strict => "strict",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "off" => Some(SslMode::Off),
            "flexible" => Some(SslMode::Flexible),
            "full" => Some(SslMode::Full),
            "strict" => Some(SslMode::Strict),
            _ => None,
        }
    }
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslSetting {
    pub value: SslMode,
    pub editable: bool,
    pub modified_on: Option<String>,
}
