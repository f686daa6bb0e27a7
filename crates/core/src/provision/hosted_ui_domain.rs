//! Provision step 3 — hosted-ui-domain: the Cognito prefix domain
//! `<prefix>.auth.<region>.amazoncognito.com` for the hosted UI. Prefixes are unique across AWS
//! in a region, so one that another pool holds is a clear error, not a retry.

use flarelink_aws::cognito::{Cognito, DomainInfo};

use crate::config::CognitoConfig;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::steps::Refusal;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::HostedUiDomain;

/// Discover: who holds the configured prefix, if anyone (this does not wait for the pool).
pub async fn discover(cognito: &Cognito, c: &CognitoConfig) -> Result<Option<DomainInfo>, Error> {
    cognito
        .describe_domain(&c.domain_prefix)
        .await
        .step(STEP, &c.domain_prefix)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainDecision {
    Exists,
    Create,
    /// The pool has another prefix domain (a pool has at most one): replace it.
    Replace {
        old_prefix: String,
    },
}

/// Decide from who holds `prefix` (if anyone) and the prefix the pool has now (if any).
/// `pool_id` is `None` while the pool is still to be created.
pub fn decide(
    prefix: &str,
    holder: Option<&DomainInfo>,
    pool_id: Option<&str>,
    pool_prefix: Option<&str>,
) -> Result<DomainDecision, Refusal> {
    if let Some(h) = holder {
        if Some(h.user_pool_id.as_str()) == pool_id {
            return Ok(DomainDecision::Exists);
        }
        return Err(Refusal::new(
            format!("the hosted-UI domain prefix {prefix:?} is taken (by user pool {})", h.user_pool_id),
            "choose another cognito.domain_prefix; prefixes are unique across all AWS accounts in a region",
        ));
    }
    match pool_prefix {
        Some(old) if old != prefix => Ok(DomainDecision::Replace {
            old_prefix: old.to_string(),
        }),
        _ => Ok(DomainDecision::Create),
    }
}

pub fn hosted_ui_base(prefix: &str, region: &str) -> String {
    format!("https://{prefix}.auth.{region}.amazoncognito.com")
}

/// The report of the decision.
pub fn report(c: &CognitoConfig, region: &str, d: &DomainDecision) -> StepReport {
    let url = hosted_ui_base(&c.domain_prefix, region);
    match d {
        DomainDecision::Exists => StepReport::new(STEP, None, Action::Exists, url),
        DomainDecision::Create => {
            StepReport::new(STEP, None, Action::Create, format!("create {url}"))
        }
        DomainDecision::Replace { old_prefix } => StepReport::new(
            STEP,
            None,
            Action::Change,
            format!("replace prefix {old_prefix} with {url}"),
        ),
    }
}

pub fn static_report(c: &CognitoConfig) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("hosted-UI domain prefix {}", c.domain_prefix),
    )
}

/// Apply: create the prefix domain for `pool_id` (after deleting the pool's old one).
pub async fn apply(
    cognito: &Cognito,
    c: &CognitoConfig,
    pool_id: &str,
    region: &str,
    d: &DomainDecision,
    max_attempts: u32,
) -> Result<StepReport, Error> {
    let mut r = report(c, region, d);
    match d {
        DomainDecision::Exists => {}
        DomainDecision::Create => {
            create_or_adopt(cognito, &c.domain_prefix, pool_id, max_attempts)
                .await
                .step(STEP, &c.domain_prefix)?;
            r.applied = true;
        }
        DomainDecision::Replace { old_prefix } => {
            cognito
                .delete_domain(old_prefix, pool_id)
                .await
                .step(STEP, old_prefix)?;
            create_or_adopt(cognito, &c.domain_prefix, pool_id, max_attempts)
                .await
                .step(STEP, &c.domain_prefix)?;
            r.applied = true;
        }
    }
    Ok(r)
}

/// Act: create the hosted-UI domain through [`create_once`]: after a lost answer, the prefix is
/// adopted when it now belongs to this pool, and the create is sent again only when it provably
/// did not happen.
async fn create_or_adopt(
    cognito: &Cognito,
    prefix: &str,
    pool_id: &str,
    attempts: u32,
) -> Result<(), flarelink_aws::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn held_by(pool: &str) -> DomainInfo {
        DomainInfo {
            prefix: "p".into(),
            user_pool_id: pool.into(),
            status: Some("ACTIVE".into()),
            managed_login_version: None,
            cloudfront_distribution: None,
        }
    }

    #[test]
    fn a_prefix_held_by_another_pool_is_refused_and_a_changed_prefix_replaced() {
        assert_eq!(decide("p", None, None, None), Ok(DomainDecision::Create));
        assert_eq!(
            decide("p", Some(&held_by("mine")), Some("mine"), Some("p")),
            Ok(DomainDecision::Exists)
        );
        assert!(decide("p", Some(&held_by("theirs")), Some("mine"), None).is_err());
        assert!(decide("p", Some(&held_by("theirs")), None, None).is_err());
        assert_eq!(
            decide("p", None, Some("mine"), Some("old")),
            Ok(DomainDecision::Replace {
                old_prefix: "old".into()
            })
        );
    }
}
