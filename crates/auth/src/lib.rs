//! Sign-in math and tokens for flarelink, without the AWS SDK.
//!
//! * [`srp`]: Cognito's `USER_SRP_AUTH` client side ([`SrpSession`]): `SRP_A` for
//!   `InitiateAuth`, then the `PASSWORD_CLAIM_SIGNATURE` for the `PASSWORD_VERIFIER` challenge.
//!   Checked against `pycognito`'s `AWSSRP` in `tests/pycognito_reference.rs`.
//! * [`claims`]: decode a Cognito JWT's claims (no signature check: API Gateway's authorizer
//!   does that) and explain an expiry ([`explain_expiry`]).
//! * [`login_url`]: Hosted-UI login URLs, authorization code with PKCE (recommended) and the
//!   guide's implicit grant.
//! * `jwks` (feature `jwks`): verify an RS256 token against a JWKS document, for tests that
//!   check moto-issued tokens.

pub mod claims;
#[cfg(feature = "jwks")]
pub mod jwks;
pub mod login_url;
mod secret;
pub mod srp;

pub use claims::{decode_claims, explain_expiry, Claims, ClaimsError};
pub use login_url::{
    login_url_code_pkce, login_url_implicit, pkce_challenge, LoginUrlError, PkceVerifier,
};
pub use secret::Secret;
pub use srp::{cognito_timestamp, SrpError, SrpSession};
