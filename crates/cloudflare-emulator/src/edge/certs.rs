//! The edge CA and the edge certificates it issues on the fly, one per hostname, when a TLS
//! client names (SNI) a hostname in one of the emulator's zones.
//!
//! Cloudflare's edge presents a certificate for every hostname of an active zone (Universal SSL
//! covers the apex and one level of subdomains; Advanced certificates cover more). Here any
//! hostname in a zone gets one, at any depth (approximation). A name in no zone (or no SNI at
//! all) gets no certificate: the edge's accept step (`edge::tls_handshake`) answers its
//! ClientHello with a `handshake_failure` alert — what a client meets at Cloudflare for a
//! hostname it has no certificate for. The edge CA is its own
//! root, distinct from the emulator's Origin CA: clients trust it with `--cacert`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::{CertifiedKey, SigningKey};

use crate::state::AppState;

/// The Common Name of the edge CA's root.
pub const EDGE_ROOT_COMMON_NAME: &str = "flarelink Cloudflare EMULATOR edge CA (not a real CA)";

pub struct EdgeCa {
    issuer: Issuer<'static, KeyPair>,
    root_pem: String,
    /// One key for every edge leaf: issuing stays a signature, not a key generation.
    leaf_key: KeyPair,
    leaf_signing_key: Arc<dyn SigningKey>,
    issued: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for EdgeCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeCa").finish_non_exhaustive()
    }
}

fn offset(dt: chrono::DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(dt.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f).max(0x10);
    SerialNumber::from_slice(&bytes)
}

impl EdgeCa {
    pub fn generate() -> Result<Self, String> {
        let err = |e: rcgen::Error| format!("generating the edge CA: {e}");
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let now = Utc::now();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "flarelink emulator");
        dn.push(DnType::CommonName, EDGE_ROOT_COMMON_NAME);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = offset(now - chrono::Duration::days(1));
        params.not_after = offset(now + chrono::Duration::days(3650));
        params.serial_number = Some(random_serial());
        let root_pem = params.self_signed(&key).map_err(err)?.pem();

        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let leaf_signing_key = rustls::crypto::ring::sign::any_supported_type(&der)
            .map_err(|e| format!("loading the edge key: {e}"))?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            root_pem,
            leaf_key,
            leaf_signing_key,
            issued: Mutex::new(HashMap::new()),
        })
    }

    /// The root certificate (PEM) that clients trust.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The certificate for `hostname`, issued the first time it is asked for.
    pub fn certified_key(&self, hostname: &str) -> Option<Arc<CertifiedKey>> {
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = issued.get(hostname) {
            return Some(k.clone());
        }
        let key = match self.issue(hostname) {
            Ok(k) => Arc::new(k),
            Err(e) => {
                tracing::warn!(hostname, error = %e, "edge certificate not issued");
                return None;
            }
        };
        issued.insert(hostname.to_string(), key.clone());
        Some(key)
    }

    fn issue(&self, hostname: &str) -> Result<CertifiedKey, rcgen::Error> {
        let now = Utc::now();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, hostname);
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::DnsName(hostname.to_string().try_into()?)];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = offset(now - chrono::Duration::hours(1));
        params.not_after = offset(now + chrono::Duration::days(90));
        params.serial_number = Some(random_serial());
        let cert = params.signed_by(&self.leaf_key, &self.issuer)?;
        Ok(CertifiedKey::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            self.leaf_signing_key.clone(),
        ))
    }
}

/// Picks the edge certificate by SNI: only hostnames in one of the emulator's zones get one.
#[derive(Debug)]
pub struct EdgeCertResolver {
    pub ca: Arc<EdgeCa>,
    pub state: Arc<AppState>,
}

impl ResolvesServerCert for EdgeCertResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let sni = client_hello
            .server_name()?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let in_zone = self.state.data().zone_for_host(&sni).is_some();
        if !in_zone {
            tracing::info!(sni, "edge: no certificate (hostname in no zone)");
            return None;
        }
        self.ca.certified_key(&sni)
    }
}
