//! AWS Certificate Manager: one small function per operation.

use std::collections::BTreeMap;

use aws_sdk_acm::primitives::Blob;
use aws_sdk_acm::types::{CertificateDetail, Filters, KeyAlgorithm, Tag, ValidationMethod};
use aws_sdk_acm::Client;

use crate::errors::from_sdk;
use crate::types::to_utc;
use crate::{
    Certificate, CertificateSummary, Error, ErrorKind, ResourceRecord, SecretPem, ValidationRecord,
};

/// Every key algorithm ACM knows: ListCertificates returns only RSA_1024/RSA_2048
/// certificates unless asked for the others.
fn all_key_types() -> Vec<KeyAlgorithm> {
    KeyAlgorithm::values()
        .iter()
        .map(|v| KeyAlgorithm::from(*v))
        .collect()
}

/// Every certificate's ARN: [`list_certificates`] without the names.
pub(crate) async fn list_certificate_arns(client: &Client) -> Result<Vec<String>, Error> {
    Ok(list_certificates(client)
        .await?
        .into_iter()
        .map(|c| c.arn)
        .collect())
}

pub(crate) async fn list_certificates(client: &Client) -> Result<Vec<CertificateSummary>, Error> {
    let mut pages = client
        .list_certificates()
        .includes(
            Filters::builder()
                .set_key_types(Some(all_key_types()))
                .build(),
        )
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListCertificates", e))?;
        out.extend(page.certificate_summary_list().iter().filter_map(|c| {
            Some(CertificateSummary {
                arn: c.certificate_arn()?.to_owned(),
                domain_name: c.domain_name().map(str::to_owned),
                subject_alternative_names: c.subject_alternative_name_summaries().to_vec(),
            })
        }));
    }
    Ok(out)
}

pub(crate) async fn describe_certificate(
    client: &Client,
    arn: &str,
) -> Result<Option<Certificate>, Error> {
    match client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.certificate().map(certificate)),
        Err(e) => none_if_not_found(from_sdk("DescribeCertificate", e)),
    }
}

fn certificate(detail: &CertificateDetail) -> Certificate {
    Certificate {
        arn: detail.certificate_arn().unwrap_or_default().to_owned(),
        domain_name: detail.domain_name().map(str::to_owned),
        subject_alternative_names: detail.subject_alternative_names().to_vec(),
        not_before: detail.not_before().and_then(to_utc),
        not_after: detail.not_after().and_then(to_utc),
        status: detail.status().map(|s| s.as_str().to_owned()),
        certificate_type: detail.r#type().map(|t| t.as_str().to_owned()),
        in_use_by: detail.in_use_by().to_vec(),
        key_algorithm: detail.key_algorithm().map(|k| k.as_str().to_owned()),
        serial: detail.serial().map(str::to_owned),
        failure_reason: detail.failure_reason().map(|f| f.as_str().to_owned()),
        validation_records: detail
            .domain_validation_options()
            .iter()
            .map(|v| ValidationRecord {
                domain_name: v.domain_name().to_owned(),
                validation_status: v.validation_status().map(|s| s.as_str().to_owned()),
                record: v.resource_record().map(|r| ResourceRecord {
                    name: r.name().to_owned(),
                    record_type: r.r#type().as_str().to_owned(),
                    value: r.value().to_owned(),
                }),
            })
            .collect(),
    }
}

fn sdk_tags(op: &'static str, tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, Error> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error {
            operation: op,
            kind: ErrorKind::BadRequest,
            code: None,
            message: e.to_string(),
        })
}

/// RequestCertificate for one name, DNS-validated, tagged in the same call (so no untagged
/// request of flarelink's can exist). ACM answers the same ARN to the same `idempotency_token`
/// for an hour, so the SDK's own retry stays on here: a repeat after a lost answer names the
/// certificate the first one made.
pub(crate) async fn request_certificate(
    client: &Client,
    domain_name: &str,
    idempotency_token: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, Error> {
    const OP: &str = "RequestCertificate";
    let tags = sdk_tags(OP, tags)?;
    let out = client
        .request_certificate()
        .domain_name(domain_name)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(idempotency_token)
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.certificate_arn()
        .map(str::to_owned)
        .ok_or_else(|| Error {
            operation: OP,
            kind: ErrorKind::Other,
            code: None,
            message: "ACM answered without a certificate ARN".into(),
        })
}

pub(crate) async fn certificate_tags(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let out = client
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| from_sdk("ListTagsForCertificate", e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
        .collect())
}

pub(crate) async fn import_certificate(
    client: &Client,
    certificate_pem: &str,
    private_key_pem: &SecretPem,
    chain_pem: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<String, Error> {
    const OP: &str = "ImportCertificate";
    let tags = sdk_tags(OP, tags)?;
    // The input's Debug redacts the key; nothing here logs it.
    let out = client
        .import_certificate()
        .certificate(Blob::new(certificate_pem.as_bytes()))
        .private_key(Blob::new(private_key_pem.expose().as_bytes()))
        .set_certificate_chain(chain_pem.map(|c| Blob::new(c.as_bytes())))
        .set_tags((!tags.is_empty()).then_some(tags))
        .customize()
        .config_override(crate::retry::acm_create_once())
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.certificate_arn()
        .map(str::to_owned)
        .ok_or_else(|| Error {
            operation: OP,
            kind: ErrorKind::Other,
            code: None,
            message: "ACM answered without a certificate ARN".into(),
        })
}

// --- Rotation in place: re-import into an existing ARN, and the tag update that follows it
// (ACM accepts no tags on a re-import). ---

/// ImportCertificate with `CertificateArn`: the ARN's certificate and key replaced, its
/// attachments (custom domains) kept. Sent once, as the first import: after a lost answer the
/// caller looks at the ARN's current certificate before sending it again.
pub(crate) async fn reimport_certificate(
    client: &Client,
    arn: &str,
    certificate_pem: &str,
    private_key_pem: &SecretPem,
    chain_pem: Option<&str>,
) -> Result<(), Error> {
    // The input's Debug redacts the key; nothing here logs it.
    client
        .import_certificate()
        .certificate_arn(arn)
        .certificate(Blob::new(certificate_pem.as_bytes()))
        .private_key(Blob::new(private_key_pem.expose().as_bytes()))
        .set_certificate_chain(chain_pem.map(|c| Blob::new(c.as_bytes())))
        .customize()
        .config_override(crate::retry::acm_create_once())
        .send()
        .await
        .map_err(|e| from_sdk("ImportCertificate", e))?;
    Ok(())
}

/// GetCertificate: the PEM body the ARN holds now (`None` when ACM does not know the ARN).
pub(crate) async fn certificate_body(client: &Client, arn: &str) -> Result<Option<String>, Error> {
    match client.get_certificate().certificate_arn(arn).send().await {
        Ok(out) => Ok(out.certificate().map(str::to_owned)),
        Err(e) => none_if_not_found(from_sdk("GetCertificate", e)),
    }
}

/// AddTagsToCertificate: sets (adds or overwrites) `tags`. Repeating it is harmless, so the
/// SDK's ordinary retry applies.
pub(crate) async fn add_tags_to_certificate(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Error> {
    const OP: &str = "AddTagsToCertificate";
    let tags = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error {
            operation: OP,
            kind: ErrorKind::BadRequest,
            code: None,
            message: e.to_string(),
        })?;
    client
        .add_tags_to_certificate()
        .certificate_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    Ok(())
}

pub(crate) async fn delete_certificate(client: &Client, arn: &str) -> Result<bool, Error> {
    match client
        .delete_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("DeleteCertificate", e)),
    }
}

pub(crate) fn none_if_not_found<T>(error: Error) -> Result<Option<T>, Error> {
    match error.kind {
        ErrorKind::NotFound => Ok(None),
        _ => Err(error),
    }
}

pub(crate) fn false_if_not_found(error: Error) -> Result<bool, Error> {
    match error.kind {
        ErrorKind::NotFound => Ok(false),
        _ => Err(error),
    }
}
