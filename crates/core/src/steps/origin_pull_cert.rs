//! Origin lock step 1 — origin-pull-cert: the client certificate Cloudflare presents to API
//! Gateway for one hostname (per-hostname Authenticated Origin Pulls; never the zone-wide
//! certificate Cloudflare shares between customers). flarelink's certificate is recognised by its
//! marks (`client_ca`); the upload carries the leaf and then its CA, so the CA can be read back
//! from Cloudflare by the truststore step, also after a crash between the two.
//!
//! On: upload (if flarelink has none for the hostname; a lost answer is looked up in the list,
//! never re-sent blindly), wait until `active`, associate the hostname (enabled), wait until the
//! association is active, and turn the zone's `tls_client_auth` on if it is off (never off).
//! Off: void the association (`enabled: null`) and delete flarelink's certificates for the
//! hostname; `tls_client_auth` stays on (another hostname, or another tool, may rely on it).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use flarelink_cloudflare::{
    CloudflareClient, HostnameClientAuth, HostnameClientAuthChange, HostnameClientCertificate,
    NewHostnameClientCertificate, OriginPullStatus,
};

use crate::client_ca;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::Refusal;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::OriginPullCert;
/// The longest flarelink waits for Cloudflare to deploy a certificate or an association.
const DEPLOY_WAIT: Duration = Duration::from_secs(120);

/// What Cloudflare has for the hostname.
#[derive(Debug, Clone)]
pub struct Found {
    /// flarelink's client certificates for the hostname that are not being deleted.
    pub ours: Vec<HostnameClientCertificate>,
    pub association: Option<HostnameClientAuth>,
    pub tls_client_auth: bool,
}

fn live(c: &HostnameClientCertificate) -> bool {
    !matches!(
        c.status,
        OriginPullStatus::PendingDeletion
            | OriginPullStatus::Deleted
            | OriginPullStatus::DeletionTimedOut
    )
}

pub async fn discover(
    cloudflare: &CloudflareClient,
    zone_id: &str,
    hostname: &str,
) -> Result<Found, Error> {
    let h = hostname;
    let (certs, association, tls) = tokio::try_join!(
        async {
            cloudflare
                .list_hostname_client_certificates(zone_id)
                .await
                .step(STEP, h)
        },
        async {
            cloudflare
                .get_hostname_client_auth(zone_id, h)
                .await
                .step(STEP, h)
        },
        async { cloudflare.get_tls_client_auth(zone_id).await.step(STEP, h) },
    )?;
    Ok(Found {
        ours: certs
            .into_iter()
            .filter(|c| live(c) && client_ca::is_flarelinks(&c.certificate, h))
            .collect(),
        association: association.filter(|a| a.enabled.is_some() && a.cert_id.is_some()),
        tls_client_auth: tls.enabled,
    })
}

/// The decision for turning the lock on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// flarelink's certificate to use; `None`: make and upload one.
    pub certificate: Option<HostnameClientCertificate>,
    /// Associate the hostname with it (not associated and enabled yet).
    pub associate: bool,
    /// The association to replace is not flarelink's (`--force`).
    pub replaces_foreign: Option<String>,
    pub enable_tls_client_auth: bool,
    /// flarelink's other certificates for the hostname (left by an interrupted run): deleted
    /// once the hostname uses the one above.
    pub leftovers: Vec<String>,
}

/// Decide (pure). A hostname associated with a certificate that is not flarelink's is refused
/// unless `force`.
pub fn decide(found: &Found, hostname: &str, force: bool) -> Result<Plan, Refusal> {
    let associated = found.association.as_ref();
    let assoc_id = associated.and_then(|a| a.cert_id.clone());
    let assoc_ours = assoc_id
        .as_deref()
        .is_some_and(|id| found.ours.iter().any(|c| c.id == id));
    let mut replaces_foreign = None;
    if let (Some(id), false) = (&assoc_id, assoc_ours) {
        if !force {
            return Err(Refusal::new(
                format!("{hostname} is already associated with client certificate {id}, which flarelink did not upload (Cloudflare presents it to the origin)"),
                "remove that association in Cloudflare (SSL/TLS › Origin Server › Authenticated Origin Pulls), or pass --force to associate flarelink's own certificate instead (the other certificate is kept)",
            ));
        }
        replaces_foreign = Some(id.clone());
    }
    // The associated one of ours, else the newest (an upload an interrupted run left).
    let certificate = found
        .ours
        .iter()
        .find(|c| Some(&c.id) == assoc_id.as_ref())
        .or_else(|| found.ours.iter().max_by_key(|c| c.uploaded_on))
        .cloned();
    let associate = match (&certificate, associated) {
        (Some(c), Some(a)) => {
            !(a.cert_id.as_deref() == Some(c.id.as_str()) && a.enabled == Some(true))
        }
        _ => true,
    };
    let leftovers = found
        .ours
        .iter()
        .filter(|c| Some(&c.id) != certificate.as_ref().map(|k| &k.id))
        .map(|c| c.id.clone())
        .collect();
    Ok(Plan {
        certificate,
        associate,
        replaces_foreign,
        enable_tls_client_auth: !found.tls_client_auth,
        leftovers,
    })
}

impl Plan {
    pub fn writes(&self) -> bool {
        self.certificate.is_none()
            || self.associate
            || self.enable_tls_client_auth
            || !self.leftovers.is_empty()
    }
}

fn expiry(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| format!(", expires {}", t.format("%Y-%m-%d")))
        .unwrap_or_default()
}

pub fn report(hostname: &str, plan: &Plan) -> StepReport {
    let h = hostname;
    let mut r = match &plan.certificate {
        None => StepReport::new(
            STEP,
            Some(h),
            Action::Create,
            format!("make a client CA and certificate for {h} (CA key kept in memory only), upload it to Cloudflare and associate {h} with it"),
        ),
        Some(c) if plan.writes() => StepReport::new(
            STEP,
            Some(h),
            Action::Change,
            format!("associate {h} with flarelink's client certificate {}{}", c.id, expiry(c.expires_on)),
        ),
        Some(c) => StepReport::new(
            STEP,
            Some(h),
            Action::Exists,
            format!(
                "Cloudflare presents flarelink's client certificate {} for {h}{}",
                c.id,
                expiry(c.expires_on)
            ),
        ),
    };
    if let Some(id) = &plan.replaces_foreign {
        r = r.detail(format!("--force: replaces the association with certificate {id} (not flarelink's; the certificate itself is kept)"));
    }
    if plan.enable_tls_client_auth {
        r = r.detail("turn the zone's tls_client_auth on (lets Cloudflare present per-hostname client certificates)");
    }
    if !plan.leftovers.is_empty() {
        r = r.detail(format!(
            "delete flarelink's unused client certificate(s) {}",
            plan.leftovers.join(", ")
        ));
    }
    r
}

/// Polls until `done` answers true of the certificate (or association) `what`, bounded.
async fn wait_deployed<T, F, Fut>(
    settle: Settle<'_>,
    hostname: &str,
    what: &str,
    mut read: F,
    done: impl Fn(&T) -> Result<bool, String>,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    loop {
        let value = read().await?;
        match done(&value) {
            Ok(true) => return Ok(value),
            Ok(false) => {}
            Err(status) => {
                return Err(Error::Precondition {
                    step: STEP,
                    hostname: hostname.into(),
                    message: format!("Cloudflare did not deploy {what}: status {status}"),
                    fix: "run `flarelink link-domain` again; if it repeats, check the certificate in Cloudflare (SSL/TLS › Origin Server)".into(),
                })
            }
        }
        if started.elapsed() > DEPLOY_WAIT {
            return Err(Error::Precondition {
                step: STEP,
                hostname: hostname.into(),
                message: format!(
                    "Cloudflare has not deployed {what} after {} s",
                    DEPLOY_WAIT.as_secs()
                ),
                fix: "run `flarelink link-domain` again later: it continues with the same certificate".into(),
            });
        }
        settle.begin(
            STEP,
            Some(hostname),
            &format!("waiting for Cloudflare to deploy {what}"),
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn status_done(s: &OriginPullStatus) -> Result<bool, String> {
    match s {
        OriginPullStatus::Active => Ok(true),
        OriginPullStatus::Initializing | OriginPullStatus::PendingDeployment => Ok(false),
        other => Err(format!("{other:?}")),
    }
}

/// What the step leaves for the next one: the certificate Cloudflare presents.
pub struct Presented {
    pub certificate: HostnameClientCertificate,
    /// The CA certificate (PEM) that signed it, read back from the upload.
    pub ca_pem: String,
}

/// Makes a new client identity for `hostname` (see `client_ca`); with `keep`, first writes the
/// CA's private key there (`--keep-client-ca`), before anything is uploaded.
pub fn make_identity(
    hostname: &str,
    keep: Option<&std::path::Path>,
) -> Result<client_ca::ClientIdentity, Error> {
    let (identity, key) =
        client_ca::make_keeping(hostname, Utc::now(), keep.is_some()).map_err(|source| {
            Error::Certificate {
                step: STEP,
                hostname: hostname.into(),
                source,
            }
        })?;
    if let (Some(path), Some(key)) = (keep, key) {
        client_ca::keep_ca_key(path, &key).map_err(|e| Error::Precondition {
            step: STEP,
            hostname: hostname.into(),
            message: format!("could not write the client CA's key to {}: {e}", path.display()),
            fix: "name a new file in a writable directory with --keep-client-ca (nothing was uploaded)".into(),
        })?;
    }
    Ok(identity)
}

/// Uploads the leaf (then its CA) with its key. A lost answer is looked up by the leaf in the
/// zone's list, never re-sent blindly.
pub async fn upload(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    identity: client_ca::ClientIdentity,
    max_attempts: u32,
) -> Result<HostnameClientCertificate, Error> {
    let h = hostname;
    let leaf = identity.leaf_pem.trim().to_string();
    let upload = NewHostnameClientCertificate {
        certificate: format!("{}{}", identity.leaf_pem, identity.ca_pem),
        private_key: identity.leaf_key,
    };
    settle.begin(
        STEP,
        Some(h),
        "uploading the client certificate to Cloudflare",
    );
    let written = create_once(
        max_attempts,
        WriteError::outcome,
        || cloudflare.upload_hostname_client_certificate(zone_id, &upload),
        || async {
            // The upload whose answer was lost carries this very leaf.
            let all = cloudflare
                .list_hostname_client_certificates(zone_id)
                .await?;
            Ok(all.into_iter().find(|c| {
                client_ca::pem_blocks(&c.certificate)
                    .first()
                    .map(|b| b.trim())
                    == Some(leaf.as_str())
            }))
        },
    )
    .await
    .step(STEP, h)?;
    Ok(written.into_inner())
}

/// Waits until certificate `id` is active.
pub async fn wait_active(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    id: &str,
) -> Result<HostnameClientCertificate, Error> {
    let h = hostname;
    wait_deployed(
        settle,
        h,
        &format!("client certificate {id}"),
        || async {
            cloudflare
                .get_hostname_client_certificate(zone_id, id)
                .await
                .step(STEP, h)?
                .ok_or_else(|| Error::Precondition {
                    step: STEP,
                    hostname: h.into(),
                    message: format!("Cloudflare no longer knows client certificate {id}"),
                    fix: "run `flarelink link-domain` again: it uploads a new one".into(),
                })
        },
        |c| status_done(&c.status),
    )
    .await
}

/// Associates the hostname with certificate `id` (when `associate`) and waits until the
/// association is deployed: API Gateway must not require a certificate Cloudflare does not
/// present yet.
pub async fn associate(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    id: &str,
    associate: bool,
) -> Result<(), Error> {
    let h = hostname;
    if associate {
        settle.begin(STEP, Some(h), &format!("associating {h} with {id}"));
        cloudflare
            .put_hostname_client_auth(
                zone_id,
                &[HostnameClientAuthChange {
                    hostname: h.into(),
                    cert_id: id.to_string(),
                    enabled: Some(true),
                }],
            )
            .await
            .step(STEP, h)?;
    }
    wait_deployed(
        settle,
        h,
        &format!("the association of {h}"),
        || async {
            cloudflare
                .get_hostname_client_auth(zone_id, h)
                .await
                .step(STEP, h)
        },
        |a: &Option<HostnameClientAuth>| match a {
            Some(a) if a.cert_id.as_deref() == Some(id) => match &a.status {
                Some(s) => status_done(s),
                None => Ok(a.is_presenting()),
            },
            _ => Ok(false),
        },
    )
    .await?;
    Ok(())
}

/// The CA certificate uploaded after the leaf of `certificate`.
pub fn ca_of(certificate: &HostnameClientCertificate, hostname: &str) -> Result<String, Error> {
    client_ca::ca_of(&certificate.certificate).ok_or_else(|| Error::Precondition {
        step: STEP,
        hostname: hostname.into(),
        message: format!(
            "client certificate {} carries no CA certificate after its leaf",
            certificate.id
        ),
        fix: "delete it in Cloudflare and run `flarelink link-domain` again".into(),
    })
}

/// Apply the plan; returns what Cloudflare now presents.
pub async fn apply(
    ctx: crate::origin_lock::Ctx<'_>,
    plan: &Plan,
    report: &mut StepReport,
    keep: Option<&std::path::Path>,
) -> Result<Presented, Error> {
    let (cloudflare, settle, zone_id, hostname) = (
        &ctx.clouds.cloudflare,
        ctx.settle,
        ctx.zone_id,
        ctx.hostname,
    );
    let max_attempts = ctx.attempts;
    let h = hostname;
    let certificate = match &plan.certificate {
        Some(c) => c.clone(),
        None => {
            settle.begin(STEP, Some(h), "making the client CA and certificate");
            let identity = make_identity(h, keep)?;
            if let Some(p) = keep {
                *report = report.clone().detail(format!(
                    "the client CA's private key was written to {} (mode 0600), as --keep-client-ca asked",
                    p.display()
                ));
            }
            let c = upload(cloudflare, settle, zone_id, h, identity, max_attempts).await?;
            report.applied = true;
            c
        }
    };
    let id = certificate.id.clone();
    let certificate = wait_active(cloudflare, settle, zone_id, h, &id).await?;
    associate(cloudflare, settle, zone_id, h, &id, plan.associate).await?;
    if plan.associate {
        report.applied = true;
    }
    if plan.enable_tls_client_auth {
        settle.begin(STEP, Some(h), "turning tls_client_auth on");
        cloudflare
            .set_tls_client_auth(zone_id, true)
            .await
            .step(STEP, h)?;
        report.applied = true;
    }
    for old in &plan.leftovers {
        cloudflare
            .delete_hostname_client_certificate(zone_id, old)
            .await
            .step(STEP, h)?;
        report.applied = true;
    }
    let ca_pem = ca_of(&certificate, h)?;
    Ok(Presented {
        certificate,
        ca_pem,
    })
}

/// Rotation: the client certificate in use is renewed once it has this many days left or fewer.
pub const ROTATE_BEFORE_DAYS: i64 = 30;

/// Whether `certificate` is due for rotation at `now`.
pub fn rotation_due(certificate: &HostnameClientCertificate, now: DateTime<Utc>) -> bool {
    certificate
        .expires_on
        .is_some_and(|t| t - now <= chrono::Duration::days(ROTATE_BEFORE_DAYS))
}

pub fn rotation_report(hostname: &str, current: &HostnameClientCertificate) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Change,
        format!(
            "rotate client certificate {}{} (due: {ROTATE_BEFORE_DAYS} days or fewer left)",
            current.id,
            expiry(current.expires_on)
        ),
    )
    .detail("a new CA and certificate; the truststore trusts both CAs until Cloudflare presents the new one, then only the new; the old certificate is deleted last")
}

/// What turning the lock off removes: the association if it is flarelink's, and flarelink's
/// certificates for the hostname.
#[derive(Debug, Clone, Default)]
pub struct Removal {
    pub void_association: Option<String>,
    pub delete: Vec<String>,
    pub note: Option<String>,
}

pub fn decide_removal(found: &Found) -> Removal {
    let assoc = found.association.as_ref().and_then(|a| a.cert_id.clone());
    let ours = |id: &str| found.ours.iter().any(|c| c.id == id);
    Removal {
        void_association: assoc.clone().filter(|id| ours(id)),
        delete: found.ours.iter().map(|c| c.id.clone()).collect(),
        note: assoc.filter(|id| !ours(id)).map(|id| {
            format!("kept: the association with client certificate {id} is not flarelink's")
        }),
    }
}

impl Removal {
    pub fn is_empty(&self) -> bool {
        self.void_association.is_none() && self.delete.is_empty()
    }
}

pub fn removal_report(hostname: &str, removal: &Removal) -> StepReport {
    let h = hostname;
    let mut r = if removal.is_empty() {
        StepReport::new(
            STEP,
            Some(h),
            Action::Skip,
            "no flarelink client certificate for this hostname",
        )
    } else {
        let mut what = Vec::new();
        if removal.void_association.is_some() {
            what.push(format!("void {h}'s association"));
        }
        if !removal.delete.is_empty() {
            what.push(format!(
                "delete client certificate(s) {}",
                removal.delete.join(", ")
            ));
        }
        StepReport::new(STEP, Some(h), Action::Delete, what.join(", then "))
            .detail("tls_client_auth stays on (other hostnames may rely on it)")
    };
    if let Some(n) = &removal.note {
        r = r.detail(n.clone());
    }
    r
}

pub async fn remove(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone_id: &str,
    hostname: &str,
    removal: &Removal,
) -> Result<(), Error> {
    let h = hostname;
    if let Some(id) = &removal.void_association {
        settle.begin(STEP, Some(h), &format!("voiding the association of {h}"));
        cloudflare
            .put_hostname_client_auth(
                zone_id,
                &[HostnameClientAuthChange {
                    hostname: h.into(),
                    cert_id: id.clone(),
                    enabled: None,
                }],
            )
            .await
            .step(STEP, h)?;
    }
    for id in &removal.delete {
        settle.begin(STEP, Some(h), &format!("deleting client certificate {id}"));
        cloudflare
            .delete_hostname_client_certificate(zone_id, id)
            .await
            .step(STEP, h)?;
    }
    Ok(())
}

pub fn static_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        format!("flarelink's client certificate for {hostname} in Cloudflare (per-hostname authenticated origin pulls), associated and presented"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(id: &str) -> HostnameClientCertificate {
        HostnameClientCertificate {
            id: id.into(),
            certificate: String::new(),
            status: OriginPullStatus::Active,
            issuer: None,
            signature: None,
            serial_number: None,
            expires_on: None,
            uploaded_on: None,
        }
    }

    fn assoc(id: &str) -> HostnameClientAuth {
        HostnameClientAuth {
            hostname: "h".into(),
            cert_id: Some(id.into()),
            enabled: Some(true),
            status: Some(OriginPullStatus::Active),
            cert_status: Some(OriginPullStatus::Active),
            certificate: None,
            serial_number: None,
            expires_on: None,
        }
    }

    #[test]
    fn a_foreign_association_is_refused_unless_forced_and_ours_converges() {
        let found = Found {
            ours: vec![],
            association: Some(assoc("theirs")),
            tls_client_auth: true,
        };
        assert!(decide(&found, "h", false).is_err());
        let forced = decide(&found, "h", true).unwrap();
        assert_eq!(forced.replaces_foreign.as_deref(), Some("theirs"));
        assert!(forced.certificate.is_none());
        let done = Found {
            ours: vec![cert("mine")],
            association: Some(assoc("mine")),
            tls_client_auth: true,
        };
        let plan = decide(&done, "h", false).unwrap();
        assert!(!plan.writes(), "{plan:?}");
        let removal = decide_removal(&done);
        assert_eq!(removal.void_association.as_deref(), Some("mine"));
        assert_eq!(removal.delete, vec!["mine".to_string()]);
        let foreign = decide_removal(&found);
        assert!(foreign.is_empty() && foreign.note.is_some());
    }

    #[test]
    fn an_upload_left_by_a_crash_is_adopted_not_uploaded_again() {
        let found = Found {
            ours: vec![cert("left")],
            association: None,
            tls_client_auth: false,
        };
        let plan = decide(&found, "h", false).unwrap();
        assert_eq!(plan.certificate.map(|c| c.id).as_deref(), Some("left"));
        assert!(plan.associate && plan.enable_tls_client_auth);
        assert!(plan.leftovers.is_empty());
    }
}
