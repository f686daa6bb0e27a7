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
    /// When Cloudflare created it (RFC 3339, Cloudflare's clock): the run lock orders its
    /// markers by it.
    #[serde(default)]
    pub created_on: Option<String>,
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

/// The zone's SSL/TLS encryption mode, ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// Parses Origin CA's `expires_on`. Cloudflare has sent Go's `time.Time` text form
/// (`"2041-04-15 07:46:00 +0000 UTC"`, optionally with fractional seconds) rather than RFC 3339;
/// both are accepted. `None` when the text is neither.
pub fn parse_cloudflare_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // Go form: "<date> <time>[.frac] <±hhmm> [<zone abbreviation>]"; the abbreviation adds
    // nothing the offset does not say, so it is dropped.
    let mut parts = text.split_whitespace();
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    let joined = format!("{date} {time} {offset}");
    DateTime::parse_from_str(&joined, "%Y-%m-%d %H:%M:%S%.f %z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Origin CA certificate as Cloudflare sends it. Every field but `id` is optional on the wire
/// (revoke answers only `{id, revoked_at}`), and `requested_validity` has been seen both as a
/// number and as a string, so this is parsed leniently and converted.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOriginCertificate {
    pub id: String,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub hostnames: Option<Vec<String>>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub request_type: Option<String>,
    #[serde(default)]
    pub requested_validity: Option<serde_json::Value>,
    #[serde(default)]
    pub csr: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
}

impl From<WireOriginCertificate> for OriginCertificate {
    fn from(wire: WireOriginCertificate) -> Self {
        let expires_on = wire.expires_on.as_deref().and_then(|text| {
            let parsed = parse_cloudflare_time(text);
            if parsed.is_none() {
                tracing::warn!(expires_on = text, "unparsable Origin CA expires_on");
            }
            parsed
        });
        let request_type = wire.request_type.as_deref().and_then(|t| match t {
            "origin-rsa" => Some(OriginRequestType::OriginRsa),
            "origin-ecc" => Some(OriginRequestType::OriginEcc),
            _ => None,
        });
        let requested_validity_days = wire.requested_validity.and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        OriginCertificate {
            id: wire.id,
            certificate: wire.certificate.unwrap_or_default(),
            hostnames: wire.hostnames.unwrap_or_default(),
            expires_on,
            request_type,
            requested_validity_days,
            csr: wire.csr.filter(|c| !c.is_empty()),
            revoked_at: wire.revoked_at.filter(|r| !r.is_empty()),
        }
    }
}

/// Zone setting `ssl` as Cloudflare sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct WireSslSetting {
    pub value: String,
    #[serde(default)]
    pub editable: Option<bool>,
    #[serde(default)]
    pub modified_on: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_go_and_rfc3339_times() {
        let want = Utc.with_ymd_and_hms(2041, 4, 15, 7, 46, 0).unwrap();
        assert_eq!(
            parse_cloudflare_time("2041-04-15 07:46:00 +0000 UTC"),
            Some(want)
        );
        assert_eq!(
            parse_cloudflare_time("2041-04-15 07:46:00 +0000"),
            Some(want)
        );
        assert_eq!(parse_cloudflare_time("2041-04-15T07:46:00Z"), Some(want));
        assert_eq!(
            parse_cloudflare_time("2041-04-15T09:46:00+02:00"),
            Some(want)
        );
        assert_eq!(
            parse_cloudflare_time("2041-04-15 07:46:00.5 +0000 UTC"),
            Some(want + chrono::Duration::milliseconds(500))
        );
        assert_eq!(
            parse_cloudflare_time("2041-04-15 09:46:00 +0200 CEST"),
            Some(want)
        );
        assert_eq!(parse_cloudflare_time("someday"), None);
        assert_eq!(parse_cloudflare_time(""), None);
    }

    #[test]
    fn wire_certificate_converts_leniently() {
        let wire: WireOriginCertificate = serde_json::from_str(
            r#"{"id":"123456789","certificate":"PEM","hostnames":["api.example.com"],
                "expires_on":"2041-04-15 07:46:00 +0000 UTC","request_type":"origin-rsa",
                "requested_validity":"5475","csr":"CSR","revoked_at":null,"extra":1}"#,
        )
        .unwrap();
        let cert = OriginCertificate::from(wire);
        assert_eq!(cert.id, "123456789");
        assert_eq!(cert.hostnames, vec!["api.example.com"]);
        assert_eq!(cert.request_type, Some(OriginRequestType::OriginRsa));
        assert_eq!(cert.requested_validity_days, Some(5475));
        assert_eq!(
            cert.expires_on.unwrap().to_rfc3339(),
            "2041-04-15T07:46:00+00:00"
        );
        assert_eq!(cert.revoked_at, None);

        let revoked: WireOriginCertificate =
            serde_json::from_str(r#"{"id":"9","revoked_at":"2024-01-01T00:00:00Z"}"#).unwrap();
        let revoked = OriginCertificate::from(revoked);
        assert_eq!(revoked.certificate, "");
        assert_eq!(revoked.revoked_at.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(revoked.requested_validity_days, None);
    }

    #[test]
    fn new_dns_record_body_has_type_and_optional_comment() {
        let mut record = NewDnsRecord {
            record_type: "CNAME".into(),
            name: "api.example.com".into(),
            content: "d-abc.execute-api.us-east-1.amazonaws.com".into(),
            proxied: true,
            ttl: 1,
            comment: Some("managed by flarelink".into()),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["type"], "CNAME");
        assert_eq!(json["comment"], "managed by flarelink");
        record.comment = None;
        let json = serde_json::to_value(&record).unwrap();
        assert!(json.get("comment").is_none());
    }
}
