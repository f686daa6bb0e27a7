//! Provision step 6 — route: each configured route as a resource path, a method guarded by the
//! Cognito authorizer (or open, `auth = "none"`) and an HTTP_PROXY integration to its upstream.
//! On a REST API flarelink created, methods no longer in the configuration are removed.

use std::collections::BTreeMap;

use flarelink_aws::{ApiGateway, Integration, Method, MethodAuth, Resource};

use crate::config::{Route, RouteAuth};
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::Route;

/// Discover: the API's resources with their methods.
pub async fn discover(
    apigw: &ApiGateway,
    api_id: &str,
    subject: &str,
) -> Result<Vec<Resource>, Error> {
    apigw.get_resources(api_id).await.step(STEP, subject)
}

pub const INTEGRATION_TYPE: &str = "HTTP_PROXY";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAction {
    Exists,
    /// The method (and any missing resources on its path) with its integration.
    Create,
    /// The method is there; its authorization, its request parameters (the path variables it
    /// declares) and/or its integration differ.
    Update {
        auth: bool,
        request_parameters: bool,
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

/// The path variables of the route's path that its upstream uses, by name (`proxy` for
/// `{proxy+}`). Config validation refuses an upstream placeholder the path lacks.
fn mapped_variables(route: &Route) -> Vec<String> {
    let vars = crate::config::provision::path_variables(&route.path);
    crate::config::provision::upstream_placeholders(&route.upstream)
        .into_iter()
        .filter(|name| vars.contains(name))
        .collect()
}

/// The method request parameters a route's method declares: `method.request.path.name` →
/// required, for each mapped path variable (API Gateway only maps what the method declares).
pub fn method_request_parameters(route: &Route) -> BTreeMap<String, bool> {
    mapped_variables(route)
        .into_iter()
        .map(|name| (format!("method.request.path.{name}"), true))
        .collect()
}

/// The integration request parameters that fill the upstream's `{name}` placeholders:
/// `integration.request.path.name` → `method.request.path.name`. Without them an HTTP_PROXY
/// integration sends `{name}` to the upstream literally.
pub fn integration_request_parameters(route: &Route) -> BTreeMap<String, String> {
    mapped_variables(route)
        .into_iter()
        .map(|name| {
            (
                format!("integration.request.path.{name}"),
                format!("method.request.path.{name}"),
            )
        })
        .collect()
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
            && i.request_parameters == integration_request_parameters(route)
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
                    let request_parameters =
                        m.request_parameters != method_request_parameters(route);
                    let integration = !integration_matches(m.integration.as_ref(), route);
                    if auth || request_parameters || integration {
                        RouteAction::Update {
                            auth,
                            request_parameters,
                            integration,
                        }
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
                let created = create_or_adopt(
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

fn describe(route: &Route) -> String {
    format!(
        "{} {} → {} (auth: {})",
        route.method,
        route.path,
        route.upstream,
        match route.auth {
            RouteAuth::Cognito => "cognito",
            RouteAuth::None => "none",
        }
    )
}

/// The report of one route's decision.
pub fn report(route: &Route, action: &RouteAction) -> StepReport {
    let what = describe(route);
    match action {
        RouteAction::Exists => StepReport::new(STEP, None, Action::Exists, what),
        RouteAction::Create => {
            StepReport::new(STEP, None, Action::Create, format!("create {what}"))
        }
        RouteAction::Update {
            auth,
            request_parameters,
            integration,
        } => {
            let mut r = StepReport::new(STEP, None, Action::Change, format!("update {what}"));
            if *auth {
                r = r.detail("authorization");
            }
            if *request_parameters {
                r = r.detail("path parameters");
            }
            if *integration {
                r = r.detail("HTTP integration");
            }
            r
        }
    }
}

/// The report of a stale method's removal.
pub fn stale_report(s: &Stale) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Delete,
        format!(
            "delete {} {} (no longer in the configuration)",
            s.method, s.path
        ),
    )
}

pub fn static_report(r: &Route) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("{} {} → {}", r.method, r.path, r.upstream),
    )
}

/// What `apply` carries out: the routes as decided again by the caller with the authorizer's id
/// (which may be new), the API's resources as read while planning (a new API has none: its root
/// is read here), and the stale methods to remove.
pub struct RoutesPlan<'a> {
    pub routes: &'a [(Route, RouteAction)],
    pub resources: &'a [Resource],
    pub stale: &'a [Stale],
}

/// Apply: every route, then the removal of stale methods. Each route is reported into `out`;
/// returns whether anything changed.
pub async fn apply(
    apigw: &ApiGateway,
    settle: Settle<'_>,
    api_id: &str,
    subject: &str,
    plan: RoutesPlan<'_>,
    authorizer_id: Option<&str>,
    out: &mut Vec<StepReport>,
) -> Result<bool, Error> {
    let RoutesPlan {
        routes: plan,
        resources,
        stale,
    } = plan;
    let mut changed = false;
    let mut known: BTreeMap<String, String> = resources
        .iter()
        .map(|r| (r.path.clone(), r.id.clone()))
        .collect();
    if known.is_empty() {
        // A new API: read its root resource.
        for r in discover(apigw, api_id, subject).await? {
            known.insert(r.path, r.id);
        }
    }
    for (route, action) in plan {
        let mut r = report(route, action);
        let wanted = desired_auth(route, authorizer_id);
        match action {
            RouteAction::Exists => {}
            RouteAction::Create => {
                settle.begin(STEP, None, &r.summary);
                let resource_id = ensure_resource(apigw, api_id, &route.path, &mut known)
                    .await
                    .step(STEP, subject)?;
                apigw
                    .put_method(
                        api_id,
                        &resource_id,
                        &route.method,
                        &wanted,
                        &method_request_parameters(route),
                    )
                    .await
                    .step(STEP, subject)?;
                let method = RouteMethod {
                    apigw,
                    api_id,
                    resource_id: &resource_id,
                    route,
                };
                method.integrate().await.step(STEP, subject)?;
                r.applied = true;
            }
            RouteAction::Update {
                auth,
                request_parameters,
                integration,
            } => {
                settle.begin(STEP, None, &r.summary);
                let resource_id = known
                    .get(&route.path)
                    .cloned()
                    .expect("an existing method has a resource");
                let found = resources
                    .iter()
                    .find(|x| x.path == route.path)
                    .and_then(|x| x.methods.get(&route.method));
                if *auth {
                    let current = found.map(|m| m.auth()).unwrap_or_else(MethodAuth::none);
                    apigw
                        .update_method_auth(api_id, &resource_id, &route.method, &current, &wanted)
                        .await
                        .step(STEP, subject)?;
                }
                // New parameters are declared before the integration (AWS refuses a mapping
                // from a parameter the method does not declare), unwanted ones dropped after it
                // (nor one the old mapping still uses).
                let current = found
                    .map(|m| m.request_parameters.clone())
                    .unwrap_or_default();
                let wanted_parameters = method_request_parameters(route);
                let mut declared = current.clone();
                declared.extend(wanted_parameters.clone());
                let method = RouteMethod {
                    apigw,
                    api_id,
                    resource_id: &resource_id,
                    route,
                };
                if *request_parameters && declared != current {
                    method
                        .set_parameters(&current, &declared)
                        .await
                        .step(STEP, subject)?;
                }
                if *integration {
                    method.integrate().await.step(STEP, subject)?;
                }
                if *request_parameters && declared != wanted_parameters {
                    method
                        .set_parameters(&declared, &wanted_parameters)
                        .await
                        .step(STEP, subject)?;
                }
                r.applied = true;
            }
        }
        changed |= r.applied;
        settle.report(r, out);
    }
    for s in stale {
        let mut r = stale_report(s);
        settle.begin(STEP, None, &r.summary);
        apigw
            .delete_method(api_id, &s.resource_id, &s.method)
            .await
            .step(STEP, subject)?;
        r.applied = true;
        changed = true;
        settle.report(r, out);
    }
    Ok(changed)
}

/// One route's method on its resource: the calls that set its integration and its declared
/// parameters, shared by a new route and an updated one.
struct RouteMethod<'a> {
    apigw: &'a ApiGateway,
    api_id: &'a str,
    resource_id: &'a str,
    route: &'a Route,
}

impl RouteMethod<'_> {
    /// The HTTP proxy integration to the route's upstream (PUT: whole, idempotent).
    async fn integrate(&self) -> Result<(), flarelink_aws::Error> {
        let route = self.route;
        self.apigw
            .put_integration(
                self.api_id,
                self.resource_id,
                &route.method,
                INTEGRATION_TYPE,
                &route.method,
                &route.upstream,
                &integration_request_parameters(route),
            )
            .await
            .map(drop)
    }

    /// Patches the method's declared request parameters from `from` to `to`.
    async fn set_parameters(
        &self,
        from: &BTreeMap<String, bool>,
        to: &BTreeMap<String, bool>,
    ) -> Result<(), flarelink_aws::Error> {
        self.apigw
            .update_method_request_parameters(
                self.api_id,
                self.resource_id,
                &self.route.method,
                from,
                to,
            )
            .await
            .map(drop)
    }
}

/// Act: create a resource through [`create_once`]: after a lost answer, the resource at that
/// path is adopted, and the create is sent again only when it provably did not happen.
async fn create_or_adopt(
    apigw: &ApiGateway,
    api_id: &str,
    parent_id: &str,
    segment: &str,
    path: &str,
    attempts: u32,
) -> Result<Resource, flarelink_aws::Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || apigw.create_resource(api_id, parent_id, segment),
        || async {
            let all = apigw.get_resources(api_id).await?;
            Ok(all.into_iter().find(|r| r.path == path))
        },
    )
    .await
    .map(|w| w.into_inner())
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
            request_parameters: BTreeMap::new(),
            integration: Some(Integration {
                type_: INTEGRATION_TYPE.into(),
                http_method: Some(verb.into()),
                uri: Some(uri.into()),
                passthrough_behavior: None,
                timeout_in_millis: None,
                connection_type: None,
                request_parameters: BTreeMap::new(),
            }),
        }
    }

    #[test]
    fn routes_are_created_or_updated_where_they_differ_and_stale_methods_removed_only_on_owned_apis(
    ) {
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
                request_parameters: false,
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
                request_parameters: false,
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
                request_parameters: false,
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

    #[test]
    fn a_path_variable_the_upstream_uses_is_declared_on_the_method_and_mapped_by_the_integration() {
        let r = Route {
            upstream: "https://pokeapi.co/api/v2/pokemon/{name}".into(),
            ..route("/pokemon/{name}", "GET", RouteAuth::Cognito)
        };
        assert_eq!(
            method_request_parameters(&r),
            BTreeMap::from([("method.request.path.name".to_string(), true)])
        );
        assert_eq!(
            integration_request_parameters(&r),
            BTreeMap::from([(
                "integration.request.path.name".to_string(),
                "method.request.path.name".to_string()
            )])
        );
        // A greedy {proxy+} maps as `proxy`; a path variable the upstream ignores is not mapped.
        let greedy = Route {
            upstream: "https://up.example/{proxy}".into(),
            ..route("/files/{id}/{proxy+}", "ANY", RouteAuth::None)
        };
        assert_eq!(
            integration_request_parameters(&greedy),
            BTreeMap::from([(
                "integration.request.path.proxy".to_string(),
                "method.request.path.proxy".to_string()
            )])
        );
        assert!(method_request_parameters(&route("/ditto", "GET", RouteAuth::None)).is_empty());
    }

    #[test]
    fn an_existing_route_without_the_path_mapping_is_updated_and_one_with_it_exists() {
        let r = Route {
            upstream: "https://pokeapi.co/api/v2/pokemon/{name}".into(),
            ..route("/pokemon/{name}", "GET", RouteAuth::Cognito)
        };
        let unmapped = method("GET", MethodAuth::cognito("z1", vec![]), &r.upstream);
        let resources = vec![resource("/pokemon/{name}", vec![unmapped.clone()])];
        let (d, _) = decide(std::slice::from_ref(&r), &resources, Some("z1"), true);
        assert_eq!(
            d[0].1,
            RouteAction::Update {
                auth: false,
                request_parameters: true,
                integration: true
            }
        );
        let mut mapped = unmapped;
        mapped.request_parameters = method_request_parameters(&r);
        if let Some(i) = mapped.integration.as_mut() {
            i.request_parameters = integration_request_parameters(&r);
        }
        let resources = vec![resource("/pokemon/{name}", vec![mapped])];
        let (d, _) = decide(std::slice::from_ref(&r), &resources, Some("z1"), true);
        assert_eq!(d[0].1, RouteAction::Exists);
    }
}
