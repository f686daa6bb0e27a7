//! flarelink's own Cognito types: what callers send and read, never SDK builders.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Secret;

/// A user pool's password policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: i32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// How long a temporary password (AdminCreateUser) can be used to sign in.
    pub temporary_password_validity_days: i32,
}

impl Default for PasswordPolicy {
    /// Cognito's (and the CDK's) defaults: 8 characters, all four classes, 7 days.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

/// The user-pool settings flarelink manages. Everything else on an existing pool (Lambda
/// triggers, message templates, MFA, email/SMS configuration, ...) is left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolSpec {
    pub name: String,
    /// Users may sign themselves up (`AdminCreateUserConfig.AllowAdminCreateUserOnly = false`).
    pub self_sign_up: bool,
    /// `email` is a required standard attribute. Fixed at creation: Cognito cannot change a
    /// pool's schema afterwards, so `update_user_pool` ignores it.
    pub email_required: bool,
    /// Cognito verifies `email` (sends a code on sign-up): `AutoVerifiedAttributes = [email]`.
    pub auto_verify_email: bool,
    pub password_policy: PasswordPolicy,
    pub deletion_protection: bool,
    /// Tags set on the pool. On update they are merged over the pool's other tags.
    pub tags: BTreeMap<String, String>,
}

impl UserPoolSpec {
    /// The guide's CDK user pool: self sign-up, sign-in with a username, `email` required and
    /// auto-verified, Cognito's default password policy, plus deletion protection (a pool holds
    /// the users; deleting it by accident loses them all).
    pub fn guide_defaults(name: impl Into<String>) -> Self {
        UserPoolSpec {
            name: name.into(),
            self_sign_up: true,
            email_required: true,
            auto_verify_email: true,
            password_policy: PasswordPolicy::default(),
            deletion_protection: true,
            tags: BTreeMap::new(),
        }
    }
}

/// A user pool as ListUserPools tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolSummary {
    pub id: String,
    pub name: String,
    pub creation_date: Option<DateTime<Utc>>,
}

/// A user pool as DescribeUserPool tells it (the settings flarelink cares about).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub id: String,
    pub name: String,
    pub arn: Option<String>,
    /// `AllowAdminCreateUserOnly = false`.
    pub self_sign_up: bool,
    /// `email`, `phone_number`.
    pub auto_verified_attributes: Vec<String>,
    /// Standard attributes the schema marks `Required` (e.g. `email`).
    pub required_attributes: Vec<String>,
    /// Attributes users sign in with instead of a username (`email`, `phone_number`); empty for
    /// username sign-in.
    pub username_attributes: Vec<String>,
    pub password_policy: Option<PasswordPolicy>,
    pub deletion_protection: bool,
    /// The hosted-UI domain prefix, if the pool has one.
    pub domain: Option<String>,
    /// A custom hosted-UI domain, if the pool has one.
    pub custom_domain: Option<String>,
    pub mfa_configuration: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Token lifetimes of an app client; `None` leaves Cognito's default (1 hour for access and
/// ID tokens, 30 days for refresh tokens) or, on update, the client's current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenValidity {
    pub access_token: Option<Duration>,
    pub id_token: Option<Duration>,
    pub refresh_token: Option<Duration>,
}

/// The app-client settings flarelink manages. A public client: no secret (SRP from a CLI and
/// PKCE need none).
///
/// Values are Cognito's own strings: `explicit_auth_flows` like `ALLOW_USER_SRP_AUTH`,
/// `ALLOW_REFRESH_TOKEN_AUTH`, `ALLOW_USER_PASSWORD_AUTH`; `allowed_oauth_flows` `code`,
/// `implicit`; scopes like `openid`, `email`, `profile`, `phone`,
/// `aws.cognito.signin.user.admin`; identity providers like `COGNITO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClientSpec {
    pub name: String,
    pub explicit_auth_flows: Vec<String>,
    pub allowed_oauth_flows: Vec<String>,
    pub allowed_oauth_scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub supported_identity_providers: Vec<String>,
    pub token_validity: TokenValidity,
}

impl AppClientSpec {
    /// SRP sign-in and refresh, hosted-UI authorization code (PKCE) with `openid email profile`
    /// for `callback_urls`, the user pool as identity provider. No OAuth when no callback URL
    /// is given (Cognito requires one for any OAuth flow).
    pub fn new(name: impl Into<String>, callback_urls: Vec<String>) -> Self {
        let oauth = !callback_urls.is_empty();
        let list = |items: &[&str]| -> Vec<String> {
            if oauth {
                items.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            }
        };
        AppClientSpec {
            name: name.into(),
            explicit_auth_flows: vec![
                "ALLOW_USER_SRP_AUTH".to_string(),
                "ALLOW_REFRESH_TOKEN_AUTH".to_string(),
            ],
            allowed_oauth_flows: list(&["code"]),
            allowed_oauth_scopes: list(&["openid", "email", "profile"]),
            callback_urls,
            logout_urls: Vec::new(),
            supported_identity_providers: vec!["COGNITO".to_string()],
            token_validity: TokenValidity::default(),
        }
    }
}

/// An app client as ListUserPoolClients tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    pub id: String,
    pub name: String,
    pub user_pool_id: String,
}

/// An app client as DescribeUserPoolClient tells it. Its secret, if any, is never read out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    pub id: String,
    pub name: String,
    pub user_pool_id: String,
    pub explicit_auth_flows: Vec<String>,
    pub allowed_oauth_flows: Vec<String>,
    /// Whether the client may use the OAuth flows at all (`AllowedOAuthFlowsUserPoolClient`).
    pub allowed_oauth_flows_user_pool_client: bool,
    pub allowed_oauth_scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub default_redirect_uri: Option<String>,
    pub supported_identity_providers: Vec<String>,
    /// In Cognito's units made durations; unset access/ID lifetimes read as `None`.
    pub token_validity: TokenValidity,
    pub has_secret: bool,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: Option<bool>,
}

/// A hosted-UI (prefix) domain as DescribeUserPoolDomain tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInfo {
    pub prefix: String,
    /// The pool that owns the domain — not necessarily the caller's.
    pub user_pool_id: String,
    /// CREATING, ACTIVE, UPDATING, DELETING, FAILED.
    pub status: Option<String>,
    /// 1 = classic hosted UI, 2 = managed login.
    pub managed_login_version: Option<i32>,
    pub cloudfront_distribution: Option<String>,
}

/// A user as AdminGetUser (or AdminCreateUser) tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: String,
    /// UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, ...
    pub status: Option<String>,
    pub enabled: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    /// The user's `sub`, when Cognito returned it.
    pub sub: Option<String>,
}

/// What SignUp answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpOutcome {
    pub user_sub: String,
    /// `false` until the user (or an admin) confirms the sign-up.
    pub confirmed: bool,
    /// Where Cognito sent the confirmation code (masked, e.g. `a***@e***`), if anywhere.
    pub code_destination: Option<String>,
}

/// What a sign-in step answered: tokens, or another challenge to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    Tokens(Tokens),
    Challenge {
        /// e.g. `NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`.
        name: String,
        session: Option<Secret>,
        parameters: BTreeMap<String, String>,
    },
}

/// Tokens of a completed sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub id_token: Secret,
    pub access_token: Secret,
    /// Not returned by a refresh.
    pub refresh_token: Option<Secret>,
    /// Seconds the ID and access tokens live.
    pub expires_in: i32,
    /// `Bearer`.
    pub token_type: Option<String>,
}

/// The PASSWORD_VERIFIER challenge of USER_SRP_AUTH: what the client needs to compute its
/// password claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpChallenge {
    /// Hex.
    pub salt: String,
    /// The server's public value B, hex.
    pub srp_b: String,
    /// Base64; sent back (and signed) as PASSWORD_CLAIM_SECRET_BLOCK.
    pub secret_block: Secret,
    /// The user id the SRP math uses (with the pool name) — may differ from the username
    /// typed, e.g. when users sign in with their email.
    pub user_id_for_srp: String,
    /// The user's canonical username, sent back as USERNAME.
    pub username: String,
    /// Cognito sometimes adds a session to this challenge; sent back when present.
    pub session: Option<Secret>,
}
