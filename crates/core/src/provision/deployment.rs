//! Provision step 7 — deployment: the API deployed to the stage, anew only when something
//! changed. The deployment's description carries a fingerprint of the API flarelink wants
//! (routes, upstreams, auth, authorizer), so a run after a crash between changing a route and
//! deploying still sees that the stage serves an older API, and a run with nothing to change
//! creates no deployment.

use sha2::{Digest, Sha256};

use crate::config::ApiConfig;

const PREFIX: &str = "flarelink api ";

/// The fingerprint of the API as configured, with the authorizer's user pool (its ARN, or its
/// name while a dry-run plans to create it).
pub fn fingerprint(api: &ApiConfig, pool: Option<&str>) -> String {
    let mut routes: Vec<String> = api
        .routes
        .iter()
        .map(|r| {
            format!(
                "{} {} -> {} auth={:?}",
                r.method, r.path, r.upstream, r.auth
            )
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
