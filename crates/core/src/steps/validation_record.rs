//! Step 2 with `[domain.certificate] source = "acm"` — validation-record: the CNAME(s) ACM names
//! to prove control of the hostname, written into Cloudflare **DNS only** (a proxied record
//! would answer with Cloudflare's addresses and ACM would never see it), marked as flarelink's
//! by their comment like the dns-record step's CNAME. ACM renews what it issued only while the
//! records stay, so they stay as long as the certificate does; `unlink-domain` deletes them
//! with it.

use flarelink_aws::Certificate;
use flarelink_cloudflare::{CloudflareClient, DnsRecord, NewDnsRecord};

use super::{same_dns_name, Refusal};
use crate::error::{Context, Error};
use crate::ownership;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::dns_record::{self, describe, DnsRemoval};

const STEP: StepId = StepId::ValidationRecord;

/// A validation CNAME ACM asks for (name and target without the trailing dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub name: String,
    pub value: String,
}

/// Decide: the CNAMEs `cert` asks for, one per name (a wildcard and its apex share one).
pub fn wanted(cert: &Certificate) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = Vec::new();
    for v in &cert.validation_records {
        let Some(r) = &v.record else { continue };
        let w = Wanted {
            name: r.name.trim_end_matches('.').to_ascii_lowercase(),
            value: r.value.trim_end_matches('.').to_string(),
        };
        if !out.iter().any(|o| same_dns_name(&o.name, &w.name)) {
            out.push(w);
        }
    }
    out
}

pub fn comment(hostname: &str) -> String {
    format!(
        "{}: ACM validation of {hostname}; remove with flarelink unlink-domain",
        ownership::DNS_COMMENT_PREFIX
    )
}

/// The record flarelink writes.
pub fn desired(hostname: &str, w: &Wanted) -> NewDnsRecord {
    NewDnsRecord {
        record_type: "CNAME".into(),
        name: w.name.clone(),
        content: w.value.clone(),
        proxied: false,
        ttl: 1,
        comment: Some(comment(hostname)),
    }
}

/// Discover: every record at each of `names`.
pub async fn discover(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    hostname: &str,
    names: &[String],
) -> Result<Vec<Vec<DnsRecord>>, Error> {
    futures::future::try_join_all(names.iter().map(|n| async move {
        cloudflare
            .list_dns_records(zone_id, n)
            .await
            .step(STEP, hostname)
    }))
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordDecision {
    Exists {
        id: String,
    },
    Create,
    /// flarelink's record with another target or proxied (or `--force` over a foreign CNAME).
    Update {
        id: String,
        from: String,
    },
}

/// The validation records to write, each with its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationPlan {
    pub records: Vec<(Wanted, RecordDecision)>,
}

/// Decide, per name (`found[i]` are the records at `wanted[i].name`): the right DNS-only CNAME
/// exists, or flarelink's own is rewritten, or one is created. A CNAME flarelink did not write
/// is refused (`--force` rewrites it); records of other types at the name are refused always (a
/// CNAME cannot sit beside them; flarelink does not delete what it cannot restore).
pub fn decide(
    hostname: &str,
    wanted: &[Wanted],
    found: &[Vec<DnsRecord>],
    force: bool,
) -> Result<ValidationPlan, Refusal> {
    let mut records = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let at = found.get(i).map(Vec::as_slice).unwrap_or_default();
        let others: Vec<&DnsRecord> = at.iter().filter(|r| r.record_type != "CNAME").collect();
        if !others.is_empty() {
            return Err(Refusal::new(
                format!(
                    "{}, the validation name ACM gave for {hostname}, already has records a CNAME cannot sit beside: {}",
                    w.name,
                    others.iter().map(|r| describe(r)).collect::<Vec<_>>().join("; ")
                ),
                "remove them in Cloudflare (ACM needs its CNAME there), or set source = \"origin-ca\"",
            ));
        }
        let decision = match at.iter().find(|r| r.record_type == "CNAME") {
            None => RecordDecision::Create,
            Some(c) if same_dns_name(&c.content, &w.value) && c.proxied != Some(true) => {
                RecordDecision::Exists { id: c.id.clone() }
            }
            Some(c) if ownership::is_managed_comment(c.comment.as_deref()) || force => {
                RecordDecision::Update {
                    id: c.id.clone(),
                    from: describe(c),
                }
            }
            Some(c) => {
                return Err(Refusal::new(
                    format!(
                        "{}, the validation name ACM gave for {hostname}, already has a CNAME that flarelink did not create: {}",
                        w.name,
                        describe(c)
                    ),
                    format!(
                        "pass --force to point it at {} (DNS only; the previous target is printed above), or remove it",
                        w.value
                    ),
                ));
            }
        };
        records.push((w.clone(), decision));
    }
    Ok(ValidationPlan { records })
}

/// The report: the records as they are or will be (or were) written.
pub fn report(hostname: &str, plan: &ValidationPlan) -> StepReport {
    let writes = plan
        .records
        .iter()
        .filter(|(_, d)| !matches!(d, RecordDecision::Exists { .. }))
        .count();
    let mut r = if writes == 0 {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Exists,
            format!("{} validation CNAME(s), DNS only", plan.records.len()),
        )
    } else {
        StepReport::new(
            STEP,
            Some(hostname),
            if plan
                .records
                .iter()
                .any(|(_, d)| matches!(d, RecordDecision::Update { .. }))
            {
                Action::Change
            } else {
                Action::Create
            },
            format!("write {writes} DNS-only validation CNAME(s) for ACM"),
        )
    };
    for (w, d) in &plan.records {
        r = r.detail(match d {
            RecordDecision::Exists { .. } => format!("CNAME {} → {} (DNS only)", w.name, w.value),
            RecordDecision::Create => {
                format!("create DNS-only CNAME {} → {}", w.name, w.value)
            }
            RecordDecision::Update { from, .. } => format!(
                "update CNAME {} → {} (DNS only); before: {from}",
                w.name, w.value
            ),
        });
    }
    r
}

/// Apply: write the records. A create whose answer is lost is looked for (flarelink's identical
/// record) before it is sent again, as for the dns-record step's CNAME.
pub async fn apply(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    plan: &ValidationPlan,
    report: &mut StepReport,
    max_attempts: u32,
) -> Result<(), Error> {
    let h = hostname;
    for (w, d) in &plan.records {
        let record = desired(h, w);
        match d {
            RecordDecision::Exists { .. } => continue,
            RecordDecision::Create => {
                settle.begin(STEP, Some(h), &format!("creating CNAME {}", w.name));
                dns_record::create(cloudflare, zone_id, &record, max_attempts)
                    .await
                    .step(STEP, h)?;
            }
            RecordDecision::Update { id, .. } => {
                settle.begin(STEP, Some(h), &format!("updating CNAME {}", w.name));
                cloudflare
                    .update_dns_record(zone_id, id, &record)
                    .await
                    .step(STEP, h)?;
            }
        }
        report.applied = true;
    }
    Ok(())
}

/// Discover for `unlink-domain`: the validation names of the hostname's ACM-issued
/// certificates (DescribeCertificate) and the records at them.
pub async fn discover_removal(
    clouds: &crate::run::Clouds,
    zone_id: &str,
    hostname: &str,
    requested_arns: &[String],
) -> Result<Vec<DnsRecord>, Error> {
    let acm = &clouds.aws()?.acm;
    let described = futures::future::try_join_all(
        requested_arns
            .iter()
            .map(|arn| async move { acm.describe_certificate(arn).await.step(STEP, hostname) }),
    )
    .await?;
    let mut names: Vec<String> = Vec::new();
    for c in described.iter().flatten() {
        for w in wanted(c) {
            if !names.iter().any(|n| same_dns_name(n, &w.name)) {
                names.push(w.name);
            }
        }
    }
    let found = discover(&clouds.cloudflare, zone_id, hostname, &names).await?;
    Ok(found.into_iter().flatten().collect())
}

/// Decide the removal: flarelink's records at the validation names go, unless a flarelink
/// certificate that needs them for renewal stays (`keep`); others are left alone and reported.
pub fn decide_removal(records: Vec<DnsRecord>, keep: bool) -> DnsRemoval {
    let mut out = DnsRemoval::default();
    for r in records {
        let ours = ownership::is_managed_comment(r.comment.as_deref());
        if ours && !keep {
            out.delete.push(r);
        } else if ours {
            out.notes.push(format!(
                "kept {} {} → {}: a flarelink ACM-issued certificate that stays needs it to renew",
                r.record_type, r.name, r.content
            ));
        } else {
            out.notes.push(format!(
                "kept {} {} → {} (not flarelink's)",
                r.record_type, r.name, r.content
            ));
        }
    }
    out
}

pub fn removal_report(hostname: &str, removal: &DnsRemoval) -> StepReport {
    let mut r = if removal.delete.is_empty() {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            "no flarelink validation CNAME to delete",
        )
    } else {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!(
                "delete {} flarelink validation CNAME(s)",
                removal.delete.len()
            ),
        )
    };
    for rec in &removal.delete {
        r = r.detail(format!(
            "{} {} → {}",
            rec.record_type, rec.name, rec.content
        ));
    }
    for note in &removal.notes {
        r = r.detail(note.clone());
    }
    r
}

/// Remove: delete the records.
pub async fn remove(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    removal: &DnsRemoval,
) -> Result<(), Error> {
    for rec in &removal.delete {
        settle.begin(
            STEP,
            Some(hostname),
            &format!("deleting CNAME {}", rec.name),
        );
        cloudflare
            .delete_dns_record(zone_id, &rec.id)
            .await
            .step(STEP, hostname)?;
    }
    Ok(())
}

pub fn static_removal_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        "delete flarelink's ACM validation CNAMEs, with the certificates that name them",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "api.example.com";

    fn w() -> Wanted {
        Wanted {
            name: "_abc.api.example.com".into(),
            value: "_def.acm-validations.aws".into(),
        }
    }

    fn rec(kind: &str, content: &str, proxied: bool, comment: Option<String>) -> DnsRecord {
        DnsRecord {
            id: format!("id-{kind}-{content}"),
            record_type: kind.into(),
            name: "_abc.api.example.com".into(),
            content: content.into(),
            proxied: Some(proxied),
            ttl: Some(1),
            comment,
            created_on: None,
        }
    }

    fn one(found: Vec<DnsRecord>, force: bool) -> Result<RecordDecision, Refusal> {
        decide(H, &[w()], &[found], force).map(|p| p.records[0].1.clone())
    }

    #[test]
    fn the_right_dns_only_cname_exists_flarelinks_is_fixed_and_a_foreign_one_is_refused() {
        let ours = Some(comment(H));
        assert_eq!(one(vec![], false), Ok(RecordDecision::Create));
        assert!(matches!(
            one(
                vec![rec("CNAME", "_DEF.acm-validations.aws.", false, None)],
                false
            ),
            Ok(RecordDecision::Exists { .. })
        ));
        assert!(matches!(
            one(
                vec![rec("CNAME", "_def.acm-validations.aws", true, ours.clone())],
                false
            ),
            Ok(RecordDecision::Update { .. })
        ));
        assert!(matches!(
            one(
                vec![rec("CNAME", "_old.acm-validations.aws", false, ours)],
                false
            ),
            Ok(RecordDecision::Update { .. })
        ));
        let foreign = rec("CNAME", "elsewhere.example.net", false, Some("mine".into()));
        let err = one(vec![foreign.clone()], false).unwrap_err();
        assert!(err.message.contains("elsewhere.example.net"), "{err:?}");
        assert!(err.fix.contains("--force"), "{err:?}");
        assert!(matches!(
            one(vec![foreign], true),
            Ok(RecordDecision::Update { .. })
        ));
        assert!(one(vec![rec("TXT", "hello", false, None)], true).is_err());
    }

    #[test]
    fn the_written_record_is_dns_only_and_marked() {
        let r = desired(H, &w());
        assert!(!r.proxied);
        assert_eq!(r.record_type, "CNAME");
        assert!(ownership::is_managed_comment(r.comment.as_deref()));
    }

    #[test]
    fn removal_takes_only_flarelinks_records_and_none_while_a_certificate_stays() {
        let ours = rec("CNAME", "_def.acm-validations.aws", false, Some(comment(H)));
        let foreign = rec("CNAME", "x.example.net", false, None);
        let r = decide_removal(vec![ours.clone(), foreign.clone()], false);
        assert_eq!(r.delete, vec![ours.clone()]);
        assert_eq!(r.notes.len(), 1);
        let r = decide_removal(vec![ours, foreign], true);
        assert!(r.delete.is_empty());
        assert_eq!(r.notes.len(), 2);
    }

    #[test]
    fn one_record_per_name_without_trailing_dots() {
        let c = Certificate {
            arn: "a".into(),
            domain_name: None,
            subject_alternative_names: vec![],
            not_before: None,
            not_after: None,
            status: None,
            certificate_type: None,
            in_use_by: vec![],
            key_algorithm: None,
            serial: None,
            failure_reason: None,
            validation_records: ["api.example.com", "*.api.example.com"]
                .into_iter()
                .map(|d| flarelink_aws::ValidationRecord {
                    domain_name: d.into(),
                    validation_status: None,
                    record: Some(flarelink_aws::ResourceRecord {
                        name: "_abc.api.example.com.".into(),
                        record_type: "CNAME".into(),
                        value: "_def.acm-validations.aws.".into(),
                    }),
                })
                .collect(),
        };
        assert_eq!(wanted(&c), vec![w()]);
    }
}
