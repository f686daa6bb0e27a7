//! Deployments. CreateDeployment is quota-waited (1 per 5 s per account).

use aws_sdk_apigateway::operation::create_deployment::CreateDeploymentError;
use aws_sdk_apigateway::Client;

use super::Deployment;
use crate::acm::none_if_not_found;
use crate::errors::from_sdk;
use crate::retry::{call_error, with_quota_waits, QuotaPolicy};
use crate::types::to_utc;
use crate::Error;

/// The same fields from the Create/GetDeployment outputs.
macro_rules! deployment_from {
    ($d:expr) => {{
        let d = $d;
        Deployment {
            id: d.id().unwrap_or_default().to_owned(),
            description: d.description().filter(|s| !s.is_empty()).map(str::to_owned),
            created: d.created_date().and_then(to_utc),
        }
    }};
}

pub(crate) async fn create_deployment(
    client: &Client,
    quota: &QuotaPolicy,
    api_id: &str,
    stage: &str,
    description: &str,
) -> Result<Deployment, Error> {
    const OP: &str = "CreateDeployment";
    with_quota_waits(OP, quota, || async {
        client
            .create_deployment()
            .rest_api_id(api_id)
            .stage_name(stage)
            .description(description)
            .customize()
            .config_override(crate::retry::apigateway_create_once())
            .send()
            .await
            .map(|out| deployment_from!(&out))
            .map_err(|e| call_error(OP, e, create_retry_after))
    })
    .await
}

fn create_retry_after(e: &CreateDeploymentError) -> Option<Option<&str>> {
    match e {
        CreateDeploymentError::TooManyRequestsException(t) => Some(t.retry_after_seconds()),
        _ => None,
    }
}

pub(crate) async fn get_deployment(
    client: &Client,
    api_id: &str,
    deployment_id: &str,
) -> Result<Option<Deployment>, Error> {
    match client
        .get_deployment()
        .rest_api_id(api_id)
        .deployment_id(deployment_id)
        .send()
        .await
    {
        Ok(out) => Ok(Some(deployment_from!(&out))),
        Err(e) => none_if_not_found(from_sdk("GetDeployment", e)),
    }
}
