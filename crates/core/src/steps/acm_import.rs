//! Step 2 — acm-import: the origin certificate and its key in AWS Certificate Manager, tagged as
//! flarelink's with the hostname and the Cloudflare certificate id (in the import call itself,
//! so an untagged flarelink certificate cannot exist). A flarelink certificate that covers the
//! hostname, has the configured key type and is outside its renewal window
//! (`renew_before_days`; by default 30 days, or a third of its lifetime for certificates shorter
//! than 90 days) is reused instead of importing another.
//!
//! The tag is not the only mark: a re-import (rotation in place, `crate::rotate`) cannot set
//! tags, so for a moment the tag names the origin certificate the ARN held before. Every rule
//! that decides what is live therefore also matches the certificate ACM serves to its origin
//! certificate by serial number ([`reconcile`]); the serial wins over a stale tag.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use flarelink_aws::{Acm, DomainName, SecretPem};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::certs::{self, name_covers};
use crate::config::{CertificateSpec, Config, Domain, KeyType};
use crate::error::{Context, Error};
use crate::in_use::{self, Deleted};
use crate::ownership;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::origin_cert::Issued;
use crate::write_once::{create_once, WriteError, Written};

const STEP: StepId = StepId::AcmImport;

/// ACM calls in flight at once while taking inventory (ACM's per-account rate is ~10 rps).
const INVENTORY_CONCURRENCY: usize = 8;

/// A certificate flarelink imported for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedCertificate {
    pub arn: String,
    pub origin_cert_id: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// ACM's name for the key, e.g. `RSA_2048`, `EC_prime256v1`.
    pub key_algorithm: Option<String>,
    /// Whether its names cover the hostname.
    pub covers: bool,
    pub in_use_by: Vec<String>,
    /// The serial number of the certificate the ARN holds now (lower-case hex, no colons or
    /// leading zeros; see [`normalise_serial`]).
    pub serial: Option<String>,
    /// Set by [`reconcile`] when the tag names another origin certificate than the one whose
    /// serial the ARN serves (a rotation stopped between re-import and tag update): the tag's
    /// stale value. `origin_cert_id` then holds the served one.
    pub stale_origin_tag: Option<String>,
}

/// The region's ACM certificates as far as flarelink needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// flarelink's certificates for the run's hostnames, as (hostname, certificate), by ARN.
    pub managed: Vec<(String, ManagedCertificate)>,
    /// Every certificate in the region that names an origin certificate in flarelink's tag
    /// (whatever its hostname): ARN → origin certificate id. A certificate some custom domain
    /// serves keeps the origin certificate it names alive, even another hostname's.
    pub origin_by_arn: BTreeMap<String, String>,
}

/// Discover: every flarelink certificate in the region for each of `hostnames` (one inventory
/// for the whole run), and which origin certificate every certificate of the region names.
/// Two round trips, however many certificates the account holds: ListCertificates, then every
/// certificate's tags beside the description of those whose SANs can cover a hostname.
pub async fn discover(acm: &Acm, hostnames: &[String]) -> Result<Inventory, flarelink_aws::Error> {
    let wanted: BTreeSet<&str> = hostnames.iter().map(String::as_str).collect();
    let wanted = &wanted;
    let summaries = acm.list_certificates().await?;
    // Origin CA certificates name the hostname only as a SAN (their subject is Cloudflare's
    // generic one), so a summary that reports no SANs cannot be ruled out.
    let candidates: Vec<String> = summaries
        .iter()
        .filter(|c| {
            c.subject_alternative_names.is_empty()
                || c.subject_alternative_names
                    .iter()
                    .chain(c.domain_name.iter())
                    .any(|n| wanted.iter().any(|h| name_covers(n, h)))
        })
        .map(|c| c.arn.clone())
        .collect();
    // Every certificate's tags: an origin certificate may be named by another hostname's import.
    let tags = stream::iter(summaries.into_iter().map(|c| c.arn))
        .map(|arn| async move {
            let tags = acm.certificate_tags(&arn).await?;
            Ok::<_, flarelink_aws::Error>((arn, tags))
        })
        .buffer_unordered(INVENTORY_CONCURRENCY)
        .try_collect::<BTreeMap<String, BTreeMap<String, String>>>();
    let described = stream::iter(candidates)
        .map(|arn| async move { acm.describe_certificate(&arn).await })
        .buffer_unordered(INVENTORY_CONCURRENCY)
        .try_filter_map(|c| async move { Ok(c) })
        .try_collect::<Vec<_>>();
    let (all_tags, described) = tokio::try_join!(tags, described)?;
    let origin_by_arn: BTreeMap<String, String> = all_tags
        .iter()
        .filter_map(|(arn, tags)| {
            tags.get(ownership::TAG_ORIGIN_CERT_ID)
                .map(|id| (arn.clone(), id.clone()))
        })
        .collect();
    let mut managed: Vec<(String, ManagedCertificate)> = described
        .into_iter()
        .filter_map(|c| {
            let tags = all_tags.get(&c.arn)?;
            let host = tags.get(ownership::TAG_HOSTNAME).cloned()?;
            if !(wanted.contains(host.as_str()) && ownership::is_managed_for(tags, &host)) {
                return None;
            }
            let covers = c
                .subject_alternative_names
                .iter()
                .chain(c.domain_name.iter())
                .any(|n| name_covers(n, &host));
            let origin_cert_id = tags.get(ownership::TAG_ORIGIN_CERT_ID).cloned();
            Some((
                host,
                ManagedCertificate {
                    arn: c.arn,
                    origin_cert_id,
                    not_before: c.not_before,
                    not_after: c.not_after,
                    status: c.status,
                    key_algorithm: c.key_algorithm,
                    covers,
                    in_use_by: c.in_use_by,
                    serial: c.serial.as_deref().map(normalise_serial),
                    stale_origin_tag: None,
                },
            ))
        })
        .collect();
    managed.sort_by(|a, b| a.1.arn.cmp(&b.1.arn));
    Ok(Inventory {
        managed,
        origin_by_arn,
    })
}

/// Which ACM certificates the region's custom domains serve (GetDomainNames), and the origin
/// certificates those name. Live state, read before deciding anything is unused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Served {
    /// Custom domain name (lower case) → the certificate ARNs it serves (regional and edge).
    by_domain: BTreeMap<String, Vec<String>>,
    origin_by_arn: BTreeMap<String, String>,
}

impl Served {
    pub fn new(domains: &[DomainName], origin_by_arn: BTreeMap<String, String>) -> Self {
        let by_domain = domains
            .iter()
            .map(|d| {
                let arns = d
                    .regional_certificate_arn
                    .iter()
                    .chain(d.certificate_arn.iter())
                    .cloned()
                    .collect();
                (d.name.to_ascii_lowercase(), arns)
            })
            .collect();
        Served {
            by_domain,
            origin_by_arn,
        }
    }

    /// The certificates served once `hostname`'s own domain serves `serving` (`None`: that
    /// domain is gone or being deleted), every other domain as read.
    pub fn arns_once(&self, hostname: &str, serving: Option<&str>) -> BTreeSet<String> {
        let own = hostname.to_ascii_lowercase();
        self.by_domain
            .iter()
            .filter(|(name, _)| **name != own)
            .flat_map(|(_, arns)| arns.iter().cloned())
            .chain(serving.map(str::to_string))
            .collect()
    }

    /// Records that `arn` carries origin certificate `origin_id` (by serial; see [`reconcile`]).
    pub fn set_origin(&mut self, arn: &str, origin_id: &str) {
        self.origin_by_arn
            .insert(arn.to_string(), origin_id.to_string());
    }

    /// Whether any certificate of the region other than `except_arn` names `origin_id`.
    pub fn named_elsewhere(&self, origin_id: &str, except_arn: &str) -> bool {
        self.origin_by_arn
            .iter()
            .any(|(arn, id)| arn != except_arn && id == origin_id)
    }

    /// The origin certificates named by the certificates in `arns`.
    pub fn origin_ids_of(&self, arns: &BTreeSet<String>) -> BTreeSet<String> {
        arns.iter()
            .filter_map(|a| self.origin_by_arn.get(a).cloned())
            .collect()
    }
}

/// A serial number as one canonical string: lower-case hex without separators or leading
/// zeros. ACM's DescribeCertificate writes hex bytes separated by colons (`0f:ac:…`).
pub fn normalise_serial(serial: &str) -> String {
    let hex: String = serial
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

/// The serial number of a PEM certificate, normalised ([`normalise_serial`]).
pub fn certificate_serial(pem: &str) -> Option<String> {
    use x509_parser::prelude::*;
    let (_, block) = parse_x509_pem(pem.trim_start().as_bytes()).ok()?;
    let (_, cert) = parse_x509_certificate(&block.contents).ok()?;
    let hex: String = cert
        .raw_serial()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(normalise_serial(&hex))
}

/// Decide (pure): match every flarelink ACM certificate to the live origin certificate whose
/// serial it serves, `origins` being `(id, serial)` of the live origin certificates. Where the
/// tag names another one (a rotation stopped after the re-import, before the tag update), the
/// served one wins: `origin_cert_id` and `served`'s map are set to it and the tag's value is kept
/// in `stale_origin_tag`, so the live origin certificate is never taken for an orphan and the
/// one the ARN no longer serves is no longer protected by it.
pub fn reconcile(
    managed: &mut [(String, ManagedCertificate)],
    served: &mut Served,
    origins: &[(String, String)],
) {
    for (_, c) in managed.iter_mut() {
        let Some(serial) = c.serial.as_deref() else {
            continue;
        };
        let Some((id, _)) = origins.iter().find(|(_, s)| s == serial) else {
            continue;
        };
        if c.origin_cert_id.as_deref() != Some(id.as_str()) {
            c.stale_origin_tag = c.origin_cert_id.replace(id.clone());
            served.set_origin(&c.arn, id);
        }
    }
}

/// The certificates whose tag must be brought up to date (see [`reconcile`]).
pub fn stale_tags(plan: &CertificatePlan) -> Vec<(&ManagedCertificate, &str)> {
    plan.managed
        .iter()
        .filter(|c| c.stale_origin_tag.is_some())
        .filter_map(|c| c.origin_cert_id.as_deref().map(|id| (c, id)))
        .collect()
}

/// Act: set the ownership tag of `arn` to name `origin_cert_id` (after a re-import, which
/// cannot carry tags). AddTagsToCertificate overwrites the tag's value; repeating it is harmless.
pub async fn retag(
    acm: &Acm,
    arn: &str,
    hostname: &str,
    origin_cert_id: &str,
) -> Result<(), flarelink_aws::Error> {
    acm.add_tags_to_certificate(arn, &ownership::acm_tags(hostname, origin_cert_id))
        .await
}

/// What may go once a hostname's domain serves a given certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retirement {
    /// flarelink certificates no custom domain serves (nor ACM says are in use elsewhere).
    pub delete: Vec<ManagedCertificate>,
    /// Origin certificates named only by certificates in `delete`: no served certificate and no
    /// certificate that stays in ACM names them.
    pub revoke: Vec<String>,
}

/// Decide: which of the hostname's flarelink certificates to delete and which origin
/// certificates to revoke once its domain serves `serving` (`None`: no domain of its own).
///
/// A certificate any custom domain serves is never deleted; an origin certificate is revoked
/// only when no certificate that a domain serves, and no certificate that stays, names it. So
/// two imports of one origin certificate (a lost ImportCertificate answer, re-sent) reduce to
/// the one in use, and the origin certificate behind it stays live.
pub fn retirement(
    certs: &[ManagedCertificate],
    serving: Option<&str>,
    hostname: &str,
    served: &Served,
) -> Retirement {
    let own_domain = format!("/domainnames/{hostname}");
    let served_arns = served.arns_once(hostname, serving);
    let (delete, kept): (Vec<&ManagedCertificate>, Vec<&ManagedCertificate>) =
        certs.iter().partition(|c| {
            !served_arns.contains(&c.arn) && c.in_use_by.iter().all(|u| u.ends_with(&own_domain))
        });
    let mut protected = served.origin_ids_of(&served_arns);
    protected.extend(kept.iter().filter_map(|c| c.origin_cert_id.clone()));
    let revoke: BTreeSet<String> = delete
        .iter()
        .filter_map(|c| c.origin_cert_id.clone())
        .filter(|id| !protected.contains(id))
        .collect();
    Retirement {
        delete: delete.into_iter().cloned().collect(),
        revoke: revoke.into_iter().collect(),
    }
}

/// Decide, after the deletes: the origin certificates still safe to revoke when some of the
/// deletes failed (ACM still lists them in use) — those keep the origin certificate they name.
pub fn revocable_after(plan: &Retirement, not_deleted: &[String]) -> Vec<String> {
    let still_named: BTreeSet<&str> = plan
        .delete
        .iter()
        .filter(|c| not_deleted.contains(&c.arn))
        .filter_map(|c| c.origin_cert_id.as_deref())
        .collect();
    plan.revoke
        .iter()
        .filter(|id| !still_named.contains(id.as_str()))
        .cloned()
        .collect()
}

/// The certificate decision for one hostname (steps 1 and 2 together: the private key lives only
/// in this process between issuing and importing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePlan {
    /// flarelink's certificates for the hostname in ACM.
    pub managed: Vec<ManagedCertificate>,
    /// The one to keep using; `None`: issue and import a new one.
    pub reuse: Option<ManagedCertificate>,
    /// Origin certificates to revoke first (see `origin_cert::orphans`).
    pub orphans: Vec<String>,
    /// What the region's custom domains serve (never retired).
    pub served: Served,
    /// A rotation decided for the certificate the custom domain serves (`crate::rotate`).
    pub rotation: Option<crate::rotate::Rotation>,
}

impl CertificatePlan {
    /// The ARN the custom domain will serve: known when reused, else after this step.
    pub fn serving(&self) -> super::Pending<String> {
        match &self.reuse {
            Some(c) => super::Pending::Known(c.arn.clone()),
            None => super::Pending::AfterStep(STEP),
        }
    }
}

/// The report of the plan: the certificate reused (with the tags to bring up to date), or the
/// import to come.
pub fn report(plan: &CertificatePlan, hostname: &str) -> StepReport {
    let mut r = base_report(plan, hostname);
    if plan.reuse.is_none() {
        if let Some(note) = crate::rotate::key_type_note(plan) {
            r = r.detail(note);
        }
    }
    for (c, id) in stale_tags(plan) {
        if r.action == Action::Exists {
            r.action = Action::Change;
        }
        r = r.detail(format!(
            "tag {} with origin certificate {id}, the one it serves (an interrupted rotation left the tag naming {})",
            c.arn,
            c.stale_origin_tag.as_deref().unwrap_or_default()
        ));
    }
    r
}

/// Apply when no certificate is imported: bring stale tags up to date (see [`reconcile`]).
/// Returns the step's report, `applied` when a tag was written.
pub async fn apply_reuse(
    clouds: &crate::run::Clouds,
    settle: Settle<'_>,
    hostname: &str,
    plan: &CertificatePlan,
) -> Result<StepReport, Error> {
    let mut r = report(plan, hostname);
    for (c, id) in stale_tags(plan) {
        settle.begin(STEP, Some(hostname), &format!("re-tagging {}", c.arn));
        retag(&clouds.aws()?.acm, &c.arn, hostname, id)
            .await
            .step(STEP, hostname)?;
        r.applied = true;
    }
    Ok(r)
}

fn base_report(plan: &CertificatePlan, hostname: &str) -> StepReport {
    match &plan.reuse {
        Some(c) => StepReport::new(
            STEP,
            Some(hostname),
            Action::Exists,
            format!(
                "{} (expires {})",
                c.arn,
                c.not_after
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            ),
        ),
        None => StepReport::new(
            STEP,
            Some(hostname),
            Action::Create,
            "import certificate and key into ACM, tagged as flarelink's",
        ),
    }
}

pub fn static_report(d: &Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        "that certificate and its key in ACM, tagged as flarelink's",
    )
}

/// The chain to send with `issued` (the configured Origin CA root that signed it), and the
/// warning when there is none; `imported` says which import ("imported", "re-imported").
pub fn chain_for<'a>(
    issued: &Issued,
    config: &'a Config,
    h: &str,
    imported: &str,
) -> (Option<&'a str>, Option<String>) {
    let chain = certs::issuing_root(&issued.facts, &config.origin_ca_roots);
    let warning = chain.is_none().then(|| {
        if config.origin_ca_roots.is_empty() {
            format!("{h}: {imported} without a chain: set cloudflare.origin_ca_roots to Cloudflare's Origin CA root to include it")
        } else {
            format!(
                "{h}: no configured Origin CA root signed the certificate (issuer {}); {imported} without a chain",
                issued.facts.issuer
            )
        }
    });
    (chain, warning)
}

/// Apply: import what step 1 issued, with the Origin CA root that signed it as the chain.
/// Returns the report, the new ARN and a warning when no chain could be included.
pub async fn apply(
    clouds: &crate::run::Clouds,
    config: &Config,
    settle: Settle<'_>,
    hostname: &str,
    issued: Issued,
) -> Result<(StepReport, String, Option<String>), Error> {
    let h = hostname;
    let (chain, warning) = chain_for(&issued, config, h, "imported");
    settle.begin(STEP, Some(h), "importing the certificate into ACM");
    let key_pem = SecretPem::new(issued.key.to_pem());
    let arn = match import(
        &clouds.aws()?.acm,
        h,
        &issued.certificate.id,
        &issued.certificate.certificate,
        &key_pem,
        chain,
        config.retry.max_attempts,
    )
    .await
    {
        Ok(arn) => arn.into_inner(),
        Err(e) => {
            // The key dies with this process: the origin certificate is useless now — if ACM
            // surely refused it. After a timeout or a 5xx the import may have gone through; the
            // next run's orphan check decides then, from ACM's tags.
            if surely_not_imported(&e) {
                let _ = clouds
                    .cloudflare
                    .revoke_origin_certificate(&issued.certificate.id)
                    .await;
            }
            return Err(e).step(STEP, h);
        }
    };
    drop(key_pem);
    let mut r = StepReport::new(STEP, Some(h), Action::Create, format!("imported {arn}"));
    r.applied = true;
    Ok((r, arn, warning))
}

/// Apply, after the custom domain serves `serving_arn`: delete what no custom domain serves
/// and revoke an origin certificate only when nothing served or kept names it (see
/// [`retirement`]). ACM releases a certificate from a domain minutes after the switch and
/// answers ResourceInUseException until then: not an error, a later run retires it (the
/// warning says so), and the origin certificate it names stays. Returns whether anything was
/// retired.
pub async fn retire_superseded(
    clouds: &crate::run::Clouds,
    settle: Settle<'_>,
    report_step: StepId,
    hostname: &str,
    plan: &CertificatePlan,
    serving_arn: &str,
    warnings: &mut Vec<String>,
) -> Result<bool, Error> {
    let h = hostname;
    let retire = retirement(&plan.managed, Some(serving_arn), h, &plan.served);
    let mut retired = false;
    let mut not_deleted = Vec::new();
    for old in &retire.delete {
        settle.begin(
            report_step,
            Some(h),
            &format!("retiring superseded certificate {}", old.arn),
        );
        match in_use::delete_when_released(&clouds.aws()?.acm, &old.arn, settle, report_step, h)
            .await
        {
            Ok(Deleted::Gone) => retired = true,
            Ok(Deleted::StillInUse) => {
                not_deleted.push(old.arn.clone());
                warnings.push(in_use::left_over(format_args!(
                    "{h}: superseded certificate {} is still in use according to ACM after 2 minutes (it releases it minutes after the switch); its origin certificate stays live. Finish with `flarelink link-domain --hostname {h}` in a few minutes (it deletes the certificate and revokes its origin certificate)",
                    old.arn
                )))
            }
            Err(e) => return Err(e).step(STEP, h),
        }
    }
    for id in revocable_after(&retire, &not_deleted) {
        clouds
            .cloudflare
            .revoke_origin_certificate(&id)
            .await
            .step(StepId::OriginCert, h)?;
        retired = true;
    }
    Ok(retired)
}

/// The report of retiring superseded certificates once the custom domain serves `serving`: a
/// second acm-import line, after the custom domain's (whose switch makes them superseded).
/// `None` when nothing is superseded.
pub fn retirement_report(
    plan: &CertificatePlan,
    serving: Option<&str>,
    hostname: &str,
) -> Option<StepReport> {
    let details = retire_details(plan, serving, hostname);
    if details.is_empty() {
        return None;
    }
    let count = retirement(&plan.managed, serving, hostname, &plan.served)
        .delete
        .len();
    let mut r = StepReport::new(
        STEP,
        Some(hostname),
        Action::Delete,
        format!("retire {count} superseded flarelink certificate(s)"),
    );
    r.details = details;
    Some(r)
}

/// The plan's lines for retiring superseded certificates.
pub fn retire_details(plan: &CertificatePlan, serving: Option<&str>, h: &str) -> Vec<String> {
    let retire = retirement(&plan.managed, serving, h, &plan.served);
    let mut lines: Vec<String> = retire
        .delete
        .iter()
        .map(|c| {
            format!(
                "retire superseded flarelink certificate {} (delete from ACM)",
                c.arn
            )
        })
        .collect();
    if !lines.is_empty() {
        lines.extend(retire.revoke.iter().map(|id| {
            format!(
                "revoke origin certificate {id} (no certificate any custom domain serves names it)"
            )
        }));
    }
    lines
}

/// What unlink does with the hostname's flarelink certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcmRemoval {
    pub delete: Vec<ManagedCertificate>,
    pub kept: Vec<(ManagedCertificate, String)>,
    /// Origin certificates a served or kept ACM certificate names: never revoked.
    pub protected_origin_ids: BTreeSet<String>,
}

/// Decide the removal (`unlink-domain`): every flarelink certificate of the hostname, except
/// the one a staying custom domain serves, those another custom domain serves and those ACM
/// says something else uses. ACM's "in use by" this hostname's own domain does not count once
/// that domain is gone (ACM lags by minutes).
pub fn decide_removal(
    certs: Vec<ManagedCertificate>,
    hostname: &str,
    kept_domain_cert: Option<&str>,
    domain_gone: bool,
    served: &Served,
) -> AcmRemoval {
    let own_domain = format!("/domainnames/{hostname}");
    let served_arns = served.arns_once(hostname, kept_domain_cert);
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for c in certs {
        let used_elsewhere = c
            .in_use_by
            .iter()
            .any(|u| !(domain_gone && u.ends_with(&own_domain)));
        if kept_domain_cert == Some(c.arn.as_str()) {
            kept.push((
                c,
                "still served by the custom domain that stays".to_string(),
            ));
        } else if served_arns.contains(&c.arn) {
            kept.push((c, "served by another custom domain".to_string()));
        } else if used_elsewhere {
            let users = c.in_use_by.join(", ");
            kept.push((c, format!("in use by {users}")));
        } else {
            delete.push(c);
        }
    }
    // An origin certificate stays live while a served or kept certificate names it (two
    // imports of one origin certificate: deleting one must not revoke what the other serves).
    let mut protected_origin_ids = served.origin_ids_of(&served_arns);
    protected_origin_ids.extend(kept.iter().filter_map(|(c, _)| c.origin_cert_id.clone()));
    AcmRemoval {
        delete,
        kept,
        protected_origin_ids,
    }
}

/// Remove: delete the certificates (when `write`), and report it. Returns the report and the
/// origin certificates that may be revoked now: those of the deleted certificates (or of those
/// a dry-run would delete) that nothing protects; one whose certificate ACM still holds "in use"
/// stays.
pub async fn remove(
    clouds: &crate::run::Clouds,
    settle: Settle<'_>,
    hostname: &str,
    removal: &AcmRemoval,
    write: bool,
    warnings: &mut Vec<String>,
) -> Result<(StepReport, Vec<String>), Error> {
    let h = hostname;
    let mut r = if removal.delete.is_empty() {
        StepReport::new(
            STEP,
            Some(h),
            Action::Skip,
            "no flarelink ACM certificate to delete",
        )
    } else {
        StepReport::new(
            STEP,
            Some(h),
            Action::Delete,
            format!(
                "delete {} flarelink ACM certificate(s)",
                removal.delete.len()
            ),
        )
    };
    let mut protected = removal.protected_origin_ids.clone();
    let mut deleted_origin_ids = Vec::new();
    for c in &removal.delete {
        r = r.detail(c.arn.clone());
        if !write {
            deleted_origin_ids.extend(c.origin_cert_id.clone());
            continue;
        }
        settle.begin(STEP, Some(h), &format!("deleting {}", c.arn));
        match in_use::delete_when_released(&clouds.aws()?.acm, &c.arn, settle, STEP, h).await {
            Ok(Deleted::Gone) => deleted_origin_ids.extend(c.origin_cert_id.clone()),
            // ACM keeps a certificate "in use" for minutes after its domain is deleted.
            Ok(Deleted::StillInUse) => {
                protected.extend(c.origin_cert_id.clone());
                warnings.push(in_use::left_over(format_args!(
                    "{h}: ACM still lists {} in use after 2 minutes (it releases certificates minutes after their domain is deleted); it and its origin certificate stay. Finish with `flarelink unlink-domain --hostname {h}` in a few minutes",
                    c.arn
                )))
            }
            Err(e) => return Err(e).step(STEP, h),
        }
    }
    for (c, why) in &removal.kept {
        r = r.detail(format!("kept {}: {why}", c.arn));
    }
    deleted_origin_ids.retain(|id| !protected.contains(id));
    Ok((r, deleted_origin_ids))
}

pub fn static_removal_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        "delete flarelink's ACM certificates for the hostname",
    )
}

/// ACM's `KeyAlgorithm` for a configured key type.
pub fn acm_key_algorithm(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::Rsa2048 => "RSA_2048",
        KeyType::EcdsaP256 => "EC_prime256v1",
    }
}

/// How much validity a certificate must have left to be reused: more than its renewal window.
fn renewal_margin(c: &ManagedCertificate, spec: &CertificateSpec) -> Duration {
    spec.renewal_window(c.not_before, c.not_after)
}

/// Whether `c` is inside its renewal window at `now` (or has no known expiry).
pub fn inside_renewal_window(
    c: &ManagedCertificate,
    spec: &CertificateSpec,
    now: DateTime<Utc>,
) -> bool {
    c.not_after
        .is_none_or(|t| t - now <= renewal_margin(c, spec))
}

/// Decide: the flarelink certificate to use, if one is good enough. The one the custom domain
/// already serves wins (no needless rotation); otherwise the one that lasts longest. Changing
/// `key_type` in the configuration makes the old certificates unsuitable, so a new one is made.
pub fn reusable<'a>(
    certs: &'a [ManagedCertificate],
    now: DateTime<Utc>,
    in_use_arn: Option<&str>,
    spec: &CertificateSpec,
) -> Option<&'a ManagedCertificate> {
    let wanted_algorithm = acm_key_algorithm(spec.key_type);
    let good = |c: &&ManagedCertificate| {
        // Only imports carry an origin certificate id; one without is ACM-issued (`acm_request`).
        c.origin_cert_id.is_some()
            && c.covers
            && c.status.as_deref().is_none_or(|s| s == "ISSUED")
            && c.key_algorithm
                .as_deref()
                .is_none_or(|k| k == wanted_algorithm)
            && !inside_renewal_window(c, spec, now)
    };
    if let Some(current) = in_use_arn {
        if let Some(c) = certs.iter().filter(good).find(|c| c.arn == current) {
            return Some(c);
        }
    }
    certs.iter().filter(good).max_by_key(|c| c.not_after)
}

/// Whether an import error proves ACM stored nothing (it refused the request), as opposed to a
/// timeout, a dropped connection or a 5xx after which the certificate may exist.
pub fn surely_not_imported(e: &flarelink_aws::Error) -> bool {
    use flarelink_aws::ErrorKind::*;
    matches!(
        e.kind,
        Config | Credentials | AccessDenied | BadRequest | LimitExceeded | NotAuthorized
    )
}

/// Decide: after an ImportCertificate whose answer was lost, the flarelink certificate that
/// import made — the one whose tag names the origin certificate it carried (the origin
/// certificate is new, so nothing else can name it).
pub fn imported_from(managed: &[ManagedCertificate], origin_cert_id: &str) -> Option<String> {
    managed
        .iter()
        .filter(|c| c.origin_cert_id.as_deref() == Some(origin_cert_id))
        .map(|c| c.arn.clone())
        .min()
}

/// Act: import a new certificate (never a re-import: ACM drops tags on re-import and cannot
/// change key types), tagged as flarelink's. After an answer that leaves it unknown whether ACM
/// stored it, ACM is searched for a certificate tagged with this origin certificate's id and
/// that one is adopted; the import is sent again only when there is none.
pub async fn import(
    acm: &Acm,
    hostname: &str,
    origin_cert_id: &str,
    certificate_pem: &str,
    key_pem: &SecretPem,
    chain_pem: Option<&str>,
    max_attempts: u32,
) -> Result<Written<String>, flarelink_aws::Error> {
    let tags = ownership::acm_tags(hostname, origin_cert_id);
    let hostnames = [hostname.to_string()];
    create_once(
        max_attempts,
        WriteError::outcome,
        || acm.import_certificate(certificate_pem, key_pem, chain_pem, &tags),
        || async {
            let inventory = discover(acm, &hostnames).await?;
            let managed: Vec<ManagedCertificate> =
                inventory.managed.into_iter().map(|(_, c)| c).collect();
            Ok(imported_from(&managed, origin_cert_id))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(arn: &str, days_left: i64, covers: bool, status: &str) -> ManagedCertificate {
        ManagedCertificate {
            arn: arn.into(),
            origin_cert_id: Some("1".into()),
            not_before: Some(Utc::now() - Duration::days(365)),
            not_after: Some(Utc::now() + Duration::days(days_left)),
            status: Some(status.into()),
            key_algorithm: Some("RSA_2048".into()),
            covers,
            in_use_by: vec![],
            serial: None,
            stale_origin_tag: None,
        }
    }

    fn spec(key_type: KeyType) -> CertificateSpec {
        CertificateSpec {
            key_type,
            validity_days: 5475,
            renew_before_days: None,
            source: crate::config::CertificateSource::OriginCa,
            validation_timeout_seconds: crate::config::DEFAULT_VALIDATION_TIMEOUT_SECONDS,
        }
    }

    const RSA: &CertificateSpec = &CertificateSpec {
        key_type: KeyType::Rsa2048,
        validity_days: 5475,
        renew_before_days: None,
        source: crate::config::CertificateSource::OriginCa,
        validation_timeout_seconds: crate::config::DEFAULT_VALIDATION_TIMEOUT_SECONDS,
    };

    #[test]
    fn a_changed_key_type_is_not_reused() {
        let now = Utc::now();
        let certs = [cert("a", 400, true, "ISSUED")];
        assert!(reusable(&certs, now, None, RSA).is_some());
        assert!(reusable(&certs, now, None, &spec(KeyType::EcdsaP256)).is_none());
    }

    #[test]
    fn short_lived_certificates_still_converge() {
        let now = Utc::now();
        let mut weekly = cert("w", 6, true, "ISSUED");
        weekly.not_before = Some(now - Duration::days(1));
        assert!(reusable(std::slice::from_ref(&weekly), now, None, RSA).is_some());
        weekly.not_before = Some(now - Duration::days(6));
        weekly.not_after = Some(now + Duration::days(1));
        assert!(reusable(&[weekly], now, None, RSA).is_none());
    }

    #[test]
    fn reuse_needs_coverage_issued_status_and_more_than_30_days() {
        let now = Utc::now();
        assert!(reusable(&[cert("a", 29, true, "ISSUED")], now, None, RSA).is_none());
        assert!(reusable(&[cert("a", 400, false, "ISSUED")], now, None, RSA).is_none());
        assert!(reusable(&[cert("a", 400, true, "EXPIRED")], now, None, RSA).is_none());
        assert_eq!(
            reusable(&[cert("a", 31, true, "ISSUED")], now, None, RSA)
                .unwrap()
                .arn,
            "a"
        );
    }

    #[test]
    fn reuse_prefers_the_certificate_in_use_then_the_longest_lived() {
        let now = Utc::now();
        let certs = [
            cert("a", 100, true, "ISSUED"),
            cert("b", 900, true, "ISSUED"),
        ];
        assert_eq!(reusable(&certs, now, None, RSA).unwrap().arn, "b");
        assert_eq!(reusable(&certs, now, Some("a"), RSA).unwrap().arn, "a");
        assert_eq!(reusable(&certs, now, Some("zzz"), RSA).unwrap().arn, "b");
    }

    fn import(arn: &str, origin: &str) -> ManagedCertificate {
        ManagedCertificate {
            origin_cert_id: Some(origin.into()),
            ..cert(arn, 400, true, "ISSUED")
        }
    }

    fn domain(name: &str, arn: &str) -> DomainName {
        DomainName {
            name: name.into(),
            regional_domain_name: None,
            regional_hosted_zone_id: None,
            regional_certificate_arn: Some(arn.into()),
            certificate_arn: None,
            endpoint_types: vec!["REGIONAL".into()],
            security_policy: None,
            status: None,
            tags: BTreeMap::new(),
        }
    }

    fn served(domains: &[DomainName], certs: &[&ManagedCertificate]) -> Served {
        let origin = certs
            .iter()
            .map(|c| (c.arn.clone(), c.origin_cert_id.clone().unwrap()))
            .collect();
        Served::new(domains, origin)
    }

    fn arns(r: &Retirement) -> Vec<&str> {
        r.delete.iter().map(|c| c.arn.as_str()).collect()
    }

    const H: &str = "api.example.com";

    #[test]
    fn two_imports_of_one_origin_cert_reduce_to_the_served_one_and_nothing_is_revoked() {
        let (a, b) = (import("a", "1"), import("b", "1"));
        let live = served(&[domain(H, "a")], &[&a, &b]);
        let r = retirement(&[a.clone(), b.clone()], Some("a"), H, &live);
        assert_eq!(arns(&r), vec!["b"]);
        assert!(r.revoke.is_empty(), "{r:?}");
        // The same when the served one is the second.
        let r = retirement(&[a.clone(), b.clone()], Some("b"), H, &live);
        assert_eq!(arns(&r), vec!["a"]);
        assert!(r.revoke.is_empty(), "{r:?}");
    }

    #[test]
    fn two_imports_of_one_origin_cert_none_served_after_rotation_both_go_and_it_is_revoked() {
        let (a, b, new) = (import("a", "1"), import("b", "1"), import("n", "2"));
        let before = served(&[domain(H, "a")], &[&a, &b, &new]);
        let r = retirement(&[a, b, new], Some("n"), H, &before);
        assert_eq!(arns(&r), vec!["a", "b"]);
        assert_eq!(r.revoke, vec!["1".to_string()]);
    }

    #[test]
    fn a_certificate_served_by_another_hostnames_domain_is_kept_with_its_origin_cert() {
        let (a, b) = (import("a", "1"), import("b", "2"));
        let live = served(
            &[domain(H, "a"), domain("other.example.com", "b")],
            &[&a, &b],
        );
        let r = retirement(&[a, b], Some("a"), H, &live);
        assert!(r.delete.is_empty(), "{r:?}");
        assert!(r.revoke.is_empty(), "{r:?}");
    }

    #[test]
    fn an_origin_cert_named_by_a_certificate_another_domain_serves_is_not_revoked() {
        // `b` (unserved, ours) and `x` (another hostname's, served elsewhere) name origin 1.
        let (a, b, x) = (import("a", "2"), import("b", "1"), import("x", "1"));
        let live = served(
            &[domain(H, "a"), domain("other.example.com", "x")],
            &[&a, &b, &x],
        );
        let r = retirement(&[a, b], Some("a"), H, &live);
        assert_eq!(arns(&r), vec!["b"]);
        assert!(r.revoke.is_empty(), "{r:?}");
    }

    #[test]
    fn rotation_deletes_the_superseded_certificate_and_revokes_its_origin_cert() {
        let (old, new) = (import("old", "1"), import("new", "2"));
        let before = served(&[domain(H, "old")], &[&old, &new]);
        let r = retirement(&[old, new], Some("new"), H, &before);
        assert_eq!(arns(&r), vec!["old"]);
        assert_eq!(r.revoke, vec!["1".to_string()]);
    }

    #[test]
    fn the_domains_own_certificate_is_never_retired_even_without_a_listing() {
        let a = import("a", "1");
        let r = retirement(std::slice::from_ref(&a), Some("a"), H, &Served::default());
        assert!(r.delete.is_empty() && r.revoke.is_empty(), "{r:?}");
    }

    #[test]
    fn a_certificate_acm_says_is_in_use_elsewhere_is_kept_and_so_is_its_origin_cert() {
        let mut b = import("b", "1");
        b.in_use_by = vec!["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x".into()];
        let c = import("c", "1");
        let r = retirement(&[import("a", "2"), b, c], Some("a"), H, &Served::default());
        assert_eq!(arns(&r), vec!["c"]);
        assert!(r.revoke.is_empty(), "{r:?}");
    }

    #[test]
    fn a_failed_delete_keeps_the_origin_cert_it_names() {
        let (a, b, c) = (import("a", "9"), import("b", "1"), import("c", "2"));
        let r = retirement(&[a, b, c], Some("a"), H, &Served::default());
        assert_eq!(r.revoke, vec!["1".to_string(), "2".to_string()]);
        assert_eq!(
            revocable_after(&r, &["b".to_string()]),
            vec!["2".to_string()]
        );
        assert_eq!(revocable_after(&r, &[]), r.revoke);
    }

    #[test]
    fn a_lost_import_is_found_by_the_origin_cert_it_names() {
        let certs = [import("b", "7"), import("a", "7"), import("c", "8")];
        assert_eq!(imported_from(&certs, "7").as_deref(), Some("a"));
        assert_eq!(imported_from(&certs, "8").as_deref(), Some("c"));
        assert_eq!(imported_from(&certs, "9"), None);
    }

    #[test]
    fn served_arns_replace_the_hostnames_own_domain_by_what_it_will_serve() {
        let s = Served::new(
            &[
                domain("API.example.com", "old"),
                domain("w.example.com", "w"),
            ],
            BTreeMap::new(),
        );
        let with_new: Vec<String> = s.arns_once(H, Some("new")).into_iter().collect();
        assert_eq!(with_new, vec!["new".to_string(), "w".to_string()]);
        let gone: Vec<String> = s.arns_once(H, None).into_iter().collect();
        assert_eq!(gone, vec!["w".to_string()]);
    }
}
