//! Provision step 5 — authorizer: a Cognito user-pools authorizer on the Authorization header,
//! pointing at the user pool (the guide's `CognitoUserPoolsAuthorizer`).

use flarelink_aws::{ApiGateway, Authorizer};

use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::Authorizer;

/// Discover: the API's authorizers.
pub async fn discover(
    apigw: &ApiGateway,
    api_id: &str,
    subject: &str,
) -> Result<Vec<Authorizer>, Error> {
    apigw.list_authorizers(api_id).await.step(STEP, subject)
}

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

/// Decide for the configured routes: with a Cognito route, [`decide`]; without one the step has
/// nothing to do — flarelink's authorizer, if there, is reported as it is; `None` when there is
/// none (then the step is not reported at all).
pub fn decide_for_routes(
    uses_cognito: bool,
    existing: &[Authorizer],
    pool_arn: Option<&str>,
) -> Option<AuthorizerDecision> {
    if uses_cognito {
        return Some(decide(existing, pool_arn));
    }
    existing
        .iter()
        .find(|a| a.name == AUTHORIZER_NAME)
        .map(|a| AuthorizerDecision::Exists(a.clone()))
}

/// The authorizer's id when it is known before this step runs.
pub fn known_id(d: Option<&AuthorizerDecision>) -> Option<&str> {
    match d {
        Some(AuthorizerDecision::Exists(a) | AuthorizerDecision::Update(a)) => Some(a.id.as_str()),
        _ => None,
    }
}

/// The report of the decision.
pub fn report(d: &AuthorizerDecision) -> StepReport {
    match d {
        AuthorizerDecision::Exists(a) => {
            StepReport::new(STEP, None, Action::Exists, format!("{} ({})", a.name, a.id))
        }
        AuthorizerDecision::Create => StepReport::new(
            STEP,
            None,
            Action::Create,
            format!("create Cognito authorizer {AUTHORIZER_NAME} on the Authorization header"),
        ),
        AuthorizerDecision::Update(a) => StepReport::new(
            STEP,
            None,
            Action::Change,
            format!("point authorizer {} ({}) at the user pool", a.name, a.id),
        ),
    }
}

pub fn static_report() -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("Cognito authorizer {AUTHORIZER_NAME} on the Authorization header"),
    )
}

/// Apply: create the authorizer or point it at the pool (`pool_arn`, known once the pool
/// exists). Returns the report and the authorizer's id.
pub async fn apply(
    apigw: &ApiGateway,
    settle: Settle<'_>,
    api_id: &str,
    subject: &str,
    d: &AuthorizerDecision,
    pool_arn: Option<String>,
    max_attempts: u32,
) -> Result<(StepReport, String), Error> {
    if let AuthorizerDecision::Exists(a) = d {
        return Ok((report(d), a.id.clone()));
    }
    let arn = pool_arn.ok_or_else(|| Error::Precondition {
        step: STEP,
        hostname: subject.into(),
        message: "the user pool's ARN is unknown".into(),
        fix: "check the [cognito] section and run provision again".into(),
    })?;
    let arns = vec![arn];
    let a = match d {
        AuthorizerDecision::Update(current) => {
            settle.begin(STEP, None, "pointing the authorizer at the user pool");
            apigw
                .update_authorizer(api_id, current, &arns, IDENTITY_SOURCE)
                .await
                .step(STEP, subject)?
        }
        _ => {
            settle.begin(STEP, None, "creating the Cognito authorizer");
            create_or_adopt(
                apigw,
                api_id,
                AUTHORIZER_NAME,
                &arns,
                IDENTITY_SOURCE,
                max_attempts,
            )
            .await
            .step(STEP, subject)?
        }
    };
    let mut r = report(d);
    r.applied = true;
    r.summary = format!("{} ({})", r.summary, a.id);
    Ok((r, a.id))
}

/// Act: create the authorizer through [`create_once`]: after a lost answer, the authorizer that
/// was made (the only one of its name) is adopted, and the create is sent again only when it
/// provably did not happen.
async fn create_or_adopt(
    apigw: &ApiGateway,
    api_id: &str,
    name: &str,
    provider_arns: &[String],
    identity_source: &str,
    attempts: u32,
) -> Result<Authorizer, flarelink_aws::Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_cognito_authorizer(api_id, name, provider_arns, identity_source),
        || async {
            let all = apigw.list_authorizers(api_id).await?;
            Ok(super::the_one_named(&all, name, |a| a.name.as_str()).cloned())
        },
    )
    .await
    .map(|w| w.into_inner())
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
    fn the_authorizer_is_created_or_repointed_until_it_names_the_pool_and_the_header() {
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

    #[test]
    fn without_a_cognito_route_there_is_nothing_to_decide_unless_flarelink_has_an_authorizer() {
        assert_eq!(decide_for_routes(false, &[], Some("arn:p")), None);
        let existing = [auth("arn:old", IDENTITY_SOURCE)];
        assert!(matches!(
            decide_for_routes(false, &existing, Some("arn:p")),
            Some(AuthorizerDecision::Exists(_))
        ));
        assert_eq!(
            decide_for_routes(true, &[], None),
            Some(AuthorizerDecision::Create)
        );
        assert_eq!(known_id(Some(&AuthorizerDecision::Create)), None);
        assert_eq!(
            known_id(decide_for_routes(true, &existing, Some("arn:p")).as_ref()),
            Some("z1")
        );
    }
}
