//! Local certificate work: the private key and CSR (made here, never sent to Cloudflare), and the
//! checks ACM and moto do not do for us — that the certificate Cloudflare returned matches our
//! key, names the hostname and is inside its validity window, and which Origin CA root signed it.

use chrono::{DateTime, TimeZone, Utc};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use x509_parser::prelude::*;

use crate::ownership::{CSR_MARKER_OU, CSR_REGION_PREFIX};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
/// The private key's type (`[domain.certificate].key_type`).
pub enum KeyType {
    Rsa2048,
    EcdsaP256,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::EcdsaP256 => "ecdsa-p256",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("could not generate the {0} private key: {1}")]
    KeyGeneration(&'static str, String),
    #[error("could not build the certificate signing request: {0}")]
    Csr(String),
    #[error("not a PEM certificate: {0}")]
    Parse(String),
    #[error("the certificate Cloudflare returned does not match the private key made for it")]
    KeyMismatch,
    #[error("the certificate does not name {hostname} (it names: {names})")]
    HostnameNotCovered { hostname: String, names: String },
    #[error("the certificate is outside its validity window ({not_before} to {not_after})")]
    NotValidNow {
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    },
}

/// A private key that exists only in this process. Debug never shows it.
pub struct PrivateKey {
    key: KeyPair,
    key_type: KeyType,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.key_type.as_str())
    }
}

impl PrivateKey {
    pub fn generate(key_type: KeyType) -> Result<Self, CertError> {
        let key = match key_type {
            KeyType::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
            KeyType::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        }
        .map_err(|e| CertError::KeyGeneration(key_type.as_str(), e.to_string()))?;
        Ok(PrivateKey { key, key_type })
    }

    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// PKCS#8 PEM, for the single call that hands it to ACM.
    pub fn to_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// SubjectPublicKeyInfo DER, to compare with a certificate's.
    fn public_key_der(&self) -> Vec<u8> {
        rcgen::PublicKeyData::subject_public_key_info(&self.key)
    }

    /// A CSR for `hostname`, marked as flarelink's and with the AWS region it is imported into
    /// (see `ownership`): Cloudflare keeps the CSR with the certificate, which is how a later run
    /// recognises an orphan it may revoke — and leaves alone one linked from another region.
    pub fn csr_pem(&self, hostname: &str, region: &str) -> Result<String, CertError> {
        let mut params = CertificateParams::new(vec![hostname.to_string()])
            .map_err(|e| CertError::Csr(e.to_string()))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, hostname);
        dn.push(DnType::OrganizationName, "flarelink");
        dn.push(DnType::OrganizationalUnitName, CSR_MARKER_OU);
        dn.push(DnType::LocalityName, format!("{CSR_REGION_PREFIX}{region}"));
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::DnsName(
            hostname
                .try_into()
                .map_err(|e: rcgen::Error| CertError::Csr(e.to_string()))?,
        )];
        let csr = params
            .serialize_request(&self.key)
            .map_err(|e| CertError::Csr(e.to_string()))?;
        csr.pem().map_err(|e| CertError::Csr(e.to_string()))
    }
}

/// What flarelink needs to know of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub dns_names: Vec<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub issuer: String,
    pub subject: String,
    spki_der: Vec<u8>,
    issuer_der: Vec<u8>,
    subject_der: Vec<u8>,
    der: Vec<u8>,
}

fn first_pem_der(pem_text: &str) -> Result<Vec<u8>, CertError> {
    let (_, pem) = parse_x509_pem(pem_text.trim_start().as_bytes())
        .map_err(|e| CertError::Parse(e.to_string()))?;
    if pem.label != "CERTIFICATE" {
        return Err(CertError::Parse(format!(
            "PEM block is {:?}, not CERTIFICATE",
            pem.label
        )));
    }
    Ok(pem.contents)
}

fn to_utc(t: ASN1Time) -> DateTime<Utc> {
    Utc.timestamp_opt(t.timestamp(), 0)
        .single()
        .unwrap_or_default()
}

pub fn parse_certificate_pem(pem_text: &str) -> Result<CertificateFacts, CertError> {
    let der = first_pem_der(pem_text)?;
    let (_, cert) = parse_x509_certificate(&der).map_err(|e| CertError::Parse(e.to_string()))?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(n) = name {
                dns_names.push(n.to_ascii_lowercase());
            }
        }
    }
    Ok(CertificateFacts {
        dns_names,
        not_before: to_utc(cert.validity().not_before),
        not_after: to_utc(cert.validity().not_after),
        issuer: cert.issuer().to_string(),
        subject: cert.subject().to_string(),
        spki_der: cert.public_key().raw.to_vec(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        subject_der: cert.subject().as_raw().to_vec(),
        der: der.clone(),
    })
}

/// Whether a certificate name covers `hostname`: exactly, or as a one-label wildcard.
pub fn name_covers(pattern: &str, hostname: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let hostname = hostname.to_ascii_lowercase();
    if pattern == hostname {
        return true;
    }
    match (pattern.strip_prefix("*."), hostname.split_once('.')) {
        (Some(parent), Some((_, host_parent))) => parent == host_parent,
        _ => false,
    }
}

impl CertificateFacts {
    pub fn covers(&self, hostname: &str) -> bool {
        self.dns_names.iter().any(|n| name_covers(n, hostname))
    }
}

/// The checks ACM does not make for us (and moto does not make at all): the certificate belongs
/// to our key, names the hostname, and is valid now.
pub fn check_issued_certificate(
    certificate_pem: &str,
    key: &PrivateKey,
    hostname: &str,
    now: DateTime<Utc>,
) -> Result<CertificateFacts, CertError> {
    let facts = parse_certificate_pem(certificate_pem)?;
    if facts.spki_der != key.public_key_der() {
        return Err(CertError::KeyMismatch);
    }
    if !facts.covers(hostname) {
        return Err(CertError::HostnameNotCovered {
            hostname: hostname.to_string(),
            names: facts.dns_names.join(", "),
        });
    }
    if now < facts.not_before || now > facts.not_after {
        return Err(CertError::NotValidNow {
            not_before: facts.not_before,
            not_after: facts.not_after,
        });
    }
    Ok(facts)
}

/// The configured root that issued `leaf` and whose signature on it verifies, if any; this is the
/// chain ACM receives.
pub fn issuing_root<'a>(
    leaf: &CertificateFacts,
    roots: &'a [(std::path::PathBuf, String)],
) -> Option<&'a str> {
    let (_, leaf_cert) = parse_x509_certificate(&leaf.der).ok()?;
    roots.iter().find_map(|(_, pem)| {
        let root = parse_certificate_pem(pem).ok()?;
        if root.subject_der != leaf.issuer_der {
            return None;
        }
        let (_, root_cert) = parse_x509_certificate(&root.der).ok()?;
        leaf_cert
            .verify_signature(Some(root_cert.public_key()))
            .ok()
            .map(|_| pem.as_str())
    })
}

/// Whether a CSR (as Cloudflare stores it next to a certificate) was made by flarelink, and if
/// so for which AWS region (`Some(None)`: flarelink's, region not recorded).
pub fn flarelink_csr_region(csr_pem: &str) -> Option<Option<String>> {
    let (_, pem) = parse_x509_pem(csr_pem.trim_start().as_bytes()).ok()?;
    let (_, csr) = X509CertificationRequest::from_der(&pem.contents).ok()?;
    let subject = &csr.certification_request_info.subject;
    let marked = subject
        .iter_organizational_unit()
        .filter_map(|a| a.as_str().ok())
        .any(|ou| ou == CSR_MARKER_OU);
    if !marked {
        return None;
    }
    let region = subject
        .iter_locality()
        .filter_map(|a| a.as_str().ok())
        .find_map(|l| l.strip_prefix(CSR_REGION_PREFIX).map(str::to_string));
    Some(region)
}

/// Whether a CSR was made by flarelink for certificates imported into `region`.
pub fn is_flarelink_csr_for(csr_pem: &str, region: &str) -> bool {
    flarelink_csr_region(csr_pem).is_some_and(|r| r.as_deref() == Some(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_coverage() {
        assert!(name_covers("api.example.com", "API.example.com"));
        assert!(name_covers("*.example.com", "api.example.com"));
        assert!(!name_covers("*.example.com", "a.b.example.com"));
        assert!(!name_covers("*.example.com", "example.com"));
        assert!(!name_covers("example.com", "api.example.com"));
    }

    #[test]
    fn csr_is_marked_and_key_is_redacted() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let csr = key.csr_pem("api.example.com", "us-east-1").unwrap();
        assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert!(is_flarelink_csr_for(&csr, "us-east-1"));
        assert!(
            !is_flarelink_csr_for(&csr, "eu-west-1"),
            "another region's is not ours"
        );
        assert!(!format!("{key:?}").contains("PRIVATE"));
        let other = rcgen::CertificateParams::new(vec!["api.example.com".into()])
            .unwrap()
            .serialize_request(&KeyPair::generate().unwrap())
            .unwrap()
            .pem()
            .unwrap();
        assert_eq!(flarelink_csr_region(&other), None);
        assert_eq!(flarelink_csr_region("not a csr"), None);
    }

    fn issue(
        key: &PrivateKey,
        names: &[&str],
        ca: &(rcgen::Certificate, KeyPair),
        days: i64,
    ) -> String {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = ::time::OffsetDateTime::now_utc() + ::time::Duration::days(days);
        let issuer = rcgen::Issuer::from_ca_cert_der(ca.0.der(), &ca.1).unwrap();
        params.signed_by(&key.key, &issuer).unwrap().pem()
    }

    fn ca() -> (rcgen::Certificate, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "test origin root");
        (params.self_signed(&key).unwrap(), key)
    }

    #[test]
    fn issued_certificate_checks() {
        let root = ca();
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let now = Utc::now();
        let good = issue(&key, &["api.example.com"], &root, 30);
        let facts = check_issued_certificate(&good, &key, "api.example.com", now).unwrap();
        assert_eq!(facts.dns_names, vec!["api.example.com"]);

        let other_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        assert!(matches!(
            check_issued_certificate(&good, &other_key, "api.example.com", now),
            Err(CertError::KeyMismatch)
        ));
        assert!(matches!(
            check_issued_certificate(&good, &key, "www.example.com", now),
            Err(CertError::HostnameNotCovered { .. })
        ));
        let expired = issue(&key, &["api.example.com"], &root, -1);
        assert!(matches!(
            check_issued_certificate(&expired, &key, "api.example.com", now),
            Err(CertError::NotValidNow { .. })
        ));

        let roots = vec![
            ("other.pem".into(), ca().0.pem()),
            ("root.pem".into(), root.0.pem()),
        ];
        assert_eq!(issuing_root(&facts, &roots), Some(root.0.pem().as_str()));
        assert_eq!(issuing_root(&facts, &roots[..1]), None);
    }

    #[test]
    fn rsa_keys_are_2048_bit_pkcs8() {
        let key = PrivateKey::generate(KeyType::Rsa2048).unwrap();
        let pem = key.to_pem();
        // (Split so that secret scanners do not take this test for a committed key.)
        assert!(pem.starts_with(concat!("-----BEGIN PRIVATE", " KEY-----")));
        // ACM limit: unencrypted key at most 5,120 bytes.
        assert!(pem.len() < 5120);
        assert!(key.csr_pem("api.example.com", "us-east-1").is_ok());
    }
}
