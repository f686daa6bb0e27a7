//! REST APIs and their stages (read only).

use aws_sdk_apigateway::Client;

use crate::acm::none_if_not_found;
use crate::errors::from_sdk;
use crate::{Error, RestApi, Stage};

pub(crate) async fn list_rest_apis(client: &Client) -> Result<Vec<RestApi>, Error> {
    let mut pages = client.get_rest_apis().into_paginator().send();
    let mut apis = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("GetRestApis", e))?;
        apis.extend(page.items().iter().map(|api| RestApi {
            id: api.id().unwrap_or_default().to_owned(),
            name: api.name().unwrap_or_default().to_owned(),
            endpoint_types: super::endpoint_types(api.endpoint_configuration()),
        }));
    }
    Ok(apis)
}

pub(crate) async fn get_rest_api(client: &Client, id: &str) -> Result<Option<RestApi>, Error> {
    match client.get_rest_api().rest_api_id(id).send().await {
        Ok(api) => Ok(Some(RestApi {
            id: api.id().unwrap_or(id).to_owned(),
            name: api.name().unwrap_or_default().to_owned(),
            endpoint_types: super::endpoint_types(api.endpoint_configuration()),
        })),
        Err(e) => none_if_not_found(from_sdk("GetRestApi", e)),
    }
}

pub(crate) async fn get_stage(
    client: &Client,
    rest_api_id: &str,
    stage: &str,
) -> Result<Option<Stage>, Error> {
    match client
        .get_stage()
        .rest_api_id(rest_api_id)
        .stage_name(stage)
        .send()
        .await
    {
        Ok(out) => Ok(Some(Stage {
            name: out.stage_name().unwrap_or(stage).to_owned(),
            deployment_id: out.deployment_id().map(str::to_owned),
        })),
        Err(e) => none_if_not_found(from_sdk("GetStage", e)),
    }
}
