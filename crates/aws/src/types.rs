use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A PEM private key. Debug and Display never show it.
#[derive(Clone)]
pub struct SecretPem(String);

impl SecretPem {
    pub fn new(pem: String) -> Self {
        SecretPem(pem)
    }
    /// The PEM text, for the one call that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretPem(<redacted>)")
    }
}

impl std::fmt::Display for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted private key>")
    }
}

/// A password, token or session. Debug and Display never show it; [`Secret::expose`] reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret text, for the one call that must send it (or a test that must read it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// An ACM certificate as ListCertificates tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSummary {
    pub arn: String,
    pub domain_name: Option<String>,
    /// The subject alternative names ListCertificates reports (AWS lists up to 100 per
    /// certificate; empty when the answer carries none, e.g. moto's).
    pub subject_alternative_names: Vec<String>,
}

/// An ACM certificate as DescribeCertificate tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub arn: String,
    pub domain_name: Option<String>,
    pub subject_alternative_names: Vec<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// ISSUED, EXPIRED, ...
    pub status: Option<String>,
    /// IMPORTED, AMAZON_ISSUED, PRIVATE.
    pub certificate_type: Option<String>,
    /// ARNs of the resources that use it.
    pub in_use_by: Vec<String>,
    pub key_algorithm: Option<String>,
    /// The serial number as ACM reports it (AWS: hex bytes separated by colons).
    pub serial: Option<String>,
    /// Why ACM failed to issue it (FAILED status), e.g. `CAA_ERROR`.
    pub failure_reason: Option<String>,
    /// The DNS records that prove control of each name (ACM-issued, DNS-validated
    /// certificates; empty for imported ones, and for a moment after RequestCertificate).
    pub validation_records: Vec<ValidationRecord>,
}

/// One name's DNS validation, from DescribeCertificate's `DomainValidationOptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRecord {
    /// The name being validated.
    pub domain_name: String,
    /// PENDING_VALIDATION, SUCCESS, FAILED.
    pub validation_status: Option<String>,
    /// The record to create; `None` until ACM has made it up.
    pub record: Option<ResourceRecord>,
}

/// A DNS record ACM asks for (always a CNAME for DNS validation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    pub name: String,
    pub record_type: String,
    pub value: String,
}

/// An API Gateway custom domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName {
    pub name: String,
    /// `d-xxxx.execute-api.<region>.amazonaws.com`: the CNAME target.
    pub regional_domain_name: Option<String>,
    pub regional_hosted_zone_id: Option<String>,
    pub regional_certificate_arn: Option<String>,
    /// Edge certificate, if the domain is edge-optimized.
    pub certificate_arn: Option<String>,
    /// REGIONAL, EDGE, PRIVATE.
    pub endpoint_types: Vec<String>,
    pub security_policy: Option<String>,
    pub status: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A custom domain's client authentication (GetDomainName's `mutualTlsAuthentication` and
/// `ownershipVerificationCertificateArn`). Its own type rather than fields of [`DomainName`],
/// which callers build as literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainClientAuth {
    pub name: String,
    /// `None`: the domain asks for no client certificate.
    pub mutual_tls: Option<MutualTls>,
    /// The ACM-issued certificate that proves the domain is ours when its serving certificate
    /// is imported (API Gateway requires one for mutual TLS then).
    pub ownership_verification_certificate_arn: Option<String>,
}

/// A domain's mutual TLS: the S3 truststore API Gateway verifies client certificates against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualTls {
    /// `s3://bucket/key`.
    pub truststore_uri: String,
    pub truststore_version: Option<String>,
    /// What API Gateway found wrong with certificates in the truststore (mutual TLS is on all
    /// the same; some clients may be refused).
    pub truststore_warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePathMapping {
    /// "(none)" for the empty base path, as API Gateway reports it.
    pub base_path: String,
    pub rest_api_id: String,
    pub stage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    pub endpoint_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: String,
    pub deployment_id: Option<String>,
}

/// An SDK timestamp as chrono's UTC time (`None` if out of chrono's range).
pub(crate) fn to_utc(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_to_utc() {
        let t = aws_smithy_types::DateTime::from_secs_and_nanos(1_700_000_000, 500_000_000);
        let utc = to_utc(&t).unwrap();
        assert_eq!(utc.to_rfc3339(), "2023-11-14T22:13:20.500+00:00");
        let before_epoch = aws_smithy_types::DateTime::from_secs(-86_400);
        assert_eq!(
            to_utc(&before_epoch).unwrap().to_rfc3339(),
            "1969-12-31T00:00:00+00:00"
        );
    }

    #[test]
    fn secret_pem_never_shows_the_key() {
        let key = SecretPem::new(concat!("-----BEGIN PRIVATE", " KEY-----\nsecret\n").into());
        assert_eq!(format!("{key:?}"), "SecretPem(<redacted>)");
        assert_eq!(key.to_string(), "<redacted private key>");
        assert!(key.expose().contains("secret"));
    }

    #[test]
    fn secret_never_shows_its_value() {
        let s = Secret::new("Superd3d$");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.to_string(), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(<redacted>))");
        assert_eq!(s.expose(), "Superd3d$");
        assert_eq!(Secret::from("x".to_string()), Secret::new("x"));
    }
}
