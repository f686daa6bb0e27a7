//! Step 1 — origin-cert: a Cloudflare Origin CA certificate for the hostname, issued for a CSR
//! whose private key is generated here and never leaves the process except into ACM (step 2).
//!
//! Because the key lives only in memory, a certificate issued by a run that died before step 2
//! is useless: it is an orphan, recognised by its flarelink-marked CSR and by no flarelink ACM
//! certificate naming its id, and the next run revokes it.

use chrono::{DateTime, Utc};
use flarelink_cloudflare::{
    CloudflareClient, NewOriginCertificate, OriginCertificate, OriginRequestType,
};

use crate::certs::{is_flarelink_csr_for, PrivateKey};
use crate::config::{CertificateSpec, KeyType};
use crate::steps::acm_import::ManagedCertificate;
use crate::write_once::{create_once, WriteError};

/// A live origin certificate that flarelink issued for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedOriginCert {
    pub id: String,
    pub expires_on: Option<DateTime<Utc>>,
}

/// Discover: the zone's origin certificates that flarelink issued for `hostname`, for ACM in
/// `region`.
pub fn managed_for(
    all: &[OriginCertificate],
    hostname: &str,
    region: &str,
) -> Vec<ManagedOriginCert> {
    all.iter()
        .filter(|c| c.revoked_at.is_none())
        .filter(|c| c.hostnames.iter().any(|h| h.eq_ignore_ascii_case(hostname)))
        .filter(|c| {
            c.csr
                .as_deref()
                .is_some_and(|csr| is_flarelink_csr_for(csr, region))
        })
        .map(|c| ManagedOriginCert {
            id: c.id.clone(),
            expires_on: c.expires_on,
        })
        .collect()
}

/// Decide: flarelink origin certificates that no flarelink ACM certificate refers to. Their
/// private key died with the run that requested them, so nothing can ever use them.
pub fn orphans(origin: &[ManagedOriginCert], acm: &[ManagedCertificate]) -> Vec<String> {
    origin
        .iter()
        .filter(|o| {
            !acm.iter()
                .any(|a| a.origin_cert_id.as_deref() == Some(o.id.as_str()))
        })
        .map(|o| o.id.clone())
        .collect()
}

/// Decide: after a create whose answer was lost, the live certificate Cloudflare issued for
/// exactly the CSR that was sent (a fresh key's CSR: nothing else has it). The key is still in
/// memory, so that certificate is as good as the answer.
pub fn issued_for_csr<'a>(
    all: &'a [OriginCertificate],
    csr: &str,
) -> Option<&'a OriginCertificate> {
    let wanted = pem_body(csr);
    all.iter()
        .filter(|c| c.revoked_at.is_none())
        .find(|c| c.csr.as_deref().map(pem_body).as_deref() == Some(wanted.as_str()))
}

/// A PEM's content without line breaks or surrounding space (Cloudflare may re-wrap lines).
fn pem_body(pem: &str) -> String {
    pem.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Act: a new key, its CSR, and Cloudflare's signature on it. After an answer that leaves it
/// unknown whether Cloudflare issued it, the zone's certificates are searched for one issued
/// for this CSR and it is adopted; the request is sent again only when there is none.
pub async fn issue(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    hostname: &str,
    region: &str,
    spec: &CertificateSpec,
    max_attempts: u32,
) -> Result<(PrivateKey, OriginCertificate), IssueError> {
    // RSA key generation takes tens of milliseconds; keep it off the async workers.
    let key_type = spec.key_type;
    let key = tokio::task::spawn_blocking(move || PrivateKey::generate(key_type))
        .await
        .expect("key generation does not panic")
        .map_err(IssueError::Certificate)?;
    let csr = key
        .csr_pem(hostname, region)
        .map_err(IssueError::Certificate)?;
    let request = NewOriginCertificate {
        csr,
        hostnames: vec![hostname.to_string()],
        request_type: match spec.key_type {
            KeyType::Rsa2048 => OriginRequestType::OriginRsa,
            KeyType::EcdsaP256 => OriginRequestType::OriginEcc,
        },
        requested_validity_days: spec.validity_days,
    };
    let issued = create_once(
        max_attempts,
        WriteError::outcome,
        || cloudflare.create_origin_certificate(&request),
        || async {
            let all = cloudflare.list_origin_certificates(zone_id).await?;
            Ok(issued_for_csr(&all, &request.csr).cloned())
        },
    )
    .await
    .map_err(IssueError::Cloudflare)?;
    Ok((key, issued.into_inner()))
}

#[derive(Debug)]
pub enum IssueError {
    Certificate(crate::certs::CertError),
    Cloudflare(flarelink_cloudflare::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acm(origin: Option<&str>) -> ManagedCertificate {
        ManagedCertificate {
            arn: "arn:aws:acm:us-east-1:123456789012:certificate/x".into(),
            origin_cert_id: origin.map(str::to_string),
            not_before: None,
            not_after: None,
            status: Some("ISSUED".into()),
            key_algorithm: None,
            covers: true,
            in_use_by: vec![],
        }
    }

    #[test]
    fn orphans_are_origin_certs_no_acm_certificate_names() {
        let origin = vec![
            ManagedOriginCert {
                id: "1".into(),
                expires_on: None,
            },
            ManagedOriginCert {
                id: "2".into(),
                expires_on: None,
            },
        ];
        assert_eq!(orphans(&origin, &[acm(Some("1"))]), vec!["2".to_string()]);
        assert_eq!(
            orphans(&origin, &[acm(Some("1")), acm(Some("2"))]),
            Vec::<String>::new()
        );
        assert_eq!(orphans(&origin, &[acm(None)]).len(), 2);
    }

    #[test]
    fn a_lost_issue_is_found_by_its_csr_whatever_the_line_wrapping() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let csr = key.csr_pem("api.example.com", "us-east-1").unwrap();
        let other = PrivateKey::generate(KeyType::EcdsaP256)
            .unwrap()
            .csr_pem("api.example.com", "us-east-1")
            .unwrap();
        let cert = |id: &str, csr: &str, revoked: bool| OriginCertificate {
            id: id.into(),
            certificate: String::new(),
            hostnames: vec!["api.example.com".into()],
            expires_on: None,
            request_type: None,
            requested_validity_days: None,
            csr: Some(csr.to_string()),
            revoked_at: revoked.then(|| "2026-01-01".to_string()),
        };
        let rewrapped = csr.replace('\n', "\r\n");
        let all = vec![
            cert("1", &other, false),
            cert("2", &csr, true),
            cert("3", &rewrapped, false),
        ];
        assert_eq!(issued_for_csr(&all, &csr).map(|c| c.id.as_str()), Some("3"));
        assert!(
            issued_for_csr(&all[..2], &csr).is_none(),
            "revoked or other CSR"
        );
    }

    #[test]
    fn only_marked_live_certificates_for_the_hostname_count() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let marked = key.csr_pem("api.example.com", "us-east-1").unwrap();
        let elsewhere = key.csr_pem("api.example.com", "eu-west-1").unwrap();
        let cert = |id: &str, host: &str, csr: Option<&str>, revoked: bool| OriginCertificate {
            id: id.into(),
            certificate: String::new(),
            hostnames: vec![host.into()],
            expires_on: None,
            request_type: None,
            requested_validity_days: None,
            csr: csr.map(str::to_string),
            revoked_at: revoked.then(|| "2026-01-01".to_string()),
        };
        let all = vec![
            cert("1", "api.example.com", Some(&marked), false),
            cert("2", "api.example.com", None, false),
            cert("3", "www.example.com", Some(&marked), false),
            cert("4", "api.example.com", Some(&marked), true),
            cert("5", "api.example.com", Some(&elsewhere), false),
        ];
        let ids: Vec<_> = managed_for(&all, "api.example.com", "us-east-1")
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, vec!["1"]);
    }
}
