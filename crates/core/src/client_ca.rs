//! The origin lock's client identity, made locally with rcgen: per client certificate a fresh CA
//! (CA:true, keyCertSign) signs one leaf client certificate (clientAuth). The CA's private key
//! is dropped as soon as the leaf is signed, so it never leaves this process's memory and no
//! other certificate can ever be signed by it; the CA certificate is what the API Gateway
//! truststore trusts. The leaf's key goes to Cloudflare only (as a `PrivateKeyPem`).
//!
//! How flarelink recognises its own client certificate later: the leaf's subject is
//! `CN=<hostname>, OU=flarelink-managed`, and it is issued by a CA whose common name starts with
//! [`CA_CN_PREFIX`] and the hostname. The CA certificate is uploaded to Cloudflare after the
//! leaf (as its chain), so it can always be read back from there.

use chrono::{DateTime, Duration, TimeZone, Utc};
use flarelink_cloudflare::PrivateKeyPem;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use x509_parser::prelude::*;

use crate::certs::CertError;
use crate::ownership::CSR_MARKER_OU;

/// The start of the client CA's common name: `flarelink origin-lock CA <hostname> <id>`.
pub const CA_CN_PREFIX: &str = "flarelink origin-lock CA";
/// How long a client certificate (and its CA) is valid.
pub const VALIDITY_DAYS: i64 = 365;

/// A new client identity: the CA certificate (no key any more), the leaf and the leaf's key.
pub struct ClientIdentity {
    pub ca_pem: String,
    pub leaf_pem: String,
    pub leaf_key: PrivateKeyPem,
    pub not_after: DateTime<Utc>,
}

fn offset(t: DateTime<Utc>) -> ::time::OffsetDateTime {
    ::time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(::time::OffsetDateTime::UNIX_EPOCH)
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f).max(0x10);
    SerialNumber::from_slice(&bytes)
}

fn gen_err(e: rcgen::Error) -> CertError {
    CertError::KeyGeneration("ecdsa-p256", e.to_string())
}

/// Makes a CA and the one leaf it signs for `hostname`, valid from an hour ago for
/// [`VALIDITY_DAYS`]. ECDSA P-256 (API Gateway's truststore accepts it; fast to make).
pub fn make(hostname: &str, now: DateTime<Utc>) -> Result<ClientIdentity, CertError> {
    make_keeping(hostname, now, false).map(|(id, _)| id)
}

/// [`make`], and with `keep` the CA's private key too (for `--keep-client-ca` only).
pub fn make_keeping(
    hostname: &str,
    now: DateTime<Utc>,
    keep: bool,
) -> Result<(ClientIdentity, Option<PrivateKeyPem>), CertError> {
    let not_before = now - Duration::hours(1);
    let not_after = now + Duration::days(VALIDITY_DAYS);
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let mut ca = CertificateParams::default();
    let id: [u8; 4] = rand::random();
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationalUnitName, CSR_MARKER_OU);
    dn.push(
        DnType::CommonName,
        format!("{CA_CN_PREFIX} {hostname} {id}"),
    );
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = offset(not_before);
    ca.not_after = offset(not_after);
    ca.serial_number = Some(random_serial());
    let ca_pem = ca.self_signed(&ca_key).map_err(gen_err)?.pem();
    let kept = keep.then(|| PrivateKeyPem::new(ca_key.serialize_pem()));
    // The issuer owns the CA key from here and is dropped at the end of this function.
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let mut leaf = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationalUnitName, CSR_MARKER_OU);
    dn.push(DnType::CommonName, hostname);
    leaf.distinguished_name = dn;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = offset(not_before);
    leaf.not_after = offset(not_after);
    leaf.serial_number = Some(random_serial());
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).map_err(gen_err)?.pem();
    drop(issuer);
    Ok((
        ClientIdentity {
            ca_pem,
            leaf_pem,
            leaf_key: PrivateKeyPem::new(leaf_key.serialize_pem()),
            not_after,
        },
        kept,
    ))
}

/// Writes the kept CA key to `path`: a new file (never an existing one) with mode 0600, which
/// the user asked for with `--keep-client-ca`.
pub fn keep_ca_key(path: &std::path::Path, key: &PrivateKeyPem) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key.expose().as_bytes())?;
    file.sync_all()
}

/// The PEM certificates of `text`, each re-encoded as its own PEM block, in order.
pub fn pem_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    // Hand-split rather than parsed: only the block boundaries matter here, and the blocks are
    // parsed with x509-parser where their content matters.
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            current.clear();
        }
        current.push_str(line);
        current.push('\n');
        if line == "-----END CERTIFICATE-----" {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

/// What flarelink reads from a certificate: its subject's CN and OU, its issuer's CN, expiry.
struct Names {
    cn: Option<String>,
    ou: Option<String>,
    issuer_cn: Option<String>,
    is_ca: bool,
    not_after: DateTime<Utc>,
}

fn names(pem_text: &str) -> Option<Names> {
    let (_, pem) = parse_x509_pem(pem_text.trim_start().as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    let attr = |n: &X509Name<'_>, oid: &x509_parser::der_parser::oid::Oid<'_>| {
        n.iter_by_oid(oid)
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_string)
    };
    Some(Names {
        cn: attr(
            cert.subject(),
            &x509_parser::oid_registry::OID_X509_COMMON_NAME,
        ),
        ou: attr(
            cert.subject(),
            &x509_parser::oid_registry::OID_X509_ORGANIZATIONAL_UNIT,
        ),
        issuer_cn: attr(
            cert.issuer(),
            &x509_parser::oid_registry::OID_X509_COMMON_NAME,
        ),
        is_ca: cert.is_ca(),
        not_after: Utc
            .timestamp_opt(cert.validity().not_after.timestamp(), 0)
            .single()
            .unwrap_or_default(),
    })
}

fn ca_cn_prefix(hostname: &str) -> String {
    format!("{CA_CN_PREFIX} {hostname} ")
}

/// Whether `pem` (as Cloudflare keeps an upload: the leaf first) is flarelink's client
/// certificate for `hostname`.
pub fn is_flarelinks(pem: &str, hostname: &str) -> bool {
    let Some(leaf) = pem_blocks(pem).first().and_then(|b| names(b)) else {
        return false;
    };
    leaf.cn.as_deref() == Some(hostname)
        && leaf.ou.as_deref() == Some(CSR_MARKER_OU)
        && leaf
            .issuer_cn
            .is_some_and(|i| i.starts_with(&ca_cn_prefix(hostname)))
}

/// The CA certificate uploaded after flarelink's leaf (`pem` as Cloudflare keeps it): the
/// block whose subject CN is the leaf's issuer CN.
pub fn ca_of(pem: &str) -> Option<String> {
    let blocks = pem_blocks(pem);
    let issuer = names(blocks.first()?)?.issuer_cn?;
    blocks
        .iter()
        .skip(1)
        .find(|b| names(b).is_some_and(|n| n.is_ca && n.cn.as_deref() == Some(issuer.as_str())))
        .cloned()
}

/// The leaf's expiry.
pub fn not_after(pem: &str) -> Option<DateTime<Utc>> {
    names(pem_blocks(pem).first()?).map(|n| n.not_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_identity_is_recognised_and_its_ca_read_back_from_the_upload() {
        let id = make("api.example.com", Utc::now()).unwrap();
        let upload = format!("{}{}", id.leaf_pem, id.ca_pem);
        assert!(is_flarelinks(&upload, "api.example.com"));
        assert!(!is_flarelinks(&upload, "www.example.com"));
        assert_eq!(
            ca_of(&upload).unwrap().trim(),
            id.ca_pem.trim(),
            "the CA is found after the leaf"
        );
        assert!(id.leaf_key.expose().contains("PRIVATE KEY"));
        let left = not_after(&upload).unwrap() - Utc::now();
        assert!(left > Duration::days(364), "{left}");
    }

    #[test]
    fn a_certificate_without_flarelinks_marks_is_not_flarelinks() {
        let id = make("api.example.com", Utc::now()).unwrap();
        // The CA alone (no leaf first), and garbage, are not flarelink's client certificate.
        assert!(!is_flarelinks(&id.ca_pem, "api.example.com"));
        assert!(!is_flarelinks("not a pem", "api.example.com"));
        let two = make("api.example.com", Utc::now()).unwrap();
        assert_ne!(id.ca_pem, two.ca_pem, "every identity has its own CA");
    }
}
