//! The origin lock (`[[domain]] origin_lock = "mtls"`): API Gateway answers only Cloudflare.
//! This module only orders its four steps (each in its module under `steps`) and says what each
//! needs from the one before; `link` calls [`plan`] before any write of the run (so a refusal
//! changes nothing) and [`apply`] after the hostnames' six steps; `unlink` calls [`remove`]
//! before it removes the custom domain, and [`remove_ownership`] after.
//!
//! On, per hostname, in this order (Cloudflare presents before API Gateway requires):
//! origin-pull-cert → truststore → domain-mtls → default-endpoint. Before the first write the
//! custom domain is tagged [`TAG_LOCK`], so that a later `origin_lock = "off"` knows there is a
//! lock of flarelink's to take off without reading anything more.
//!
//! Off, in the reverse, safe order: default-endpoint back on (only if flarelink turned it off)
//! → domain-mtls off (API Gateway stops requiring) → the Cloudflare association voided and
//! flarelink's client certificate deleted → the truststore object (and flarelink's bucket when
//! empty). The ownership-verification certificate goes only with the custom domain (unlink).
//!
//! Hostnames are locked one after another (not side by side): two may share a REST API, whose
//! default endpoint and redeploy are one.

use std::collections::BTreeMap;
use std::sync::Arc;

use flarelink_aws::DomainName;

use crate::config::{CertificateSource, Config, Domain, OriginLock};
use crate::error::{Context, Error};
use crate::link::refused;
use crate::report::{LockSummary, Progress, RunReport, StepId, StepReport};
use crate::run::{Clouds, RunOptions, Selection};
use crate::settle::Settle;
use crate::steps::{
    api_mapping, default_endpoint, domain_mtls, origin_pull_cert, truststore, validation_record,
    Pending,
};

/// What the lock steps' calls share for one hostname.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub clouds: &'a Clouds,
    pub settle: Settle<'a>,
    pub zone_id: &'a str,
    pub hostname: &'a str,
    /// Attempts per create (`retry.max_attempts`).
    pub attempts: u32,
    pub force: bool,
}

/// The custom domain's tag that says flarelink locked it.
pub const TAG_LOCK: &str = "flarelink:origin-lock";

/// Whether the run is `link-domain` (the lock is not part of the single-step commands).
pub fn selected(selection: &Selection) -> bool {
    StepId::ALL.iter().all(|s| selection.has(*s))
}

/// Whether a custom domain carries flarelink's lock mark.
pub fn marked(domain: Option<&DomainName>) -> bool {
    domain.is_some_and(|d| d.tags.contains_key(TAG_LOCK))
}

/// The truststore bucket of this run: `[aws] truststore_bucket`, else flarelink's.
fn bucket(config: &Config, clouds: &Clouds, zone_id: &str) -> Result<(String, bool), Error> {
    Ok(match &config.truststore_bucket {
        Some(b) => (b.clone(), true),
        None => (
            truststore::default_bucket(clouds.aws()?.region(), zone_id),
            false,
        ),
    })
}

/// Everything the four steps read for one hostname.
struct Found {
    pull: origin_pull_cert::Found,
    store: truststore::Found,
    mtls: domain_mtls::Found,
    endpoint: Option<default_endpoint::Found>,
}

async fn discover(
    config: &Config,
    clouds: &Clouds,
    zone_id: &str,
    domain: &Domain,
    on: bool,
) -> Result<Found, Error> {
    let h = domain.hostname.as_str();
    let aws = clouds.aws()?;
    let (b, configured) = bucket(config, clouds, zone_id)?;
    let needs_ownership = on && domain.certificate.source == CertificateSource::OriginCa;
    let endpoint = async {
        match api_mapping::discover_api(clouds, domain).await {
            Ok(api) => default_endpoint::discover(&aws.apigateway, api, h)
                .await
                .map(Some),
            // Turning off: an API that is gone has no endpoint to turn back on.
            Err(Error::Precondition { .. }) if !on => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (pull, store, mtls, endpoint) = tokio::try_join!(
        origin_pull_cert::discover(&clouds.cloudflare, zone_id, h),
        truststore::discover(&aws.s3, &b, configured, h),
        domain_mtls::discover(clouds, h, needs_ownership),
        endpoint,
    )?;
    Ok(Found {
        pull,
        store,
        mtls,
        endpoint,
    })
}

/// What one hostname's lock steps report, and its summary.
type Outcome = (Vec<StepReport>, LockSummary, Vec<String>);

/// Turning the lock on for one hostname: decide, and (with `write`) act and settle each step.
async fn lock_on(
    config: &Config,
    clouds: &Clouds,
    zone_id: &str,
    domain: &Domain,
    options: RunOptions,
    settle: Option<Settle<'_>>,
) -> Result<Outcome, Error> {
    let h = domain.hostname.as_str();
    let force = options.force;
    let found = discover(config, clouds, zone_id, domain, true).await?;
    let pull = origin_pull_cert::decide(&found.pull, h, force)
        .map_err(|r| refused(StepId::OriginPullCert, h, r))?;
    let known_ca = pull
        .certificate
        .as_ref()
        .and_then(|c| crate::client_ca::ca_of(&c.certificate));
    let store = truststore::decide(&found.store, known_ca.as_deref())?;
    let uri = truststore::uri(&store.bucket, h);
    let mtls = domain_mtls::decide(&found.mtls, h, &uri, force)
        .map_err(|r| refused(StepId::DomainMtls, h, r))?;
    let endpoint = found
        .endpoint
        .clone()
        .expect("turning on, the REST API was found (or discovery failed)");
    let ep_plan = default_endpoint::decide(&endpoint);
    let mut summary = LockSummary {
        origin_lock: Some(OriginLock::Mtls.as_str().into()),
        client_certificate_id: pull.certificate.as_ref().map(|c| c.id.clone()),
        client_certificate_expires: pull
            .certificate
            .as_ref()
            .and_then(|c| c.expires_on)
            .map(|t| t.to_rfc3339()),
        truststore_uri: Some(uri.clone()),
        truststore_version: store.version.clone(),
        ownership_certificate_arn: match &mtls.ownership {
            domain_mtls::Ownership::Use(c) => Some(c.arn.clone()),
            _ => None,
        },
        execute_api_endpoint_disabled: Some(endpoint.disabled),
    };
    // A client certificate in use that is due is rotated after the four steps have converged.
    let due = pull
        .certificate
        .clone()
        .filter(|c| origin_pull_cert::rotation_due(c, chrono::Utc::now()));
    // `--keep-client-ca` keeps only a CA made now: say so when none will be.
    let mut warnings = Vec::new();
    if let (Some(path), true) = (
        &config.keep_client_ca,
        pull.certificate.is_some() && due.is_none(),
    ) {
        warnings.push(format!(
            "--keep-client-ca: {h} keeps its client certificate, so no new client CA is made and nothing is written to {}",
            path.display()
        ));
    }
    let Some(settle) = settle else {
        let ca = match &known_ca {
            Some(c) => Pending::Known(c.clone()),
            None => Pending::AfterStep(StepId::OriginPullCert),
        };
        let steps = vec![
            origin_pull_cert::report(h, &pull),
            truststore::report(h, &store, &ca),
            domain_mtls::report(h, &mtls, &uri, store.version.as_deref()),
            default_endpoint::report(h, &domain.stage, &endpoint, ep_plan),
        ];
        let mut steps = steps;
        steps.extend(due.map(|c| origin_pull_cert::rotation_report(h, &c)));
        return Ok((steps, summary, warnings));
    };
    let attempts = config.retry.max_attempts;
    let aws = clouds.aws()?;
    let mut steps = Vec::new();

    // 1. Cloudflare presents (after the mark that lets a later "off" find the lock).
    let mut r = origin_pull_cert::report(h, &pull);
    if pull.writes() {
        aws.apigateway
            .tag_domain_name(
                aws.region(),
                h,
                &BTreeMap::from([(TAG_LOCK.to_string(), OriginLock::Mtls.as_str().to_string())]),
            )
            .await
            .step(StepId::OriginPullCert, h)?;
    }
    let keep = config.keep_client_ca.as_deref();
    let ctx = Ctx {
        clouds,
        settle,
        zone_id,
        hostname: h,
        attempts,
        force,
    };
    let presented = origin_pull_cert::apply(ctx, &pull, &mut r, keep).await?;
    // The key file holds at most one CA: the one made first in this run.
    let keep = keep.filter(|_| pull.certificate.is_some());
    summary.client_certificate_id = Some(presented.certificate.id.clone());
    summary.client_certificate_expires = presented.certificate.expires_on.map(|t| t.to_rfc3339());
    if r.applied {
        r.summary = format!(
            "Cloudflare presents flarelink's client certificate {} for {h}",
            presented.certificate.id
        );
    }
    settle.step(r, &mut steps)?;

    // 2. The truststore holds its CA.
    let store = truststore::decide(&found.store, Some(&presented.ca_pem))?;
    let mut r = truststore::report(h, &store, &Pending::Known(presented.ca_pem.clone()));
    let version = truststore::apply(
        &aws.s3,
        settle,
        h,
        &store,
        &presented.ca_pem,
        &mut r,
        attempts,
    )
    .await?;
    if r.applied {
        r.summary = format!("{uri} (version {version}) holds the client CA");
    }
    summary.truststore_version = Some(version.clone());
    settle.step(r, &mut steps)?;

    // 3. API Gateway requires it.
    let mut r = domain_mtls::report(h, &mtls, &uri, Some(&version));
    if mtls.writes(&uri, Some(&version)) {
        let owner = domain_mtls::apply(ctx, &mtls, &uri, &version, &mut r, &mut warnings).await?;
        if let Some(arn) = &owner {
            // The plan's "request …" / "wait …" detail, now that it is done.
            r.details
                .retain(|d| !(d.starts_with("request an ACM") || d.starts_with("wait for ACM")));
            r = r.detail(format!(
                "ownership verification certificate {arn} (ACM-issued, tagged as flarelink's)"
            ));
        }
        summary.ownership_certificate_arn = owner;
    }
    settle.step(r, &mut steps)?;

    // 4. The default endpoint off.
    let mut r = default_endpoint::report(h, &domain.stage, &endpoint, ep_plan);
    default_endpoint::apply(ctx, &domain.stage, &endpoint, ep_plan, &mut r).await?;
    summary.execute_api_endpoint_disabled = Some(true);
    settle.step(r, &mut steps)?;

    if due.is_some() {
        let (r, new, version) = rotate(ctx, &store.bucket, &presented, keep).await?;
        summary.client_certificate_id = Some(new.id.clone());
        summary.client_certificate_expires = new.expires_on.map(|t| t.to_rfc3339());
        summary.truststore_version = Some(version);
        settle.step(r, &mut steps)?;
    }
    Ok((steps, summary, warnings))
}

/// Rotates the client certificate with no moment without a working lock: a new CA and leaf →
/// the truststore trusts the old and the new CA (and the domain reads that version) → the new
/// leaf uploaded and active → the hostname associated with it (deployed) → the truststore trusts
/// only the new CA → the old certificate deleted. A run stopped anywhere converges on the next
/// (which keeps the certificate the hostname is associated with and rotates again).
async fn rotate(
    ctx: Ctx<'_>,
    bucket: &str,
    old: &origin_pull_cert::Presented,
    keep: Option<&std::path::Path>,
) -> Result<
    (
        StepReport,
        flarelink_cloudflare::HostnameClientCertificate,
        String,
    ),
    Error,
> {
    let Ctx {
        clouds,
        settle,
        zone_id,
        hostname,
        attempts,
        ..
    } = ctx;
    let h = hostname;
    let aws = clouds.aws()?;
    let cf = &clouds.cloudflare;
    let mut r = origin_pull_cert::rotation_report(h, &old.certificate);
    let identity = origin_pull_cert::make_identity(h, keep)?;
    let new_ca = identity.ca_pem.clone();
    let both = format!("{}\n{}\n", old.ca_pem.trim(), new_ca.trim());
    let v = truststore::put(&aws.s3, settle, h, bucket, &both, attempts).await?;
    aws.apigateway
        .set_domain_truststore_version(h, &v)
        .await
        .step(StepId::DomainMtls, h)?;
    let new = origin_pull_cert::upload(cf, settle, zone_id, h, identity, attempts).await?;
    let new = origin_pull_cert::wait_active(cf, settle, zone_id, h, &new.id).await?;
    origin_pull_cert::associate(cf, settle, zone_id, h, &new.id, true).await?;
    let v = truststore::put(&aws.s3, settle, h, bucket, &new_ca, attempts).await?;
    aws.apigateway
        .set_domain_truststore_version(h, &v)
        .await
        .step(StepId::DomainMtls, h)?;
    cf.delete_hostname_client_certificate(zone_id, &old.certificate.id)
        .await
        .step(StepId::OriginPullCert, h)?;
    r.applied = true;
    r = r.detail(format!(
        "now {} (truststore version {v} trusts only its CA); {} deleted",
        new.id, old.certificate.id
    ));
    Ok((r, new, v))
}

/// Turning the lock off for one hostname, in the safe order; `None` when there is nothing of
/// flarelink's lock (no lines then). `shared`: another hostname that keeps its lock uses the
/// same REST API.
async fn lock_off(
    config: &Config,
    clouds: &Clouds,
    zone_id: &str,
    domain: &Domain,
    shared: bool,
    settle: Option<Settle<'_>>,
) -> Result<Outcome, Error> {
    let h = domain.hostname.as_str();
    let found = discover(config, clouds, zone_id, domain, false).await?;
    let uri = truststore::uri(&found.store.bucket, h);
    let ep = found
        .endpoint
        .as_ref()
        .map(|e| default_endpoint::decide_removal(e, shared))
        .unwrap_or(Ok(false));
    let mtls = domain_mtls::decide_removal(&found.mtls, &uri);
    let pull = origin_pull_cert::decide_removal(&found.pull);
    let store = truststore::decide_removal(&found.store);
    let summary = LockSummary {
        origin_lock: Some(OriginLock::Off.as_str().into()),
        ..Default::default()
    };
    let reports = [
        default_endpoint::removal_report(h, &domain.stage, found.endpoint.as_ref(), &ep),
        domain_mtls::removal_report(h, &mtls),
        origin_pull_cert::removal_report(h, &pull),
        truststore::removal_report(h, &store),
    ];
    let Some(settle) = settle else {
        return Ok((reports.to_vec(), summary, Vec::new()));
    };
    let [mut r_ep, mut r_mtls, mut r_pull, mut r_store] = reports;
    let aws = clouds.aws()?;
    let mut steps = Vec::new();
    if let (Ok(true), Some(e)) = (&ep, &found.endpoint) {
        default_endpoint::remove(&aws.apigateway, settle, aws.region(), h, &domain.stage, e)
            .await?;
        r_ep.applied = true;
    }
    settle.step(r_ep, &mut steps)?;
    // API Gateway stops requiring the certificate before Cloudflare stops presenting it.
    if mtls == Ok(true) {
        settle.begin(StepId::DomainMtls, Some(h), "turning mutual TLS off");
        aws.apigateway
            .disable_domain_mutual_tls(h)
            .await
            .step(StepId::DomainMtls, h)?;
        r_mtls.applied = true;
    }
    settle.step(r_mtls, &mut steps)?;
    if !pull.is_empty() {
        origin_pull_cert::remove(&clouds.cloudflare, settle, zone_id, h, &pull).await?;
        r_pull.applied = true;
    }
    settle.step(r_pull, &mut steps)?;
    r_store.applied = truststore::remove(&aws.s3, settle, h, &store).await?;
    let changed = r_store.applied;
    settle.report(r_store, &mut steps);
    if found.mtls.domain.is_some() {
        aws.apigateway
            .untag_domain_name(aws.region(), h, &[TAG_LOCK.to_string()])
            .await
            .step(StepId::DomainMtls, h)?;
    }
    settle.crash_point(StepId::Truststore, changed)?;
    Ok((steps, summary, Vec::new()))
}

/// Whether a report list changes anything.
fn any_write(steps: &[StepReport]) -> bool {
    steps.iter().any(|s| s.action.is_write())
}

/// The lock steps of every configured hostname, as a plan (nothing written): refusals come out
/// here, before any write of the run. `marks[i]`: the i-th hostname's custom domain carries
/// [`TAG_LOCK`]. Hostnames with `origin_lock = "off"` and no mark get no lines.
pub async fn plan(
    config: &Config,
    clouds: &Clouds,
    options: RunOptions,
    marks: &[bool],
) -> Result<Vec<(String, Outcome)>, Error> {
    let mut out = Vec::new();
    for (i, d) in config.domains.iter().enumerate() {
        let h = d.hostname.clone();
        let zone_id = clouds.zone(config).await?.id;
        let outcome = match d.origin_lock {
            OriginLock::Mtls => lock_on(config, clouds, &zone_id, d, options, None).await?,
            OriginLock::Off if marks.get(i).copied().unwrap_or(false) => {
                let shared = shares_api(config, d);
                let o = lock_off(config, clouds, &zone_id, d, shared, None).await?;
                if !any_write(&o.0) {
                    continue;
                }
                o
            }
            OriginLock::Off => continue,
        };
        out.push((h, outcome));
    }
    Ok(out)
}

fn shares_api(config: &Config, d: &Domain) -> bool {
    config.domains.iter().any(|o| {
        o.hostname != d.hostname && o.origin_lock == OriginLock::Mtls && o.rest_api == d.rest_api
    })
}

/// Adds a plan's (or a run's) lines, summaries and warnings to the run's report.
pub fn add_to_report(outcomes: Vec<(String, Outcome)>, report: &mut RunReport) {
    for (h, (steps, summary, warnings)) in outcomes {
        report.steps.extend(steps);
        report.warnings.extend(warnings);
        if let Some(d) = report.domains.iter_mut().find(|d| d.hostname == h) {
            d.lock = summary;
        }
    }
}

/// Carries out the lock steps after the hostnames' six, one hostname after another.
pub async fn apply(
    config: &Config,
    clouds: &Clouds,
    options: RunOptions,
    marks: &[bool],
    progress: &dyn Progress,
) -> Result<Vec<(String, Outcome)>, Error> {
    let settle = Settle::new(progress, options.fault_after);
    let mut out = Vec::new();
    for (i, d) in config.domains.iter().enumerate() {
        let zone_id = clouds.zone(config).await?.id;
        let outcome = match d.origin_lock {
            OriginLock::Mtls => lock_on(config, clouds, &zone_id, d, options, Some(settle)).await?,
            OriginLock::Off if marks.get(i).copied().unwrap_or(false) => {
                let shared = shares_api(config, d);
                lock_off(config, clouds, &zone_id, d, shared, Some(settle)).await?
            }
            OriginLock::Off => continue,
        };
        out.push((d.hostname.clone(), outcome));
    }
    Ok(out)
}

/// `unlink-domain`, before the custom domain goes: the lock off for every hostname whose custom
/// domain carries flarelink's mark (`marks[i]`, whatever its `origin_lock`), lines only where
/// there is something of flarelink's.
pub async fn remove(
    config: &Config,
    clouds: &Clouds,
    zone_id: &str,
    marks: &[bool],
    dry_run: bool,
    progress: Arc<dyn Progress>,
) -> Result<Vec<(String, Outcome)>, Error> {
    let settle = Settle::new(progress.as_ref(), None);
    let mut out = Vec::new();
    for (i, d) in config.domains.iter().enumerate() {
        if !marks.get(i).copied().unwrap_or(false) {
            continue;
        }
        let plan = lock_off(config, clouds, zone_id, d, false, None).await?;
        if !any_write(&plan.0) {
            continue;
        }
        let outcome = if dry_run {
            for r in &plan.0 {
                progress.end(r);
            }
            plan
        } else {
            lock_off(config, clouds, zone_id, d, false, Some(settle)).await?
        };
        out.push((d.hostname.clone(), outcome));
    }
    Ok(out)
}

/// `unlink-domain`, after the custom domain is gone: flarelink's ownership-verification
/// certificates of the hostname and their validation CNAMEs (nothing uses them any more).
pub async fn remove_ownership(
    config: &Config,
    clouds: &Clouds,
    zone_id: &str,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Vec<StepReport>, Error> {
    let settle = Settle::new(progress, None);
    let acm = &clouds.aws()?.acm;
    let mut out = Vec::new();
    // Every hostname, marked or not: a run stopped after the custom domain went (and its mark
    // with it) leaves these for the next run to find.
    for d in &config.domains {
        let h = d.hostname.as_str();
        let certs = domain_mtls::ownership_certificates(acm, h)
            .await
            .step(StepId::DomainMtls, h)?;
        if certs.is_empty() {
            continue;
        }
        let arns: Vec<String> = certs.iter().map(|c| c.arn.clone()).collect();
        let records = validation_record::discover_removal(clouds, zone_id, h, &arns).await?;
        let removal = validation_record::decide_removal(records, false);
        let mut r = StepReport::new(
            StepId::DomainMtls,
            Some(h),
            crate::report::Action::Delete,
            format!(
                "delete the ownership verification certificate(s) {} and their validation CNAME(s)",
                arns.join(", ")
            ),
        );
        if !dry_run {
            validation_record::remove(&clouds.cloudflare, settle, zone_id, h, &removal).await?;
            for arn in &arns {
                acm.delete_certificate(arn)
                    .await
                    .step(StepId::DomainMtls, h)?;
            }
            r.applied = true;
        }
        settle.report(r, &mut out);
    }
    Ok(out)
}

/// The static plan's lines (no credentials): the four steps of every hostname with the lock.
pub fn static_reports(config: &Config) -> Vec<StepReport> {
    let mut out = Vec::new();
    for d in config
        .domains
        .iter()
        .filter(|d| d.origin_lock == OriginLock::Mtls)
    {
        let h = d.hostname.as_str();
        out.push(origin_pull_cert::static_report(h));
        out.push(truststore::static_report(
            h,
            config.truststore_bucket.as_deref(),
        ));
        out.push(domain_mtls::static_report(h));
        out.push(default_endpoint::static_report(d));
    }
    out
}

/// `unlink-domain`'s static plan (no credentials): what it would look for, for every hostname
/// with the lock, in the order it takes the lock off.
pub fn static_removal_reports(config: &Config) -> Vec<StepReport> {
    use crate::report::Action::Unknown;
    let mut out = Vec::new();
    for d in config
        .domains
        .iter()
        .filter(|d| d.origin_lock == OriginLock::Mtls)
    {
        let h = Some(d.hostname.as_str());
        out.push(StepReport::new(StepId::DefaultEndpoint, h, Unknown, "the default execute-api endpoint back on and the stage redeployed, if flarelink turned it off"));
        out.push(StepReport::new(StepId::DomainMtls, h, Unknown, "mutual TLS off on the custom domain, if it is flarelink's truststore (before Cloudflare stops presenting)"));
        out.push(StepReport::new(
            StepId::OriginPullCert,
            h,
            Unknown,
            "the hostname's association voided and flarelink's client certificate deleted",
        ));
        out.push(StepReport::new(
            StepId::Truststore,
            h,
            Unknown,
            "the truststore object deleted (and flarelink's bucket when empty)",
        ));
    }
    out
}
