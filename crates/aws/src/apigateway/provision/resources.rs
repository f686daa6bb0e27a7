//! Resources, their methods, and the methods' integrations.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{IntegrationType, Op, PatchOperation};
use aws_sdk_apigateway::Client;

use super::{Integration, Method, MethodAuth, Resource};
use crate::acm::{false_if_not_found, none_if_not_found};
use crate::errors::from_sdk;
use crate::Error;

/// The same fields from an SDK `Integration` and the Put/GetIntegration outputs.
macro_rules! integration_from {
    ($i:expr) => {{
        let i = $i;
        Integration {
            type_: i
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            http_method: i.http_method().map(str::to_owned),
            uri: i.uri().map(str::to_owned),
            passthrough_behavior: i.passthrough_behavior().map(str::to_owned),
            // The SDK reads an absent timeout as 0.
            timeout_in_millis: Some(i.timeout_in_millis()).filter(|t| *t > 0),
            connection_type: i.connection_type().map(|c| c.as_str().to_owned()),
            request_parameters: i
                .request_parameters()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }};
}

/// The same fields from an SDK `Method` and the Put/Get/UpdateMethod outputs.
macro_rules! method_from {
    ($m:expr, $verb:expr) => {{
        let m = $m;
        Method {
            http_method: m.http_method().unwrap_or($verb).to_owned(),
            authorization_type: m.authorization_type().unwrap_or("NONE").to_owned(),
            authorizer_id: m
                .authorizer_id()
                .filter(|id| !id.is_empty())
                .map(str::to_owned),
            authorization_scopes: m.authorization_scopes().to_vec(),
            api_key_required: m.api_key_required().unwrap_or(false),
            request_parameters: m
                .request_parameters()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            integration: m.method_integration().map(|i| integration_from!(i)),
        }
    }};
}

/// A resource's fields; `methods` is filled by the caller.
macro_rules! resource_from {
    ($r:expr) => {{
        let r = $r;
        Resource {
            id: r.id().unwrap_or_default().to_owned(),
            parent_id: r.parent_id().map(str::to_owned),
            path: r.path().unwrap_or_default().to_owned(),
            path_part: r.path_part().map(str::to_owned),
            methods: BTreeMap::new(),
        }
    }};
}

pub(crate) async fn get_resources(client: &Client, api_id: &str) -> Result<Vec<Resource>, Error> {
    let mut pages = client
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .into_paginator()
        .send();
    let mut resources = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("GetResources", e))?;
        for item in page.items() {
            let mut resource = resource_from!(item);
            for (verb, method) in item.resource_methods().into_iter().flatten() {
                // Embedded methods carry their authorization type; a bare entry (no embedding)
                // is read on its own.
                let method = if method.authorization_type().is_some() {
                    Some(method_from!(method, verb.as_str()))
                } else {
                    get_method(client, api_id, &resource.id, verb).await?
                };
                if let Some(method) = method {
                    resource.methods.insert(verb.clone(), method);
                }
            }
            resources.push(resource);
        }
    }
    Ok(resources)
}

pub(crate) async fn create_resource(
    client: &Client,
    api_id: &str,
    parent_id: &str,
    path_part: &str,
) -> Result<Resource, Error> {
    let out = client
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(parent_id)
        .path_part(path_part)
        .customize()
        .config_override(crate::retry::apigateway_create_once())
        .send()
        .await
        .map_err(|e| from_sdk("CreateResource", e))?;
    Ok(resource_from!(&out))
}

pub(crate) async fn get_method(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
) -> Result<Option<Method>, Error> {
    match client
        .get_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .send()
        .await
    {
        Ok(out) => Ok(Some(method_from!(&out, http_method))),
        Err(e) => none_if_not_found(from_sdk("GetMethod", e)),
    }
}

pub(crate) async fn put_method(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
    auth: &MethodAuth,
    request_parameters: &BTreeMap<String, bool>,
) -> Result<Method, Error> {
    let scopes = (!auth.authorization_scopes.is_empty()).then(|| auth.authorization_scopes.clone());
    let out = client
        .put_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .authorization_type(&auth.authorization_type)
        .set_authorizer_id(auth.authorizer_id.clone())
        .set_authorization_scopes(scopes)
        .set_request_parameters(
            (!request_parameters.is_empty())
                .then(|| request_parameters.clone().into_iter().collect()),
        )
        .send()
        .await
        .map_err(|e| from_sdk("PutMethod", e))?;
    Ok(method_from!(&out, http_method))
}

/// The UpdateMethod patch from `current` to `wanted` authorization, as Terraform's method
/// resource and AWS's docs have it: `replace /authorizationType`; `replace /authorizerId`
/// (sent with the type whenever the type changes to one that needs an authorizer, since AWS
/// checks the pair; `""` to drop it); `add`/`remove /authorizationScopes` one scope each.
pub(crate) fn method_auth_patch(current: &MethodAuth, wanted: &MethodAuth) -> Vec<PatchOperation> {
    let op = |op: Op, path: &str, value: &str| {
        PatchOperation::builder()
            .op(op)
            .path(path)
            .value(value)
            .build()
    };
    let mut ops = Vec::new();
    let type_changes = current.authorization_type != wanted.authorization_type;
    if type_changes {
        ops.push(op(
            Op::Replace,
            "/authorizationType",
            &wanted.authorization_type,
        ));
    }
    match (&current.authorizer_id, &wanted.authorizer_id) {
        (_, Some(id)) if type_changes || current.authorizer_id.as_ref() != Some(id) => {
            ops.push(op(Op::Replace, "/authorizerId", id));
        }
        (Some(_), None) => ops.push(op(Op::Replace, "/authorizerId", "")),
        _ => {}
    }
    for scope in &wanted.authorization_scopes {
        if !current.authorization_scopes.contains(scope) {
            ops.push(op(Op::Add, "/authorizationScopes", scope));
        }
    }
    for scope in &current.authorization_scopes {
        if !wanted.authorization_scopes.contains(scope) {
            ops.push(op(Op::Remove, "/authorizationScopes", scope));
        }
    }
    ops
}

pub(crate) async fn update_method_auth(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
    current: &MethodAuth,
    wanted: &MethodAuth,
) -> Result<Method, Error> {
    let out = client
        .update_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .set_patch_operations(Some(method_auth_patch(current, wanted)))
        .send()
        .await
        .map_err(|e| from_sdk("UpdateMethod", e))?;
    Ok(method_from!(&out, http_method))
}

/// The UpdateMethod patch from `current` to `wanted` request parameters, as AWS's docs have
/// it: `add /requestParameters/<name>` with `"true"`/`"false"` (required or not; also how an
/// existing one's flag is changed), `remove /requestParameters/<name>` for one no longer wanted.
pub(crate) fn method_request_parameters_patch(
    current: &BTreeMap<String, bool>,
    wanted: &BTreeMap<String, bool>,
) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    for (name, required) in wanted {
        if current.get(name) != Some(required) {
            ops.push(
                PatchOperation::builder()
                    .op(Op::Add)
                    .path(format!("/requestParameters/{name}"))
                    .value(required.to_string())
                    .build(),
            );
        }
    }
    for name in current.keys().filter(|n| !wanted.contains_key(*n)) {
        ops.push(
            PatchOperation::builder()
                .op(Op::Remove)
                .path(format!("/requestParameters/{name}"))
                .build(),
        );
    }
    ops
}

pub(crate) async fn update_method_request_parameters(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
    current: &BTreeMap<String, bool>,
    wanted: &BTreeMap<String, bool>,
) -> Result<Method, Error> {
    let out = client
        .update_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .set_patch_operations(Some(method_request_parameters_patch(current, wanted)))
        .send()
        .await
        .map_err(|e| from_sdk("UpdateMethod", e))?;
    Ok(method_from!(&out, http_method))
}

pub(crate) async fn delete_method(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
) -> Result<bool, Error> {
    match client
        .delete_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => false_if_not_found(from_sdk("DeleteMethod", e)),
    }
}

#[allow(clippy::too_many_arguments)] // PutIntegration's own fields, all distinct
pub(crate) async fn put_integration(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
    type_: &str,
    integration_http_method: &str,
    uri: &str,
    request_parameters: &BTreeMap<String, String>,
) -> Result<Integration, Error> {
    let out = client
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .r#type(IntegrationType::from(type_))
        .integration_http_method(integration_http_method)
        .uri(uri)
        .set_request_parameters(
            (!request_parameters.is_empty())
                .then(|| request_parameters.clone().into_iter().collect()),
        )
        .send()
        .await
        .map_err(|e| from_sdk("PutIntegration", e))?;
    Ok(integration_from!(&out))
}

pub(crate) async fn get_integration(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
) -> Result<Option<Integration>, Error> {
    match client
        .get_integration()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .send()
        .await
    {
        // moto answers `{}` for a method without an integration; AWS answers NotFound.
        Ok(out) if out.r#type().is_none() => Ok(None),
        Ok(out) => Ok(Some(integration_from!(&out))),
        Err(e) => none_if_not_found(from_sdk("GetIntegration", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(current: &MethodAuth, wanted: &MethodAuth) -> Vec<(String, String, String)> {
        method_auth_patch(current, wanted)
            .iter()
            .map(|p| {
                (
                    p.op().map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    p.path().unwrap_or_default().to_owned(),
                    p.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    fn t(op: &str, path: &str, value: &str) -> (String, String, String) {
        (op.into(), path.into(), value.into())
    }

    #[test]
    fn none_to_cognito_sends_type_and_authorizer_together() {
        assert_eq!(
            ops(&MethodAuth::none(), &MethodAuth::cognito("abc123", vec![])),
            vec![
                t("replace", "/authorizationType", "COGNITO_USER_POOLS"),
                t("replace", "/authorizerId", "abc123"),
            ]
        );
    }

    #[test]
    fn cognito_to_none_drops_authorizer_and_scopes() {
        let current = MethodAuth::cognito("abc123", vec!["email".into()]);
        assert_eq!(
            ops(&current, &MethodAuth::none()),
            vec![
                t("replace", "/authorizationType", "NONE"),
                t("replace", "/authorizerId", ""),
                t("remove", "/authorizationScopes", "email"),
            ]
        );
    }

    #[test]
    fn another_authorizer_and_scopes_patch_only_what_differs() {
        let current = MethodAuth::cognito("abc123", vec!["email".into(), "openid".into()]);
        let wanted = MethodAuth::cognito("def456", vec!["openid".into(), "profile".into()]);
        assert_eq!(
            ops(&current, &wanted),
            vec![
                t("replace", "/authorizerId", "def456"),
                t("add", "/authorizationScopes", "profile"),
                t("remove", "/authorizationScopes", "email"),
            ]
        );
        assert!(ops(&wanted, &wanted).is_empty());
    }

    #[test]
    fn request_parameters_patch_adds_the_missing_and_removes_the_unwanted() {
        let params = |names: &[&str]| -> BTreeMap<String, bool> {
            names.iter().map(|n| (n.to_string(), true)).collect()
        };
        let patch: Vec<_> = method_request_parameters_patch(
            &params(&["method.request.path.old"]),
            &params(&["method.request.path.name"]),
        )
        .iter()
        .map(|p| {
            (
                p.op().map(|o| o.as_str().to_owned()).unwrap_or_default(),
                p.path().unwrap_or_default().to_owned(),
                p.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
        assert_eq!(
            patch,
            vec![
                t("add", "/requestParameters/method.request.path.name", "true"),
                t("remove", "/requestParameters/method.request.path.old", ""),
            ]
        );
        let same = params(&["method.request.path.name"]);
        assert!(method_request_parameters_patch(&same, &same).is_empty());
    }
}
