//! `unlink-domain`: removes, in reverse order, what flarelink created for each hostname — the
//! CNAME, the API mapping, the custom domain, the ACM certificate — and revokes the Cloudflare
//! origin certificate. Anything not flarelink's (or linked from another region) is left alone
//! and reported, unless `--force`. The zone's SSL/TLS mode stays as it is; with the hostname
//! scope, the hostnames leave flarelink's Configuration Rule (last, once their CNAMEs are gone).
//! Each step's removal (its pure decision, its calls, its report) lives in its module under
//! `steps`; this module reads everything at once and runs the hostnames side by side.

use std::collections::BTreeSet;
use std::sync::Arc;

use flarelink_aws::{BasePathMapping, DomainName};
use flarelink_cloudflare::{DnsRecord, OriginCertificate, Zone};
use futures::future::{join_all, try_join_all};

use crate::config::{Config, Domain};
use crate::error::{Context, Error};
use crate::quota::DomainQuota;
use crate::report::{DomainSummary, Progress, RunReport, StepId, StepReport};
use crate::run::{Clouds, RunOptions};
use crate::settle::Settle;
use crate::steps::acm_import::{self, AcmRemoval, ManagedCertificate, Served};
use crate::steps::dns_record::{self, DnsRemoval};
use crate::steps::{acm_request, validation_record};
use crate::steps::{api_mapping, custom_domain, origin_cert, ssl_mode};

/// What will be removed for one hostname, and what is kept and why.
struct HostRemoval {
    domain: Domain,
    dns: DnsRemoval,
    mapping: Option<BasePathMapping>,
    mapping_note: Option<String>,
    /// Delete the custom domain (it is flarelink's and nothing foreign hangs off it).
    delete_domain: bool,
    domain_note: Option<String>,
    regional_domain_name: Option<String>,
    certificates: AcmRemoval,
    /// The ACM validation CNAMEs of the hostname's ACM-issued certificates.
    validation: DnsRemoval,
    /// flarelink origin certificates of this region that no kept ACM certificate names (the
    /// deleted certificates' own are revoked once ACM has let them go).
    orphans: Vec<String>,
}

pub async fn run(
    config: &Config,
    clouds: &Clouds,
    options: RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, Error> {
    let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
    let first = hostnames.first().cloned().unwrap_or_default();
    let region = clouds.aws()?.region().to_string();
    // Cloudflare (the zone, then what needs it) beside AWS (the ACM inventory, the APIs, and
    // every hostname's custom domain and its mappings).
    let cloudflare = async {
        let zone = clouds.zone(config).await?;
        let origin = async {
            origin_cert::discover(&clouds.cloudflare, &zone.id)
                .await
                .step(StepId::OriginCert, &first)
        };
        let records = try_join_all(
            config
                .domains
                .iter()
                .map(|d| dns_record::discover(&clouds.cloudflare, &zone.id, &d.hostname)),
        );
        let ssl = ssl_mode::discover_removal(&clouds.cloudflare, &zone, config.ssl_scope);
        let (origin, records, ssl) = tokio::try_join!(origin, records, ssl)?;
        Ok::<_, Error>((zone, origin, records, ssl))
    };
    let inventory = async {
        acm_import::discover(&clouds.aws()?.acm, &hostnames)
            .await
            .step(StepId::AcmImport, &first)
    };
    // Every custom domain of the region: a certificate any of them serves is never deleted,
    // nor the origin certificate it names revoked.
    let served_domains = async {
        clouds
            .aws()?
            .apigateway
            .list_domain_names()
            .await
            .step(StepId::CustomDomain, &first)
    };
    let apis = async {
        clouds
            .aws()?
            .apigateway
            .list_rest_apis()
            .await
            .step(StepId::ApiMapping, &first)
    };
    let domains = try_join_all(config.domains.iter().map(|d| discover_domain(d, clouds)));
    let ((zone, origin_all, records, ssl_found), inventory, served_domains, apis, domains) =
        tokio::try_join!(cloudflare, inventory, served_domains, apis, domains)?;
    let mut served = Served::new(&served_domains, inventory.origin_by_arn.clone());
    let mut inventory = inventory.managed;
    // The serial an ARN serves wins over a tag an interrupted rotation left stale.
    let live = origin_cert::live_serials(&origin_all, &region);
    acm_import::reconcile(&mut inventory, &mut served, &live);
    // The validation CNAMEs of every ACM-issued flarelink certificate (their names come from
    // DescribeCertificate).
    let validation = try_join_all(config.domains.iter().map(|d| {
        let requested: Vec<String> = inventory
            .iter()
            .filter(|(host, _)| host == &d.hostname)
            .map(|(_, c)| c.clone())
            .filter(|c| c.origin_cert_id.is_none())
            .map(|c| c.arn)
            .collect();
        let zone_id = zone.id.clone();
        async move {
            validation_record::discover_removal(clouds, &zone_id, &d.hostname, &requested).await
        }
    }))
    .await?;

    // Only a custom domain flarelink locked has a lock to take off (its mark is set before the
    // lock's first write), so an unlink without one reads nothing more.
    let lock_marks: Vec<bool> = domains
        .iter()
        .map(|(existing, _)| crate::origin_lock::marked(existing.as_ref()))
        .collect();
    let mut removals = Vec::new();
    for (((domain, (existing, mappings)), records), validation) in config
        .domains
        .iter()
        .zip(domains)
        .zip(records)
        .zip(validation)
    {
        let h = domain.hostname.as_str();
        let certs: Vec<ManagedCertificate> = inventory
            .iter()
            .filter(|(host, _)| host == h)
            .map(|(_, c)| c.clone())
            .collect();
        // The configured API's ids: by id, or every API of that name.
        let api_ids: BTreeSet<String> = apis
            .iter()
            .filter(|a| a.id == domain.rest_api || a.name == domain.rest_api)
            .map(|a| a.id.clone())
            .collect();
        removals.push(decide(Found {
            domain,
            existing,
            mappings,
            records,
            certs,
            validation,
            origin_all: &origin_all,
            served: &served,
            api_ids,
            region: &region,
            force: options.force,
        }));
    }

    let mut report = RunReport::new("unlink-domain", options.dry_run);
    report.zone.name = Some(zone.name.clone());
    report.zone.id = Some(zone.id.clone());
    let settle = Settle::new(progress.as_ref(), None);
    let quota = DomainQuota::default();
    // The origin lock comes off first, in its own safe order, while the custom domain exists.
    let lock = crate::origin_lock::remove(
        config,
        clouds,
        &zone.id,
        &lock_marks,
        options.dry_run,
        progress.clone(),
    )
    .await?;
    for (_, (steps, _, warnings)) in lock {
        report.steps.extend(steps);
        report.warnings.extend(warnings);
    }
    if !options.dry_run {
        progress.hostnames(&hostnames);
    }
    let results = join_all(removals.into_iter().map(|removal| {
        let (zone, quota, progress) = (&zone, &quota, progress.as_ref());
        async move {
            let h = removal.domain.hostname.clone();
            let out = apply(clouds, zone, quota, settle, removal, options).await;
            if !options.dry_run {
                progress.hostname_settled(&h);
            }
            out
        }
    }))
    .await;
    for result in results {
        let (steps, summary, warnings) = result?;
        report.steps.extend(steps);
        report.domains.push(summary);
        report.warnings.extend(warnings);
    }
    // The lock's ownership-verification certificates, now that their custom domains are gone.
    let owners = crate::origin_lock::remove_ownership(
        config,
        clouds,
        &zone.id,
        options.dry_run,
        progress.as_ref(),
    )
    .await?;
    report.steps.extend(owners);
    // The rule goes after the hostnames' CNAMEs: until then they are still served over HTTPS.
    let ssl_removal = ssl_mode::decide_removal(ssl_found.as_ref(), &hostnames);
    let mut ssl_report = ssl_mode::removal_report(&ssl_removal, &hostnames);
    if !options.dry_run {
        let warning = ssl_mode::remove(
            &clouds.cloudflare,
            settle,
            &zone,
            &ssl_removal,
            ssl_found.as_ref(),
            &ssl_report,
        )
        .await?;
        ssl_report.applied = ssl_report.action == crate::report::Action::Delete;
        report.warnings.extend(warning);
    }
    settle.report(ssl_report, &mut report.steps);
    Ok(report)
}

/// One hostname's custom domain and (if it exists) its mappings.
async fn discover_domain(
    domain: &Domain,
    clouds: &Clouds,
) -> Result<(Option<DomainName>, Vec<BasePathMapping>), Error> {
    let h = domain.hostname.as_str();
    let apigw = &clouds.aws()?.apigateway;
    let existing = custom_domain::discover(apigw, h).await?;
    let mappings = match &existing {
        Some(_) => api_mapping::discover_mappings(apigw, h).await?,
        None => Vec::new(),
    };
    Ok((existing, mappings))
}

/// What discovery found for one hostname.
struct Found<'a> {
    domain: &'a Domain,
    existing: Option<DomainName>,
    mappings: Vec<BasePathMapping>,
    records: Vec<DnsRecord>,
    certs: Vec<ManagedCertificate>,
    validation: Vec<DnsRecord>,
    origin_all: &'a [OriginCertificate],
    served: &'a Served,
    api_ids: BTreeSet<String>,
    region: &'a str,
    force: bool,
}

/// Each step's removal decision, in the order they depend on each other: the domain stays if a
/// foreign mapping hangs off it, and a staying domain keeps its certificate.
fn decide(f: Found<'_>) -> HostRemoval {
    let domain = f.domain;
    let h = domain.hostname.as_str();
    let target = f
        .existing
        .as_ref()
        .and_then(|d| d.regional_domain_name.clone());
    let dns = dns_record::decide_removal(f.records, target.as_deref(), f.region, f.force);

    let (mut mapping, mut mapping_note) = (None, None);
    let (mut delete_domain, mut domain_note) = (false, None);
    if let Some(d) = &f.existing {
        match api_mapping::decide_removal(domain, &f.mappings, &f.api_ids, f.force) {
            Ok(m) => mapping = m,
            Err(note) => mapping_note = Some(note),
        }
        match custom_domain::decide_removal(d, h, &f.mappings, mapping.as_ref(), f.force) {
            Ok(()) => delete_domain = true,
            Err(note) => domain_note = Some(note),
        }
    }

    let kept_domain_cert = f
        .existing
        .as_ref()
        .filter(|_| !delete_domain)
        .and_then(|d| d.regional_certificate_arn.as_deref());
    let domain_gone = f.existing.is_none() || delete_domain;
    let certificates =
        acm_import::decide_removal(f.certs, h, kept_domain_cert, domain_gone, f.served);
    let named: BTreeSet<String> = certificates
        .delete
        .iter()
        .chain(certificates.kept.iter().map(|(c, _)| c))
        .filter_map(|c| c.origin_cert_id.clone())
        .collect();
    let orphans = origin_cert::decide_removal(f.origin_all, h, f.region, &named);
    // An ACM-issued certificate that stays renews through its validation CNAMEs: keep them.
    let keep_validation = !acm_request::requested(
        &certificates
            .kept
            .iter()
            .map(|(c, _)| c.clone())
            .collect::<Vec<_>>(),
    )
    .is_empty();
    let validation = validation_record::decide_removal(f.validation, keep_validation);
    HostRemoval {
        domain: domain.clone(),
        dns,
        mapping,
        mapping_note,
        delete_domain,
        domain_note,
        regional_domain_name: target,
        certificates,
        validation,
        orphans,
    }
}

/// One hostname's removal: steps 5 to 1. In a dry-run, only the reports.
async fn apply(
    clouds: &Clouds,
    zone: &Zone,
    quota: &DomainQuota,
    settle: Settle<'_>,
    r: HostRemoval,
    options: RunOptions,
) -> Result<(Vec<StepReport>, DomainSummary, Vec<String>), Error> {
    let h = r.domain.hostname.as_str();
    let write = !options.dry_run;
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    let finish = |mut report: StepReport, steps: &mut Vec<StepReport>| {
        report.applied = write && report.action == crate::report::Action::Delete;
        settle.report(report, steps);
    };

    let report = dns_record::removal_report(h, &r.dns);
    if write {
        dns_record::remove(&clouds.cloudflare, settle, &zone.id, h, &r.dns, &report).await?;
    }
    finish(report, &mut steps);

    let report = api_mapping::removal_report(h, r.mapping.as_ref(), r.mapping_note.as_deref());
    if let (true, Some(m)) = (write, &r.mapping) {
        api_mapping::remove(&clouds.aws()?.apigateway, settle, h, m, &report).await?;
    }
    finish(report, &mut steps);

    let report = custom_domain::removal_report(h, r.delete_domain, r.domain_note.as_deref());
    if write && r.delete_domain {
        custom_domain::remove(&clouds.aws()?.apigateway, quota, settle, h, &report).await?;
    }
    finish(report, &mut steps);

    // The validation CNAMEs go before the certificate that names them: once it is deleted their
    // names can no longer be read from ACM.
    // (Only shown when there are any: an Origin CA hostname has none.)
    if !(r.validation.delete.is_empty() && r.validation.notes.is_empty()) {
        let report = validation_record::removal_report(h, &r.validation);
        if write {
            validation_record::remove(&clouds.cloudflare, settle, &zone.id, h, &r.validation)
                .await?;
        }
        finish(report, &mut steps);
    }

    let (report, deleted_origins) =
        acm_import::remove(clouds, settle, h, &r.certificates, write, &mut warnings).await?;
    finish(report, &mut steps);

    let mut revoke = r.orphans.clone();
    for id in deleted_origins {
        if !revoke.contains(&id) {
            revoke.push(id);
        }
    }
    let report = origin_cert::removal_report(h, &revoke, !r.certificates.kept.is_empty());
    if write {
        origin_cert::remove(&clouds.cloudflare, settle, h, &revoke).await?;
    }
    finish(report, &mut steps);

    let summary = DomainSummary {
        hostname: h.into(),
        regional_domain_name: r.regional_domain_name.clone(),
        stage: r.domain.stage.clone(),
        base_path: r.domain.base_path_display().into(),
        ..Default::default()
    };
    Ok((steps, summary, warnings))
}

/// The plan without live state (dry-run without credentials): what unlink would look for.
pub fn static_plan(config: &Config, unchecked: Vec<String>) -> RunReport {
    let mut report = RunReport::new("unlink-domain", true);
    report.unchecked = unchecked;
    report.zone.name = config.zone.name().map(str::to_string);
    report
        .steps
        .extend(crate::origin_lock::static_removal_reports(config));
    for d in &config.domains {
        let h = d.hostname.as_str();
        report.steps.extend([
            dns_record::static_removal_report(h),
            api_mapping::static_removal_report(h),
            custom_domain::static_removal_report(h),
        ]);
        if d.certificate.source == crate::config::CertificateSource::Acm {
            report
                .steps
                .push(validation_record::static_removal_report(h));
        }
        report.steps.extend([
            acm_import::static_removal_report(h),
            origin_cert::static_removal_report(h),
        ]);
        report.domains.push(DomainSummary {
            hostname: d.hostname.clone(),
            stage: d.stage.clone(),
            base_path: d.base_path_display().into(),
            ..Default::default()
        });
    }
    report
        .steps
        .push(ssl_mode::static_removal_report(config.ssl_scope));
    report
}
