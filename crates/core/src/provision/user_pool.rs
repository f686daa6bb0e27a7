//! Provision step 1 — user-pool: the guide's Cognito user pool — self sign-up, `email` required
//! and auto-verified, the configured password policy and deletion protection — found by name
//! and flarelink's tag, created or brought in line.

use std::collections::BTreeMap;

use flarelink_aws::cognito::{
    Cognito, PasswordPolicy as AwsPasswordPolicy, UserPool, UserPoolSpec,
};

use crate::config::CognitoConfig;
use crate::error::{Context, Error};
use crate::ownership::TAG_MANAGED;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::Refusal;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::UserPool;

/// Discover: the pools with the configured name, described.
pub async fn discover(cognito: &Cognito, c: &CognitoConfig) -> Result<Vec<UserPool>, Error> {
    let named = cognito
        .list_user_pools_named(&c.user_pool)
        .await
        .step(STEP, &c.user_pool)?;
    super::describe_each(&named, |p| cognito.describe_user_pool(&p.id))
        .await
        .step(STEP, &c.user_pool)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolDecision {
    Exists(UserPool),
    Create,
    /// The pool's managed settings differ; each string says how.
    Update(UserPool, Vec<String>),
}

pub fn spec(c: &CognitoConfig) -> UserPoolSpec {
    let p = &c.password_policy;
    UserPoolSpec {
        name: c.user_pool.clone(),
        self_sign_up: true,
        email_required: true,
        auto_verify_email: true,
        password_policy: AwsPasswordPolicy {
            min_length: p.min_length as i32,
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_numbers: p.require_numbers,
            require_symbols: p.require_symbols,
            temporary_password_validity_days: p.temporary_password_validity_days as i32,
        },
        deletion_protection: c.deletion_protection,
        tags: BTreeMap::from([(TAG_MANAGED.to_string(), "true".to_string())]),
    }
}

/// How `pool` differs from `spec` in what flarelink manages.
pub fn differences(pool: &UserPool, spec: &UserPoolSpec) -> Vec<String> {
    let mut d = Vec::new();
    if pool.self_sign_up != spec.self_sign_up {
        d.push(format!(
            "self sign-up {} → {}",
            pool.self_sign_up, spec.self_sign_up
        ));
    }
    let verifies = pool.auto_verified_attributes.iter().any(|a| a == "email");
    if verifies != spec.auto_verify_email {
        d.push(format!(
            "auto-verify email {verifies} → {}",
            spec.auto_verify_email
        ));
    }
    if pool.password_policy.as_ref() != Some(&spec.password_policy) {
        d.push(format!(
            "password policy {:?} → {:?}",
            pool.password_policy, spec.password_policy
        ));
    }
    if pool.deletion_protection != spec.deletion_protection {
        d.push(format!(
            "deletion protection {} → {}",
            pool.deletion_protection, spec.deletion_protection
        ));
    }
    d
}

/// Decide from the pools with the configured name (`found` = (pool, described)).
pub fn decide(
    found: &[UserPool],
    spec: &UserPoolSpec,
    force: bool,
) -> Result<PoolDecision, Refusal> {
    let pool = match found {
        [] => return Ok(PoolDecision::Create),
        [pool] => pool,
        many => {
            return Err(Refusal::new(
                format!(
                    "{} user pools are named {:?} ({})",
                    many.len(),
                    spec.name,
                    many.iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "rename the extra pools, or set cognito.user_pool to a unique name",
            ))
        }
    };
    let ours = pool.tags.get(TAG_MANAGED).map(String::as_str) == Some("true");
    if !ours && !force {
        return Err(Refusal::new(
            format!("user pool {:?} ({}) exists and flarelink did not create it", spec.name, pool.id),
            "pass --force to manage it (flarelink will set the settings it manages and tag it), or choose another cognito.user_pool",
        ));
    }
    if !pool.required_attributes.iter().any(|a| a == "email") {
        return Err(Refusal::new(
            format!("user pool {} does not require email, and Cognito cannot change a pool's required attributes", pool.id),
            "use another cognito.user_pool name so flarelink creates a pool that requires email",
        ));
    }
    let mut diff = differences(pool, spec);
    if !ours {
        diff.push("add flarelink's tag".into());
    }
    Ok(if diff.is_empty() {
        PoolDecision::Exists(pool.clone())
    } else {
        PoolDecision::Update(pool.clone(), diff)
    })
}

/// The report of the decision.
pub fn report(c: &CognitoConfig, d: &PoolDecision) -> StepReport {
    match d {
        PoolDecision::Exists(p) => StepReport::new(
            STEP,
            None,
            Action::Exists,
            format!("{} ({})", c.user_pool, p.id),
        ),
        PoolDecision::Create => StepReport::new(
            STEP,
            None,
            Action::Create,
            format!(
                "create user pool {} (self sign-up, email required and auto-verified)",
                c.user_pool
            ),
        ),
        PoolDecision::Update(p, diff) => {
            let mut r = StepReport::new(
                STEP,
                None,
                Action::Change,
                format!("update user pool {} ({})", c.user_pool, p.id),
            );
            r.details = diff.clone();
            r
        }
    }
}

pub fn static_report(c: &CognitoConfig) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!(
            "user pool {} (self sign-up, email required and auto-verified)",
            c.user_pool
        ),
    )
}

/// Apply: create the pool or bring its managed settings in line. Returns the report and the pool.
pub async fn apply(
    cognito: &Cognito,
    settle: Settle<'_>,
    c: &CognitoConfig,
    d: &PoolDecision,
    max_attempts: u32,
) -> Result<(StepReport, UserPool), Error> {
    let pool_spec = spec(c);
    let mut r = report(c, d);
    let pool = match d {
        PoolDecision::Exists(pool) => pool.clone(),
        PoolDecision::Create => {
            settle.begin(STEP, None, &r.summary);
            let pool = create_or_adopt(cognito, &pool_spec, &c.user_pool, max_attempts)
                .await
                .step(STEP, &c.user_pool)?;
            r.summary = format!("created user pool {} ({})", c.user_pool, pool.id);
            r.applied = true;
            pool
        }
        PoolDecision::Update(pool, _) => {
            settle.begin(STEP, None, &r.summary);
            cognito
                .update_user_pool(&pool.id, &pool_spec)
                .await
                .step(STEP, &c.user_pool)?;
            r.applied = true;
            pool.clone()
        }
    };
    Ok((r, pool))
}

/// Act: create the pool through [`create_once`]: after a lost answer, the pool that was made
/// (the only one of its name) is adopted, and the create is sent again only when it provably
/// did not happen.
async fn create_or_adopt(
    cognito: &Cognito,
    spec: &UserPoolSpec,
    name: &str,
    attempts: u32,
) -> Result<UserPool, flarelink_aws::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PasswordPolicy;

    fn config() -> CognitoConfig {
        CognitoConfig {
            user_pool: "pool".into(),
            app_client: "client".into(),
            domain_prefix: "prefix".into(),
            callback_urls: vec!["https://example.com".into()],
            logout_urls: vec![],
            allow_user_password_auth: false,
            implicit_flow: true,
            deletion_protection: true,
            password_policy: PasswordPolicy {
                min_length: 8,
                require_uppercase: true,
                require_lowercase: true,
                require_numbers: true,
                require_symbols: true,
                temporary_password_validity_days: 7,
            },
        }
    }

    fn pool_like(spec: &UserPoolSpec) -> UserPool {
        UserPool {
            id: "us-east-1_abc".into(),
            name: spec.name.clone(),
            arn: Some("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc".into()),
            self_sign_up: true,
            auto_verified_attributes: vec!["email".into()],
            required_attributes: vec!["email".into()],
            username_attributes: vec![],
            password_policy: Some(spec.password_policy.clone()),
            deletion_protection: true,
            domain: None,
            custom_domain: None,
            mfa_configuration: None,
            tags: spec.tags.clone(),
        }
    }

    #[test]
    fn a_pool_is_created_updated_where_it_differs_and_refused_when_foreign_or_ambiguous() {
        let s = spec(&config());
        assert_eq!(decide(&[], &s, false), Ok(PoolDecision::Create));
        let pool = pool_like(&s);
        assert!(matches!(
            decide(std::slice::from_ref(&pool), &s, false),
            Ok(PoolDecision::Exists(_))
        ));

        let mut drifted = pool.clone();
        drifted.self_sign_up = false;
        drifted.deletion_protection = false;
        match decide(&[drifted], &s, false) {
            Ok(PoolDecision::Update(_, d)) => assert_eq!(d.len(), 2, "{d:?}"),
            other => panic!("{other:?}"),
        }

        let mut foreign = pool.clone();
        foreign.tags.clear();
        assert!(decide(std::slice::from_ref(&foreign), &s, false).is_err());
        assert!(matches!(
            decide(&[foreign], &s, true),
            Ok(PoolDecision::Update(..))
        ));

        let mut no_email = pool.clone();
        no_email.required_attributes.clear();
        assert!(decide(&[no_email], &s, true).is_err());
        assert!(decide(&[pool.clone(), pool], &s, true).is_err());
    }
}
