//! Amazon Cognito user pools (`cognito-idp`): one small function per operation, by concern —
//! `pools`, `clients` (app clients), `domains` (hosted-UI prefix domains), `users`, `auth`
//! (sign-in) — over flarelink's own types in `types`. Passwords, tokens and sessions travel as
//! [`Secret`]s, never shown by Debug or Display.
//!
//! UpdateUserPool and UpdateUserPoolClient reset every setting a request omits; the update
//! functions here read the resource first and send back what flarelink does not manage.

mod auth;
mod clients;
mod domains;
mod pools;
mod types;
mod users;

pub use types::*;

use crate::{Error, ErrorKind, Secret};

/// Cognito user-pool operations.
#[derive(Clone)]
pub struct Cognito {
    pub(crate) client: aws_sdk_cognitoidentityprovider::Client,
}

/// Whether `error` carries the service code `code` (Cognito reuses `ResourceNotFoundException`
/// for pools and clients, and `UserNotFoundException` for users: callers that turn "not
/// found" into `None` must not swallow a missing pool).
fn code_is(error: &Error, code: &str) -> bool {
    error.code.as_deref() == Some(code)
}

/// A request that could not be built (a required field missing): flarelink's bug or bad input.
fn build_error(operation: &'static str, e: impl std::fmt::Display) -> Error {
    Error {
        operation,
        kind: ErrorKind::BadRequest,
        code: None,
        message: format!("could not build the request: {e}"),
    }
}

impl Cognito {
    pub(crate) fn new(sdk: &aws_types::SdkConfig) -> Self {
        Cognito {
            client: aws_sdk_cognitoidentityprovider::Client::new(sdk),
        }
    }

    // ---- user pools ------------------------------------------------------------------------

    /// ListUserPools (all pages, 60 a page), keeping the pools named exactly `name`. Cognito
    /// does not keep names unique, so there may be several.
    pub async fn list_user_pools_named(&self, name: &str) -> Result<Vec<UserPoolSummary>, Error> {
        pools::list_user_pools_named(&self.client, name).await
    }

    /// The one user pool named `name`, described; `None` when there is none. Several pools of
    /// that name are an `ErrorKind::Conflict` (operation ListUserPools) naming their ids.
    pub async fn find_user_pool_by_name(&self, name: &str) -> Result<Option<UserPool>, Error> {
        pools::find_user_pool_by_name(&self.client, name).await
    }

    /// DescribeUserPool; `None` when the pool does not exist.
    pub async fn describe_user_pool(&self, id: &str) -> Result<Option<UserPool>, Error> {
        pools::describe_user_pool(&self.client, id).await
    }

    /// CreateUserPool from the spec (username sign-in, case-insensitive; `email` required and
    /// auto-verified per the spec; account recovery by verified email).
    pub async fn create_user_pool(&self, spec: &UserPoolSpec) -> Result<UserPool, Error> {
        pools::create_user_pool(&self.client, spec).await
    }

    /// UpdateUserPool: the spec's settings, every other updatable setting kept as the pool has
    /// it (read with DescribeUserPool first, because UpdateUserPool resets what it is not
    /// sent). Tags are merged over the pool's others. The schema cannot change.
    pub async fn update_user_pool(&self, id: &str, spec: &UserPoolSpec) -> Result<(), Error> {
        pools::update_user_pool(&self.client, id, spec).await
    }

    // ---- app clients -----------------------------------------------------------------------

    /// ListUserPoolClients, all pages.
    pub async fn list_clients(&self, pool_id: &str) -> Result<Vec<ClientSummary>, Error> {
        clients::list_clients(&self.client, pool_id).await
    }

    /// DescribeUserPoolClient; `None` when the client (or the pool) does not exist.
    pub async fn describe_client(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<AppClient>, Error> {
        clients::describe_client(&self.client, pool_id, client_id).await
    }

    /// CreateUserPoolClient: a public client (no secret) from the spec.
    pub async fn create_client(
        &self,
        pool_id: &str,
        spec: &AppClientSpec,
    ) -> Result<AppClient, Error> {
        clients::create_client(&self.client, pool_id, spec).await
    }

    /// UpdateUserPoolClient: the spec's settings, every other updatable setting kept as the
    /// client has it (read first, because UpdateUserPoolClient resets what it is not sent).
    pub async fn update_client(
        &self,
        pool_id: &str,
        client_id: &str,
        spec: &AppClientSpec,
    ) -> Result<AppClient, Error> {
        clients::update_client(&self.client, pool_id, client_id, spec).await
    }

    // ---- hosted-UI domain ------------------------------------------------------------------

    /// DescribeUserPoolDomain; `None` when no pool has the prefix. `Some` names the owning
    /// pool, which may be another than the caller's.
    pub async fn describe_domain(&self, prefix: &str) -> Result<Option<DomainInfo>, Error> {
        domains::describe_domain(&self.client, prefix).await
    }

    /// CreateUserPoolDomain (prefix domain, classic hosted UI).
    pub async fn create_domain(&self, prefix: &str, pool_id: &str) -> Result<(), Error> {
        domains::create_domain(&self.client, prefix, pool_id).await
    }

    /// DeleteUserPoolDomain. `Ok(false)` when it was already gone.
    pub async fn delete_domain(&self, prefix: &str, pool_id: &str) -> Result<bool, Error> {
        domains::delete_domain(&self.client, prefix, pool_id).await
    }

    // ---- users -----------------------------------------------------------------------------

    /// AdminCreateUser with a verified `email`; Cognito invents the temporary password when
    /// none is given; the invitation goes by email unless `suppress_message`.
    pub async fn admin_create_user(
        &self,
        pool_id: &str,
        username: &str,
        email: &str,
        temporary_password: Option<&Secret>,
        suppress_message: bool,
    ) -> Result<User, Error> {
        users::admin_create_user(
            &self.client,
            pool_id,
            username,
            email,
            temporary_password,
            suppress_message,
        )
        .await
    }

    /// AdminSetUserPassword; `permanent` also confirms the user.
    pub async fn admin_set_user_password(
        &self,
        pool_id: &str,
        username: &str,
        password: &Secret,
        permanent: bool,
    ) -> Result<(), Error> {
        users::admin_set_user_password(&self.client, pool_id, username, password, permanent).await
    }

    /// AdminConfirmSignUp.
    pub async fn admin_confirm_sign_up(&self, pool_id: &str, username: &str) -> Result<(), Error> {
        users::admin_confirm_sign_up(&self.client, pool_id, username).await
    }

    /// AdminGetUser; `None` when the pool has no such user.
    pub async fn admin_get_user(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<Option<User>, Error> {
        users::admin_get_user(&self.client, pool_id, username).await
    }

    /// AdminDeleteUser. `Ok(false)` when there was no such user.
    pub async fn admin_delete_user(&self, pool_id: &str, username: &str) -> Result<bool, Error> {
        users::admin_delete_user(&self.client, pool_id, username).await
    }

    /// SignUp through a public app client, with `email`.
    pub async fn sign_up(
        &self,
        client_id: &str,
        username: &str,
        password: &Secret,
        email: &str,
    ) -> Result<SignUpOutcome, Error> {
        users::sign_up(&self.client, client_id, username, password, email).await
    }

    // ---- sign-in ---------------------------------------------------------------------------

    /// InitiateAuth USER_PASSWORD_AUTH. A wrong password is `ErrorKind::NotAuthorized`.
    pub async fn initiate_user_password_auth(
        &self,
        client_id: &str,
        username: &str,
        password: &Secret,
    ) -> Result<AuthOutcome, Error> {
        auth::initiate_user_password_auth(&self.client, client_id, username, password).await
    }

    /// InitiateAuth USER_SRP_AUTH with the client's SRP value A (hex): the PASSWORD_VERIFIER
    /// challenge.
    pub async fn initiate_srp_auth(
        &self,
        client_id: &str,
        username: &str,
        srp_a_hex: &str,
    ) -> Result<SrpChallenge, Error> {
        auth::initiate_srp_auth(&self.client, client_id, username, srp_a_hex).await
    }

    /// RespondToAuthChallenge PASSWORD_VERIFIER with the caller's password-claim signature.
    pub async fn respond_password_verifier(
        &self,
        client_id: &str,
        challenge: &SrpChallenge,
        timestamp: &str,
        signature_b64: &str,
    ) -> Result<AuthOutcome, Error> {
        auth::respond_password_verifier(
            &self.client,
            client_id,
            challenge,
            timestamp,
            signature_b64,
        )
        .await
    }

    /// RespondToAuthChallenge NEW_PASSWORD_REQUIRED with the session of that challenge.
    pub async fn respond_new_password_required(
        &self,
        client_id: &str,
        username: &str,
        session: &Secret,
        new_password: &Secret,
    ) -> Result<AuthOutcome, Error> {
        auth::respond_new_password_required(
            &self.client,
            client_id,
            username,
            session,
            new_password,
        )
        .await
    }
}
