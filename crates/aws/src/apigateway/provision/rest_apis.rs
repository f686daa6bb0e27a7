//! REST APIs: create (regional, tagged), tags, delete. Create and delete are quota-waited.

use std::collections::BTreeMap;

use aws_sdk_apigateway::operation::create_rest_api::CreateRestApiError;
use aws_sdk_apigateway::operation::delete_rest_api::DeleteRestApiError;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};
use aws_sdk_apigateway::Client;

use crate::acm::{false_if_not_found, none_if_not_found};
use crate::errors::from_sdk;
use crate::retry::{call_error, quota_override, with_quota_waits, QuotaPolicy};
use crate::{Error, RestApi};

pub(crate) async fn create_rest_api(
    client: &Client,
    quota: &QuotaPolicy,
    name: &str,
    description: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<RestApi, Error> {
    const OP: &str = "CreateRestApi";
    let tags = (!tags.is_empty()).then(|| tags.clone().into_iter().collect());
    with_quota_waits(OP, quota, || async {
        client
            .create_rest_api()
            .name(name)
            .set_description(description.map(str::to_owned))
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .set_tags(tags.clone())
            .customize()
            .config_override(crate::retry::apigateway_create_once())
            .send()
            .await
            .map(|out| RestApi {
                id: out.id().unwrap_or_default().to_owned(),
                name: out.name().unwrap_or(name).to_owned(),
                endpoint_types: crate::apigateway::endpoint_types(out.endpoint_configuration()),
            })
            .map_err(|e| call_error(OP, e, create_retry_after))
    })
    .await
}

fn create_retry_after(e: &CreateRestApiError) -> Option<Option<&str>> {
    match e {
        CreateRestApiError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}

pub(crate) async fn get_rest_api_tags(
    client: &Client,
    api_id: &str,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    match client.get_rest_api().rest_api_id(api_id).send().await {
        Ok(api) => Ok(Some(
            api.tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        )),
        Err(e) => none_if_not_found(from_sdk("GetRestApi", e)),
    }
}

/// TagResource on an API Gateway resource (adds or overwrites these tags; idempotent, SDK
/// retry kept).
pub(crate) async fn tag_resource(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Error> {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("TagResource", e))
}

/// UntagResource on an API Gateway resource (removing an absent key is no error).
pub(crate) async fn untag_resource(
    client: &Client,
    arn: &str,
    keys: &[String],
) -> Result<(), Error> {
    client
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("UntagResource", e))
}

pub(crate) async fn delete_rest_api(
    client: &Client,
    quota: &QuotaPolicy,
    api_id: &str,
) -> Result<bool, Error> {
    const OP: &str = "DeleteRestApi";
    let deleted = with_quota_waits(OP, quota, || async {
        client
            .delete_rest_api()
            .rest_api_id(api_id)
            .customize()
            .config_override(quota_override::<DeleteRestApiError>())
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

fn delete_retry_after(e: &DeleteRestApiError) -> Option<Option<&str>> {
    match e {
        DeleteRestApiError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}
