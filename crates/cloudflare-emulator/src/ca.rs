//! The emulator's Origin CA: a root generated at start and issuance of real X.509 leaf
//! certificates from CSRs.
//!
//! Cloudflare's Origin CA has an RSA root (signs `origin-rsa`) and an ECC root (signs
//! `origin-ecc`). The emulator uses ONE ECDSA P-256 root for both request types (approximation):
//! the leaf carries the CSR's own key, RSA or EC, so the key type a client asked for is kept.
//! Subjects mimic Cloudflare's (`O=CloudFlare, Inc., OU=CloudFlare Origin SSL Certificate
//! Authority`), and the root's CN says plainly that it is the emulator's.

use chrono::{DateTime, TimeZone, Timelike, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// The Common Name of the emulator's root.
pub const ROOT_COMMON_NAME: &str = "flarelink Cloudflare EMULATOR Origin CA (not a real CA)";

/// Key type requested through `request_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `origin-rsa`: the CSR must carry an RSA key (at least 2048 bits).
    Rsa,
    /// `origin-ecc`: the CSR must carry an EC P-256 key.
    EcP256,
}

/// Why a CSR was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsrError {
    #[error("Failed to parse CSR: the value is not a PEM-encoded certificate request")]
    NotPem,
    #[error("Failed to parse CSR: {0}")]
    Unparsable(String),
    #[error("CSR signature is invalid: the request was not signed by the key it carries")]
    BadSignature,
    #[error("CSR key type does not match request_type: {0}")]
    WrongKeyType(String),
    #[error("Certificate signing failed: {0}")]
    Signing(String),
}

/// A freshly issued leaf certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The serial number, as a decimal string (Cloudflare's certificate id format).
    pub serial_decimal: String,
    pub pem: String,
    pub not_after: DateTime<Utc>,
}

pub struct EmulatorCa {
    issuer: Issuer<'static, KeyPair>,
    root_pem: String,
}

impl std::fmt::Debug for EmulatorCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the signing key.
        f.debug_struct("EmulatorCa").finish_non_exhaustive()
    }
}

fn to_offset(dt: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(dt.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn cloudflare_dn(ou: &str, cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "US");
    dn.push(DnType::OrganizationName, "CloudFlare, Inc.");
    dn.push(DnType::OrganizationalUnitName, ou);
    dn.push(DnType::LocalityName, "San Francisco");
    dn.push(DnType::StateOrProvinceName, "California");
    dn.push(DnType::CommonName, cn);
    dn
}

/// A random positive serial of 20 bytes (RFC 5280's maximum), first byte non-zero.
fn random_serial() -> Vec<u8> {
    let mut bytes: [u8; 20] = rand::random();
    bytes[0] = (bytes[0] & 0x7f).max(0x10);
    bytes.to_vec()
}

/// Big-endian unsigned bytes → decimal string.
pub fn bytes_to_decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

impl EmulatorCa {
    /// Generate a fresh root (ECDSA P-256), valid from a day ago for 25 years.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let now = Utc::now();
        let mut params = CertificateParams::default();
        params.distinguished_name = cloudflare_dn(
            "CloudFlare Origin SSL Certificate Authority",
            ROOT_COMMON_NAME,
        );
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = to_offset(now - chrono::Duration::days(1));
        params.not_after = to_offset(now + chrono::Duration::days(25 * 366));
        params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
        let cert = params.self_signed(&key)?;
        let root_pem = cert.pem();
        Ok(Self {
            issuer: Issuer::new(params, key),
            root_pem,
        })
    }

    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// Check a PEM CSR (parse, signature, key type) and issue a leaf for `hostnames`.
    /// The CSR's own subject and extensions are ignored, as Cloudflare does: the SANs are the
    /// requested hostnames.
    pub fn issue(
        &self,
        csr_pem: &str,
        kind: KeyKind,
        hostnames: &[String],
        validity_days: u32,
    ) -> Result<Issued, CsrError> {
        let spki_der = check_csr(csr_pem, kind)?;
        let spki = SubjectPublicKeyInfo::from_der(&spki_der)
            .map_err(|e| CsrError::Unparsable(format!("unsupported public key: {e}")))?;

        let now = Utc::now();
        let not_before = now
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now);
        let not_after = not_before + chrono::Duration::days(i64::from(validity_days));

        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "CloudFlare, Inc.");
        dn.push(DnType::OrganizationalUnitName, "CloudFlare Origin CA");
        dn.push(DnType::CommonName, "CloudFlare Origin Certificate");
        params.distinguished_name = dn;
        params.subject_alt_names = hostnames
            .iter()
            .map(|h| {
                h.clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|e| CsrError::Signing(format!("hostname {h}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        params.not_before = to_offset(not_before);
        params.not_after = to_offset(not_after);
        let serial = random_serial();
        params.serial_number = Some(SerialNumber::from_slice(&serial));

        let cert = params
            .signed_by(&spki, &self.issuer)
            .map_err(|e| CsrError::Signing(e.to_string()))?;
        Ok(Issued {
            serial_decimal: bytes_to_decimal(&serial),
            pem: cert.pem(),
            not_after: Utc
                .timestamp_opt(not_after.timestamp(), 0)
                .single()
                .unwrap_or(not_after),
        })
    }
}

/// Parse and verify a PEM CSR; return its SubjectPublicKeyInfo DER.
fn check_csr(csr_pem: &str, kind: KeyKind) -> Result<Vec<u8>, CsrError> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(csr_pem.trim().as_bytes())
        .map_err(|_| CsrError::NotPem)?;
    if pem.label != "CERTIFICATE REQUEST" && pem.label != "NEW CERTIFICATE REQUEST" {
        return Err(CsrError::NotPem);
    }
    let (rest, csr) = X509CertificationRequest::from_der(&pem.contents)
        .map_err(|e| CsrError::Unparsable(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CsrError::Unparsable(
            "trailing data after the request".into(),
        ));
    }
    csr.verify_signature().map_err(|_| CsrError::BadSignature)?;

    let spki = &csr.certification_request_info.subject_pki;
    let parsed = spki
        .parsed()
        .map_err(|e| CsrError::Unparsable(format!("public key: {e}")))?;
    match (kind, &parsed) {
        (KeyKind::Rsa, PublicKey::RSA(rsa)) => {
            if rsa.key_size() < 2048 {
                return Err(CsrError::WrongKeyType(format!(
                    "origin-rsa needs an RSA key of at least 2048 bits, got {}",
                    rsa.key_size()
                )));
            }
        }
        (KeyKind::EcP256, PublicKey::EC(_)) => {
            let curve_ok = spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY
                && spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .is_some_and(|oid| oid == OID_EC_P256);
            if !curve_ok {
                return Err(CsrError::WrongKeyType(
                    "origin-ecc needs an EC key on curve P-256".into(),
                ));
            }
        }
        (KeyKind::Rsa, _) => {
            return Err(CsrError::WrongKeyType(
                "origin-rsa needs a CSR with an RSA key".into(),
            ))
        }
        (KeyKind::EcP256, _) => {
            return Err(CsrError::WrongKeyType(
                "origin-ecc needs a CSR with an EC P-256 key".into(),
            ))
        }
    }
    Ok(spki.raw.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion() {
        assert_eq!(bytes_to_decimal(&[0]), "0");
        assert_eq!(bytes_to_decimal(&[1, 0]), "256");
        assert_eq!(bytes_to_decimal(&[0xff, 0xff]), "65535");
        assert_eq!(
            bytes_to_decimal(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            "18446744073709551616"
        );
    }
}
