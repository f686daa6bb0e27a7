//! Provision step 2 — app-client: a public app client (no secret) for SRP sign-in and refresh,
//! USER_PASSWORD_AUTH only when configured, the hosted UI's authorization-code flow (with PKCE)
//! and — because the guide uses it — the implicit flow, the guide's scopes and callback URLs.

use std::collections::BTreeSet;

use flarelink_aws::cognito::{AppClient, AppClientSpec, Cognito};

use crate::config::CognitoConfig;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::steps::Refusal;
use crate::write_once::{create_once, WriteError};

const STEP: StepId = StepId::AppClient;

/// Discover: the pool's clients with the configured name, described.
pub async fn discover(
    cognito: &Cognito,
    pool_id: &str,
    c: &CognitoConfig,
) -> Result<Vec<AppClient>, Error> {
    let listed = cognito
        .list_clients(pool_id)
        .await
        .step(STEP, &c.app_client)?;
    let named: Vec<_> = listed
        .into_iter()
        .filter(|x| x.name == c.app_client)
        .collect();
    super::describe_each(&named, |x| cognito.describe_client(pool_id, &x.id))
        .await
        .step(STEP, &c.app_client)
}

pub const SCOPES: [&str; 5] = [
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientDecision {
    Exists(AppClient),
    Create,
    Update(AppClient, Vec<String>),
}

pub fn spec(c: &CognitoConfig) -> AppClientSpec {
    let mut s = AppClientSpec::new(c.app_client.clone(), c.callback_urls.clone());
    s.explicit_auth_flows = vec![
        "ALLOW_USER_SRP_AUTH".into(),
        "ALLOW_REFRESH_TOKEN_AUTH".into(),
    ];
    if c.allow_user_password_auth {
        s.explicit_auth_flows
            .push("ALLOW_USER_PASSWORD_AUTH".into());
    }
    s.allowed_oauth_flows = vec!["code".into()];
    if c.implicit_flow {
        s.allowed_oauth_flows.push("implicit".into());
    }
    s.allowed_oauth_scopes = SCOPES.iter().map(|x| x.to_string()).collect();
    s.logout_urls = c.logout_urls.clone();
    s.supported_identity_providers = vec!["COGNITO".into()];
    s
}

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

pub fn differences(client: &AppClient, spec: &AppClientSpec) -> Vec<String> {
    let mut d = Vec::new();
    let mut cmp = |what: &str, have: &[String], want: &[String]| {
        if set(have) != set(want) {
            d.push(format!("{what} {have:?} → {want:?}"));
        }
    };
    cmp(
        "auth flows",
        &client.explicit_auth_flows,
        &spec.explicit_auth_flows,
    );
    cmp(
        "OAuth flows",
        &client.allowed_oauth_flows,
        &spec.allowed_oauth_flows,
    );
    cmp(
        "scopes",
        &client.allowed_oauth_scopes,
        &spec.allowed_oauth_scopes,
    );
    cmp("callback URLs", &client.callback_urls, &spec.callback_urls);
    cmp("sign-out URLs", &client.logout_urls, &spec.logout_urls);
    cmp(
        "identity providers",
        &client.supported_identity_providers,
        &spec.supported_identity_providers,
    );
    if !spec.allowed_oauth_flows.is_empty() && !client.allowed_oauth_flows_user_pool_client {
        d.push("OAuth flows not enabled for the client → enabled".into());
    }
    d
}

/// Decide from the clients of the pool that carry the configured name.
pub fn decide(named: &[AppClient], spec: &AppClientSpec) -> Result<ClientDecision, Refusal> {
    match named {
        [] => Ok(ClientDecision::Create),
        [client] => {
            if client.has_secret {
                return Err(Refusal::new(
                    format!("app client {:?} ({}) has a client secret", spec.name, client.id),
                    "flarelink signs in as a public client (SRP, PKCE); choose another cognito.app_client name",
                ));
            }
            let d = differences(client, spec);
            Ok(if d.is_empty() {
                ClientDecision::Exists(client.clone())
            } else {
                ClientDecision::Update(client.clone(), d)
            })
        }
        many => Err(Refusal::new(
            format!(
                "{} app clients are named {:?} ({})",
                many.len(),
                spec.name,
                many.iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "delete or rename the extra clients, or set cognito.app_client to a unique name",
        )),
    }
}

/// The report of the decision.
pub fn report(c: &CognitoConfig, d: &ClientDecision) -> StepReport {
    match d {
        ClientDecision::Exists(x) => StepReport::new(
            STEP,
            None,
            Action::Exists,
            format!("{} ({})", c.app_client, x.id),
        ),
        ClientDecision::Create => StepReport::new(
            STEP,
            None,
            Action::Create,
            format!(
                "create app client {} (SRP, code+PKCE{}, callbacks {})",
                c.app_client,
                if c.implicit_flow { ", implicit" } else { "" },
                c.callback_urls.join(", ")
            ),
        ),
        ClientDecision::Update(x, diff) => {
            let mut r = StepReport::new(
                STEP,
                None,
                Action::Change,
                format!("update app client {} ({})", c.app_client, x.id),
            );
            r.details = diff.clone();
            r
        }
    }
}

pub fn static_report(c: &CognitoConfig) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!(
            "app client {} (SRP, code+PKCE{})",
            c.app_client,
            if c.implicit_flow { ", implicit" } else { "" }
        ),
    )
}

/// Apply: create or update the client of `pool_id`. Returns the report and the client's id.
pub async fn apply(
    cognito: &Cognito,
    c: &CognitoConfig,
    pool_id: &str,
    d: &ClientDecision,
    max_attempts: u32,
) -> Result<(StepReport, String), Error> {
    let client_spec = spec(c);
    let mut r = report(c, d);
    let id = match d {
        ClientDecision::Exists(x) => x.id.clone(),
        ClientDecision::Create => {
            let x = create_or_adopt(cognito, pool_id, &client_spec, &c.app_client, max_attempts)
                .await
                .step(STEP, &c.app_client)?;
            r.summary = format!("created app client {} ({})", c.app_client, x.id);
            r.applied = true;
            x.id
        }
        ClientDecision::Update(x, _) => {
            cognito
                .update_client(pool_id, &x.id, &client_spec)
                .await
                .step(STEP, &c.app_client)?;
            r.applied = true;
            x.id.clone()
        }
    };
    Ok((r, id))
}

/// Act: create the client through [`create_once`]: after a lost answer, the client that was
/// made (the only one of its name in the pool) is adopted, and the create is sent again only
/// when it provably did not happen.
async fn create_or_adopt(
    cognito: &Cognito,
    pool_id: &str,
    spec: &AppClientSpec,
    name: &str,
    attempts: u32,
) -> Result<AppClient, flarelink_aws::Error> {
    create_once(
        attempts,
        WriteError::outcome,
        || cognito.create_client(pool_id, spec),
        || async {
            let listed = cognito.list_clients(pool_id).await?;
            match super::the_one_named(&listed, name, |c| c.name.as_str()) {
                Some(c) => cognito.describe_client(pool_id, &c.id).await,
                None => Ok(None),
            }
        },
    )
    .await
    .map(|w| w.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_like(spec: &AppClientSpec) -> AppClient {
        AppClient {
            id: "c1".into(),
            name: spec.name.clone(),
            user_pool_id: "p".into(),
            explicit_auth_flows: spec.explicit_auth_flows.iter().rev().cloned().collect(),
            allowed_oauth_flows: spec.allowed_oauth_flows.clone(),
            allowed_oauth_flows_user_pool_client: true,
            allowed_oauth_scopes: spec.allowed_oauth_scopes.clone(),
            callback_urls: spec.callback_urls.clone(),
            logout_urls: spec.logout_urls.clone(),
            default_redirect_uri: None,
            supported_identity_providers: spec.supported_identity_providers.clone(),
            token_validity: Default::default(),
            has_secret: false,
            prevent_user_existence_errors: None,
            enable_token_revocation: None,
        }
    }

    fn cfg(password: bool, implicit: bool) -> CognitoConfig {
        let mut c = crate::config::CognitoConfig {
            user_pool: "p".into(),
            app_client: "c".into(),
            domain_prefix: "x".into(),
            callback_urls: vec!["https://example.com".into()],
            logout_urls: vec![],
            allow_user_password_auth: password,
            implicit_flow: implicit,
            deletion_protection: true,
            password_policy: crate::config::PasswordPolicy {
                min_length: 8,
                require_uppercase: true,
                require_lowercase: true,
                require_numbers: true,
                require_symbols: true,
                temporary_password_validity_days: 7,
            },
        };
        c.app_client = "client".into();
        c
    }

    #[test]
    fn spec_follows_the_guide_and_the_config() {
        let s = spec(&cfg(false, true));
        assert!(!s
            .explicit_auth_flows
            .contains(&"ALLOW_USER_PASSWORD_AUTH".to_string()));
        assert_eq!(s.allowed_oauth_flows, vec!["code", "implicit"]);
        assert_eq!(s.allowed_oauth_scopes.len(), 5);
        let s = spec(&cfg(true, false));
        assert!(s
            .explicit_auth_flows
            .contains(&"ALLOW_USER_PASSWORD_AUTH".to_string()));
        assert_eq!(s.allowed_oauth_flows, vec!["code"]);
    }

    #[test]
    fn a_client_is_created_or_updated_where_it_differs() {
        let s = spec(&cfg(false, true));
        assert_eq!(decide(&[], &s), Ok(ClientDecision::Create));
        let c = client_like(&s);
        assert!(matches!(
            decide(std::slice::from_ref(&c), &s),
            Ok(ClientDecision::Exists(_))
        ));
        let changed = spec(&cfg(true, true));
        match decide(std::slice::from_ref(&c), &changed) {
            Ok(ClientDecision::Update(_, d)) => assert_eq!(d.len(), 1, "{d:?}"),
            other => panic!("{other:?}"),
        }
        let mut secret = c.clone();
        secret.has_secret = true;
        assert!(decide(&[secret], &s).is_err());
        assert!(decide(&[c.clone(), c], &s).is_err());
    }
}
