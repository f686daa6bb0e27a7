//! Origin lock step 2 — truststore: the S3 object API Gateway's mutual TLS verifies client
//! certificates against, holding the CA certificate of the hostname's flarelink client
//! certificate (`flarelink/<hostname>/truststore.pem`), in a versioned bucket.
//!
//! The bucket is `[aws] truststore_bucket` (the user's: it must exist and be versioned; flarelink
//! never creates, changes or deletes it) or flarelink's own, named from the region and the
//! Cloudflare zone id so every run finds it, created with versioning on and tagged
//! ([`TAG_PURPOSE`]); only a bucket with that tag is ever used or deleted as flarelink's.

use std::collections::BTreeMap;

use flarelink_aws::{Versioning, S3};
use sha2::{Digest, Sha256};

use crate::error::{Context, Error};
use crate::ownership::TAG_MANAGED;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::{Pending, Refusal};
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::Truststore;
pub const TAG_PURPOSE: &str = "flarelink:purpose";
pub const PURPOSE: &str = "origin-lock-truststore";

/// flarelink's bucket for a zone and region: `flarelink-truststore-<region>-<12 hex>`.
pub fn default_bucket(region: &str, zone_id: &str) -> String {
    let digest = Sha256::digest(format!("flarelink truststore\n{zone_id}\n{region}").as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("flarelink-truststore-{region}-{hex}")
}

pub fn key(hostname: &str) -> String {
    format!("flarelink/{hostname}/truststore.pem")
}

pub fn uri(bucket: &str, hostname: &str) -> String {
    format!("s3://{bucket}/{}", key(hostname))
}

fn bucket_tags() -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_PURPOSE.to_string(), PURPOSE.to_string()),
    ])
}

fn is_flarelinks(tags: &BTreeMap<String, String>) -> bool {
    tags.get(TAG_MANAGED).map(String::as_str) == Some("true")
        && tags.get(TAG_PURPOSE).map(String::as_str) == Some(PURPOSE)
}

/// What S3 has.
#[derive(Debug, Clone)]
pub struct Found {
    pub bucket: String,
    /// The user named it in `[aws] truststore_bucket`.
    pub configured: bool,
    pub exists: bool,
    pub flarelinks: bool,
    pub versioning: Option<Versioning>,
    /// The object's current version: its id and its text.
    pub current: Option<(Option<String>, String)>,
}

pub async fn discover(
    s3: &S3,
    bucket: &str,
    configured: bool,
    hostname: &str,
) -> Result<Found, Error> {
    let h = hostname;
    let exists = s3.bucket_exists(bucket).await.step(STEP, h)?;
    let mut found = Found {
        bucket: bucket.into(),
        configured,
        exists,
        flarelinks: false,
        versioning: None,
        current: None,
    };
    if !exists {
        return Ok(found);
    }
    let k = key(h);
    let (tags, versioning, head, body) = tokio::try_join!(
        async { s3.bucket_tags(bucket).await.step(STEP, h) },
        async { s3.versioning(bucket).await.step(STEP, h) },
        async { s3.head_object(bucket, &k, None).await.step(STEP, h) },
        async { s3.get_object(bucket, &k, None).await.step(STEP, h) },
    )?;
    found.flarelinks = is_flarelinks(&tags);
    found.versioning = Some(versioning);
    found.current = match (head, body) {
        (Some(head), Some(body)) => {
            Some((head.version_id, String::from_utf8_lossy(&body).into_owned()))
        }
        _ => None,
    };
    Ok(found)
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub bucket: String,
    pub create_bucket: bool,
    pub enable_versioning: bool,
    /// The object already holds what is wanted: its version.
    pub version: Option<String>,
}

/// Decide (pure): refusals for a bucket that cannot be used. `wanted` is the CA PEM when known
/// (it is not in a dry-run before the client certificate exists).
pub fn decide(found: &Found, wanted: Option<&str>) -> Result<Plan, Error> {
    let b = &found.bucket;
    if found.configured {
        if !found.exists {
            return Err(Error::Precondition {
                step: STEP,
                hostname: b.clone(),
                message: format!("the configured truststore bucket {b} does not exist (or this account cannot see it)"),
                fix: "create it with versioning enabled, fix [aws] truststore_bucket, or remove the key to let flarelink make its own".into(),
            });
        }
        if found.versioning != Some(Versioning::Enabled) {
            return Err(Error::Precondition {
                step: STEP,
                hostname: b.clone(),
                message: format!("the configured truststore bucket {b} does not have versioning enabled (API Gateway reads a truststore at a version)"),
                fix: format!("enable versioning: aws s3api put-bucket-versioning --bucket {b} --versioning-configuration Status=Enabled"),
            });
        }
    } else if found.exists && !found.flarelinks {
        let r = Refusal::new(
            format!("bucket {b} exists but is not tagged as flarelink's truststore bucket"),
            format!("name a bucket of yours in [aws] truststore_bucket, or tag {b} with {TAG_MANAGED}=true and {TAG_PURPOSE}={PURPOSE} if it is flarelink's"),
        );
        return Err(crate::link::refused(STEP, b, r));
    }
    let same = |current: &str| wanted.is_some_and(|w| w.trim() == current.trim());
    let version = match &found.current {
        Some((v, text)) if same(text) => Some(v.clone().unwrap_or_else(|| "null".into())),
        _ => None,
    };
    Ok(Plan {
        bucket: b.clone(),
        create_bucket: !found.exists,
        enable_versioning: !found.configured && found.versioning != Some(Versioning::Enabled),
        version,
    })
}

pub fn report(hostname: &str, plan: &Plan, ca: &Pending<String>) -> StepReport {
    let u = uri(&plan.bucket, hostname);
    let mut r = match &plan.version {
        Some(v) => StepReport::new(
            STEP,
            Some(hostname),
            Action::Exists,
            format!("{u} (version {v}) holds the client CA"),
        ),
        None => StepReport::new(
            STEP,
            Some(hostname),
            if plan.create_bucket {
                Action::Create
            } else {
                Action::Change
            },
            match ca {
                Pending::Known(_) => format!("write the client CA to {u} (a new version)"),
                Pending::AfterStep(s) => {
                    format!("write the client CA (made in step {s}) to {u} (a new version)")
                }
            },
        ),
    };
    if plan.create_bucket {
        r = r.detail(format!(
            "create bucket {} (versioning on, tagged as flarelink's)",
            plan.bucket
        ));
    } else if plan.enable_versioning {
        r = r.detail(format!(
            "turn versioning on for flarelink's bucket {}",
            plan.bucket
        ));
    }
    r
}

/// Apply: the bucket, then the object; returns the version that holds `ca_pem`.
pub async fn apply(
    s3: &S3,
    settle: Settle<'_>,
    hostname: &str,
    plan: &Plan,
    ca_pem: &str,
    report: &mut StepReport,
    max_attempts: u32,
) -> Result<String, Error> {
    let h = hostname;
    let b = plan.bucket.as_str();
    if plan.create_bucket {
        settle.begin(STEP, Some(h), &format!("creating bucket {b}"));
        create_once(
            max_attempts,
            WriteError::outcome,
            || s3.create_bucket(b),
            || async { Ok(s3.bucket_exists(b).await?.then_some(())) },
        )
        .await
        .step(STEP, h)?;
        s3.put_bucket_tags(b, &bucket_tags()).await.step(STEP, h)?;
        report.applied = true;
    }
    if plan.create_bucket || plan.enable_versioning {
        s3.enable_versioning(b).await.step(STEP, h)?;
        report.applied = true;
    }
    if let Some(v) = &plan.version {
        return Ok(v.clone());
    }
    let version = put(s3, settle, h, b, ca_pem, max_attempts).await?;
    report.applied = true;
    Ok(version)
}

/// PutObject of `text` as the hostname's truststore (a new version, whose id it returns). A put
/// whose answer was lost is looked up (the current version holds this very text) first.
pub async fn put(
    s3: &S3,
    settle: Settle<'_>,
    hostname: &str,
    bucket: &str,
    text: &str,
    max_attempts: u32,
) -> Result<String, Error> {
    let (h, b) = (hostname, bucket);
    let k = key(h);
    settle.begin(STEP, Some(h), &format!("writing s3://{b}/{k}"));
    let version = create_once(
        max_attempts,
        WriteError::outcome,
        || s3.put_object(b, &k, text.as_bytes().to_vec(), "application/x-pem-file"),
        || async {
            let body = s3.get_object(b, &k, None).await?;
            if body.is_some_and(|t| String::from_utf8_lossy(&t).trim() == text.trim()) {
                Ok(Some(
                    s3.head_object(b, &k, None)
                        .await?
                        .and_then(|h| h.version_id),
                ))
            } else {
                Ok(None)
            }
        },
    )
    .await
    .step(STEP, h)?
    .into_inner();
    version.ok_or_else(|| Error::Precondition {
        step: STEP,
        hostname: h.into(),
        message: format!("S3 gave no version id for s3://{b}/{k}: the bucket is not versioned"),
        fix: format!("enable versioning on {b} and run `flarelink link-domain` again"),
    })
}

/// What turning the lock off removes.
#[derive(Debug, Clone, Default)]
pub struct Removal {
    pub bucket: String,
    /// The object exists (its versions go).
    pub object: bool,
    /// The bucket is flarelink's: delete it too once empty.
    pub bucket_if_empty: bool,
}

pub fn decide_removal(found: &Found) -> Removal {
    Removal {
        bucket: found.bucket.clone(),
        object: found.current.is_some() && (found.flarelinks || found.configured),
        bucket_if_empty: found.exists && found.flarelinks && !found.configured,
    }
}

pub fn removal_report(hostname: &str, removal: &Removal) -> StepReport {
    let u = uri(&removal.bucket, hostname);
    if !removal.object {
        return StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            format!("no truststore at {u}"),
        );
    }
    let mut r = StepReport::new(
        STEP,
        Some(hostname),
        Action::Delete,
        format!("delete every version of {u}"),
    );
    r = r.detail(if removal.bucket_if_empty {
        format!(
            "then bucket {} if nothing else is in it (flarelink's)",
            removal.bucket
        )
    } else {
        format!("bucket {} is yours: kept", removal.bucket)
    });
    r
}

/// Remove: the object's versions, then flarelink's bucket if it is empty. Returns whether
/// anything was deleted.
pub async fn remove(
    s3: &S3,
    settle: Settle<'_>,
    hostname: &str,
    removal: &Removal,
) -> Result<bool, Error> {
    let h = hostname;
    if !removal.object {
        return Ok(false);
    }
    let b = removal.bucket.as_str();
    let k = key(h);
    settle.begin(STEP, Some(h), &format!("deleting s3://{b}/{k}"));
    let mut changed = false;
    for v in s3.list_object_versions(b, &k).await.step(STEP, h)? {
        if v.key == k {
            changed |= s3
                .delete_object_version(b, &k, &v.version_id)
                .await
                .step(STEP, h)?;
        }
    }
    if removal.bucket_if_empty
        && s3
            .list_object_versions(b, "")
            .await
            .step(STEP, h)?
            .is_empty()
    {
        changed |= s3.delete_bucket(b).await.step(STEP, h)?;
    }
    Ok(changed)
}

pub fn static_report(hostname: &str, bucket: Option<&str>) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        format!(
            "the client CA in {}/{} (versioned S3 truststore)",
            bucket
                .map(|b| format!("s3://{b}"))
                .unwrap_or_else(|| "flarelink's bucket".into()),
            key(hostname)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found() -> Found {
        Found {
            bucket: "b".into(),
            configured: false,
            exists: true,
            flarelinks: true,
            versioning: Some(Versioning::Enabled),
            current: Some((Some("v1".into()), "CA\n".into())),
        }
    }

    #[test]
    fn the_same_ca_is_not_written_again_and_another_is() {
        assert_eq!(
            decide(&found(), Some("CA")).unwrap().version.as_deref(),
            Some("v1")
        );
        assert_eq!(decide(&found(), Some("NEW")).unwrap().version, None);
    }

    #[test]
    fn an_untagged_bucket_of_flarelinks_name_is_refused_and_a_users_bucket_must_be_versioned() {
        let mut f = found();
        f.flarelinks = false;
        assert!(matches!(decide(&f, None), Err(Error::Conflict { .. })));
        f.configured = true;
        f.versioning = Some(Versioning::Off);
        assert!(matches!(decide(&f, None), Err(Error::Precondition { .. })));
        assert!(
            !decide_removal(&f).bucket_if_empty,
            "a user's bucket is never deleted"
        );
    }

    #[test]
    fn the_default_bucket_is_a_valid_stable_name() {
        let b = default_bucket("eu-central-1", "023e105f4ecef8ad9ca31a8372d0c353");
        assert_eq!(
            b,
            default_bucket("eu-central-1", "023e105f4ecef8ad9ca31a8372d0c353")
        );
        assert!(
            b.len() <= 63 && b.starts_with("flarelink-truststore-eu-central-1-"),
            "{b}"
        );
    }
}
