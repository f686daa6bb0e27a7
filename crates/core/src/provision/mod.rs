//! `provision`: the guide's API and Cognito setup, converged. Plan from live state with read-only
//! calls (refusing before any write if something not flarelink's is in the way), then apply:
//! the Cognito chain (pool → client and domain) beside the REST API, then the authorizer, the
//! routes and — only when what the stage serves differs from the configuration — a deployment.

pub mod adopt;
pub mod app_client;
pub mod authorizer;
pub mod deployment;
pub mod hosted_domain;
pub mod rest_api;
pub mod routes;
pub mod user_pool;

use std::collections::BTreeMap;
use std::sync::Arc;

use flarelink_aws::cognito::{AppClient, DomainInfo, UserPool};
use flarelink_aws::{Authorizer, AwsClients, MethodAuth, Resource, RestApi};
use futures::future::try_join_all;
use serde::Serialize;

use crate::config::{ApiConfig, CognitoConfig, Config};
use crate::error::{Context, Error};
use crate::link::RunOptions;
use crate::ownership::TAG_MANAGED;
use crate::plan::{Action, Progress, RunReport, StepId, StepReport};
use crate::steps::Refusal;

use app_client::ClientDecision;
use authorizer::AuthorizerDecision;
use hosted_domain::DomainDecision;
use rest_api::RestApiDecision;
use routes::{RouteAction, Stale};
use user_pool::PoolDecision;

/// What `provision` leaves behind, for the summary and for `token`, `login-url` and `verify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProvisionSummary {
    pub user_pool_id: Option<String>,
    pub user_pool_arn: Option<String>,
    pub app_client_id: Option<String>,
    pub hosted_ui: Option<String>,
    pub rest_api_id: Option<String>,
    pub stage: String,
    /// `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`.
    pub invoke_url: Option<String>,
    pub deployment_id: Option<String>,
}

fn refused(step: StepId, subject: &str, r: Refusal) -> Error {
    Error::Conflict {
        step,
        hostname: subject.to_string(),
        message: r.message,
        fix: r.fix,
    }
}

struct CognitoPlan {
    pool: PoolDecision,
    client: ClientDecision,
    domain: DomainDecision,
}

struct ApiPlan {
    api: RestApiDecision,
    owned: bool,
    resources: Vec<Resource>,
    authorizer: AuthorizerDecision,
    routes: Vec<(crate::config::Route, RouteAction)>,
    stale: Vec<Stale>,
    deployed_fingerprint_current: bool,
    fingerprint: String,
}

/// Reads the Cognito side: pools with the name (described), the pool's clients with the name
/// (described), and who holds the domain prefix — the prefix check does not wait for the pool.
async fn discover_cognito(
    aws: &AwsClients,
    c: &CognitoConfig,
) -> Result<(Vec<UserPool>, Vec<AppClient>, Option<DomainInfo>), Error> {
    let cognito = &aws.cognito;
    let pools_fut = async {
        let named = cognito
            .list_user_pools_named(&c.user_pool)
            .await
            .step(StepId::UserPool, &c.user_pool)?;
        let described = try_join_all(named.iter().map(|p| cognito.describe_user_pool(&p.id)))
            .await
            .step(StepId::UserPool, &c.user_pool)?;
        let pools: Vec<UserPool> = described.into_iter().flatten().collect();
        let clients = match pools.as_slice() {
            [pool] => {
                let listed = cognito
                    .list_clients(&pool.id)
                    .await
                    .step(StepId::AppClient, &c.app_client)?;
                let named: Vec<_> = listed
                    .into_iter()
                    .filter(|x| x.name == c.app_client)
                    .collect();
                try_join_all(
                    named
                        .iter()
                        .map(|x| cognito.describe_client(&pool.id, &x.id)),
                )
                .await
                .step(StepId::AppClient, &c.app_client)?
                .into_iter()
                .flatten()
                .collect()
            }
            _ => Vec::new(),
        };
        Ok::<_, Error>((pools, clients))
    };
    let domain_fut = async {
        cognito
            .describe_domain(&c.domain_prefix)
            .await
            .step(StepId::HostedUiDomain, &c.domain_prefix)
    };
    let ((pools, clients), holder) = tokio::try_join!(pools_fut, domain_fut)?;
    Ok((pools, clients, holder))
}

/// Reads the API side: APIs with the name (and their tags); for the one, its resources with
/// methods, its authorizers and what the stage serves.
#[allow(clippy::type_complexity)]
async fn discover_api(
    aws: &AwsClients,
    a: &ApiConfig,
) -> Result<
    (
        Vec<(RestApi, bool)>,
        Vec<Resource>,
        Vec<Authorizer>,
        Option<String>,
    ),
    Error,
> {
    let apigw = &aws.apigateway;
    let step = StepId::RestApi;
    let all = apigw.list_rest_apis().await.step(step, &a.name)?;
    let named: Vec<RestApi> = all.into_iter().filter(|x| x.name == a.name).collect();
    let tags = try_join_all(named.iter().map(|x| apigw.get_rest_api_tags(&x.id)))
        .await
        .step(step, &a.name)?;
    let named: Vec<(RestApi, bool)> = named
        .into_iter()
        .zip(tags)
        .map(|(api, tags)| {
            let ours = tags
                .as_ref()
                .and_then(|t| t.get(TAG_MANAGED))
                .is_some_and(|v| v == "true");
            (api, ours)
        })
        .collect();
    let [(api, _)] = named.as_slice() else {
        return Ok((named, Vec::new(), Vec::new(), None));
    };
    let (resources, authorizers, stage) = tokio::try_join!(
        async {
            apigw
                .get_resources(&api.id)
                .await
                .step(StepId::Route, &a.name)
        },
        async {
            apigw
                .list_authorizers(&api.id)
                .await
                .step(StepId::Authorizer, &a.name)
        },
        async {
            apigw
                .get_stage(&api.id, &a.stage)
                .await
                .step(StepId::Deployment, &a.name)
        },
    )?;
    let served = match stage.and_then(|s| s.deployment_id) {
        Some(id) => apigw
            .get_deployment(&api.id, &id)
            .await
            .step(StepId::Deployment, &a.name)?
            .and_then(|d| d.description),
        None => None,
    };
    Ok((named, resources, authorizers, served))
}

/// Runs `provision`. With `dry_run`, only reads.
pub async fn run(
    config: &Config,
    aws: &AwsClients,
    options: RunOptions,
    progress: Arc<dyn Progress>,
) -> Result<RunReport, Error> {
    let api_config = config.require_api()?;
    let cognito_config = config.cognito.as_ref();

    // Plan: both sides' reads at once.
    let cognito_fut = async {
        match cognito_config {
            Some(c) => discover_cognito(aws, c).await.map(Some),
            None => Ok(None),
        }
    };
    let (cognito_found, (apis, resources, authorizers, served)) =
        tokio::try_join!(cognito_fut, discover_api(aws, api_config))?;

    let cognito_plan = match (cognito_config, cognito_found) {
        (Some(c), Some((pools, clients, holder))) => {
            let pool_spec = user_pool::spec(c);
            let pool = user_pool::decide(&pools, &pool_spec, options.force)
                .map_err(|r| refused(StepId::UserPool, &c.user_pool, r))?;
            let client = app_client::decide(&clients, &app_client::spec(c))
                .map_err(|r| refused(StepId::AppClient, &c.app_client, r))?;
            let (pool_id, pool_prefix) = match &pool {
                PoolDecision::Exists(p) | PoolDecision::Update(p, _) => {
                    (Some(p.id.clone()), p.domain.clone())
                }
                PoolDecision::Create => (None, None),
            };
            let domain = hosted_domain::decide(
                &c.domain_prefix,
                holder.as_ref(),
                pool_id.as_deref(),
                pool_prefix.as_deref(),
            )
            .map_err(|r| refused(StepId::HostedUiDomain, &c.domain_prefix, r))?;
            Some(CognitoPlan {
                pool,
                client,
                domain,
            })
        }
        _ => None,
    };
    let pool_arn = cognito_plan.as_ref().and_then(|p| match &p.pool {
        PoolDecision::Exists(pool) | PoolDecision::Update(pool, _) => pool.arn.clone(),
        PoolDecision::Create => None,
    });
    let api = rest_api::decide(&apis, &api_config.name, options.force)
        .map_err(|r| refused(StepId::RestApi, &api_config.name, r))?;
    let owned = match &api {
        RestApiDecision::Exists(a) => apis.iter().any(|(x, ours)| x.id == a.id && *ours),
        RestApiDecision::Create => true,
    };
    let uses_cognito = api_config
        .routes
        .iter()
        .any(|r| r.auth == crate::config::RouteAuth::Cognito);
    let authorizer = if uses_cognito {
        authorizer::decide(&authorizers, pool_arn.as_deref())
    } else {
        match authorizers
            .iter()
            .find(|a| a.name == authorizer::AUTHORIZER_NAME)
        {
            Some(a) => AuthorizerDecision::Exists(a.clone()),
            None => AuthorizerDecision::Exists(Authorizer {
                id: String::new(),
                name: String::new(),
                type_: String::new(),
                provider_arns: Vec::new(),
                identity_source: None,
                result_ttl_seconds: None,
            }),
        }
    };
    let authorizer_id = match &authorizer {
        AuthorizerDecision::Exists(a) | AuthorizerDecision::Update(a) if !a.id.is_empty() => {
            Some(a.id.as_str())
        }
        _ => None,
    };
    let (route_plan, stale) = routes::decide(&api_config.routes, &resources, authorizer_id, owned);
    // The pool's ARN when known (a pool replaced under the same name changes it); its name
    // while the pool is still to be created.
    let pool_ref = pool_arn
        .clone()
        .or_else(|| config.cognito.as_ref().map(|c| c.user_pool.clone()));
    let fingerprint = deployment::fingerprint(api_config, pool_ref.as_deref());
    let plan = ApiPlan {
        deployed_fingerprint_current: deployment::is_current(served.as_deref(), &fingerprint),
        api,
        owned,
        resources,
        authorizer,
        routes: route_plan,
        stale,
        fingerprint,
    };

    let mut report = RunReport::new("provision", options.dry_run);
    let mut summary = ProvisionSummary {
        stage: api_config.stage.clone(),
        ..Default::default()
    };
    if options.dry_run {
        planned_reports(
            config,
            cognito_plan.as_ref(),
            &plan,
            &mut report,
            &mut summary,
        );
        for r in &report.steps {
            progress.end(r);
        }
        report.provisioned = Some(summary);
        return Ok(report);
    }
    apply(
        config,
        aws,
        cognito_plan,
        plan,
        progress.as_ref(),
        options.fault_after,
        &mut report,
        &mut summary,
    )
    .await?;
    report.provisioned = Some(summary);
    Ok(report)
}

fn step(step: StepId, action: Action, summary: impl Into<String>) -> StepReport {
    StepReport::new(step, None, action, summary)
}

fn pool_report(c: &CognitoConfig, d: &PoolDecision) -> StepReport {
    match d {
        PoolDecision::Exists(p) => step(
            StepId::UserPool,
            Action::Exists,
            format!("{} ({})", c.user_pool, p.id),
        ),
        PoolDecision::Create => step(
            StepId::UserPool,
            Action::Create,
            format!(
                "create user pool {} (self sign-up, email required and auto-verified)",
                c.user_pool
            ),
        ),
        PoolDecision::Update(p, diff) => {
            let mut r = step(
                StepId::UserPool,
                Action::Change,
                format!("update user pool {} ({})", c.user_pool, p.id),
            );
            r.details = diff.clone();
            r
        }
    }
}

fn client_report(c: &CognitoConfig, d: &ClientDecision) -> StepReport {
    match d {
        ClientDecision::Exists(x) => step(
            StepId::AppClient,
            Action::Exists,
            format!("{} ({})", c.app_client, x.id),
        ),
        ClientDecision::Create => step(
            StepId::AppClient,
            Action::Create,
            format!(
                "create app client {} (SRP, code+PKCE{}, callbacks {})",
                c.app_client,
                if c.implicit_flow { ", implicit" } else { "" },
                c.callback_urls.join(", ")
            ),
        ),
        ClientDecision::Update(x, diff) => {
            let mut r = step(
                StepId::AppClient,
                Action::Change,
                format!("update app client {} ({})", c.app_client, x.id),
            );
            r.details = diff.clone();
            r
        }
    }
}

fn domain_report(c: &CognitoConfig, region: &str, d: &DomainDecision) -> StepReport {
    let url = hosted_domain::hosted_ui_base(&c.domain_prefix, region);
    match d {
        DomainDecision::Exists => step(StepId::HostedUiDomain, Action::Exists, url),
        DomainDecision::Create => step(
            StepId::HostedUiDomain,
            Action::Create,
            format!("create {url}"),
        ),
        DomainDecision::Replace { old_prefix } => step(
            StepId::HostedUiDomain,
            Action::Change,
            format!("replace prefix {old_prefix} with {url}"),
        ),
    }
}

fn route_report(route: &crate::config::Route, action: &RouteAction) -> StepReport {
    let what = format!(
        "{} {} → {} (auth: {})",
        route.method,
        route.path,
        route.upstream,
        match route.auth {
            crate::config::RouteAuth::Cognito => "cognito",
            crate::config::RouteAuth::None => "none",
        }
    );
    match action {
        RouteAction::Exists => step(StepId::Route, Action::Exists, what),
        RouteAction::Create => step(StepId::Route, Action::Create, format!("create {what}")),
        RouteAction::Update { auth, integration } => {
            let mut r = step(StepId::Route, Action::Change, format!("update {what}"));
            if *auth {
                r = r.detail("authorization");
            }
            if *integration {
                r = r.detail("HTTP integration");
            }
            r
        }
    }
}

fn stale_report(s: &Stale) -> StepReport {
    step(
        StepId::Route,
        Action::Delete,
        format!(
            "delete {} {} (no longer in the configuration)",
            s.method, s.path
        ),
    )
}

fn planned_reports(
    config: &Config,
    cognito: Option<&CognitoPlan>,
    plan: &ApiPlan,
    report: &mut RunReport,
    summary: &mut ProvisionSummary,
) {
    let region = config.region.as_deref().unwrap_or("<region>");
    if let (Some(c), Some(p)) = (config.cognito.as_ref(), cognito) {
        report.steps.push(pool_report(c, &p.pool));
        report.steps.push(client_report(c, &p.client));
        report.steps.push(domain_report(c, region, &p.domain));
        if let PoolDecision::Exists(pool) | PoolDecision::Update(pool, _) = &p.pool {
            summary.user_pool_id = Some(pool.id.clone());
            summary.user_pool_arn = pool.arn.clone();
        }
        if let ClientDecision::Exists(x) | ClientDecision::Update(x, _) = &p.client {
            summary.app_client_id = Some(x.id.clone());
        }
        summary.hosted_ui = Some(hosted_domain::hosted_ui_base(&c.domain_prefix, region));
    }
    let api = config.api.as_ref().expect("provision requires [api]");
    report.steps.push(match &plan.api {
        RestApiDecision::Exists(a) => {
            summary.rest_api_id = Some(a.id.clone());
            step(
                StepId::RestApi,
                Action::Exists,
                format!("{} ({})", a.name, a.id),
            )
        }
        RestApiDecision::Create => step(
            StepId::RestApi,
            Action::Create,
            format!("create REGIONAL REST API {}", api.name),
        ),
    });
    if let Some(r) = authorizer_report(&plan.authorizer) {
        report.steps.push(r);
    }
    for (route, action) in &plan.routes {
        report.steps.push(route_report(route, action));
    }
    for s in &plan.stale {
        report.steps.push(stale_report(s));
    }
    let changes = report.changes() > 0;
    report.steps.push(deployment_report(api, plan, changes));
}

fn authorizer_report(d: &AuthorizerDecision) -> Option<StepReport> {
    Some(match d {
        AuthorizerDecision::Exists(a) if a.id.is_empty() => return None,
        AuthorizerDecision::Exists(a) => step(
            StepId::Authorizer,
            Action::Exists,
            format!("{} ({})", a.name, a.id),
        ),
        AuthorizerDecision::Create => step(
            StepId::Authorizer,
            Action::Create,
            format!(
                "create Cognito authorizer {} on the Authorization header",
                authorizer::AUTHORIZER_NAME
            ),
        ),
        AuthorizerDecision::Update(a) => step(
            StepId::Authorizer,
            Action::Change,
            format!("point authorizer {} ({}) at the user pool", a.name, a.id),
        ),
    })
}

fn deployment_report(api: &ApiConfig, plan: &ApiPlan, changed: bool) -> StepReport {
    if changed || !plan.deployed_fingerprint_current {
        let why = if changed {
            "the API changes"
        } else {
            "the stage serves an older API"
        };
        step(
            StepId::Deployment,
            Action::Create,
            format!(
                "deploy to stage {} ({why}; fingerprint {})",
                api.stage, plan.fingerprint
            ),
        )
    } else {
        step(
            StepId::Deployment,
            Action::Exists,
            format!(
                "stage {} serves the configured API (fingerprint {})",
                api.stage, plan.fingerprint
            ),
        )
    }
}

// The plan, the clients, the progress sink, the test fault and the two outputs: grouping them
// into a struct would only rename the list.
#[allow(clippy::too_many_arguments)]
async fn apply(
    config: &Config,
    aws: &AwsClients,
    cognito: Option<CognitoPlan>,
    plan: ApiPlan,
    progress: &dyn Progress,
    fault_after: Option<StepId>,
    report: &mut RunReport,
    summary: &mut ProvisionSummary,
) -> Result<(), Error> {
    let api_config = config.api.as_ref().expect("provision requires [api]");
    let region = aws.region().to_string();
    // Attempts per create (flarelink's own retry; see `write_once`).
    let attempts = config.retry.max_attempts;

    // The Cognito chain and the REST API are independent until the authorizer.
    let cognito_fut = async {
        let (Some(c), Some(p)) = (config.cognito.as_ref(), cognito) else {
            return Ok::<_, Error>((Vec::new(), None, None));
        };
        apply_cognito(aws, c, p, &region, progress, config.retry.max_attempts).await
    };
    let api_fut = async {
        let mut r = Vec::new();
        let api = match &plan.api {
            RestApiDecision::Exists(a) => {
                r.push(step(
                    StepId::RestApi,
                    Action::Exists,
                    format!("{} ({})", a.name, a.id),
                ));
                a.clone()
            }
            RestApiDecision::Create => {
                progress.begin(
                    StepId::RestApi,
                    None,
                    &format!("creating REST API {}", api_config.name),
                );
                let tags = BTreeMap::from([(TAG_MANAGED.to_string(), "true".to_string())]);
                let created = adopt::rest_api(
                    &aws.apigateway,
                    &api_config.name,
                    Some("managed by flarelink provision"),
                    &tags,
                    attempts,
                )
                .await
                .step(StepId::RestApi, &api_config.name)?;
                let mut rep = step(
                    StepId::RestApi,
                    Action::Create,
                    format!(
                        "created REGIONAL REST API {} ({})",
                        created.name, created.id
                    ),
                );
                rep.applied = true;
                r.push(rep);
                created
            }
        };
        Ok::<_, Error>((r, api))
    };
    let ((cognito_reports, pool, client), (api_reports, api)) =
        tokio::try_join!(cognito_fut, api_fut)?;
    for r in cognito_reports.iter().chain(&api_reports) {
        progress.end(r);
    }
    report.steps.extend(cognito_reports);
    report.steps.extend(api_reports);
    if let Some(p) = &pool {
        summary.user_pool_id = Some(p.id.clone());
        summary.user_pool_arn = p.arn.clone();
    }
    summary.app_client_id = client;
    if let Some(c) = &config.cognito {
        summary.hosted_ui = Some(hosted_domain::hosted_ui_base(&c.domain_prefix, &region));
    }
    summary.rest_api_id = Some(api.id.clone());
    summary.invoke_url = Some(format!(
        "https://{}.execute-api.{region}.amazonaws.com/{}",
        api.id, api_config.stage
    ));
    let apigw = &aws.apigateway;
    let subject = api_config.name.as_str();
    let mut changed = false;

    // Authorizer (needs the pool's ARN).
    let pool_arn = pool.as_ref().and_then(|p| p.arn.clone());
    let authorizer_id = match &plan.authorizer {
        AuthorizerDecision::Exists(a) => (!a.id.is_empty()).then(|| a.id.clone()),
        AuthorizerDecision::Create | AuthorizerDecision::Update(_) => {
            let arn = pool_arn.clone().ok_or_else(|| Error::Precondition {
                step: StepId::Authorizer,
                hostname: subject.into(),
                message: "the user pool's ARN is unknown".into(),
                fix: "check the [cognito] section and run provision again".into(),
            })?;
            let arns = vec![arn];
            let a = match &plan.authorizer {
                AuthorizerDecision::Update(current) => {
                    progress.begin(
                        StepId::Authorizer,
                        None,
                        "pointing the authorizer at the user pool",
                    );
                    apigw
                        .update_authorizer(&api.id, current, &arns, authorizer::IDENTITY_SOURCE)
                        .await
                        .step(StepId::Authorizer, subject)?
                }
                _ => {
                    progress.begin(StepId::Authorizer, None, "creating the Cognito authorizer");
                    adopt::authorizer(
                        apigw,
                        &api.id,
                        authorizer::AUTHORIZER_NAME,
                        &arns,
                        authorizer::IDENTITY_SOURCE,
                        attempts,
                    )
                    .await
                    .step(StepId::Authorizer, subject)?
                }
            };
            let mut r = authorizer_report(&plan.authorizer).expect("a write has a report");
            r.applied = true;
            r.summary = format!("{} ({})", r.summary, a.id);
            progress.end(&r);
            report.steps.push(r);
            changed = true;
            Some(a.id)
        }
    };
    if let (AuthorizerDecision::Exists(a), false) =
        (&plan.authorizer, plan.authorizer_is_placeholder())
    {
        let r = step(
            StepId::Authorizer,
            Action::Exists,
            format!("{} ({})", a.name, a.id),
        );
        progress.end(&r);
        report.steps.push(r);
    }

    // Routes: decide again now that the authorizer's id is known (it may be new).
    let (route_plan, _) = routes::decide(
        &api_config.routes,
        &plan.resources,
        authorizer_id.as_deref(),
        plan.owned,
    );
    let mut known: BTreeMap<String, String> = plan
        .resources
        .iter()
        .map(|r| (r.path.clone(), r.id.clone()))
        .collect();
    if known.is_empty() {
        // A new API: read its root resource.
        for r in apigw
            .get_resources(&api.id)
            .await
            .step(StepId::Route, subject)?
        {
            known.insert(r.path, r.id);
        }
    }
    for (route, action) in &route_plan {
        let mut r = route_report(route, action);
        let wanted = routes::desired_auth(route, authorizer_id.as_deref());
        match action {
            RouteAction::Exists => {}
            RouteAction::Create => {
                progress.begin(StepId::Route, None, &r.summary);
                let resource_id = routes::ensure_resource(apigw, &api.id, &route.path, &mut known)
                    .await
                    .step(StepId::Route, subject)?;
                apigw
                    .put_method(&api.id, &resource_id, &route.method, &wanted)
                    .await
                    .step(StepId::Route, subject)?;
                apigw
                    .put_integration(
                        &api.id,
                        &resource_id,
                        &route.method,
                        routes::INTEGRATION_TYPE,
                        &route.method,
                        &route.upstream,
                    )
                    .await
                    .step(StepId::Route, subject)?;
                r.applied = true;
            }
            RouteAction::Update { auth, integration } => {
                progress.begin(StepId::Route, None, &r.summary);
                let resource_id = known
                    .get(&route.path)
                    .cloned()
                    .expect("an existing method has a resource");
                if *auth {
                    let current = plan
                        .resources
                        .iter()
                        .find(|x| x.path == route.path)
                        .and_then(|x| x.methods.get(&route.method))
                        .map(|m| m.auth())
                        .unwrap_or_else(MethodAuth::none);
                    apigw
                        .update_method_auth(&api.id, &resource_id, &route.method, &current, &wanted)
                        .await
                        .step(StepId::Route, subject)?;
                }
                if *integration {
                    apigw
                        .put_integration(
                            &api.id,
                            &resource_id,
                            &route.method,
                            routes::INTEGRATION_TYPE,
                            &route.method,
                            &route.upstream,
                        )
                        .await
                        .step(StepId::Route, subject)?;
                }
                r.applied = true;
            }
        }
        changed |= r.applied;
        progress.end(&r);
        report.steps.push(r);
    }
    for s in &plan.stale {
        let mut r = stale_report(s);
        progress.begin(StepId::Route, None, &r.summary);
        apigw
            .delete_method(&api.id, &s.resource_id, &s.method)
            .await
            .step(StepId::Route, subject)?;
        r.applied = true;
        changed = true;
        progress.end(&r);
        report.steps.push(r);
    }

    // Crash-recovery tests stop here: routes changed, nothing deployed yet.
    if fault_after == Some(StepId::Route) {
        return Err(Error::InjectedFault(StepId::Route));
    }

    // Deployment, only when something changed or the stage serves an older API.
    let pool_ref = pool_arn
        .clone()
        .or_else(|| config.cognito.as_ref().map(|c| c.user_pool.clone()));
    let fingerprint = deployment::fingerprint(api_config, pool_ref.as_deref());
    let current = plan.deployed_fingerprint_current && fingerprint == plan.fingerprint;
    let mut r = deployment_report(
        api_config,
        &ApiPlan {
            deployed_fingerprint_current: current,
            fingerprint: fingerprint.clone(),
            ..plan
        },
        changed,
    );
    if r.action == Action::Create {
        progress.begin(StepId::Deployment, None, &r.summary);
        let d = adopt::deployment(
            apigw,
            &api.id,
            &api_config.stage,
            &deployment::description(&fingerprint),
            config.retry.max_attempts,
        )
        .await
        .step(StepId::Deployment, subject)?;
        summary.deployment_id = Some(d.id.clone());
        r.applied = true;
    }
    progress.end(&r);
    report.steps.push(r);
    Ok(())
}

impl ApiPlan {
    /// No Cognito route and no authorizer: nothing to report for step 5.
    fn authorizer_is_placeholder(&self) -> bool {
        matches!(&self.authorizer, AuthorizerDecision::Exists(a) if a.id.is_empty())
    }
}

async fn apply_cognito(
    aws: &AwsClients,
    c: &CognitoConfig,
    p: CognitoPlan,
    region: &str,
    progress: &dyn Progress,
    attempts: u32,
) -> Result<(Vec<StepReport>, Option<UserPool>, Option<String>), Error> {
    let cognito = &aws.cognito;
    let mut reports = Vec::new();
    let pool_spec = user_pool::spec(c);
    let mut r = pool_report(c, &p.pool);
    let pool = match &p.pool {
        PoolDecision::Exists(pool) => pool.clone(),
        PoolDecision::Create => {
            progress.begin(StepId::UserPool, None, &r.summary);
            let pool = adopt::user_pool(cognito, &pool_spec, &c.user_pool, attempts)
                .await
                .step(StepId::UserPool, &c.user_pool)?;
            r.summary = format!("created user pool {} ({})", c.user_pool, pool.id);
            r.applied = true;
            pool
        }
        PoolDecision::Update(pool, _) => {
            progress.begin(StepId::UserPool, None, &r.summary);
            cognito
                .update_user_pool(&pool.id, &pool_spec)
                .await
                .step(StepId::UserPool, &c.user_pool)?;
            r.applied = true;
            pool.clone()
        }
    };
    reports.push(r);

    let client_spec = app_client::spec(c);
    let client_fut = async {
        let mut r = client_report(c, &p.client);
        let id = match &p.client {
            ClientDecision::Exists(x) => x.id.clone(),
            ClientDecision::Create => {
                let x = adopt::app_client(cognito, &pool.id, &client_spec, &c.app_client, attempts)
                    .await
                    .step(StepId::AppClient, &c.app_client)?;
                r.summary = format!("created app client {} ({})", c.app_client, x.id);
                r.applied = true;
                x.id
            }
            ClientDecision::Update(x, _) => {
                cognito
                    .update_client(&pool.id, &x.id, &client_spec)
                    .await
                    .step(StepId::AppClient, &c.app_client)?;
                r.applied = true;
                x.id.clone()
            }
        };
        Ok::<_, Error>((r, id))
    };
    let domain_fut = async {
        let mut r = domain_report(c, region, &p.domain);
        match &p.domain {
            DomainDecision::Exists => {}
            DomainDecision::Create => {
                adopt::hosted_domain(cognito, &c.domain_prefix, &pool.id, attempts)
                    .await
                    .step(StepId::HostedUiDomain, &c.domain_prefix)?;
                r.applied = true;
            }
            DomainDecision::Replace { old_prefix } => {
                cognito
                    .delete_domain(old_prefix, &pool.id)
                    .await
                    .step(StepId::HostedUiDomain, old_prefix)?;
                adopt::hosted_domain(cognito, &c.domain_prefix, &pool.id, attempts)
                    .await
                    .step(StepId::HostedUiDomain, &c.domain_prefix)?;
                r.applied = true;
            }
        }
        Ok::<_, Error>(r)
    };
    let ((client_r, client_id), domain_r) = tokio::try_join!(client_fut, domain_fut)?;
    reports.push(client_r);
    reports.push(domain_r);
    Ok((reports, Some(pool), Some(client_id)))
}

/// The plan without live state (dry-run without AWS credentials): what each step would ensure.
pub fn static_plan(config: &Config, unchecked: Vec<String>) -> RunReport {
    let mut report = RunReport::new("provision", true);
    report.unchecked = unchecked;
    let unknown = |id: StepId, what: String| step(id, Action::Unknown, what);
    if let Some(c) = &config.cognito {
        report.steps.push(unknown(
            StepId::UserPool,
            format!(
                "user pool {} (self sign-up, email required and auto-verified)",
                c.user_pool
            ),
        ));
        report.steps.push(unknown(
            StepId::AppClient,
            format!(
                "app client {} (SRP, code+PKCE{})",
                c.app_client,
                if c.implicit_flow { ", implicit" } else { "" }
            ),
        ));
        report.steps.push(unknown(
            StepId::HostedUiDomain,
            format!("hosted-UI domain prefix {}", c.domain_prefix),
        ));
    }
    if let Some(a) = &config.api {
        report.steps.push(unknown(
            StepId::RestApi,
            format!("REGIONAL REST API {}", a.name),
        ));
        if config.cognito.is_some() {
            report.steps.push(unknown(
                StepId::Authorizer,
                format!(
                    "Cognito authorizer {} on the Authorization header",
                    authorizer::AUTHORIZER_NAME
                ),
            ));
        }
        for r in &a.routes {
            report.steps.push(unknown(
                StepId::Route,
                format!("{} {} → {}", r.method, r.path, r.upstream),
            ));
        }
        report.steps.push(unknown(
            StepId::Deployment,
            format!("deployment to stage {} when something changed", a.stage),
        ));
    }
    report
}
