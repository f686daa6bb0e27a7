//! Step 5 — dns-record: a proxied CNAME from the hostname to the custom domain's regional domain
//! name (`d-….execute-api.<region>.amazonaws.com`), with a comment that marks it as flarelink's.

use flarelink_cloudflare::{CloudflareClient, DnsRecord, NewDnsRecord};

use super::{same_dns_name, Pending, Refusal};
use crate::config::Domain;
use crate::error::{Context, Error};
use crate::ownership;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::step_context::StepContext;
use crate::write_once::{create_once, Outcome, WriteError, Written};

const STEP: StepId = StepId::DnsRecord;

/// Discover: every record named exactly as the hostname.
pub async fn discover(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    hostname: &str,
) -> Result<Vec<DnsRecord>, Error> {
    cloudflare
        .list_dns_records(zone_id, hostname)
        .await
        .step(STEP, hostname)
}

/// Cloudflare's "An identical record already exists": after a create whose answer was lost,
/// the retry's answer when the first one went through.
pub const IDENTICAL_RECORD_EXISTS: u32 = 81058;

/// Decide: after a create whose answer was lost (or an 81058), flarelink's own record among
/// the name's records — the same type, name and target, proxied, with flarelink's comment.
pub fn created_record<'a>(
    records: &'a [DnsRecord],
    wanted: &NewDnsRecord,
) -> Option<&'a DnsRecord> {
    records.iter().find(|r| {
        r.record_type == wanted.record_type
            && same_dns_name(&r.name, &wanted.name)
            && same_dns_name(&r.content, &wanted.content)
            && r.proxied == Some(wanted.proxied)
            && ownership::is_managed_comment(r.comment.as_deref())
    })
}

/// How a DNS create ended: 81058 means a record exactly like it exists — maybe the one a lost
/// answer made — so it is looked for like an unknown outcome.
pub fn create_outcome(e: &flarelink_cloudflare::Error) -> Outcome {
    if e.has_code(IDENTICAL_RECORD_EXISTS) {
        Outcome::Unknown
    } else {
        e.outcome()
    }
}

/// Act: create the record. After an unknown outcome (or 81058) the name's records are read and
/// flarelink's identical record adopted; the create is sent again only when it is absent. An
/// 81058 with no flarelink record behind it (someone else's identical record) stays an error.
pub async fn create(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    record: &NewDnsRecord,
    max_attempts: u32,
) -> Result<Written<DnsRecord>, flarelink_cloudflare::Error> {
    create_once(
        max_attempts,
        create_outcome,
        || cloudflare.create_dns_record(zone_id, record),
        || async {
            let records = cloudflare.list_dns_records(zone_id, &record.name).await?;
            Ok(created_record(&records, record).cloned())
        },
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsDecision {
    Exists {
        id: String,
    },
    Create,
    /// Rewrite the CNAME (new target, proxy switched on, or `--force` over a foreign one).
    Update {
        id: String,
        from: String,
    },
    /// `--force` over records of other types on the name: delete them, then create.
    Replace {
        delete: Vec<DnsRecord>,
    },
}

/// The record flarelink wants.
pub fn desired(hostname: &str, target: &str) -> NewDnsRecord {
    NewDnsRecord {
        record_type: "CNAME".into(),
        name: hostname.to_string(),
        content: target.to_string(),
        proxied: true,
        ttl: 1,
        comment: Some(ownership::dns_comment(hostname)),
    }
}

/// Decide. `records` are all records named exactly `hostname`; `target` is `None` while the
/// custom domain is still to be created.
pub fn decide(
    hostname: &str,
    records: &[DnsRecord],
    target: Option<&str>,
    force: bool,
) -> Result<DnsDecision, Refusal> {
    let cname = records.iter().find(|r| r.record_type == "CNAME");
    let others: Vec<&DnsRecord> = records
        .iter()
        .filter(|r| r.record_type != "CNAME")
        .collect();

    if let Some(c) = cname {
        let ours = ownership::is_managed_comment(c.comment.as_deref());
        let right_target = target.is_some_and(|t| same_dns_name(&c.content, t));
        let proxied = c.proxied == Some(true);
        if right_target && proxied {
            // Already exactly what is wanted: nothing to write, whoever made it. (A record
            // flarelink did not mark stays unmarked, so unlink-domain leaves it alone.)
            return Ok(DnsDecision::Exists { id: c.id.clone() });
        }
        if ours || force {
            return Ok(DnsDecision::Update {
                id: c.id.clone(),
                from: describe(c),
            });
        }
        return Err(Refusal::new(
            format!("{hostname} already has a CNAME that flarelink did not create: {}", describe(c)),
            "pass --force to point it at API Gateway (the previous target is printed above), or choose another hostname",
        ));
    }
    if !others.is_empty() {
        let list = others
            .iter()
            .map(|r| describe(r))
            .collect::<Vec<_>>()
            .join("; ");
        if force {
            return Ok(DnsDecision::Replace {
                delete: others.into_iter().cloned().collect(),
            });
        }
        return Err(Refusal::new(
            format!("{hostname} already has other DNS records, which a CNAME cannot sit beside: {list}"),
            "pass --force to replace them with the CNAME (they are printed above so you can restore them), or choose another hostname",
        ));
    }
    Ok(DnsDecision::Create)
}

/// A record as the reports show it: type, name, target and whether it is proxied.
pub(crate) fn describe(r: &DnsRecord) -> String {
    format!(
        "{} {} → {}{}",
        r.record_type,
        r.name,
        r.content,
        if r.proxied == Some(true) {
            " (proxied)"
        } else {
            " (DNS only)"
        }
    )
}

/// The report: the record as it is, or as it will be (or was) written, pointing at `target`
/// (known, or the regional name step 3 creates).
pub fn report(hostname: &str, decision: &DnsDecision, target: &Pending<String>) -> StepReport {
    let h = hostname;
    let target = match target {
        Pending::Known(t) => t.clone(),
        Pending::AfterStep(step) => format!(
            "(the custom domain's regional name, known after step {})",
            step.number()
        ),
    };
    match decision {
        DnsDecision::Exists { .. } => StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!("CNAME {h} → {target} (proxied)"),
        ),
        DnsDecision::Create => StepReport::new(
            STEP,
            Some(h),
            Action::Create,
            format!("create proxied CNAME {h} → {target}"),
        ),
        DnsDecision::Update { from, .. } => StepReport::new(
            STEP,
            Some(h),
            Action::Change,
            format!("update CNAME {h} → {target} (proxied)"),
        )
        .detail(format!("before: {from}")),
        DnsDecision::Replace { delete } => {
            let mut r = StepReport::new(
                STEP,
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

pub fn static_report(d: &Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        format!(
            "proxied CNAME {} → the custom domain's regional name",
            d.hostname
        ),
    )
}

/// Apply: write the record for `target`.
pub async fn apply(
    cx: &StepContext<'_>,
    hostname: &str,
    decision: &DnsDecision,
    target: &str,
    report: &mut StepReport,
) -> Result<(), Error> {
    let (cloudflare, settle, max_attempts) = (cx.cloudflare(), cx.settle, cx.attempts);
    let zone_id = cx.zone().id.as_str();
    let h = hostname;
    let desired = desired(h, target);
    if !matches!(decision, DnsDecision::Exists { .. }) {
        settle.begin(STEP, Some(h), &report.summary);
    }
    match decision {
        DnsDecision::Exists { .. } => return Ok(()),
        DnsDecision::Create => {
            create(cloudflare, zone_id, &desired, max_attempts)
                .await
                .step(STEP, h)?;
        }
        DnsDecision::Update { id, .. } => {
            cloudflare
                .update_dns_record(zone_id, id, &desired)
                .await
                .step(STEP, h)?;
        }
        DnsDecision::Replace { delete } => {
            for rec in delete {
                cloudflare
                    .delete_dns_record(zone_id, &rec.id)
                    .await
                    .step(STEP, h)?;
            }
            create(cloudflare, zone_id, &desired, max_attempts)
                .await
                .step(STEP, h)?;
        }
    }
    report.applied = true;
    Ok(())
}

/// What unlink removes of the hostname's records, and what it keeps (with why).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsRemoval {
    pub delete: Vec<DnsRecord>,
    pub notes: Vec<String>,
}

/// Decide the removal (`unlink-domain`): flarelink's records, if they point at this region's
/// custom domain (`target`, or any of the region's when the domain is gone) — another region's
/// link of the same hostname (a migration) keeps its record, unless `--force`.
pub fn decide_removal(
    records: Vec<DnsRecord>,
    target: Option<&str>,
    region: &str,
    force: bool,
) -> DnsRemoval {
    let this_region = format!(".execute-api.{region}.amazonaws.com");
    let mut out = DnsRemoval::default();
    for r in records {
        let marked = ownership::is_managed_comment(r.comment.as_deref());
        let ours_here = match target {
            Some(t) => same_dns_name(&r.content, t),
            None => r.content.trim_end_matches('.').ends_with(&this_region),
        };
        if marked && (ours_here || force) {
            out.delete.push(r);
        } else if marked {
            out.notes.push(format!(
                "kept {} {} → {}: it points at another region's custom domain (pass --force to delete it)",
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

/// The removal's report.
pub fn removal_report(hostname: &str, removal: &DnsRemoval) -> StepReport {
    let mut r = if removal.delete.is_empty() {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            "no flarelink DNS record to delete",
        )
    } else {
        StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!("delete {} flarelink DNS record(s)", removal.delete.len()),
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
    report: &StepReport,
) -> Result<(), Error> {
    for rec in &removal.delete {
        settle.begin(STEP, Some(hostname), &report.summary);
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
        "delete flarelink's CNAME, if it points at this region's custom domain",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "d-abc.execute-api.us-east-1.amazonaws.com";

    fn rec(kind: &str, content: &str, proxied: bool, comment: Option<String>) -> DnsRecord {
        DnsRecord {
            id: format!("id-{kind}"),
            record_type: kind.into(),
            name: "api.example.com".into(),
            content: content.into(),
            proxied: Some(proxied),
            ttl: Some(1),
            comment,
            created_on: None,
        }
    }

    #[test]
    fn a_right_record_is_kept_flarelink_ones_are_updated_and_foreign_ones_refused_unless_forced() {
        let h = "api.example.com";
        let ours = Some(ownership::dns_comment(h));
        assert_eq!(decide(h, &[], Some(T), false), Ok(DnsDecision::Create));
        assert_eq!(decide(h, &[], None, false), Ok(DnsDecision::Create));
        let exact = rec(
            "CNAME",
            &format!("{}.", T.to_uppercase()),
            true,
            ours.clone(),
        );
        assert!(matches!(
            decide(h, &[exact], Some(T), false),
            Ok(DnsDecision::Exists { .. })
        ));
        let unproxied = rec("CNAME", T, false, ours.clone());
        assert!(matches!(
            decide(h, &[unproxied], Some(T), false),
            Ok(DnsDecision::Update { .. })
        ));
        let moved = rec(
            "CNAME",
            "d-old.execute-api.us-east-1.amazonaws.com",
            true,
            ours,
        );
        assert!(matches!(
            decide(h, &[moved], Some(T), false),
            Ok(DnsDecision::Update { .. })
        ));
        let foreign = rec("CNAME", "elsewhere.example.net", true, Some("mine".into()));
        assert!(decide(h, std::slice::from_ref(&foreign), Some(T), false).is_err());
        assert!(decide(h, std::slice::from_ref(&foreign), None, false).is_err());
        assert!(matches!(
            decide(h, &[foreign], Some(T), true),
            Ok(DnsDecision::Update { .. })
        ));
        let a = rec("A", "192.0.2.1", true, None);
        let err = decide(h, std::slice::from_ref(&a), Some(T), false).unwrap_err();
        assert!(err.message.contains("192.0.2.1"));
        assert!(matches!(
            decide(h, &[a], Some(T), true),
            Ok(DnsDecision::Replace { .. })
        ));
    }

    #[test]
    fn desired_record_is_proxied_automatic_ttl_and_marked() {
        let r = desired("api.example.com", T);
        assert!(r.proxied);
        assert_eq!(r.ttl, 1);
        assert!(ownership::is_managed_comment(r.comment.as_deref()));
    }

    #[test]
    fn a_lost_create_is_recognised_by_type_target_proxy_and_comment() {
        let wanted = desired("api.example.com", "d-1.execute-api.us-east-1.amazonaws.com");
        let rec = |content: &str, proxied: bool, comment: Option<String>| DnsRecord {
            id: content.to_string(),
            record_type: "CNAME".into(),
            name: "API.example.com.".into(),
            content: content.into(),
            proxied: Some(proxied),
            ttl: Some(1),
            comment,
            created_on: None,
        };
        let ours = wanted.comment.clone();
        let records = vec![
            rec(
                "d-2.execute-api.us-east-1.amazonaws.com",
                true,
                ours.clone(),
            ),
            rec(
                "d-1.execute-api.us-east-1.amazonaws.com",
                false,
                ours.clone(),
            ),
            rec(
                "d-1.execute-api.us-east-1.amazonaws.com",
                true,
                Some("mine".into()),
            ),
        ];
        assert!(created_record(&records, &wanted).is_none());
        let mut with_ours = records.clone();
        with_ours.push(rec("D-1.execute-api.us-east-1.amazonaws.com.", true, ours));
        assert_eq!(
            created_record(&with_ours, &wanted).map(|r| r.id.as_str()),
            Some("D-1.execute-api.us-east-1.amazonaws.com.")
        );
    }

    #[test]
    fn identical_record_exists_is_looked_up_not_final() {
        let e = flarelink_cloudflare::Error::Api {
            operation: "create DNS record",
            status: 400,
            errors: vec![flarelink_cloudflare::ApiMessage {
                code: IDENTICAL_RECORD_EXISTS,
                message: "An identical record already exists.".into(),
            }],
        };
        assert_eq!(create_outcome(&e), Outcome::Unknown);
        let other = flarelink_cloudflare::Error::Api {
            operation: "create DNS record",
            status: 400,
            errors: vec![flarelink_cloudflare::ApiMessage {
                code: 81053,
                message: "exists".into(),
            }],
        };
        assert_eq!(create_outcome(&other), Outcome::Refused);
    }
}
