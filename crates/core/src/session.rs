//! Signing in and test users, for `token`, `users` and `login-url`: the provisioned user pool
//! and app client are found by their configured names (read-only), then Cognito is asked.
//! SRP by default — the password never leaves the machine — and USER_PASSWORD_AUTH only when
//! asked for and the app client allows it.

use chrono::Utc;
use flarelink_auth::{cognito_timestamp, SrpSession};
use flarelink_aws::cognito::{AppClient, AuthOutcome, Tokens, User, UserPool};
use flarelink_aws::{AwsClients, Secret};
use serde::Serialize;

use crate::config::CognitoConfig;
use crate::error::{Context, Error};
use crate::provision::app_client::SCOPES;
use crate::provision::hosted_ui_domain::hosted_ui_base;
use crate::report::StepId;

/// The provisioned pool and client.
pub struct Target {
    pub pool: UserPool,
    pub client: AppClient,
}

fn not_provisioned(step: StepId, what: &str, name: &str) -> Error {
    Error::Precondition {
        step,
        hostname: name.to_string(),
        message: format!("no {what} named {name:?} in this region"),
        fix: "run `flarelink provision` first (and check aws.region)".into(),
    }
}

/// Finds the configured user pool and app client.
pub async fn target(aws: &AwsClients, c: &CognitoConfig) -> Result<Target, Error> {
    let cognito = &aws.cognito;
    let pool = cognito
        .find_user_pool_by_name(&c.user_pool)
        .await
        .step(StepId::UserPool, &c.user_pool)?
        .ok_or_else(|| not_provisioned(StepId::UserPool, "user pool", &c.user_pool))?;
    let clients = cognito
        .list_clients(&pool.id)
        .await
        .step(StepId::AppClient, &c.app_client)?;
    let summary = clients
        .into_iter()
        .find(|x| x.name == c.app_client)
        .ok_or_else(|| not_provisioned(StepId::AppClient, "app client", &c.app_client))?;
    let client = cognito
        .describe_client(&pool.id, &summary.id)
        .await
        .step(StepId::AppClient, &c.app_client)?
        .ok_or_else(|| not_provisioned(StepId::AppClient, "app client", &c.app_client))?;
    Ok(Target { pool, client })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Srp,
    UserPassword,
}

fn sign_in_failed(message: String, fix: &str) -> Error {
    Error::Precondition {
        step: StepId::AppClient,
        hostname: "sign-in".into(),
        message,
        fix: fix.into(),
    }
}

/// Signs `username` in and returns the tokens.
pub async fn sign_in(
    aws: &AwsClients,
    target: &Target,
    username: &str,
    password: &Secret,
    flow: Flow,
) -> Result<Tokens, Error> {
    let cognito = &aws.cognito;
    let client_id = &target.client.id;
    let step = StepId::AppClient;
    let outcome = match flow {
        Flow::UserPassword => {
            if !target
                .client
                .explicit_auth_flows
                .iter()
                .any(|f| f == "ALLOW_USER_PASSWORD_AUTH")
            {
                return Err(sign_in_failed(
                    format!("app client {} does not allow USER_PASSWORD_AUTH", target.client.name),
                    "sign in with SRP (leave out --password-auth), or set cognito.allow_user_password_auth = true and run provision",
                ));
            }
            cognito
                .initiate_user_password_auth(client_id, username, password)
                .await
                .step(step, username)?
        }
        Flow::Srp => {
            let (session, srp_a) = SrpSession::new(&target.pool.id, username, password.expose());
            let challenge = cognito
                .initiate_srp_auth(client_id, username, &srp_a)
                .await
                .step(step, username)?;
            let timestamp = cognito_timestamp(Utc::now());
            let signature = session
                .password_verifier(
                    &challenge.salt,
                    &challenge.srp_b,
                    challenge.secret_block.expose(),
                    &challenge.user_id_for_srp,
                    &timestamp,
                )
                .map_err(|e| {
                    sign_in_failed(
                        format!("Cognito's SRP challenge could not be answered: {e}"),
                        "try again; if it repeats, sign in with --password-auth (if the app client allows it) and report this",
                    )
                })?;
            cognito
                .respond_password_verifier(client_id, &challenge, &timestamp, &signature)
                .await
                .step(step, username)?
        }
    };
    match outcome {
        AuthOutcome::Tokens(tokens) => Ok(tokens),
        AuthOutcome::Challenge { name, .. } if name == "NEW_PASSWORD_REQUIRED" => Err(sign_in_failed(
            format!("{username} must set a new password first (the account has a temporary password)"),
            "set a permanent one: `flarelink users create --username U --email E` (or `users confirm`), then sign in again",
        )),
        AuthOutcome::Challenge { name, .. } => Err(sign_in_failed(
            format!("Cognito asks for another step ({name}) that flarelink does not answer"),
            "sign in through the hosted UI (`flarelink login-url`) for MFA and other challenges",
        )),
    }
}

/// A test user: created with a permanent password (so no temporary password e-mail is needed),
/// e-mail marked verified.
pub async fn create_user(
    aws: &AwsClients,
    target: &Target,
    username: &str,
    email: &str,
    password: &Secret,
) -> Result<User, Error> {
    let cognito = &aws.cognito;
    let pool = &target.pool.id;
    let step = StepId::UserPool;
    let user = match cognito
        .admin_get_user(pool, username)
        .await
        .step(step, username)?
    {
        Some(existing) => existing,
        None => cognito
            .admin_create_user(pool, username, email, None, true)
            .await
            .step(step, username)?,
    };
    cognito
        .admin_set_user_password(pool, username, password, true)
        .await
        .step(step, username)?;
    Ok(cognito
        .admin_get_user(pool, username)
        .await
        .step(step, username)?
        .unwrap_or(user))
}

pub async fn confirm_user(aws: &AwsClients, target: &Target, username: &str) -> Result<(), Error> {
    aws.cognito
        .admin_confirm_sign_up(&target.pool.id, username)
        .await
        .step(StepId::UserPool, username)
}

pub async fn delete_user(aws: &AwsClients, target: &Target, username: &str) -> Result<bool, Error> {
    aws.cognito
        .admin_delete_user(&target.pool.id, username)
        .await
        .step(StepId::UserPool, username)
}

/// The hosted-UI sign-in URLs for the app client.
#[derive(Debug, Clone, Serialize)]
pub struct LoginUrls {
    /// Authorization code flow with PKCE (recommended).
    pub code_pkce: String,
    /// Keep it to exchange the code at the token endpoint.
    pub code_verifier: String,
    pub state: String,
    /// The guide's implicit flow (`response_type=token`): the ID token comes back in the
    /// redirect's fragment. Legacy; present only when the client allows it.
    pub implicit: Option<String>,
}

pub fn login_urls(c: &CognitoConfig, region: &str, client: &AppClient) -> Result<LoginUrls, Error> {
    let redirect = c.callback_urls.first().cloned().unwrap_or_default();
    let scopes: Vec<&str> = SCOPES.to_vec();
    let bad = |e: flarelink_auth::LoginUrlError| Error::Precondition {
        step: StepId::HostedUiDomain,
        hostname: c.domain_prefix.clone(),
        message: format!("cannot build the hosted-UI URL: {e}"),
        fix: "check cognito.domain_prefix, aws.region and cognito.callback_urls".into(),
    };
    let (code_pkce, verifier) = flarelink_auth::login_url_code_pkce(
        &c.domain_prefix,
        region,
        &client.id,
        &redirect,
        &scopes,
    )
    .map_err(bad)?;
    let implicit = if client.allowed_oauth_flows.iter().any(|f| f == "implicit") {
        Some(
            flarelink_auth::login_url_implicit(
                &c.domain_prefix,
                region,
                &client.id,
                &redirect,
                &scopes,
            )
            .map_err(bad)?,
        )
    } else {
        None
    };
    debug_assert!(code_pkce.starts_with(&hosted_ui_base(&c.domain_prefix, region)));
    Ok(LoginUrls {
        code_pkce,
        code_verifier: verifier.code_verifier().to_string(),
        state: verifier.state().to_string(),
        implicit,
    })
}
