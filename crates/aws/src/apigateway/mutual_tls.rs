//! A custom domain's mutual TLS (`mutualTlsAuthentication`) and its ownership-verification
//! certificate: read with GetDomainName, changed with UpdateDomainName `replace` operations
//! (the paths AWS documents for UpdateDomainName). UpdateDomainName shares the 1-per-30-s
//! account quota with create and delete, waited out as in `domains`. A `replace` is idempotent,
//! so these calls keep the SDK's retry for transient errors.

use aws_sdk_apigateway::operation::update_domain_name::UpdateDomainNameError;
use aws_sdk_apigateway::types::{MutualTlsAuthentication, Op, PatchOperation};
use aws_sdk_apigateway::Client;

use crate::acm::none_if_not_found;
use crate::errors::from_sdk;
use crate::retry::{call_error, quota_override, with_quota_waits, QuotaPolicy};
use crate::{DomainClientAuth, Error, MutualTls};

const TRUSTSTORE_URI: &str = "/mutualTlsAuthentication/truststoreUri";
const TRUSTSTORE_VERSION: &str = "/mutualTlsAuthentication/truststoreVersion";
const OWNERSHIP_CERTIFICATE: &str = "/ownershipVerificationCertificateArn";

fn mutual_tls_from(m: Option<&MutualTlsAuthentication>) -> Option<MutualTls> {
    let m = m?;
    // API Gateway's "Disable mutual TLS" is an empty truststoreUri: that is off too.
    let uri = m.truststore_uri().filter(|u| !u.is_empty())?;
    Some(MutualTls {
        truststore_uri: uri.to_owned(),
        truststore_version: m.truststore_version().map(str::to_owned),
        truststore_warnings: m.truststore_warnings().to_vec(),
    })
}

macro_rules! client_auth_from {
    ($out:expr) => {{
        let out = $out;
        DomainClientAuth {
            name: out.domain_name().unwrap_or_default().to_owned(),
            mutual_tls: mutual_tls_from(out.mutual_tls_authentication()),
            ownership_verification_certificate_arn: out
                .ownership_verification_certificate_arn()
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
        }
    }};
}

/// GetDomainName's client-authentication fields; `None` when there is no such domain.
pub(crate) async fn get_domain_client_auth(
    client: &Client,
    name: &str,
) -> Result<Option<DomainClientAuth>, Error> {
    match client.get_domain_name().domain_name(name).send().await {
        Ok(out) => Ok(Some(client_auth_from!(&out))),
        Err(e) => none_if_not_found(from_sdk("GetDomainName", e)),
    }
}

fn replace(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

/// One UpdateDomainName with `operations`, the quota waited out.
async fn update(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    operations: Vec<PatchOperation>,
) -> Result<DomainClientAuth, Error> {
    const OP: &str = "UpdateDomainName";
    with_quota_waits(OP, quota, || async {
        client
            .update_domain_name()
            .domain_name(name)
            .set_patch_operations(Some(operations.clone()))
            .customize()
            .config_override(quota_override::<UpdateDomainNameError>())
            .send()
            .await
            .map(|out| client_auth_from!(&out))
            .map_err(|e| call_error(OP, e, retry_after))
    })
    .await
}

fn retry_after(e: &UpdateDomainNameError) -> Option<Option<&str>> {
    match e {
        UpdateDomainNameError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}

/// Requires client certificates on the domain: the truststore `s3://bucket/key` (at
/// `truststore_version`, if given) and, for a domain whose serving certificate is imported,
/// the ACM-issued `ownership_certificate_arn` — in one call, so AWS checks them together.
pub(crate) async fn enable_mutual_tls(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    truststore_uri: &str,
    truststore_version: Option<&str>,
    ownership_certificate_arn: Option<&str>,
) -> Result<DomainClientAuth, Error> {
    let mut operations = Vec::with_capacity(3);
    if let Some(arn) = ownership_certificate_arn {
        operations.push(replace(OWNERSHIP_CERTIFICATE, arn));
    }
    operations.push(replace(TRUSTSTORE_URI, truststore_uri));
    if let Some(version) = truststore_version {
        operations.push(replace(TRUSTSTORE_VERSION, version));
    }
    update(client, quota, name, operations).await
}

/// Points the domain's mutual TLS at another version of its truststore object (AWS re-reads it
/// and reports new `truststoreWarnings`).
pub(crate) async fn set_truststore_version(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    truststore_version: &str,
) -> Result<DomainClientAuth, Error> {
    let operations = vec![replace(TRUSTSTORE_VERSION, truststore_version)];
    update(client, quota, name, operations).await
}

/// Replaces the domain's ownership-verification certificate.
pub(crate) async fn set_ownership_certificate(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    certificate_arn: &str,
) -> Result<DomainClientAuth, Error> {
    let operations = vec![replace(OWNERSHIP_CERTIFICATE, certificate_arn)];
    update(client, quota, name, operations).await
}

/// Stops requiring client certificates: an empty truststoreUri, as AWS documents ("Disable
/// mutual TLS").
pub(crate) async fn disable_mutual_tls(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
) -> Result<DomainClientAuth, Error> {
    update(client, quota, name, vec![replace(TRUSTSTORE_URI, "")]).await
}
