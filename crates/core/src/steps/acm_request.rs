//! Step 1 with `[domain.certificate] source = "acm"` — acm-request: a public certificate ACM
//! issues for the hostname, validated through DNS (step 2, `validation_record`), tagged as
//! flarelink's with the hostname in the RequestCertificate call itself. An issued (or still
//! pending) flarelink request for the hostname is reused instead of requesting another; ACM
//! renews what it issued, so an issued one is kept for as long as ACM says it is ISSUED.
//!
//! The run then waits, bounded by `validation_timeout_seconds`, until ACM has checked the
//! validation CNAMEs and issued the certificate, and only then lets the custom domain use it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use flarelink_aws::{Acm, Certificate};
use sha2::{Digest, Sha256};

use crate::config::Domain;
use crate::error::{Context, Error};
use crate::ownership;
use crate::report::{Action, StepId, StepReport};
use crate::run::Clouds;
use crate::settle::Settle;
use crate::step_context::StepContext;
use crate::steps::acm_import::{self, ManagedCertificate};
use crate::steps::validation_record::{self, ValidationPlan};
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::AcmRequest;

pub const ISSUED: &str = "ISSUED";
pub const PENDING: &str = "PENDING_VALIDATION";

/// How long to wait for ACM to fill in the validation records after RequestCertificate (AWS
/// documents they may be missing for a moment).
const RECORDS_WAIT: Duration = Duration::from_secs(60);

/// flarelink's ACM-issued certificates among a hostname's flarelink certificates: those that name
/// no origin certificate (every import of flarelink's is tagged with the one it carries).
pub fn requested(managed: &[ManagedCertificate]) -> Vec<ManagedCertificate> {
    managed
        .iter()
        .filter(|c| c.origin_cert_id.is_none())
        .cloned()
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestDecision {
    /// An issued flarelink certificate for the hostname: the custom domain uses it.
    Issued(ManagedCertificate),
    /// A flarelink request ACM has not issued yet: write its records and wait for it.
    Pending(ManagedCertificate),
    /// Nothing usable: request one. `salt` are the unusable requests' ARNs (failed, timed out),
    /// mixed into the idempotency token so ACM does not answer one of them again.
    Request { salt: Vec<String> },
}

impl RequestDecision {
    pub fn existing(&self) -> Option<&ManagedCertificate> {
        match self {
            RequestDecision::Issued(c) | RequestDecision::Pending(c) => Some(c),
            RequestDecision::Request { .. } => None,
        }
    }
}

/// Decide: the issued certificate the domain serves, else the issued one that lasts longest,
/// else a pending request (the oldest ARN, for a stable choice), else a new request.
pub fn decide(
    requested: &[ManagedCertificate],
    in_use: Option<&str>,
    now: DateTime<Utc>,
) -> RequestDecision {
    let issued = |c: &&ManagedCertificate| {
        c.covers && c.status.as_deref() == Some(ISSUED) && c.not_after.is_none_or(|t| t > now)
    };
    if let Some(c) = requested
        .iter()
        .filter(issued)
        .find(|c| Some(c.arn.as_str()) == in_use)
        .or_else(|| requested.iter().filter(issued).max_by_key(|c| c.not_after))
    {
        return RequestDecision::Issued(c.clone());
    }
    if let Some(c) = requested
        .iter()
        .filter(|c| c.status.as_deref() == Some(PENDING))
        .min_by(|a, b| a.arn.cmp(&b.arn))
    {
        return RequestDecision::Pending(c.clone());
    }
    let mut salt: Vec<String> = requested.iter().map(|c| c.arn.clone()).collect();
    salt.sort();
    RequestDecision::Request { salt }
}

/// The IdempotencyToken (ACM: `\w+`, at most 32 characters): derived from what the request
/// asks for, so a request repeated after a lost answer — by the SDK's retry, or a re-run within
/// ACM's one-hour window — names the certificate the first one made. `salt` tells apart a
/// request made because the earlier ones are unusable.
pub fn idempotency_token(hostname: &str, salt: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(b"flarelink acm-request v1\nDNS\n");
    h.update(hostname.as_bytes());
    for s in salt {
        h.update(b"\n");
        h.update(s.as_bytes());
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything the step found for one hostname before deciding.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The certificate to reuse or wait for, as DescribeCertificate tells it now.
    pub certificate: Option<Certificate>,
    /// The DNS records at each of its validation names (in the order of its records).
    pub records: Vec<Vec<flarelink_cloudflare::DnsRecord>>,
}

/// Discover: the reusable or pending certificate's validation records, and what Cloudflare has
/// at their names (so a refusal is decided before anything is written).
pub async fn discover(
    clouds: &Clouds,
    zone_id: &str,
    hostname: &str,
    decision: &RequestDecision,
) -> Result<Found, Error> {
    let Some(c) = decision.existing() else {
        return Ok(Found::default());
    };
    let certificate = clouds
        .aws()?
        .acm
        .describe_certificate(&c.arn)
        .await
        .step(STEP, hostname)?;
    let records = match &certificate {
        Some(cert) => {
            validation_record::discover(&clouds.cloudflare, zone_id, hostname, &wanted_names(cert))
                .await?
        }
        None => Vec::new(),
    };
    Ok(Found {
        certificate,
        records,
    })
}

fn wanted_names(cert: &Certificate) -> Vec<String> {
    validation_record::wanted(cert)
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// The step's plan for one hostname.
#[derive(Debug, Clone)]
pub struct AcmPlan {
    pub decision: RequestDecision,
    pub certificate: Option<Certificate>,
    /// Decided at planning when the certificate exists; `None`: after the request.
    pub validation: Option<ValidationPlan>,
    pub timeout: Duration,
}

/// Decide the plan from what was found. A refusal of the validation records stops the run
/// before anything is written.
pub fn plan(
    domain: &Domain,
    decision: RequestDecision,
    found: Found,
    force: bool,
) -> Result<AcmPlan, crate::steps::Refusal> {
    let h = domain.hostname.as_str();
    let validation = match &found.certificate {
        Some(cert) => Some(validation_record::decide(
            h,
            &validation_record::wanted(cert),
            &found.records,
            force,
        )?),
        None => None,
    };
    Ok(AcmPlan {
        decision,
        certificate: found.certificate,
        validation,
        timeout: Duration::from_secs(domain.certificate.validation_timeout_seconds.into()),
    })
}

/// The ARN the custom domain will serve, when already issued.
pub fn issued_arn(plan: &AcmPlan) -> Option<&str> {
    match &plan.decision {
        RequestDecision::Issued(c) => Some(c.arn.as_str()),
        _ => None,
    }
}

/// The reports of the plan: the request (or the certificate reused), then the validation
/// records and the wait.
pub fn report(plan: &AcmPlan, hostname: &str) -> Vec<StepReport> {
    let h = hostname;
    let request = match &plan.decision {
        RequestDecision::Issued(c) => StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!(
                "{} (ACM-issued, ISSUED{})",
                c.arn,
                c.not_after
                    .map(|t| format!(", expires {}", t.format("%Y-%m-%d")))
                    .unwrap_or_default()
            ),
        ),
        RequestDecision::Pending(c) => StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!("{} (ACM-issued, {PENDING})", c.arn),
        ),
        RequestDecision::Request { .. } => StepReport::new(
            STEP,
            Some(h),
            Action::Create,
            format!("request an ACM certificate for {h} (DNS validation), tagged as flarelink's"),
        ),
    };
    let mut validation = match &plan.validation {
        Some(v) => validation_record::report(h, v),
        None => StepReport::new(
            StepId::ValidationRecord,
            Some(h),
            Action::Create,
            "create the DNS-only validation CNAME(s) ACM names (known after step 1)",
        ),
    };
    if !matches!(plan.decision, RequestDecision::Issued(_)) {
        validation = validation.detail(format!(
            "then wait up to {} s for ACM to validate and issue the certificate",
            plan.timeout.as_secs()
        ));
    }
    vec![request, validation]
}

pub fn static_reports(d: &Domain) -> Vec<StepReport> {
    vec![
        StepReport::new(
            STEP,
            Some(&d.hostname),
            Action::Unknown,
            "an ACM-issued certificate for the hostname (DNS validation), tagged as flarelink's",
        ),
        StepReport::new(
            StepId::ValidationRecord,
            Some(&d.hostname),
            Action::Unknown,
            format!(
                "its DNS-only validation CNAME(s) in Cloudflare; then wait up to {} s for ACM to issue it",
                d.certificate.validation_timeout_seconds
            ),
        ),
    ]
}

/// Act: RequestCertificate. After an answer that leaves it unknown whether ACM acted, ACM is
/// searched for a flarelink request for the hostname that is not one of `salt`, and that one is
/// adopted; otherwise the request is sent again with the same token (ACM answers the same ARN to
/// it within an hour). An ARN ACM no longer knows (the token named a request deleted since) is
/// requested again with a token salted by it.
pub async fn request(
    acm: &Acm,
    hostname: &str,
    salt: &[String],
    max_attempts: u32,
) -> Result<(String, Certificate), flarelink_aws::Error> {
    let tags = ownership::domain_tags(hostname);
    let hostnames = [hostname.to_string()];
    let mut salt = salt.to_vec();
    loop {
        let token = idempotency_token(hostname, &salt);
        let known = salt.clone();
        let arn = create_once(
            max_attempts,
            WriteError::outcome,
            || acm.request_certificate(hostname, &token, &tags),
            || async {
                let inventory = acm_import::discover(acm, &hostnames).await?;
                let managed: Vec<ManagedCertificate> =
                    inventory.managed.into_iter().map(|(_, c)| c).collect();
                Ok(requested(&managed)
                    .into_iter()
                    .filter(|c| !known.contains(&c.arn))
                    .filter(|c| matches!(c.status.as_deref(), Some(PENDING) | Some(ISSUED)))
                    .map(|c| c.arn)
                    .min())
            },
        )
        .await?
        .into_inner();
        match acm.describe_certificate(&arn).await? {
            Some(c) => return Ok((arn, c)),
            None if !salt.contains(&arn) => salt.push(arn),
            None => {
                return Err(flarelink_aws::Error {
                    operation: "RequestCertificate",
                    kind: flarelink_aws::ErrorKind::Other,
                    code: None,
                    message: format!("ACM answered {arn}, which it does not know"),
                })
            }
        }
    }
}

/// Polls DescribeCertificate until every validation option carries its record.
pub(crate) async fn await_records(
    acm: &Acm,
    settle: Settle<'_>,
    hostname: &str,
    mut cert: Certificate,
) -> Result<Certificate, Error> {
    let started = Instant::now();
    let complete = |c: &Certificate| {
        !c.validation_records.is_empty() && c.validation_records.iter().all(|v| v.record.is_some())
    };
    while !complete(&cert) {
        if started.elapsed() > RECORDS_WAIT {
            return Err(Error::Precondition {
                step: STEP,
                hostname: hostname.into(),
                message: format!(
                    "ACM named no DNS validation record for {} within {} s",
                    cert.arn,
                    RECORDS_WAIT.as_secs()
                ),
                fix: "run `flarelink link-domain` again in a minute (it reuses the request)".into(),
            });
        }
        settle.begin(
            STEP,
            Some(hostname),
            &format!(
                "waiting for ACM to name the validation record of {}",
                cert.arn
            ),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        cert = acm
            .describe_certificate(&cert.arn)
            .await
            .step(STEP, hostname)?
            .ok_or_else(|| gone(&cert.arn, hostname))?;
    }
    Ok(cert)
}

fn gone(arn: &str, hostname: &str) -> Error {
    Error::Precondition {
        step: STEP,
        hostname: hostname.into(),
        message: format!("ACM no longer knows certificate {arn} (deleted meanwhile?)"),
        fix: "run `flarelink link-domain` again: it requests a new certificate".into(),
    }
}

/// Decide: what a status other than ISSUED or PENDING_VALIDATION means, and what to do.
pub fn not_issued(cert: &Certificate, hostname: &str) -> Error {
    let status = cert.status.as_deref().unwrap_or("(no status)");
    let reason = cert
        .failure_reason
        .as_deref()
        .map(|r| format!(" (FailureReason {r})"))
        .unwrap_or_default();
    let fix = match status {
        "VALIDATION_TIMED_OUT" => "ACM gave up after 72 hours without seeing the validation CNAME: check that it is in Cloudflare as DNS only (not proxied) and resolves publicly, then run `flarelink link-domain` again (it requests a new certificate)".to_string(),
        "FAILED" => format!("fix what the failure reason says (CAA_ERROR: allow amazon.com in the zone's CAA records; DOMAIN_NOT_ALLOWED or ADDITIONAL_VERIFICATION_REQUIRED: contact AWS Support), then run `flarelink link-domain` again (it requests a new certificate); or set source = \"origin-ca\" for {hostname}"),
        _ => "run `flarelink link-domain` again: it requests a new certificate".to_string(),
    };
    Error::Precondition {
        step: STEP,
        hostname: hostname.into(),
        message: format!("ACM did not issue {}: status {status}{reason}", cert.arn),
        fix,
    }
}

/// The pause before the next DescribeCertificate while waiting: 1 s, doubling to 15 s.
fn poll_interval(polls: u32) -> Duration {
    Duration::from_secs((1u64 << polls.min(4)).min(15))
}

/// Act: wait (at most `timeout`) until ACM has issued `cert`. Progress says how long it has
/// waited; a failed status or the end of the wait is an error naming the certificate, its
/// status and what to do. Returns the issued certificate and the seconds waited.
pub async fn wait_issued(
    acm: &Acm,
    settle: Settle<'_>,
    hostname: &str,
    mut cert: Certificate,
    timeout: Duration,
) -> Result<(Certificate, u64), Error> {
    let started = Instant::now();
    let mut polls = 0;
    loop {
        match cert.status.as_deref() {
            Some(ISSUED) => return Ok((cert, started.elapsed().as_secs())),
            Some(PENDING) => {}
            _ => return Err(not_issued(&cert, hostname)),
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::Precondition {
                step: STEP,
                hostname: hostname.into(),
                message: format!(
                    "ACM has not issued {} after {} s (status {PENDING}); the validation CNAME(s) are in Cloudflare",
                    cert.arn,
                    timeout.as_secs()
                ),
                fix: "ACM usually validates within minutes: run `flarelink link-domain` again later (it reuses this request and waits again), or raise [domain.certificate] validation_timeout_seconds".into(),
            });
        }
        settle.begin(
            STEP,
            Some(hostname),
            &format!(
                "waiting for ACM to validate and issue {}: {PENDING} after {} s (at most {} s)",
                cert.arn,
                waited.as_secs(),
                timeout.as_secs()
            ),
        );
        let pause = poll_interval(polls).min(timeout.saturating_sub(waited));
        polls += 1;
        tokio::time::sleep(pause.max(Duration::from_millis(100))).await;
        cert = acm
            .describe_certificate(&cert.arn)
            .await
            .step(STEP, hostname)?
            .ok_or_else(|| gone(&cert.arn, hostname))?;
    }
}

/// Apply steps 1 and 2 for an ACM-issued certificate: request (or reuse), write the validation
/// records, wait until issued. Returns the issued certificate's ARN for the custom domain.
pub async fn apply(
    cx: &StepContext<'_>,
    hostname: &str,
    plan: AcmPlan,
    steps: &mut Vec<StepReport>,
) -> Result<String, Error> {
    let (clouds, settle, max_attempts, force) = (cx.clouds, cx.settle, cx.attempts, cx.force);
    let zone_id = cx.zone().id.as_str();
    let h = hostname;
    let acm = &clouds.aws()?.acm;
    let reports = report(&plan, h);
    let mut request_report = reports[0].clone();
    let (cert, validation) = match (plan.decision.clone(), plan.certificate, plan.validation) {
        (RequestDecision::Issued(_) | RequestDecision::Pending(_), Some(cert), validation) => {
            (cert, validation)
        }
        (decision, _, _) => {
            // A new request; or the one found is gone since discovery: salt the token with it.
            let salt = match decision {
                RequestDecision::Request { salt } => salt,
                RequestDecision::Issued(c) | RequestDecision::Pending(c) => vec![c.arn],
            };
            settle.begin(STEP, Some(h), &request_report.summary);
            let (arn, cert) = request(acm, h, &salt, max_attempts).await.step(STEP, h)?;
            let cert = await_records(acm, settle, h, cert).await?;
            request_report = StepReport::new(
                STEP,
                Some(h),
                Action::Create,
                format!("requested {arn} (DNS validation), tagged as flarelink's"),
            );
            request_report.applied = true;
            (cert, None)
        }
    };
    settle.step(request_report, steps)?;
    // A new request's records are known only now: decide them now (a foreign record at the
    // name refuses here; the pending request stays and a later run reuses it).
    let validation = match validation {
        Some(v) => v,
        None => {
            let wanted = validation_record::wanted(&cert);
            let names: Vec<String> = wanted.iter().map(|r| r.name.clone()).collect();
            let found = validation_record::discover(&clouds.cloudflare, zone_id, h, &names).await?;
            validation_record::decide(h, &wanted, &found, force)
                .map_err(|r| crate::link::refused(StepId::ValidationRecord, h, r))?
        }
    };
    let mut r = validation_record::report(h, &validation);
    validation_record::apply(
        &clouds.cloudflare,
        settle,
        zone_id,
        h,
        &validation,
        &mut r,
        max_attempts,
    )
    .await?;
    let arn = cert.arn.clone();
    if cert.status.as_deref() != Some(ISSUED) {
        let (_, waited) = wait_issued(acm, settle, h, cert, plan.timeout).await?;
        r = r.detail(format!("ACM issued {arn} after {waited} s"));
        r.applied = true;
    }
    settle.step(r, steps)?;
    Ok(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(arn: &str, status: &str, days_left: i64) -> ManagedCertificate {
        ManagedCertificate {
            arn: arn.into(),
            origin_cert_id: None,
            not_before: Some(Utc::now() - chrono::Duration::days(1)),
            not_after: Some(Utc::now() + chrono::Duration::days(days_left)),
            status: Some(status.into()),
            key_algorithm: Some("RSA_2048".into()),
            covers: true,
            in_use_by: vec![],
            serial: None,
            stale_origin_tag: None,
        }
    }

    #[test]
    fn an_issued_request_is_reused_the_served_one_first_then_a_pending_one() {
        let now = Utc::now();
        let (a, b) = (cert("a", ISSUED, 100), cert("b", ISSUED, 300));
        let p = cert("p", PENDING, 390);
        let all = [a.clone(), b.clone(), p.clone()];
        assert_eq!(decide(&all, None, now), RequestDecision::Issued(b.clone()));
        assert_eq!(decide(&all, Some("a"), now), RequestDecision::Issued(a));
        assert_eq!(
            decide(std::slice::from_ref(&p), None, now),
            RequestDecision::Pending(p)
        );
    }

    #[test]
    fn failed_and_timed_out_requests_are_not_reused_and_salt_the_new_token() {
        let now = Utc::now();
        let failed = [
            cert("z", "FAILED", 390),
            cert("y", "VALIDATION_TIMED_OUT", 390),
        ];
        assert_eq!(
            decide(&failed, None, now),
            RequestDecision::Request {
                salt: vec!["y".into(), "z".into()]
            }
        );
        assert_eq!(
            decide(&[], None, now),
            RequestDecision::Request { salt: vec![] }
        );
        let mut imported_shape = cert("i", ISSUED, 300);
        imported_shape.covers = false;
        assert!(matches!(
            decide(&[imported_shape], None, now),
            RequestDecision::Request { .. }
        ));
    }

    #[test]
    fn the_token_is_stable_for_the_same_request_and_differs_by_hostname_and_salt() {
        let t = idempotency_token("api.example.com", &[]);
        assert_eq!(t, idempotency_token("api.example.com", &[]));
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(t, idempotency_token("www.example.com", &[]));
        assert_ne!(t, idempotency_token("api.example.com", &["arn:x".into()]));
    }

    #[test]
    fn only_certificates_naming_no_origin_certificate_count_as_requested() {
        let mut imported = cert("i", ISSUED, 300);
        imported.origin_cert_id = Some("7".into());
        let got = requested(&[imported, cert("r", PENDING, 300)]);
        assert_eq!(
            got.iter().map(|c| c.arn.as_str()).collect::<Vec<_>>(),
            vec!["r"]
        );
    }

    fn described(status: &str, reason: Option<&str>) -> Certificate {
        Certificate {
            arn: "arn:aws:acm:us-east-1:1:certificate/x".into(),
            domain_name: Some("api.example.com".into()),
            subject_alternative_names: vec![],
            not_before: None,
            not_after: None,
            status: Some(status.into()),
            certificate_type: Some("AMAZON_ISSUED".into()),
            in_use_by: vec![],
            key_algorithm: None,
            serial: None,
            failure_reason: reason.map(str::to_string),
            validation_records: vec![],
        }
    }

    #[test]
    fn a_failed_certificate_is_named_with_its_status_reason_and_what_to_do() {
        let e = not_issued(&described("FAILED", Some("CAA_ERROR")), "api.example.com");
        let Error::Precondition { message, fix, .. } = e else {
            panic!("{e:?}")
        };
        assert!(message.contains("certificate/x") && message.contains("FAILED"));
        assert!(message.contains("CAA_ERROR"), "{message}");
        assert!(fix.contains("CAA"), "{fix}");
        let e = not_issued(&described("VALIDATION_TIMED_OUT", None), "h");
        assert!(e.to_string().contains("VALIDATION_TIMED_OUT"), "{e}");
    }

    #[test]
    fn polling_backs_off_to_fifteen_seconds() {
        assert_eq!(poll_interval(0), Duration::from_secs(1));
        assert_eq!(poll_interval(3), Duration::from_secs(8));
        assert_eq!(poll_interval(9), Duration::from_secs(15));
    }
}
