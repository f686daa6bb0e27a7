//! provision's creates, safe after a lost answer: each is sent through
//! [`crate::write_once::create_once`] with a lookup by what identifies the thing (the pool's
//! and client's names, the API's name and flarelink's tag, the resource's path, the authorizer's
//! name, the hosted-UI prefix, the deployment's fingerprint), so a create whose outcome is
//! unknown is adopted when it happened and sent again only when it provably did not.

use std::collections::BTreeMap;

use flarelink_aws::cognito::{AppClient, AppClientSpec, Cognito, UserPool, UserPoolSpec};
use flarelink_aws::{ApiGateway, Authorizer, Deployment, Error, Resource, RestApi};

use crate::ownership::TAG_MANAGED;
use crate::write_once::{create_once, WriteError};

/// Decide: the one item named `name`; several (or none) is not an adoption.
pub fn the_one_named<'a, T>(
    items: &'a [T],
    name: &str,
    name_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let mut named = items.iter().filter(|i| name_of(i) == name);
    match (named.next(), named.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

pub async fn user_pool(
    cognito: &Cognito,
    spec: &UserPoolSpec,
    name: &str,
    attempts: u32,
) -> Result<UserPool, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || cognito.create_user_pool(spec),
        || async {
            let named = cognito.list_user_pools_named(name).await?;
            match named.as_slice() {
                [one] => cognito.describe_user_pool(&one.id).await,
                _ => Ok(None),
            }
        },
    )
    .await
    .map(|w| w.into_inner())
}

pub async fn app_client(
    cognito: &Cognito,
    pool_id: &str,
    spec: &AppClientSpec,
    name: &str,
    attempts: u32,
) -> Result<AppClient, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || cognito.create_client(pool_id, spec),
        || async {
            let listed = cognito.list_clients(pool_id).await?;
            match the_one_named(&listed, name, |c| c.name.as_str()) {
                Some(c) => cognito.describe_client(pool_id, &c.id).await,
                None => Ok(None),
            }
        },
    )
    .await
    .map(|w| w.into_inner())
}

pub async fn hosted_domain(
    cognito: &Cognito,
    prefix: &str,
    pool_id: &str,
    attempts: u32,
) -> Result<(), Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || cognito.create_domain(prefix, pool_id),
        || async {
            Ok(cognito
                .describe_domain(prefix)
                .await?
                .filter(|d| d.user_pool_id == pool_id)
                .map(|_| ()))
        },
    )
    .await
    .map(|w| w.into_inner())
}

pub async fn rest_api(
    apigw: &ApiGateway,
    name: &str,
    description: Option<&str>,
    tags: &BTreeMap<String, String>,
    attempts: u32,
) -> Result<RestApi, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_rest_api(name, description, tags),
        || async {
            let all = apigw.list_rest_apis().await?;
            let Some(api) = the_one_named(&all, name, |a| a.name.as_str()) else {
                return Ok(None);
            };
            let ours = apigw
                .get_rest_api_tags(&api.id)
                .await?
                .is_some_and(|t| t.get(TAG_MANAGED).is_some_and(|v| v == "true"));
            Ok(ours.then(|| api.clone()))
        },
    )
    .await
    .map(|w| w.into_inner())
}

pub async fn resource(
    apigw: &ApiGateway,
    api_id: &str,
    parent_id: &str,
    segment: &str,
    path: &str,
    attempts: u32,
) -> Result<Resource, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_resource(api_id, parent_id, segment),
        || async {
            let all = apigw.get_resources(api_id).await?;
            Ok(all.into_iter().find(|r| r.path == path))
        },
    )
    .await
    .map(|w| w.into_inner())
}

pub async fn authorizer(
    apigw: &ApiGateway,
    api_id: &str,
    name: &str,
    provider_arns: &[String],
    identity_source: &str,
    attempts: u32,
) -> Result<Authorizer, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_cognito_authorizer(api_id, name, provider_arns, identity_source),
        || async {
            let all = apigw.list_authorizers(api_id).await?;
            Ok(the_one_named(&all, name, |a| a.name.as_str()).cloned())
        },
    )
    .await
    .map(|w| w.into_inner())
}

/// A deployment is found by what the stage now serves: its description carries the fingerprint.
pub async fn deployment(
    apigw: &ApiGateway,
    api_id: &str,
    stage: &str,
    description: &str,
    attempts: u32,
) -> Result<Deployment, Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_deployment(api_id, stage, description),
        || async {
            let Some(id) = apigw
                .get_stage(api_id, stage)
                .await?
                .and_then(|s| s.deployment_id)
            else {
                return Ok(None);
            };
            Ok(apigw
                .get_deployment(api_id, &id)
                .await?
                .filter(|d| d.description.as_deref() == Some(description)))
        },
    )
    .await
    .map(|w| w.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_namesake_is_adopted() {
        let names = ["a", "b", "b"];
        assert_eq!(the_one_named(&names, "a", |n| n), Some(&"a"));
        assert_eq!(
            the_one_named(&names, "b", |n| n),
            None,
            "two: not ours to pick"
        );
        assert_eq!(the_one_named(&names, "c", |n| n), None);
    }
}
