//! Step 4 — api-mapping: the base-path mapping from the custom domain to the REST API's stage.

use flarelink_aws::{ApiGateway, BasePathMapping};

use super::Refusal;
use crate::write_once::{create_once, WriteError, Written};

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
    fn decisions() {
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
