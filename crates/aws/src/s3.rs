//! S3, for the origin lock's truststore: a versioned bucket marked as flarelink's, holding the
//! client CA as a PEM object that API Gateway's mutual TLS reads (at a given version).
//!
//! One small function per operation. Writes that create something new on every call
//! (CreateBucket, PutObject: each put on a versioned bucket is a new version) run without the
//! SDK's retry, like the crate's other creates: a lost answer is looked up by the caller (by
//! HeadBucket/ListObjectVersions), never blindly repeated. The rest are idempotent and keep the
//! SDK's standard retry.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Tag, Tagging,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;
use aws_smithy_types::error::operation::BuildError;
use aws_smithy_types::retry::RetryConfig;

use crate::acm::{false_if_not_found, none_if_not_found};
use crate::errors::from_sdk;
use crate::{Error, ErrorKind};

/// The region where CreateBucket takes no LocationConstraint (S3 refuses `us-east-1` as one).
const DEFAULT_REGION: &str = "us-east-1";

/// What HeadObject reports of one object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// `None` on a bucket that never had versioning.
    pub version_id: Option<String>,
    pub size: Option<i64>,
    pub etag: Option<String>,
}

/// One entry of ListObjectVersions: an object version or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersionEntry {
    pub key: String,
    /// `"null"` for an object written before versioning was enabled, as S3 names it.
    pub version_id: String,
    pub delete_marker: bool,
}

/// A bucket's versioning state (GetBucketVersioning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Versioning was never enabled.
    Off,
    Enabled,
    Suspended,
}

/// Per-operation config for a write that must not be sent twice blindly (see the module doc).
fn s3_once() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default().retry_config(RetryConfig::disabled())
}

fn build_error(operation: &'static str, err: BuildError) -> Error {
    Error {
        operation,
        kind: ErrorKind::BadRequest,
        code: None,
        message: err.to_string(),
    }
}

/// CreateBucket in `region` (no LocationConstraint in us-east-1, as S3 requires). Without SDK
/// retry: a retried create of one's own bucket answers `BucketAlreadyOwnedByYou` outside
/// us-east-1, which the caller should see as "look first".
pub(crate) async fn create_bucket(
    client: &Client,
    region: &str,
    bucket: &str,
) -> Result<(), Error> {
    const OP: &str = "CreateBucket";
    let configuration = (region != DEFAULT_REGION).then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(region))
            .build()
    });
    client
        .create_bucket()
        .bucket(bucket)
        .set_create_bucket_configuration(configuration)
        .customize()
        .config_override(s3_once())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk(OP, e))
}

/// HeadBucket: whether the bucket exists and these credentials may use it (`false` on 404).
pub(crate) async fn bucket_exists(client: &Client, bucket: &str) -> Result<bool, Error> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("HeadBucket", e)),
    }
}

/// PutBucketTagging: replaces the bucket's whole tag set with `tags`.
pub(crate) async fn put_bucket_tags(
    client: &Client,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Error> {
    const OP: &str = "PutBucketTagging";
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_error(OP, e))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(|e| build_error(OP, e))?;
    client
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk(OP, e))
}

/// GetBucketTagging; a bucket without tags (`NoSuchTagSet`) has an empty map.
pub(crate) async fn bucket_tags(
    client: &Client,
    bucket: &str,
) -> Result<BTreeMap<String, String>, Error> {
    match client.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()),
        Err(e) => {
            let error = from_sdk("GetBucketTagging", e);
            if error.code.as_deref() == Some("NoSuchTagSet") {
                Ok(BTreeMap::new())
            } else {
                Err(error)
            }
        }
    }
}

/// PutBucketVersioning `Enabled` (API Gateway reads a truststore at a version only from a
/// versioned bucket).
pub(crate) async fn enable_versioning(client: &Client, bucket: &str) -> Result<(), Error> {
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("PutBucketVersioning", e))
}

/// GetBucketVersioning.
pub(crate) async fn versioning(client: &Client, bucket: &str) -> Result<Versioning, Error> {
    let out = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| from_sdk("GetBucketVersioning", e))?;
    Ok(match out.status() {
        Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
        Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
        _ => Versioning::Off,
    })
}

/// PutObject; returns the new version's id (`None` on a bucket without versioning). Without SDK
/// retry: each put is a new version, so a lost answer is looked up, not repeated.
pub(crate) async fn put_object(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<Option<String>, Error> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .customize()
        .config_override(s3_once())
        .send()
        .await
        .map(|out| out.version_id().map(str::to_owned))
        .map_err(|e| from_sdk("PutObject", e))
}

/// HeadObject of `key` (at `version_id`, or the current version); `None` when there is none.
pub(crate) async fn head_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<ObjectHead>, Error> {
    match client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => Ok(Some(ObjectHead {
            version_id: out.version_id().map(str::to_owned),
            size: out.content_length(),
            etag: out.e_tag().map(str::to_owned),
        })),
        Err(e) => none_if_not_found(from_sdk("HeadObject", e)),
    }
}

/// GetObject of `key` (at `version_id`, or the current version): its bytes, `None` when there
/// is no such object or version.
pub(crate) async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<Vec<u8>>, Error> {
    const OP: &str = "GetObject";
    let out = match client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return none_if_not_found(from_sdk(OP, e)),
    };
    let data = out.body.collect().await.map_err(|e| Error {
        operation: OP,
        kind: ErrorKind::Transport,
        code: None,
        message: format!("reading the object's body failed: {e}"),
    })?;
    Ok(Some(data.into_bytes().to_vec()))
}

/// ListObjectVersions, all pages: every version and delete marker under `prefix` (all keys
/// when empty), for a teardown that must leave the bucket empty.
pub(crate) async fn list_object_versions(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<ObjectVersionEntry>, Error> {
    const OP: &str = "ListObjectVersions";
    let mut entries = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let out = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| from_sdk(OP, e))?;
        entries.extend(out.versions().iter().map(|v| ObjectVersionEntry {
            key: v.key().unwrap_or_default().to_owned(),
            version_id: v.version_id().unwrap_or("null").to_owned(),
            delete_marker: false,
        }));
        entries.extend(out.delete_markers().iter().map(|m| ObjectVersionEntry {
            key: m.key().unwrap_or_default().to_owned(),
            version_id: m.version_id().unwrap_or("null").to_owned(),
            delete_marker: true,
        }));
        if out.is_truncated() != Some(true) {
            return Ok(entries);
        }
        key_marker = out.next_key_marker().map(str::to_owned);
        version_marker = out.next_version_id_marker().map(str::to_owned);
        if key_marker.is_none() && version_marker.is_none() {
            return Ok(entries); // truncated without markers: nothing more can be asked for
        }
    }
}

/// DeleteObject of one version (or delete marker): it is gone for good, not hidden behind a
/// new delete marker. `Ok(false)` when the bucket or key was already gone.
pub(crate) async fn delete_object_version(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<bool, Error> {
    match client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("DeleteObject", e)),
    }
}

/// DeleteBucket (it must be empty, versions included). `Ok(false)` when it was already gone.
pub(crate) async fn delete_bucket(client: &Client, bucket: &str) -> Result<bool, Error> {
    match client.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("DeleteBucket", e)),
    }
}
