//! App clients: list, describe, create (public, no secret), update (preserving what flarelink
//! does not manage).

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, OAuthFlowType, PreventUserExistenceErrorTypes, TimeUnitsType,
    TokenValidityUnitsType, UserPoolClientType,
};
use aws_sdk_cognitoidentityprovider::Client;

use super::code_is;
use super::types::{AppClient, AppClientSpec, ClientSummary, TokenValidity};
use crate::errors::from_sdk;
use crate::{Error, ErrorKind};

/// ListUserPoolClients' largest page.
const PAGE_SIZE: i32 = 60;

pub(crate) async fn list_clients(
    client: &Client,
    pool_id: &str,
) -> Result<Vec<ClientSummary>, Error> {
    let mut pages = client
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListUserPoolClients", e))?;
        found.extend(page.user_pool_clients().iter().map(|c| ClientSummary {
            id: c.client_id().unwrap_or_default().to_owned(),
            name: c.client_name().unwrap_or_default().to_owned(),
            user_pool_id: c.user_pool_id().unwrap_or(pool_id).to_owned(),
        }));
    }
    Ok(found)
}

pub(crate) async fn describe_client(
    client: &Client,
    pool_id: &str,
    client_id: &str,
) -> Result<Option<AppClient>, Error> {
    match describe_raw(client, pool_id, client_id).await {
        Ok(c) => Ok(Some(app_client(&c))),
        Err(e) if code_is(&e, "ResourceNotFoundException") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn describe_raw(
    client: &Client,
    pool_id: &str,
    client_id: &str,
) -> Result<UserPoolClientType, Error> {
    const OP: &str = "DescribeUserPoolClient";
    let out = client
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.user_pool_client().cloned().ok_or_else(|| missing(OP))
}

fn missing(operation: &'static str) -> Error {
    Error {
        operation,
        kind: ErrorKind::Other,
        code: None,
        message: format!("{operation} answered no app client"),
    }
}

fn strings<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| i.as_ref().to_owned()).collect()
}

fn app_client(c: &UserPoolClientType) -> AppClient {
    let units = c.token_validity_units();
    AppClient {
        id: c.client_id().unwrap_or_default().to_owned(),
        name: c.client_name().unwrap_or_default().to_owned(),
        user_pool_id: c.user_pool_id().unwrap_or_default().to_owned(),
        explicit_auth_flows: c
            .explicit_auth_flows()
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect(),
        allowed_oauth_flows: c
            .allowed_o_auth_flows()
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect(),
        allowed_oauth_flows_user_pool_client: c
            .allowed_o_auth_flows_user_pool_client()
            .unwrap_or(false),
        allowed_oauth_scopes: strings(c.allowed_o_auth_scopes()),
        callback_urls: strings(c.callback_urls()),
        logout_urls: strings(c.logout_urls()),
        default_redirect_uri: c.default_redirect_uri().map(str::to_owned),
        supported_identity_providers: strings(c.supported_identity_providers()),
        token_validity: TokenValidity {
            // Cognito's documented default units: hours for access and ID tokens, days for
            // refresh tokens.
            access_token: c.access_token_validity().map(|v| {
                duration(
                    v,
                    units.and_then(|u| u.access_token()),
                    &TimeUnitsType::Hours,
                )
            }),
            id_token: c
                .id_token_validity()
                .map(|v| duration(v, units.and_then(|u| u.id_token()), &TimeUnitsType::Hours)),
            refresh_token: (c.refresh_token_validity() > 0).then(|| {
                duration(
                    c.refresh_token_validity(),
                    units.and_then(|u| u.refresh_token()),
                    &TimeUnitsType::Days,
                )
            }),
        },
        has_secret: c.client_secret().is_some_and(|s| !s.is_empty()),
        prevent_user_existence_errors: c
            .prevent_user_existence_errors()
            .map(|p| p.as_str().to_owned()),
        enable_token_revocation: c.enable_token_revocation(),
    }
}

fn unit_seconds(unit: &TimeUnitsType) -> u64 {
    match unit {
        TimeUnitsType::Days => 86_400,
        TimeUnitsType::Hours => 3_600,
        TimeUnitsType::Minutes => 60,
        _ => 1,
    }
}

fn duration(value: i32, unit: Option<&TimeUnitsType>, default: &TimeUnitsType) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0) * unit_seconds(unit.unwrap_or(default)))
}

/// A duration in the largest Cognito unit that holds it exactly.
pub(crate) fn in_units(d: Duration) -> (i32, TimeUnitsType) {
    let secs = d.as_secs();
    let unit = [
        TimeUnitsType::Days,
        TimeUnitsType::Hours,
        TimeUnitsType::Minutes,
    ]
    .into_iter()
    .find(|u| secs > 0 && secs.is_multiple_of(unit_seconds(u)))
    .unwrap_or(TimeUnitsType::Seconds);
    let value = secs / unit_seconds(&unit);
    (i32::try_from(value).unwrap_or(i32::MAX), unit)
}

/// The request fields both CreateUserPoolClient and UpdateUserPoolClient take, from the spec
/// (token lifetimes falling back to `keep`, the client's current ones, on update).
struct Managed {
    name: String,
    explicit_auth_flows: Vec<ExplicitAuthFlowsType>,
    oauth_flows: Vec<OAuthFlowType>,
    oauth_enabled: bool,
    scopes: Vec<String>,
    callback_urls: Vec<String>,
    logout_urls: Vec<String>,
    identity_providers: Vec<String>,
    access: Option<(i32, TimeUnitsType)>,
    id: Option<(i32, TimeUnitsType)>,
    refresh: Option<(i32, TimeUnitsType)>,
}

impl Managed {
    fn new(spec: &AppClientSpec, keep: TokenValidity) -> Self {
        let v = spec.token_validity;
        Managed {
            name: spec.name.clone(),
            explicit_auth_flows: spec
                .explicit_auth_flows
                .iter()
                .map(|f| ExplicitAuthFlowsType::from(f.as_str()))
                .collect(),
            oauth_flows: spec
                .allowed_oauth_flows
                .iter()
                .map(|f| OAuthFlowType::from(f.as_str()))
                .collect(),
            oauth_enabled: !spec.allowed_oauth_flows.is_empty(),
            scopes: spec.allowed_oauth_scopes.clone(),
            callback_urls: spec.callback_urls.clone(),
            logout_urls: spec.logout_urls.clone(),
            identity_providers: spec.supported_identity_providers.clone(),
            access: v.access_token.or(keep.access_token).map(in_units),
            id: v.id_token.or(keep.id_token).map(in_units),
            refresh: v.refresh_token.or(keep.refresh_token).map(in_units),
        }
    }

    fn units(&self) -> Option<TokenValidityUnitsType> {
        if self.access.is_none() && self.id.is_none() && self.refresh.is_none() {
            return None;
        }
        Some(
            TokenValidityUnitsType::builder()
                .set_access_token(self.access.as_ref().map(|(_, u)| u.clone()))
                .set_id_token(self.id.as_ref().map(|(_, u)| u.clone()))
                .set_refresh_token(self.refresh.as_ref().map(|(_, u)| u.clone()))
                .build(),
        )
    }
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// CreateUserPoolClient: a public client (no secret), user-existence errors prevented, token
/// revocation on.
pub(crate) async fn create_client(
    client: &Client,
    pool_id: &str,
    spec: &AppClientSpec,
) -> Result<AppClient, Error> {
    const OP: &str = "CreateUserPoolClient";
    let m = Managed::new(spec, TokenValidity::default());
    let units = m.units();
    let out = client
        .create_user_pool_client()
        .user_pool_id(pool_id)
        .client_name(m.name)
        .generate_secret(false)
        .set_explicit_auth_flows(non_empty(m.explicit_auth_flows))
        .set_allowed_o_auth_flows(non_empty(m.oauth_flows))
        .allowed_o_auth_flows_user_pool_client(m.oauth_enabled)
        .set_allowed_o_auth_scopes(non_empty(m.scopes))
        .set_callback_urls(non_empty(m.callback_urls))
        .set_logout_urls(non_empty(m.logout_urls))
        .set_supported_identity_providers(non_empty(m.identity_providers))
        .set_access_token_validity(m.access.map(|(v, _)| v))
        .set_id_token_validity(m.id.map(|(v, _)| v))
        .set_refresh_token_validity(m.refresh.map(|(v, _)| v))
        .set_token_validity_units(units)
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .enable_token_revocation(true)
        .customize()
        .config_override(crate::retry::cognito_create_once())
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.user_pool_client()
        .map(app_client)
        .ok_or_else(|| missing(OP))
}

/// UpdateUserPoolClient resets every setting the request omits to its default, so this reads
/// the client first (DescribeUserPoolClient) and sends the managed settings from `spec` (a
/// token lifetime the spec leaves `None` keeps the client's current one) and every other
/// updatable setting as the client has it: read/write attributes, analytics, user-existence
/// errors, token revocation, context data, auth-session validity, refresh-token rotation, and
/// the default redirect URI while it is still one of the callback URLs.
pub(crate) async fn update_client(
    client: &Client,
    pool_id: &str,
    client_id: &str,
    spec: &AppClientSpec,
) -> Result<AppClient, Error> {
    const OP: &str = "UpdateUserPoolClient";
    let current = describe_raw(client, pool_id, client_id).await?;
    let m = Managed::new(spec, app_client(&current).token_validity);
    let units = m.units();
    let default_redirect_uri = current
        .default_redirect_uri()
        .filter(|uri| spec.callback_urls.iter().any(|c| c == uri))
        .map(str::to_owned);
    let out = client
        .update_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(client_id)
        // Managed.
        .client_name(m.name)
        .set_explicit_auth_flows(non_empty(m.explicit_auth_flows))
        .set_allowed_o_auth_flows(non_empty(m.oauth_flows))
        .allowed_o_auth_flows_user_pool_client(m.oauth_enabled)
        .set_allowed_o_auth_scopes(non_empty(m.scopes))
        .set_callback_urls(non_empty(m.callback_urls))
        .set_logout_urls(non_empty(m.logout_urls))
        .set_supported_identity_providers(non_empty(m.identity_providers))
        .set_access_token_validity(m.access.map(|(v, _)| v))
        .set_id_token_validity(m.id.map(|(v, _)| v))
        .set_refresh_token_validity(m.refresh.map(|(v, _)| v))
        .set_token_validity_units(units)
        .set_default_redirect_uri(default_redirect_uri)
        // Preserved as they are.
        .set_read_attributes(non_empty(current.read_attributes().to_vec()))
        .set_write_attributes(non_empty(current.write_attributes().to_vec()))
        .set_analytics_configuration(current.analytics_configuration().cloned())
        .set_prevent_user_existence_errors(current.prevent_user_existence_errors().cloned())
        .set_enable_token_revocation(current.enable_token_revocation())
        .set_enable_propagate_additional_user_context_data(
            current.enable_propagate_additional_user_context_data(),
        )
        .set_auth_session_validity(current.auth_session_validity())
        .set_refresh_token_rotation(current.refresh_token_rotation().cloned())
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.user_pool_client()
        .map(app_client)
        .ok_or_else(|| missing(OP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(
            in_units(Duration::from_secs(30 * 86_400)),
            (30, TimeUnitsType::Days)
        );
        assert_eq!(
            in_units(Duration::from_secs(3_600)),
            (1, TimeUnitsType::Hours)
        );
        assert_eq!(
            in_units(Duration::from_secs(90 * 60)),
            (90, TimeUnitsType::Minutes)
        );
        assert_eq!(
            in_units(Duration::from_secs(61)),
            (61, TimeUnitsType::Seconds)
        );
    }

    #[test]
    fn read_back_uses_cognito_default_units() {
        assert_eq!(
            duration(1, None, &TimeUnitsType::Hours),
            Duration::from_secs(3_600)
        );
        assert_eq!(
            duration(30, Some(&TimeUnitsType::Minutes), &TimeUnitsType::Hours),
            Duration::from_secs(1_800)
        );
    }
}
