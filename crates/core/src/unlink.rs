//! `unlink-domain`: removes, in reverse order, what flarelink created for each hostname — the
//! CNAME, the API mapping, the custom domain, the ACM certificate — and revokes the Cloudflare
//! origin certificate. Anything not marked as flarelink's is left alone and reported. The zone's
//! SSL/TLS mode is zone-wide and stays as it is.

use std::collections::BTreeSet;
use std::sync::Arc;

use flarelink_aws::{BasePathMapping, DomainName};
use flarelink_cloudflare::{DnsRecord, Zone};
use futures::future::try_join_all;

use crate::config::{Config, Domain};
use crate::error::{Context, Error};
use crate::link::{Clouds, RunOptions};
use crate::ownership;
use crate::plan::{Action, DomainSummary, Progress, RunReport, StepId, StepReport};
use crate::resolve;
use crate::steps::acm_import::{self, ManagedCertificate};
use crate::steps::api_mapping::same_base_path;
use crate::steps::origin_cert;

/// What will be removed for one hostname.
struct HostRemoval {
    domain: Domain,
    dns: Vec<DnsRecord>,
    foreign_dns: usize,
    mapping: Option<BasePathMapping>,
    /// Delete the custom domain (it is flarelink's and nothing foreign hangs off it).
    delete_domain: bool,
    domain_note: Option<String>,
    regional_domain_name: Option<String>,
    certificates: Vec<ManagedCertificate>,
    kept_certificates: Vec<(ManagedCertificate, String)>,
    revoke: Vec<String>,
}

pub async fn run(
    config: &Config,
    clouds: &Clouds,
    options: RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, Error> {
    let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
    let first = hostnames.first().cloned().unwrap_or_default();
    let (zone, inventory) = tokio::try_join!(
        resolve::zone(&clouds.cloudflare, &config.zone, &hostnames),
        async {
            acm_import::discover(&clouds.aws.acm, &hostnames)
                .await
                .step(StepId::AcmImport, &first)
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

    let mut removals = Vec::new();
    for (domain, (existing, mappings, records)) in config.domains.iter().zip(discovered) {
        let h = domain.hostname.as_str();
        let certs: Vec<ManagedCertificate> = inventory
            .iter()
            .filter(|(host, _)| host == h)
            .map(|(_, c)| c.clone())
            .collect();
        removals.push(decide(
            domain,
            existing,
            mappings,
            records,
            certs,
            &origin_all,
            options.force,
        ));
    }

    let mut report = RunReport::new("unlink-domain", options.dry_run);
    report.zone.name = Some(zone.name.clone());
    report.zone.id = Some(zone.id.clone());
    for removal in removals {
        let (steps, summary) = apply(clouds, &zone, removal, options, progress.as_ref()).await?;
        report.steps.extend(steps);
        report.domains.push(summary);
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

type Found = (Option<DomainName>, Vec<BasePathMapping>, Vec<DnsRecord>);

async fn discover(domain: &Domain, clouds: &Clouds, zone: &Zone) -> Result<Found, Error> {
    let h = domain.hostname.as_str();
    let apigw = &clouds.aws.apigateway;
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

fn decide(
    domain: &Domain,
    existing: Option<DomainName>,
    mappings: Vec<BasePathMapping>,
    records: Vec<DnsRecord>,
    certs: Vec<ManagedCertificate>,
    origin_all: &[flarelink_cloudflare::OriginCertificate],
    force: bool,
) -> HostRemoval {
    let h = domain.hostname.as_str();
    let (dns, foreign): (Vec<DnsRecord>, Vec<DnsRecord>) = records
        .into_iter()
        .partition(|r| ownership::is_managed_comment(r.comment.as_deref()));

    let managed_arns: BTreeSet<&str> = certs.iter().map(|c| c.arn.as_str()).collect();
    let domain_is_ours = existing.as_ref().is_some_and(|d| {
        ownership::is_managed_for(&d.tags, h)
            || d.regional_certificate_arn
                .as_deref()
                .is_some_and(|a| managed_arns.contains(a))
    });
    let mut mapping = None;
    let mut delete_domain = false;
    let mut domain_note = None;
    if let Some(d) = &existing {
        if domain_is_ours {
            mapping = mappings
                .iter()
                .find(|m| same_base_path(&m.base_path, domain.base_path.as_deref()))
                .cloned();
            let others: Vec<&BasePathMapping> = mappings
                .iter()
                .filter(|m| !same_base_path(&m.base_path, domain.base_path.as_deref()))
                .collect();
            if others.is_empty() || force {
                delete_domain = true;
            } else {
                domain_note = Some(format!(
                    "custom domain kept: it also has mapping(s) flarelink did not make ({}); pass --force to delete it with them",
                    others.iter().map(|m| m.base_path.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        } else {
            domain_note = Some(format!(
                "custom domain {} is not flarelink's (certificate {}); left alone",
                d.name,
                d.regional_certificate_arn.as_deref().unwrap_or("(none)")
            ));
        }
    }

    // A certificate still served by a domain that stays must stay too.
    let kept_domain_cert = existing
        .as_ref()
        .filter(|_| !delete_domain)
        .and_then(|d| d.regional_certificate_arn.clone());
    let mut certificates = Vec::new();
    let mut kept_certificates = Vec::new();
    for c in certs {
        let domain_arn_prefix = format!(":/domainnames/{h}");
        let used_elsewhere = c
            .in_use_by
            .iter()
            .any(|u| !(delete_domain && u.ends_with(&domain_arn_prefix)));
        if kept_domain_cert.as_deref() == Some(c.arn.as_str()) {
            kept_certificates.push((
                c,
                "still served by the custom domain that stays".to_string(),
            ));
        } else if used_elsewhere {
            let users = c.in_use_by.join(", ");
            kept_certificates.push((c, format!("in use by {users}")));
        } else {
            certificates.push(c);
        }
    }
    let kept_ids: BTreeSet<String> = kept_certificates
        .iter()
        .filter_map(|(c, _)| c.origin_cert_id.clone())
        .collect();
    let mut revoke: Vec<String> = certificates
        .iter()
        .filter_map(|c| c.origin_cert_id.clone())
        .collect();
    for o in origin_cert::managed_for(origin_all, h) {
        if !kept_ids.contains(&o.id) && !revoke.contains(&o.id) {
            revoke.push(o.id);
        }
    }
    HostRemoval {
        domain: domain.clone(),
        dns,
        foreign_dns: foreign.len(),
        mapping,
        delete_domain,
        domain_note,
        regional_domain_name: existing
            .as_ref()
            .and_then(|d| d.regional_domain_name.clone()),
        certificates,
        kept_certificates,
        revoke,
    }
}

async fn apply(
    clouds: &Clouds,
    zone: &Zone,
    r: HostRemoval,
    options: RunOptions,
    progress: &dyn Progress,
) -> Result<(Vec<StepReport>, DomainSummary), Error> {
    let h = r.domain.hostname.clone();
    let h = h.as_str();
    let write = !options.dry_run;
    let mut steps = Vec::new();
    let mut finish = |mut report: StepReport, applied: bool| {
        report.applied = applied;
        progress.end(&report);
        steps.push(report);
    };

    // 5. DNS
    let report = if r.dns.is_empty() {
        StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Skip,
            "no flarelink DNS record",
        )
    } else {
        let mut rep = StepReport::new(
            StepId::DnsRecord,
            Some(h),
            Action::Delete,
            format!("delete {} flarelink DNS record(s)", r.dns.len()),
        );
        for rec in &r.dns {
            rep = rep.detail(format!(
                "{} {} → {}",
                rec.record_type, rec.name, rec.content
            ));
            if write {
                progress.begin(StepId::DnsRecord, Some(h), &rep.summary);
                clouds
                    .cloudflare
                    .delete_dns_record(&zone.id, &rec.id)
                    .await
                    .step(StepId::DnsRecord, h)?;
            }
        }
        rep
    };
    let applied = write && report.action == Action::Delete;
    let report = if r.foreign_dns > 0 {
        report.detail(format!(
            "{} record(s) not made by flarelink left alone",
            r.foreign_dns
        ))
    } else {
        report
    };
    finish(report, applied);

    // 4. API mapping
    let report = match &r.mapping {
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
                    .aws
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
    let applied = write && report.action == Action::Delete;
    finish(report, applied);

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
                .aws
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
    let applied = write && report.action == Action::Delete;
    finish(report, applied);

    // 2. ACM
    let mut report = if r.certificates.is_empty() {
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
    for c in &r.certificates {
        report = report.detail(c.arn.clone());
        if write {
            progress.begin(StepId::AcmImport, Some(h), &format!("deleting {}", c.arn));
            clouds
                .aws
                .acm
                .delete_certificate(&c.arn)
                .await
                .step(StepId::AcmImport, h)?;
        }
    }
    for (c, why) in &r.kept_certificates {
        report = report.detail(format!("kept {}: {why}", c.arn));
    }
    let applied = write && report.action == Action::Delete;
    finish(report, applied);

    // 1. Origin CA certificate
    let mut report = if r.revoke.is_empty() {
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
            format!("revoke origin certificate(s) {}", r.revoke.join(", ")),
        )
    };
    for id in &r.revoke {
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
        report = report.detail("origin certificates behind kept ACM certificates stay valid");
    }
    let applied = write && report.action == Action::Delete;
    finish(report, applied);

    let summary = DomainSummary {
        hostname: h.into(),
        regional_domain_name: r.regional_domain_name.clone(),
        stage: r.domain.stage.clone(),
        base_path: r.domain.base_path_display().into(),
        ..Default::default()
    };
    Ok((steps, summary))
}
