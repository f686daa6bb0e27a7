//! Origin lock step 4 — default-endpoint: the REST API's default
//! `https://{api-id}.execute-api.{region}.amazonaws.com` endpoint is turned off
//! (`disableExecuteApiEndpoint`), then the hostname's stage is redeployed, which the change needs
//! to be served. A deployment publishes the API's CURRENT definition: edits not yet deployed go
//! live with it. The plan line says so.
//!
//! Mark: the tag [`TAG_DISABLED`] on the REST API — `pending` from just before the change until
//! the redeploy, then the deployment's id — so a run stopped in between redeploys, and turning
//! the lock off re-enables only an endpoint flarelink turned off.

use std::collections::BTreeMap;

use flarelink_aws::{ApiGateway, RestApi};

use crate::error::{Context, Error};
use crate::origin_lock::Ctx;
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;

const STEP: StepId = StepId::DefaultEndpoint;
pub const TAG_DISABLED: &str = "flarelink:execute-api-disabled";
const PENDING: &str = "pending";

#[derive(Debug, Clone)]
pub struct Found {
    pub api: RestApi,
    pub disabled: bool,
    /// [`TAG_DISABLED`]'s value.
    pub mark: Option<String>,
}

pub async fn discover(apigw: &ApiGateway, api: RestApi, hostname: &str) -> Result<Found, Error> {
    let h = hostname;
    let (disabled, tags) = tokio::try_join!(
        async {
            apigw
                .execute_api_endpoint_disabled(&api.id)
                .await
                .step(STEP, h)
        },
        async { apigw.get_rest_api_tags(&api.id).await.step(STEP, h) },
    )?;
    Ok(Found {
        disabled: disabled.unwrap_or(false),
        mark: tags.unwrap_or_default().remove(TAG_DISABLED),
        api,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Exists,
    /// Already off, but not by flarelink: left as it is (and left off on undo).
    ExistsNotOurs,
    /// Turn it off and redeploy.
    Disable,
    /// flarelink turned it off but the redeploy did not happen (an interrupted run).
    Redeploy,
}

pub fn decide(found: &Found) -> Plan {
    match (found.disabled, found.mark.as_deref()) {
        (true, Some(PENDING)) => Plan::Redeploy,
        (true, Some(_)) => Plan::Exists,
        (true, None) => Plan::ExistsNotOurs,
        (false, _) => Plan::Disable,
    }
}

pub fn report(hostname: &str, stage: &str, found: &Found, plan: Plan) -> StepReport {
    let id = &found.api.id;
    match plan {
        Plan::Exists => StepReport::new(STEP, Some(hostname), Action::Exists, format!("the default execute-api endpoint of {id} is off (by flarelink)")),
        Plan::ExistsNotOurs => StepReport::new(STEP, Some(hostname), Action::Exists, format!("the default execute-api endpoint of {id} is off (not by flarelink: left off on undo)")),
        Plan::Disable | Plan::Redeploy => StepReport::new(
            STEP,
            Some(hostname),
            Action::Change,
            format!("turn the default execute-api endpoint of {} ({id}) off and redeploy stage {stage}", found.api.name),
        )
        .detail("the redeploy publishes the API's current definition: any change not yet deployed goes live with it"),
    }
}

fn mark(value: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(TAG_DISABLED.to_string(), value.to_string())])
}

async fn redeploy(
    apigw: &ApiGateway,
    api_id: &str,
    stage: &str,
    why: &str,
    h: &str,
) -> Result<String, Error> {
    let d = apigw
        .create_deployment(api_id, stage, why)
        .await
        .step(STEP, h)?;
    Ok(d.id)
}

pub async fn apply(
    ctx: Ctx<'_>,
    stage: &str,
    found: &Found,
    plan: Plan,
    report: &mut StepReport,
) -> Result<(), Error> {
    let (settle, hostname) = (ctx.settle, ctx.hostname);
    let aws = ctx.clouds.aws()?;
    let (apigw, region) = (&aws.apigateway, aws.region());
    let h = hostname;
    let id = found.api.id.as_str();
    if plan == Plan::Disable {
        settle.begin(
            STEP,
            Some(h),
            &format!("turning the default endpoint of {id} off"),
        );
        apigw
            .tag_rest_api(region, id, &mark(PENDING))
            .await
            .step(STEP, h)?;
        apigw
            .set_execute_api_endpoint_disabled(id, true)
            .await
            .step(STEP, h)?;
        report.applied = true;
    }
    if matches!(plan, Plan::Disable | Plan::Redeploy) {
        settle.begin(STEP, Some(h), &format!("redeploying stage {stage} of {id}"));
        let d = redeploy(
            apigw,
            id,
            stage,
            "flarelink: default execute-api endpoint off (origin lock)",
            h,
        )
        .await?;
        apigw
            .tag_rest_api(region, id, &mark(&d))
            .await
            .step(STEP, h)?;
        report.applied = true;
    }
    Ok(())
}

/// Turning off: re-enable only what flarelink turned off, and only when no other hostname that
/// keeps its lock uses the API (`shared`).
pub fn decide_removal(found: &Found, shared: bool) -> Result<bool, String> {
    match (&found.mark, shared) {
        (None, _) => Ok(false),
        (Some(_), true) => Err(format!(
            "kept off: another hostname with origin_lock = \"mtls\" uses {}",
            found.api.id
        )),
        (Some(_), false) => Ok(true),
    }
}

pub fn removal_report(
    hostname: &str,
    stage: &str,
    found: Option<&Found>,
    remove: &Result<bool, String>,
) -> StepReport {
    match (found, remove) {
        (Some(f), Ok(true)) => StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!("turn the default execute-api endpoint of {} back on (flarelink turned it off) and redeploy stage {stage}", f.api.id),
        )
        .detail("the redeploy publishes the API's current definition: any change not yet deployed goes live with it"),
        (_, Err(note)) => StepReport::new(STEP, Some(hostname), Action::Skip, note.clone()),
        _ => StepReport::new(STEP, Some(hostname), Action::Skip, "flarelink did not turn the default endpoint off"),
    }
}

pub async fn remove(
    apigw: &ApiGateway,
    settle: Settle<'_>,
    region: &str,
    hostname: &str,
    stage: &str,
    found: &Found,
) -> Result<(), Error> {
    let h = hostname;
    let id = found.api.id.as_str();
    settle.begin(
        STEP,
        Some(h),
        &format!("turning the default endpoint of {id} back on"),
    );
    apigw
        .set_execute_api_endpoint_disabled(id, false)
        .await
        .step(STEP, h)?;
    redeploy(
        apigw,
        id,
        stage,
        "flarelink: default execute-api endpoint back on (origin lock off)",
        h,
    )
    .await?;
    apigw
        .untag_rest_api(region, id, &[TAG_DISABLED.to_string()])
        .await
        .step(STEP, h)?;
    Ok(())
}

pub fn static_report(d: &crate::config::Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        format!("the default execute-api endpoint of {} off, then stage {} redeployed (publishes the API's current definition)", d.rest_api, d.stage),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(disabled: bool, mark: Option<&str>) -> Found {
        Found {
            api: RestApi {
                id: "a1".into(),
                name: "n".into(),
                endpoint_types: vec![],
            },
            disabled,
            mark: mark.map(str::to_string),
        }
    }

    #[test]
    fn only_what_flarelink_turned_off_is_turned_back_on_and_a_lost_redeploy_is_redone() {
        assert_eq!(decide(&found(false, None)), Plan::Disable);
        assert_eq!(decide(&found(true, Some("pending"))), Plan::Redeploy);
        assert_eq!(decide(&found(true, Some("d1"))), Plan::Exists);
        assert_eq!(decide(&found(true, None)), Plan::ExistsNotOurs);
        assert_eq!(decide_removal(&found(true, None), false), Ok(false));
        assert_eq!(decide_removal(&found(true, Some("d1")), false), Ok(true));
        assert!(decide_removal(&found(true, Some("d1")), true).is_err());
    }
}
