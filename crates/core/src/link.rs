//! `link-domain` and the per-step commands: plan every hostname from live state with read-only
//! calls (refusing before any write if something not flarelink's is in the way), then apply the
//! plan step by step. A dry-run stops after planning.

use std::sync::Arc;

use chrono::Utc;
use flarelink_aws::{AwsClients, BasePathMapping, DomainName, RestApi, SecretPem};
use flarelink_cloudflare::{CloudflareClient, DnsRecord, SslSetting, Zone};
use futures::future::try_join_all;

use crate::certs;
use crate::config::{Config, Domain};
use crate::error::{Context, Error};
use crate::plan::{Action, DomainSummary, Progress, RunReport, StepId, StepReport};
use crate::resolve;
use crate::steps::acm_import::{self, ManagedCertificate, Served};
use crate::steps::api_mapping::{self, MappingDecision};
use crate::steps::custom_domain::{self, DomainDecision};
use crate::steps::dns_record::{self, DnsDecision};
use crate::steps::origin_cert::{self, IssueError, ManagedOriginCert};
use crate::steps::ssl_mode::{self, SslDecision};
use crate::steps::Refusal;

/// The two clouds, already configured. AWS may be absent when the command needs only
/// Cloudflare (`ssl-mode`).
#[derive(Clone)]
pub struct Clouds {
    pub cloudflare: CloudflareClient,
    pub aws: Option<AwsClients>,
}

impl Clouds {
    /// The AWS clients; an error (not a panic) if a step needs them and they were not built.
    pub fn aws(&self) -> Result<&AwsClients, Error> {
        self.aws.as_ref().ok_or_else(|| {
            Error::Config(
                crate::config::ConfigError::new(
                    "AWS credentials",
                    "(none)",
                    "this command needs AWS, but no AWS credentials or region were found",
                    "configure AWS_PROFILE / --profile and aws.region (or --region)",
                )
                .into(),
            )
        })
    }

    /// Whether `selection` needs AWS at all (only `ssl-mode` does not).
    pub fn needs_aws(selection: &Selection) -> bool {
        StepId::ALL
            .into_iter()
            .any(|s| s != StepId::SslMode && selection.has(s))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub dry_run: bool,
    /// Take over things flarelink did not create (foreign CNAME, mapping, domain certificate).
    pub force: bool,
    /// Stop right after this step is applied (crash-recovery tests; `FLARELINK_FAULT_AFTER_STEP`).
    pub fault_after: Option<StepId>,
}

/// The steps a command runs: `link-domain` all six, a step command its own.
#[derive(Debug, Clone)]
pub struct Selection(Vec<StepId>);

impl Selection {
    pub fn all() -> Self {
        Selection(StepId::ALL.to_vec())
    }
    pub fn only(steps: &[StepId]) -> Self {
        Selection(steps.to_vec())
    }
    pub fn has(&self, step: StepId) -> bool {
        self.0.contains(&step)
    }
    fn any(&self, steps: &[StepId]) -> bool {
        steps.iter().any(|s| self.has(*s))
    }
}

/// Everything decided for one hostname.
struct HostPlan {
    domain: Domain,
    /// What the region's custom domains serve (never retired).
    served: Served,
    managed_certs: Vec<ManagedCertificate>,
    reuse: Option<ManagedCertificate>,
    orphans: Vec<String>,
    existing_domain: Option<DomainName>,
    domain_decision: Option<DomainDecision>,
    api: Option<RestApi>,
    mapping_decision: Option<MappingDecision>,
    dns_records: Vec<DnsRecord>,
    dns_decision: Option<DnsDecision>,
}

impl HostPlan {
    /// What is known of the hostname before any step acts.
    fn summary(&self) -> DomainSummary {
        DomainSummary {
            hostname: self.domain.hostname.clone(),
            stage: self.domain.stage.clone(),
            base_path: self.domain.base_path_display().into(),
            rest_api_id: self.api.as_ref().map(|a| a.id.clone()),
            regional_domain_name: self
                .existing_domain
                .as_ref()
                .and_then(|d| d.regional_domain_name.clone()),
            ..Default::default()
        }
    }
}

struct LinkPlan {
    zone: Option<Zone>,
    ssl: Option<(SslSetting, SslDecision)>,
    hosts: Vec<HostPlan>,
}

fn refused(step: StepId, hostname: &str, r: Refusal) -> Error {
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
    let plan = plan(config, clouds, selection, options).await?;
    let mut report = RunReport::new(command, options.dry_run);
    if let Some(zone) = &plan.zone {
        report.zone.name = Some(zone.name.clone());
        report.zone.id = Some(zone.id.clone());
    }
    if options.dry_run {
        planned_reports(&plan, selection, &mut report);
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
    Ok(report)
}

/// Reads everything the selected steps need, concurrently, and decides. No writes.
async fn plan(
    config: &Config,
    clouds: &Clouds,
    selection: &Selection,
    options: RunOptions,
) -> Result<LinkPlan, Error> {
    use StepId::*;
    let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
    let needs_zone = selection.any(&[OriginCert, DnsRecord, SslMode]);
    let needs_certs = selection.any(&[OriginCert, AcmImport, CustomDomain]);
    let first = hostnames.first().cloned().unwrap_or_default();

    // The zone lookup, the ACM inventory and every hostname's API Gateway reads are independent:
    // run them together.
    let zone_fut = async {
        if needs_zone {
            resolve::zone(&clouds.cloudflare, &config.zone, &hostnames)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    // With the ACM inventory, every custom domain of the region: what they serve is never
    // retired (decided in `acm_import::retirement`).
    let acm_fut = async {
        if needs_certs {
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
            Ok((inventory.managed, served))
        } else {
            Ok((Vec::new(), Served::default()))
        }
    };
    let hosts_aws_fut = try_join_all(
        config
            .domains
            .iter()
            .map(|d| discover_host_aws(d, clouds, selection)),
    );
    let (zone, (acm_inventory, served), hosts_aws) =
        tokio::try_join!(zone_fut, acm_fut, hosts_aws_fut)?;

    // What needs the zone: origin certificates, the SSL mode and every hostname's DNS records.
    let origin_fut = async {
        match (&zone, selection.any(&[OriginCert, AcmImport])) {
            (Some(z), true) => clouds
                .cloudflare
                .list_origin_certificates(&z.id)
                .await
                .step(OriginCert, &first),
            _ => Ok(Vec::new()),
        }
    };
    let ssl_fut = async {
        match (&zone, selection.has(SslMode)) {
            (Some(z), true) => {
                let current = clouds
                    .cloudflare
                    .get_ssl_mode(&z.id)
                    .await
                    .step(SslMode, &z.name)?;
                let decision = ssl_mode::decide(&current, config.ssl_mode)
                    .map_err(|r| refused(SslMode, &z.name, r))?;
                Ok(Some((current, decision)))
            }
            _ => Ok(None),
        }
    };
    let dns_fut = try_join_all(
        config
            .domains
            .iter()
            .map(|d| discover_host_dns(d, clouds, zone.as_ref(), selection)),
    );
    let (origin_all, ssl, dns_all) = tokio::try_join!(origin_fut, ssl_fut, dns_fut)?;
    let discovered = hosts_aws
        .into_iter()
        .zip(dns_all)
        .map(|((existing, mappings, api), dns)| (existing, mappings, dns, api));

    let now = Utc::now();
    let mut hosts = Vec::new();
    for (domain, (existing_domain, mappings, dns_records, api)) in
        config.domains.iter().zip(discovered)
    {
        let h = domain.hostname.as_str();
        let managed_certs: Vec<ManagedCertificate> = acm_inventory
            .iter()
            .filter(|(host, _)| host == h)
            .map(|(_, c)| c.clone())
            .collect();
        let in_use = existing_domain
            .as_ref()
            .and_then(|d| d.regional_certificate_arn.as_deref());
        let reuse =
            acm_import::reusable(&managed_certs, now, in_use, domain.certificate.key_type).cloned();
        let managed_origin: Vec<ManagedOriginCert> = if selection.any(&[OriginCert, AcmImport]) {
            origin_cert::managed_for(&origin_all, h, clouds.aws()?.region())
        } else {
            Vec::new()
        };
        let orphans = origin_cert::orphans(&managed_origin, &managed_certs);

        let cert_will_exist = reuse.is_some() || selection.has(AcmImport);
        let domain_decision = if selection.has(CustomDomain) {
            if !cert_will_exist {
                return Err(Error::Precondition {
                    step: CustomDomain,
                    hostname: h.into(),
                    message: "no flarelink certificate for this hostname in ACM (or it expires within 30 days)".into(),
                    fix: "run `flarelink certificate` (or `flarelink link-domain`) first".into(),
                });
            }
            let managed_arns: Vec<String> = managed_certs.iter().map(|c| c.arn.clone()).collect();
            Some(
                custom_domain::decide(
                    existing_domain.as_ref(),
                    reuse.as_ref().map(|c| c.arn.as_str()),
                    &managed_arns,
                    options.force,
                )
                .map_err(|r| refused(CustomDomain, h, r))?,
            )
        } else {
            None
        };
        let domain_will_exist = existing_domain.is_some() || selection.has(CustomDomain);
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
        let mapping_decision = match (&api, selection.has(ApiMapping)) {
            (Some(api), true) => Some(
                api_mapping::decide(
                    existing_domain.as_ref().map(|_| mappings.as_slice()),
                    domain.base_path.as_deref(),
                    &api.id,
                    &domain.stage,
                    options.force,
                )
                .map_err(|r| refused(ApiMapping, h, r))?,
            ),
            _ => None,
        };
        let dns_decision = if selection.has(DnsRecord) {
            // A domain that will be (re)created has no known target yet.
            let target = match &domain_decision {
                Some(DomainDecision::Create) => None,
                _ => existing_domain
                    .as_ref()
                    .and_then(|d| d.regional_domain_name.as_deref()),
            };
            Some(
                dns_record::decide(h, &dns_records, target, options.force)
                    .map_err(|r| refused(DnsRecord, h, r))?,
            )
        } else {
            None
        };
        hosts.push(HostPlan {
            domain: domain.clone(),
            served: served.clone(),
            managed_certs,
            reuse,
            orphans,
            existing_domain,
            domain_decision,
            api,
            mapping_decision,
            dns_records,
            dns_decision,
        });
    }
    Ok(LinkPlan { zone, ssl, hosts })
}

type HostAws = (Option<DomainName>, Vec<BasePathMapping>, Option<RestApi>);

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
        return Ok((None, Vec::new(), None));
    }
    let apigw = &clouds.aws()?.apigateway;
    let domain_fut = async {
        if !selection.any(&[CustomDomain, ApiMapping, DnsRecord]) {
            return Ok((None, Vec::new()));
        }
        let existing = apigw.get_domain_name(h).await.step(CustomDomain, h)?;
        let mappings = match (&existing, selection.has(ApiMapping)) {
            (Some(_), true) => apigw.list_base_path_mappings(h).await.step(ApiMapping, h)?,
            _ => Vec::new(),
        };
        Ok((existing, mappings))
    };
    let api_fut = async {
        if selection.has(ApiMapping) {
            resolve::rest_api(apigw, &domain.rest_api, &domain.stage, h)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let ((existing, mappings), api) = tokio::try_join!(domain_fut, api_fut)?;
    Ok((existing, mappings, api))
}

/// One hostname's DNS records (needs the zone).
async fn discover_host_dns(
    domain: &Domain,
    clouds: &Clouds,
    zone: Option<&Zone>,
    selection: &Selection,
) -> Result<Vec<DnsRecord>, Error> {
    let h = domain.hostname.as_str();
    match (zone, selection.has(StepId::DnsRecord)) {
        (Some(z), true) => clouds
            .cloudflare
            .list_dns_records(&z.id, h)
            .await
            .step(StepId::DnsRecord, h),
        _ => Ok(Vec::new()),
    }
}

/// The dry-run's view of the plan.
fn planned_reports(plan: &LinkPlan, selection: &Selection, report: &mut RunReport) {
    for host in &plan.hosts {
        let mut summary = host.summary();
        if selection.any(&[StepId::OriginCert, StepId::AcmImport]) {
            let (origin, acm) = certificate_reports(host);
            report.steps.push(origin);
            report.steps.push(acm);
        }
        if let Some(c) = &host.reuse {
            summary.certificate_arn = Some(c.arn.clone());
            summary.cloudflare_certificate_id = c.origin_cert_id.clone();
        }
        if let Some(d) = &host.domain_decision {
            report.steps.push(domain_report(host, d, None));
        }
        if let (Some(d), Some(api)) = (&host.mapping_decision, &host.api) {
            report.steps.push(mapping_report(host, api, d));
        }
        if let Some(d) = &host.dns_decision {
            let target = summary.regional_domain_name.clone();
            report.steps.push(dns_report(host, d, target.as_deref()));
        }
        report.domains.push(summary);
    }
    if let Some((current, decision)) = &plan.ssl {
        report.zone.ssl_mode_before = Some(current.value.to_string());
        report.steps.push(ssl_report(plan.zone.as_ref(), decision));
        report.zone.ssl_mode = Some(match decision {
            SslDecision::Keep { current, .. } => current.to_string(),
            SslDecision::Set { to, .. } => to.to_string(),
        });
    }
}

fn certificate_reports(host: &HostPlan) -> (StepReport, StepReport) {
    let h = Some(host.domain.hostname.as_str());
    let spec = &host.domain.certificate;
    let (mut origin, acm) = match &host.reuse {
        Some(c) => (
            StepReport::new(
                StepId::OriginCert,
                h,
                Action::Exists,
                format!(
                    "origin certificate {} in use",
                    c.origin_cert_id.as_deref().unwrap_or("(id unknown)")
                ),
            ),
            StepReport::new(
                StepId::AcmImport,
                h,
                Action::Exists,
                format!(
                    "{} (expires {})",
                    c.arn,
                    c.not_after
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                ),
            ),
        ),
        None => (
            StepReport::new(
                StepId::OriginCert,
                h,
                Action::Create,
                format!(
                    "issue an Origin CA certificate ({}, {} days) for a CSR made locally",
                    spec.key_type.as_str(),
                    spec.validity_days
                ),
            )
            .detail(match host.managed_certs.len() {
                0 => "no flarelink certificate in ACM for this hostname".to_string(),
                n => {
                    format!("{n} flarelink certificate(s) in ACM, none with more than 30 days left")
                }
            }),
            StepReport::new(
                StepId::AcmImport,
                h,
                Action::Create,
                "import certificate and key into ACM, tagged as flarelink's",
            ),
        ),
    };
    if !host.orphans.is_empty() {
        if origin.action == Action::Exists {
            origin.action = Action::Change;
        }
        origin = origin.detail(format!(
            "revoke orphaned origin certificate(s) {} (issued by an interrupted run; their key is gone)",
            host.orphans.join(", ")
        ));
    }
    (origin, acm)
}

fn domain_report(host: &HostPlan, d: &DomainDecision, arn: Option<&str>) -> StepReport {
    let h = host.domain.hostname.as_str();
    let serving = arn
        .map(str::to_string)
        .or_else(|| host.reuse.as_ref().map(|c| c.arn.clone()));
    let cert = serving
        .clone()
        .unwrap_or_else(|| "the certificate from step 2".into());
    let mut report = domain_decision_report(host, d, h, &cert);
    let retire = acm_import::retirement(&host.managed_certs, serving.as_deref(), h, &host.served);
    if !retire.delete.is_empty() {
        if report.action == Action::Exists {
            report.action = Action::Change;
        }
        for c in &retire.delete {
            report = report.detail(format!(
                "retire superseded flarelink certificate {} (delete from ACM)",
                c.arn
            ));
        }
        for id in &retire.revoke {
            report = report.detail(format!(
                "revoke origin certificate {id} (no certificate any custom domain serves names it)"
            ));
        }
    }
    report
}

fn domain_decision_report(host: &HostPlan, d: &DomainDecision, h: &str, cert: &str) -> StepReport {
    match d {
        DomainDecision::Exists => StepReport::new(
            StepId::CustomDomain,
            Some(h),
            Action::Exists,
            format!(
                "{} → {}",
                h,
                host.existing_domain
                    .as_ref()
                    .and_then(|d| d.regional_domain_name.clone())
                    .unwrap_or_default()
            ),
        ),
        DomainDecision::Create => StepReport::new(
            StepId::CustomDomain,
            Some(h),
            Action::Create,
            format!("create REGIONAL custom domain {h} (TLS 1.2) with {cert}"),
        ),
        DomainDecision::UpdateCertificate { current } => StepReport::new(
            StepId::CustomDomain,
            Some(h),
            Action::Change,
            format!("switch custom domain {h} to {cert}"),
        )
        .detail(format!(
            "certificate before: {}",
            current.as_deref().unwrap_or("(none)")
        )),
    }
}

fn mapping_report(host: &HostPlan, api: &RestApi, d: &MappingDecision) -> StepReport {
    let h = host.domain.hostname.as_str();
    let what = format!(
        "{h}/{} → {} ({}) stage {}",
        host.domain.base_path.as_deref().unwrap_or(""),
        api.name,
        api.id,
        host.domain.stage
    );
    match d {
        MappingDecision::Exists => {
            StepReport::new(StepId::ApiMapping, Some(h), Action::Exists, what)
        }
        MappingDecision::Create => StepReport::new(
            StepId::ApiMapping,
            Some(h),
            Action::Create,
            format!("map {what}"),
        ),
        MappingDecision::Update {
            from_api,
            from_stage,
        } => StepReport::new(
            StepId::ApiMapping,
            Some(h),
            Action::Change,
            format!("repoint {what}"),
        )
        .detail(format!(
            "before: API {from_api} stage {}",
            from_stage.as_deref().unwrap_or("(any)")
        )),
    }
}

fn dns_report(host: &HostPlan, d: &DnsDecision, target: Option<&str>) -> StepReport {
    let h = host.domain.hostname.as_str();
    let target = target.unwrap_or("(the custom domain's regional name, known after step 3)");
    match d {
        DnsDecision::Exists { .. } => StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Exists,
            format!("CNAME {h} → {target} (proxied)"),
        ),
        DnsDecision::Create => StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Create,
            format!("create proxied CNAME {h} → {target}"),
        ),
        DnsDecision::Update { from, .. } => StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Change,
            format!("update CNAME {h} → {target} (proxied)"),
        )
        .detail(format!("before: {from}")),
        DnsDecision::Replace { delete } => {
            let mut r = StepReport::new(
                StepId::DnsRecord,
                Some(h),
                Action::Change,
                format!(
                    "replace {} record(s) with proxied CNAME {h} → {target}",
                    delete.len()
                ),
            );
            for rec in delete {
                r = r.detail(format!(
                    "delete: {} {} → {}",
                    rec.record_type, rec.name, rec.content
                ));
            }
            r
        }
    }
}

fn ssl_report(zone: Option<&Zone>, d: &SslDecision) -> StepReport {
    let zone_name = zone.map(|z| z.name.as_str()).unwrap_or("the zone");
    let zone_wide = format!("zone-wide: applies to every proxied hostname in {zone_name}");
    match d {
        SslDecision::Keep { current, note } => {
            let mut r = StepReport::new(
                StepId::SslMode,
                None,
                Action::Exists,
                format!("SSL/TLS encryption mode is {current}"),
            )
            .detail(zone_wide);
            if let Some(n) = note {
                r = r.detail(n.clone());
            }
            r
        }
        SslDecision::Set { from, to } => StepReport::new(
            StepId::SslMode,
            None,
            Action::Change,
            format!("set SSL/TLS encryption mode {from} → {to}"),
        )
        .detail(format!("before: {from}"))
        .detail(zone_wide),
    }
}

/// Carries out the plan, hostname by hostname and step by step; the zone's SSL mode alongside.
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
    let ssl_fut = async {
        let Some((current, decision)) = ssl else {
            return Ok(None);
        };
        let zone = zone.as_ref().expect("an SSL decision implies a zone");
        let mut r = ssl_report(Some(zone), &decision);
        if let SslDecision::Set { to, .. } = decision {
            progress.begin(StepId::SslMode, None, &r.summary);
            clouds
                .cloudflare
                .set_ssl_mode(&zone.id, to)
                .await
                .step(StepId::SslMode, &zone.name)?;
            r.applied = true;
        }
        progress.end(&r);
        Ok::<_, Error>(Some((current, decision, r)))
    };
    let hosts_fut = async {
        let mut out = Vec::new();
        for host in hosts {
            out.push(
                apply_host(
                    config,
                    clouds,
                    zone.as_ref(),
                    host,
                    selection,
                    options,
                    progress,
                )
                .await?,
            );
        }
        Ok::<_, Error>(out)
    };
    let (ssl_result, host_results) = tokio::join!(ssl_fut, hosts_fut);
    // The SSL change runs to completion beside the hostnames; a hostname's error wins. Steps that
    // settled before an error were already shown through `progress`.
    let host_results = host_results?;
    for (steps, summary, warnings) in host_results {
        report.steps.extend(steps);
        report.domains.push(summary);
        report.warnings.extend(warnings);
    }
    if let Some((current, decision, r)) = ssl_result? {
        report.zone.ssl_mode_before = Some(current.value.to_string());
        report.zone.ssl_mode = Some(match decision {
            SslDecision::Keep { current, .. } => current.to_string(),
            SslDecision::Set { to, .. } => to.to_string(),
        });
        report.steps.push(r);
        if options.fault_after == Some(StepId::SslMode) {
            return Err(Error::InjectedFault(StepId::SslMode));
        }
    }
    Ok(())
}

fn fault(options: RunOptions, step: StepId) -> Result<(), Error> {
    if options.fault_after == Some(step) {
        return Err(Error::InjectedFault(step));
    }
    Ok(())
}

async fn apply_host(
    config: &Config,
    clouds: &Clouds,
    zone: Option<&Zone>,
    host: HostPlan,
    selection: &Selection,
    options: RunOptions,
    progress: &dyn Progress,
) -> Result<(Vec<StepReport>, DomainSummary, Vec<String>), Error> {
    use StepId::*;
    let h = host.domain.hostname.clone();
    let h = h.as_str();
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    let mut summary = host.summary();
    // Attempts per create, flarelink's own retry (the clients do not resend a create whose
    // answer was lost; see `write_once`).
    let attempts = config.retry.max_attempts;
    let mut certificate_arn = host.reuse.as_ref().map(|c| c.arn.clone());
    summary.cloudflare_certificate_id = host.reuse.as_ref().and_then(|c| c.origin_cert_id.clone());

    // Steps 1 and 2 travel together: the private key exists only in this process.
    if selection.any(&[OriginCert, AcmImport]) {
        let (mut origin_report, mut acm_report) = certificate_reports(&host);
        for id in &host.orphans {
            progress.begin(
                OriginCert,
                Some(h),
                &format!("revoking orphaned origin certificate {id}"),
            );
            clouds
                .cloudflare
                .revoke_origin_certificate(id)
                .await
                .step(OriginCert, h)?;
            origin_report.applied = true;
        }
        if host.reuse.is_none() {
            progress.begin(
                OriginCert,
                Some(h),
                "requesting an Origin CA certificate from Cloudflare",
            );
            let zone_id = &zone.expect("the certificate steps resolve the zone").id;
            let (key, issued) = match origin_cert::issue(
                &clouds.cloudflare,
                zone_id,
                h,
                clouds.aws()?.region(),
                &host.domain.certificate,
                attempts,
            )
            .await
            {
                Ok(v) => v,
                Err(IssueError::Cloudflare(e)) => return Err(e).step(OriginCert, h),
                Err(IssueError::Certificate(e)) => {
                    return Err(Error::Certificate {
                        step: OriginCert,
                        hostname: h.into(),
                        source: e,
                    })
                }
            };
            let facts =
                match certs::check_issued_certificate(&issued.certificate, &key, h, Utc::now()) {
                    Ok(f) => f,
                    Err(e) => {
                        // Unusable: do not leave it behind.
                        let _ = clouds
                            .cloudflare
                            .revoke_origin_certificate(&issued.id)
                            .await;
                        return Err(Error::Certificate {
                            step: OriginCert,
                            hostname: h.into(),
                            source: e,
                        });
                    }
                };
            origin_report.summary = format!(
                "issued origin certificate {} ({}, expires {})",
                issued.id,
                key.key_type().as_str(),
                facts.not_after.format("%Y-%m-%d")
            );
            origin_report.applied = true;
            progress.end(&origin_report);
            steps.push(origin_report.clone());
            summary.cloudflare_certificate_id = Some(issued.id.clone());
            fault(options, OriginCert)?;

            let chain = certs::issuing_root(&facts, &config.origin_ca_roots);
            if chain.is_none() {
                warnings.push(if config.origin_ca_roots.is_empty() {
                    format!("{h}: imported without a chain: set cloudflare.origin_ca_roots to Cloudflare's Origin CA root to include it")
                } else {
                    format!("{h}: no configured Origin CA root signed the certificate (issuer {}); imported without a chain", facts.issuer)
                });
            }
            progress.begin(AcmImport, Some(h), "importing the certificate into ACM");
            let key_pem = SecretPem::new(key.to_pem());
            let arn = match acm_import::import(
                &clouds.aws()?.acm,
                h,
                &issued.id,
                &issued.certificate,
                &key_pem,
                chain,
                attempts,
            )
            .await
            {
                Ok(arn) => arn.into_inner(),
                Err(e) => {
                    // The key dies with this process: the origin certificate is useless now —
                    // if ACM surely refused it. After a timeout or a 5xx the import may have
                    // gone through; the next run's orphan check decides then, from ACM's tags.
                    if acm_import::surely_not_imported(&e) {
                        let _ = clouds
                            .cloudflare
                            .revoke_origin_certificate(&issued.id)
                            .await;
                    }
                    return Err(e).step(AcmImport, h);
                }
            };
            drop(key_pem);
            acm_report.summary = format!("imported {arn}");
            acm_report.applied = true;
            progress.end(&acm_report);
            steps.push(acm_report);
            certificate_arn = Some(arn);
            fault(options, AcmImport)?;
        } else {
            progress.end(&origin_report);
            progress.end(&acm_report);
            steps.push(origin_report);
            steps.push(acm_report);
            if !host.orphans.is_empty() {
                fault(options, OriginCert)?;
            }
        }
    }
    summary.certificate_arn = certificate_arn.clone();

    if let Some(decision) = &host.domain_decision {
        let arn = certificate_arn
            .as_deref()
            .expect("planning ensured a certificate");
        let mut r = domain_report(&host, decision, Some(arn));
        let apigw = &clouds.aws()?.apigateway;
        let updated = match decision {
            DomainDecision::Exists => None,
            DomainDecision::Create => {
                progress.begin(CustomDomain, Some(h), &r.summary);
                Some(
                    custom_domain::create(apigw, h, arn, attempts)
                        .await
                        .step(CustomDomain, h)?
                        .into_inner(),
                )
            }
            DomainDecision::UpdateCertificate { .. } => {
                progress.begin(CustomDomain, Some(h), &r.summary);
                Some(
                    apigw
                        .set_domain_certificate(h, arn)
                        .await
                        .step(CustomDomain, h)?,
                )
            }
        };
        if let Some(d) = updated {
            summary.regional_domain_name = d.regional_domain_name.clone();
            r.summary = format!(
                "{} → {}",
                r.summary,
                d.regional_domain_name.as_deref().unwrap_or("?")
            );
            r.applied = true;
        }
        // The domain now serves `arn`: what no domain serves goes, and an origin certificate
        // only when nothing served or kept names it.
        let retire = acm_import::retirement(&host.managed_certs, Some(arn), h, &host.served);
        let mut not_deleted = Vec::new();
        for old in &retire.delete {
            progress.begin(
                CustomDomain,
                Some(h),
                &format!("retiring superseded certificate {}", old.arn),
            );
            match clouds.aws()?.acm.delete_certificate(&old.arn).await {
                Ok(_) => r.applied = true,
                // ACM releases a certificate from a domain minutes after the switch; until then
                // it answers ResourceInUseException. Not an error: a later run retires it.
                Err(e) if e.kind == flarelink_aws::ErrorKind::Conflict => {
                    not_deleted.push(old.arn.clone());
                    warnings.push(format!(
                        "{h}: superseded certificate {} is still in use according to ACM (it releases it minutes after the switch); a later run retires it",
                        old.arn
                    ))
                }
                Err(e) => return Err(e).step(AcmImport, h),
            }
        }
        for id in acm_import::revocable_after(&retire, &not_deleted) {
            clouds
                .cloudflare
                .revoke_origin_certificate(&id)
                .await
                .step(OriginCert, h)?;
            r.applied = true;
        }
        progress.end(&r);
        let changed = r.applied;
        steps.push(r);
        if changed {
            fault(options, CustomDomain)?;
        }
    }

    if let (Some(decision), Some(api)) = (&host.mapping_decision, &host.api) {
        let mut r = mapping_report(&host, api, decision);
        let base_path = host.domain.base_path.as_deref().unwrap_or("");
        let apigw = &clouds.aws()?.apigateway;
        match decision {
            MappingDecision::Exists => {}
            MappingDecision::Create => {
                progress.begin(ApiMapping, Some(h), &r.summary);
                api_mapping::create(
                    apigw,
                    h,
                    host.domain.base_path.as_deref(),
                    &api.id,
                    &host.domain.stage,
                    attempts,
                )
                .await
                .step(ApiMapping, h)?;
                r.applied = true;
            }
            MappingDecision::Update { .. } => {
                progress.begin(ApiMapping, Some(h), &r.summary);
                apigw
                    .update_base_path_mapping(h, base_path, &api.id, &host.domain.stage)
                    .await
                    .step(ApiMapping, h)?;
                r.applied = true;
            }
        }
        progress.end(&r);
        steps.push(r);
        if decision != &MappingDecision::Exists {
            fault(options, ApiMapping)?;
        }
    }

    if let Some(decision) = &host.dns_decision {
        let zone = zone.expect("the DNS step resolves the zone");
        let target =
            match &summary.regional_domain_name {
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
        // A custom domain created in this run may have a target the plan could not know; decide
        // again with it so an existing correct record is left alone.
        let decision = if host.domain_decision == Some(DomainDecision::Create) {
            dns_record::decide(h, &host.dns_records, Some(&target), options.force)
                .map_err(|r| refused(DnsRecord, h, r))?
        } else {
            decision.clone()
        };
        let mut r = dns_report(&host, &decision, Some(&target));
        let desired = dns_record::desired(h, &target);
        let cf = &clouds.cloudflare;
        match &decision {
            DnsDecision::Exists { .. } => {}
            DnsDecision::Create => {
                progress.begin(DnsRecord, Some(h), &r.summary);
                dns_record::create(cf, &zone.id, &desired, attempts)
                    .await
                    .step(DnsRecord, h)?;
                r.applied = true;
            }
            DnsDecision::Update { id, .. } => {
                progress.begin(DnsRecord, Some(h), &r.summary);
                cf.update_dns_record(&zone.id, id, &desired)
                    .await
                    .step(DnsRecord, h)?;
                r.applied = true;
            }
            DnsDecision::Replace { delete } => {
                progress.begin(DnsRecord, Some(h), &r.summary);
                for rec in delete {
                    cf.delete_dns_record(&zone.id, &rec.id)
                        .await
                        .step(DnsRecord, h)?;
                }
                dns_record::create(cf, &zone.id, &desired, attempts)
                    .await
                    .step(DnsRecord, h)?;
                r.applied = true;
            }
        }
        progress.end(&r);
        steps.push(r);
        if !matches!(decision, DnsDecision::Exists { .. }) {
            fault(options, DnsRecord)?;
        }
    }
    Ok((steps, summary, warnings))
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
        let h = Some(d.hostname.as_str());
        let ensure = |step: StepId, what: String| StepReport::new(step, h, Action::Unknown, what);
        let mut steps = vec![
            ensure(
                StepId::OriginCert,
                format!(
                    "an Origin CA certificate for {} ({}, {} days), issued for a locally made CSR",
                    d.hostname,
                    d.certificate.key_type.as_str(),
                    d.certificate.validity_days
                ),
            ),
            ensure(
                StepId::AcmImport,
                "that certificate and its key in ACM, tagged as flarelink's".into(),
            ),
            ensure(
                StepId::CustomDomain,
                format!("REGIONAL custom domain {} (TLS 1.2)", d.hostname),
            ),
            ensure(
                StepId::ApiMapping,
                format!(
                    "mapping {} → REST API {:?} stage {}",
                    d.base_path_display(),
                    d.rest_api,
                    d.stage
                ),
            ),
            ensure(
                StepId::DnsRecord,
                format!(
                    "proxied CNAME {} → the custom domain's regional name",
                    d.hostname
                ),
            ),
        ];
        steps.retain(|s| selection.has(s.step));
        report.steps.extend(steps);
        report.domains.push(DomainSummary {
            hostname: d.hostname.clone(),
            stage: d.stage.clone(),
            base_path: d.base_path_display().into(),
            ..Default::default()
        });
    }
    if selection.has(StepId::SslMode) {
        report.steps.push(StepReport::new(
            StepId::SslMode,
            None,
            Action::Unknown,
            format!("SSL/TLS encryption mode {} (zone-wide)", config.ssl_mode),
        ));
        report.zone.ssl_mode = Some(config.ssl_mode.to_string());
    }
    report
}
