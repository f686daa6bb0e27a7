//! Step 4 — api-mapping: the base-path mapping from the custom domain to the REST API's stage.

use flarelink_aws::BasePathMapping;

use super::Refusal;

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
}
