//! `unlink-domain`: removes, in reverse order, what flarelink created for each hostname — the
//! CNAME, the API mapping, the custom domain, the ACM certificate — and revokes the Cloudflare
//! origin certificate. Anything not flarelink's (or linked from another region) is left alone
//! and reported, unless `--force`. The zone's SSL/TLS mode is zone-wide and stays as it is.

use std::collections::BTreeSet;
use std::sync::Arc;

use flarelink_aws::{BasePathMapping, DomainName, ErrorKind};
use flarelink_cloudflare::{DnsRecord, OriginCertificate, Zone};
use futures::future::try_join_all;

use crate::config::{Config, Domain};
use crate::error::{Context, Error};
use crate::link::{Clouds, RunOptions};
use crate::ownership;
use crate::plan::{Action, DomainSummary, Progress, RunReport, StepId, StepReport};
use crate::resolve;
use crate::steps::acm_import::{self, ManagedCertificate, Served};
use crate::steps::api_mapping::same_base_path;
use crate::steps::origin_cert;
use crate::steps::same_dns_name;

/// What will be removed for one hostname, and what is kept and why.
struct HostRemoval {
    domain: Domain,
    dns: Vec<DnsRecord>,
    dns_notes: Vec<String>,
    mapping: Option<BasePathMapping>,
    mapping_note: Option<String>,
    /// Delete the custom domain (it is flarelink's and nothing foreign hangs off it).
    delete_domain: bool,
    domain_note: Option<String>,
    regional_domain_name: Option<String>,
    certificates: Vec<ManagedCertificate>,
    kept_certificates: Vec<(ManagedCertificate, String)>,
    /// Origin certificates a served or kept ACM certificate names: never revoked.
    protected_origin_ids: BTreeSet<String>,
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
    let (zone, inventory, domains, apis) = tokio::try_join!(
        resolve::zone(&clouds.cloudflare, &config.zone, &hostnames),
        async {
            acm_import::discover(&clouds.aws()?.acm, &hostnames)
                .await
                .step(StepId::AcmImport, &first)
        },
        // Every custom domain of the region: a certificate any of them serves is never deleted,
        // nor the origin certificate it names revoked.
        async {
            clouds
                .aws()?
                .apigateway
                .list_domain_names()
                .await
                .step(StepId::CustomDomain, &first)
        },
        async {
            clouds
                .aws()?
                .apigateway
                .list_rest_apis()
                .await
                .step(StepId::ApiMapping, &first)
        },
    )?;
    let origin_fut = async {
        clouds
            .cloudflare
            .list_origin_certificates(&zone.id)
            .await
            .step(StepId::OriginCert, &first)
    };
    let hosts_fut = try_join_all(config.domains.iter().map(|d| discover(d, clouds, &zone)));
    let (origin_all, discovered) = tokio::try_join!(origin_fut, hosts_fut)?;
    let served = Served::new(&domains, inventory.origin_by_arn.clone());
    let inventory = inventory.managed;

    let mut removals = Vec::new();
    for (domain, (existing, mappings, records)) in config.domains.iter().zip(discovered) {
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
    for removal in removals {
        let (steps, summary, warnings) =
            apply(clouds, &zone, removal, options, progress.as_ref()).await?;
        report.steps.extend(steps);
        report.domains.push(summary);
        report.warnings.extend(warnings);
    }
    let ssl = StepReport::new(
        StepId::SslMode,
        None,
        Action::Skip,
        "SSL/TLS encryption mode left as is (zone-wide; other hostnames may rely on it)",
    );
    progress.end(&ssl);
    report.steps.push(ssl);
    Ok(report)
}

async fn discover(
    domain: &Domain,
    clouds: &Clouds,
    zone: &Zone,
) -> Result<(Option<DomainName>, Vec<BasePathMapping>, Vec<DnsRecord>), Error> {
    let h = domain.hostname.as_str();
    let apigw = &clouds.aws()?.apigateway;
    let domain_fut = async {
        let existing = apigw
            .get_domain_name(h)
            .await
            .step(StepId::CustomDomain, h)?;
        let mappings = match &existing {
            Some(_) => apigw
                .list_base_path_mappings(h)
                .await
                .step(StepId::ApiMapping, h)?,
            None => Vec::new(),
        };
        Ok::<_, Error>((existing, mappings))
    };
    let dns_fut = async {
        clouds
            .cloudflare
            .list_dns_records(&zone.id, h)
            .await
            .step(StepId::DnsRecord, h)
    };
    let ((existing, mappings), records) = tokio::try_join!(domain_fut, dns_fut)?;
    Ok((existing, mappings, records))
}

/// What discovery found for one hostname.
struct Found<'a> {
    domain: &'a Domain,
    existing: Option<DomainName>,
    mappings: Vec<BasePathMapping>,
    records: Vec<DnsRecord>,
    certs: Vec<ManagedCertificate>,
    origin_all: &'a [OriginCertificate],
    served: &'a Served,
    api_ids: BTreeSet<String>,
    region: &'a str,
    force: bool,
}

fn decide(f: Found<'_>) -> HostRemoval {
    let domain = f.domain;
    let h = domain.hostname.as_str();
    let force = f.force;

    // DNS: flarelink's CNAME, if it points at this region's domain (another region's link of
    // the same hostname — a migration — keeps its record).
    let this_region = format!(".execute-api.{}.amazonaws.com", f.region);
    let target = f
        .existing
        .as_ref()
        .and_then(|d| d.regional_domain_name.clone());
    let mut dns = Vec::new();
    let mut dns_notes = Vec::new();
    for r in f.records {
        let marked = ownership::is_managed_comment(r.comment.as_deref());
        let ours_here = match &target {
            Some(t) => same_dns_name(&r.content, t),
            None => r.content.trim_end_matches('.').ends_with(&this_region),
        };
        if marked && (ours_here || force) {
            dns.push(r);
        } else if marked {
            dns_notes.push(format!(
                "kept {} {} → {}: it points at another region's custom domain (pass --force to delete it)",
                r.record_type, r.name, r.content
            ));
        } else {
            dns_notes.push(format!(
                "kept {} {} → {} (not flarelink's)",
                r.record_type, r.name, r.content
            ));
        }
    }

    // Domain and mapping: only a domain flarelink created (its tags) is removed; only the
    // mapping to the configured API and stage is flarelink's.
    let mut mapping = None;
    let mut mapping_note = None;
    let mut delete_domain = false;
    let mut domain_note = None;
    if let Some(d) = &f.existing {
        let tagged = ownership::is_managed_for(&d.tags, h);
        let at_path = f
            .mappings
            .iter()
            .find(|m| same_base_path(&m.base_path, domain.base_path.as_deref()));
        let ours = |m: &BasePathMapping| {
            f.api_ids.contains(&m.rest_api_id) && m.stage.as_deref() == Some(domain.stage.as_str())
        };
        match at_path {
            Some(m) if ours(m) || force => mapping = Some(m.clone()),
            Some(m) => {
                mapping_note = Some(format!(
                    "mapping {} → {} stage {} is not the configured API and stage; kept (pass --force to delete it)",
                    m.base_path,
                    m.rest_api_id,
                    m.stage.as_deref().unwrap_or("(any)")
                ))
            }
            None => {}
        }
        let others: Vec<&BasePathMapping> = f
            .mappings
            .iter()
            .filter(|m| {
                mapping
                    .as_ref()
                    .is_none_or(|mine| mine.base_path != m.base_path)
            })
            .collect();
        if !(tagged || force) {
            domain_note = Some(format!(
                "custom domain {} was not created by flarelink (no flarelink tags); left alone (pass --force to delete it)",
                d.name
            ));
        } else if !others.is_empty() && !force {
            domain_note = Some(format!(
                "custom domain kept: it also has mapping(s) flarelink did not make ({}); pass --force to delete it with them",
                others.iter().map(|m| m.base_path.as_str()).collect::<Vec<_>>().join(", ")
            ));
        } else {
            delete_domain = true;
        }
    }

    // Certificates: the one a staying domain serves stays; ACM's "in use by" this hostname's
    // own domain does not count once that domain is gone (ACM lags by minutes).
    let kept_domain_cert = f
        .existing
        .as_ref()
        .filter(|_| !delete_domain)
        .and_then(|d| d.regional_certificate_arn.clone());
    let own_domain = format!("/domainnames/{h}");
    let domain_gone = f.existing.is_none() || delete_domain;
    let served_arns = f.served.arns_once(h, kept_domain_cert.as_deref());
    let mut certificates = Vec::new();
    let mut kept_certificates = Vec::new();
    for c in f.certs {
        let used_elsewhere = c
            .in_use_by
            .iter()
            .any(|u| !(domain_gone && u.ends_with(&own_domain)));
        if kept_domain_cert.as_deref() == Some(c.arn.as_str()) {
            kept_certificates.push((
                c,
                "still served by the custom domain that stays".to_string(),
            ));
        } else if served_arns.contains(&c.arn) {
            kept_certificates.push((c, "served by another custom domain".to_string()));
        } else if used_elsewhere {
            let users = c.in_use_by.join(", ");
            kept_certificates.push((c, format!("in use by {users}")));
        } else {
            certificates.push(c);
        }
    }
    let named: BTreeSet<String> = certificates
        .iter()
        .chain(kept_certificates.iter().map(|(c, _)| c))
        .filter_map(|c| c.origin_cert_id.clone())
        .collect();
    let orphans = origin_cert::managed_for(f.origin_all, h, f.region)
        .into_iter()
        .map(|o| o.id)
        .filter(|id| !named.contains(id))
        .collect();
    // An origin certificate stays live while a served or kept certificate names it (two
    // imports of one origin certificate: deleting one must not revoke what the other serves).
    let mut protected_origin_ids = f.served.origin_ids_of(&served_arns);
    protected_origin_ids.extend(
        kept_certificates
            .iter()
            .filter_map(|(c, _)| c.origin_cert_id.clone()),
    );
    HostRemoval {
        protected_origin_ids,
        domain: domain.clone(),
        dns,
        dns_notes,
        mapping,
        mapping_note,
        delete_domain,
        domain_note,
        regional_domain_name: target,
        certificates,
        kept_certificates,
        orphans,
    }
}

async fn apply(
    clouds: &Clouds,
    zone: &Zone,
    r: HostRemoval,
    options: RunOptions,
    progress: &dyn Progress,
) -> Result<(Vec<StepReport>, DomainSummary, Vec<String>), Error> {
    let h = r.domain.hostname.clone();
    let h = h.as_str();
    let write = !options.dry_run;
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    let mut finish = |mut report: StepReport| {
        report.applied = write && report.action == Action::Delete;
        progress.end(&report);
        steps.push(report);
    };

    // 5. DNS
    let mut report = if r.dns.is_empty() {
        StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Skip,
            "no flarelink DNS record to delete",
        )
    } else {
        StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Delete,
            format!("delete {} flarelink DNS record(s)", r.dns.len()),
        )
    };
    for rec in &r.dns {
        report = report.detail(format!(
            "{} {} → {}",
            rec.record_type, rec.name, rec.content
        ));
        if write {
            progress.begin(StepId::DnsRecord, Some(h), &report.summary);
            clouds
                .cloudflare
                .delete_dns_record(&zone.id, &rec.id)
                .await
                .step(StepId::DnsRecord, h)?;
        }
    }
    for note in &r.dns_notes {
        report = report.detail(note.clone());
    }
    finish(report);

    // 4. API mapping
    let mut report = match &r.mapping {
        Some(m) => {
            let rep = StepReport::new(
                StepId::ApiMapping,
                Some(h),
                Action::Delete,
                format!(
                    "delete mapping {} → {} stage {}",
                    m.base_path,
                    m.rest_api_id,
                    m.stage.as_deref().unwrap_or("(any)")
                ),
            );
            if write {
                progress.begin(StepId::ApiMapping, Some(h), &rep.summary);
                let bp = if m.base_path == "(none)" {
                    ""
                } else {
                    m.base_path.as_str()
                };
                clouds
                    .aws()?
                    .apigateway
                    .delete_base_path_mapping(h, bp)
                    .await
                    .step(StepId::ApiMapping, h)?;
            }
            rep
        }
        None => StepReport::new(
            StepId::ApiMapping,
            Some(h),
            Action::Skip,
            "no flarelink API mapping",
        ),
    };
    if let Some(note) = &r.mapping_note {
        report = report.detail(note.clone());
    }
    finish(report);

    // 3. Custom domain
    let mut report = if r.delete_domain {
        let rep = StepReport::new(
            StepId::CustomDomain,
            Some(h),
            Action::Delete,
            format!("delete custom domain {h}"),
        );
        if write {
            progress.begin(StepId::CustomDomain, Some(h), &rep.summary);
            clouds
                .aws()?
                .apigateway
                .delete_domain_name(h)
                .await
                .step(StepId::CustomDomain, h)?;
        }
        rep
    } else {
        StepReport::new(
            StepId::CustomDomain,
            Some(h),
            Action::Skip,
            "no flarelink custom domain",
        )
    };
    if let Some(note) = &r.domain_note {
        report.summary = note.clone();
    }
    finish(report);

    // 2. ACM, then 1. the origin certificates of what ACM let go, and orphans.
    let mut acm_report = if r.certificates.is_empty() {
        StepReport::new(
            StepId::AcmImport,
            Some(h),
            Action::Skip,
            "no flarelink ACM certificate to delete",
        )
    } else {
        StepReport::new(
            StepId::AcmImport,
            Some(h),
            Action::Delete,
            format!(
                "delete {} flarelink ACM certificate(s)",
                r.certificates.len()
            ),
        )
    };
    let mut revoke: Vec<String> = r.orphans.clone();
    let mut protected = r.protected_origin_ids.clone();
    let mut deleted_origin_ids = Vec::new();
    for c in &r.certificates {
        acm_report = acm_report.detail(c.arn.clone());
        if !write {
            deleted_origin_ids.extend(c.origin_cert_id.clone());
            continue;
        }
        progress.begin(StepId::AcmImport, Some(h), &format!("deleting {}", c.arn));
        match clouds.aws()?.acm.delete_certificate(&c.arn).await {
            Ok(_) => deleted_origin_ids.extend(c.origin_cert_id.clone()),
            // ACM keeps a certificate "in use" for minutes after its domain is deleted.
            Err(e) if e.kind == ErrorKind::Conflict => {
                protected.extend(c.origin_cert_id.clone());
                warnings.push(format!(
                "{h}: ACM still lists {} in use (it releases certificates minutes after their domain is deleted); run unlink-domain again later to delete it and revoke its origin certificate",
                c.arn
            ))
            }
            Err(e) => return Err(e).step(StepId::AcmImport, h),
        }
    }
    for (c, why) in &r.kept_certificates {
        acm_report = acm_report.detail(format!("kept {}: {why}", c.arn));
    }
    finish(acm_report);
    for id in deleted_origin_ids {
        if !protected.contains(&id) && !revoke.contains(&id) {
            revoke.push(id);
        }
    }

    let mut origin_report = if revoke.is_empty() {
        StepReport::new(
            StepId::OriginCert,
            Some(h),
            Action::Skip,
            "no flarelink origin certificate to revoke",
        )
    } else {
        StepReport::new(
            StepId::OriginCert,
            Some(h),
            Action::Delete,
            format!("revoke origin certificate(s) {}", revoke.join(", ")),
        )
    };
    for id in &revoke {
        if write {
            progress.begin(
                StepId::OriginCert,
                Some(h),
                &format!("revoking origin certificate {id}"),
            );
            clouds
                .cloudflare
                .revoke_origin_certificate(id)
                .await
                .step(StepId::OriginCert, h)?;
        }
    }
    if !r.kept_certificates.is_empty() {
        origin_report =
            origin_report.detail("origin certificates behind kept ACM certificates stay valid");
    }
    finish(origin_report);

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
    for d in &config.domains {
        let h = Some(d.hostname.as_str());
        let look = |step, what: &str| StepReport::new(step, h, Action::Unknown, what.to_string());
        report.steps.push(look(
            StepId::DnsRecord,
            "delete flarelink's CNAME, if it points at this region's custom domain",
        ));
        report.steps.push(look(
            StepId::ApiMapping,
            "delete the mapping to the configured API and stage",
        ));
        report.steps.push(look(
            StepId::CustomDomain,
            "delete the custom domain, if flarelink created it and nothing else is mapped",
        ));
        report.steps.push(look(
            StepId::AcmImport,
            "delete flarelink's ACM certificates for the hostname",
        ));
        report.steps.push(look(
            StepId::OriginCert,
            "revoke their Cloudflare origin certificates",
        ));
        report.domains.push(DomainSummary {
            hostname: d.hostname.clone(),
            stage: d.stage.clone(),
            base_path: d.base_path_display().into(),
            ..Default::default()
        });
    }
    report.steps.push(StepReport::new(
        StepId::SslMode,
        None,
        Action::Skip,
        "SSL/TLS encryption mode left as is (zone-wide)",
    ));
    report
}
