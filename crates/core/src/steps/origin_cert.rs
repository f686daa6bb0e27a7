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

use crate::certs::{self, is_flarelink_csr_for, CertificateFacts, PrivateKey};
use crate::config::{CertificateSpec, Domain, KeyType};
use crate::error::{Context, Error};
pub use crate::keys::KeyInTheMaking;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::step_context::StepContext;
use crate::steps::acm_import::{CertificatePlan, ManagedCertificate};
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::OriginCert;

/// A live origin certificate that flarelink issued for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedOriginCert {
    pub id: String,
    pub expires_on: Option<DateTime<Utc>>,
}

/// Discover: every origin certificate of the zone (one list serves every hostname).
pub async fn discover(
    cloudflare: &CloudflareClient,
    zone_id: &str,
) -> Result<Vec<OriginCertificate>, flarelink_cloudflare::Error> {
    cloudflare.list_origin_certificates(zone_id).await
}

/// The zone's origin certificates that flarelink issued for `hostname`, for ACM in `region`.
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

/// The `(id, serial)` of every live flarelink origin certificate of `region` (any hostname), for
/// matching ACM certificates to the origin certificate they serve (`acm_import::reconcile`).
pub fn live_serials(all: &[OriginCertificate], region: &str) -> Vec<(String, String)> {
    all.iter()
        .filter(|c| c.revoked_at.is_none())
        .filter(|c| {
            c.csr
                .as_deref()
                .is_some_and(|csr| is_flarelink_csr_for(csr, region))
        })
        .filter_map(|c| {
            crate::steps::acm_import::certificate_serial(&c.certificate).map(|s| (c.id.clone(), s))
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

/// The report of the plan: reuse (`exists`, or `change` when orphans are revoked) or issue.
pub fn report(plan: &CertificatePlan, domain: &Domain) -> StepReport {
    let h = Some(domain.hostname.as_str());
    let spec = &domain.certificate;
    let mut origin = match &plan.reuse {
        Some(c) => StepReport::new(
            STEP,
            h,
            Action::Exists,
            format!(
                "origin certificate {} in use",
                c.origin_cert_id.as_deref().unwrap_or("(id unknown)")
            ),
        ),
        None => StepReport::new(
            STEP,
            h,
            Action::Create,
            format!(
                "issue an Origin CA certificate ({}, {} days) for a CSR made locally",
                spec.key_type.as_str(),
                spec.validity_days
            ),
        )
        .detail(match plan.managed.len() {
            0 => "no flarelink certificate in ACM for this hostname".to_string(),
            n => format!("{n} flarelink certificate(s) in ACM, none outside its renewal window"),
        }),
    };
    if !plan.orphans.is_empty() {
        if origin.action == Action::Exists {
            origin.action = Action::Change;
        }
        origin = origin.detail(format!(
            "revoke orphaned origin certificate(s) {} (issued by an interrupted run; their key is gone)",
            plan.orphans.join(", ")
        ));
    }
    origin
}

/// The line of a dry-run that could not read live state.
pub fn static_report(d: &Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        format!(
            "an Origin CA certificate for {} ({}, {} days), issued for a locally made CSR",
            d.hostname,
            d.certificate.key_type.as_str(),
            d.certificate.validity_days
        ),
    )
}

/// A certificate Cloudflare issued in this run, checked against the key made for it.
pub struct Issued {
    pub key: PrivateKey,
    pub certificate: OriginCertificate,
    pub facts: CertificateFacts,
}

/// Apply: revoke the orphans, then (unless a certificate is reused) issue a new one for the key
/// made beside planning. Returns the report and what was issued.
pub async fn apply(
    cx: &StepContext<'_>,
    domain: &Domain,
    plan: &CertificatePlan,
    key: Option<KeyInTheMaking>,
) -> Result<(StepReport, Option<Issued>), Error> {
    let h = domain.hostname.as_str();
    let mut r = report(plan, domain);
    for id in &plan.orphans {
        cx.settle.begin(
            STEP,
            Some(h),
            &format!("revoking orphaned origin certificate {id}"),
        );
        cx.cloudflare()
            .revoke_origin_certificate(id)
            .await
            .step(STEP, h)?;
        r.applied = true;
    }
    if plan.reuse.is_some() {
        return Ok((r, None));
    }
    let issued = issue_new(cx, domain, key).await?;
    r.summary = issued_summary(&issued);
    r.applied = true;
    Ok((r, Some(issued)))
}

/// The report line of a certificate issued in this run.
pub fn issued_summary(issued: &Issued) -> String {
    format!(
        "issued origin certificate {} ({}, expires {})",
        issued.certificate.id,
        issued.key.key_type().as_str(),
        issued.facts.not_after.format("%Y-%m-%d")
    )
}

/// Act: a new Origin CA certificate for `key` (or a key made now), checked against the key, the
/// hostname and the clock; one that fails the check is revoked at once.
pub async fn issue_new(
    cx: &StepContext<'_>,
    domain: &Domain,
    key: Option<KeyInTheMaking>,
) -> Result<Issued, Error> {
    let (cloudflare, settle) = (cx.cloudflare(), cx.settle);
    let (zone_id, region) = (cx.zone().id.as_str(), cx.aws()?.region());
    let h = domain.hostname.as_str();
    settle.begin(
        STEP,
        Some(h),
        "requesting an Origin CA certificate from Cloudflare",
    );
    let key = match key {
        Some(k) => k,
        None => KeyInTheMaking::start(domain.certificate.key_type),
    };
    let certificate_error = |source| Error::Certificate {
        step: STEP,
        hostname: h.into(),
        source,
    };
    let key = key.ready().await.map_err(certificate_error)?;
    let certificate = issue(
        cloudflare,
        zone_id,
        cx.attempts,
        h,
        region,
        &domain.certificate,
        &key,
    )
    .await?;
    let facts = match certs::check_issued_certificate(&certificate.certificate, &key, h, Utc::now())
    {
        Ok(f) => f,
        Err(e) => {
            // Unusable: do not leave it behind.
            let _ = cloudflare.revoke_origin_certificate(&certificate.id).await;
            return Err(certificate_error(e));
        }
    };
    Ok(Issued {
        key,
        certificate,
        facts,
    })
}

/// The CSR for `key`, and Cloudflare's signature on it. After an answer that leaves it unknown
/// whether Cloudflare issued it, the zone's certificates are searched for one issued for this
/// CSR and it is adopted; the request is sent again only when there is none.
async fn issue(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    max_attempts: u32,
    hostname: &str,
    region: &str,
    spec: &CertificateSpec,
    key: &PrivateKey,
) -> Result<OriginCertificate, Error> {
    let csr = key
        .csr_pem(hostname, region)
        .map_err(|e| Error::Certificate {
            step: STEP,
            hostname: hostname.into(),
            source: e,
        })?;
    let request = NewOriginCertificate {
        csr,
        hostnames: vec![hostname.to_string()],
        request_type: match spec.key_type {
            KeyType::Rsa2048 => OriginRequestType::OriginRsa,
            KeyType::EcdsaP256 => OriginRequestType::OriginEcc,
        },
        requested_validity_days: spec.validity_days,
    };
    create_once(
        max_attempts,
        WriteError::outcome,
        || cloudflare.create_origin_certificate(&request),
        || async {
            let all = cloudflare.list_origin_certificates(zone_id).await?;
            Ok(issued_for_csr(&all, &request.csr).cloned())
        },
    )
    .await
    .map(|w| w.into_inner())
    .step(STEP, hostname)
}

/// Decide the removal (`unlink-domain`): flarelink origin certificates of this region that no
/// kept ACM certificate names (the deleted certificates' own are revoked once ACM let them go).
pub fn decide_removal(
    all: &[OriginCertificate],
    hostname: &str,
    region: &str,
    named_by_acm: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    managed_for(all, hostname, region)
        .into_iter()
        .map(|o| o.id)
        .filter(|id| !named_by_acm.contains(id))
        .collect()
}

/// The removal's report: what is (or would be) revoked.
pub fn removal_report(hostname: &str, revoke: &[String], kept_acm: bool) -> StepReport {
    let mut r = if revoke.is_empty() {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            "no flarelink origin certificate to revoke",
        )
    } else {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!("revoke origin certificate(s) {}", revoke.join(", ")),
        )
    };
    if kept_acm {
        r = r.detail("origin certificates behind kept ACM certificates stay valid");
    }
    r
}

/// Remove: revoke `ids`.
pub async fn remove(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    hostname: &str,
    ids: &[String],
) -> Result<(), Error> {
    for id in ids {
        settle.begin(
            STEP,
            Some(hostname),
            &format!("revoking origin certificate {id}"),
        );
        cloudflare
            .revoke_origin_certificate(id)
            .await
            .step(STEP, hostname)?;
    }
    Ok(())
}

/// What unlink reads to revoke (static plan).
pub fn static_removal_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        "revoke their Cloudflare origin certificates",
    )
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
            serial: None,
            stale_origin_tag: None,
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
}
