//! Provision step 3 — hosted-ui-domain: the Cognito prefix domain
//! `<prefix>.auth.<region>.amazoncognito.com` for the hosted UI. Prefixes are unique across AWS
//! in a region, so one that another pool holds is a clear error, not a retry.

use flarelink_aws::cognito::DomainInfo;

use crate::steps::Refusal;

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
    fn decisions() {
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
