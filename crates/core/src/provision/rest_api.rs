//! Provision step 4 — rest-api: a REGIONAL REST API found by name and flarelink's tag, created
//! when missing. Regional, because Cloudflare is the CDN in front: an edge-optimized endpoint
//! would put a second CDN (CloudFront) behind it.

use flarelink_aws::RestApi;

use crate::steps::Refusal;

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
    fn decisions() {
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
