//! API Gateway provisioning: what `flarelink provision` needs to converge a REST API like the
//! guide's CDK stack (a resource, a method guarded by a Cognito user-pools authorizer, an HTTP
//! proxy integration, a deployment to a stage).
//!
//! One small function per SDK operation, by concern, in `provision/`: `rest_apis` (create with
//! tags, tags, delete), `resources` (resources, methods, integrations), `authorizers` and
//! `deployments`. This file holds flarelink's own types for them and the `ApiGateway` methods.
//!
//! Hard quotas waited out like the domain-name calls (see `crate::retry`): CreateRestApi (1 per
//! 3 s, regional), CreateDeployment (1 per 5 s), DeleteRestApi (1 per 30 s). CreateResource
//! (5 per s) and the rest (10 rps, burst 40) are left to the SDK's standard retry.
//!
//! moto 5.2.5, as observed (tests in `tests/moto/provision.rs` pin these):
//! * GetResources always embeds full methods (with `methodIntegration`) whatever `embed` says,
//!   and ignores `limit`/`position` (one page). AWS embeds them only for `embed=methods`, which
//!   is sent; a method entry without an `authorizationType` is fetched with GetMethod.
//! * UpdateMethod is not implemented (HTTP 500 `NotImplementedError`), and UpdateAuthorizer
//!   fails (HTTP 500) on any `/providerARNs` patch; `/identitySource` works. Both request shapes
//!   are proved against a scripted stub instead.
//! * GetIntegration of a method without one answers 200 `{}` (AWS: NotFound): read as `None`.
//! * DeleteRestApi and GetDeployment of an unknown id answer 500 (KeyError), where AWS answers
//!   NotFound; DeleteMethod of an unknown method answers 204 (AWS: NotFound); PutMethod on an
//!   existing method replaces it and drops its integration (AWS: ConflictException).

mod authorizers;
mod deployments;
mod resources;
mod rest_apis;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::{ApiGateway, Error, RestApi};

/// The identity source of a Cognito authorizer reading the token from the `Authorization`
/// header, as the guide's stack (and the CDK's default) has it.
pub const AUTHORIZATION_HEADER: &str = "method.request.header.Authorization";

/// A REST API resource (a path) and its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    /// `None` for the root resource `/`.
    pub parent_id: Option<String>,
    /// The full path, e.g. `/ditto`.
    pub path: String,
    /// The last path segment, e.g. `ditto`; `None` for the root.
    pub path_part: Option<String>,
    /// By HTTP verb as API Gateway names it (`GET`, `POST`, `ANY`, ...).
    pub methods: BTreeMap<String, Method>,
}

/// A method of a resource: how callers are authorized and where the request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    pub http_method: String,
    /// `NONE`, `COGNITO_USER_POOLS`, `CUSTOM` or `AWS_IAM`.
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    /// OAuth scopes; with any, a Cognito authorizer expects an access token, without, an ID token.
    pub authorization_scopes: Vec<String>,
    pub api_key_required: bool,
    /// e.g. `method.request.path.name` → required; the path variables an integration maps.
    pub request_parameters: BTreeMap<String, bool>,
    pub integration: Option<Integration>,
}

impl Method {
    /// This method's authorization, to compare with the wanted one or to patch from.
    pub fn auth(&self) -> MethodAuth {
        MethodAuth {
            authorization_type: self.authorization_type.clone(),
            authorizer_id: self.authorizer_id.clone(),
            authorization_scopes: self.authorization_scopes.clone(),
        }
    }
}

/// How a method authorizes callers (PutMethod's and UpdateMethod's part flarelink sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodAuth {
    /// `NONE` or `COGNITO_USER_POOLS` (API Gateway also knows `CUSTOM` and `AWS_IAM`).
    pub authorization_type: String,
    /// Required with `COGNITO_USER_POOLS` (and `CUSTOM`); `None` otherwise.
    pub authorizer_id: Option<String>,
    /// Only with `COGNITO_USER_POOLS`; empty = the authorizer expects an ID token.
    pub authorization_scopes: Vec<String>,
}

impl MethodAuth {
    /// Open to anyone.
    pub fn none() -> Self {
        MethodAuth {
            authorization_type: "NONE".to_string(),
            authorizer_id: None,
            authorization_scopes: Vec::new(),
        }
    }

    /// Guarded by the Cognito user-pools authorizer `authorizer_id`.
    pub fn cognito(authorizer_id: impl Into<String>, scopes: Vec<String>) -> Self {
        MethodAuth {
            authorization_type: "COGNITO_USER_POOLS".to_string(),
            authorizer_id: Some(authorizer_id.into()),
            authorization_scopes: scopes,
        }
    }
}

/// A method's integration: where API Gateway sends the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// `HTTP_PROXY`, `HTTP`, `MOCK`, `AWS`, `AWS_PROXY`.
    pub type_: String,
    /// The verb API Gateway uses toward the backend (`None` for MOCK).
    pub http_method: Option<String>,
    /// The backend URL for HTTP integrations, e.g. `https://pokeapi.co/api/v2/pokemon/ditto`.
    pub uri: Option<String>,
    /// `WHEN_NO_MATCH`, `WHEN_NO_TEMPLATES` or `NEVER`, when reported.
    pub passthrough_behavior: Option<String>,
    /// The integration timeout, when reported (AWS's default is 29,000 ms).
    pub timeout_in_millis: Option<i32>,
    /// `INTERNET` or `VPC_LINK`, when reported.
    pub connection_type: Option<String>,
    /// e.g. `integration.request.path.name` → `method.request.path.name`: how a `{name}` in
    /// `uri` is filled from the method's request (without it the placeholder is sent as is).
    pub request_parameters: BTreeMap<String, String>,
}

/// An authorizer of a REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    /// `COGNITO_USER_POOLS`, `TOKEN` or `REQUEST`.
    pub type_: String,
    /// For Cognito: the user pool ARNs (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`).
    pub provider_arns: Vec<String>,
    /// e.g. `method.request.header.Authorization` ([`AUTHORIZATION_HEADER`]).
    pub identity_source: Option<String>,
    /// How long API Gateway caches the authorizer's verdict (AWS's default is 300 s).
    pub result_ttl_seconds: Option<i32>,
}

/// A deployment: a snapshot of the API that stages point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub id: String,
    pub description: Option<String>,
    pub created: Option<DateTime<Utc>>,
}

impl ApiGateway {
    /// CreateRestApi: a REGIONAL endpoint (Cloudflare is the CDN in front), tagged in the same
    /// call. Waits out `TooManyRequestsException` (1 per 3 s per account) like the domain calls.
    pub async fn create_rest_api(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<RestApi, Error> {
        rest_apis::create_rest_api(&self.client, &self.quota, name, description, tags).await
    }

    /// The REST API's tags (GetRestApi); `None` when there is no such API.
    pub async fn get_rest_api_tags(
        &self,
        api_id: &str,
    ) -> Result<Option<BTreeMap<String, String>>, Error> {
        rest_apis::get_rest_api_tags(&self.client, api_id).await
    }

    /// TagResource on REST API `api_id` of `region` (adds or overwrites `tags`).
    pub async fn tag_rest_api(
        &self,
        region: &str,
        api_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let arn = format!("arn:aws:apigateway:{region}::/restapis/{api_id}");
        rest_apis::tag_resource(&self.client, &arn, tags).await
    }

    /// UntagResource on REST API `api_id` of `region`.
    pub async fn untag_rest_api(
        &self,
        region: &str,
        api_id: &str,
        keys: &[String],
    ) -> Result<(), Error> {
        let arn = format!("arn:aws:apigateway:{region}::/restapis/{api_id}");
        rest_apis::untag_resource(&self.client, &arn, keys).await
    }

    /// TagResource on custom domain `name` of `region` (adds or overwrites `tags`).
    pub async fn tag_domain_name(
        &self,
        region: &str,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let arn = format!("arn:aws:apigateway:{region}::/domainnames/{name}");
        rest_apis::tag_resource(&self.client, &arn, tags).await
    }

    /// UntagResource on custom domain `name` of `region`.
    pub async fn untag_domain_name(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), Error> {
        let arn = format!("arn:aws:apigateway:{region}::/domainnames/{name}");
        rest_apis::untag_resource(&self.client, &arn, keys).await
    }

    /// DeleteRestApi (1 per 30 s per account, waited out). `Ok(false)` when it was already gone.
    pub async fn delete_rest_api(&self, api_id: &str) -> Result<bool, Error> {
        rest_apis::delete_rest_api(&self.client, &self.quota, api_id).await
    }

    /// GetResources with `embed=methods`, all pages, each with its methods and their
    /// integrations (GetMethod for any method AWS did not embed).
    pub async fn get_resources(&self, api_id: &str) -> Result<Vec<Resource>, Error> {
        resources::get_resources(&self.client, api_id).await
    }

    /// CreateResource `path_part` under `parent_id` (the root's id for `/ditto`).
    pub async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<Resource, Error> {
        resources::create_resource(&self.client, api_id, parent_id, path_part).await
    }

    /// GetMethod; `None` when the resource has no such method.
    pub async fn get_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<Option<Method>, Error> {
        resources::get_method(&self.client, api_id, resource_id, http_method).await
    }

    /// PutMethod: a new method with the given authorization and request parameters (e.g.
    /// `method.request.path.name` → required). AWS refuses an existing one with
    /// ConflictException; switch its authorization with [`ApiGateway::update_method_auth`], its
    /// parameters with [`ApiGateway::update_method_request_parameters`].
    pub async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        auth: &MethodAuth,
        request_parameters: &BTreeMap<String, bool>,
    ) -> Result<Method, Error> {
        resources::put_method(
            &self.client,
            api_id,
            resource_id,
            http_method,
            auth,
            request_parameters,
        )
        .await
    }

    /// UpdateMethod: change an existing method's request parameters from `current` to `wanted`
    /// in place (`add`/`remove /requestParameters/<name>`).
    pub async fn update_method_request_parameters(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        current: &BTreeMap<String, bool>,
        wanted: &BTreeMap<String, bool>,
    ) -> Result<Method, Error> {
        resources::update_method_request_parameters(
            &self.client,
            api_id,
            resource_id,
            http_method,
            current,
            wanted,
        )
        .await
    }

    /// UpdateMethod: switch an existing method's authorization from `current` to `wanted` in
    /// place (the method and its integration stay), with the patch operations between the two.
    pub async fn update_method_auth(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        current: &MethodAuth,
        wanted: &MethodAuth,
    ) -> Result<Method, Error> {
        resources::update_method_auth(
            &self.client,
            api_id,
            resource_id,
            http_method,
            current,
            wanted,
        )
        .await
    }

    /// DeleteMethod (its integration goes with it). `Ok(false)` when it was already gone.
    pub async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<bool, Error> {
        resources::delete_method(&self.client, api_id, resource_id, http_method).await
    }

    /// PutIntegration: e.g. `HTTP_PROXY` with `GET` to `https://pokeapi.co/api/v2/pokemon/{name}`
    /// with `integration.request.path.name` → `method.request.path.name`. Replaces the method's
    /// integration if it has one.
    #[allow(clippy::too_many_arguments)] // PutIntegration's own fields, all distinct
    pub async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        type_: &str,
        integration_http_method: &str,
        uri: &str,
        request_parameters: &BTreeMap<String, String>,
    ) -> Result<Integration, Error> {
        resources::put_integration(
            &self.client,
            api_id,
            resource_id,
            http_method,
            type_,
            integration_http_method,
            uri,
            request_parameters,
        )
        .await
    }

    /// GetIntegration; `None` when the method has none (or there is no such method).
    pub async fn get_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<Option<Integration>, Error> {
        resources::get_integration(&self.client, api_id, resource_id, http_method).await
    }

    /// GetAuthorizers, all pages.
    pub async fn list_authorizers(&self, api_id: &str) -> Result<Vec<Authorizer>, Error> {
        authorizers::list_authorizers(&self.client, api_id).await
    }

    /// CreateAuthorizer of type COGNITO_USER_POOLS for the given user pools, reading the token
    /// from `identity_source` (usually [`AUTHORIZATION_HEADER`]).
    pub async fn create_cognito_authorizer(
        &self,
        api_id: &str,
        name: &str,
        user_pool_arns: &[String],
        identity_source: &str,
    ) -> Result<Authorizer, Error> {
        authorizers::create_cognito_authorizer(
            &self.client,
            api_id,
            name,
            user_pool_arns,
            identity_source,
        )
        .await
    }

    /// UpdateAuthorizer: bring `current` to these provider ARNs and identity source in place
    /// (ARNs added before any are removed: the list may never be empty).
    pub async fn update_authorizer(
        &self,
        api_id: &str,
        current: &Authorizer,
        provider_arns: &[String],
        identity_source: &str,
    ) -> Result<Authorizer, Error> {
        authorizers::update_authorizer(
            &self.client,
            api_id,
            current,
            provider_arns,
            identity_source,
        )
        .await
    }

    /// CreateDeployment to `stage` (created or repointed), with a description. Waits out
    /// `TooManyRequestsException` (1 per 5 s per account).
    pub async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        description: &str,
    ) -> Result<Deployment, Error> {
        deployments::create_deployment(&self.client, &self.quota, api_id, stage, description).await
    }

    /// GetDeployment; `None` on NotFound.
    pub async fn get_deployment(
        &self,
        api_id: &str,
        deployment_id: &str,
    ) -> Result<Option<Deployment>, Error> {
        deployments::get_deployment(&self.client, api_id, deployment_id).await
    }
}
