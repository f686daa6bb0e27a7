//! Provision step 4 — rest-api: a REGIONAL REST API found by name and flarelink's tag, created
//! when missing. Regional, because Cloudflare is the CDN in front: an edge-optimized endpoint
//! would put a second CDN (CloudFront) behind it.

use std::collections::BTreeMap;

use flarelink_aws::{ApiGateway, RestApi};
use futures::future::try_join_all;

use crate::config::ApiConfig;
use crate::error::{Context, Error};
use crate::ownership::TAG_MANAGED;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::steps::Refusal;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::RestApi;

/// Discover: the APIs with the configured name, each with whether it carries flarelink's tag.
pub async fn discover(apigw: &ApiGateway, a: &ApiConfig) -> Result<Vec<(RestApi, bool)>, Error> {
    let all = apigw.list_rest_apis().await.step(STEP, &a.name)?;
    let named: Vec<RestApi> = all.into_iter().filter(|x| x.name == a.name).collect();
    let tags = try_join_all(named.iter().map(|x| apigw.get_rest_api_tags(&x.id)))
        .await
        .step(STEP, &a.name)?;
    Ok(named
        .into_iter()
        .zip(tags)
        .map(|(api, tags)| {
            let ours = tags
                .as_ref()
                .and_then(|t| t.get(TAG_MANAGED))
                .is_some_and(|v| v == "true");
            (api, ours)
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestApiDecision {
    Exists(RestApi),
    Create,
}

/// Decide from the APIs named `name` and, for each, whether it carries flarelink's tag.
pub fn decide(
    named: &[(RestApi, bool)],
    name: &str,
    force: bool,
) -> Result<RestApiDecision, Refusal> {
    match named {
        [] => Ok(RestApiDecision::Create),
        [(api, ours)] if *ours || force => Ok(RestApiDecision::Exists(api.clone())),
        [(api, _)] => Err(Refusal::new(
            format!("a REST API named {name:?} ({}) exists that flarelink did not create", api.id),
            "pass --force to manage it (flarelink will add its routes, authorizer and deployments to it), or set api.name to another name",
        )),
        many => Err(Refusal::new(
            format!(
                "{} REST APIs are named {name:?} ({})",
                many.len(),
                many.iter().map(|(a, _)| a.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
            "rename or delete the extra ones so the name is unique, or choose another api.name",
        )),
    }
}

/// The report of the decision.
pub fn report(a: &ApiConfig, d: &RestApiDecision) -> StepReport {
    match d {
        RestApiDecision::Exists(x) => {
            StepReport::new(STEP, None, Action::Exists, format!("{} ({})", x.name, x.id))
        }
        RestApiDecision::Create => StepReport::new(
            STEP,
            None,
            Action::Create,
            format!("create REGIONAL REST API {}", a.name),
        ),
    }
}

pub fn static_report(a: &ApiConfig) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("REGIONAL REST API {}", a.name),
    )
}

/// Apply: create the API (tagged as flarelink's) when missing. Returns the report and the API.
pub async fn apply(
    apigw: &ApiGateway,
    settle: Settle<'_>,
    a: &ApiConfig,
    d: &RestApiDecision,
    max_attempts: u32,
) -> Result<(StepReport, RestApi), Error> {
    match d {
        RestApiDecision::Exists(x) => Ok((report(a, d), x.clone())),
        RestApiDecision::Create => {
            settle.begin(STEP, None, &format!("creating REST API {}", a.name));
            let tags = BTreeMap::from([(TAG_MANAGED.to_string(), "true".to_string())]);
            let created = create_or_adopt(
                apigw,
                &a.name,
                Some("managed by flarelink provision"),
                &tags,
                max_attempts,
            )
            .await
            .step(STEP, &a.name)?;
            let mut r = StepReport::new(
                STEP,
                None,
                Action::Create,
                format!(
                    "created REGIONAL REST API {} ({})",
                    created.name, created.id
                ),
            );
            r.applied = true;
            Ok((r, created))
        }
    }
}

/// Act: create the REST API through [`create_once`]: after a lost answer, the API that was made
/// (the only one of its name, with flarelink's tag) is adopted, and the create is sent again
/// only when it provably did not happen.
async fn create_or_adopt(
    apigw: &ApiGateway,
    name: &str,
    description: Option<&str>,
    tags: &BTreeMap<String, String>,
    attempts: u32,
) -> Result<RestApi, flarelink_aws::Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_rest_api(name, description, tags),
        || async {
            let all = apigw.list_rest_apis().await?;
            let Some(api) = super::the_one_named(&all, name, |a| a.name.as_str()) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(id: &str) -> RestApi {
        RestApi {
            id: id.into(),
            name: "ditto-api".into(),
            endpoint_types: vec!["REGIONAL".into()],
        }
    }

    #[test]
    fn an_api_is_created_reused_when_flarelink_tagged_and_refused_when_foreign_or_ambiguous() {
        assert_eq!(decide(&[], "ditto-api", false), Ok(RestApiDecision::Create));
        assert_eq!(
            decide(&[(api("a"), true)], "ditto-api", false),
            Ok(RestApiDecision::Exists(api("a")))
        );
        assert!(decide(&[(api("a"), false)], "ditto-api", false).is_err());
        assert!(decide(&[(api("a"), false)], "ditto-api", true).is_ok());
        assert!(decide(&[(api("a"), true), (api("b"), true)], "ditto-api", true).is_err());
    }
}
