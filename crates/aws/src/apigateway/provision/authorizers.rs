//! Authorizers: list, create (Cognito user pools), update in place.

use aws_sdk_apigateway::types::{AuthorizerType, Op, PatchOperation};
use aws_sdk_apigateway::Client;

use super::Authorizer;
use crate::errors::from_sdk;
use crate::Error;

/// GetAuthorizers' largest page.
const PAGE_LIMIT: i32 = 500;

/// The same fields from an SDK `Authorizer` and the Create/UpdateAuthorizer outputs.
macro_rules! authorizer_from {
    ($a:expr) => {{
        let a = $a;
        Authorizer {
            id: a.id().unwrap_or_default().to_owned(),
            name: a.name().unwrap_or_default().to_owned(),
            type_: a
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            provider_arns: a.provider_arns().to_vec(),
            identity_source: a.identity_source().map(str::to_owned),
            result_ttl_seconds: a.authorizer_result_ttl_in_seconds(),
        }
    }};
}

pub(crate) async fn list_authorizers(
    client: &Client,
    api_id: &str,
) -> Result<Vec<Authorizer>, Error> {
    // The SDK has no paginator for GetAuthorizers: follow `position` by hand.
    let mut authorizers = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_authorizers()
            .rest_api_id(api_id)
            .limit(PAGE_LIMIT)
            .set_position(position.take())
            .send()
            .await
            .map_err(|e| from_sdk("GetAuthorizers", e))?;
        authorizers.extend(page.items().iter().map(|a| authorizer_from!(a)));
        match page.position() {
            Some(next) if !next.is_empty() && !page.items().is_empty() => {
                position = Some(next.to_owned())
            }
            _ => return Ok(authorizers),
        }
    }
}

pub(crate) async fn create_cognito_authorizer(
    client: &Client,
    api_id: &str,
    name: &str,
    user_pool_arns: &[String],
    identity_source: &str,
) -> Result<Authorizer, Error> {
    let out = client
        .create_authorizer()
        .rest_api_id(api_id)
        .name(name)
        .r#type(AuthorizerType::CognitoUserPools)
        .set_provider_arns(Some(user_pool_arns.to_vec()))
        .identity_source(identity_source)
        .customize()
        .config_override(crate::retry::apigateway_create_once())
        .send()
        .await
        .map_err(|e| from_sdk("CreateAuthorizer", e))?;
    Ok(authorizer_from!(&out))
}

/// The UpdateAuthorizer patch from `current` to these provider ARNs and identity source:
/// `add /providerARNs` for each new ARN before `remove /providerARNs` for each old one (the list
/// may never be empty; Terraform's authorizer resource patches the same way), and
/// `replace /identitySource`.
pub(crate) fn authorizer_patch(
    current: &Authorizer,
    provider_arns: &[String],
    identity_source: &str,
) -> Vec<PatchOperation> {
    let op = |op: Op, path: &str, value: &str| {
        PatchOperation::builder()
            .op(op)
            .path(path)
            .value(value)
            .build()
    };
    let mut ops = Vec::new();
    for arn in provider_arns {
        if !current.provider_arns.contains(arn) {
            ops.push(op(Op::Add, "/providerARNs", arn));
        }
    }
    for arn in &current.provider_arns {
        if !provider_arns.contains(arn) {
            ops.push(op(Op::Remove, "/providerARNs", arn));
        }
    }
    if current.identity_source.as_deref() != Some(identity_source) {
        ops.push(op(Op::Replace, "/identitySource", identity_source));
    }
    ops
}

pub(crate) async fn update_authorizer(
    client: &Client,
    api_id: &str,
    current: &Authorizer,
    provider_arns: &[String],
    identity_source: &str,
) -> Result<Authorizer, Error> {
    let out = client
        .update_authorizer()
        .rest_api_id(api_id)
        .authorizer_id(&current.id)
        .set_patch_operations(Some(authorizer_patch(
            current,
            provider_arns,
            identity_source,
        )))
        .send()
        .await
        .map_err(|e| from_sdk("UpdateAuthorizer", e))?;
    Ok(authorizer_from!(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorizer(arns: &[&str], identity_source: &str) -> Authorizer {
        Authorizer {
            id: "abc123".into(),
            name: "ApiGatewayAuth".into(),
            type_: "COGNITO_USER_POOLS".into(),
            provider_arns: arns.iter().map(|a| a.to_string()).collect(),
            identity_source: Some(identity_source.into()),
            result_ttl_seconds: Some(300),
        }
    }

    fn ops(patch: Vec<PatchOperation>) -> Vec<String> {
        patch
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.op().unwrap().as_str(),
                    p.path().unwrap(),
                    p.value().unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn adds_before_removing_and_replaces_the_identity_source() {
        let current = authorizer(&["arn:a", "arn:b"], "method.request.header.X-Token");
        let patch = authorizer_patch(
            &current,
            &["arn:b".into(), "arn:c".into()],
            super::super::AUTHORIZATION_HEADER,
        );
        assert_eq!(
            ops(patch),
            vec![
                "add /providerARNs arn:c",
                "remove /providerARNs arn:a",
                "replace /identitySource method.request.header.Authorization",
            ]
        );
    }

    #[test]
    fn nothing_to_patch_when_it_matches() {
        let current = authorizer(&["arn:a"], "method.request.header.Authorization");
        assert!(authorizer_patch(
            &current,
            &["arn:a".into()],
            "method.request.header.Authorization"
        )
        .is_empty());
    }
}
