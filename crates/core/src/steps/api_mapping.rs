//! Step 4 — api-mapping: the base-path mapping from the custom domain to the REST API's stage.

use std::collections::BTreeSet;

use flarelink_aws::{ApiGateway, BasePathMapping, RestApi};

use super::Refusal;
use crate::config::Domain;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::resolve;
use crate::run::Clouds;
use crate::settle::Settle;
use crate::write_once::{create_once, WriteError, Written};

const STEP: StepId = StepId::ApiMapping;

/// Discover: the domain's mappings (only when the domain exists).
pub async fn discover_mappings(
    apigateway: &ApiGateway,
    hostname: &str,
) -> Result<Vec<BasePathMapping>, Error> {
    apigateway
        .list_base_path_mappings(hostname)
        .await
        .step(STEP, hostname)
}

/// Discover: the configured REST API and its stage (a precondition of this step).
pub async fn discover_api(clouds: &Clouds, domain: &Domain) -> Result<RestApi, Error> {
    let apigateway = &clouds.aws()?.apigateway;
    let (wanted, stage, h) = (&domain.rest_api, &domain.stage, &domain.hostname);
    // Under the lock, after a look that resolved the name: the API is read again by its id,
    // beside its stage — one round trip instead of the list and then the stage. Both must
    // still be there and the API still so named (or so identified); otherwise the API is
    // resolved from the list again. (What this does not re-check is whether a second API of
    // the same name appeared in the seconds since the look; the mapping still points at an
    // API that exists now and answers to the configured name.)
    if let Some(seen) = clouds.rest_api_seen(wanted) {
        let (now, has_stage) = tokio::try_join!(
            async { apigateway.get_rest_api(&seen.id).await.step(STEP, h) },
            async { apigateway.get_stage(&seen.id, stage).await.step(STEP, h) }
        )?;
        if let Some(now) =
            now.filter(|a| (a.name == *wanted || a.id == *wanted) && has_stage.is_some())
        {
            return Ok(now);
        }
    }
    let api = resolve::rest_api(apigateway, wanted, stage, h).await?;
    clouds.remember_rest_api(wanted, &api);
    Ok(api)
}

/// Decide: after a CreateBasePathMapping whose answer was lost, the mapping it made — the base
/// path, to exactly this API and stage.
pub fn created_mapping<'a>(
    mappings: &'a [BasePathMapping],
    base_path: Option<&str>,
    rest_api_id: &str,
    stage: &str,
) -> Option<&'a BasePathMapping> {
    mappings.iter().find(|m| {
        same_base_path(&m.base_path, base_path)
            && m.rest_api_id == rest_api_id
            && m.stage.as_deref() == Some(stage)
    })
}

/// Act: create the mapping; after an unknown outcome, adopt the domain's mapping at that base
/// path to this API and stage, or send again only when there is none.
pub async fn create(
    apigw: &ApiGateway,
    domain: &str,
    base_path: Option<&str>,
    rest_api_id: &str,
    stage: &str,
    max_attempts: u32,
) -> Result<Written<BasePathMapping>, flarelink_aws::Error> {
    create_once(
        max_attempts,
        WriteError::outcome,
        || apigw.create_base_path_mapping(domain, base_path.unwrap_or(""), rest_api_id, stage),
        || async {
            let mappings = apigw.list_base_path_mappings(domain).await?;
            Ok(created_mapping(&mappings, base_path, rest_api_id, stage).cloned())
        },
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingDecision {
    Exists,
    Create,
    /// The base path points elsewhere; repointed (only with `--force`).
    Update {
        from_api: String,
        from_stage: Option<String>,
    },
}

/// API Gateway reports the empty base path as "(none)".
pub fn same_base_path(reported: &str, wanted: Option<&str>) -> bool {
    match wanted {
        None => reported.is_empty() || reported == "(none)",
        Some(w) => reported == w,
    }
}

/// Decide. `mappings` is `None` when the domain does not exist yet.
pub fn decide(
    mappings: Option<&[BasePathMapping]>,
    base_path: Option<&str>,
    rest_api_id: &str,
    stage: &str,
    force: bool,
) -> Result<MappingDecision, Refusal> {
    let Some(found) = mappings
        .unwrap_or_default()
        .iter()
        .find(|m| same_base_path(&m.base_path, base_path))
    else {
        return Ok(MappingDecision::Create);
    };
    if found.rest_api_id == rest_api_id && found.stage.as_deref() == Some(stage) {
        return Ok(MappingDecision::Exists);
    }
    if force {
        return Ok(MappingDecision::Update {
            from_api: found.rest_api_id.clone(),
            from_stage: found.stage.clone(),
        });
    }
    Err(Refusal::new(
        format!(
            "base path {} already maps to API {} stage {}",
            base_path.unwrap_or("(none)"),
            found.rest_api_id,
            found.stage.as_deref().unwrap_or("(any)")
        ),
        "pass --force to repoint it, or choose another base_path for this domain",
    ))
}

/// The report: the mapping as it is, or as it will be (or was) made.
pub fn report(domain: &Domain, api: &RestApi, decision: &MappingDecision) -> StepReport {
    let h = domain.hostname.as_str();
    let what = format!(
        "{h}/{} → {} ({}) stage {}",
        domain.base_path.as_deref().unwrap_or(""),
        api.name,
        api.id,
        domain.stage
    );
    match decision {
        MappingDecision::Exists => StepReport::new(STEP, Some(h), Action::Exists, what),
        MappingDecision::Create => {
            StepReport::new(STEP, Some(h), Action::Create, format!("map {what}"))
        }
        MappingDecision::Update {
            from_api,
            from_stage,
        } => StepReport::new(STEP, Some(h), Action::Change, format!("repoint {what}")).detail(
            format!(
                "before: API {from_api} stage {}",
                from_stage.as_deref().unwrap_or("(any)")
            ),
        ),
    }
}

pub fn static_report(d: &Domain) -> StepReport {
    StepReport::new(
        STEP,
        Some(&d.hostname),
        Action::Unknown,
        format!(
            "mapping {} → REST API {:?} stage {}",
            d.base_path_display(),
            d.rest_api,
            d.stage
        ),
    )
}

/// Apply: create or repoint the mapping.
pub async fn apply(
    apigateway: &ApiGateway,
    settle: Settle<'_>,
    domain: &Domain,
    api: &RestApi,
    decision: &MappingDecision,
    report: &mut StepReport,
    max_attempts: u32,
) -> Result<(), Error> {
    let h = domain.hostname.as_str();
    let base_path = domain.base_path.as_deref().unwrap_or("");
    match decision {
        MappingDecision::Exists => return Ok(()),
        MappingDecision::Create => {
            settle.begin(STEP, Some(h), &report.summary);
            create(
                apigateway,
                h,
                domain.base_path.as_deref(),
                &api.id,
                &domain.stage,
                max_attempts,
            )
            .await
            .step(STEP, h)?;
        }
        MappingDecision::Update { .. } => {
            settle.begin(STEP, Some(h), &report.summary);
            apigateway
                .update_base_path_mapping(h, base_path, &api.id, &domain.stage)
                .await
                .step(STEP, h)?;
        }
    }
    report.applied = true;
    Ok(())
}

/// Decide the removal (`unlink-domain`): the mapping at the configured base path, if it maps
/// the configured API (any API of that name, or that id) and stage — or any, with `--force`.
/// `Err(note)`: a mapping there that is kept, and why.
pub fn decide_removal(
    domain: &Domain,
    mappings: &[BasePathMapping],
    api_ids: &BTreeSet<String>,
    force: bool,
) -> Result<Option<BasePathMapping>, String> {
    let at_path = mappings
        .iter()
        .find(|m| same_base_path(&m.base_path, domain.base_path.as_deref()));
    match at_path {
        Some(m)
            if force
                || (api_ids.contains(&m.rest_api_id)
                    && m.stage.as_deref() == Some(domain.stage.as_str())) =>
        {
            Ok(Some(m.clone()))
        }
        Some(m) => Err(format!(
            "mapping {} → {} stage {} is not the configured API and stage; kept (pass --force to delete it)",
            m.base_path,
            m.rest_api_id,
            m.stage.as_deref().unwrap_or("(any)")
        )),
        None => Ok(None),
    }
}

/// The removal's report.
pub fn removal_report(
    hostname: &str,
    mapping: Option<&BasePathMapping>,
    note: Option<&str>,
) -> StepReport {
    let mut r = match mapping {
        Some(m) => StepReport::new(
            STEP,
            Some(hostname),
            Action::Delete,
            format!(
                "delete mapping {} → {} stage {}",
                m.base_path,
                m.rest_api_id,
                m.stage.as_deref().unwrap_or("(any)")
            ),
        ),
        None => StepReport::new(
            STEP,
            Some(hostname),
            Action::Skip,
            "no flarelink API mapping",
        ),
    };
    if let Some(n) = note {
        r = r.detail(n.to_string());
    }
    r
}

/// Remove: delete the mapping.
pub async fn remove(
    apigateway: &ApiGateway,
    settle: Settle<'_>,
    hostname: &str,
    mapping: &BasePathMapping,
    report: &StepReport,
) -> Result<(), Error> {
    settle.begin(STEP, Some(hostname), &report.summary);
    let bp = if mapping.base_path == "(none)" {
        ""
    } else {
        mapping.base_path.as_str()
    };
    apigateway
        .delete_base_path_mapping(hostname, bp)
        .await
        .step(STEP, hostname)?;
    Ok(())
}

pub fn static_removal_report(hostname: &str) -> StepReport {
    StepReport::new(
        STEP,
        Some(hostname),
        Action::Unknown,
        "delete the mapping to the configured API and stage",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(bp: &str, api: &str, stage: &str) -> BasePathMapping {
        BasePathMapping {
            base_path: bp.into(),
            rest_api_id: api.into(),
            stage: Some(stage.into()),
        }
    }

    #[test]
    fn a_missing_mapping_is_created_and_one_to_another_api_or_stage_is_refused_unless_forced() {
        assert_eq!(
            decide(None, None, "a", "prod", false),
            Ok(MappingDecision::Create)
        );
        let maps = [m("(none)", "a", "prod"), m("v2", "b", "prod")];
        assert_eq!(
            decide(Some(&maps), None, "a", "prod", false),
            Ok(MappingDecision::Exists)
        );
        assert_eq!(
            decide(Some(&maps), Some("v3"), "a", "prod", false),
            Ok(MappingDecision::Create)
        );
        assert!(decide(Some(&maps), Some("v2"), "a", "prod", false).is_err());
        assert!(decide(Some(&maps), None, "a", "dev", false).is_err());
        assert!(matches!(
            decide(Some(&maps), Some("v2"), "a", "prod", true),
            Ok(MappingDecision::Update { .. })
        ));
    }

    #[test]
    fn a_lost_mapping_create_is_recognised_by_base_path_api_and_stage() {
        let m = |path: &str, api: &str, stage: &str| BasePathMapping {
            base_path: path.into(),
            rest_api_id: api.into(),
            stage: Some(stage.into()),
        };
        let all = [
            m("(none)", "other", "prod"),
            m("v1", "abc", "prod"),
            m("(none)", "abc", "dev"),
        ];
        assert!(created_mapping(&all, None, "abc", "prod").is_none());
        assert!(created_mapping(&all, Some("v1"), "abc", "prod").is_some());
        let with = [m("(none)", "abc", "prod")];
        assert!(created_mapping(&with, None, "abc", "prod").is_some());
    }
}
