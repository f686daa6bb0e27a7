//! Provision step 6 — route: each configured route as a resource path, a method guarded by the
//! Cognito authorizer (or open, `auth = "none"`) and an HTTP_PROXY integration to its upstream.
//! On a REST API flarelink created, methods no longer in the configuration are removed.

use std::collections::BTreeMap;

use flarelink_aws::{ApiGateway, Integration, Method, MethodAuth, Resource};

use crate::config::{Route, RouteAuth};

pub const INTEGRATION_TYPE: &str = "HTTP_PROXY";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAction {
    Exists,
    /// The method (and any missing resources on its path) with its integration.
    Create,
    /// The method is there; its authorization and/or its integration differ.
    Update {
        auth: bool,
        integration: bool,
    },
}

/// A method on the API that no configured route describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub path: String,
    pub method: String,
    pub resource_id: String,
}

/// The authorization a route's method should have. With the authorizer still to be created its
/// id is unknown, so no existing method can already match.
pub fn desired_auth(route: &Route, authorizer_id: Option<&str>) -> MethodAuth {
    match route.auth {
        // No scopes: the authorizer then expects an ID token, as in the guide.
        RouteAuth::Cognito => MethodAuth::cognito(authorizer_id.unwrap_or(""), Vec::new()),
        RouteAuth::None => MethodAuth::none(),
    }
}

fn auth_matches(method: &Method, wanted: &MethodAuth) -> bool {
    method.authorization_type == wanted.authorization_type
        && match wanted.authorization_type.as_str() {
            "NONE" => true,
            _ => {
                method.authorizer_id == wanted.authorizer_id
                    && wanted
                        .authorizer_id
                        .as_deref()
                        .is_some_and(|id| !id.is_empty())
                    && method.authorization_scopes.is_empty()
            }
        }
}

fn integration_matches(integration: Option<&Integration>, route: &Route) -> bool {
    integration.is_some_and(|i| {
        i.type_ == INTEGRATION_TYPE
            && i.uri.as_deref() == Some(route.upstream.as_str())
            && i.http_method.as_deref() == Some(route.method.as_str())
    })
}

/// Decide every route, and which methods are stale (only on an API flarelink owns).
pub fn decide(
    routes: &[Route],
    resources: &[Resource],
    authorizer_id: Option<&str>,
    owned: bool,
) -> (Vec<(Route, RouteAction)>, Vec<Stale>) {
    let by_path: BTreeMap<&str, &Resource> =
        resources.iter().map(|r| (r.path.as_str(), r)).collect();
    let decided = routes
        .iter()
        .map(|route| {
            let method = by_path
                .get(route.path.as_str())
                .and_then(|r| r.methods.get(&route.method));
            let action = match method {
                None => RouteAction::Create,
                Some(m) => {
                    let auth = !auth_matches(m, &desired_auth(route, authorizer_id));
                    let integration = !integration_matches(m.integration.as_ref(), route);
                    if auth || integration {
                        RouteAction::Update { auth, integration }
                    } else {
                        RouteAction::Exists
                    }
                }
            };
            (route.clone(), action)
        })
        .collect();
    let mut stale = Vec::new();
    if owned {
        for r in resources {
            for m in r.methods.keys() {
                if !routes
                    .iter()
                    .any(|route| route.path == r.path && &route.method == m)
                {
                    stale.push(Stale {
                        path: r.path.clone(),
                        method: m.clone(),
                        resource_id: r.id.clone(),
                    });
                }
            }
        }
    }
    (decided, stale)
}

/// Attempts per CreateResource (flarelink's own retry after a throttle or a lost answer).
const CREATE_ATTEMPTS: u32 = 4;

/// Act: the resource for `path`, creating missing segments from the deepest existing parent.
/// `known` maps paths to resource ids and is kept up to date.
pub async fn ensure_resource(
    apigateway: &ApiGateway,
    api_id: &str,
    path: &str,
    known: &mut BTreeMap<String, String>,
) -> Result<String, flarelink_aws::Error> {
    if let Some(id) = known.get(path) {
        return Ok(id.clone());
    }
    let mut current = "/".to_string();
    let mut parent_id = known
        .get("/")
        .cloned()
        .expect("every REST API has a root resource");
    for segment in path.trim_start_matches('/').split('/') {
        current = if current == "/" {
            format!("/{segment}")
        } else {
            format!("{current}/{segment}")
        };
        parent_id = match known.get(&current) {
            Some(id) => id.clone(),
            None => {
                let created = super::adopt::resource(
                    apigateway,
                    api_id,
                    &parent_id,
                    segment,
                    &current,
                    CREATE_ATTEMPTS,
                )
                .await?;
                known.insert(current.clone(), created.id.clone());
                created.id
            }
        };
    }
    Ok(parent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str, method: &str, auth: RouteAuth) -> Route {
        Route {
            path: path.into(),
            method: method.into(),
            upstream: "https://up.example/x".into(),
            auth,
        }
    }

    fn resource(path: &str, methods: Vec<Method>) -> Resource {
        Resource {
            id: format!("id{path}"),
            parent_id: None,
            path: path.into(),
            path_part: None,
            methods: methods
                .into_iter()
                .map(|m| (m.http_method.clone(), m))
                .collect(),
        }
    }

    fn method(verb: &str, auth: MethodAuth, uri: &str) -> Method {
        Method {
            http_method: verb.into(),
            authorization_type: auth.authorization_type,
            authorizer_id: auth.authorizer_id,
            authorization_scopes: auth.authorization_scopes,
            api_key_required: false,
            integration: Some(Integration {
                type_: INTEGRATION_TYPE.into(),
                http_method: Some(verb.into()),
                uri: Some(uri.into()),
                passthrough_behavior: None,
                timeout_in_millis: None,
                connection_type: None,
            }),
        }
    }

    #[test]
    fn decisions() {
        let ditto = route("/ditto", "GET", RouteAuth::Cognito);
        let good = method(
            "GET",
            MethodAuth::cognito("z1", vec![]),
            "https://up.example/x",
        );
        let resources = vec![
            resource("/", vec![]),
            resource("/ditto", vec![good.clone()]),
        ];

        let (d, stale) = decide(std::slice::from_ref(&ditto), &resources, Some("z1"), true);
        assert_eq!(d[0].1, RouteAction::Exists);
        assert!(stale.is_empty());

        // A new authorizer: the method must be repointed.
        let (d, _) = decide(std::slice::from_ref(&ditto), &resources, None, true);
        assert_eq!(
            d[0].1,
            RouteAction::Update {
                auth: true,
                integration: false
            }
        );

        // Another upstream.
        let moved = Route {
            upstream: "https://elsewhere.example/".into(),
            ..ditto.clone()
        };
        let (d, _) = decide(&[moved], &resources, Some("z1"), true);
        assert_eq!(
            d[0].1,
            RouteAction::Update {
                auth: false,
                integration: true
            }
        );

        // Made public.
        let open = route("/ditto", "GET", RouteAuth::None);
        let (d, _) = decide(&[open], &resources, Some("z1"), true);
        assert_eq!(
            d[0].1,
            RouteAction::Update {
                auth: true,
                integration: false
            }
        );

        // A renamed route: create the new one, the old method is stale on an owned API only.
        let renamed = route("/pikachu", "GET", RouteAuth::Cognito);
        let (d, stale) = decide(std::slice::from_ref(&renamed), &resources, Some("z1"), true);
        assert_eq!(d[0].1, RouteAction::Create);
        assert_eq!(stale.len(), 1);
        assert_eq!(
            (stale[0].path.as_str(), stale[0].method.as_str()),
            ("/ditto", "GET")
        );
        let (_, stale) = decide(&[renamed], &resources, Some("z1"), false);
        assert!(stale.is_empty());
    }
}
