//! Origin lock step 3 — domain-mtls: the custom domain's `mutualTlsAuthentication` points at the
//! truststore (URI + version), so API Gateway refuses a TLS client without a certificate that
//! chains to flarelink's client CA. API Gateway warns about the truststore
//! (`truststoreWarnings`); those become run warnings.
//!
//! A domain serving an imported certificate (`source = "origin-ca"`) needs an ACM-issued
//! ownership-verification certificate for mutual TLS. flarelink requests one (DNS validation,
//! its CNAME in Cloudflare as DNS only, as for `source = "acm"`), tagged
//! [`TAG_OWNERSHIP_OF`] — and not `flarelink:hostname`, so the serving-certificate steps never
//! take it for a serving certificate — and waits until ACM has issued it.

use std::collections::BTreeMap;
use std::time::Duration;

use flarelink_aws::{Acm, Certificate, DomainClientAuth};
use sha2::{Digest, Sha256};

use crate::config::DEFAULT_VALIDATION_TIMEOUT_SECONDS;
use crate::error::{Context, Error};
use crate::origin_lock::Ctx;
use crate::ownership::TAG_MANAGED;
use crate::report::{Action, StepId, StepReport};
use crate::run::Clouds;
use crate::steps::{acm_request, validation_record, Refusal};
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::DomainMtls;
pub const TAG_OWNERSHIP_OF: &str = "flarelink:ownership-of";

fn ownership_tags(hostname: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_OWNERSHIP_OF.to_string(), hostname.to_string()),
    ])
}

/// flarelink's ownership-verification certificates for `hostname` (any status).
pub async fn ownership_certificates(
    acm: &Acm,
    hostname: &str,
) -> Result<Vec<Certificate>, flarelink_aws::Error> {
    let mut out = Vec::new();
    for c in acm.list_certificates().await? {
        if c.domain_name.as_deref() != Some(hostname) {
            continue;
        }
        let tags = acm.certificate_tags(&c.arn).await?;
        if tags.get(TAG_MANAGED).map(String::as_str) == Some("true")
            && tags.get(TAG_OWNERSHIP_OF).map(String::as_str) == Some(hostname)
        {
            if let Some(d) = acm.describe_certificate(&c.arn).await? {
                out.push(d);
            }
        }
    }
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct Found {
    /// `None`: the custom domain does not exist (yet).
    pub domain: Option<DomainClientAuth>,
    pub needs_ownership: bool,
    pub ownership: Vec<Certificate>,
}

pub async fn discover(
    clouds: &Clouds,
    hostname: &str,
    needs_ownership: bool,
) -> Result<Found, Error> {
    let aws = clouds.aws()?;
    let h = hostname;
    let (domain, ownership) = tokio::try_join!(
        async { aws.apigateway.get_domain_client_auth(h).await.step(STEP, h) },
        async {
            if needs_ownership {
                ownership_certificates(&aws.acm, h).await.step(STEP, h)
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    Ok(Found {
        domain,
        needs_ownership,
        ownership,
    })
}

/// The ownership-verification certificate to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    NotNeeded,
    /// Issued (or pending: wait for it).
    Use(Box<Certificate>),
    Request,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub ownership: Ownership,
    /// The domain's truststore is flarelink's (or none): what to change is decided at apply
    /// time from the version the truststore step settles on.
    pub current_uri: Option<String>,
    pub current_version: Option<String>,
    pub current_owner: Option<String>,
    pub replaces_foreign: Option<String>,
}

fn usable(c: &Certificate) -> bool {
    matches!(
        c.status.as_deref(),
        Some(acm_request::ISSUED) | Some(acm_request::PENDING)
    )
}

/// Decide (pure): a domain whose mutual TLS points at a truststore flarelink did not write is
/// refused unless `force`.
pub fn decide(found: &Found, hostname: &str, ours: &str, force: bool) -> Result<Plan, Refusal> {
    let mtls = found.domain.as_ref().and_then(|d| d.mutual_tls.as_ref());
    let current_uri = mtls.map(|m| m.truststore_uri.clone());
    let mut replaces_foreign = None;
    if let Some(u) = current_uri.as_deref().filter(|u| *u != ours) {
        if !force {
            return Err(Refusal::new(
                format!("the custom domain {hostname} already requires client certificates from truststore {u}, which flarelink did not write"),
                format!("turn mutual TLS off on the domain (or point it at {ours} yourself), or pass --force to replace it with flarelink's truststore"),
            ));
        }
        replaces_foreign = Some(u.to_string());
    }
    let owner = found
        .domain
        .as_ref()
        .and_then(|d| d.ownership_verification_certificate_arn.clone());
    let ownership = if !found.needs_ownership {
        Ownership::NotNeeded
    } else {
        let issued = |c: &&Certificate| c.status.as_deref() == Some(acm_request::ISSUED);
        found
            .ownership
            .iter()
            .filter(issued)
            .find(|c| Some(&c.arn) == owner.as_ref())
            .or_else(|| found.ownership.iter().find(issued))
            .or_else(|| found.ownership.iter().find(|c| usable(c)))
            .cloned()
            .map(|c| Ownership::Use(Box::new(c)))
            .unwrap_or(Ownership::Request)
    };
    Ok(Plan {
        ownership,
        current_version: mtls.and_then(|m| m.truststore_version.clone()),
        current_uri,
        current_owner: owner,
        replaces_foreign,
    })
}

impl Plan {
    /// Whether applying with truststore `uri` at `version` changes anything.
    pub fn writes(&self, uri: &str, version: Option<&str>) -> bool {
        let owner_ok = match &self.ownership {
            Ownership::NotNeeded => true,
            Ownership::Use(c) => {
                c.status.as_deref() == Some(acm_request::ISSUED)
                    && self.current_owner.as_deref() == Some(c.arn.as_str())
            }
            Ownership::Request => false,
        };
        !(owner_ok
            && self.current_uri.as_deref() == Some(uri)
            && version.is_some()
            && self.current_version.as_deref() == version)
    }
}

pub fn report(hostname: &str, plan: &Plan, uri: &str, version: Option<&str>) -> StepReport {
    let h = hostname;
    let at = version
        .map(|v| format!(" (version {v})"))
        .unwrap_or_else(|| " (the version step 2 writes)".into());
    let mut r = if plan.writes(uri, version) {
        StepReport::new(
            STEP,
            Some(h),
            if plan.current_uri.is_none() {
                Action::Create
            } else {
                Action::Change
            },
            format!("require client certificates on custom domain {h}: truststore {uri}{at}"),
        )
    } else {
        StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!("custom domain {h} requires client certificates from {uri}{at}"),
        )
    };
    match &plan.ownership {
        Ownership::NotNeeded => {}
        Ownership::Use(c) if c.status.as_deref() == Some(acm_request::ISSUED) => {
            r = r.detail(format!(
                "ownership verification certificate {} (ACM-issued)",
                c.arn
            ));
        }
        Ownership::Use(c) => {
            r = r.detail(format!("wait for ACM to issue ownership verification certificate {} (at most {DEFAULT_VALIDATION_TIMEOUT_SECONDS} s)", c.arn));
        }
        Ownership::Request => {
            r = r.detail(format!("request an ACM certificate for {h} to prove ownership (API Gateway requires one beside an imported certificate; DNS validation CNAME in Cloudflare, wait at most {DEFAULT_VALIDATION_TIMEOUT_SECONDS} s)"));
        }
    }
    if let Some(u) = &plan.replaces_foreign {
        r = r.detail(format!(
            "--force: replaces truststore {u} (not flarelink's)"
        ));
    }
    r
}

/// The IdempotencyToken of the ownership certificate's request (its own namespace, so it never
/// names a `source = "acm"` serving certificate).
fn token(hostname: &str, salt: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(b"flarelink ownership-verification v1\n");
    h.update(hostname.as_bytes());
    for s in salt {
        h.update(b"\n");
        h.update(s.as_bytes());
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The ownership certificate, issued: requested (never twice after a lost answer: ACM is
/// searched by flarelink's tags first), its validation CNAME written, waited for.
async fn ensure_ownership(ctx: Ctx<'_>, plan: &Plan) -> Result<Option<(String, bool)>, Error> {
    let Ctx {
        clouds,
        settle,
        zone_id,
        hostname,
        attempts: max_attempts,
        force,
    } = ctx;
    let h = hostname;
    let acm = &clouds.aws()?.acm;
    let (mut cert, mut wrote) = match &plan.ownership {
        Ownership::NotNeeded => return Ok(None),
        Ownership::Use(c) => ((**c).clone(), false),
        Ownership::Request => {
            settle.begin(
                STEP,
                Some(h),
                "requesting the ownership verification certificate",
            );
            let tags = ownership_tags(h);
            let t = token(h, &[]);
            let arn = create_once(
                max_attempts,
                WriteError::outcome,
                || acm.request_certificate(h, &t, &tags),
                || async {
                    Ok(ownership_certificates(acm, h)
                        .await?
                        .into_iter()
                        .find(usable)
                        .map(|c| c.arn))
                },
            )
            .await
            .step(STEP, h)?
            .into_inner();
            let cert = acm
                .describe_certificate(&arn)
                .await
                .step(STEP, h)?
                .ok_or_else(|| Error::Precondition {
                    step: STEP,
                    hostname: h.into(),
                    message: format!("ACM answered {arn}, which it does not know"),
                    fix: "run `flarelink link-domain` again".into(),
                })?;
            (cert, true)
        }
    };
    if cert.status.as_deref() != Some(acm_request::ISSUED) {
        cert = acm_request::await_records(acm, settle, h, cert).await?;
        let wanted = validation_record::wanted(&cert);
        let names: Vec<String> = wanted.iter().map(|r| r.name.clone()).collect();
        let found = validation_record::discover(&clouds.cloudflare, zone_id, h, &names).await?;
        let records = validation_record::decide(h, &wanted, &found, force)
            .map_err(|r| crate::link::refused(StepId::ValidationRecord, h, r))?;
        let mut r = validation_record::report(h, &records);
        validation_record::apply(
            &clouds.cloudflare,
            settle,
            zone_id,
            h,
            &records,
            &mut r,
            max_attempts,
        )
        .await?;
        wrote |= r.applied;
        let timeout = Duration::from_secs(DEFAULT_VALIDATION_TIMEOUT_SECONDS.into());
        cert = acm_request::wait_issued(acm, settle, h, cert, timeout)
            .await?
            .0;
    }
    Ok(Some((cert.arn, wrote)))
}

/// Apply: the ownership certificate, then the domain's mutual TLS at `version`. Returns the
/// ownership certificate's ARN (if any).
pub async fn apply(
    ctx: Ctx<'_>,
    plan: &Plan,
    uri: &str,
    version: &str,
    report: &mut StepReport,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, Error> {
    let (settle, hostname) = (ctx.settle, ctx.hostname);
    let h = hostname;
    let apigw = &ctx.clouds.aws()?.apigateway;
    let owner = ensure_ownership(ctx, plan).await?;
    if owner.as_ref().is_some_and(|(_, wrote)| *wrote) {
        report.applied = true;
    }
    let owner = owner.map(|(arn, _)| arn);
    let after = if plan.current_uri.as_deref() != Some(uri) {
        settle.begin(STEP, Some(h), &format!("turning mutual TLS on for {h}"));
        Some(
            apigw
                .enable_domain_mutual_tls(h, uri, Some(version), owner.as_deref())
                .await
                .step(STEP, h)?,
        )
    } else {
        let mut last = None;
        if owner.is_some() && plan.current_owner != owner {
            let arn = owner.as_deref().expect("checked");
            last = Some(
                apigw
                    .set_domain_ownership_certificate(h, arn)
                    .await
                    .step(STEP, h)?,
            );
        }
        if plan.current_version.as_deref() != Some(version) {
            settle.begin(
                STEP,
                Some(h),
                &format!("pointing {h} at truststore version {version}"),
            );
            last = Some(
                apigw
                    .set_domain_truststore_version(h, version)
                    .await
                    .step(STEP, h)?,
            );
        }
        last
    };
    if let Some(after) = after {
        report.applied = true;
        if let Some(m) = &after.mutual_tls {
            warnings.extend(
                m.truststore_warnings
                    .iter()
                    .map(|w| format!("{h}: API Gateway warns about truststore {uri}: {w}")),
            );
        }
    }
    Ok(owner)
}

/// Turning off: whether the domain's mutual TLS is flarelink's (points at `ours`).
pub fn decide_removal(found: &Found, ours: &str) -> Result<bool, String> {
    match found.domain.as_ref().and_then(|d| d.mutual_tls.as_ref()) {
        None => Ok(false),
        Some(m) if m.truststore_uri == ours => Ok(true),
        Some(m) => Err(format!(
            "kept: the domain's truststore {} is not flarelink's",
            m.truststore_uri
        )),
    }
}

pub fn removal_report(hostname: &str, remove: &Result<bool, String>) -> StepReport {
    match remove {
        Ok(true) => StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!("turn mutual TLS off on custom domain {hostname} (API Gateway stops requiring the client certificate first)"),
        ),
        Ok(false) => StepReport::new(STEP, Some(hostname), Action::Skip, "the custom domain requires no client certificate"),
        Err(note) => StepReport::new(STEP, Some(hostname), Action::Skip, note.clone()),
    }
}

pub fn static_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        format!("custom domain {hostname} requires client certificates from the truststore (with an ACM-issued ownership certificate beside an imported one)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flarelink_aws::MutualTls;

    fn found(uri: Option<&str>) -> Found {
        Found {
            domain: Some(DomainClientAuth {
                name: "h".into(),
                mutual_tls: uri.map(|u| MutualTls {
                    truststore_uri: u.into(),
                    truststore_version: Some("v1".into()),
                    truststore_warnings: vec![],
                }),
                ownership_verification_certificate_arn: None,
            }),
            needs_ownership: false,
            ownership: vec![],
        }
    }

    #[test]
    fn a_foreign_truststore_is_refused_unless_forced_and_ours_converges() {
        assert!(decide(&found(Some("s3://x/y")), "h", "s3://ours/k", false).is_err());
        assert!(decide(&found(Some("s3://x/y")), "h", "s3://ours/k", true).is_ok());
        let plan = decide(&found(Some("s3://ours/k")), "h", "s3://ours/k", false).unwrap();
        assert!(!plan.writes("s3://ours/k", Some("v1")));
        assert!(plan.writes("s3://ours/k", Some("v2")));
        assert_eq!(
            decide_removal(&found(Some("s3://ours/k")), "s3://ours/k"),
            Ok(true)
        );
        assert!(decide_removal(&found(Some("s3://x/y")), "s3://ours/k").is_err());
    }

    #[test]
    fn an_imported_certificate_needs_an_ownership_certificate() {
        let mut f = found(None);
        f.needs_ownership = true;
        let plan = decide(&f, "h", "s3://ours/k", false).unwrap();
        assert_eq!(plan.ownership, Ownership::Request);
        assert!(plan.writes("s3://ours/k", Some("v1")));
    }
}
