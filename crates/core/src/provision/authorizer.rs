//! Provision step 5 — authorizer: a Cognito user-pools authorizer on the Authorization header,
//! pointing at the user pool (the guide's `CognitoUserPoolsAuthorizer`).

use flarelink_aws::Authorizer;

pub const AUTHORIZER_NAME: &str = "flarelink-cognito";
pub const IDENTITY_SOURCE: &str = "method.request.header.Authorization";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerDecision {
    Exists(Authorizer),
    Create,
    Update(Authorizer),
}

/// Decide from the API's authorizers. `pool_arn` is `None` while the pool is still to be created
/// (then an existing authorizer cannot already point at it).
pub fn decide(existing: &[Authorizer], pool_arn: Option<&str>) -> AuthorizerDecision {
    let Some(found) = existing.iter().find(|a| a.name == AUTHORIZER_NAME) else {
        return AuthorizerDecision::Create;
    };
    let right = found.type_ == "COGNITO_USER_POOLS"
        && pool_arn.is_some_and(|arn| found.provider_arns == [arn.to_string()])
        && found.identity_source.as_deref() == Some(IDENTITY_SOURCE);
    if right {
        AuthorizerDecision::Exists(found.clone())
    } else {
        AuthorizerDecision::Update(found.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(arn: &str, source: &str) -> Authorizer {
        Authorizer {
            id: "z1".into(),
            name: AUTHORIZER_NAME.into(),
            type_: "COGNITO_USER_POOLS".into(),
            provider_arns: vec![arn.into()],
            identity_source: Some(source.into()),
            result_ttl_seconds: Some(300),
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(&[], Some("arn:p")), AuthorizerDecision::Create);
        assert!(matches!(
            decide(&[auth("arn:p", IDENTITY_SOURCE)], Some("arn:p")),
            AuthorizerDecision::Exists(_)
        ));
        assert!(matches!(
            decide(&[auth("arn:old", IDENTITY_SOURCE)], Some("arn:p")),
            AuthorizerDecision::Update(_)
        ));
        assert!(matches!(
            decide(&[auth("arn:p", "method.request.header.X")], Some("arn:p")),
            AuthorizerDecision::Update(_)
        ));
        assert!(matches!(
            decide(&[auth("arn:p", IDENTITY_SOURCE)], None),
            AuthorizerDecision::Update(_)
        ));
    }
}
