//! Custom domain names. Create, update and delete share a 1-per-30-s account quota, waited out
//! in `crate::retry`.

use std::collections::BTreeMap;

use aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameError;
use aws_sdk_apigateway::operation::delete_domain_name::DeleteDomainNameError;
use aws_sdk_apigateway::operation::update_domain_name::UpdateDomainNameError;
use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, Op, PatchOperation, SecurityPolicy,
};
use aws_sdk_apigateway::Client;

use crate::acm::{false_if_not_found, none_if_not_found};
use crate::errors::from_sdk;
use crate::retry::{
    apigateway_create_once, call_error, quota_override, with_quota_waits, QuotaPolicy,
};
use crate::{DomainName, Error};

/// The same fields from GetDomainName, CreateDomainName and UpdateDomainName outputs.
macro_rules! domain_name_from {
    ($out:expr) => {{
        let out = $out;
        DomainName {
            name: out.domain_name().unwrap_or_default().to_owned(),
            regional_domain_name: out.regional_domain_name().map(str::to_owned),
            regional_hosted_zone_id: out.regional_hosted_zone_id().map(str::to_owned),
            regional_certificate_arn: out.regional_certificate_arn().map(str::to_owned),
            certificate_arn: out.certificate_arn().map(str::to_owned),
            endpoint_types: super::endpoint_types(out.endpoint_configuration()),
            security_policy: out.security_policy().map(|p| p.as_str().to_owned()),
            status: out.domain_name_status().map(|s| s.as_str().to_owned()),
            tags: out
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }
    }};
}

pub(crate) async fn get_domain_name(
    client: &Client,
    name: &str,
) -> Result<Option<DomainName>, Error> {
    match client.get_domain_name().domain_name(name).send().await {
        Ok(out) => Ok(Some(domain_name_from!(&out))),
        Err(e) => none_if_not_found(from_sdk("GetDomainName", e)),
    }
}

/// GetDomainNames, all pages: every custom domain of the region (which certificate each serves
/// decides what may be retired).
pub(crate) async fn list_domain_names(client: &Client) -> Result<Vec<DomainName>, Error> {
    let mut pages = client.get_domain_names().into_paginator().send();
    let mut domains = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("GetDomainNames", e))?;
        domains.extend(page.items().iter().map(|d| domain_name_from!(d)));
    }
    Ok(domains)
}

pub(crate) async fn create_regional_domain_name(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    certificate_arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<DomainName, Error> {
    const OP: &str = "CreateDomainName";
    let tags = (!tags.is_empty()).then(|| tags.clone().into_iter().collect());
    with_quota_waits(OP, quota, || async {
        client
            .create_domain_name()
            .domain_name(name)
            .regional_certificate_arn(certificate_arn)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .security_policy(SecurityPolicy::Tls12)
            .set_tags(tags.clone())
            .customize()
            // No SDK retry at all (see `apigateway_create_once`); the quota is waited out here.
            .config_override(apigateway_create_once())
            .send()
            .await
            .map(|out| domain_name_from!(&out))
            .map_err(|e| call_error(OP, e, create_retry_after))
    })
    .await
}

fn create_retry_after(e: &CreateDomainNameError) -> Option<Option<&str>> {
    match e {
        CreateDomainNameError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}

pub(crate) async fn set_domain_certificate(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    certificate_arn: &str,
) -> Result<DomainName, Error> {
    const OP: &str = "UpdateDomainName";
    let replace = PatchOperation::builder()
        .op(Op::Replace)
        .path("/regionalCertificateArn")
        .value(certificate_arn)
        .build();
    with_quota_waits(OP, quota, || async {
        client
            .update_domain_name()
            .domain_name(name)
            .patch_operations(replace.clone())
            .customize()
            .config_override(quota_override::<UpdateDomainNameError>())
            .send()
            .await
            .map(|out| domain_name_from!(&out))
            .map_err(|e| call_error(OP, e, update_retry_after))
    })
    .await
}

fn update_retry_after(e: &UpdateDomainNameError) -> Option<Option<&str>> {
    match e {
        UpdateDomainNameError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}

pub(crate) async fn delete_domain_name(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
) -> Result<bool, Error> {
    const OP: &str = "DeleteDomainName";
    let deleted = with_quota_waits(OP, quota, || async {
        client
            .delete_domain_name()
            .domain_name(name)
            .customize()
            .config_override(quota_override::<DeleteDomainNameError>())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| call_error(OP, e, delete_retry_after))
    })
    .await;
    match deleted {
        Ok(()) => Ok(true),
        Err(e) => false_if_not_found(e),
    }
}

fn delete_retry_after(e: &DeleteDomainNameError) -> Option<Option<&str>> {
    match e {
        DeleteDomainNameError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}
