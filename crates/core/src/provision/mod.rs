//! `provision`: the guide's API and Cognito setup, converged — the order of its seven steps and
//! what each needs from the ones before. Everything about a step (discover, decide, apply, its
//! reports) lives in its module.
//!
//! Plan from live state with read-only calls (refusing before any write if something not
//! flarelink's is in the way), then apply: the Cognito chain (user-pool → app-client beside
//! hosted-ui-domain) beside the rest-api, then the authorizer (it needs the pool's ARN), the
//! routes (they need the authorizer's id) and — only when what the stage serves differs from
//! the configuration — a deployment.

pub mod app_client;
pub mod authorizer;
pub mod deployment;
pub mod hosted_ui_domain;
pub mod rest_api;
pub mod route;
pub mod user_pool;

use std::sync::Arc;

use flarelink_aws::cognito::{AppClient, DomainInfo, UserPool};
use flarelink_aws::{Authorizer, AwsClients, Resource, RestApi};

use crate::config::{ApiConfig, CognitoConfig, Config, RouteAuth};
use crate::error::Error;
use crate::report::{Progress, ProvisionSummary, RunReport, StepId};
use crate::run::RunOptions;
use crate::settle::Settle;
use crate::steps::Refusal;

use app_client::ClientDecision;
use authorizer::AuthorizerDecision;
use hosted_ui_domain::DomainDecision;
use rest_api::RestApiDecision;
use route::{RouteAction, Stale};
use user_pool::PoolDecision;

/// Decide: the one item named `name`; several (or none) is not an adoption.
pub(crate) fn the_one_named<'a, T>(
    items: &'a [T],
    name: &str,
    name_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let mut named = items.iter().filter(|i| name_of(i) == name);
    match (named.next(), named.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Discover: describes every listed namesake side by side; one deleted since the listing drops
/// out (its describe finds nothing).
pub(crate) async fn describe_each<'a, L, T, Fut>(
    listed: &'a [L],
    describe: impl Fn(&'a L) -> Fut,
) -> Result<Vec<T>, flarelink_aws::Error>
where
    Fut: std::future::Future<Output = Result<Option<T>, flarelink_aws::Error>>,
{
    let described = futures::future::try_join_all(listed.iter().map(describe)).await?;
    Ok(described.into_iter().flatten().collect())
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
    /// `None`: no route uses Cognito and there is no flarelink authorizer — nothing to report.
    authorizer: Option<AuthorizerDecision>,
    routes: Vec<(crate::config::Route, RouteAction)>,
    stale: Vec<Stale>,
    /// Whether the stage serves a deployment made from `fingerprint`.
    deployed_fingerprint_current: bool,
    fingerprint: String,
}

/// What the Cognito side's reads found.
struct CognitoFound {
    pools: Vec<UserPool>,
    clients: Vec<AppClient>,
    holder: Option<DomainInfo>,
}

/// What the API side's reads found: the APIs with the name (and whether each is flarelink's);
/// for the one, its resources, authorizers and the description of what the stage serves.
#[derive(Default)]
struct ApiFound {
    apis: Vec<(RestApi, bool)>,
    resources: Vec<Resource>,
    authorizers: Vec<Authorizer>,
    served: Option<String>,
}

/// The Cognito reads: the pool (then its clients) beside who holds the domain prefix — the
/// prefix check does not wait for the pool.
async fn discover_cognito(aws: &AwsClients, c: &CognitoConfig) -> Result<CognitoFound, Error> {
    let cognito = &aws.cognito;
    let pools_fut = async {
        let pools = user_pool::discover(cognito, c).await?;
        let clients = match pools.as_slice() {
            [pool] => app_client::discover(cognito, &pool.id, c).await?,
            _ => Vec::new(),
        };
        Ok::<_, Error>((pools, clients))
    };
    let ((pools, clients), holder) =
        tokio::try_join!(pools_fut, hosted_ui_domain::discover(cognito, c))?;
    Ok(CognitoFound {
        pools,
        clients,
        holder,
    })
}

/// The API reads: the APIs with the name; for the one, its resources, authorizers and stage side
/// by side.
async fn discover_api(aws: &AwsClients, a: &ApiConfig) -> Result<ApiFound, Error> {
    let apigw = &aws.apigateway;
    let apis = rest_api::discover(apigw, a).await?;
    let [(api, _)] = apis.as_slice() else {
        return Ok(ApiFound {
            apis,
            ..Default::default()
        });
    };
    let (resources, authorizers, served) = tokio::try_join!(
        route::discover(apigw, &api.id, &a.name),
        authorizer::discover(apigw, &api.id, &a.name),
        deployment::discover(apigw, &api.id, &a.stage, &a.name),
    )?;
    Ok(ApiFound {
        apis,
        resources,
        authorizers,
        served,
    })
}

/// The Cognito decisions (pure).
fn decide_cognito(
    c: &CognitoConfig,
    found: CognitoFound,
    force: bool,
) -> Result<CognitoPlan, Error> {
    let pool = user_pool::decide(&found.pools, &user_pool::spec(c), force)
        .map_err(|r| refused(StepId::UserPool, &c.user_pool, r))?;
    let client = app_client::decide(&found.clients, &app_client::spec(c))
        .map_err(|r| refused(StepId::AppClient, &c.app_client, r))?;
    let (pool_id, pool_prefix) = match &pool {
        PoolDecision::Exists(p) | PoolDecision::Update(p, _) => {
            (Some(p.id.clone()), p.domain.clone())
        }
        PoolDecision::Create => (None, None),
    };
    let domain = hosted_ui_domain::decide(
        &c.domain_prefix,
        found.holder.as_ref(),
        pool_id.as_deref(),
        pool_prefix.as_deref(),
    )
    .map_err(|r| refused(StepId::HostedUiDomain, &c.domain_prefix, r))?;
    Ok(CognitoPlan {
        pool,
        client,
        domain,
    })
}

/// The pool's ARN or, while the pool is still to be created, its name: what the deployment's
/// fingerprint names (a pool replaced under the same name changes its ARN).
fn pool_ref(config: &Config, pool_arn: Option<&str>) -> Option<String> {
    pool_arn
        .map(str::to_string)
        .or_else(|| config.cognito.as_ref().map(|c| c.user_pool.clone()))
}

/// The API decisions (pure). `pool_arn` is `None` while the pool is still to be created.
fn decide_api(
    config: &Config,
    a: &ApiConfig,
    found: ApiFound,
    pool_arn: Option<&str>,
    force: bool,
) -> Result<ApiPlan, Error> {
    let api = rest_api::decide(&found.apis, &a.name, force)
        .map_err(|r| refused(StepId::RestApi, &a.name, r))?;
    let owned = match &api {
        RestApiDecision::Exists(x) => found.apis.iter().any(|(y, ours)| y.id == x.id && *ours),
        RestApiDecision::Create => true,
    };
    let uses_cognito = a.routes.iter().any(|r| r.auth == RouteAuth::Cognito);
    let authorizer = authorizer::decide_for_routes(uses_cognito, &found.authorizers, pool_arn);
    let (routes, stale) = route::decide(
        &a.routes,
        &found.resources,
        authorizer::known_id(authorizer.as_ref()),
        owned,
    );
    let fingerprint = deployment::fingerprint(a, pool_ref(config, pool_arn).as_deref());
    Ok(ApiPlan {
        deployed_fingerprint_current: deployment::is_current(found.served.as_deref(), &fingerprint),
        api,
        owned,
        resources: found.resources,
        authorizer,
        routes,
        stale,
        fingerprint,
    })
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
    let (cognito_found, api_found) = tokio::try_join!(cognito_fut, discover_api(aws, api_config))?;
    let cognito_plan = match (cognito_config, cognito_found) {
        (Some(c), Some(found)) => Some(decide_cognito(c, found, options.force)?),
        _ => None,
    };
    let pool_arn = cognito_plan.as_ref().and_then(|p| match &p.pool {
        PoolDecision::Exists(pool) | PoolDecision::Update(pool, _) => pool.arn.clone(),
        PoolDecision::Create => None,
    });
    let plan = decide_api(
        config,
        api_config,
        api_found,
        pool_arn.as_deref(),
        options.force,
    )?;

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
    let settle = Settle::new(progress.as_ref(), options.fault_after);
    Provisioning {
        config,
        aws,
        settle,
    }
    .apply(cognito_plan, plan, &mut report, &mut summary)
    .await?;
    report.provisioned = Some(summary);
    Ok(report)
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
        report.steps.push(user_pool::report(c, &p.pool));
        report.steps.push(app_client::report(c, &p.client));
        report
            .steps
            .push(hosted_ui_domain::report(c, region, &p.domain));
        if let PoolDecision::Exists(pool) | PoolDecision::Update(pool, _) = &p.pool {
            summary.user_pool_id = Some(pool.id.clone());
            summary.user_pool_arn = pool.arn.clone();
        }
        if let ClientDecision::Exists(x) | ClientDecision::Update(x, _) = &p.client {
            summary.app_client_id = Some(x.id.clone());
        }
        summary.hosted_ui = Some(hosted_ui_domain::hosted_ui_base(&c.domain_prefix, region));
    }
    let api = config.api.as_ref().expect("provision requires [api]");
    if let RestApiDecision::Exists(a) = &plan.api {
        summary.rest_api_id = Some(a.id.clone());
    }
    report.steps.push(rest_api::report(api, &plan.api));
    if let Some(d) = &plan.authorizer {
        report.steps.push(authorizer::report(d));
    }
    for (r, action) in &plan.routes {
        report.steps.push(route::report(r, action));
    }
    for s in &plan.stale {
        report.steps.push(route::stale_report(s));
    }
    let changes = report.changes() > 0;
    report.steps.push(deployment::report(
        api,
        &plan.fingerprint,
        plan.deployed_fingerprint_current,
        changes,
    ));
}

/// What the apply phase shares.
struct Provisioning<'a> {
    config: &'a Config,
    aws: &'a AwsClients,
    settle: Settle<'a>,
}

impl Provisioning<'_> {
    async fn apply(
        &self,
        cognito: Option<CognitoPlan>,
        plan: ApiPlan,
        report: &mut RunReport,
        summary: &mut ProvisionSummary,
    ) -> Result<(), Error> {
        let Provisioning {
            config,
            aws,
            settle,
        } = *self;
        let api_config = config.api.as_ref().expect("provision requires [api]");
        let region = aws.region().to_string();
        // Attempts per create (flarelink's own retry; see `write_once`).
        let attempts = config.retry.max_attempts;

        // The Cognito chain and the REST API are independent until the authorizer.
        let cognito_fut = async {
            let (Some(c), Some(p)) = (config.cognito.as_ref(), cognito) else {
                return Ok::<_, Error>((Vec::new(), None, None));
            };
            self.apply_cognito(c, p, &region).await
        };
        let api_fut = rest_api::apply(&aws.apigateway, settle, api_config, &plan.api, attempts);
        let ((cognito_reports, pool, client), (api_report, api)) =
            tokio::try_join!(cognito_fut, api_fut)?;
        for r in cognito_reports.into_iter().chain([api_report]) {
            settle.report(r, &mut report.steps);
        }
        if let Some(p) = &pool {
            summary.user_pool_id = Some(p.id.clone());
            summary.user_pool_arn = p.arn.clone();
        }
        summary.app_client_id = client;
        if let Some(c) = &config.cognito {
            summary.hosted_ui = Some(hosted_ui_domain::hosted_ui_base(&c.domain_prefix, &region));
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
            None => None,
            Some(d) => {
                let (r, id) = authorizer::apply(
                    apigw,
                    settle,
                    &api.id,
                    subject,
                    d,
                    pool_arn.clone(),
                    attempts,
                )
                .await?;
                changed |= r.applied;
                settle.report(r, &mut report.steps);
                Some(id)
            }
        };

        // Routes: decide again now that the authorizer's id is known (it may be new).
        let (route_plan, _) = route::decide(
            &api_config.routes,
            &plan.resources,
            authorizer_id.as_deref(),
            plan.owned,
        );
        changed |= route::apply(
            apigw,
            settle,
            &api.id,
            subject,
            route::RoutesPlan {
                routes: &route_plan,
                resources: &plan.resources,
                stale: &plan.stale,
            },
            authorizer_id.as_deref(),
            &mut report.steps,
        )
        .await?;
        // Crash-recovery tests stop here: routes changed, nothing deployed yet.
        settle.crash_point(StepId::Route, true)?;

        // Deployment, only when something changed or the stage serves an older API.
        let fingerprint =
            deployment::fingerprint(api_config, pool_ref(config, pool_arn.as_deref()).as_deref());
        let current = plan.deployed_fingerprint_current && fingerprint == plan.fingerprint;
        let mut r = deployment::report(api_config, &fingerprint, current, changed);
        summary.deployment_id = deployment::apply(
            apigw,
            settle,
            &api.id,
            api_config,
            &fingerprint,
            &mut r,
            attempts,
        )
        .await?;
        settle.report(r, &mut report.steps);
        Ok(())
    }

    /// user-pool, then app-client beside hosted-ui-domain (both need the pool's id).
    async fn apply_cognito(
        &self,
        c: &CognitoConfig,
        p: CognitoPlan,
        region: &str,
    ) -> Result<
        (
            Vec<crate::report::StepReport>,
            Option<UserPool>,
            Option<String>,
        ),
        Error,
    > {
        let cognito = &self.aws.cognito;
        let attempts = self.config.retry.max_attempts;
        let (pool_report, pool) =
            user_pool::apply(cognito, self.settle, c, &p.pool, attempts).await?;
        let ((client_report, client_id), domain_report) = tokio::try_join!(
            app_client::apply(cognito, c, &pool.id, &p.client, attempts),
            hosted_ui_domain::apply(cognito, c, &pool.id, region, &p.domain, attempts),
        )?;
        Ok((
            vec![pool_report, client_report, domain_report],
            Some(pool),
            Some(client_id),
        ))
    }
}

/// The plan without live state (dry-run without AWS credentials): what each step would ensure.
pub fn static_plan(config: &Config, unchecked: Vec<String>) -> RunReport {
    let mut report = RunReport::new("provision", true);
    report.unchecked = unchecked;
    if let Some(c) = &config.cognito {
        report.steps.extend([
            user_pool::static_report(c),
            app_client::static_report(c),
            hosted_ui_domain::static_report(c),
        ]);
    }
    if let Some(a) = &config.api {
        report.steps.push(rest_api::static_report(a));
        if config.cognito.is_some() {
            report.steps.push(authorizer::static_report());
        }
        report
            .steps
            .extend(a.routes.iter().map(route::static_report));
        report.steps.push(deployment::static_report(a));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_namesake_is_adopted() {
        let names = ["a", "b", "b"];
        assert_eq!(the_one_named(&names, "a", |n| n), Some(&"a"));
        assert_eq!(
            the_one_named(&names, "b", |n| n),
            None,
            "two: not ours to pick"
        );
        assert_eq!(the_one_named(&names, "c", |n| n), None);
    }
}
