//! `link-domain` and the per-step commands: the order of the six steps and what each needs from
//! the ones before. Everything about a step lives in its module under `steps`.
//!
//! 1. **Discover**, all at once: the Cloudflare zone, then (beside each other) the origin
//!    certificates, the SSL mode and every hostname's DNS records; beside that, the ACM inventory
//!    — after which a private key starts being made for every hostname that needs a new
//!    certificate (by a writing run's look already: `keys`) — and every hostname's custom domain
//!    (then its mappings) and REST API.
//! 2. **Decide**, purely: every step of every hostname, or a refusal before anything is written.
//!    A dry-run stops here.
//! 3. **Apply**: every hostname's chain (origin-cert → acm-import → custom-domain → api-mapping
//!    ‖ dns-record) side by side, the zone's SSL mode beside them. Hostnames queue only where
//!    API Gateway's domain quota makes them (`quota`). The steps share one [`StepContext`].

use std::sync::Arc;

use chrono::Utc;
use flarelink_aws::{BasePathMapping, DomainName, RestApi};
use flarelink_cloudflare::{DnsRecord, OriginCertificate, SslSetting, Zone};
use futures::future::{join_all, try_join_all};

use crate::config::{CertificateSource, Config, Domain};
use crate::error::{Context, Error};
use crate::origin_lock;
use crate::quota::DomainQuota;
use crate::report::{DomainSummary, Progress, RunReport, StepId};
use crate::rotate::{self, Rotation};
use crate::run::{Clouds, RunOptions, Selection};
use crate::settle::Settle;
use crate::step_context::{HostOutcome, StepContext};
use crate::steps::acm_import::{self, CertificatePlan, ManagedCertificate, Served};
use crate::steps::acm_request::{self, AcmPlan};
use crate::steps::api_mapping::{self, MappingDecision};
use crate::steps::custom_domain::{self, DomainDecision};
use crate::steps::dns_record::{self, DnsDecision};
use crate::steps::origin_cert::{self, KeyInTheMaking};
use crate::steps::ssl_mode::{self, SslFound, SslPlan};
use crate::steps::{Pending, Refusal};

/// Everything decided for one hostname; `None`: the step is not selected.
struct HostPlan {
    domain: Domain,
    existing: Option<DomainName>,
    /// The certificate to serve (always decided when a step needs it; issued and imported only
    /// when steps 1–2 are selected).
    certificate: CertificatePlan,
    /// The key for a new certificate, in the making since the ACM inventory was read.
    key: Option<KeyInTheMaking>,
    /// `source = "acm"`: the ACM-issued certificate's steps, in place of steps 1–2.
    acm: Option<AcmPlan>,
    custom_domain: Option<DomainDecision>,
    api_mapping: Option<(RestApi, MappingDecision)>,
    dns_record: Option<(Vec<DnsRecord>, DnsDecision)>,
}

impl HostPlan {
    /// What is known of the hostname before any step acts.
    fn summary(&self) -> DomainSummary {
        DomainSummary {
            hostname: self.domain.hostname.clone(),
            stage: self.domain.stage.clone(),
            base_path: self.domain.base_path_display().into(),
            rest_api_id: self.api_mapping.as_ref().map(|(a, _)| a.id.clone()),
            regional_domain_name: self
                .existing
                .as_ref()
                .and_then(|d| d.regional_domain_name.clone()),
            ..Default::default()
        }
    }
}

struct LinkPlan {
    zone: Option<Zone>,
    ssl: Option<(SslSetting, SslPlan)>,
    hosts: Vec<HostPlan>,
}

pub(crate) fn refused(step: StepId, hostname: &str, r: Refusal) -> Error {
    Error::Conflict {
        step,
        hostname: hostname.to_string(),
        message: r.message,
        fix: r.fix,
    }
}

/// Runs `selection` for every configured hostname. With `dry_run`, only reads.
pub async fn run(
    config: &Config,
    clouds: &Clouds,
    selection: &Selection,
    options: RunOptions,
    progress: Arc<dyn Progress>,
    command: &str,
) -> Result<RunReport, Error> {
    run_with(
        config,
        clouds,
        selection,
        options,
        progress,
        command,
        rotate::When::Due,
    )
    .await
}

/// [`run`], with in-place rotation of the served certificates due `when` (`rotate-cert`: now).
pub async fn run_with(
    config: &Config,
    clouds: &Clouds,
    selection: &Selection,
    options: RunOptions,
    progress: Arc<dyn Progress>,
    command: &str,
    when: rotate::When,
) -> Result<RunReport, Error> {
    let found = discover(config, clouds, selection, options).await?;
    let plan = decide(config, clouds, selection, options, found, when)?;
    // The origin lock's steps (after the six), planned now so a refusal comes before any write.
    let lock_marks: Vec<bool> = plan
        .hosts
        .iter()
        .map(|h| origin_lock::marked(h.existing.as_ref()))
        .collect();
    let lock_plan = match origin_lock::selected(selection) {
        true => Some(origin_lock::plan(config, clouds, options, &lock_marks).await?),
        false => None,
    };
    let mut report = RunReport::new(command, options.dry_run);
    if let Some(zone) = &plan.zone {
        report.zone.name = Some(zone.name.clone());
        report.zone.id = Some(zone.id.clone());
    }
    if options.dry_run {
        planned_reports(&plan, selection, &mut report);
        origin_lock::add_to_report(lock_plan.unwrap_or_default(), &mut report);
        for r in &report.steps {
            progress.end(r);
        }
        return Ok(report);
    }
    apply(
        config,
        clouds,
        plan,
        selection,
        options,
        progress.as_ref(),
        &mut report,
    )
    .await?;
    if lock_plan.is_some() {
        let done =
            origin_lock::apply(config, clouds, options, &lock_marks, progress.as_ref()).await?;
        origin_lock::add_to_report(done, &mut report);
    }
    Ok(report)
}

/// What discovery found for one hostname on the AWS side.
#[derive(Default)]
struct HostAws {
    existing: Option<DomainName>,
    mappings: Vec<BasePathMapping>,
    api: Option<RestApi>,
}

/// Everything the selected steps read, before any decision.
struct Found {
    zone: Option<Zone>,
    origin: Vec<OriginCertificate>,
    ssl: Option<SslFound>,
    dns: Vec<Vec<DnsRecord>>,
    inventory: Vec<(String, ManagedCertificate)>,
    /// What the region's custom domains serve (never retired).
    served: Served,
    keys: Vec<Option<KeyInTheMaking>>,
    aws: Vec<HostAws>,
    /// `source = "acm"` hostnames (certificate steps selected): the request decided from the
    /// inventory, and what was found of it.
    acm: Vec<Option<(acm_request::RequestDecision, acm_request::Found)>>,
}

fn managed_of(
    inventory: &[(String, ManagedCertificate)],
    hostname: &str,
) -> Vec<ManagedCertificate> {
    inventory
        .iter()
        .filter(|(host, _)| host == hostname)
        .map(|(_, c)| c.clone())
        .collect()
}

/// Reads everything the selected steps need, as concurrently as their dependencies allow.
async fn discover(
    config: &Config,
    clouds: &Clouds,
    selection: &Selection,
    options: RunOptions,
) -> Result<Found, Error> {
    use StepId::*;
    let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
    let first = hostnames.first().cloned().unwrap_or_default();
    let needs_zone = selection.any(&[OriginCert, DnsRecord, SslMode]);
    let needs_certs = selection.any(&[OriginCert, AcmImport, CustomDomain]);
    let certificate_steps = selection.any(&[OriginCert, AcmImport]);

    // Cloudflare: the zone, then everything that needs it, side by side.
    let cloudflare = async {
        if !needs_zone {
            return Ok((None, Vec::new(), None, vec![Vec::new(); hostnames.len()]));
        }
        let zone = clouds.zone(config).await?;
        let origin = async {
            if certificate_steps {
                origin_cert::discover(&clouds.cloudflare, &zone.id)
                    .await
                    .step(OriginCert, &first)
            } else {
                Ok(Vec::new())
            }
        };
        let ssl = async {
            if selection.has(SslMode) {
                ssl_mode::discover(&clouds.cloudflare, &zone, config.ssl_scope)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        let dns = try_join_all(config.domains.iter().map(|d| async {
            if selection.has(DnsRecord) {
                dns_record::discover(&clouds.cloudflare, &zone.id, &d.hostname).await
            } else {
                Ok(Vec::new())
            }
        }));
        let (origin, ssl, dns) = tokio::try_join!(origin, ssl, dns)?;
        Ok::<_, Error>((Some(zone), origin, ssl, dns))
    };
    // ACM: the inventory (and beside it every custom domain of the region: what they serve is
    // never retired), then a key for every hostname that needs a new certificate — made while
    // the other reads are still under way.
    let acm = async {
        if !needs_certs {
            return Ok((
                Vec::new(),
                Served::default(),
                hostnames.iter().map(|_| None).collect(),
            ));
        }
        let aws = clouds.aws()?;
        let (inventory, domains) = tokio::try_join!(
            async {
                acm_import::discover(&aws.acm, &hostnames)
                    .await
                    .step(AcmImport, &first)
            },
            async {
                if selection.has(CustomDomain) {
                    aws.apigateway
                        .list_domain_names()
                        .await
                        .step(CustomDomain, &first)
                } else {
                    Ok(Vec::new())
                }
            }
        )?;
        let served = Served::new(&domains, inventory.origin_by_arn);
        let inventory = inventory.managed;
        let now = Utc::now();
        let keys = config
            .domains
            .iter()
            .map(|d| {
                let managed = managed_of(&inventory, &d.hostname);
                let needs_key = certificate_steps
                    && d.certificate.source == CertificateSource::OriginCa
                    && acm_import::reusable(&managed, now, None, &d.certificate).is_none();
                let (h, key_type) = (d.hostname.as_str(), d.certificate.key_type);
                match (needs_key, options.dry_run) {
                    (false, _) => None,
                    // A writing run's look: the run under the lock will take it (`keys`).
                    (true, true) => {
                        if options.look {
                            clouds.keys.prepare(h, key_type);
                        }
                        None
                    }
                    (true, false) => Some(clouds.keys.take(h, key_type)),
                }
            })
            .collect();
        Ok::<_, Error>((inventory, served, keys))
    };
    let aws = try_join_all(
        config
            .domains
            .iter()
            .map(|d| discover_host_aws(d, clouds, selection)),
    );
    let ((zone, origin, ssl, dns), (mut inventory, mut served, keys), aws) =
        tokio::try_join!(cloudflare, acm, aws)?;
    if certificate_steps {
        // The serial an ARN serves wins over a tag an interrupted rotation left stale.
        let live = origin_cert::live_serials(&origin, clouds.aws()?.region());
        acm_import::reconcile(&mut inventory, &mut served, &live);
    }
    // ACM-issued certificates: the one to reuse or wait for, its validation records and what
    // Cloudflare has at their names (needs the zone and the inventory).
    let acm = try_join_all(config.domains.iter().zip(&aws).map(|(d, host)| {
        let (zone, inventory) = (&zone, &inventory);
        async move {
            if !(certificate_steps && d.certificate.source == CertificateSource::Acm) {
                return Ok(None);
            }
            let in_use = host
                .existing
                .as_ref()
                .and_then(|x| x.regional_certificate_arn.as_deref());
            let requested = acm_request::requested(&managed_of(inventory, &d.hostname));
            let decision = acm_request::decide(&requested, in_use, Utc::now());
            let zone_id = &zone
                .as_ref()
                .expect("the certificate steps resolve the zone")
                .id;
            let found = acm_request::discover(clouds, zone_id, &d.hostname, &decision).await?;
            Ok::<_, Error>(Some((decision, found)))
        }
    }))
    .await?;
    Ok(Found {
        zone,
        origin,
        ssl,
        dns,
        inventory,
        served,
        keys,
        aws,
        acm,
    })
}

/// One hostname's AWS reads: its custom domain (then its mappings) beside its REST API. They
/// need nothing from Cloudflare, so they run beside the zone lookup and the ACM inventory.
async fn discover_host_aws(
    domain: &Domain,
    clouds: &Clouds,
    selection: &Selection,
) -> Result<HostAws, Error> {
    use StepId::*;
    let h = domain.hostname.as_str();
    if !selection.any(&[CustomDomain, ApiMapping, DnsRecord]) {
        return Ok(HostAws::default());
    }
    let apigw = &clouds.aws()?.apigateway;
    let domain_fut = async {
        let existing = custom_domain::discover(apigw, h).await?;
        let mappings = match (&existing, selection.has(ApiMapping)) {
            (Some(_), true) => api_mapping::discover_mappings(apigw, h).await?,
            _ => Vec::new(),
        };
        Ok::<_, Error>((existing, mappings))
    };
    let api_fut = async {
        if selection.has(ApiMapping) {
            api_mapping::discover_api(clouds, domain).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let ((existing, mappings), api) = tokio::try_join!(domain_fut, api_fut)?;
    Ok(HostAws {
        existing,
        mappings,
        api,
    })
}

/// Decides every step of every hostname from what was found. Pure but for the clock; a
/// refusal or a missing precondition stops the run here, before any write.
fn decide(
    config: &Config,
    clouds: &Clouds,
    selection: &Selection,
    options: RunOptions,
    found: Found,
    when: rotate::When,
) -> Result<LinkPlan, Error> {
    use StepId::*;
    let Found {
        zone,
        origin,
        ssl,
        dns,
        inventory,
        served,
        keys,
        aws,
        acm,
    } = found;
    let ssl = match (&zone, ssl) {
        (Some(z), Some(found)) => {
            let hostnames: Vec<String> =
                config.domains.iter().map(|d| d.hostname.clone()).collect();
            let plan = ssl_mode::decide_plan(&found, config.ssl_mode, &hostnames, options.force)
                .map_err(|r| refused(SslMode, &z.name, r))?;
            Some((found.setting().clone(), plan))
        }
        _ => None,
    };
    let certificate_steps = selection.any(&[OriginCert, AcmImport]);
    let now = Utc::now();
    let mut hosts = Vec::new();
    for ((((domain, found), records), key), acm) in
        config.domains.iter().zip(aws).zip(dns).zip(keys).zip(acm)
    {
        let h = domain.hostname.as_str();
        let HostAws {
            existing,
            mappings,
            api,
        } = found;
        let managed = managed_of(&inventory, h);
        let in_use = existing
            .as_ref()
            .and_then(|d| d.regional_certificate_arn.as_deref());
        let acm = match acm {
            Some((decision, found)) => Some(
                acm_request::plan(domain, decision, found, options.force)
                    .map_err(|r| refused(StepId::ValidationRecord, h, r))?,
            ),
            None => None,
        };
        // Rotation in place is for imported Origin CA certificates (ACM renews what it issues).
        let rotation = (certificate_steps && acm.is_none())
            .then(|| rotate::decide(&managed, in_use, &domain.certificate, now, when))
            .flatten();
        if when == rotate::When::Now {
            rotate::require_served(rotation.as_ref(), h, in_use)?;
        }
        let reuse = match (&acm, domain.certificate.source) {
            (Some(plan), _) => match &plan.decision {
                acm_request::RequestDecision::Issued(c) => Some(c.clone()),
                _ => None,
            },
            // A step command without the certificate steps: an issued flarelink request.
            (None, CertificateSource::Acm) => {
                match acm_request::decide(&acm_request::requested(&managed), in_use, now) {
                    acm_request::RequestDecision::Issued(c) => Some(c),
                    _ => None,
                }
            }
            (None, CertificateSource::OriginCa) => match &rotation {
                Some(Rotation::InPlace(current)) => Some(current.clone()),
                _ => acm_import::reusable(&managed, now, in_use, &domain.certificate).cloned(),
            },
        };
        let orphans = if certificate_steps && acm.is_none() {
            let ours = origin_cert::managed_for(&origin, h, clouds.aws()?.region());
            origin_cert::orphans(&ours, &managed)
        } else {
            Vec::new()
        };
        let certificate = CertificatePlan {
            managed,
            reuse,
            orphans,
            served: served.clone(),
            rotation,
        };

        let custom_domain = if selection.has(CustomDomain) {
            if certificate.reuse.is_none() && !selection.has(AcmImport) {
                return Err(Error::Precondition {
                    step: CustomDomain,
                    hostname: h.into(),
                    message: "no flarelink certificate for this hostname in ACM (or it expires within 30 days)".into(),
                    fix: "run `flarelink certificate` (or `flarelink link-domain`) first".into(),
                });
            }
            let managed_arns: Vec<String> =
                certificate.managed.iter().map(|c| c.arn.clone()).collect();
            Some(
                custom_domain::decide(
                    existing.as_ref(),
                    certificate.reuse.as_ref().map(|c| c.arn.as_str()),
                    &managed_arns,
                    options.force,
                )
                .map_err(|r| refused(CustomDomain, h, r))?,
            )
        } else {
            None
        };
        let domain_will_exist = existing.is_some() || selection.has(CustomDomain);
        if selection.any(&[ApiMapping, DnsRecord]) && !domain_will_exist {
            let step = if selection.has(ApiMapping) {
                ApiMapping
            } else {
                DnsRecord
            };
            return Err(Error::Precondition {
                step,
                hostname: h.into(),
                message: "the API Gateway custom domain does not exist yet".into(),
                fix: "run `flarelink custom-domain` (or `flarelink link-domain`) first".into(),
            });
        }
        let api_mapping = match (api, selection.has(ApiMapping)) {
            (Some(api), true) => {
                let decision = api_mapping::decide(
                    existing.as_ref().map(|_| mappings.as_slice()),
                    domain.base_path.as_deref(),
                    &api.id,
                    &domain.stage,
                    options.force,
                )
                .map_err(|r| refused(ApiMapping, h, r))?;
                Some((api, decision))
            }
            _ => None,
        };
        let dns_record = if selection.has(DnsRecord) {
            // A domain that will be (re)created has no known target yet.
            let target = match &custom_domain {
                Some(DomainDecision::Create) => None,
                _ => existing
                    .as_ref()
                    .and_then(|d| d.regional_domain_name.as_deref()),
            };
            let decision = dns_record::decide(h, &records, target, options.force)
                .map_err(|r| refused(DnsRecord, h, r))?;
            Some((records, decision))
        } else {
            None
        };
        hosts.push(HostPlan {
            domain: domain.clone(),
            existing,
            certificate,
            key,
            acm,
            custom_domain,
            api_mapping,
            dns_record,
        });
    }
    Ok(LinkPlan { zone, ssl, hosts })
}

/// The dry-run's view of the plan, in the documented order: each hostname's steps, then the
/// zone's SSL mode.
fn planned_reports(plan: &LinkPlan, selection: &Selection, report: &mut RunReport) {
    for host in &plan.hosts {
        let h = host.domain.hostname.as_str();
        let cert = &host.certificate;
        let mut summary = host.summary();
        if let Some(acm) = &host.acm {
            report.steps.extend(acm_request::report(acm, h));
        } else if let Some(Rotation::InPlace(current)) = &cert.rotation {
            report
                .steps
                .extend(rotate::planned_reports(cert, &host.domain, current));
        } else if selection.any(&[StepId::OriginCert, StepId::AcmImport]) {
            report.steps.push(origin_cert::report(cert, &host.domain));
            report.steps.push(acm_import::report(cert, h));
        }
        if let Some(c) = &cert.reuse {
            summary.certificate_arn = Some(c.arn.clone());
            summary.cloudflare_certificate_id = c.origin_cert_id.clone();
        }
        if let Some(d) = &host.custom_domain {
            let serving = match &host.acm {
                Some(acm) => match acm_request::issued_arn(acm) {
                    Some(arn) => Pending::Known(arn.to_string()),
                    None => Pending::AfterStep(StepId::AcmRequest),
                },
                None => cert.serving(),
            };
            report.steps.push(custom_domain::report(
                h,
                d,
                host.existing.as_ref(),
                &serving,
                Vec::new(),
            ));
            let serving = serving.known().map(String::as_str);
            report
                .steps
                .extend(acm_import::retirement_report(cert, serving, h));
        }
        if let Some((api, d)) = &host.api_mapping {
            report.steps.push(api_mapping::report(&host.domain, api, d));
        }
        if let Some((_, d)) = &host.dns_record {
            let target = match &summary.regional_domain_name {
                Some(t) => Pending::Known(t.clone()),
                None => Pending::AfterStep(StepId::CustomDomain),
            };
            report.steps.push(dns_record::report(h, d, &target));
        }
        report.domains.push(summary);
    }
    if let Some((current, decision)) = &plan.ssl {
        report.zone.ssl_mode_before = Some(current.value.to_string());
        report
            .steps
            .push(ssl_mode::report(plan.zone.as_ref(), decision));
        report.zone.ssl_mode = Some(decision.zone_after().to_string());
        report.zone.ssl_scope = Some(decision.scope().to_string());
        report.warnings.extend(decision.warnings());
    }
}

/// Carries out the plan: every hostname's chain side by side, the zone's SSL mode beside them.
async fn apply(
    config: &Config,
    clouds: &Clouds,
    plan: LinkPlan,
    selection: &Selection,
    options: RunOptions,
    progress: &dyn Progress,
    report: &mut RunReport,
) -> Result<(), Error> {
    let LinkPlan { zone, ssl, hosts } = plan;
    let settle = Settle::new(progress, options.fault_after);
    let quota = DomainQuota::default();
    let cx = StepContext::new(config, clouds, zone.as_ref(), settle, &quota, options.force);
    let ssl_fut = async {
        let Some((current, decision)) = ssl else {
            return Ok(None);
        };
        let zone = zone.as_ref().expect("an SSL decision implies a zone");
        let r = ssl_mode::apply(&clouds.cloudflare, settle, zone, &decision).await?;
        progress.end(&r);
        Ok::<_, Error>(Some((current, decision, r)))
    };
    let names: Vec<String> = hosts.iter().map(|h| h.domain.hostname.clone()).collect();
    progress.hostnames(&names);
    // Every chain runs to its end, even when another fails: a chain stopped mid-write would
    // leave a write whose outcome nobody looks at.
    let hosts_fut = join_all(hosts.into_iter().map(|host| {
        let cx = &cx;
        async move {
            let h = host.domain.hostname.clone();
            let outcome = apply_host(cx, selection, host).await;
            progress.hostname_settled(&h);
            outcome
        }
    }));
    let (ssl_result, host_results) = tokio::join!(ssl_fut, hosts_fut);
    // The first hostname's error (in configuration order) wins over the SSL change's. Steps
    // that settled before an error were already shown through `progress`.
    for result in host_results {
        let HostOutcome {
            steps,
            summary,
            warnings,
        } = result?;
        report.steps.extend(steps);
        report.domains.push(summary);
        report.warnings.extend(warnings);
    }
    if let Some((current, decision, r)) = ssl_result? {
        report.zone.ssl_mode_before = Some(current.value.to_string());
        report.zone.ssl_mode = Some(decision.zone_after().to_string());
        report.zone.ssl_scope = Some(decision.scope().to_string());
        report.warnings.extend(decision.warnings());
        report.steps.push(r);
        settle.crash_point(StepId::SslMode, true)?;
    }
    Ok(())
}

/// One hostname's chain: steps 1–3 in order, then 4 and 5 side by side, each with what the ones
/// before produced.
async fn apply_host(
    cx: &StepContext<'_>,
    selection: &Selection,
    host: HostPlan,
) -> Result<HostOutcome, Error> {
    use StepId::*;
    let (config, clouds, settle) = (cx.config, cx.clouds, cx.settle);
    let mut out = HostOutcome {
        steps: Vec::new(),
        summary: host.summary(),
        warnings: Vec::new(),
    };
    let HostPlan {
        domain,
        existing,
        certificate,
        key,
        acm,
        custom_domain: domain_decision,
        api_mapping: mapping,
        dns_record: dns,
    } = host;
    let h = domain.hostname.as_str();
    let mut certificate_arn = certificate.reuse.as_ref().map(|c| c.arn.clone());
    out.summary.cloudflare_certificate_id = certificate
        .reuse
        .as_ref()
        .and_then(|c| c.origin_cert_id.clone());

    if let Some(acm) = acm {
        let arn = acm_request::apply(cx, h, acm, &mut out.steps).await?;
        certificate_arn = Some(arn);
    } else if selection.any(&[OriginCert, AcmImport]) {
        // Steps 1 and 2 travel together: the private key exists only in this process.
        let in_place = match &certificate.rotation {
            Some(Rotation::InPlace(current)) => Some(current),
            _ => None,
        };
        let (key, rotation_key) = if in_place.is_some() {
            (None, key)
        } else {
            (key, None)
        };
        let (origin_report, issued) = origin_cert::apply(cx, &domain, &certificate, key).await?;
        match issued {
            Some(issued) => {
                out.summary.cloudflare_certificate_id = Some(issued.certificate.id.clone());
                settle.step(origin_report, &mut out.steps)?;
                let (mut acm_report, arn, warning) =
                    acm_import::apply(clouds, config, settle, h, issued).await?;
                if let Some(note) = rotate::key_type_note(&certificate) {
                    acm_report = acm_report.detail(note);
                }
                out.warnings.extend(warning);
                certificate_arn = Some(arn);
                settle.step(acm_report, &mut out.steps)?;
            }
            None if in_place.is_some() => {
                let current = in_place.expect("matched");
                rotate::apply(
                    cx,
                    &domain,
                    &certificate,
                    current,
                    rotation_key,
                    origin_report,
                    &mut out,
                )
                .await?;
            }
            None => {
                let revoked_orphans = origin_report.applied;
                settle.report(origin_report, &mut out.steps);
                let acm_report = acm_import::apply_reuse(clouds, settle, h, &certificate).await?;
                let retagged = acm_report.applied;
                settle.report(acm_report, &mut out.steps);
                settle.crash_point(OriginCert, revoked_orphans)?;
                settle.crash_point(AcmImport, retagged)?;
            }
        }
    }
    out.summary.certificate_arn = certificate_arn.clone();

    if let Some(decision) = &domain_decision {
        let arn = certificate_arn
            .as_deref()
            .expect("planning ensured a certificate");
        let mut r = custom_domain::report(
            h,
            decision,
            existing.as_ref(),
            &Pending::Known(arn.to_string()),
            Vec::new(),
        );
        if let Some(d) = custom_domain::apply(cx, h, decision, arn, &mut r).await? {
            out.summary.regional_domain_name = d.regional_domain_name.clone();
        }
        // The domain now serves `arn`: what no domain serves goes, and an origin certificate
        // only when nothing served or kept names it. Reported on acm-import's own line, after
        // the custom domain's; the crash point stays after both.
        let mut retirement = acm_import::retirement_report(&certificate, Some(arn), h);
        let retired = acm_import::retire_superseded(
            clouds,
            settle,
            AcmImport,
            h,
            &certificate,
            arn,
            &mut out.warnings,
        )
        .await?;
        if let Some(report) = retirement.as_mut() {
            report.applied = retired;
        }
        let changed = r.applied || retired;
        settle.report(r, &mut out.steps);
        if let Some(report) = retirement {
            settle.report(report, &mut out.steps);
        }
        settle.crash_point(CustomDomain, changed)?;
    }

    // Steps 4 and 5 need nothing from each other (the CNAME only the domain's regional name):
    // they run side by side, and both run to their end before either is settled.
    let mapping_fut = async {
        let Some((api, decision)) = &mapping else {
            return Ok(None);
        };
        let mut r = api_mapping::report(&domain, api, decision);
        api_mapping::apply(
            &clouds.aws()?.apigateway,
            settle,
            &domain,
            api,
            decision,
            &mut r,
            cx.attempts,
        )
        .await?;
        Ok::<_, Error>(Some(r))
    };
    let dns_fut = async {
        let Some((records, decision)) = &dns else {
            return Ok(None);
        };
        let target =
            match &out.summary.regional_domain_name {
                Some(t) => t.clone(),
                None => return Err(Error::Precondition {
                    step: DnsRecord,
                    hostname: h.into(),
                    message: "API Gateway reported no regional domain name for the custom domain"
                        .into(),
                    fix: "check the custom domain in the API Gateway console; it must be REGIONAL"
                        .into(),
                }),
            };
        // A custom domain created in this run has a target the plan could not know; decide
        // again with it so an existing correct record is left alone.
        let decision = if domain_decision == Some(DomainDecision::Create) {
            dns_record::decide(h, records, Some(&target), cx.force)
                .map_err(|r| refused(DnsRecord, h, r))?
        } else {
            decision.clone()
        };
        let mut r = dns_record::report(h, &decision, &Pending::Known(target.clone()));
        dns_record::apply(cx, h, &decision, &target, &mut r).await?;
        Ok::<_, Error>(Some(r))
    };
    let (mapped, pointed) = tokio::join!(mapping_fut, dns_fut);
    match mapped {
        Ok(Some(r)) => settle.step(r, &mut out.steps)?,
        Ok(None) => {}
        Err(e) => {
            // The record was written all the same: say so before the mapping's error.
            if let Ok(Some(r)) = pointed {
                settle.report(r, &mut out.steps);
            }
            return Err(e);
        }
    }
    if let Some(r) = pointed? {
        settle.step(r, &mut out.steps)?;
    }
    Ok(out)
}

/// The plan without live state: what each step would ensure, for a dry-run that cannot read the
/// clouds (no token, no AWS credentials). `unchecked` says why.
pub fn static_plan(
    config: &Config,
    selection: &Selection,
    command: &str,
    unchecked: Vec<String>,
) -> RunReport {
    let mut report = RunReport::new(command, true);
    report.unchecked = unchecked;
    report.zone.name = config.zone.name().map(str::to_string);
    for d in &config.domains {
        if d.certificate.source == CertificateSource::Acm
            && selection.any(&[StepId::OriginCert, StepId::AcmImport])
        {
            report.steps.extend(acm_request::static_reports(d));
        }
        let steps = [
            origin_cert::static_report(d),
            acm_import::static_report(d),
            custom_domain::static_report(d),
            api_mapping::static_report(d),
            dns_record::static_report(d),
        ];
        report.steps.extend(steps.into_iter().filter(|s| {
            selection.has(s.step)
                && !(d.certificate.source == CertificateSource::Acm
                    && matches!(s.step, StepId::OriginCert | StepId::AcmImport))
        }));
        report.domains.push(DomainSummary {
            hostname: d.hostname.clone(),
            stage: d.stage.clone(),
            base_path: d.base_path_display().into(),
            ..Default::default()
        });
    }
    if origin_lock::selected(selection) {
        report.steps.extend(origin_lock::static_reports(config));
    }
    if selection.has(StepId::SslMode) {
        let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
        report.steps.push(ssl_mode::static_report(
            config.ssl_mode,
            config.ssl_scope,
            &hostnames,
        ));
        report.zone.ssl_scope = Some(config.ssl_scope.to_string());
        if config.ssl_scope == crate::config::SslScope::Zone {
            report.zone.ssl_mode = Some(config.ssl_mode.to_string());
        }
    }
    report
}
