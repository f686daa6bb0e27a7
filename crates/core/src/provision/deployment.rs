//! Provision step 7 — deployment: the API deployed to the stage, anew only when something
//! changed. The deployment's description carries a fingerprint of the API flarelink wants
//! (routes, upstreams, auth, authorizer), so a run after a crash between changing a route and
//! deploying still sees that the stage serves an older API, and a run with nothing to change
//! creates no deployment.

use flarelink_aws::{ApiGateway, Deployment};
use sha2::{Digest, Sha256};

use crate::config::ApiConfig;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::Deployment;

/// Discover: the description of the deployment the stage serves (its fingerprint), if any.
pub async fn discover(
    apigw: &ApiGateway,
    api_id: &str,
    stage: &str,
    subject: &str,
) -> Result<Option<String>, Error> {
    let served = apigw.get_stage(api_id, stage).await.step(STEP, subject)?;
    Ok(match served.and_then(|s| s.deployment_id) {
        Some(id) => apigw
            .get_deployment(api_id, &id)
            .await
            .step(STEP, subject)?
            .and_then(|d| d.description),
        None => None,
    })
}

const PREFIX: &str = "flarelink api ";

/// The fingerprint of the API as configured, with the authorizer's user pool (its ARN, or its
/// name while a dry-run plans to create it).
pub fn fingerprint(api: &ApiConfig, pool: Option<&str>) -> String {
    let mut routes: Vec<String> = api
        .routes
        .iter()
        .map(|r| {
            // With the path mappings, when there are any: a deployment made before they were
            // set must be redone, one of a route without path variables need not be.
            let params = super::route::integration_request_parameters(r);
            let mut line = format!(
                "{} {} -> {} auth={:?}",
                r.method, r.path, r.upstream, r.auth
            );
            if !params.is_empty() {
                line.push_str(&format!(" params={params:?}"));
            }
            line
        })
        .collect();
    routes.sort();
    let canonical = serde_json::json!({
        "routes": routes,
        "authorizer": { "pool": pool, "identity_source": super::authorizer::IDENTITY_SOURCE },
    });
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub fn description(fingerprint: &str) -> String {
    format!("{PREFIX}{fingerprint} (deployed by flarelink provision)")
}

/// Whether the stage's current deployment was made from this fingerprint.
pub fn is_current(deployment_description: Option<&str>, fingerprint: &str) -> bool {
    deployment_description
        .and_then(|d| d.strip_prefix(PREFIX))
        .is_some_and(|rest| rest.split_whitespace().next() == Some(fingerprint))
}

/// Decide and report: deploy when something changed (`changed`) or the stage serves an older
/// API (`current` false), else nothing.
pub fn report(api: &ApiConfig, fingerprint: &str, current: bool, changed: bool) -> StepReport {
    if changed || !current {
        let why = if changed {
            "the API changes"
        } else {
            "the stage serves an older API"
        };
        StepReport::new(
            STEP,
            None,
            Action::Create,
            format!(
                "deploy to stage {} ({why}; fingerprint {fingerprint})",
                api.stage
            ),
        )
    } else {
        StepReport::new(
            STEP,
            None,
            Action::Exists,
            format!(
                "stage {} serves the configured API (fingerprint {fingerprint})",
                api.stage
            ),
        )
    }
}

pub fn static_report(a: &ApiConfig) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("deployment to stage {} when something changed", a.stage),
    )
}

/// Apply: deploy when the report says so. Returns the new deployment's id.
pub async fn apply(
    apigw: &ApiGateway,
    settle: Settle<'_>,
    api_id: &str,
    api: &ApiConfig,
    fingerprint: &str,
    r: &mut StepReport,
    max_attempts: u32,
) -> Result<Option<String>, Error> {
    if r.action != Action::Create {
        return Ok(None);
    }
    settle.begin(STEP, None, &r.summary);
    let d = create_or_adopt(
        apigw,
        api_id,
        &api.stage,
        &description(fingerprint),
        max_attempts,
    )
    .await
    .step(STEP, &api.name)?;
    r.applied = true;
    Ok(Some(d.id))
}

/// Act: create the deployment through [`create_once`]; after a lost answer the deployment is
/// found by what the stage now serves (its description carries the fingerprint).
async fn create_or_adopt(
    apigw: &ApiGateway,
    api_id: &str,
    stage: &str,
    description: &str,
    attempts: u32,
) -> Result<Deployment, flarelink_aws::Error> {
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
    use crate::config::provision::default_routes;

    fn api() -> ApiConfig {
        ApiConfig {
            name: "ditto-api".into(),
            stage: "prod".into(),
            routes: default_routes(),
        }
    }

    #[test]
    fn the_fingerprint_follows_what_is_served() {
        let a = fingerprint(&api(), Some("pool"));
        assert_eq!(a, fingerprint(&api(), Some("pool")));
        assert_ne!(a, fingerprint(&api(), Some("other-pool")));
        let mut changed = api();
        changed.routes[0].upstream = "https://elsewhere.example/".into();
        assert_ne!(a, fingerprint(&changed, Some("pool")));
        let mut renamed = api();
        renamed.name = "other-name".into(); // the name is not served: no redeploy
        assert_eq!(a, fingerprint(&renamed, Some("pool")));
        assert!(is_current(Some(&description(&a)), &a));
        assert!(!is_current(Some("deployed by hand"), &a));
        assert!(!is_current(None, &a));
    }
}
