//! Step 3 — custom-domain: a REGIONAL API Gateway custom domain named exactly as the hostname
//! (API Gateway routes by SNI and Host), TLS 1.2, serving the flarelink ACM certificate.
//! Regional, because Cloudflare is the CDN in front: an edge-optimized domain would add a
//! second CDN behind it.

use flarelink_aws::{ApiGateway, BasePathMapping, DomainName};

use super::{Pending, Refusal};
use crate::config::Domain;
use crate::error::{Context, Error};
use crate::ownership;
use crate::quota::DomainQuota;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::step_context::StepContext;
use crate::write_once::{create_once, WriteError, Written};

const STEP: StepId = StepId::CustomDomain;

/// Discover: the custom domain named as the hostname, if any.
pub async fn discover(
    apigateway: &ApiGateway,
    hostname: &str,
) -> Result<Option<DomainName>, Error> {
    apigateway
        .get_domain_name(hostname)
        .await
        .step(STEP, hostname)
}

/// Decide: after a CreateDomainName whose answer was lost, whether the domain found is the one
/// it made: flarelink's tags for this hostname (set in the create call). Its certificate may
/// differ only if something switched it since; the next run's decide settles that.
pub fn is_created_domain(found: &DomainName, hostname: &str) -> bool {
    found.name.eq_ignore_ascii_case(hostname) && ownership::is_managed_for(&found.tags, hostname)
}

/// Act: create the REGIONAL domain; after an unknown outcome, adopt the hostname's domain if it
/// carries flarelink's tags, or send again only when there is none.
pub async fn create(
    apigw: &ApiGateway,
    hostname: &str,
    certificate_arn: &str,
    max_attempts: u32,
) -> Result<Written<DomainName>, flarelink_aws::Error> {
    let tags = ownership::domain_tags(hostname);
    create_once(
        max_attempts,
        WriteError::outcome,
        || apigw.create_regional_domain_name(hostname, certificate_arn, &tags),
        || async {
            Ok(apigw
                .get_domain_name(hostname)
                .await?
                .filter(|d| is_created_domain(d, hostname)))
        },
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainDecision {
    /// Exists and serves the chosen certificate.
    Exists,
    Create,
    /// Exists; its certificate is replaced (rotation, or `--force` over a foreign one).
    UpdateCertificate {
        current: Option<String>,
    },
}

/// Decide. `chosen_arn` is `None` when step 2 will import a new certificate; `managed_arns`
/// are flarelink's certificates for this hostname.
pub fn decide(
    existing: Option<&DomainName>,
    chosen_arn: Option<&str>,
    managed_arns: &[String],
    force: bool,
) -> Result<DomainDecision, Refusal> {
    let Some(domain) = existing else {
        return Ok(DomainDecision::Create);
    };
    if !domain.endpoint_types.iter().any(|t| t == "REGIONAL") {
        return Err(Refusal::new(
            format!(
                "custom domain {} exists as {} (not REGIONAL); flarelink does not convert endpoint types",
                domain.name,
                domain.endpoint_types.join("/")
            ),
            "delete it in the API Gateway console (after moving its API mappings) or choose another hostname",
        ));
    }
    let current = domain.regional_certificate_arn.clone();
    if chosen_arn.is_some() && current.as_deref() == chosen_arn {
        return Ok(DomainDecision::Exists);
    }
    let ours = current
        .as_deref()
        .is_some_and(|c| managed_arns.iter().any(|m| m == c));
    if ours || force {
        return Ok(DomainDecision::UpdateCertificate { current });
    }
    Err(Refusal::new(
        format!(
            "custom domain {} already exists with certificate {} that flarelink did not import",
            domain.name,
            current.as_deref().unwrap_or("(none)")
        ),
        "pass --force to switch it to flarelink's certificate, or remove the domain yourself",
    ))
}

/// The report: what exists, or what will be (or was) done with the certificate `cert` (known, or
/// the one step 2 imports). `retire` are the plan lines of certificates the switch supersedes.
pub fn report(
    hostname: &str,
    decision: &DomainDecision,
    existing: Option<&DomainName>,
    cert: &Pending<String>,
    retire: Vec<String>,
) -> StepReport {
    let h = hostname;
    let cert = match cert {
        Pending::Known(arn) => arn.clone(),
        Pending::AfterStep(step) => format!("the certificate from step {}", step.number()),
    };
    let mut r = match decision {
        DomainDecision::Exists => StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!(
                "{h} → {}",
                existing
                    .and_then(|d| d.regional_domain_name.clone())
                    .unwrap_or_default()
            ),
        ),
        DomainDecision::Create => StepReport::new(
            STEP,
            Some(h),
            Action::Create,
            format!("create REGIONAL custom domain {h} (TLS 1.2) with {cert}"),
        ),
        DomainDecision::UpdateCertificate { current } => StepReport::new(
            STEP,
            Some(h),
            Action::Change,
            format!("switch custom domain {h} to {cert}"),
        )
        .detail(format!(
            "certificate before: {}",
            current.as_deref().unwrap_or("(none)")
        )),
    };
    if !retire.is_empty() && r.action == Action::Exists {
        r.action = Action::Change;
    }
    r.details.extend(retire);
    r
}

pub fn static_report(d: &Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        format!("REGIONAL custom domain {} (TLS 1.2)", d.hostname),
    )
}

/// Apply: create the domain or switch its certificate to `arn` — one domain-name call, through
/// the run's quota gate. Returns the domain as API Gateway answered (`None`: nothing to do).
pub async fn apply(
    cx: &StepContext<'_>,
    hostname: &str,
    decision: &DomainDecision,
    arn: &str,
    report: &mut StepReport,
) -> Result<Option<DomainName>, Error> {
    let (apigateway, settle, max_attempts) = (&cx.aws()?.apigateway, cx.settle, cx.attempts);
    let h = hostname;
    let call = match decision {
        DomainDecision::Exists => return Ok(None),
        DomainDecision::Create | DomainDecision::UpdateCertificate { .. } => {
            settle.begin(STEP, Some(h), &report.summary);
            cx.quota.call(settle.progress, STEP, h, async {
                match decision {
                    DomainDecision::Create => create(apigateway, h, arn, max_attempts)
                        .await
                        .map(Written::into_inner),
                    _ => apigateway.set_domain_certificate(h, arn).await,
                }
            })
        }
    };
    let d = call.await.step(STEP, h)?;
    report.summary = format!(
        "{} → {}",
        report.summary,
        d.regional_domain_name.as_deref().unwrap_or("?")
    );
    report.applied = true;
    Ok(Some(d))
}

/// Decide the removal (`unlink-domain`): only a domain flarelink created (its tags) is deleted,
/// and only when no mapping flarelink did not make hangs off it (unless `--force`). `ours` is the
/// mapping step 4 removes. `Ok(true)`: delete; `Err(note)`: kept, and why.
pub fn decide_removal(
    existing: &DomainName,
    hostname: &str,
    mappings: &[BasePathMapping],
    ours: Option<&BasePathMapping>,
    force: bool,
) -> Result<(), String> {
    let tagged = ownership::is_managed_for(&existing.tags, hostname);
    let others: Vec<&BasePathMapping> = mappings
        .iter()
        .filter(|m| ours.is_none_or(|mine| mine.base_path != m.base_path))
        .collect();
    if !(tagged || force) {
        Err(format!(
            "custom domain {} was not created by flarelink (no flarelink tags); left alone (pass --force to delete it)",
            existing.name
        ))
    } else if !others.is_empty() && !force {
        Err(format!(
            "custom domain kept: it also has mapping(s) flarelink did not make ({}); pass --force to delete it with them",
            others.iter().map(|m| m.base_path.as_str()).collect::<Vec<_>>().join(", ")
        ))
    } else {
        Ok(())
    }
}

/// The removal's report: delete, or skip with the reason it is kept.
pub fn removal_report(hostname: &str, delete: bool, note: Option<&str>) -> StepReport {
    let mut r = if delete {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!("delete custom domain {hostname}"),
        )
    } else {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            "no flarelink custom domain",
        )
    };
    if let Some(n) = note {
        r.summary = n.to_string();
    }
    r
}

/// Remove: delete the domain (through the run's quota gate).
pub async fn remove(
    apigateway: &ApiGateway,
    quota: &DomainQuota,
    settle: Settle<'_>,
    hostname: &str,
    report: &StepReport,
) -> Result<(), Error> {
    settle.begin(STEP, Some(hostname), &report.summary);
    quota
        .call(
            settle.progress,
            STEP,
            hostname,
            apigateway.delete_domain_name(hostname),
        )
        .await
        .step(STEP, hostname)?;
    Ok(())
}

pub fn static_removal_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        "delete the custom domain, if flarelink created it and nothing else is mapped",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(types: &[&str], cert: Option<&str>) -> DomainName {
        DomainName {
            name: "api.example.com".into(),
            regional_domain_name: Some("d-1.execute-api.us-east-1.amazonaws.com".into()),
            regional_hosted_zone_id: None,
            regional_certificate_arn: cert.map(str::to_string),
            certificate_arn: None,
            endpoint_types: types.iter().map(|s| s.to_string()).collect(),
            security_policy: Some("TLS_1_2".into()),
            status: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn a_domain_is_created_switched_from_flarelink_certificates_and_refused_when_foreign_or_edge() {
        let ours = vec!["arn:ours".to_string(), "arn:old".to_string()];
        assert_eq!(decide(None, None, &ours, false), Ok(DomainDecision::Create));
        let d = domain(&["REGIONAL"], Some("arn:ours"));
        assert_eq!(
            decide(Some(&d), Some("arn:ours"), &ours, false),
            Ok(DomainDecision::Exists)
        );
        let d = domain(&["REGIONAL"], Some("arn:old"));
        assert!(matches!(
            decide(Some(&d), Some("arn:ours"), &ours, false),
            Ok(DomainDecision::UpdateCertificate { .. })
        ));
        assert!(matches!(
            decide(Some(&d), None, &ours, false),
            Ok(DomainDecision::UpdateCertificate { .. })
        ));
        let foreign = domain(&["REGIONAL"], Some("arn:theirs"));
        assert!(decide(Some(&foreign), Some("arn:ours"), &ours, false).is_err());
        assert!(decide(Some(&foreign), Some("arn:ours"), &ours, true).is_ok());
        let edge = domain(&["EDGE"], None);
        assert!(decide(Some(&edge), Some("arn:ours"), &ours, true).is_err());
    }

    #[test]
    fn a_lost_domain_create_is_adopted_only_with_flarelinks_tags_for_the_hostname() {
        let mut d = DomainName {
            name: "api.example.com".into(),
            regional_domain_name: None,
            regional_hosted_zone_id: None,
            regional_certificate_arn: Some("arn".into()),
            certificate_arn: None,
            endpoint_types: vec!["REGIONAL".into()],
            security_policy: None,
            status: None,
            tags: Default::default(),
        };
        assert!(!is_created_domain(&d, "api.example.com"));
        d.tags = ownership::domain_tags("api.example.com");
        assert!(is_created_domain(&d, "api.example.com"));
        d.tags = ownership::domain_tags("www.example.com");
        assert!(!is_created_domain(&d, "api.example.com"));
    }
}
