//! Rotation in place: a new Origin CA certificate re-imported into the ACM certificate ARN the
//! custom domain already serves (`flarelink rotate-cert`, and `link-domain` once the served
//! certificate is inside its renewal window). The custom domain keeps its certificate ARN, so no
//! UpdateDomainName (1 per 30 s per account) is spent and there is no moment without a valid
//! certificate: the ARN serves the old certificate until ACM swaps in the new one.
//!
//! The writes, in order, and what a crash after each leaves for the next run:
//! 1. a new key (same type and size: ACM refuses a change on re-import) and CSR, and a new
//!    origin certificate — an orphan if the run dies here (no ACM certificate names it by tag
//!    or serves its serial), revoked by the next run;
//! 2. ImportCertificate with the existing CertificateArn (the SDK's retry off; after a lost
//!    answer the ARN's current certificate is read: its serial says whether it happened) — if
//!    the run dies here the tag still names the old origin certificate, but the ARN serves the
//!    new one's serial, which wins (`acm_import::reconcile`): the next run re-tags the ARN and
//!    revokes the old origin certificate, and never takes the live one for an orphan;
//! 3. AddTagsToCertificate: the ownership tag names the new origin certificate (ACM accepts
//!    no tags on a re-import);
//! 4. revoke the old origin certificate, once the ARN is read back serving the new one and no
//!    other ACM certificate names it — if the run dies before, the old one is an orphan.
//!
//! A key-type change (the configured `key_type` differs from the served certificate's) cannot
//! be re-imported: it takes the path of a new certificate — a new ACM certificate and the
//! custom domain switched to it — and the reports say so.

use chrono::{DateTime, Utc};
use flarelink_aws::SecretPem;

use crate::config::{CertificateSpec, Domain};
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::step_context::{HostOutcome, StepContext};
use crate::steps::acm_import::{
    self, acm_key_algorithm, certificate_serial, inside_renewal_window, CertificatePlan,
    ManagedCertificate,
};
use crate::steps::origin_cert::{self, KeyInTheMaking};
use crate::write_once::{create_once, WriteError};

/// When a rotation is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `link-domain`: once the served certificate is inside its renewal window.
    Due,
    /// `rotate-cert`: now, whatever the window.
    Now,
}

/// A rotation decided for the certificate a hostname's custom domain serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// Re-import a new certificate into this flarelink certificate's ARN.
    InPlace(ManagedCertificate),
    /// The configured key type differs from the served certificate's (ACM's name `from`): a new
    /// ACM certificate and a domain switch (the path of a first link).
    KeyTypeChange {
        arn: String,
        from: String,
        to: &'static str,
    },
}

/// Decide (pure): the rotation of the flarelink certificate the custom domain serves
/// (`in_use`), if one is due. `None`: no flarelink certificate is served, or it is not due.
pub fn decide(
    managed: &[ManagedCertificate],
    in_use: Option<&str>,
    spec: &CertificateSpec,
    now: DateTime<Utc>,
    when: When,
) -> Option<Rotation> {
    let current = managed.iter().find(|c| Some(c.arn.as_str()) == in_use)?;
    let wanted = acm_key_algorithm(spec.key_type);
    if let Some(from) = current.key_algorithm.as_deref().filter(|k| *k != wanted) {
        return Some(Rotation::KeyTypeChange {
            arn: current.arn.clone(),
            from: from.to_string(),
            to: wanted,
        });
    }
    // A certificate that does not cover the hostname (or that ACM calls failed or revoked) is
    // replaced by a new one, as before: re-importing would not repair what it is for.
    let rotatable = current.covers
        && current
            .status
            .as_deref()
            .is_none_or(|s| s == "ISSUED" || s == "EXPIRED");
    let due = when == When::Now || inside_renewal_window(current, spec, now);
    (rotatable && due).then(|| Rotation::InPlace(current.clone()))
}

/// `rotate-cert`'s precondition: the hostname's custom domain serves a flarelink certificate.
pub fn require_served(
    rotation: Option<&Rotation>,
    hostname: &str,
    in_use: Option<&str>,
) -> Result<(), Error> {
    if rotation.is_some() {
        return Ok(());
    }
    let message = match in_use {
        None => "the hostname has no API Gateway custom domain serving a certificate".to_string(),
        Some(arn) => format!(
            "the custom domain serves {arn}, which is not a flarelink certificate for this hostname that can be re-imported"
        ),
    };
    Err(Error::Precondition {
        step: StepId::AcmImport,
        hostname: hostname.into(),
        message,
        fix: format!("run `flarelink link-domain --hostname {hostname}` first"),
    })
}

/// The line that says a key-type change takes the path of a new certificate.
pub fn key_type_note(plan: &CertificatePlan) -> Option<String> {
    match &plan.rotation {
        Some(Rotation::KeyTypeChange { arn, from, to }) => Some(format!(
            "key type changes ({from} → {to}): ACM cannot change the key type of {arn} on re-import, so a new ACM certificate is imported and the custom domain switched to it"
        )),
        _ => None,
    }
}

fn expires(c: &ManagedCertificate) -> String {
    c.not_after
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "(expiry unknown)".into())
}

/// The plan's two lines for an in-place rotation (dry-run).
pub fn planned_reports(
    plan: &CertificatePlan,
    domain: &Domain,
    current: &ManagedCertificate,
) -> [StepReport; 2] {
    let h = Some(domain.hostname.as_str());
    let spec = &domain.certificate;
    let mut origin = StepReport::new(
        StepId::OriginCert,
        h,
        Action::Create,
        format!(
            "issue a new Origin CA certificate ({}, {} days) for a new key, to rotate {} in place",
            spec.key_type.as_str(),
            spec.validity_days,
            current.arn
        ),
    )
    .detail(format!(
        "the served certificate expires {}; renewal window {} day(s)",
        expires(current),
        spec.renewal_window(current.not_before, current.not_after)
            .num_days()
    ));
    if !plan.orphans.is_empty() {
        origin = origin.detail(format!(
            "revoke orphaned origin certificate(s) {} (issued by an interrupted run; their key is gone)",
            plan.orphans.join(", ")
        ));
    }
    let mut acm = StepReport::new(
        StepId::AcmImport,
        h,
        Action::Change,
        format!(
            "re-import the new certificate into {} (same ARN: the custom domain keeps it, no UpdateDomainName)",
            current.arn
        ),
    )
    .detail("then tag it with the new origin certificate's id");
    if let Some(old) = &current.origin_cert_id {
        acm = acm.detail(format!(
            "then revoke the old origin certificate {old} once the ARN serves the new one"
        ));
    }
    [origin, acm]
}

/// Apply an in-place rotation: issue, re-import, re-tag, revoke the old origin certificate.
/// `origin` is the origin-cert report so far (orphans revoked before). The two reports join
/// `steps`; the crash points are after the issue (`origin-cert`) and after the re-import, before
/// the tag update (`acm-import`).
pub async fn apply(
    cx: &StepContext<'_>,
    domain: &Domain,
    plan: &CertificatePlan,
    current: &ManagedCertificate,
    key: Option<KeyInTheMaking>,
    mut origin: StepReport,
    out: &mut HostOutcome,
) -> Result<(), Error> {
    let (clouds, config, settle, attempts) = (cx.clouds, cx.config, cx.settle, cx.attempts);
    let HostOutcome {
        steps,
        summary,
        warnings,
    } = out;
    let h = domain.hostname.as_str();
    let aws = clouds.aws()?;
    let arn = current.arn.as_str();

    // 1. The new origin certificate, for a new key of the configured (= served) type.
    let issued = origin_cert::issue_new(cx, domain, key).await?;
    let new_id = issued.certificate.id.clone();
    let new_serial = certificate_serial(&issued.certificate.certificate);
    origin.action = Action::Create;
    origin.summary = format!(
        "{}, to rotate {arn} in place",
        origin_cert::issued_summary(&issued)
    );
    origin.applied = true;
    summary.cloudflare_certificate_id = Some(new_id.clone());
    settle.step(origin, steps)?;

    // 2. Re-import into the same ARN. Sent once; after a lost answer, the ARN's current
    // certificate tells whether ACM took it.
    let (chain, warning) = acm_import::chain_for(&issued, config, h, "re-imported");
    warnings.extend(warning);
    settle.begin(
        StepId::AcmImport,
        Some(h),
        &format!("re-importing the new certificate into {arn}"),
    );
    let key_pem = SecretPem::new(issued.key.to_pem());
    let serves_new = || async {
        let body = aws.acm.certificate_body(arn).await?;
        Ok::<_, flarelink_aws::Error>(
            (body.as_deref().and_then(certificate_serial) == new_serial && new_serial.is_some())
                .then_some(()),
        )
    };
    let reimported = create_once(
        attempts,
        WriteError::outcome,
        || {
            aws.acm
                .reimport_certificate(arn, &issued.certificate.certificate, &key_pem, chain)
        },
        serves_new,
    )
    .await;
    drop(key_pem);
    if let Err(e) = reimported {
        // The key dies with this process: if ACM surely refused the certificate, it is
        // useless now. Otherwise the next run matches the ARN's serial and finishes.
        if acm_import::surely_not_imported(&e) {
            let _ = clouds.cloudflare.revoke_origin_certificate(&new_id).await;
        }
        return Err(e).step(StepId::AcmImport, h);
    }
    settle.crash_point(StepId::AcmImport, true)?;

    // 3. The ownership tag names the new origin certificate.
    acm_import::retag(&aws.acm, arn, h, &new_id)
        .await
        .step(StepId::AcmImport, h)?;
    let mut acm = StepReport::new(
        StepId::AcmImport,
        Some(h),
        Action::Change,
        format!("re-imported a new certificate into {arn} (same ARN: the custom domain keeps it)"),
    )
    .detail(format!("tagged with origin certificate {new_id}"));
    acm.applied = true;

    // 4. The old origin certificate, once the ARN is read back serving the new one.
    if let Some(old) = current.origin_cert_id.as_deref().filter(|o| *o != new_id) {
        let served_new = serves_new().await.step(StepId::AcmImport, h)?.is_some();
        if !served_new {
            warnings.push(format!(
                "{h}: ACM does not yet show {arn} serving the new certificate; origin certificate {old} stays live. Finish with `flarelink link-domain --hostname {h}`"
            ));
        } else if plan.served.named_elsewhere(old, arn) {
            acm = acm.detail(format!(
                "kept origin certificate {old}: another ACM certificate names it"
            ));
        } else {
            settle.begin(
                StepId::AcmImport,
                Some(h),
                &format!("revoking the old origin certificate {old}"),
            );
            clouds
                .cloudflare
                .revoke_origin_certificate(old)
                .await
                .step(StepId::OriginCert, h)?;
            acm = acm.detail(format!("revoked the old origin certificate {old}"));
        }
    }
    summary.certificate_arn = Some(arn.to_string());
    settle.step(acm, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeyType;
    use chrono::Duration;

    fn spec(renew_before_days: Option<u32>) -> CertificateSpec {
        CertificateSpec {
            key_type: KeyType::Rsa2048,
            validity_days: 365,
            renew_before_days,
            source: crate::config::CertificateSource::OriginCa,
            validation_timeout_seconds: crate::config::DEFAULT_VALIDATION_TIMEOUT_SECONDS,
        }
    }

    fn served(days_left: i64, lifetime_days: i64) -> ManagedCertificate {
        let now = Utc::now();
        ManagedCertificate {
            arn: "arn:aws:acm:us-east-1:123456789012:certificate/a".into(),
            origin_cert_id: Some("1".into()),
            not_before: Some(now + Duration::days(days_left - lifetime_days)),
            not_after: Some(now + Duration::days(days_left)),
            status: Some("ISSUED".into()),
            key_algorithm: Some("RSA_2048".into()),
            covers: true,
            in_use_by: vec![],
            serial: Some("1f".into()),
            stale_origin_tag: None,
        }
    }

    const ARN: Option<&str> = Some("arn:aws:acm:us-east-1:123456789012:certificate/a");

    #[test]
    fn a_served_certificate_inside_its_window_is_rotated_in_place() {
        let now = Utc::now();
        let c = served(20, 365);
        assert!(matches!(
            decide(std::slice::from_ref(&c), ARN, &spec(None), now, When::Due),
            Some(Rotation::InPlace(_))
        ));
        // Outside the window: nothing due in link-domain, but rotate-cert rotates.
        let fresh = served(299, 365);
        assert_eq!(
            decide(
                std::slice::from_ref(&fresh),
                ARN,
                &spec(None),
                now,
                When::Due
            ),
            None
        );
        assert!(matches!(
            decide(
                std::slice::from_ref(&fresh),
                ARN,
                &spec(None),
                now,
                When::Now
            ),
            Some(Rotation::InPlace(_))
        ));
        // A configured window.
        assert!(matches!(
            decide(
                std::slice::from_ref(&fresh),
                ARN,
                &spec(Some(300)),
                now,
                When::Due
            ),
            Some(Rotation::InPlace(_))
        ));
    }

    #[test]
    fn the_default_window_scales_so_a_fresh_short_certificate_is_not_due() {
        let now = Utc::now();
        let weekly = served(7, 7);
        let s = CertificateSpec {
            validity_days: 7,
            ..spec(None)
        };
        assert_eq!(
            decide(std::slice::from_ref(&weekly), ARN, &s, now, When::Due),
            None
        );
        let late = served(2, 7);
        assert!(decide(std::slice::from_ref(&late), ARN, &s, now, When::Due).is_some());
    }

    #[test]
    fn a_key_type_change_takes_the_new_certificate_path() {
        let now = Utc::now();
        let mut c = served(300, 365);
        c.key_algorithm = Some("EC_prime256v1".into());
        assert_eq!(
            decide(std::slice::from_ref(&c), ARN, &spec(None), now, When::Due),
            Some(Rotation::KeyTypeChange {
                arn: c.arn.clone(),
                from: "EC_prime256v1".into(),
                to: "RSA_2048"
            })
        );
    }

    #[test]
    fn nothing_to_rotate_without_a_served_flarelink_certificate() {
        let now = Utc::now();
        let c = served(1, 365);
        assert_eq!(
            decide(std::slice::from_ref(&c), None, &spec(None), now, When::Now),
            None
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&c),
                Some("arn:other"),
                &spec(None),
                now,
                When::Now
            ),
            None
        );
        assert!(require_served(None, "api.example.com", None).is_err());
    }

    /// The marks at every crash point of a rotation of ARN `a` from origin certificate 1
    /// (serial `1f`) to 2 (serial `2f`): the live origin certificate is never an orphan nor
    /// retired, the old one goes once the ARN serves the new one, and a stale tag is repaired.
    #[test]
    fn every_crash_point_leaves_marks_the_next_run_finishes_without_revoking_the_live_cert() {
        use crate::steps::acm_import::{reconcile, retirement, stale_tags, Served};
        use crate::steps::origin_cert::{orphans, ManagedOriginCert};
        const H: &str = "api.example.com";
        let arn = ARN.unwrap();
        let domain = flarelink_aws::DomainName {
            name: H.into(),
            regional_domain_name: None,
            regional_hosted_zone_id: None,
            regional_certificate_arn: Some(arn.into()),
            certificate_arn: None,
            endpoint_types: vec!["REGIONAL".into()],
            security_policy: None,
            status: None,
            tags: Default::default(),
        };
        // (crash point, serial the ARN serves, its tag, live origin certificates)
        let cases = [
            (
                "after the new origin certificate",
                "1f",
                "1",
                vec![("1", "1f"), ("2", "2f")],
            ),
            (
                "after the re-import",
                "2f",
                "1",
                vec![("1", "1f"), ("2", "2f")],
            ),
            (
                "after the tag update",
                "2f",
                "2",
                vec![("1", "1f"), ("2", "2f")],
            ),
            ("after the revoke", "2f", "2", vec![("2", "2f")]),
        ];
        for (point, serial, tag, live) in cases {
            let mut c = served(300, 365);
            c.serial = Some(serial.into());
            c.origin_cert_id = Some(tag.into());
            let mut managed = vec![(H.to_string(), c)];
            let mut by_arn = std::collections::BTreeMap::new();
            by_arn.insert(arn.to_string(), tag.to_string());
            let mut served_state = Served::new(std::slice::from_ref(&domain), by_arn);
            let live: Vec<(String, String)> = live
                .iter()
                .map(|(i, s)| (i.to_string(), s.to_string()))
                .collect();
            reconcile(&mut managed, &mut served_state, &live);
            let managed: Vec<ManagedCertificate> = managed.into_iter().map(|(_, c)| c).collect();
            let serving_id = if serial == "2f" { "2" } else { "1" };
            assert_eq!(
                managed[0].origin_cert_id.as_deref(),
                Some(serving_id),
                "{point}"
            );
            let origin: Vec<ManagedOriginCert> = live
                .iter()
                .map(|(id, _)| ManagedOriginCert {
                    id: id.clone(),
                    expires_on: None,
                })
                .collect();
            let orphaned = orphans(&origin, &managed);
            assert!(
                !orphaned.contains(&serving_id.to_string()),
                "{point}: the served origin certificate taken for an orphan: {orphaned:?}"
            );
            let other = if serving_id == "1" { "2" } else { "1" };
            let other_live = live.iter().any(|(id, _)| id == other);
            assert_eq!(
                orphaned,
                if other_live {
                    vec![other.to_string()]
                } else {
                    vec![]
                },
                "{point}"
            );
            let retire = retirement(&managed, Some(arn), H, &served_state);
            assert!(
                retire.delete.is_empty() && retire.revoke.is_empty(),
                "{point}: {retire:?}"
            );
            assert!(!served_state.named_elsewhere(serving_id, arn), "{point}");
            let plan = CertificatePlan {
                managed: managed.clone(),
                reuse: Some(managed[0].clone()),
                orphans: orphaned,
                served: served_state,
                rotation: None,
            };
            let stale: Vec<(String, String)> = stale_tags(&plan)
                .into_iter()
                .map(|(c, id)| (c.arn.clone(), id.to_string()))
                .collect();
            if point == "after the re-import" {
                assert_eq!(stale, vec![(arn.to_string(), "2".to_string())], "{point}");
            } else {
                assert!(stale.is_empty(), "{point}: {stale:?}");
            }
        }
    }

    #[test]
    fn serials_compare_whatever_the_notation() {
        use crate::steps::acm_import::normalise_serial;
        assert_eq!(normalise_serial("00:0F:ac:01"), "fac01");
        assert_eq!(normalise_serial("0fac01"), "fac01");
        assert_eq!(normalise_serial("00"), "0");
    }
}
