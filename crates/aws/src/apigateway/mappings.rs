//! Base-path mappings of a custom domain name.
//!
//! API Gateway reports the empty base path as "(none)" and expects "(none)" in the path of
//! GetBasePathMapping/UpdateBasePathMapping/DeleteBasePathMapping, while CreateBasePathMapping
//! takes the empty base path as an absent `basePath` (AWS and moto both store it as "(none)").

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;

use crate::acm::false_if_not_found;
use crate::errors::from_sdk;
use crate::{BasePathMapping, Error, ErrorKind};

/// How API Gateway names the empty base path.
pub const NO_BASE_PATH: &str = "(none)";

/// `""`, `"/"` and `"(none)"` mean no base path (`None`); otherwise the path without its outer
/// slashes (`"/v1/"` → `"v1"`).
pub(crate) fn base_path(value: &str) -> Option<&str> {
    let trimmed = value.trim().trim_matches('/');
    (!trimmed.is_empty() && trimmed != NO_BASE_PATH).then_some(trimmed)
}

/// The base path as it goes into a request path.
fn base_path_key(value: &str) -> &str {
    base_path(value).unwrap_or(NO_BASE_PATH)
}

fn mapping(m: &aws_sdk_apigateway::types::BasePathMapping) -> BasePathMapping {
    BasePathMapping {
        base_path: m
            .base_path()
            .and_then(base_path)
            .unwrap_or(NO_BASE_PATH)
            .to_owned(),
        rest_api_id: m.rest_api_id().unwrap_or_default().to_owned(),
        stage: m.stage().map(str::to_owned),
    }
}

pub(crate) async fn list_base_path_mappings(
    client: &Client,
    domain_name: &str,
) -> Result<Vec<BasePathMapping>, Error> {
    let mut pages = client
        .get_base_path_mappings()
        .domain_name(domain_name)
        .into_paginator()
        .send();
    let mut mappings = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => mappings.extend(page.items().iter().map(mapping)),
            Err(e) => {
                let error = from_sdk("GetBasePathMappings", e);
                return match error.kind {
                    ErrorKind::NotFound => Ok(Vec::new()),
                    _ => Err(error),
                };
            }
        }
    }
    Ok(mappings)
}

pub(crate) async fn create_base_path_mapping(
    client: &Client,
    domain_name: &str,
    path: &str,
    rest_api_id: &str,
    stage: &str,
) -> Result<BasePathMapping, Error> {
    let out = client
        .create_base_path_mapping()
        .domain_name(domain_name)
        .set_base_path(base_path(path).map(str::to_owned))
        .rest_api_id(rest_api_id)
        .stage(stage)
        .customize()
        .config_override(crate::retry::apigateway_create_once())
        .send()
        .await
        .map_err(|e| from_sdk("CreateBasePathMapping", e))?;
    Ok(BasePathMapping {
        base_path: out
            .base_path()
            .and_then(base_path)
            .unwrap_or(NO_BASE_PATH)
            .to_owned(),
        rest_api_id: out.rest_api_id().unwrap_or(rest_api_id).to_owned(),
        stage: out.stage().map(str::to_owned),
    })
}

pub(crate) async fn update_base_path_mapping(
    client: &Client,
    domain_name: &str,
    path: &str,
    rest_api_id: &str,
    stage: &str,
) -> Result<BasePathMapping, Error> {
    let replace = |path: &str, value: &str| {
        PatchOperation::builder()
            .op(Op::Replace)
            .path(path)
            .value(value)
            .build()
    };
    let out = client
        .update_base_path_mapping()
        .domain_name(domain_name)
        .base_path(base_path_key(path))
        .patch_operations(replace("/restapiId", rest_api_id))
        .patch_operations(replace("/stage", stage))
        .send()
        .await
        .map_err(|e| from_sdk("UpdateBasePathMapping", e))?;
    Ok(BasePathMapping {
        base_path: out
            .base_path()
            .and_then(base_path)
            .unwrap_or(NO_BASE_PATH)
            .to_owned(),
        rest_api_id: out.rest_api_id().unwrap_or(rest_api_id).to_owned(),
        stage: out.stage().map(str::to_owned),
    })
}

pub(crate) async fn delete_base_path_mapping(
    client: &Client,
    domain_name: &str,
    path: &str,
) -> Result<bool, Error> {
    match client
        .delete_base_path_mapping()
        .domain_name(domain_name)
        .base_path(base_path_key(path))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("DeleteBasePathMapping", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_base_paths() {
        for none in ["", "(none)", "/", " ", "//"] {
            assert_eq!(base_path(none), None, "{none:?}");
            assert_eq!(base_path_key(none), "(none)");
        }
        assert_eq!(base_path("v1"), Some("v1"));
        assert_eq!(base_path("/v1/"), Some("v1"));
        assert_eq!(base_path("v1/users"), Some("v1/users"));
        assert_eq!(base_path_key("v1"), "v1");
    }
}
